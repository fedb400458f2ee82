"""Keyed-hash pseudonyms and per-patient date shifts (HMAC-SHA256, RFC 2104)."""

from __future__ import annotations

import hashlib
import hmac
from typing import Literal

import polars as pl

from dresskit.errors import ConfigurationError
from dresskit.registry.deidentify.tables import (
    MAX_SHIFT_DAYS,
    OLDER_AGES,
    OLDEST_EXPORTED_AGE,
    PSEUDONYM_LENGTH,
)

__all__ = ["age_text", "pseudonym", "pseudonyms_of", "shift_days"]


def _digest(key: bytes, purpose: str, value: str) -> bytes:
    # The purpose separates uses of the key: a patient and an episode with the same id get
    # unrelated pseudonyms, and the date shift says nothing about the pseudonym.
    return hmac.new(key, f"{purpose}\x00{value}".encode(), hashlib.sha256).digest()


def pseudonym(key: bytes, kind: Literal["patient", "episode"], identifier: str) -> str:
    """Return the pseudonym of an id: HMAC-SHA256 under ``key``, first 16 hex characters.

    Examples
    --------
    >>> pseudonym(b"0123456789abcdef", "patient", "P1")
    'db1a0b1c88780003'
    """
    return _digest(key, kind, identifier).hex()[:PSEUDONYM_LENGTH]


def shift_days(key: bytes, patient_id: str) -> int:
    """Return the patient's date shift: -180..-1 or 1..180 days, derived from ``key``.

    Examples
    --------
    >>> shift_days(b"0123456789abcdef", "P1") != 0
    True
    """
    number = int.from_bytes(_digest(key, "date-shift", patient_id)[:8], "big")
    offset = number % (2 * MAX_SHIFT_DAYS)  # 0..359, equally likely up to 2**-56
    return offset - MAX_SHIFT_DAYS if offset < MAX_SHIFT_DAYS else offset - MAX_SHIFT_DAYS + 1


def pseudonyms_of(
    key: bytes, kind: Literal["patient", "episode"], ids: pl.Series
) -> dict[str, str]:
    """Return each distinct id's pseudonym; refuse a key under which two ids would share one."""
    names = {value: pseudonym(key, kind, value) for value in ids.unique().to_list()}
    if len(set(names.values())) != len(names):  # 64 bits: never expected, but never merge ids
        raise ConfigurationError(f"two {kind} ids share a pseudonym under this key; use another")
    return names


def age_text(age: pl.Expr) -> pl.Expr:
    """Return ages as text, those over 89 as the single category ``90+`` (§164.514(b)(2))."""
    return pl.when(age > OLDEST_EXPORTED_AGE).then(pl.lit(OLDER_AGES)).otherwise(age.cast(pl.Utf8))
