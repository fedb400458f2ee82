"""Culprit ranking: every drug of an episode by latency window, notoriety and Naranjo.

This ranks and explains; it does not name a culprit. The clinician decides.

Latency (days from a drug's first dose to reaction onset, clinical-reference.md §6.2, §10):
14-56 *typical*; 1-13 *rapid-onset, compatible*; 57-90 *compatible, late*; > 90 or started on
or after the onset day *unlikely*; no start date *unknown*. (A soft window: rapid-onset DRESS
within 15 days is described, mostly with antibiotics and contrast media; J-SCAR asks > 3 weeks.)

Ranking rule, in order: suspect before concomitant; latency window (typical, rapid-onset,
late, unknown, unlikely); notoriety (high, reported, not listed); Naranjo total when assessed
(higher first, not assessed last); latency closest to 28 days (the median of Sim et al. 2022).

References
----------
.. [1] clinical-reference.md §6.2 (latency, recurrent culprits: sources S28, S31, S32, S33;
   confidence B) and §10 ("Culprit latency").
.. [2] Naranjo CA et al. Clin Pharmacol Ther. 1981;30:239-245.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from dresskit.course.model import DrugExposure, DrugRole, PatientCourse
from dresskit.scoring import ScoreResult, naranjo

__all__ = [
    "NOTORIETY",
    "CulpritAssessment",
    "LatencyWindows",
    "Notoriety",
    "latency_window",
    "notoriety_of",
    "rank_culprits",
]


@dataclass(frozen=True)
class Notoriety:
    """A drug's entry in the bundled notoriety list."""

    drug: str
    drug_class: str
    level: str  # "high" (recurrent DRESS culprit) or "reported"
    sources: tuple[str, ...]


def _entries(level: str, rows: list[tuple[str, str, tuple[str, ...]]]) -> list[Notoriety]:
    return [Notoriety(drug, drug_class, level, sources) for drug, drug_class, sources in rows]


#: Drugs recurrently associated with DRESS (clinical-reference.md §6.2; confidence B: a seed
#: list, not validated ALDEN-style weights). Source tags resolve in clinical-reference.md §12.
NOTORIETY: Final[Mapping[str, Notoriety]] = {
    entry.drug: entry
    for entry in _entries(
        "high",
        [
            ("allopurinol", "xanthine oxidase inhibitor", ("S28", "S31", "S32")),
            ("carbamazepine", "aromatic anticonvulsant", ("S28", "S32")),
            ("lamotrigine", "aromatic anticonvulsant", ("S28", "S32")),
            ("phenytoin", "aromatic anticonvulsant", ("S28", "S32")),
            ("phenobarbital", "aromatic anticonvulsant", ("S28",)),
            ("oxcarbazepine", "aromatic anticonvulsant", ("S28",)),
            ("sulfasalazine", "sulfonamide", ("S28", "S32")),
            ("trimethoprim-sulfamethoxazole", "sulfonamide antibiotic", ("S28", "S31")),
            ("sulfamethoxazole", "sulfonamide antibiotic", ("S31",)),
            ("dapsone", "sulfone", ("S28", "S32")),
            ("vancomycin", "glycopeptide antibiotic", ("S31", "S33")),
            ("minocycline", "tetracycline antibiotic", ("S28",)),
            ("isoniazid", "antituberculosis drug", ("S31",)),
            ("rifampicin", "antituberculosis drug", ("S31",)),
            ("ethambutol", "antituberculosis drug", ("S31",)),
            ("pyrazinamide", "antituberculosis drug", ("S31",)),
            ("nevirapine", "antiretroviral", ("S28",)),
            ("abacavir", "antiretroviral", ("S28",)),
        ],
    )
    + _entries(
        "reported",
        [
            ("naproxen", "NSAID", ("S28",)),
            ("ibuprofen", "NSAID", ("S28",)),
            ("celecoxib", "NSAID", ("S28",)),
        ],
    )
}

_WINDOW_ORDER: Final = (
    "typical",
    "rapid-onset, compatible",
    "compatible, late",
    "unknown",
    "unlikely",
)
_NOTORIETY_ORDER: Final = {"high": 0, "reported": 1}


@dataclass(frozen=True)
class LatencyWindows:
    """Latency windows in days (defaults: clinical-reference.md §10)."""

    typical: tuple[int, int] = (14, 56)
    rapid: tuple[int, int] = (1, 13)
    late: tuple[int, int] = (57, 90)
    reference_days: int = 28


def latency_window(latency_days: int | None, windows: LatencyWindows = LatencyWindows()) -> str:
    """Return the latency window of a drug (clinical-reference.md §10).

    Examples
    --------
    >>> [latency_window(d) for d in (None, 0, 1, 13, 14, 56, 57, 90, 91)]
    ['unknown', 'unlikely', 'rapid-onset, compatible', 'rapid-onset, compatible', 'typical', 'typical', 'compatible, late', 'compatible, late', 'unlikely']
    """  # noqa: E501
    if latency_days is None:
        return "unknown"
    for name, (low, high) in (
        ("typical", windows.typical),
        ("rapid-onset, compatible", windows.rapid),
        ("compatible, late", windows.late),
    ):
        if low <= latency_days <= high:
            return name
    return "unlikely"


def notoriety_of(drug: str) -> Notoriety | None:
    """Look a drug up in :data:`NOTORIETY` (case and spacing ignored); ``None`` if not listed.

    Not listed means not in this seed list, never "safe".
    """
    return NOTORIETY.get(" ".join(drug.lower().split()))


@dataclass(frozen=True)
class CulpritAssessment:
    """One drug, ranked and explained."""

    rank: int
    drug: str
    role: str
    latency_days: int | None
    window: str
    notoriety: Notoriety | None
    naranjo: ScoreResult | None
    explanation: str


def _explain(
    exposure: DrugExposure,
    latency: int | None,
    window: str,
    listed: Notoriety | None,
    result: ScoreResult | None,
    windows: LatencyWindows,
) -> str:
    parts = [f"{exposure.role.value}"]
    if latency is None:
        parts.append("start date unknown: latency unknown")
    elif latency <= 0:
        parts.append("started on or after the onset day: unlikely")
    else:
        low, high = windows.typical
        parts.append(
            f"started {latency} days before onset: {window} "
            f"(typical DRESS window {low}-{high} d, clinical-reference.md §10)"
        )
    if listed is None:
        parts.append("not in the notoriety list (which is not a list of safe drugs)")
    else:
        parts.append(
            f"{listed.level}-notoriety {listed.drug_class} "
            f"({', '.join(listed.sources)}, clinical-reference.md §6.2)"
        )
    if result is None:
        parts.append("Naranjo not assessed")
    else:
        parts.append(f"Naranjo {result.total} {result.classification}")
    return "; ".join(parts)


def rank_culprits(
    course: PatientCourse, *, windows: LatencyWindows = LatencyWindows()
) -> tuple[CulpritAssessment, ...]:
    """Rank every drug of the episode and explain each rank (rule in the module docstring)."""
    rows = []
    for exposure in course.drugs:
        latency = None if exposure.start is None else (course.episode.onset - exposure.start).days
        window = latency_window(latency, windows)
        listed = notoriety_of(exposure.drug)
        result = (
            naranjo.score(dict(exposure.naranjo) | {"drug": exposure.drug})
            if (exposure.naranjo is not None)
            else None
        )
        key = (
            0 if exposure.role is DrugRole.SUSPECT else 1,
            _WINDOW_ORDER.index(window),
            _NOTORIETY_ORDER.get(listed.level, 2) if listed else 2,
            -(result.total or 0) if result is not None else 99,
            abs((latency if latency is not None else 10**6) - windows.reference_days),
            exposure.drug,
        )
        rows.append((key, exposure, latency, window, listed, result))
    rows.sort(key=lambda row: row[0])
    return tuple(
        CulpritAssessment(
            rank=position,
            drug=exposure.drug,
            role=exposure.role.value,
            latency_days=latency,
            window=window,
            notoriety=listed,
            naranjo=result,
            explanation=_explain(exposure, latency, window, listed, result, windows),
        )
        for position, (_, exposure, latency, window, listed, result) in enumerate(rows, start=1)
    )
