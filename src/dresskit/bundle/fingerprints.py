"""A fingerprint of each episode's content, to tell an unchanged episode from a changed one.

The fingerprint is SHA-256 over the episode's own row, its patient's row and every row of its
drug exposures, assessments, observations, findings and treatments, in the order the bundle
holds them. Each cell enters as a fixed-width word (a date's day number, a time's
nanoseconds, a number's IEEE 754 bits, a text's first 8 bytes of SHA-256) plus whether it is
empty, so the fingerprint depends on the values only, never on how a file wrote them: two
validated bundles give an episode the same fingerprint exactly when they hold the same data for
it, whatever file format, unit or spelling they came in (validation made those canonical).
The registry stores it, so that re-importing an identical bundle writes nothing and keeps every
version number.

Words are computed column-wise on whole tables and hashed a slice of rows at a time, so ten
million observation rows take about a second and no text copy of them.

References
----------
.. [1] FIPS 180-4, Secure Hash Standard (SHA-256).
.. [2] IEEE 754-2008, binary64 (the bits of a number).
"""

from __future__ import annotations

import hashlib
from typing import Any, Final

import numpy as np
import polars as pl

from dresskit.bundle.schema import TABLES
from dresskit.bundle.validation import Bundle

__all__ = ["FINGERPRINT_VERSION", "episode_fingerprints"]

#: Changes when the way fingerprints are computed changes (stored with each fingerprint).
FINGERPRINT_VERSION: Final = "1"

_CHILD_TABLES: Final = (
    "drug_exposures",
    "drug_assessments",
    "observations",
    "findings",
    "treatments",
)
#: Rows hashed at a time (bounds the memory of the words of ten million rows).
_CHUNK_ROWS: Final = 1_000_000


def _text_word(text: str) -> int:
    return int.from_bytes(hashlib.sha256(text.encode("utf-8")).digest()[:8], "little")


def _words(column: pl.Series) -> np.ndarray[Any, np.dtype[np.uint64]]:
    """Return one 64-bit word per cell: the value's bits, or a text's hash; 0 when empty."""
    dtype = column.dtype
    if isinstance(dtype, pl.Enum):
        # A look-up by the code's position: one word per category, gathered.
        table = np.array([_text_word(c) for c in dtype.categories.to_list()] + [0], np.uint64)
        positions = column.to_physical().cast(pl.Int64).fill_null(len(table) - 1).to_numpy()
        found: np.ndarray[Any, np.dtype[np.uint64]] = table[positions]
        return found
    if dtype == pl.Utf8 or isinstance(dtype, pl.Categorical):
        text = column.cast(pl.Utf8)
        words = {value: _text_word(value) for value in text.drop_nulls().unique().to_list()}
        coded = text.replace_strict(words, default=0, return_dtype=pl.UInt64)
        return coded.fill_null(0).to_numpy().astype(np.uint64, copy=False)
    if dtype.is_float():
        values = column.cast(pl.Float64).fill_null(0.0).to_numpy()
        return np.ascontiguousarray(values).view(np.uint64)
    physical = column.to_physical().cast(pl.Int64).fill_null(0).to_numpy()
    return np.ascontiguousarray(physical).view(np.uint64)


def _parts(frame: pl.DataFrame, columns: list[str]) -> list[np.ndarray[Any, np.dtype[Any]]]:
    """Return each column's words, then each column's empty flags (one byte a cell)."""
    words = [_words(frame.get_column(name)) for name in columns]
    flags = [frame.get_column(name).is_null().to_numpy().astype(np.uint8) for name in columns]
    return [*words, *flags]


def _update_by_key(
    hashes: dict[str, Any], frame: pl.DataFrame, table: str, key: str, owners: list[str]
) -> None:
    """Feed each owner's rows of ``frame`` (in file order) to ``hashes[owner]``.

    Rows are numbered by their owner (``key``); a file whose rows come grouped by owner (as
    files usually do) is hashed in place, one slice of rows at a time; otherwise the rows are
    put in owner order first (a stable sort keeps each owner's file order). Each column of a
    run of rows is one contiguous block, fed to the hash as it is.
    """
    # The key itself is not hashed: every row of an owner's part has the same one.
    columns = [column.name for column in TABLES[table] if column.name != key]
    if frame.height == 0:
        return
    numbers = (
        frame.get_column(key)
        .cast(pl.Utf8)
        .cast(pl.Enum(owners), strict=False)
        .to_physical()
        .cast(pl.Int64)
        .fill_null(-1)
        .to_numpy()
    )
    starts = np.flatnonzero(np.diff(numbers)) + 1
    grouped = len(starts) + 1 == len(np.unique(numbers))
    order = None if grouped else np.argsort(numbers, kind="stable")
    for start in range(0, frame.height, _CHUNK_ROWS):
        if order is None:
            chunk = frame.slice(start, _CHUNK_ROWS)
            owner_of = numbers[start : start + _CHUNK_ROWS]
        else:
            rows = order[start : start + _CHUNK_ROWS]
            chunk = frame[rows]
            owner_of = numbers[rows]
        parts = _parts(chunk, columns)
        bounds = np.flatnonzero(np.diff(owner_of)) + 1
        firsts = np.concatenate(([0], bounds)).tolist()
        lasts = np.concatenate((bounds, [len(owner_of)])).tolist()
        for first, last in zip(firsts, lasts, strict=True):
            number = int(owner_of[first])
            if number < 0:
                continue  # a row of no known owner (never, once validated)
            digest = hashes[owners[number]]
            for part in parts:
                digest.update(part[first:last].data)


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
    episode_ids = [str(e) for e in bundle.episodes.get_column("episode_id").to_list()]
    hashes: dict[str, Any] = {episode: hashlib.sha256(b"episodes") for episode in episode_ids}
    _update_by_key(hashes, bundle.episodes, "episodes", "episode_id", episode_ids)
    # The patient's row: hashed once per patient, fed to each of its episodes.
    patients: dict[str, Any] = {
        str(p): hashlib.sha256() for p in bundle.patients.get_column("patient_id").to_list()
    }
    _update_by_key(patients, bundle.patients, "patients", "patient_id", list(patients))
    for episode, patient in bundle.episodes.select("episode_id", "patient_id").iter_rows():
        hashes[episode].update(b"\x00patients")
        if patient in patients:  # always, once validated
            hashes[episode].update(patients[patient].digest())
    for name in _CHILD_TABLES:
        for digest in hashes.values():
            digest.update(b"\x00" + name.encode())
        _update_by_key(hashes, getattr(bundle, name), name, "episode_id", episode_ids)
    return {
        episode: f"{FINGERPRINT_VERSION}:{digest.hexdigest()}" for episode, digest in hashes.items()
    }
