"""A fingerprint of each episode's content, to tell an unchanged episode from a changed one.

The fingerprint is SHA-256 over the episode's own row, its patient's row and every row of its
drug exposures, assessments, observations, findings and treatments, written as the bundle's
text (canonical units, ISO dates, ``HH:MM`` times) in the order the bundle holds them. Two
validated bundles give an episode the same fingerprint exactly when they hold the same data
for it, whatever file format, unit or spelling they came in (validation has made those
canonical). The registry stores it, so that re-importing an identical bundle writes nothing and
keeps every version number.

References
----------
.. [1] FIPS 180-4, Secure Hash Standard (SHA-256).
"""

from __future__ import annotations

import hashlib
from typing import Final

import polars as pl

from dresskit.bundle.schema import TABLES
from dresskit.bundle.validation import Bundle
from dresskit.bundle.writing import as_text

__all__ = ["FINGERPRINT_VERSION", "episode_fingerprints"]

#: Changes when the way fingerprints are computed changes (stored with each fingerprint).
FINGERPRINT_VERSION: Final = "1"

#: Separators that text cells cannot hold (validation refuses control characters): field,
#: row, table, and the mark of an empty cell.
_FIELD, _ROW, _TABLE, _EMPTY = "\x1f", "\x1e", "\x1d", "\x00"
_CHILD_TABLES: Final = (
    "drug_exposures",
    "drug_assessments",
    "observations",
    "findings",
    "treatments",
)


def _lines(frame: pl.DataFrame, table: str, key: str) -> pl.DataFrame:
    """One text line per row (every declared column, empty cells marked), joined per key."""
    columns = [column.name for column in TABLES[table]]
    text = as_text(frame.select(columns)).with_columns(pl.all().fill_null(_EMPTY))
    return (
        text.select(
            pl.col(key).alias("__key"),
            pl.concat_str(columns, separator=_FIELD).alias("__line"),
        )
        .group_by("__key", maintain_order=True)
        .agg(pl.col("__line").str.join(_ROW))
    )


def episode_fingerprints(bundle: Bundle) -> dict[str, str]:
    """Return each episode's fingerprint: ``FINGERPRINT_VERSION:`` and 64 hex characters.

    Parameters
    ----------
    bundle
        A validated bundle.

    Returns
    -------
    dict
        Episode id -> fingerprint, for every episode of the bundle.

    Examples
    --------
    >>> from pathlib import Path
    >>> import dresskit
    >>> from dresskit.bundle import read_bundle
    >>> examples = Path(dresskit.__file__).parents[2] / "examples"  # in a source checkout
    >>> fingerprints = episode_fingerprints(read_bundle(examples / "shen2024"))
    >>> list(fingerprints), len(fingerprints["SHEN"])
    (['SHEN'], 66)
    """
    episodes = _lines(bundle.episodes, "episodes", "episode_id")
    patients = dict(_lines(bundle.patients, "patients", "patient_id").iter_rows())
    children = {
        name: dict(_lines(getattr(bundle, name), name, "episode_id").iter_rows())
        for name in _CHILD_TABLES
    }
    patient_of = dict(bundle.episodes.select("episode_id", "patient_id").iter_rows())
    fingerprints: dict[str, str] = {}
    for episode_id, line in episodes.iter_rows():
        digest = hashlib.sha256()
        digest.update(f"episodes{_TABLE}{line}".encode())
        patient = patients.get(patient_of[episode_id], "")  # always there once validated
        digest.update(f"{_TABLE}patients{_TABLE}{patient}".encode())
        for name in _CHILD_TABLES:
            digest.update(f"{_TABLE}{name}{_TABLE}{children[name].get(episode_id, '')}".encode())
        fingerprints[episode_id] = f"{FINGERPRINT_VERSION}:{digest.hexdigest()}"
    return fingerprints
