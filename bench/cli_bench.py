"""Benchmark: how fast the ``dresskit`` command starts (issue 11: at most 0.3 s).

Times, in the same run and as separate processes, ``python -c pass`` (the interpreter alone),
a bare Typer application with one command (what any Typer CLI pays), ``dresskit --help`` and
``dresskit score regiscar <a published case>``. Each is run ``--runs`` times after one
untimed warm-up run (the file cache, pint's definitions cache); the median wall time, the
median CPU time (user + system, from ``resource.getrusage(RUSAGE_CHILDREN)``: less
sensitive than wall time to other processes on a shared machine), the peak resident memory
and the ratios to the interpreter and to the bare Typer app are printed.

``--before SRC`` also times the same two dresskit commands from another source tree (e.g.
``git archive HEAD | tar -x -C /tmp/before``, then ``--before /tmp/before/src``) with this
interpreter, for a before/after ratio measured in the same run.

Run: .venv/bin/python bench/cli_bench.py [--runs 15] [--before SRC]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

_BARE_TYPER = """
import typer

app = typer.Typer(add_completion=False)


@app.command()
def hello(name: str = "world") -> None:
    print(f"hello {name}")


app()
"""


def _case_file() -> str:
    """The Shen 2024 case (RegiSCAR) as shipped with dresskit, found without importing it."""
    import importlib.util

    spec = importlib.util.find_spec("dresskit")
    if spec is None or spec.origin is None:
        raise SystemExit("dresskit is not installed in this interpreter")
    folder = Path(spec.origin).parent / "datasets" / "data" / "cases"
    return str(folder / "shen2024_seed_regiscar.json")


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def _run(
    command: list[str], runs: int, env: dict[str, str] | None = None
) -> tuple[float, float, float]:
    """Median wall time (s), median CPU time (s) and peak RSS (MiB) of ``command``."""
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)  # warm-up
    times = []
    cpu = []
    peak = 0.0
    for _ in range(runs):
        cpu_before = _cpu_seconds()
        started = time.perf_counter()
        subprocess.run(command, check=True, stdout=subprocess.DEVNULL, env=env)
        times.append(time.perf_counter() - started)
        cpu.append(_cpu_seconds() - cpu_before)
        # RUSAGE_CHILDREN: the largest child so far (KiB on Linux), so the commands are run
        # from the lightest to the heaviest and each one's peak is read after its own runs.
        peak = max(peak, resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024)
    return statistics.median(times), statistics.median(cpu), peak


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=15)
    parser.add_argument("--before", type=Path, help="another dresskit src/ folder to time")
    arguments = parser.parse_args()
    python = sys.executable
    dresskit = str(Path(python).parent / "dresskit")
    with tempfile.TemporaryDirectory() as folder:
        bare = Path(folder) / "bare_typer.py"
        bare.write_text(_BARE_TYPER, encoding="utf-8")
        # Peak memory of RUSAGE_CHILDREN only grows: measure the lightest command first.
        commands = {
            "python -c pass": [python, "-c", "pass"],
            "bare Typer app --help": [python, str(bare), "--help"],
            "dresskit --help": [dresskit, "--help"],
            "dresskit score regiscar CASE": [dresskit, "score", "regiscar", "-i", _case_file()],
        }
        results = {name: _run(command, arguments.runs) for name, command in commands.items()}
        if arguments.before is not None:
            env = dict(os.environ, PYTHONPATH=str(arguments.before))
            run = "import sys; from dresskit.cli import main; sys.argv[0] = 'dresskit'; main()"
            for name, options in (
                ("before: dresskit --help", ["--help"]),
                ("before: dresskit score regiscar CASE", ["score", "regiscar", "-i", _case_file()]),
            ):
                results[name] = _run([python, "-c", run, *options], arguments.runs, env)
    interpreter = results["python -c pass"][0]
    typer_app = results["bare Typer app --help"][0]
    print(f"median of {arguments.runs} runs each (one warm-up run before each command)")
    print(
        f"{'command':38} {'wall s':>7} {'CPU s':>6} {'peak MiB':>9} {'x python':>9} "
        f"{'x Typer':>8} {'wall <= 0.3 s':>13}"
    )
    for name, (seconds, cpu, peak) in results.items():
        target = "yes" if seconds <= 0.3 else "NO"
        print(
            f"{name:38} {seconds:7.3f} {cpu:6.3f} {peak:9.1f} {seconds / interpreter:9.1f} "
            f"{seconds / typer_app:8.2f} {target:>13}"
        )


if __name__ == "__main__":
    main()
