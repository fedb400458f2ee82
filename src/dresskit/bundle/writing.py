"""Write bundle files: a folder of CSV, a .zip of it, or an .xlsx workbook.

Values are written as the bundle's text (dates ISO, times HH:MM) in their canonical units, so
a written bundle reads back equal.
"""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Literal

import polars as pl

from dresskit.bundle.schema import TABLES
from dresskit.bundle.validation import Bundle

__all__ = ["BundleFormat", "as_text", "write_bundle"]

BundleFormat = Literal["folder", "zip", "xlsx"]


def as_text(frame: pl.DataFrame) -> pl.DataFrame:
    """Every column as the bundle's text: dates ISO, times HH:MM, numbers as written."""
    return frame.select(
        [
            pl.col(name).dt.strftime("%H:%M").alias(name)
            if dtype == pl.Time
            else pl.col(name).cast(pl.Utf8).alias(name)
            for name, dtype in frame.schema.items()
        ]
    )


def _tables(bundle: Bundle) -> dict[str, pl.DataFrame]:
    manifest = pl.DataFrame(
        {"key": list(bundle.manifest), "value": list(bundle.manifest.values())},
        schema={"key": pl.Utf8, "value": pl.Utf8},
    )
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


def write_bundle(bundle: Bundle, path: str | Path, *, format: BundleFormat = "folder") -> Path:
    """Write a bundle as a folder of CSV, a .zip, or an .xlsx workbook; return the path.

    Values are written in their canonical units (so a written bundle reads back equal).
    """
    target = Path(path)
    tables = _tables(bundle)
    if format == "folder":
        target.mkdir(parents=True, exist_ok=True)
        for name, frame in tables.items():
            frame.write_csv(target / f"{name}.csv")
    elif format == "zip":
        with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            for name, frame in tables.items():
                buffer = io.BytesIO()
                frame.write_csv(buffer)
                archive.writestr(f"{name}.csv", buffer.getvalue())
    else:
        from openpyxl import Workbook

        workbook = Workbook(write_only=True)
        for name, frame in tables.items():
            sheet = workbook.create_sheet(name)
            sheet.append(frame.columns)
            for row in frame.iter_rows():
                sheet.append(list(row))
        workbook.save(target)
    return target
