"""REDCap exchange on disk: the records CSV, its data dictionary and the manifest beside them.

REDCap has no place for the bundle's manifest (title, source, synthetic: REDCap keeps such
notes in the project settings), so the export writes it as ``manifest.csv`` (``key,value``,
as in a bundle) next to ``records.csv`` and ``data_dictionary.csv``; the import reads it when
it is there, and a round trip keeps the manifest. Records that come from REDCap itself have
no manifest file: the import then writes ``format`` and ``version`` only.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path, PurePosixPath

from dresskit.atomic import atomic_folder
from dresskit.bundle import Bundle, ReadLimits
from dresskit.bundle.reading import read_csv_text
from dresskit.bundle.schema import manifest_frame
from dresskit.errors import InputError
from dresskit.registry.redcap.exporting import redcap_export
from dresskit.registry.redcap.importing import read_redcap
from dresskit.spreadsheets import csv_bytes

__all__ = ["MANIFEST_FILE", "RECORDS_FILE", "read_redcap_files", "write_redcap_files"]

RECORDS_FILE = "records.csv"
DICTIONARY_FILE = "data_dictionary.csv"
MANIFEST_FILE = "manifest.csv"


def _redcap_file(path: PurePosixPath) -> bool:
    """Whether ``path`` (inside an export folder) is a file a REDCap export writes there."""
    names = {RECORDS_FILE, DICTIONARY_FILE, MANIFEST_FILE}
    # ".<name>.partial": left by dresskit versions that renamed file by file.
    return len(path.parts) == 1 and (
        path.name in names or path.name in {f".{name}.partial" for name in names}
    )


def write_redcap_files(
    bundle: Bundle, folder: Path, *, on_ready: Callable[[], None] | None = None
) -> list[Path]:
    """Write ``records.csv``, ``data_dictionary.csv`` and ``manifest.csv`` into ``folder``.

    The folder is written atomically (:func:`dresskit.atomic.atomic_folder`): into a
    temporary sibling, then swapped with the earlier export, so a failure or a kill leaves
    no half-written export and the earlier one as it was. A folder holding other files than
    these three is refused, never emptied. Text cells that a spreadsheet would run as a
    formula get a leading quote (:func:`dresskit.spreadsheets.csv_bytes`). ``on_ready`` is
    called once the files are written, before the folder is swapped into place (the
    export's audit record); if it raises, nothing is replaced. Returns the paths written.

    Raises
    ------
    OutputError
        When the folder cannot be written (disk full, permission denied, a file at
        ``folder``, a folder holding other files); nothing was replaced.
    """
    records, dictionary = redcap_export(bundle)
    manifest = manifest_frame(bundle.manifest)
    with atomic_folder(folder, replaceable=_redcap_file) as writer:
        written = [
            writer.write(name, csv_bytes(frame))
            for name, frame in (
                (RECORDS_FILE, records),
                (DICTIONARY_FILE, dictionary),
                (MANIFEST_FILE, manifest),
            )
        ]
        if on_ready is not None:
            on_ready()
    return [folder / path.name for path in written]


def _read_manifest(path: Path, limits: ReadLimits | None = None) -> dict[str, str]:
    frame = read_csv_text(path, str(path), limits=limits)
    if frame.columns != ["key", "value"]:
        raise InputError("header", ",".join(frame.columns), "key,value", source=str(path), row=None)
    entries: dict[str, str] = {}
    for row, (key, value) in enumerate(frame.iter_rows(), start=1):
        if not key or value is None:
            raise InputError(
                "key" if not key else "value",
                key or value,
                "a key and its value",
                source=str(path),
                row=row,
            )
        if key in entries:
            raise InputError("key", key, "each key once", source=str(path), row=row)
        entries[key] = value
    return entries


def read_redcap_files(path: Path, *, limits: ReadLimits | None = None) -> Bundle:
    """Read REDCap records (a ``records.csv`` or a folder holding one) as a validated bundle.

    A ``manifest.csv`` beside the records (written by :func:`write_redcap_files`) supplies the
    manifest entries. Both files are read as bundle files are
    (:func:`dresskit.bundle.reading.read_csv_text`): regular files only, within the size
    limit, UTF-8, every cell as text, and every row with as many fields as the header.

    Parameters
    ----------
    path
        ``records.csv``, or the folder holding it.
    limits
        Caps on the files' size (default :class:`~dresskit.bundle.ReadLimits`).

    Raises
    ------
    InputError
        When the manifest is not a ``key,value`` table with each key once.
    InputErrors
        When a file is not a regular file, over the size limit, not UTF-8, or has a ragged or
        blank row or an unterminated quoted field (each named with its 1-based data row);
        then every problem of the records, as :func:`~dresskit.registry.redcap.read_redcap`
        reports.
    """
    records_path = path / RECORDS_FILE if path.is_dir() else path
    records = read_csv_text(records_path, str(records_path), limits=limits)
    manifest_path = records_path.parent / MANIFEST_FILE
    # lexists: a link or a FIFO named manifest.csv is refused by the reader, never skipped.
    manifest = _read_manifest(manifest_path, limits) if os.path.lexists(manifest_path) else None
    return read_redcap(records, source=str(records_path), manifest=manifest)
