"""Write a de-identified export: spreadsheet-safe CSV tables and a README, atomically."""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable
from pathlib import Path

import polars as pl

from dresskit.atomic import atomic_file, atomic_folder
from dresskit.registry.deidentify.tables import DeidentifiedTables
from dresskit.spreadsheets import csv_bytes

__all__ = ["write_deidentified"]


def _files(tables: DeidentifiedTables) -> dict[str, bytes]:
    """Every file of the export: one spreadsheet-safe CSV per table, and ``README.md``."""
    files = {
        f"{name}.csv": csv_bytes(
            frame.with_columns(
                [pl.col(c).dt.strftime("%H:%M") for c, t in frame.schema.items() if t == pl.Time]
            )
        )
        for name, frame in tables.tables().items()
    }
    files["README.md"] = tables.method.encode("utf-8")
    return files


def write_deidentified(
    tables: DeidentifiedTables,
    target: str | Path,
    *,
    on_ready: Callable[[], None] | None = None,
) -> Path:
    """Write the export as CSV files plus ``README.md``: a folder, or a ``.zip`` of them.

    The files are written atomically (:mod:`dresskit.atomic`): all of them appear, or none,
    and an earlier export at ``target`` stays as it was when writing fails. Text cells are
    spreadsheet-safe (:func:`dresskit.spreadsheets.csv_bytes`).

    Parameters
    ----------
    tables
        The result of :func:`deidentify`.
    target
        A folder (created; an earlier export there is replaced whole, a folder holding
        anything else is refused) or a path ending in ``.zip``.
    on_ready
        Called once every byte is written in the temporary sibling, before it is renamed
        into place (the export's audit record): if it raises, nothing is replaced.

    Returns
    -------
    pathlib.Path
        The folder or the .zip file.

    Raises
    ------
    OutputError
        When the target cannot be written (nothing was changed).

    References
    ----------
    .. [1] 45 CFR §164.514(b)(2) (Safe Harbor); the README documents the method applied.
    """
    path = Path(target)
    files = _files(tables)
    if path.suffix.lower() == ".zip":
        buffer = io.BytesIO()
        with zipfile.ZipFile(buffer, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, data in files.items():
                archive.writestr(name, data)
        with atomic_file(path) as handle:
            handle.write(buffer.getvalue())
            if on_ready is not None:
                on_ready()
        return path
    with atomic_folder(path, replaceable=lambda name: str(name) in files) as folder:
        for name, data in files.items():
            folder.write(name, data)
        if on_ready is not None:
            on_ready()
    return path
