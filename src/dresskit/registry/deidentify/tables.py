"""The de-identified export's tables, its date modes and its constants."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final, Literal

import polars as pl

from dresskit.bundle.schema import (
    manifest_frame,
)

__all__ = [
    "FORMAT_NAME",
    "MAX_SHIFT_DAYS",
    "MINIMUM_KEY_BYTES",
    "OLDER_AGES",
    "OLDEST_EXPORTED_AGE",
    "PSEUDONYM_LENGTH",
    "DateMode",
    "DeidentifiedTables",
]

DateMode = Literal["relative", "shifted"]

#: Length of a pseudonym (hex characters of HMAC-SHA256): 64 bits, no collision in practice.
PSEUDONYM_LENGTH: Final = 16
#: Shortest key accepted: a short key could be found by trying keys against known ids.
MINIMUM_KEY_BYTES: Final = 16
#: Largest date shift, days (either way).
MAX_SHIFT_DAYS: Final = 180
#: Oldest age exported as a number; older ages are "90+" (§164.514(b)(2)(i)(C)).
OLDEST_EXPORTED_AGE: Final = 89
OLDER_AGES: Final = "90+"
FORMAT_NAME: Final = "dresskit-deidentified"


@dataclass(frozen=True)
class DeidentifiedTables:
    """A de-identified export: tables, manifest and the text documenting the method.

    Attributes
    ----------
    patients, episodes, drug_exposures, drug_assessments, observations, findings, treatments
        The tables (see :func:`deidentify` for their columns).
    manifest
        ``format`` (``dresskit-deidentified``), ``version`` (of the bundle format),
        ``dates`` (``relative`` or ``shifted``), ``synthetic`` when the bundle said so.
    method
        What was done, in words, for the export's README.
    """

    patients: pl.DataFrame
    episodes: pl.DataFrame
    drug_exposures: pl.DataFrame
    drug_assessments: pl.DataFrame
    observations: pl.DataFrame
    findings: pl.DataFrame
    treatments: pl.DataFrame
    manifest: Mapping[str, str]
    method: str

    def tables(self) -> dict[str, pl.DataFrame]:
        """Return the tables by file stem, manifest included."""
        return {
            "manifest": manifest_frame(self.manifest),
            "patients": self.patients,
            "episodes": self.episodes,
            "drug_exposures": self.drug_exposures,
            "drug_assessments": self.drug_assessments,
            "observations": self.observations,
            "findings": self.findings,
            "treatments": self.treatments,
        }
