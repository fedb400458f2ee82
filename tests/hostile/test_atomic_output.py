"""Issue 10, class 12: reports and exports are written whole, or not at all.

A report folder, a bundle (folder, .zip, .xlsx), a FHIR .json and a REDCap folder are written
into a temporary sibling of the target and renamed into place. A kill (``kill -9``) or a full
disk leaves the earlier output byte for byte as it was, and no partial file in or beside the
target once the next run is done. A full disk is made real for one process with
``RLIMIT_FSIZE`` and SIGXFSZ ignored: a write past the limit then fails with an OSError
(EFBIG), as a write to a full disk does (ENOSPC).
"""

from __future__ import annotations

import os
import resource
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.hostile.output_bundles import DRESSKIT, EXAMPLES, assert_one_line_error
from tests.hostile.test_no_tracebacks import wait_for_sibling

SIM = str(EXAMPLES / "sim2022")
SHEN = str(EXAMPLES / "shen2024")


def snapshot(folder: Path) -> dict[str, bytes]:
    """Relative path -> bytes of every file under ``folder``."""
    return {
        path.relative_to(folder).as_posix(): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def report(out: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [DRESSKIT, "report", SHEN, "--out", str(out), "--index", "dupilumab", *extra],
        capture_output=True,
        text=True,
        check=False,
    )


def with_file_size_limit(limit: int) -> None:
    """In the child, before exec: writes past ``limit`` bytes fail (EFBIG), not kill."""
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))


def test_a_killed_report_leaves_the_earlier_report_and_the_next_run_cleans_up(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report"
    assert report(out, "--no-pdf").returncode == 0
    earlier = snapshot(out)
    child = subprocess.Popen(
        [DRESSKIT, "report", SIM, "--out", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    sibling = wait_for_sibling(tmp_path, ".report.dresskit-tmp-", child)  # type: ignore[arg-type]
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert child.returncode == -signal.SIGKILL
    assert snapshot(out) == earlier  # byte for byte
    assert sibling.exists()  # what the killed run had written, beside --out, hidden
    completed = report(out, "--no-pdf")
    assert completed.returncode == 0, completed.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report"]
    assert not [name for name in snapshot(out) if ".dresskit-" in name]


def test_a_full_disk_during_a_report_is_one_line_and_keeps_the_earlier_report(
    tmp_path: Path,
) -> None:
    out = tmp_path / "report"
    assert report(out, "--no-pdf").returncode == 0
    earlier = snapshot(out)
    completed = subprocess.run(
        [DRESSKIT, "report", SHEN, "--out", str(out), "--index", "dupilumab"],
        capture_output=True,
        text=True,
        check=False,
        preexec_fn=lambda: with_file_size_limit(100_000),
    )
    assert_one_line_error(completed, f"cannot write {out}/report.", "File too large")
    assert "nothing was replaced" in completed.stderr
    assert snapshot(out) == earlier
    assert sorted(path.name for path in tmp_path.iterdir()) == ["report"]


def test_a_full_disk_during_an_export_keeps_every_earlier_export(tmp_path: Path) -> None:
    """Bundle folder, .zip, .xlsx, FHIR .json and REDCap folder, each over an earlier one."""
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        from dresskit.atomic import OutputError
        from dresskit.bundle import read_bundle, write_bundle
        from dresskit.registry.fhir import write_fhir
        from dresskit.registry.redcap import write_redcap_files

        bundle = read_bundle({SIM!r})
        work = Path({str(tmp_path)!r})
        writers = {{
            "folder": lambda: write_bundle(bundle, work / "folder", format="folder"),
            "b.zip": lambda: write_bundle(bundle, work / "b.zip", format="zip"),
            "b.xlsx": lambda: write_bundle(bundle, work / "b.xlsx", format="xlsx"),
            "fhir.json": lambda: write_fhir(bundle, work / "fhir.json"),
            "redcap": lambda: write_redcap_files(bundle, work / "redcap"),
        }}
        if sys.argv[1] == "first":
            for write in writers.values():
                write()
        else:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
            resource.setrlimit(resource.RLIMIT_FSIZE, (2_000, 2_000))
            for name, write in writers.items():
                try:
                    write()
                except OutputError as error:
                    print(name, "|", error)
        """
    )
    first = subprocess.run(
        [sys.executable, "-c", script, "first"], capture_output=True, text=True, check=False
    )
    assert first.returncode == 0, first.stderr
    earlier = snapshot(tmp_path)
    full = subprocess.run(
        [sys.executable, "-c", script, "full"], capture_output=True, text=True, check=False
    )
    assert full.returncode == 0, full.stderr
    assert "Traceback" not in full.stderr  # no "Exception ignored" from half-written sheets
    failures = dict(line.split(" | ", 1) for line in full.stdout.splitlines())
    assert sorted(failures) == ["b.xlsx", "b.zip", "fhir.json", "folder", "redcap"]
    for name, message in failures.items():
        assert message.startswith(f"cannot write {tmp_path / name}"), message
        assert "File too large (EFBIG)" in message
    assert snapshot(tmp_path) == earlier
    assert not [path for path in tmp_path.iterdir() if ".dresskit-" in path.name]
