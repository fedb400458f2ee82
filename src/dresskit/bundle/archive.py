"""Open zip containers safely: .zip bundles and .xlsx workbooks (which are zip files too).

A zip file declares its members' names, sizes and compression in headers that anyone can
forge. Before a byte is decompressed, :func:`checked_members` refuses an archive whose
directory is larger than the member cap allows, whose member count, declared total size or
per-member compression ratio exceeds :class:`ReadLimits`, or any member that is a symlink,
encrypted, compressed other than stored or deflate, named twice, or named with an absolute
path, a ``..`` component, a backslash or a drive letter. :func:`read_member` then reads a
member with a running byte cap, so that a member whose header lies about its size is stopped
at the limit rather than trusted, and a bad CRC is reported by name.

Every problem is an :class:`~dresskit.errors.InputError` naming the archive (``source``), the
member (``value``) and what is accepted; all the problems of the directory are reported
together in :class:`~dresskit.errors.InputErrors`.

References
----------
PKWARE, *APPNOTE.TXT - .ZIP File Format Specification*, version 6.3.10, sections 4.3.16
(end of central directory record), 4.4.4 (general purpose bit 0: encryption), 4.4.5
(compression method) and 4.4.17 (file names: relative, forward slashes, no drive letter).
CWE-409: Improper Handling of Highly Compressed Data (Data Amplification), "zip bombs".
CWE-22 / CWE-23: Path Traversal ("zip slip"). Python documentation, :mod:`zipfile`,
"Decompression pitfalls".
"""

from __future__ import annotations

import stat
import struct
import zipfile
import zlib
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Final

from dresskit.errors import ConfigurationError, InputError, InputErrors

__all__ = [
    "DEFAULT_MAX_ARCHIVE_MEMBERS",
    "DEFAULT_MAX_COMPRESSION_RATIO",
    "DEFAULT_MAX_INPUT_BYTES",
    "RATIO_EXEMPT_BYTES",
    "ReadLimits",
    "checked_members",
    "open_archive",
    "read_member",
]

#: Bytes of one input: a bundle's files together (folder or archive, uncompressed), a CSV file.
#: 2 GiB: four times the 486 MB benchmark bundle (10.8 M observation rows).
DEFAULT_MAX_INPUT_BYTES: Final = 2 * 1024**3
#: Members of a .zip bundle or an .xlsx workbook. A bundle has 8 files; a workbook of 8
#: sheets about 20 members.
DEFAULT_MAX_ARCHIVE_MEMBERS: Final = 1000
#: Uncompressed size / compressed size of one member. The benchmark's observations.csv
#: deflates 10.9 : 1, workbooks written by dresskit at most 12.5 : 1; zip bombs reach 1000 : 1.
DEFAULT_MAX_COMPRESSION_RATIO: Final = 100.0
#: Members of at most this many bytes (uncompressed) are not held to the ratio: however well
#: they compress, they cannot amplify into anything harmful.
RATIO_EXEMPT_BYTES: Final = 1024**2
#: Bytes of the archive's central directory allowed per member of the cap (a directory entry
#: is 46 bytes plus its name, extra field and comment).
_DIRECTORY_BYTES_PER_MEMBER: Final = 1024
_CHUNK: Final = 1024**2
_ACCEPTED_COMPRESSION: Final = {zipfile.ZIP_STORED: "stored", zipfile.ZIP_DEFLATED: "deflate"}


@dataclass(frozen=True)
class ReadLimits:
    """Caps on what one input may hold; raise them for a larger trusted input.

    Attributes
    ----------
    max_input_bytes
        Bytes of the input once uncompressed: every file of a folder bundle together, every
        member of a .zip or .xlsx together, each file or member on its own as well.
    max_archive_members
        Members of a .zip bundle or an .xlsx workbook (directories included).
    max_compression_ratio
        Uncompressed / compressed size of any member larger than :data:`RATIO_EXEMPT_BYTES`.

    Raises
    ------
    ConfigurationError
        When a limit is not positive.

    Examples
    --------
    >>> ReadLimits().max_archive_members
    1000
    >>> ReadLimits(max_input_bytes=8 * 1024**3).max_input_bytes
    8589934592
    """

    max_input_bytes: int = DEFAULT_MAX_INPUT_BYTES
    max_archive_members: int = DEFAULT_MAX_ARCHIVE_MEMBERS
    max_compression_ratio: float = DEFAULT_MAX_COMPRESSION_RATIO

    def __post_init__(self) -> None:
        for name in ("max_input_bytes", "max_archive_members", "max_compression_ratio"):
            if not getattr(self, name) > 0:
                raise ConfigurationError(f"{name} must be positive; got {getattr(self, name)!r}")

    @classmethod
    def raised(
        cls,
        *,
        max_input_bytes: int | None = None,
        max_archive_members: int | None = None,
        max_compression_ratio: float | None = None,
    ) -> ReadLimits:
        """Return the defaults with the limits given (``None`` keeps a default)."""
        defaults = cls()
        return cls(
            max_input_bytes=max_input_bytes or defaults.max_input_bytes,
            max_archive_members=max_archive_members or defaults.max_archive_members,
            max_compression_ratio=max_compression_ratio or defaults.max_compression_ratio,
        )


def _problem(source: str, member: str, expected: str) -> InputError:
    return InputError("<member>", member, expected, source=source)


def _limit_error(source: str, value: str, expected: str, option: str) -> InputErrors:
    return InputErrors(
        [
            InputError(
                "<archive>", value, f"{expected} (raise the limit with {option})", source=source
            )
        ]
    )


def _directory_record(path: Path) -> tuple[int, int] | None:
    """Return (entries, directory bytes) from the end-of-central-directory record, or None.

    Read before :class:`zipfile.ZipFile` parses the directory, so that an archive declaring
    millions of members is refused without building them (APPNOTE 4.3.16 and 4.3.14).
    """
    with path.open("rb") as file:
        file.seek(0, 2)
        size = file.tell()
        tail_size = min(size, 22 + 65535 + 20)
        file.seek(size - tail_size)
        tail = file.read(tail_size)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) < at + 22:
        return None
    entries, directory_bytes = struct.unpack("<xxxxxxxxxxHI", tail[at : at + 16])
    locator = at - 20
    zip64 = entries == 0xFFFF or directory_bytes == 0xFFFFFFFF
    if zip64 and locator >= 0 and tail[locator : locator + 4] == b"PK\x06\x07":
        # Zip64: the real counts are in the zip64 end record the locator points to.
        (offset,) = struct.unpack("<Q", tail[locator + 8 : locator + 16])
        with path.open("rb") as file:
            file.seek(offset)
            record = file.read(56)
        if record[:4] == b"PK\x06\x06" and len(record) == 56:
            entries, directory_bytes = struct.unpack("<QQ", record[32:48])
    return entries, directory_bytes


def _unsafe_name(name: str) -> str | None:
    """Why a member name is refused, or None (APPNOTE 4.4.17: relative, '/' separated)."""
    if "\\" in name:
        return "a backslash"
    if name.startswith("/"):
        return "an absolute path"
    if len(name) >= 2 and name[1] == ":" and name[0].isalpha():
        return "a drive letter"
    if ".." in PurePosixPath(name).parts:
        return "a '..' component"
    if "\x00" in name:
        return "a NUL character"
    return None


@contextmanager
def open_archive(path: Path, limits: ReadLimits, *, what: str) -> Iterator[zipfile.ZipFile]:
    """Open a zip container after checking its directory; yield it, checked.

    Parameters
    ----------
    path
        The .zip or .xlsx file.
    limits
        The caps to apply.
    what
        What the file should be, for the error when it is not a zip ("a readable .zip
        archive", "an .xlsx workbook").

    Raises
    ------
    InputErrors
        When the file is not a zip, its directory exceeds the limits, or any member is refused
        (:func:`checked_members`).
    """
    source = str(path)
    try:
        record = _directory_record(path)
    except OSError as error:
        raise InputErrors(
            [InputError("<bundle>", source, f"{what} ({error})", source=source)]
        ) from None
    if record is None:
        raise InputErrors([InputError("<bundle>", source, what, source=source)])
    entries, directory_bytes = record
    if entries > limits.max_archive_members:
        raise _limit_error(
            source,
            f"{entries} members",
            f"an archive of at most {limits.max_archive_members} members",
            "--max-archive-members",
        )
    if directory_bytes > limits.max_archive_members * _DIRECTORY_BYTES_PER_MEMBER:
        raise _limit_error(
            source,
            f"a directory of {directory_bytes} bytes",
            f"an archive directory of at most {_DIRECTORY_BYTES_PER_MEMBER} bytes per allowed "
            f"member ({limits.max_archive_members} members)",
            "--max-archive-members",
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, ValueError, EOFError):
        raise InputErrors([InputError("<bundle>", source, what, source=source)]) from None
    with archive:
        checked_members(archive, source, limits)
        yield archive


def checked_members(
    archive: zipfile.ZipFile, source: str, limits: ReadLimits
) -> list[zipfile.ZipInfo]:
    """Check every member's header; return the members, or raise every problem found.

    Raises
    ------
    InputErrors
        Too many members, declared sizes over the limits, and for each member: a name that
        is absolute, has a ``..`` component, a backslash or a drive letter; a name given
        twice; a symlink; an encrypted member; a compression other than stored or deflate.
    """
    members = archive.infolist()
    if len(members) > limits.max_archive_members:
        raise _limit_error(
            source,
            f"{len(members)} members",
            f"an archive of at most {limits.max_archive_members} members",
            "--max-archive-members",
        )
    problems: list[InputError] = []
    seen: set[str] = set()
    declared = 0
    for info in members:
        name = info.filename
        unsafe = _unsafe_name(name)
        if unsafe is not None:
            problems.append(
                _problem(
                    source,
                    name,
                    f"a relative member path inside the archive (this one has {unsafe}; "
                    "accepted: names such as bundle/patients.csv, '/' as the separator)",
                )
            )
        if name in seen:
            problems.append(_problem(source, name, "each member name once in the archive"))
        seen.add(name)
        if stat.S_ISLNK(info.external_attr >> 16):
            problems.append(_problem(source, name, "a regular file (this member is a symlink)"))
        if info.flag_bits & 0x1:
            problems.append(
                _problem(source, name, "an unencrypted member (this one is password-protected)")
            )
        if info.compress_type not in _ACCEPTED_COMPRESSION:
            problems.append(
                _problem(
                    source,
                    name,
                    f"a member compressed with stored or deflate (this one uses method "
                    f"{info.compress_type})",
                )
            )
        declared += info.file_size
        if info.file_size > RATIO_EXEMPT_BYTES and (
            info.file_size > limits.max_compression_ratio * max(info.compress_size, 1)
        ):
            problems.append(
                _problem(
                    source,
                    name,
                    f"a compression ratio of at most {limits.max_compression_ratio:g} : 1 "
                    f"(this member declares {info.file_size} bytes from {info.compress_size}; "
                    "raise the limit with --max-compression-ratio)",
                )
            )
    if declared > limits.max_input_bytes:
        problems.append(
            InputError(
                "<archive>",
                f"{declared} bytes uncompressed",
                f"at most {limits.max_input_bytes} bytes uncompressed (raise the limit with "
                "--max-input-bytes)",
                source=source,
            )
        )
    if problems:
        raise InputErrors(problems)
    return members


def read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, source: str, limits: ReadLimits, budget: int
) -> bytes:
    """Read one member with a running byte cap; never trust its header's sizes.

    Parameters
    ----------
    archive, info
        The open archive (checked by :func:`checked_members`) and the member.
    source
        The archive's path, named in every error.
    limits
        The caps (the compression ratio is checked again on the bytes actually produced).
    budget
        Bytes still allowed for this input (what :attr:`ReadLimits.max_input_bytes` leaves
        after the members read before).

    Raises
    ------
    InputErrors
        When the member produces more bytes than the budget or than the ratio allows, fails
        its CRC check, or cannot be decompressed.
    """
    name = info.filename
    chunks = []
    produced = 0
    ratio_cap = limits.max_compression_ratio * max(info.compress_size, 1)
    try:
        with archive.open(info) as member:
            while chunk := member.read(_CHUNK):
                produced += len(chunk)
                if produced > budget:
                    raise InputErrors(
                        [
                            _problem(
                                source,
                                name,
                                f"at most {limits.max_input_bytes} bytes for the whole input "
                                "once uncompressed (raise the limit with --max-input-bytes)",
                            )
                        ]
                    )
                if produced > RATIO_EXEMPT_BYTES and produced > ratio_cap:
                    raise InputErrors(
                        [
                            _problem(
                                source,
                                name,
                                f"a compression ratio of at most "
                                f"{limits.max_compression_ratio:g} : 1 (this member expands "
                                f"past {produced} bytes from {info.compress_size}; raise the "
                                "limit with --max-compression-ratio)",
                            )
                        ]
                    )
                chunks.append(chunk)
    except zipfile.BadZipFile as error:
        reason = "a bad CRC-32" if "CRC" in str(error) else str(error)
        raise InputErrors(
            [_problem(source, name, f"an intact member (this one has {reason}: a damaged file)")]
        ) from None
    except (EOFError, zlib.error, OSError, NotImplementedError, RuntimeError) as error:
        raise InputErrors(
            [_problem(source, name, f"an intact member that decompresses ({error})")]
        ) from None
    return b"".join(chunks)
