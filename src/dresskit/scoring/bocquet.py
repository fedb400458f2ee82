"""Bocquet 1996 criteria for DRESS: all three required.

1. Cutaneous drug eruption. 2. Systemic involvement: adenopathies >= 2 cm, hepatitis
(transaminases >= 2 x ULN), interstitial nephritis, interstitial pneumonitis or carditis.
3. Haematological abnormalities: eosinophilia >= 1.5 ×10⁹/L or atypical lymphocytes.

References
----------
.. [1] Bocquet H, Bagot M, Roujeau JC. Drug-induced pseudolymphoma and drug hypersensitivity
   syndrome (Drug Rash with Eosinophilia and Systemic Symptoms: DRESS). Semin Cutan Med Surg.
   1996;15(4):250-257.
.. [2] dresskit clinical-reference.md §3 and §11 (all three required, not "3 of 5").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final, Literal

from pydantic import Field, model_validator

from dresskit.errors import InputError, InputErrors
from dresskit.scoring._checklist import Criterion, checklist_result, resolve_answer
from dresskit.scoring._items import Citation, ScoreResult
from dresskit.scoring._validation import StrictInput, parse_input

__all__ = [
    "CLASSES",
    "CRITERIA",
    "REFERENCE",
    "SYSTEMIC_SITES",
    "BocquetInput",
    "HaematologicalValues",
    "classify",
    "score",
]

AnswerText = Literal["yes", "no", "unknown"]
SystemicSite = Literal[
    "adenopathy_2cm",
    "hepatitis",
    "interstitial_nephritis",
    "interstitial_pneumonitis",
    "carditis",
]
SYSTEMIC_SITES: Final = (
    "adenopathy_2cm",
    "hepatitis",
    "interstitial_nephritis",
    "interstitial_pneumonitis",
    "carditis",
)

CRITERIA: Final[Mapping[str, str]] = {
    "cutaneous_eruption": "Cutaneous drug eruption",
    "systemic_involvement": "Systemic involvement (adenopathies >= 2 cm, hepatitis with "
    "transaminases >= 2 x ULN, interstitial nephritis, interstitial pneumonitis or carditis)",
    "haematological": "Haematological abnormalities (eosinophilia >= 1.5 ×10⁹/L or atypical "
    "lymphocytes)",
}
CLASSES: Final[tuple[str, ...]] = ("not met", "met")
#: Eosinophil threshold, inclusive (Bocquet 1996; reference §3).
EOSINOPHILS_AT_LEAST_PER_UL: Final = 1500.0

REFERENCE: Final = Citation(
    text=(
        "Bocquet H, Bagot M, Roujeau JC. Drug-induced pseudolymphoma and drug hypersensitivity "
        "syndrome (Drug Rash with Eosinophilia and Systemic Symptoms: DRESS). Semin Cutan Med "
        "Surg. 1996;15(4):250-257."
    ),
    section="clinical-reference.md §3, §11",
    notes=("All three criteria are required.",),
)


class HaematologicalValues(StrictInput):
    """Peak eosinophils and whether atypical lymphocytes were seen."""

    eosinophils_per_ul: Annotated[float, Field(ge=0)] | None = None
    atypical_lymphocytes: AnswerText = "unknown"

    @model_validator(mode="after")
    def _something_given(self) -> HaematologicalValues:
        if self.eosinophils_per_ul is None and self.atypical_lymphocytes == "unknown":
            raise ValueError("eosinophils_per_ul or atypical_lymphocytes; or answer 'unknown'")
        return self


class BocquetInput(StrictInput):
    """Answers to the three Bocquet criteria (every key required)."""

    cutaneous_eruption: Annotated[
        AnswerText, Field(json_schema_extra={"accepted": "'yes', 'no' or 'unknown'"})
    ]
    systemic_involvement: Annotated[
        AnswerText | list[SystemicSite],
        Field(
            json_schema_extra={
                "accepted": "'yes', 'no' or 'unknown', or a list from " + ", ".join(SYSTEMIC_SITES)
            }
        ),
    ]
    haematological: Annotated[
        AnswerText | HaematologicalValues,
        Field(
            json_schema_extra={
                "accepted": "'yes', 'no' or 'unknown', or "
                "{'eosinophils_per_ul': n, 'atypical_lymphocytes': answer}"
            }
        ),
    ]


def classify(met: Mapping[str, bool]) -> str:
    """Return ``"met"`` when all three criteria are met (Bocquet 1996; reference §3).

    Examples
    --------
    >>> classify({"cutaneous_eruption": True, "systemic_involvement": True,
    ...           "haematological": False})
    'not met'
    """
    return "met" if all(met[criterion] for criterion in CRITERIA) else "not met"


def _systemic(value: AnswerText | list[SystemicSite]) -> Criterion:
    label = CRITERIA["systemic_involvement"]
    if isinstance(value, str):
        return Criterion("systemic_involvement", label, *resolve_answer(value, "systemic"))
    if len(set(value)) != len(value):
        raise InputError("systemic_involvement", value, "a list of distinct sites")
    evidence = (f"sites = {', '.join(value) or 'none'}",)
    if value:
        return Criterion("systemic_involvement", label, True, f"{', '.join(value)}", evidence)
    return Criterion("systemic_involvement", label, False, "no site involved", evidence)


def _haematological(value: AnswerText | HaematologicalValues) -> Criterion:
    label = CRITERIA["haematological"]
    if isinstance(value, str):
        return Criterion("haematological", label, *resolve_answer(value, "haematological"))
    count = value.eosinophils_per_ul
    evidence = tuple(
        text
        for text in (
            f"eosinophils_per_ul = {count:g}" if count is not None else "",
            f"atypical_lymphocytes = {value.atypical_lymphocytes}",
        )
        if text
    )
    if count is not None and count >= EOSINOPHILS_AT_LEAST_PER_UL:
        return Criterion(
            "haematological", label, True, f"eosinophils {count:g}/µL >= 1 500/µL", evidence
        )
    if value.atypical_lymphocytes == "yes":
        return Criterion("haematological", label, True, "atypical lymphocytes present", evidence)
    if count is not None and value.atypical_lymphocytes == "no":
        return Criterion(
            "haematological",
            label,
            False,
            f"eosinophils {count:g}/µL < 1 500/µL and no atypical lymphocytes",
            evidence,
        )
    return Criterion(
        "haematological",
        label,
        None,
        "not decidable: eosinophils or atypical lymphocytes unknown",
        evidence,
    )


def score(
    answers: BocquetInput | Mapping[str, object], *, source: str | None = None
) -> ScoreResult:
    """Apply the Bocquet criteria to one case.

    Parameters
    ----------
    answers
        A :class:`BocquetInput` or a mapping with the three criterion ids.
    source
        Where the answers came from, named in error messages.

    Returns
    -------
    ScoreResult
        ``total`` = criteria met (0..3); class ``met`` when all three are met.

    Raises
    ------
    dresskit.errors.InputErrors
        For missing criteria or answers not accepted.

    References
    ----------
    Bocquet H et al. Semin Cutan Med Surg. 1996;15:250-257; clinical-reference.md §3.

    Examples
    --------
    >>> result = score({"cutaneous_eruption": "yes", "systemic_involvement": ["hepatitis"],
    ...                 "haematological": {"eosinophils_per_ul": 1140}})
    >>> result.classification, result.reachable_classes
    ('not met', ('not met', 'met'))
    """
    parsed = parse_input(BocquetInput, answers, source=source, instrument="Bocquet")
    try:
        criteria = [
            Criterion(
                "cutaneous_eruption",
                CRITERIA["cutaneous_eruption"],
                *resolve_answer(parsed.cutaneous_eruption, "cutaneous eruption"),
            ),
            _systemic(parsed.systemic_involvement),
            _haematological(parsed.haematological),
        ]
    except InputError as error:
        raise InputErrors([error.located(source=source)]) from None
    return checklist_result(
        instrument="bocquet",
        name="Bocquet criteria for DRESS",
        version="Bocquet 1996",
        criteria=criteria,
        classify=classify,
        classes=CLASSES,
        reference=REFERENCE,
    )
