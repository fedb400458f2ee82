"""REDCap exchange on disk: the records CSV, its data dictionary and the manifest beside them.

REDCap has no place for the bundle's manifest (title, source, synthetic: REDCap keeps such
notes in the project settings), so the export writes it as ``manifest.csv`` (``key,value``,
as in a bundle) next to ``records.csv`` and ``data_dictionary.csv``; the import reads it when
it is there, and a round trip keeps the manifest. Records that come from REDCap itself have
no manifest file: the import then writes ``format`` and ``version`` only.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

from dresskit.bundle import Bundle
from dresskit.errors import InputError
from dresskit.registry.redcap.exporting import redcap_export
from dresskit.registry.redcap.importing import read_redcap

__all__ = ["MANIFEST_FILE", "RECORDS_FILE", "read_redcap_files", "write_redcap_files"]

RECORDS_FILE = "records.csv"
DICTIONARY_FILE = "data_dictionary.csv"
MANIFEST_FILE = "manifest.csv"


def write_redcap_files(bundle: Bundle, folder: Path) -> list[Path]:
    """Write ``records.csv``, ``data_dictionary.csv`` and ``manifest.csv`` into ``folder``.

    The files are written beside each other first under temporary names and renamed at the
    end, so a failure leaves no half-written export. Returns the paths written.
    """
    records, dictionary = redcap_export(bundle)
    manifest = pl.DataFrame(
        {"key": list(bundle.manifest), "value": list(bundle.manifest.values())},
        schema={"key": pl.Utf8, "value": pl.Utf8},
    )
    folder.mkdir(parents=True, exist_ok=True)
    written = []
    for name, frame in (
        (RECORDS_FILE, records),
        (DICTIONARY_FILE, dictionary),
        (MANIFEST_FILE, manifest),
    ):
        partial = folder / f".{name}.partial"
        frame.write_csv(partial)
        written.append((partial, folder / name))
    for partial, final in written:
        partial.replace(final)
    return [final for _, final in written]


def _read_manifest(path: Path) -> dict[str, str]:
    try:
        frame = pl.read_csv(path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as error:
        raise InputError("<file>", str(path), f"a manifest CSV ({error})") from None
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


def read_redcap_files(path: Path) -> Bundle:
    """Read REDCap records (a ``records.csv`` or a folder holding one) as a validated bundle.

    A ``manifest.csv`` beside the records (written by :func:`write_redcap_files`) supplies the
    manifest entries.

    Raises
    ------
    InputError
        When the records or the manifest file cannot be read as CSV, or the manifest is not a
        ``key,value`` table with each key once.
    InputErrors
        Every problem of the records, as :func:`~dresskit.registry.redcap.read_redcap` reports.
    """
    records_path = path / RECORDS_FILE if path.is_dir() else path
    try:
        records = pl.read_csv(records_path, infer_schema=False)
    except (OSError, pl.exceptions.PolarsError) as error:
        raise InputError("<file>", str(records_path), f"a REDCap records CSV ({error})") from None
    manifest_path = records_path.parent / MANIFEST_FILE
    manifest = _read_manifest(manifest_path) if manifest_path.is_file() else None
    return read_redcap(records, source=str(records_path), manifest=manifest)
