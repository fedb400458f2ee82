"""Atomic output: a file or folder dresskit writes appears whole, or not at all.

Reports (a folder of files) and exports (a bundle folder, .zip or .xlsx, a FHIR .json, a
REDCap folder, a de-identified export) are written into a *temporary sibling* of the target
(same folder, hence the same file system), flushed to disk, and renamed into place:

- a file replaces the earlier one with one ``rename`` (POSIX: atomic);
- a folder is swapped with the earlier one in one ``renameat2(RENAME_EXCHANGE)`` on Linux;
  elsewhere (or on a file system without it) the earlier folder is renamed aside first, and
  a run cut between the two renames is repaired by the next write (the earlier folder is
  put back);
- a failure (disk full, permission denied, an error while rendering) or a kill leaves the
  earlier output as it was and nothing under the target's name that is half written;
- temporary siblings are named ``.<name>.dresskit-tmp-<pid>-<token>`` (and
  ``...-old-...`` while a folder is swapped): those of processes that no longer run are
  removed by the next write to the same target.

A folder is only replaced when everything in it is what dresskit writes there (the caller
says what that is): ``--out ~/Documents`` is refused, never emptied. Every failure is an
:class:`OutputError` naming the path and the reason.

This module imports nothing from dresskit's layered packages: every layer may use it.

References
----------
.. [1] IEEE Std 1003.1-2017 (POSIX), rename(): "If the link named by the new argument exists,
   it shall be removed and old renamed to new ... a link named new shall remain visible to
   other threads throughout the renaming operation".
.. [2] Linux man-pages, rename(2): ``renameat2`` with ``RENAME_EXCHANGE`` (Linux 3.15).
.. [3] Pillai TS et al. All File Systems Are Not Created Equal: On the Complexity of
   Crafting Crash-Consistent Applications. OSDI 2014 (fsync the file before the rename and
   the folder after it).
.. [4] CWE-377: Insecure Temporary File (temporary names are created exclusively, never
   reused).
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import re
import secrets
import shutil
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import BinaryIO, Final, Literal

from dresskit.errors import DresskitError

__all__ = [
    "FolderWriter",
    "OutputError",
    "atomic_file",
    "atomic_folder",
    "clean_stale_siblings",
    "write_file",
]

#: Names that file managers drop into any folder they show; replacing them loses nothing.
_SYSTEM_CLUTTER: Final = frozenset({".DS_Store", "Thumbs.db", "desktop.ini"})
_SIBLING_MARK: Final = ".dresskit-"
_SIBLING_TAIL: Final = re.compile(r"(tmp|old)-([0-9]{1,10})-[0-9a-f]{8}")
#: One part of a relative path inside a written folder: chosen by dresskit, never from data.
_SAFE_PART: Final = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,99}")
#: Said with every write failure: the earlier output was not touched.
_UNCHANGED: Final = " (nothing was replaced: the earlier output, if any, is unchanged)"
#: Longest target name kept whole in a sibling's name (a file name has at most 255 bytes).
_NAME_LIMIT: Final = 100


class OutputError(DresskitError):
    """A file or folder that could not be written; the earlier one (if any) is unchanged.

    Parameters
    ----------
    path
        The file or folder that was to be written (the target, never a temporary name).
    reason
        Why, in words (``"No space left on device"``, ``"it is a file"``).
    """

    def __init__(self, path: Path, reason: str) -> None:
        self.path = path
        self.reason = reason
        super().__init__(f"cannot write {path}: {reason}")


def _reason(error: OSError) -> str:
    name = errno.errorcode.get(error.errno or 0)
    text = error.strerror or str(error)
    return f"{text} ({name})" if name else text


def _is_write_failure(error: OSError, final: Path, *temporary: Path) -> bool:
    """Whether ``error``, raised while an output was written, is that output's failure.

    A failed write to an open file names no file (a full disk, a file size limit); a failure
    on the target or its temporary sibling names them. An error naming another file (one the
    caller reads) or a closed pipe (the terminal went away) is the caller's own.
    """
    if error.errno == errno.EPIPE:
        return False
    names = {None, str(final), str(final.parent), *(str(path) for path in temporary)}
    return error.filename in names


def _target(path: str | Path) -> Path:
    """Return the absolute target, through a symbolic link at its end."""
    target = Path(os.path.abspath(path))
    return target.resolve() if target.is_symlink() else target


def _prefix(target: Path) -> str:
    name = target.name
    if len(name) > _NAME_LIMIT:
        digest = hashlib.sha256(os.fsencode(name)).hexdigest()[:12]
        name = f"{name[: _NAME_LIMIT - 13]}~{digest}"
    return f".{name}{_SIBLING_MARK}"


def _sibling(target: Path, kind: Literal["tmp", "old"]) -> Path:
    return target.with_name(f"{_prefix(target)}{kind}-{os.getpid()}-{secrets.token_hex(4)}")


def _running(pid: int) -> bool:
    """Whether process ``pid`` still runs (not knowing counts as running: nothing is removed)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill(pid, 0) would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, OSError):
        return True
    return True


def _remove(path: Path) -> None:
    try:
        if path.is_dir() and not path.is_symlink():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    except OSError:
        pass  # a leftover temporary sibling harms nothing; the next write tries again


def _fsync_folder(folder: Path) -> None:
    """Flush a folder's entries (the rename) to disk.

    Best effort: some file systems (network ones) cannot, and the rename has happened.
    """
    if os.name != "posix":
        return
    with contextlib.suppress(OSError):
        descriptor = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(descriptor)
        finally:
            os.close(descriptor)


def clean_stale_siblings(target: str | Path) -> list[Path]:
    """Remove the temporary siblings of ``target`` left by processes that no longer run.

    A folder swap cut between its two renames (only where ``RENAME_EXCHANGE`` is missing)
    leaves the earlier folder as an ``old`` sibling and no target: it is put back.

    Parameters
    ----------
    target
        The file or folder written atomically.

    Returns
    -------
    list of Path
        The siblings removed (or put back).
    """
    final = _target(target)
    prefix = _prefix(final)
    try:
        names = os.listdir(final.parent)
    except OSError:
        return []
    stale_old = []
    cleaned = []
    for name in sorted(names):
        if not name.startswith(prefix):
            continue
        match = _SIBLING_TAIL.fullmatch(name[len(prefix) :])
        if match is None or _running(int(match[2])):
            continue
        sibling = final.parent / name
        if match[1] == "old":
            stale_old.append(sibling)
        else:
            _remove(sibling)
            cleaned.append(sibling)
    for sibling in stale_old:
        if not os.path.lexists(final):
            try:
                os.rename(sibling, final)
            except OSError:
                continue
        else:
            _remove(sibling)
        cleaned.append(sibling)
    return cleaned


def _prepare(final: Path, *, folder: bool) -> None:
    if folder and final.exists() and not final.is_dir():
        raise OutputError(final, "it is a file, and a folder is needed (nothing was changed)")
    if not folder and final.is_dir():
        raise OutputError(final, "it is a folder, and a file is needed (nothing was changed)")
    try:
        final.parent.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise OutputError(final.parent, _reason(error)) from None
    clean_stale_siblings(final)


@contextmanager
def atomic_file(target: str | Path) -> Iterator[BinaryIO]:
    """Write one file atomically: yield a binary file to write, then rename it into place.

    Parameters
    ----------
    target
        The file to write (its folder is created when missing). An existing file is
        replaced only when everything was written.

    Yields
    ------
    BinaryIO
        An open binary file, in a temporary sibling of ``target``.

    Raises
    ------
    OutputError
        When ``target`` is a folder, or writing fails (disk full, permission denied,
        read-only file system): the message names ``target``; the earlier file is unchanged
        and the temporary sibling removed. An exception from the caller's block also
        removes the temporary sibling and leaves the earlier file unchanged.

    References
    ----------
    .. [1] POSIX rename(); Pillai et al., OSDI 2014 (see the module docstring).

    Examples
    --------
    >>> import tempfile
    >>> folder = Path(tempfile.mkdtemp())
    >>> with atomic_file(folder / "a.txt") as handle:
    ...     _ = handle.write(b"whole")
    >>> (folder / "a.txt").read_bytes(), sorted(p.name for p in folder.iterdir())
    (b'whole', ['a.txt'])
    """
    final = _target(target)
    _prepare(final, folder=False)
    temporary = _sibling(final, "tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    except OSError as error:
        raise OutputError(final, _reason(error)) from None
    try:
        with os.fdopen(descriptor, "wb") as handle:
            yield handle
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temporary, final)
        _fsync_folder(final.parent)
    except OSError as error:
        _remove(temporary)
        if not _is_write_failure(error, final, temporary):
            raise  # another file of the caller's (a file it reads, say): not this output
        raise OutputError(final, _reason(error) + _UNCHANGED) from None
    except BaseException:
        _remove(temporary)
        raise


def write_file(target: str | Path, data: bytes) -> Path:
    """Write ``data`` to ``target`` atomically (see :func:`atomic_file`); return the path.

    Raises
    ------
    OutputError
        When ``target`` is a folder or writing fails; the earlier file is unchanged.
    """
    with atomic_file(target) as handle:
        handle.write(data)
    return _target(target)


class FolderWriter:
    """The files of a folder being written atomically (see :func:`atomic_folder`).

    Files go into a temporary sibling of the target; they appear under the target only
    when the ``with`` block of :func:`atomic_folder` ends without an error.
    """

    def __init__(self, target: Path, staging: Path) -> None:
        self.target = target
        self.staging = staging
        self._folders: set[Path] = {staging}
        self.written: list[PurePosixPath] = []

    def write(self, relative: str, data: bytes) -> Path:
        """Write one file at ``relative`` (``"tables/baseline.csv"``); return its final path.

        Parameters
        ----------
        relative
            A path chosen by dresskit: ``/``-separated parts of ASCII letters, digits, ``.``,
            ``_`` and ``-``, each beginning with a letter or digit (never absolute, never
            ``..``, never a value from the data).
        data
            The file's bytes.

        Raises
        ------
        ValueError
            When ``relative`` is not such a path (a bug in the caller, not a user error).
        OutputError
            When writing fails; the message names the file under the target.
        """
        parts = tuple(relative.split("/"))
        if any(_SAFE_PART.fullmatch(part) is None for part in parts):
            raise ValueError(f"not a file name dresskit chooses: {relative!r}")
        destination = self.staging.joinpath(*parts)
        final = self.target.joinpath(*parts)
        try:
            for depth in range(1, len(parts)):
                folder = self.staging.joinpath(*parts[:depth])
                if folder not in self._folders:
                    folder.mkdir(exist_ok=True)
                    self._folders.add(folder)
            descriptor = os.open(destination, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o666)
            with os.fdopen(descriptor, "wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            raise OutputError(final, _reason(error) + _UNCHANGED) from None
        self.written.append(PurePosixPath(*parts))
        return final

    def _sync(self) -> None:
        for folder in sorted(self._folders, key=lambda path: len(path.parts), reverse=True):
            _fsync_folder(folder)


def _foreign_entry(target: Path, replaceable: Callable[[PurePosixPath], bool]) -> str | None:
    """Return the first entry of ``target`` that dresskit did not write there, if any."""
    for root, folders, files in os.walk(target):
        folders.sort()
        for name in sorted(files):
            relative = PurePosixPath(Path(root).relative_to(target).as_posix(), name)
            if name in _SYSTEM_CLUTTER or name.startswith("._"):
                continue
            if not replaceable(relative):
                return str(relative)
        for name in folders:
            if Path(root, name).is_symlink():
                return str(PurePosixPath(Path(root).relative_to(target).as_posix(), name))
    return None


def _exchange(first: Path, second: Path) -> bool:
    """Swap two paths in one step with Linux's ``renameat2(RENAME_EXCHANGE)``.

    Returns ``False`` where the system or the file system does not offer it.
    """
    if sys.platform != "linux":
        return False
    import ctypes

    try:
        libc = ctypes.CDLL(None, use_errno=True)
        renameat2 = libc.renameat2
    except (OSError, AttributeError):
        return False
    renameat2.argtypes = [
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_int,
        ctypes.c_char_p,
        ctypes.c_uint,
    ]
    renameat2.restype = ctypes.c_int
    at_current_folder, rename_exchange = -100, 2  # AT_FDCWD, RENAME_EXCHANGE (linux/fcntl.h)
    result: int = renameat2(
        at_current_folder,
        os.fsencode(first),
        at_current_folder,
        os.fsencode(second),
        rename_exchange,
    )
    if result == 0:
        return True
    code = ctypes.get_errno()
    if code in (errno.EINVAL, errno.ENOSYS, errno.EOPNOTSUPP, errno.ENOTSUP):
        return False
    raise OSError(code, os.strerror(code), str(second))


def _swap_in(staging: Path, final: Path, *, exchange: bool = True) -> None:
    """Put the finished ``staging`` folder at ``final``; remove the earlier ``final``."""
    if not os.path.lexists(final):
        os.rename(staging, final)
    elif exchange and _exchange(staging, final):
        _remove(staging)  # it now holds the earlier folder
    else:
        earlier = _sibling(final, "old")
        os.rename(final, earlier)
        try:
            os.rename(staging, final)
        except BaseException:
            os.rename(earlier, final)
            raise
        _remove(earlier)
    _fsync_folder(final.parent)


@contextmanager
def atomic_folder(
    target: str | Path,
    *,
    replaceable: Callable[[PurePosixPath], bool],
) -> Iterator[FolderWriter]:
    """Write a folder atomically: yield a writer, then swap the finished folder into place.

    The temporary sibling is made on entry, so its existence shows that a write is under
    way; the target is replaced only when the ``with`` block ends without an error.

    Parameters
    ----------
    target
        The folder to write. It may be missing, empty, or hold only files that
        ``replaceable`` accepts (what dresskit writes there); it is then replaced whole.
    replaceable
        Whether an existing file (its path relative to ``target``) is one dresskit writes
        there. File-manager clutter (``.DS_Store``, ``Thumbs.db``, ``desktop.ini``,
        ``._*``) is always replaceable.

    Yields
    ------
    FolderWriter
        Call :meth:`FolderWriter.write` for each file.

    Raises
    ------
    OutputError
        When ``target`` is a file, holds a file dresskit did not write there (it names the
        first one), or writing or the final rename fails: nothing was changed. An exception
        from the caller's block (a ``KeyboardInterrupt`` included) removes the temporary
        sibling and leaves the target unchanged.

    References
    ----------
    .. [1] POSIX rename(); Linux rename(2) ``RENAME_EXCHANGE`` (see the module docstring).

    Examples
    --------
    >>> import tempfile
    >>> out = Path(tempfile.mkdtemp()) / "report"
    >>> with atomic_folder(out, replaceable=lambda path: path.suffix == ".txt") as folder:
    ...     _ = folder.write("tables/a.txt", b"1")
    >>> sorted(str(p.relative_to(out)) for p in out.rglob("*"))
    ['tables', 'tables/a.txt']
    """
    final = _target(target)
    _prepare(final, folder=True)
    if final.is_dir():
        foreign = _foreign_entry(final, replaceable)
        if foreign is not None:
            raise OutputError(
                final,
                f"it holds {foreign!r}, which dresskit did not write there; choose a new or "
                "empty folder (nothing was changed)",
            )
    staging = _sibling(final, "tmp")
    try:
        staging.mkdir()
    except OSError as error:
        raise OutputError(final, _reason(error)) from None
    writer = FolderWriter(final, staging)
    try:
        yield writer
    except OSError as error:
        _remove(staging)
        if not _is_write_failure(error, final):
            raise  # the caller's own (a file it reads, say): as it is
        raise OutputError(final, _reason(error) + _UNCHANGED) from None
    except BaseException:
        _remove(staging)
        raise
    try:
        writer._sync()
        _swap_in(staging, final)
    except OSError as error:
        _remove(staging)
        raise OutputError(final, _reason(error) + _UNCHANGED) from None
    except BaseException:
        _remove(staging)
        raise
