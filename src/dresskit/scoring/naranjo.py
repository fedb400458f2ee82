"""Naranjo adverse drug reaction probability scale, for one drug.

Ten questions answered yes / no / don't know ("unknown"); total -4..13; classes definite
(>= 9), probable (5-8), possible (1-4), doubtful (<= 0).

References
----------
.. [1] Naranjo CA, Busto U, Sellers EM, et al. A method for estimating the probability of
   adverse drug reactions. Clin Pharmacol Ther. 1981;30(2):239-245 (Table I).
.. [2] LiverTox: Adverse Drug Reaction Probability Scale (Naranjo) in Drug Induced Liver
   Injury. NCBI Bookshelf NBK548069.
.. [3] dresskit clinical-reference.md §0, §4 and §11 (1981, not "1991").
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Final, Literal

from pydantic import Field

from dresskit.scoring._items import (
    Citation,
    ItemResult,
    ScoreResult,
    band,
    reachable_additive_totals,
    signed,
)
from dresskit.scoring._validation import StrictInput, parse_input

__all__ = ["CLASSES", "POINTS", "QUESTIONS", "REFERENCE", "NaranjoInput", "classify", "score"]

AnswerText = Literal["yes", "no", "unknown"]

#: The ten questions, in the published order (Naranjo 1981, Table I).
QUESTIONS: Final[Mapping[str, str]] = {
    "previous_reports": "Are there previous conclusive reports on this reaction?",
    "appeared_after_drug": "Did the adverse event appear after the suspected drug was given?",
    "improved_on_withdrawal": "Did the adverse reaction improve when the drug was discontinued "
    "or a specific antagonist was given?",
    "reappeared_on_readministration": "Did the adverse reaction reappear when the drug was "
    "readministered?",
    "alternative_causes": "Are there alternative causes (other than the drug) that could on "
    "their own have caused the reaction?",
    "reappeared_with_placebo": "Did the reaction reappear when a placebo was given?",
    "toxic_concentration": "Was the drug detected in the blood (or other fluids) in "
    "concentrations known to be toxic?",
    "dose_response": "Was the reaction more severe when the dose was increased, or less severe "
    "when the dose was decreased?",
    "previous_similar_reaction": "Did the patient have a similar reaction to the same or similar "
    "drugs in any previous exposure?",
    "objective_evidence": "Was the adverse event confirmed by any objective evidence?",
}

#: Points per answer (Naranjo 1981 Table I; clinical-reference.md §4). "unknown" = "do not know".
POINTS: Final[Mapping[str, Mapping[str, int]]] = {
    "previous_reports": {"yes": 1, "no": 0, "unknown": 0},
    "appeared_after_drug": {"yes": 2, "no": -1, "unknown": 0},
    "improved_on_withdrawal": {"yes": 1, "no": 0, "unknown": 0},
    "reappeared_on_readministration": {"yes": 2, "no": -1, "unknown": 0},
    "alternative_causes": {"yes": -1, "no": 2, "unknown": 0},
    "reappeared_with_placebo": {"yes": -1, "no": 1, "unknown": 0},
    "toxic_concentration": {"yes": 1, "no": 0, "unknown": 0},
    "dose_response": {"yes": 1, "no": 0, "unknown": 0},
    "previous_similar_reaction": {"yes": 1, "no": 0, "unknown": 0},
    "objective_evidence": {"yes": 1, "no": 0, "unknown": 0},
}

#: Classes with the lowest total of each (Naranjo 1981; clinical-reference.md §4).
CLASSES: Final[tuple[tuple[str, int], ...]] = (
    ("doubtful", -4),
    ("possible", 1),
    ("probable", 5),
    ("definite", 9),
)

REFERENCE: Final = Citation(
    text=(
        "Naranjo CA, Busto U, Sellers EM, et al. A method for estimating the probability of "
        "adverse drug reactions. Clin Pharmacol Ther. 1981;30(2):239-245."
    ),
    section="clinical-reference.md §4",
    notes=(
        "'Do not know' is answered 'unknown' and scores 0 on every question, as published.",
        "Classes: >= 9 definite, 5-8 probable, 1-4 possible, <= 0 doubtful.",
    ),
)

_ACCEPTED: Final = {"accepted": "'yes', 'no' or 'unknown' (do not know)"}


class NaranjoInput(StrictInput):
    """Answers to the ten Naranjo questions for one drug (every key required)."""

    drug: Annotated[
        str | None,
        Field(min_length=1, json_schema_extra={"accepted": "the drug assessed (optional)"}),
    ] = None
    previous_reports: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    appeared_after_drug: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    improved_on_withdrawal: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    reappeared_on_readministration: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    alternative_causes: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    reappeared_with_placebo: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    toxic_concentration: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    dose_response: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    previous_similar_reaction: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]
    objective_evidence: Annotated[AnswerText, Field(json_schema_extra=_ACCEPTED)]


def classify(total: int) -> str:
    """Return the Naranjo class of a total (Naranjo 1981; clinical-reference.md §4).

    Examples
    --------
    >>> [classify(total) for total in (0, 1, 4, 5, 8, 9)]
    ['doubtful', 'possible', 'possible', 'probable', 'probable', 'definite']
    """
    return band(total, CLASSES)


def score(
    answers: NaranjoInput | Mapping[str, object], *, source: str | None = None
) -> ScoreResult:
    """Score the Naranjo scale for one drug.

    Parameters
    ----------
    answers
        A :class:`NaranjoInput` or a mapping with the ten canonical question ids (and an
        optional ``drug``).
    source
        Where the answers came from, named in error messages.

    Returns
    -------
    ScoreResult
        Total (-4..13), class, per-question breakdown; ``subject`` is the drug.

    Raises
    ------
    dresskit.errors.InputErrors
        For a missing question, an answer word not accepted or an unknown key.

    References
    ----------
    Naranjo CA et al. Clin Pharmacol Ther. 1981;30:239-245; clinical-reference.md §4.

    Examples
    --------
    >>> answers = dict.fromkeys(QUESTIONS, "unknown") | {
    ...     "drug": "carbamazepine", "previous_reports": "yes", "appeared_after_drug": "yes",
    ...     "improved_on_withdrawal": "yes", "alternative_causes": "no"}
    >>> result = score(answers)
    >>> result.total, result.classification, result.reachable_total
    (6, 'probable', (4, 13))
    """
    parsed = parse_input(NaranjoInput, answers, source=source, instrument="Naranjo")
    items = []
    for question_id, question in QUESTIONS.items():
        answer: str = getattr(parsed, question_id)
        points = POINTS[question_id][answer]
        known = answer != "unknown"
        reason = (
            f"answered {answer}: {signed(points)}"
            if known
            else "do not know: 0 (yes would give "
            f"{signed(POINTS[question_id]['yes'])}, no {signed(POINTS[question_id]['no'])})"
        )
        items.append(
            ItemResult(
                id=question_id,
                label=question,
                answer=answer,
                points=points,
                reason=reason,
                known=known,
                alternatives=()
                if known
                else tuple(sorted({POINTS[question_id]["yes"], POINTS[question_id]["no"], 0})),
            )
        )
    total = sum(item.points or 0 for item in items)
    reachable = reachable_additive_totals(items)
    unknown = [item.id for item in items if not item.known]
    remarks = []
    if unknown:
        remarks.append(
            f"{len(unknown)} question(s) answered 'do not know' ({', '.join(unknown)}); "
            f"answering them could give {min(reachable)}..{max(reachable)}."
        )
    return ScoreResult(
        instrument="naranjo",
        name="Naranjo ADR probability scale",
        version="Naranjo 1981",
        total=total,
        classification=classify(total),
        items=tuple(items),
        total_range=(-4, 13),
        reachable_total=(min(reachable), max(reachable)),
        reachable_classes=tuple(dict.fromkeys(classify(t) for t in sorted(reachable))),
        reference=REFERENCE,
        remarks=tuple(remarks),
        subject=parsed.drug,
    )
