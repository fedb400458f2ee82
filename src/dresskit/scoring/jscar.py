"""J-SCAR (Japanese consensus group) criteria for drug-induced hypersensitivity syndrome.

Seven criteria. *Typical DIHS*: all seven. *Atypical DIHS*: criteria 1-5 (all but
lymphadenopathy and HHV-6 reactivation). Operators are strict (">"), as the original wording
is usually cited (reproduced in Int J Mol Sci 2021;22:2147 Table 1); another reproduction
uses ">=" throughout (J Immunol Res 2018:5163129) - clinical-reference.md §11.

Thresholds: latency > 3 weeks (> 21 days); fever > 38 °C; ALT > 100 U/L (may be replaced by
other organ involvement, e.g. renal); leukocytosis > 11 ×10⁹/L, atypical lymphocytes > 5 %,
eosinophils > 1.5 ×10⁹/L (any one).

References
----------
.. [1] Shiohara T, Iijima M, Ikezawa Z, Hashimoto K. The diagnosis of a DRESS syndrome has
   been sufficiently established on the basis of typical clinical features and viral
   reactivations. Br J Dermatol. 2007;156(5):1083-1084.
.. [2] dresskit clinical-reference.md §2 and §11.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Annotated, Final, Literal

from pydantic import Field, model_validator

from dresskit.errors import InputError, InputErrors
from dresskit.scoring._checklist import Criterion, checklist_result, resolve_answer
from dresskit.scoring._items import Citation, ScoreResult
from dresskit.scoring._validation import StrictInput, parse_input
from dresskit.scoring.regiscar import FeverMeasurement
from dresskit.units import to_degrees_celsius

__all__ = [
    "CLASSES",
    "CRITERIA",
    "REFERENCE",
    "JscarInput",
    "LatencyDays",
    "LeukocyteValues",
    "LiverValues",
    "classify",
    "score",
]

AnswerText = Literal["yes", "no", "unknown"]

#: The seven criteria in published order (Shiohara 2007; clinical-reference.md §2).
CRITERIA: Final[Mapping[str, str]] = {
    "rash_latency_over_3_weeks": "Maculopapular rash > 3 weeks after starting a limited number "
    "of drugs",
    "prolonged_after_withdrawal": "Prolonged clinical symptoms 2 weeks after stopping the "
    "causative drug",
    "fever": "Fever > 38 °C",
    "liver_abnormality": "Liver abnormalities (ALT > 100 U/L) or other organ involvement",
    "leukocyte_abnormality": "Leukocytosis > 11 ×10⁹/L, atypical lymphocytes > 5 % or "
    "eosinophilia > 1.5 ×10⁹/L",
    "lymphadenopathy": "Lymphadenopathy",
    "hhv6_reactivation": "HHV-6 reactivation",
}
_ATYPICAL_SET: Final = tuple(list(CRITERIA)[:5])

#: Classes in order (reference §2).
CLASSES: Final[tuple[str, ...]] = ("not met", "atypical DIHS", "typical DIHS")

LATENCY_OVER_DAYS: Final = 21
FEVER_OVER_CEL: Final = 38.0
ALT_OVER_U_PER_L: Final = 100.0
LEUKOCYTES_OVER_PER_UL: Final = 11_000.0
ATYPICAL_LYMPHOCYTES_OVER_PCT: Final = 5.0
EOSINOPHILS_OVER_PER_UL: Final = 1500.0

REFERENCE: Final = Citation(
    text=(
        "Shiohara T, Iijima M, Ikezawa Z, Hashimoto K. The diagnosis of a DRESS syndrome has "
        "been sufficiently established on the basis of typical clinical features and viral "
        "reactivations. Br J Dermatol. 2007;156(5):1083-1084."
    ),
    section="clinical-reference.md §2, §11",
    notes=(
        "Strict '>' operators (IJMS 2021 reproduction); fever > 38 °C (not 38.5).",
        "Atypical DIHS = criteria 1-5 all met; typical = all seven.",
    ),
)

_WORDS = "'yes', 'no' or 'unknown'"


class LatencyDays(StrictInput):
    """Days from starting the drug to the rash."""

    latency_days: Annotated[int, Field(ge=0)]


class LiverValues(StrictInput):
    """Peak ALT, and whether another organ (e.g. kidney) is involved instead."""

    alt_u_per_l: Annotated[float, Field(ge=0)] | None = None
    other_organ_involvement: AnswerText = "unknown"

    @model_validator(mode="after")
    def _something_given(self) -> LiverValues:
        if self.alt_u_per_l is None and self.other_organ_involvement == "unknown":
            raise ValueError("alt_u_per_l or other_organ_involvement; or answer 'unknown'")
        return self


class LeukocyteValues(StrictInput):
    """Peak leukocytes, atypical lymphocytes and eosinophils (any known subset)."""

    wbc_per_ul: Annotated[float, Field(ge=0)] | None = None
    atypical_lymphocytes_pct: Annotated[float, Field(ge=0, le=100)] | None = None
    eosinophils_per_ul: Annotated[float, Field(ge=0)] | None = None

    @model_validator(mode="after")
    def _something_given(self) -> LeukocyteValues:
        if all(
            v is None
            for v in (self.wbc_per_ul, self.atypical_lymphocytes_pct, self.eosinophils_per_ul)
        ):
            raise ValueError("at least one value; or answer 'unknown'")
        return self


def _accepted(extra: str = "") -> object:
    return Field(json_schema_extra={"accepted": _WORDS + (f", or {extra}" if extra else "")})


class JscarInput(StrictInput):
    """Answers to the seven J-SCAR criteria (every key required)."""

    rash_latency_over_3_weeks: Annotated[AnswerText | LatencyDays, _accepted("{'latency_days': n}")]
    prolonged_after_withdrawal: Annotated[AnswerText, _accepted()]
    fever: Annotated[
        AnswerText | FeverMeasurement,
        _accepted("{'max_temperature': {'value': v, 'unit': 'Cel' or '[degF]'}}"),
    ]
    liver_abnormality: Annotated[
        AnswerText | LiverValues,
        _accepted("{'alt_u_per_l': n, 'other_organ_involvement': 'yes'|'no'|'unknown'}"),
    ]
    leukocyte_abnormality: Annotated[
        AnswerText | LeukocyteValues,
        _accepted("{'wbc_per_ul', 'atypical_lymphocytes_pct', 'eosinophils_per_ul'}"),
    ]
    lymphadenopathy: Annotated[AnswerText, _accepted()]
    hhv6_reactivation: Annotated[AnswerText, _accepted()]


def classify(met: Mapping[str, bool]) -> str:
    """Return the J-SCAR class of a complete set of criteria (reference §2).

    Examples
    --------
    >>> classify(dict.fromkeys(CRITERIA, True))
    'typical DIHS'
    >>> classify(dict.fromkeys(CRITERIA, True) | {"hhv6_reactivation": False})
    'atypical DIHS'
    """
    if all(met[criterion] for criterion in CRITERIA):
        return "typical DIHS"
    if all(met[criterion] for criterion in _ATYPICAL_SET):
        return "atypical DIHS"
    return "not met"


def _latency(value: AnswerText | LatencyDays, label: str) -> Criterion:
    item = "rash_latency_over_3_weeks"
    if isinstance(value, str):
        met, reason = resolve_answer(value, "latency > 3 weeks")
        return Criterion(item, label, met, reason)
    met = value.latency_days > LATENCY_OVER_DAYS
    sign = ">" if met else "<="
    return Criterion(
        item,
        label,
        met,
        f"{value.latency_days} days {sign} 21 days",
        (f"latency_days = {value.latency_days}",),
    )


def _fever(value: AnswerText | FeverMeasurement, label: str) -> Criterion:
    if isinstance(value, str):
        met, reason = resolve_answer(value, "fever > 38 °C")
        return Criterion("fever", label, met, reason)
    reading = value.max_temperature
    celsius = to_degrees_celsius(reading.value, reading.unit, field="fever.max_temperature.value")
    met = celsius > FEVER_OVER_CEL
    return Criterion(
        "fever",
        label,
        met,
        f"{celsius:g} °C {'>' if met else '<='} 38 °C",
        (f"max temperature = {reading.value:g} {reading.unit}",),
    )


def _liver(value: AnswerText | LiverValues, label: str) -> Criterion:
    if isinstance(value, str):
        met, reason = resolve_answer(value, "liver abnormality")
        return Criterion("liver_abnormality", label, met, reason)
    evidence = []
    alt_met: bool | None = None
    if value.alt_u_per_l is not None:
        alt_met = value.alt_u_per_l > ALT_OVER_U_PER_L
        evidence.append(f"alt_u_per_l = {value.alt_u_per_l:g}")
    organ = {"yes": True, "no": False, "unknown": None}[value.other_organ_involvement]
    evidence.append(f"other_organ_involvement = {value.other_organ_involvement}")
    if alt_met or organ:
        reason = (
            f"ALT {value.alt_u_per_l:g} U/L > 100"
            if alt_met
            else "other organ involvement replaces the liver criterion (footnote)"
        )
        return Criterion("liver_abnormality", label, True, reason, tuple(evidence))
    if alt_met is False and organ is False:
        return Criterion(
            "liver_abnormality",
            label,
            False,
            f"ALT {value.alt_u_per_l:g} U/L <= 100 and no other organ involved",
            tuple(evidence),
        )
    return Criterion(
        "liver_abnormality",
        label,
        None,
        "not decidable: ALT or other organ involvement unknown",
        tuple(evidence),
    )


def _leukocytes(value: AnswerText | LeukocyteValues, label: str) -> Criterion:
    item = "leukocyte_abnormality"
    if isinstance(value, str):
        met, reason = resolve_answer(value, "leukocyte abnormality")
        return Criterion(item, label, met, reason)
    checks: list[tuple[str, float | None, float, Callable[[float], str]]] = [
        ("leukocytes", value.wbc_per_ul, LEUKOCYTES_OVER_PER_UL, lambda v: f"{v:g}/µL"),
        (
            "atypical lymphocytes",
            value.atypical_lymphocytes_pct,
            ATYPICAL_LYMPHOCYTES_OVER_PCT,
            lambda v: f"{v:g} %",
        ),
        ("eosinophils", value.eosinophils_per_ul, EOSINOPHILS_OVER_PER_UL, lambda v: f"{v:g}/µL"),
    ]
    evidence = tuple(f"{name} = {fmt(v)}" for name, v, _, fmt in checks if v is not None)
    met_parts = [
        f"{name} {fmt(v)} > {fmt(limit)}"
        for name, v, limit, fmt in checks
        if v is not None and v > limit
    ]
    if met_parts:
        return Criterion(item, label, True, "; ".join(met_parts), evidence)
    if all(v is not None for _, v, _, _ in checks):
        return Criterion(item, label, False, "none of the three above its threshold", evidence)
    return Criterion(
        item,
        label,
        None,
        "none of the known values above threshold; the others are unknown",
        evidence,
    )


def score(answers: JscarInput | Mapping[str, object], *, source: str | None = None) -> ScoreResult:
    """Apply the J-SCAR DIHS criteria to one case.

    Parameters
    ----------
    answers
        A :class:`JscarInput` or a mapping with the seven criterion ids.
    source
        Where the answers came from, named in error messages.

    Returns
    -------
    ScoreResult
        ``total`` = criteria met (0..7); class typical DIHS / atypical DIHS / not met.

    Raises
    ------
    dresskit.errors.InputErrors
        For missing criteria, answers not accepted or implausible raw values.

    References
    ----------
    Shiohara T et al. Br J Dermatol. 2007;156:1083-1084; clinical-reference.md §2.

    Examples
    --------
    >>> result = score({"rash_latency_over_3_weeks": {"latency_days": 28},
    ...     "prolonged_after_withdrawal": "yes",
    ...     "fever": {"max_temperature": {"value": 38.9, "unit": "Cel"}},
    ...     "liver_abnormality": {"alt_u_per_l": 1757}, "leukocyte_abnormality": "yes",
    ...     "lymphadenopathy": "yes", "hhv6_reactivation": "unknown"})
    >>> result.classification, result.reachable_classes
    ('atypical DIHS', ('atypical DIHS', 'typical DIHS'))
    """
    parsed = parse_input(JscarInput, answers, source=source, instrument="J-SCAR")
    builders: list[Callable[[], Criterion]] = [
        lambda: _latency(parsed.rash_latency_over_3_weeks, CRITERIA["rash_latency_over_3_weeks"]),
        lambda: Criterion(
            "prolonged_after_withdrawal",
            CRITERIA["prolonged_after_withdrawal"],
            *resolve_answer(parsed.prolonged_after_withdrawal, "prolonged symptoms"),
        ),
        lambda: _fever(parsed.fever, CRITERIA["fever"]),
        lambda: _liver(parsed.liver_abnormality, CRITERIA["liver_abnormality"]),
        lambda: _leukocytes(parsed.leukocyte_abnormality, CRITERIA["leukocyte_abnormality"]),
        lambda: Criterion(
            "lymphadenopathy",
            CRITERIA["lymphadenopathy"],
            *resolve_answer(parsed.lymphadenopathy, "lymphadenopathy"),
        ),
        lambda: Criterion(
            "hhv6_reactivation",
            CRITERIA["hhv6_reactivation"],
            *resolve_answer(parsed.hhv6_reactivation, "HHV-6 reactivation"),
        ),
    ]
    criteria, errors = [], []
    for build in builders:
        try:
            criteria.append(build())
        except InputError as error:
            errors.append(error.located(source=source))
    if errors:
        raise InputErrors(errors)
    return checklist_result(
        instrument="jscar",
        name="J-SCAR criteria for DIHS",
        version="Shiohara 2007",
        criteria=criteria,
        classify=classify,
        classes=CLASSES,
        reference=REFERENCE,
    )
