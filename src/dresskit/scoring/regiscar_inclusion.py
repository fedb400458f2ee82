"""RegiSCAR inclusion criteria for a potential DRESS case (distinct from the validation score).

Required context: hospitalisation, a reaction suspected to be drug-related, an acute rash.
Then at least 3 of the 4 starred criteria: fever > 38 °C; enlarged lymph nodes at >= 2
sites; involvement of >= 1 internal organ; blood count abnormalities (lymphocytes above or
below the laboratory limits, eosinophils above, or platelets below).

Sim et al. 2022 (the project's seed) paraphrase this as "at least three of seven criteria";
the registry rule implemented here is the starred one (clinical-reference.md §1.5 and §11).

References
----------
.. [1] Kardaun SH, Sidoroff A, Valeyrie-Allanore L, et al. Br J Dermatol. 2007;156:609-611.
.. [2] WikiDoc, DRESS syndrome diagnostic criteria; Clin Mol Allergy 2017 (s12948-017-0069-0)
   Table 4.
.. [3] dresskit clinical-reference.md §1.5 and §11.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final, Literal

from pydantic import Field

from dresskit.errors import InputError, InputErrors
from dresskit.scoring._checklist import Criterion, checklist_result, resolve_answer
from dresskit.scoring._items import Citation, ScoreResult
from dresskit.scoring._validation import StrictInput, parse_input
from dresskit.scoring.regiscar import FeverMeasurement
from dresskit.units import to_degrees_celsius

__all__ = [
    "CLASSES",
    "CONTEXT",
    "REFERENCE",
    "STARRED",
    "BloodCounts",
    "RegiscarInclusionInput",
    "classify",
    "score",
]

AnswerText = Literal["yes", "no", "unknown"]

CONTEXT: Final[Mapping[str, str]] = {
    "hospitalised": "Hospitalisation",
    "drug_suspected": "Reaction suspected to be drug-related",
    "acute_rash": "Acute rash",
}
STARRED: Final[Mapping[str, str]] = {
    "fever_over_38": "Fever > 38 °C",
    "lymph_nodes_2_sites": "Enlarged lymph nodes at >= 2 sites",
    "internal_organ_involvement": "Involvement of >= 1 internal organ",
    "blood_count_abnormality": "Blood count abnormalities (lymphocytes above/below limits, "
    "eosinophils above, platelets below)",
}
CLASSES: Final[tuple[str, ...]] = ("does not meet", "meets inclusion criteria")
FEVER_OVER_CEL: Final = 38.0

REFERENCE: Final = Citation(
    text=(
        "Kardaun SH, Sidoroff A, Valeyrie-Allanore L, et al. Br J Dermatol. 2007;156:609-611 "
        "(RegiSCAR inclusion criteria for potential cases)."
    ),
    section="clinical-reference.md §1.5, §11",
    notes=(
        "Required context (hospitalised, drug suspected, acute rash) and >= 3 of the 4 "
        "starred criteria.",
        "Sim et al. 2022 paraphrase 'at least three of seven criteria'; not the registry rule.",
    ),
)


class BloodCounts(StrictInput):
    """Blood counts relative to the laboratory's limits."""

    lymphocytes: Literal["above", "below", "normal", "unknown"] = "unknown"
    eosinophils: Literal["above", "normal", "unknown"] = "unknown"
    platelets: Literal["below", "normal", "unknown"] = "unknown"


def _field(extra: str = "") -> object:
    words = "'yes', 'no' or 'unknown'"
    return Field(json_schema_extra={"accepted": words + (f", or {extra}" if extra else "")})


class RegiscarInclusionInput(StrictInput):
    """Answers to the RegiSCAR inclusion criteria (every key required)."""

    hospitalised: Annotated[AnswerText, _field()]
    drug_suspected: Annotated[AnswerText, _field()]
    acute_rash: Annotated[AnswerText, _field()]
    fever_over_38: Annotated[
        AnswerText | FeverMeasurement,
        _field("{'max_temperature': {'value': v, 'unit': 'Cel' or '[degF]'}}"),
    ]
    lymph_nodes_2_sites: Annotated[AnswerText, _field()]
    internal_organ_involvement: Annotated[AnswerText, _field()]
    blood_count_abnormality: Annotated[
        AnswerText | BloodCounts, _field("{'lymphocytes', 'eosinophils', 'platelets'}")
    ]


def classify(met: Mapping[str, bool]) -> str:
    """Return whether the inclusion rule is met (reference §1.5).

    Examples
    --------
    >>> classify(dict.fromkeys(CONTEXT, True) | dict.fromkeys(STARRED, True)
    ...          | {"fever_over_38": False})
    'meets inclusion criteria'
    """
    context = all(met[criterion] for criterion in CONTEXT)
    starred = sum(met[criterion] for criterion in STARRED)
    return CLASSES[1] if context and starred >= 3 else CLASSES[0]


def _fever(value: AnswerText | FeverMeasurement) -> Criterion:
    label = STARRED["fever_over_38"]
    if isinstance(value, str):
        return Criterion("fever_over_38", label, *resolve_answer(value, "fever > 38 °C"))
    reading = value.max_temperature
    celsius = to_degrees_celsius(
        reading.value, reading.unit, field="fever_over_38.max_temperature.value"
    )
    met = celsius > FEVER_OVER_CEL
    return Criterion(
        "fever_over_38",
        label,
        met,
        f"{celsius:g} °C {'>' if met else '<='} 38 °C",
        (f"max temperature = {reading.value:g} {reading.unit}",),
    )


def _blood(value: AnswerText | BloodCounts) -> Criterion:
    label = STARRED["blood_count_abnormality"]
    if isinstance(value, str):
        return Criterion("blood_count_abnormality", label, *resolve_answer(value, "blood counts"))
    states = {
        "lymphocytes": value.lymphocytes,
        "eosinophils": value.eosinophils,
        "platelets": value.platelets,
    }
    evidence = tuple(f"{name} {state}" for name, state in states.items())
    abnormal = [
        f"{name} {state}" for name, state in states.items() if state not in ("normal", "unknown")
    ]
    if abnormal:
        return Criterion("blood_count_abnormality", label, True, ", ".join(abnormal), evidence)
    if all(state == "normal" for state in states.values()):
        return Criterion("blood_count_abnormality", label, False, "all within limits", evidence)
    return Criterion(
        "blood_count_abnormality",
        label,
        None,
        "no abnormality among the known counts; others unknown",
        evidence,
    )


def score(
    answers: RegiscarInclusionInput | Mapping[str, object], *, source: str | None = None
) -> ScoreResult:
    """Apply the RegiSCAR inclusion criteria to one case.

    Parameters
    ----------
    answers
        A :class:`RegiscarInclusionInput` or a mapping with the seven criterion ids.
    source
        Where the answers came from, named in error messages.

    Returns
    -------
    ScoreResult
        ``total`` = criteria met (0..7); the class says whether the rule is met.

    Raises
    ------
    dresskit.errors.InputErrors
        For missing criteria or answers not accepted.

    References
    ----------
    Kardaun SH et al. Br J Dermatol. 2007;156:609-611; clinical-reference.md §1.5.

    Examples
    --------
    >>> result = score({"hospitalised": "yes", "drug_suspected": "yes", "acute_rash": "yes",
    ...     "fever_over_38": "yes", "lymph_nodes_2_sites": "yes",
    ...     "internal_organ_involvement": "unknown",
    ...     "blood_count_abnormality": {"eosinophils": "above"}})
    >>> result.classification, result.total
    ('meets inclusion criteria', 6)
    """
    parsed = parse_input(
        RegiscarInclusionInput, answers, source=source, instrument="RegiSCAR inclusion"
    )
    try:
        criteria = [
            Criterion(item, label, *resolve_answer(getattr(parsed, item), label.lower()))
            for item, label in CONTEXT.items()
        ] + [
            _fever(parsed.fever_over_38),
            Criterion(
                "lymph_nodes_2_sites",
                STARRED["lymph_nodes_2_sites"],
                *resolve_answer(parsed.lymph_nodes_2_sites, "lymph nodes"),
            ),
            Criterion(
                "internal_organ_involvement",
                STARRED["internal_organ_involvement"],
                *resolve_answer(parsed.internal_organ_involvement, "organ involvement"),
            ),
            _blood(parsed.blood_count_abnormality),
        ]
    except InputError as error:
        raise InputErrors([error.located(source=source)]) from None
    return checklist_result(
        instrument="regiscar-inclusion",
        name="RegiSCAR inclusion criteria",
        version="Kardaun 2007",
        criteria=criteria,
        classify=classify,
        classes=CLASSES,
        reference=REFERENCE,
        remarks=("Context criteria (hospitalised, drug suspected, acute rash) must all be met.",),
    )
