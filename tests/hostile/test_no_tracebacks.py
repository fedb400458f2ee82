"""Issue 10, class 11 (command line): every failure is one line and an exit code.

A domain error is one red line plus details (exit 1), a file-system error one line naming the
path (exit 1), Ctrl-C "interrupted" (exit 130), a usage error exit 2, and anything else is
reported in one line as a bug (exit 1). Arguments that would give an empty or silently
different report are refused: an empty cohort, ``--out`` that is a file, unknown
``--timeline`` episodes, an unknown ``--index``, a ``--compare`` table of another cohort.
The database cases (uninitialised, not a database, locked, PostgreSQL down) are tested with
the registry.
"""

from __future__ import annotations

import errno
import signal
import subprocess
import time
from pathlib import Path

import pytest
import typer

from dresskit.cli.common import guard
from dresskit.errors import InputError
from tests.hostile.output_bundles import (
    DRESSKIT,
    EXAMPLES,
    assert_one_line_error,
    run_dresskit,
    write_hostile_bundle,
)

SHEN = str(EXAMPLES / "shen2024")
SIM = str(EXAMPLES / "sim2022")


def test_an_empty_cohort_is_an_error(tmp_path: Path) -> None:
    bundle = write_hostile_bundle(tmp_path / "bundle", admission=False)
    out = tmp_path / "out"
    completed = run_dresskit(
        "report", str(bundle), "--out", str(out), "--index", "admission", "--no-pdf"
    )
    assert_one_line_error(completed, "'index'", "the cohort would be empty", "'admission'")
    assert not out.exists()


def test_out_that_is_a_file_is_an_error(tmp_path: Path) -> None:
    out = tmp_path / "report.html"
    out.write_text("mine", encoding="utf-8")
    completed = run_dresskit("report", SHEN, "--out", str(out), "--index", "dupilumab")
    assert_one_line_error(completed, "'--out'", str(out))
    assert out.read_text(encoding="utf-8") == "mine"


def test_out_that_holds_other_files_is_an_error_and_is_left_alone(tmp_path: Path) -> None:
    (tmp_path / "notes.txt").write_text("mine", encoding="utf-8")
    completed = run_dresskit("report", SHEN, "--out", str(tmp_path), "--index", "dupilumab")
    assert_one_line_error(completed, f"cannot write {tmp_path}", "'notes.txt'")
    assert [path.name for path in tmp_path.iterdir()] == ["notes.txt"]


def test_unknown_timeline_episodes_are_named_with_known_ones(tmp_path: Path) -> None:
    completed = run_dresskit(
        "report", SIM, "--out", str(tmp_path / "out"), "--timeline", "SIM01",
        "--timeline", "NOPE", "--timeline", "sim02",
    )  # fmt: skip
    assert_one_line_error(completed, "timeline", "['NOPE', 'sim02']", "known: SIM01, SIM02")
    assert not (tmp_path / "out").exists()


def test_an_unknown_index_names_the_agents_of_the_cohort(tmp_path: Path) -> None:
    completed = run_dresskit("report", SHEN, "--out", str(tmp_path / "out"), "--index", "dupi")
    assert_one_line_error(completed, "'index'", "'dupi'", "adalimumab, dupilumab")


def test_a_published_table_of_another_cohort_is_refused(tmp_path: Path) -> None:
    completed = run_dresskit(
        "report", SHEN, "--out", str(tmp_path / "out"), "--compare", "sim2022_table1"
    )
    assert_one_line_error(completed, "published", "not in the published table: SHEN")


def test_a_published_table_counted_from_another_day_0_is_refused(tmp_path: Path) -> None:
    completed = run_dresskit(
        "report", SIM, "--out", str(tmp_path / "out"), "--compare", "sim2022_table1",
        "--index", "steroid",
    )  # fmt: skip
    assert_one_line_error(completed, "'--compare'", "add --index ivig")


def test_a_usage_error_exits_2_without_traceback() -> None:
    completed = run_dresskit("report", SHEN, "--no-such-option")
    assert completed.returncode == 2
    assert "Traceback" not in completed.stderr
    assert "No such option" in completed.stderr


def test_ctrl_c_during_a_report_says_interrupted_and_exits_130(tmp_path: Path) -> None:
    out = tmp_path / "report"
    child = subprocess.Popen(
        [DRESSKIT, "report", SIM, "--out", str(out)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    wait_for_sibling(tmp_path, ".report.dresskit-tmp-", child)
    child.send_signal(signal.SIGINT)
    stdout, stderr = child.communicate(timeout=120)
    assert child.returncode == 130, stderr
    assert stderr.strip().splitlines() == ["interrupted"]
    assert "Traceback" not in stdout + stderr
    assert list(tmp_path.iterdir()) == []  # no report, no temporary sibling


def wait_for_sibling(folder: Path, prefix: str, child: subprocess.Popen[str]) -> Path:
    """Wait (at most two minutes) until ``child`` has made its temporary sibling."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        found = [path for path in folder.iterdir() if path.name.startswith(prefix)]
        if found:
            return found[0]
        if child.poll() is not None:
            pytest.fail(f"the command ended before writing: {child.communicate()}")
        time.sleep(0.01)
    child.kill()
    pytest.fail("no temporary sibling appeared")


# --- the guard itself (what main() and every command run inside) ------------------------------


def run_guarded(error: BaseException) -> int:
    with pytest.raises(typer.Exit) as caught, guard():
        raise error
    return caught.value.exit_code


def test_a_domain_error_is_one_red_line_and_exit_1(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_guarded(InputError("index", "[/]", "an index")) == 1
    assert capsys.readouterr().err.splitlines() == [
        "error: input: field 'index' must be an index; got '[/]'"
    ]


def test_a_file_system_error_names_the_path_and_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    error = OSError(errno.EROFS, "Read-only file system", "/mnt/ro/report")
    assert run_guarded(error) == 1
    assert capsys.readouterr().err.splitlines() == ["error: /mnt/ro/report: Read-only file system"]


def test_an_interrupt_is_interrupted_and_exit_130(capsys: pytest.CaptureFixture[str]) -> None:
    assert run_guarded(KeyboardInterrupt()) == 130
    assert capsys.readouterr().err.splitlines() == ["interrupted"]


def test_any_other_exception_is_reported_as_a_bug_in_one_line(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRESSKIT_DEBUG", raising=False)
    assert run_guarded(ValueError("bad \x1b[2Jvalue [/]")) == 1
    lines = capsys.readouterr().err.splitlines()
    assert lines[0] == "internal error (a bug in dresskit): ValueError: bad value [/]"
    assert "DRESSKIT_DEBUG=1" in lines[1]
    assert len(lines) == 2


def test_a_click_usage_error_from_a_command_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    click = pytest.importorskip("click")
    assert run_guarded(click.UsageError("--dates applies only with --deidentify")) == 2
    assert capsys.readouterr().err.splitlines() == ["Error: --dates applies only with --deidentify"]


def test_dresskit_debug_shows_the_traceback(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DRESSKIT_DEBUG", "1")
    with pytest.raises(KeyError), guard():
        raise KeyError("column")
