"""Naranjo adverse drug reaction (ADR) probability scale, for one drug.

Ten questions, each answered ``"yes"``, ``"no"`` or ``"unknown"`` (the scale's "do not know");
the points of Naranjo 1981 Table I are added to a total of -4..13, classed *definite* (>= 9),
*probable* (5-8), *possible* (1-4) or *doubtful* (<= 0).

Decisions:

- "Do not know" is the explicit answer ``"unknown"``; a missing question is an error, never a
  silent "do not know". The scale itself gives "do not know" 0 points on every question, and
  each item's reason says so.
- For an unknown question the alternatives are its *yes* and *no* points only: the reachable
  range and classes are those the case could reach once every unknown question is answered.
- The scale assesses one drug; ``drug`` (optional) names it and becomes
  :attr:`~dresskit.scoring.ScoreResult.subject`. Score each suspected drug separately.
- Year of publication 1981, not the "1991" of the LiverTox text (clinical-reference.md §11).

References
----------
.. [1] Naranjo CA, Busto U, Sellers EM, Sandor P, Ruiz I, Roberts EA, et al. A method for
   estimating the probability of adverse drug reactions. Clin Pharmacol Ther.
   1981;30(2):239-245 (Table I: questions, points and probability categories).
.. [2] LiverTox: Adverse Drug Reaction Probability Scale (Naranjo) in Drug Induced Liver
   Injury. NCBI Bookshelf NBK548069 (clinical-reference.md [S18]).
.. [3] dresskit clinical-reference.md §0 (item ids), §4 (table and bands) and §11.
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

__all__ = [
    "CLASSES",
    "POINTS",
    "QUESTIONS",
    "REFERENCE",
    "TOTAL_RANGE",
    "NaranjoInput",
    "classify",
    "score",
]

AnswerText = Literal["yes", "no", "unknown"]

#: The ten questions, in the published order (Naranjo 1981 [1] Table I; clinical-reference.md
#: §0 for the ids, §4 for the wording).
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

#: Points per question and answer (Naranjo 1981 [1] Table I; clinical-reference.md §4, the
#: "Yes / No / Don't know" columns). "unknown" is the scale's "do not know", 0 on every
#: question. The single source of the arithmetic: scoring and reachable ranges read it.
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

#: Lowest and highest possible totals (Naranjo 1981 [1]; clinical-reference.md §4: -4..+13).
TOTAL_RANGE: Final = (-4, 13)

#: Probability categories with the lowest total of each, in increasing order: <= 0 doubtful,
#: 1-4 possible, 5-8 probable, >= 9 definite (Naranjo 1981 [1]; clinical-reference.md §4,
#: [S18][S19]).
CLASSES: Final[tuple[tuple[str, int], ...]] = (
    ("doubtful", TOTAL_RANGE[0]),
    ("possible", 1),
    ("probable", 5),
    ("definite", 9),
)

REFERENCE: Final = Citation(
    text=(
        "Naranjo CA, Busto U, Sellers EM, Sandor P, Ruiz I, Roberts EA, et al. A method for "
        "estimating the probability of adverse drug reactions. Clin Pharmacol Ther. "
        "1981;30(2):239-245."
    ),
    section="clinical-reference.md §4 (ids §0; year §11)",
    notes=(
        "Classes: >= 9 definite, 5-8 probable, 1-4 possible, <= 0 doubtful; total -4..13.",
        "'Do not know' is answered 'unknown' and scores 0 on every question, as published; "
        "a missing question is an error.",
        "Reachable totals answer each unknown question yes or no (its Table I points).",
        "Published in 1981 (the LiverTox text's 'developed in 1991' is a typo).",
    ),
)

_ACCEPTED: Final = {"accepted": "'yes', 'no' or 'unknown' (the scale's \"do not know\")"}


class NaranjoInput(StrictInput):
    """Answers to the ten Naranjo questions for one drug.

    Every question is required: answer ``"unknown"`` for the scale's "do not know". ``drug``
    is optional and names the drug assessed.
    """

    drug: Annotated[
        str | None,
        Field(
            min_length=1,
            json_schema_extra={"accepted": "the name of the drug assessed (optional)"},
        ),
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
    """Return the Naranjo probability category of a total.

    Parameters
    ----------
    total
        A Naranjo total (-4..13).

    Returns
    -------
    str
        ``"doubtful"`` (<= 0), ``"possible"`` (1-4), ``"probable"`` (5-8) or ``"definite"``
        (>= 9).

    References
    ----------
    Naranjo CA et al. Clin Pharmacol Ther. 1981;30:239-245 (Table I); clinical-reference.md §4.

    Examples
    --------
    >>> [classify(total) for total in (0, 1, 4, 5, 8, 9)]
    ['doubtful', 'possible', 'possible', 'probable', 'probable', 'definite']
    """
    return band(total, CLASSES)


def _item(number: int, question_id: str, answer: str) -> ItemResult:
    points = POINTS[question_id]
    if answer == "unknown":
        reason = (
            f'Q{number} answered unknown ("do not know"): the scale gives 0; yes would give '
            f"{signed(points['yes'])}, no {signed(points['no'])}"
        )
        return ItemResult(
            id=question_id,
            label=QUESTIONS[question_id],
            answer=answer,
            points=points[answer],
            reason=reason,
            known=False,
            alternatives=tuple(sorted({points["yes"], points["no"]})),
        )
    return ItemResult(
        id=question_id,
        label=QUESTIONS[question_id],
        answer=answer,
        points=points[answer],
        reason=f"Q{number} answered {answer}: {signed(points[answer])} (Naranjo 1981 Table I)",
    )


def score(
    answers: NaranjoInput | Mapping[str, object], *, source: str | None = None
) -> ScoreResult:
    """Score the Naranjo ADR probability scale for one drug.

    Parameters
    ----------
    answers
        A :class:`NaranjoInput`, or a mapping with the ten question ids of
        clinical-reference.md §0 (each ``"yes"``, ``"no"`` or ``"unknown"``) and an optional
        ``drug``.
    source
        Where the answers came from (a file name), named in error messages.

    Returns
    -------
    ScoreResult
        Total (-4..13) with "do not know" scored 0, the probability category, the breakdown per
        question, the totals and categories reachable by answering the unknown questions, and
        ``subject`` = the drug.

    Raises
    ------
    dresskit.errors.InputErrors
        Listing every missing question, answer not accepted, empty drug name or unknown key.

    References
    ----------
    Naranjo CA et al. Clin Pharmacol Ther. 1981;30:239-245 (Table I); clinical-reference.md §4.

    Examples
    --------
    Ther Clin Risk Manag 2018;14:1657, Table 1 (clinical-reference.md [S19]): items 2, 3 and
    10 yes, item 5 no, the other zeros encoded "unknown"; the authors rate it probable.

    >>> answers = dict.fromkeys(QUESTIONS, "unknown") | {
    ...     "drug": "carbamazepine", "appeared_after_drug": "yes",
    ...     "improved_on_withdrawal": "yes", "alternative_causes": "no",
    ...     "objective_evidence": "yes"}
    >>> result = score(answers)
    >>> result.total, result.classification, result.reachable_total, result.subject
    (6, 'probable', (4, 13), 'carbamazepine')
    >>> result.item("reappeared_on_readministration").alternatives
    (-1, 2)
    """
    parsed = parse_input(NaranjoInput, answers, source=source, instrument="Naranjo")
    items = tuple(
        _item(number, question_id, str(getattr(parsed, question_id)))
        for number, question_id in enumerate(QUESTIONS, start=1)
    )
    total = sum(item.points or 0 for item in items)
    reachable = reachable_additive_totals(items)
    reachable_classes = tuple(dict.fromkeys(classify(t) for t in sorted(reachable)))
    remarks = []
    unknown = [item.id for item in items if not item.known]
    if unknown:
        remarks.append(
            f'{len(unknown)} question(s) answered unknown ("do not know", 0 points each): '
            f"{', '.join(unknown)}. Answering them yes or no could give totals from "
            f"{min(reachable)} to {max(reachable)} ({', '.join(reachable_classes)})."
        )
    if parsed.drug is None:
        remarks.append("No drug named: the scale assesses one drug at a time.")
    return ScoreResult(
        instrument="naranjo",
        name="Naranjo ADR probability scale",
        version="Naranjo 1981 (Clin Pharmacol Ther 30:239, Table I)",
        total=total,
        classification=classify(total),
        items=items,
        total_range=TOTAL_RANGE,
        reachable_total=(min(reachable), max(reachable)),
        reachable_classes=reachable_classes,
        reference=REFERENCE,
        remarks=tuple(remarks),
        subject=parsed.drug,
    )
