"""Write bundle files: a folder of CSV, a .zip of it, or an .xlsx workbook.

Values are written as the bundle's text (dates ISO, times HH:MM) in their canonical units, so
a written bundle reads back equal. Every file is written atomically (:mod:`dresskit.atomic`:
a temporary sibling renamed into place, so a failure leaves the earlier file or folder as it
was) and spreadsheet-safe (:mod:`dresskit.spreadsheets`: no text cell runs as a formula).
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable
from pathlib import Path, PurePosixPath
from typing import Literal

import polars as pl

from dresskit.atomic import atomic_file, atomic_folder
from dresskit.bundle.columns import decimal_texts
from dresskit.bundle.schema import TABLES, manifest_frame
from dresskit.bundle.validation import Bundle
from dresskit.errors import InputError
from dresskit.spreadsheets import csv_bytes, xlsx_bytes

__all__ = ["BundleFormat", "as_text", "write_bundle"]

BundleFormat = Literal["folder", "zip", "xlsx"]


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as the bundle's text: dates ISO, times HH:MM, numbers as written."""
    return frame.select(
        [
            pl.col(name).dt.strftime("%H:%M").alias(name)
            if dtype == pl.Time
            # Numbers in plain decimals (never 1e-06), as the reader accepts them.
            else pl.col(name).map_batches(decimal_texts, return_dtype=pl.Utf8).alias(name)
            if dtype.is_float()
            else pl.col(name).cast(pl.Utf8).alias(name)
            for name, dtype in frame.schema.items()
        ]
    )


def _tables(bundle: Bundle) -> dict[str, pl.DataFrame]:
    manifest = manifest_frame(bundle.manifest)
    frames = {
        "manifest": manifest,
        "patients": bundle.patients,
        "episodes": bundle.episodes,
        "drug_exposures": bundle.drug_exposures,
        "drug_assessments": bundle.drug_assessments,
        "observations": bundle.observations,
        "findings": bundle.findings,
        "treatments": bundle.treatments,
    }
    return {
        name: as_text(frame.select([c.name for c in TABLES[name]]))
        for name, frame in frames.items()
    }


def _bundle_file(path: PurePosixPath) -> bool:
    """Whether ``path`` (inside a bundle folder) is a table file a bundle export writes."""
    return len(path.parts) == 1 and path.suffix == ".csv" and path.stem in TABLES


def write_bundle(
    bundle: Bundle,
    path: str | Path,
    *,
    format: BundleFormat = "folder",
    on_ready: Callable[[], None] | None = None,
) -> Path:
    """Write a bundle as a folder of CSV, a .zip, or an .xlsx workbook; return the path.

    Values are written in their canonical units (so a written bundle reads back equal).

    Parameters
    ----------
    bundle
        A validated bundle.
    path
        The folder, .zip or .xlsx file to write. An existing one is replaced only once the new
        one is complete; an existing folder only when it holds nothing but bundle tables.
    format
        ``"folder"`` (one CSV per table), ``"zip"`` (those CSV in a .zip) or ``"xlsx"`` (one
        sheet per table).
    on_ready
        Called once every byte is written in the temporary sibling, before it is renamed
        into place (the export's audit record): if it raises, nothing is replaced.

    Returns
    -------
    Path
        The path written.

    Raises
    ------
    OutputError
        When the target cannot be written (disk full, permission denied, a file where a
        folder is needed, a folder holding other files): nothing was replaced.
    InputError
        When a text cannot be held by an .xlsx cell (a control character): the sheet, row and
        column are named.

    References
    ----------
    .. [1] OWASP Foundation. CSV Injection (text cells that begin with ``=``, ``+``, ``-``,
       ``@``, tab or carriage return are quoted in CSV, written as text in XLSX).
    .. [2] POSIX rename() (atomic replacement); see :mod:`dresskit.atomic`.
    """
    if format not in ("folder", "zip", "xlsx"):
        raise InputError("format", format, "folder, zip or xlsx")
    tables = _tables(bundle)
    ready = on_ready or (lambda: None)
    if format == "folder":
        with atomic_folder(path, replaceable=_bundle_file) as folder:
            for name, frame in tables.items():
                folder.write(f"{name}.csv", csv_bytes(frame))
            ready()
    elif format == "zip":
        with atomic_file(path) as handle:
            with zipfile.ZipFile(handle, "w", compression=zipfile.ZIP_DEFLATED) as archive:
                for name, frame in tables.items():
                    archive.writestr(f"{name}.csv", csv_bytes(frame))
            ready()
    else:
        with atomic_file(path) as handle:
            # Made inside: openpyxl's own temporary files fail on a full disk too.
            handle.write(xlsx_bytes(tables))
            ready()
    return Path(path)
