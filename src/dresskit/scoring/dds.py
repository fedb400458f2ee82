"""DiHS/DRESS severity score (DDS; Mizukawa 2019).

Eleven items, each banded; total < 1 mild, 1-3 moderate, >= 4 severe. In the derivation
cohort (55 patients) scores >= 4 were associated with later cytomegalovirus disease and
complications. The score grades severity; it does not diagnose.

Bands (as reproduced by the HOKUTO calculator page [2]; clinical-reference.md §7.1):

- age: < 40 y -> -1; 40-74 y -> 0; >= 75 y -> +2
- days the suspect drug was continued after onset: <= 6 -> 0; >= 7 -> +1
- allopurinol as the culprit: +2; steroid pulse therapy given: +2
- erythema: < 70 % BSA -> 0; >= 70 % -> +1; erythroderma -> +2
- erosions: < 10 % BSA -> 0; 10-29 % -> +1; >= 30 % -> +2
- days of fever >= 38.5 °C: <= 1 -> 0; 2-6 -> +1; >= 7 -> +2
- days with food intake <= 70 % of usual: <= 4 -> 0; >= 5 -> +1
- creatinine: < 1.0 mg/dL -> 0; 1.0-2.0 mg/dL -> **not verified** (0, +1 or +2 reachable);
  >= 2.1 mg/dL (read as > 2.0) or dialysis -> +3
- ALT: < 400 U/L -> 0; 400-1 000 -> +1; > 1 000 -> +2
- CRP: <= 2 mg/dL -> -1; > 2 and < 10 -> 0; 10 to < 15 -> +1; >= 15 -> +2

**The creatinine 1.0-2.0 mg/dL band.** The only reproduction we could read drops its points
(clinical-reference.md §7.1, confidence C) and the primary table could not be retrieved here.
dresskit does not guess: by default a creatinine in that band leaves the item *undetermined*
(0 counted now; 0, +1 and +2 all reachable, said in the reason and the remarks). Until the
primary table is verified no value between 0 and +2 is excluded: the band lies between the
0 band and the +3 band, and the reproductions disagree on whether it scores at all. A team
that has checked Mizukawa 2019 passes ``creatinine_mid_band_points`` to score it.

References
----------
.. [1] Mizukawa Y, Hirahara K, Kano Y, Shiohara T. Drug-induced hypersensitivity
   syndrome/drug reaction with eosinophilia and systemic symptoms severity score: a useful
   tool for assessing disease severity and predicting fatal cytomegalovirus disease. J Am Acad
   Dermatol. 2019;80(3):670-678.e2.
.. [2] HOKUTO clinical calculator, DIHS/DRESS severity (Japanese); clinical-reference.md §7.1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import Field

from dresskit.errors import InputError, InputErrors
from dresskit.scoring._items import (
    Citation,
    ItemResult,
    ScoreResult,
    band,
    reachable_additive_totals,
    signed,
)
from dresskit.scoring._validation import StrictInput, parse_input
from dresskit.units import convert

__all__ = [
    "CLASSES",
    "ITEMS",
    "REFERENCE",
    "Creatinine",
    "CrpValue",
    "DdsInput",
    "Erythema",
    "classify",
    "score",
]

Unknown = Literal["unknown"]
AnswerText = Literal["yes", "no", "unknown"]

ITEMS: Final[Mapping[str, str]] = {
    "age_years": "Age",
    "days_drug_continued_after_onset": "Days the suspect drug was continued after onset",
    "allopurinol": "Allopurinol as the culprit",
    "steroid_pulse": "Steroid pulse therapy given",
    "erythema": "Erythema extent",
    "erosions_bsa_pct": "Erosions (% BSA)",
    "fever_days": "Days of fever >= 38.5 °C",
    "low_intake_days": "Days with food intake <= 70 % of usual",
    "creatinine": "Serum creatinine",
    "alt_u_per_l": "ALT",
    "crp": "C-reactive protein",
}

#: Classes with the lowest total of each (Mizukawa 2019; reference §7.1).
CLASSES: Final[tuple[tuple[str, int], ...]] = (("mild", -2), ("moderate", 1), ("severe", 4))

#: Points each item can take (for the reachable range of an unknown item).
_ITEM_POINTS: Final[Mapping[str, tuple[int, ...]]] = {
    "age_years": (-1, 0, 2),
    "days_drug_continued_after_onset": (0, 1),
    "allopurinol": (0, 2),
    "steroid_pulse": (0, 2),
    "erythema": (0, 1, 2),
    "erosions_bsa_pct": (0, 1, 2),
    "fever_days": (0, 1, 2),
    "low_intake_days": (0, 1),
    "creatinine": (0, 1, 2, 3),
    "alt_u_per_l": (0, 1, 2),
    "crp": (-1, 0, 1, 2),
}

#: Points the unverified creatinine 1.0-2.0 mg/dL band could take: 0, +1 or +2 until the
#: primary table (Mizukawa 2019) is verified (clinical-reference.md §7.1, §11; issue 11).
_CREATININE_MID_BAND_ALTERNATIVES: Final = (0, 1, 2)

REFERENCE: Final = Citation(
    text=(
        "Mizukawa Y, Hirahara K, Kano Y, Shiohara T. Drug-induced hypersensitivity "
        "syndrome/drug reaction with eosinophilia and systemic symptoms severity score. J Am "
        "Acad Dermatol. 2019;80(3):670-678.e2."
    ),
    section="clinical-reference.md §7.1",
    notes=(
        "Creatinine 1.0-2.0 mg/dL: points not verified against the primary table; left "
        "undetermined (0, +1 or +2 reachable) unless creatinine_mid_band_points is given.",
        "Creatinine above 2.0 and below 2.1 mg/dL is scored in the top band (values are "
        "reported to 0.1 mg/dL).",
    ),
)


class Erythema(StrictInput):
    """Erythema extent in % BSA, or erythroderma."""

    bsa_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    erythroderma: bool = False


class Creatinine(StrictInput):
    """Serum creatinine with its UCUM unit (``mg/dL`` or ``umol/L``), or dialysis."""

    value: Annotated[float, Field(ge=0)] | None = None
    unit: Literal["mg/dL", "umol/L"] | None = None
    dialysis: bool = False


class CrpValue(StrictInput):
    """C-reactive protein with its UCUM unit (``mg/dL`` or ``mg/L``)."""

    value: Annotated[float, Field(ge=0)]
    unit: Literal["mg/dL", "mg/L"]


def _f(text: str) -> object:
    return Field(json_schema_extra={"accepted": text})


class DdsInput(StrictInput):
    """The eleven DDS items (every key required; ``"unknown"`` when not known)."""

    age_years: Annotated[
        Annotated[int, Field(ge=0, le=120)] | Unknown, _f("years 0-120 or 'unknown'")
    ]
    days_drug_continued_after_onset: Annotated[
        Annotated[int, Field(ge=0)] | Unknown, _f("whole days >= 0 or 'unknown'")
    ]
    allopurinol: Annotated[AnswerText, _f("'yes', 'no' or 'unknown'")]
    steroid_pulse: Annotated[AnswerText, _f("'yes', 'no' or 'unknown'")]
    erythema: Annotated[
        Erythema | Unknown, _f("{'bsa_pct': p} or {'erythroderma': true}, or 'unknown'")
    ]
    erosions_bsa_pct: Annotated[
        Annotated[float, Field(ge=0, le=100)] | Unknown, _f("% BSA 0-100 or 'unknown'")
    ]
    fever_days: Annotated[Annotated[int, Field(ge=0)] | Unknown, _f("whole days or 'unknown'")]
    low_intake_days: Annotated[Annotated[int, Field(ge=0)] | Unknown, _f("whole days or 'unknown'")]
    creatinine: Annotated[
        Creatinine | Unknown,
        _f("{'value': v, 'unit': 'mg/dL' or 'umol/L'} or {'dialysis': true}, or 'unknown'"),
    ]
    alt_u_per_l: Annotated[Annotated[float, Field(ge=0)] | Unknown, _f("U/L >= 0 or 'unknown'")]
    crp: Annotated[CrpValue | Unknown, _f("{'value': v, 'unit': 'mg/dL' or 'mg/L'}, or 'unknown'")]


@dataclass(frozen=True)
class _Band:
    points: int | None  # None: the band's points are not verified (undetermined)
    answer: str
    reason: str
    evidence: tuple[str, ...] = ()


def classify(total: int) -> str:
    """Return the DDS class (< 1 mild, 1-3 moderate, >= 4 severe; Mizukawa 2019).

    Examples
    --------
    >>> [classify(total) for total in (0, 1, 3, 4)]
    ['mild', 'moderate', 'moderate', 'severe']
    """
    return band(total, CLASSES)


def _age(years: int) -> _Band:
    if years < 40:
        return _Band(-1, f"{years} y", f"{years} y < 40: -1")
    if years < 75:
        return _Band(0, f"{years} y", f"{years} y in 40-74: 0")
    return _Band(2, f"{years} y", f"{years} y >= 75: +2")


def _days(days: int, cut: int, low: str, high: str) -> _Band:
    if days <= cut:
        return _Band(0, f"{days} d", f"{days} d ({low}): 0")
    return _Band(1, f"{days} d", f"{days} d ({high}): +1")


def _yes(answer: str, what: str) -> _Band:
    return _Band(
        2 if answer == "yes" else 0, answer, f"{what} {answer}: {'+2' if answer == 'yes' else '0'}"
    )


def _erythema(value: Erythema) -> _Band:
    if value.erythroderma:
        return _Band(2, "erythroderma", "erythroderma: +2")
    if value.bsa_pct is None:
        raise InputError("erythema", value.model_dump(), "bsa_pct or erythroderma true")
    if value.bsa_pct >= 70:
        return _Band(1, f"{value.bsa_pct:g} %", f"{value.bsa_pct:g} % BSA >= 70: +1")
    return _Band(0, f"{value.bsa_pct:g} %", f"{value.bsa_pct:g} % BSA < 70: 0")


def _erosions(pct: float) -> _Band:
    if pct >= 30:
        return _Band(2, f"{pct:g} %", f"{pct:g} % BSA >= 30: +2")
    if pct >= 10:
        return _Band(1, f"{pct:g} %", f"{pct:g} % BSA in 10-29: +1")
    return _Band(0, f"{pct:g} %", f"{pct:g} % BSA < 10: 0")


def _fever(days: int) -> _Band:
    if days >= 7:
        return _Band(2, f"{days} d", f"{days} d >= 7: +2")
    if days >= 2:
        return _Band(1, f"{days} d", f"{days} d in 2-6: +1")
    return _Band(0, f"{days} d", f"{days} d <= 1: 0")


def _creatinine(value: Creatinine, mid_band_points: int | None) -> _Band:
    if value.dialysis:
        return _Band(3, "dialysis", "dialysis: +3")
    if value.value is None or value.unit is None:
        raise InputError("creatinine", value.model_dump(), "value and unit, or dialysis true")
    accepted = {"mg/dL": "milligram / deciliter", "umol/L": "micromole / liter"}
    # Creatinine molar mass 113.12 g/mol (PubChem CID 588): 88.4 µmol/L = 1 mg/dL.
    mg_dl = convert(
        value.value,
        value.unit,
        accepted=accepted,
        target="mg / dL",
        field="creatinine.value",
        molar_mass_g_per_mol=113.12,
    )
    evidence = (f"creatinine = {value.value:g} {value.unit} ({mg_dl:g} mg/dL)",)
    if mg_dl < 1.0:
        return _Band(0, f"{mg_dl:g} mg/dL", f"{mg_dl:g} mg/dL < 1.0: 0", evidence)
    if mg_dl <= 2.0:
        if mid_band_points is None:
            return _Band(
                None,
                f"{mg_dl:g} mg/dL",
                f"{mg_dl:g} mg/dL in 1.0-2.0: band points not verified against "
                "Mizukawa 2019; undetermined (0, +1 or +2)",
                evidence,
            )
        return _Band(
            mid_band_points,
            f"{mg_dl:g} mg/dL",
            f"{mg_dl:g} mg/dL in 1.0-2.0: {signed(mid_band_points)} (as configured)",
            evidence,
        )
    return _Band(3, f"{mg_dl:g} mg/dL", f"{mg_dl:g} mg/dL >= 2.1: +3", evidence)


def _alt(units: float) -> _Band:
    if units > 1000:
        return _Band(2, f"{units:g} U/L", f"{units:g} U/L > 1 000: +2")
    if units >= 400:
        return _Band(1, f"{units:g} U/L", f"{units:g} U/L in 400-1 000: +1")
    return _Band(0, f"{units:g} U/L", f"{units:g} U/L < 400: 0")


def _crp(value: CrpValue) -> _Band:
    accepted = {"mg/dL": "milligram / deciliter", "mg/L": "milligram / liter"}
    mg_dl = convert(value.value, value.unit, accepted=accepted, target="mg / dL", field="crp.value")
    evidence = (f"CRP = {value.value:g} {value.unit} ({mg_dl:g} mg/dL)",)
    if mg_dl >= 15:
        return _Band(2, f"{mg_dl:g} mg/dL", f"{mg_dl:g} mg/dL >= 15: +2", evidence)
    if mg_dl >= 10:
        return _Band(1, f"{mg_dl:g} mg/dL", f"{mg_dl:g} mg/dL in 10-<15: +1", evidence)
    if mg_dl > 2:
        return _Band(0, f"{mg_dl:g} mg/dL", f"{mg_dl:g} mg/dL in >2-<10: 0", evidence)
    return _Band(-1, f"{mg_dl:g} mg/dL", f"{mg_dl:g} mg/dL <= 2: -1", evidence)


def _band(item_id: str, value: object, mid_band_points: int | None) -> _Band:
    """Dispatch one known item value to its banding rule."""
    match item_id, value:
        case "age_years", int(years):
            return _age(years)
        case "days_drug_continued_after_onset", int(days):
            return _days(days, 6, "<= 6", ">= 7")
        case "allopurinol" | "steroid_pulse", str(answer):
            return _yes(answer, item_id.replace("_", " "))
        case "erythema", Erythema():
            return _erythema(value)
        case "erosions_bsa_pct", int() | float():
            return _erosions(float(value))
        case "fever_days", int(days):
            return _fever(days)
        case "low_intake_days", int(days):
            return _days(days, 4, "<= 4", ">= 5")
        case "creatinine", Creatinine():
            return _creatinine(value, mid_band_points)
        case "alt_u_per_l", int() | float():
            return _alt(float(value))
        case "crp", CrpValue():
            return _crp(value)
    raise AssertionError(f"no band rule for {item_id}={value!r}")  # the input model forbids it


def score(
    answers: DdsInput | Mapping[str, object],
    *,
    source: str | None = None,
    creatinine_mid_band_points: Literal[0, 1, 2] | None = None,
) -> ScoreResult:
    """Score the DiHS/DRESS severity score for one patient.

    Parameters
    ----------
    answers
        A :class:`DdsInput` or a mapping with the eleven item ids.
    source
        Where the answers came from, named in error messages.
    creatinine_mid_band_points
        Points for creatinine 1.0-2.0 mg/dL once verified against the primary table; by
        default that band leaves the item undetermined with 0, +1 and +2 reachable.

    Returns
    -------
    ScoreResult
        Total, class (mild / moderate / severe), per-item bands.

    Raises
    ------
    dresskit.errors.InputErrors
        For missing items, values out of range or units not accepted.

    References
    ----------
    Mizukawa Y et al. J Am Acad Dermatol. 2019;80:670-678; clinical-reference.md §7.1.

    Examples
    --------
    >>> result = score({"age_years": 18, "days_drug_continued_after_onset": "unknown",
    ...     "allopurinol": "no", "steroid_pulse": "yes", "erythema": {"bsa_pct": 80},
    ...     "erosions_bsa_pct": 0, "fever_days": 7, "low_intake_days": "unknown",
    ...     "creatinine": {"value": 0.7, "unit": "mg/dL"}, "alt_u_per_l": 1757,
    ...     "crp": {"value": 45, "unit": "mg/L"}})
    >>> result.total, result.classification, result.reachable_total
    (6, 'severe', (6, 8))
    """
    parsed = parse_input(DdsInput, answers, source=source, instrument="DDS")
    items, errors = [], []
    for item_id in ITEMS:
        value = getattr(parsed, item_id)
        if value == "unknown":
            items.append(
                ItemResult(
                    item_id,
                    ITEMS[item_id],
                    "unknown",
                    0,
                    "unknown: 0 for now",
                    known=False,
                    alternatives=_ITEM_POINTS[item_id],
                )
            )
            continue
        try:
            band = _band(item_id, value, creatinine_mid_band_points)
        except InputError as error:
            errors.append(error.located(source=source))
            continue
        known = band.points is not None
        items.append(
            ItemResult(
                item_id,
                ITEMS[item_id],
                band.answer,
                band.points if known else 0,
                band.reason,
                known=known,
                alternatives=() if known else _CREATININE_MID_BAND_ALTERNATIVES,
                evidence=band.evidence,
            )
        )
    if errors:
        raise InputErrors(errors)
    total = sum(item.points or 0 for item in items)
    reachable = reachable_additive_totals(items)
    remarks = []
    unknown = [item.id for item in items if not item.known]
    if unknown:
        remarks.append(
            f"{len(unknown)} item(s) undetermined ({', '.join(unknown)}); answering them "
            f"could give {min(reachable)}..{max(reachable)}."
        )
    remarks.append(
        "In the derivation cohort (55 patients), totals >= 4 were associated with later "
        "cytomegalovirus disease and complications; none below 4 developed them (Mizukawa "
        "2019). This informs monitoring decisions; it does not prescribe them."
    )
    return ScoreResult(
        instrument="dds",
        name="DiHS/DRESS severity score (DDS)",
        version="Mizukawa 2019",
        total=total,
        classification=classify(total),
        items=tuple(items),
        total_range=(-2, 21),
        reachable_total=(min(reachable), max(reachable)),
        reachable_classes=tuple(dict.fromkeys(classify(t) for t in sorted(reachable))),
        reference=REFERENCE,
        remarks=tuple(remarks),
    )
