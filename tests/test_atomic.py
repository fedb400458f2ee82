"""dresskit.atomic: files and folders appear whole or not at all; leftovers are cleaned up."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path, PurePosixPath

import pytest

from dresskit.atomic import (
    OutputError,
    atomic_file,
    atomic_folder,
    clean_stale_siblings,
    write_file,
)
from dresskit.atomic import _swap_in as swap_in  # the fallback without RENAME_EXCHANGE


def everything(folder: Path) -> dict[str, bytes]:
    """Relative path -> content of every file under ``folder`` (hidden ones included)."""
    return {
        str(path.relative_to(folder)): path.read_bytes()
        for path in sorted(folder.rglob("*"))
        if path.is_file()
    }


def txt_files(path: PurePosixPath) -> bool:
    return path.suffix == ".txt"


@pytest.fixture
def dead_pid() -> int:
    """The id of a process that has ended (and been reaped)."""
    child = subprocess.Popen([sys.executable, "-c", "pass"])
    child.wait()
    return child.pid


def test_a_file_replaces_the_earlier_one_and_leaves_no_sibling(tmp_path: Path) -> None:
    target = tmp_path / "export.json"
    target.write_bytes(b"earlier")
    assert write_file(target, b"new") == target
    assert everything(tmp_path) == {"export.json": b"new"}


def write_file_then_fail(target: Path, error: BaseException) -> None:
    with atomic_file(target) as handle:
        handle.write(b"partial")
        raise error


def write_folder_then_fail(out: Path, error: BaseException) -> None:
    with atomic_folder(out, replaceable=txt_files) as folder:
        folder.write("a.txt", b"new")
        raise error


def write_folder(out: Path) -> None:
    with atomic_folder(out, replaceable=txt_files) as folder:
        folder.write("a.txt", b"new")


def test_an_error_while_writing_a_file_keeps_the_earlier_one(tmp_path: Path) -> None:
    target = tmp_path / "export.zip"
    target.write_bytes(b"earlier")
    with pytest.raises(RuntimeError, match="half way"):
        write_file_then_fail(target, RuntimeError("half way"))
    assert everything(tmp_path) == {"export.zip": b"earlier"}


def test_a_folder_where_a_file_is_needed_is_refused(tmp_path: Path) -> None:
    (tmp_path / "x.xlsx").mkdir()
    with pytest.raises(OutputError, match="it is a folder"):
        write_file(tmp_path / "x.xlsx", b"data")


def test_a_missing_parent_folder_is_created(tmp_path: Path) -> None:
    write_file(tmp_path / "a" / "b" / "c.csv", b"1")
    assert (tmp_path / "a" / "b" / "c.csv").read_bytes() == b"1"


def test_a_folder_is_swapped_whole(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with atomic_folder(out, replaceable=txt_files) as folder:
        folder.write("a.txt", b"first")
        folder.write("tables/old.txt", b"first")
    with atomic_folder(out, replaceable=txt_files) as folder:
        folder.write("a.txt", b"second")
        folder.write("figures/b.txt", b"second")
    assert everything(tmp_path) == {
        "report/a.txt": b"second",
        "report/figures/b.txt": b"second",
    }


def test_an_error_while_writing_a_folder_keeps_the_earlier_folder(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with atomic_folder(out, replaceable=txt_files) as folder:
        folder.write("a.txt", b"earlier")
    with pytest.raises(ValueError, match="rendering failed"):
        write_folder_then_fail(out, ValueError("rendering failed"))
    assert everything(tmp_path) == {"report/a.txt": b"earlier"}


def test_an_interrupt_keeps_the_earlier_folder_and_no_sibling(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with atomic_folder(out, replaceable=txt_files) as folder:
        folder.write("a.txt", b"earlier")
    with pytest.raises(KeyboardInterrupt):
        write_folder_then_fail(out, KeyboardInterrupt())
    assert everything(tmp_path) == {"report/a.txt": b"earlier"}


def test_the_temporary_sibling_exists_while_the_folder_is_written(tmp_path: Path) -> None:
    out = tmp_path / "report"
    with atomic_folder(out, replaceable=txt_files) as folder:
        siblings = [path.name for path in tmp_path.iterdir()]
        assert siblings == [folder.staging.name]
        assert folder.staging.name.startswith(f".report.dresskit-tmp-{os.getpid()}-")
        assert not out.exists()


def test_a_folder_holding_other_files_is_refused_and_left_untouched(tmp_path: Path) -> None:
    out = tmp_path / "documents"
    out.mkdir()
    (out / "notes.docx").write_bytes(b"mine")
    (out / "a.txt").write_bytes(b"old")
    with pytest.raises(OutputError, match=r"it holds 'notes\.docx'"):
        write_folder(out)
    assert everything(tmp_path) == {"documents/a.txt": b"old", "documents/notes.docx": b"mine"}


def test_file_manager_clutter_does_not_block_a_new_report(tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.mkdir()
    (out / ".DS_Store").write_bytes(b"finder")
    with atomic_folder(out, replaceable=txt_files) as folder:
        folder.write("a.txt", b"new")
    assert everything(tmp_path) == {"report/a.txt": b"new"}


def test_a_file_where_a_folder_is_needed_is_refused(tmp_path: Path) -> None:
    out = tmp_path / "report"
    out.write_bytes(b"a file")
    with pytest.raises(OutputError, match="it is a file"):
        write_folder(out)
    assert out.read_bytes() == b"a file"


@pytest.mark.parametrize(
    "name", ["../x.txt", "/etc/x.txt", ".hidden.txt", "a/../b.txt", "", "a//b", "a b.txt", "é.txt"]
)
def test_a_file_name_dresskit_would_not_choose_is_refused(tmp_path: Path, name: str) -> None:
    with (
        atomic_folder(tmp_path / "out", replaceable=txt_files) as folder,
        pytest.raises(ValueError, match="not a file name dresskit chooses"),
    ):
        folder.write(name, b"x")
    assert everything(tmp_path) == {}


def test_siblings_of_dead_processes_are_removed_by_the_next_write(
    tmp_path: Path, dead_pid: int
) -> None:
    stale_folder = tmp_path / f".report.dresskit-tmp-{dead_pid}-0123abcd"
    stale_folder.mkdir()
    (stale_folder / "a.txt").write_bytes(b"half")
    stale_file = tmp_path / f".export.zip.dresskit-tmp-{dead_pid}-89abcdef"
    stale_file.write_bytes(b"half")
    with atomic_folder(tmp_path / "report", replaceable=txt_files) as folder:
        folder.write("a.txt", b"whole")
    write_file(tmp_path / "export.zip", b"whole")
    assert everything(tmp_path) == {"export.zip": b"whole", "report/a.txt": b"whole"}


def test_siblings_of_running_processes_are_kept(tmp_path: Path) -> None:
    running = tmp_path / f".report.dresskit-tmp-{os.getppid()}-0123abcd"
    running.mkdir()
    assert clean_stale_siblings(tmp_path / "report") == []
    assert running.is_dir()


def test_siblings_of_another_target_are_not_touched(tmp_path: Path, dead_pid: int) -> None:
    other = tmp_path / f".report2.dresskit-tmp-{dead_pid}-0123abcd"
    other.mkdir()
    assert clean_stale_siblings(tmp_path / "report") == []
    assert other.is_dir()


def test_a_swap_cut_between_its_renames_is_repaired(tmp_path: Path, dead_pid: int) -> None:
    earlier = tmp_path / f".report.dresskit-old-{dead_pid}-0123abcd"
    earlier.mkdir()
    (earlier / "a.txt").write_bytes(b"earlier")
    assert clean_stale_siblings(tmp_path / "report") == [earlier]
    assert everything(tmp_path) == {"report/a.txt": b"earlier"}


def test_the_swap_without_rename_exchange_gives_the_same_folder(tmp_path: Path) -> None:
    final = tmp_path / "report"
    final.mkdir()
    (final / "a.txt").write_bytes(b"earlier")
    staging = tmp_path / "staging"
    staging.mkdir()
    (staging / "a.txt").write_bytes(b"new")
    swap_in(staging, final, exchange=False)
    assert everything(tmp_path) == {"report/a.txt": b"new"}


def test_a_long_target_name_gets_a_short_sibling_name(tmp_path: Path) -> None:
    out = tmp_path / ("r" * 200)
    with atomic_folder(out, replaceable=txt_files) as folder:
        assert len(folder.staging.name) < 150
        folder.write("a.txt", b"1")
    assert everything(tmp_path) == {f"{'r' * 200}/a.txt": b"1"}


def test_a_full_disk_is_an_error_naming_the_target_and_keeps_the_earlier_file(
    tmp_path: Path,
) -> None:
    """RLIMIT_FSIZE with SIGXFSZ ignored makes a write past the limit fail (EFBIG), as a full
    disk does (ENOSPC): both are an OSError from write()."""
    target = tmp_path / "export.json"
    target.write_bytes(b"earlier")
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (50_000, 50_000))
        from dresskit.atomic import OutputError, write_file
        try:
            write_file({str(target)!r}, b"x" * 200_000)
        except OutputError as error:
            print(error)
            sys.exit(1)
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=False
    )
    assert completed.returncode == 1, completed.stderr
    assert completed.stdout.startswith(f"cannot write {target}: File too large (EFBIG)")
    assert "unchanged" in completed.stdout
    assert everything(tmp_path) == {"export.json": b"earlier"}


def test_public_names_are_pinned() -> None:
    import dresskit.atomic as module

    assert module.__all__ == [
        "FolderWriter",
        "OutputError",
        "atomic_file",
        "atomic_folder",
        "clean_stale_siblings",
        "write_file",
    ]
