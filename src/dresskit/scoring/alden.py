"""ALDEN: algorithm of drug causality for epidermal necrolysis (SJS/TEN), per drug.

Six criteria per drug; criterion 6 ("other cause") depends on the other drugs: the drugs are
ranked by their intermediate score (the sum of criteria 1-5); if at least one scores > 3,
1 is subtracted from each of the *other* drugs, because another cause (the top-ranked drug)
is more likely. The top-ranked drug, and any drug tied with it, keeps its score; a lone drug
is never penalised (Sassolas 2010 [1], Table 1 criterion 6; clinical-reference.md §6.1).
Final: < 0 very unlikely; 0-1 unlikely; 2-3 possible; 4-5 probable; >= 6 very probable.
Total range per drug -12..10.

ALDEN is validated for SJS/TEN only; its latency windows are not DRESS windows
(clinical-reference.md §6.2). dresskit scores it for SJS/TEN episodes kept in the same
registry.

Delay from first intake to the index day (criterion 1): 5-28 days suggestive (+3), or 1-4
days after a previous reaction to the same drug; 29-56 compatible (+2); 1-4 likely (+1), or
5-56 after a previous reaction; > 56 unlikely (-1); started on or after the index day
excluded (-3).

References
----------
.. [1] Sassolas B, Haddad C, Mockenhaupt M, et al. ALDEN, an algorithm for assessment of drug
   causality in Stevens-Johnson syndrome and toxic epidermal necrolysis: comparison with
   case-control analysis. Clin Pharmacol Ther. 2010;88(1):60-68 (Table 1).
.. [2] Reproduction: Burns 2022;48(7):1561 (PMC9124451) Table 1; clinical-reference.md §6.1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Final, Literal

from pydantic import Field, field_validator

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
    "CRITERIA",
    "POINTS",
    "REFERENCE",
    "AldenDrug",
    "AldenInput",
    "DelayDays",
    "classify",
    "score",
]

CRITERIA: Final[Mapping[str, str]] = {
    "delay": "Delay from first intake to the index day",
    "drug_present": "Drug present in the body on the index day",
    "prechallenge": "Prechallenge / rechallenge",
    "dechallenge": "Dechallenge",
    "notoriety": "Type of drug (notoriety)",
    "other_cause": "Other cause (ranked below a drug with intermediate score > 3)",
}

#: Points per category (Sassolas 2010 Table 1; clinical-reference.md §6.1).
POINTS: Final[Mapping[str, Mapping[str, int]]] = {
    "delay": {"suggestive": 3, "compatible": 2, "likely": 1, "unlikely": -1, "excluded": -3},
    "drug_present": {"definite": 0, "doubtful": -1, "excluded": -3},
    "prechallenge": {
        "positive_specific": 4,
        "positive_similar_or_other_reaction": 2,
        "positive_unspecific": 1,
        "not_done_unknown": 0,
        "negative": -2,
    },
    "dechallenge": {"neutral": 0, "negative": -2},
    "notoriety": {
        "strongly_associated": 3,
        "associated": 2,
        "suspected": 1,
        "unknown": 0,
        "not_suspected": -1,
    },
}

CLASSES: Final[tuple[tuple[str, int], ...]] = (
    ("very unlikely", -12),
    ("unlikely", 0),
    ("possible", 2),
    ("probable", 4),
    ("very probable", 6),
)
_INTERMEDIATE_ABOVE: Final = 3

REFERENCE: Final = Citation(
    text=(
        "Sassolas B, Haddad C, Mockenhaupt M, et al. ALDEN, an algorithm for assessment of drug "
        "causality in Stevens-Johnson syndrome and toxic epidermal necrolysis. Clin Pharmacol "
        "Ther. 2010;88(1):60-68."
    ),
    section="clinical-reference.md §6.1",
    notes=(
        "Validated for SJS/TEN, not DRESS.",
        "Criterion 6: drugs ranked by intermediate score (criteria 1-5); when the top score "
        "is > 3, every drug below the top loses 1; the top-ranked drug and drugs tied with "
        "it keep their score.",
        "'unknown' delay or drug presence leaves the criterion undetermined (ALDEN gives no "
        "points for it); dechallenge 'unknown' is neutral (0), as ALDEN states.",
    ),
)

Delay = Literal["suggestive", "compatible", "likely", "unlikely", "excluded", "unknown"]
Presence = Literal["definite", "doubtful", "excluded", "unknown"]
Prechallenge = Literal[
    "positive_specific",
    "positive_similar_or_other_reaction",
    "positive_unspecific",
    "not_done_unknown",
    "negative",
]
Dechallenge = Literal["neutral", "negative"]
Notoriety = Literal["strongly_associated", "associated", "suspected", "unknown", "not_suspected"]


class DelayDays(StrictInput):
    """Days from the first intake to the index day, and any previous reaction to the drug."""

    days_from_first_intake_to_index_day: int
    previous_reaction_to_same_drug: Literal["yes", "no"]


class AldenDrug(StrictInput):
    """One drug's ALDEN answers."""

    drug: Annotated[str, Field(min_length=1)]
    delay: Annotated[
        Delay | DelayDays,
        Field(
            json_schema_extra={
                "accepted": "a category or {'days_from_first_intake_to_index_"
                "day': n, 'previous_reaction_to_same_drug': 'yes'|'no'}"
            }
        ),
    ]
    drug_present: Presence
    prechallenge: Prechallenge
    dechallenge: Dechallenge
    notoriety: Notoriety


class AldenInput(StrictInput):
    """All drugs of one case (criterion 6 compares them)."""

    drugs: Annotated[list[AldenDrug], Field(min_length=1)]

    @field_validator("drugs")
    @classmethod
    def _unique_names(cls, drugs: list[AldenDrug]) -> list[AldenDrug]:
        names = [drug.drug.strip().lower() for drug in drugs]
        repeated = sorted({name for name in names if names.count(name) > 1})
        if repeated:
            raise ValueError(f"distinct drug names (repeated: {', '.join(repeated)})")
        return drugs


def classify(total: int) -> str:
    """Return the ALDEN class of a drug's final score (Sassolas 2010).

    Examples
    --------
    >>> [classify(total) for total in (-1, 0, 1, 2, 3, 4, 5, 6)]
    ['very unlikely', 'unlikely', 'unlikely', 'possible', 'possible', 'probable', 'probable', 'very probable']
    """  # noqa: E501
    return band(total, CLASSES)


@dataclass(frozen=True)
class _Resolved:
    answer: str
    points: int | None  # None = undetermined
    reason: str
    alternatives: tuple[int, ...] = ()
    evidence: tuple[str, ...] = ()


def _delay(value: Delay | DelayDays) -> _Resolved:
    choices = tuple(sorted(set(POINTS["delay"].values())))
    if isinstance(value, str):
        if value == "unknown":
            return _Resolved("unknown", None, "delay unknown: undetermined", choices)
        points = POINTS["delay"][value]
        return _Resolved(value, points, f"{value}: {signed(points)}")
    days = value.days_from_first_intake_to_index_day
    previous = value.previous_reaction_to_same_drug == "yes"
    evidence = (
        f"{days} days; previous reaction to the same drug: {value.previous_reaction_to_same_drug}",
    )
    if days <= 0:
        category = "excluded"
        why = "started on or after the index day"
    elif days > 56:
        category, why = "unlikely", "> 56 days"
    elif previous:
        category, why = (
            ("suggestive", "1-4 days after a previous reaction")
            if days <= 4
            else ("likely", "5-56 days after a previous reaction")
        )
    elif days <= 4:
        category, why = "likely", "1-4 days"
    elif days <= 28:
        category, why = "suggestive", "5-28 days"
    else:
        category, why = "compatible", "29-56 days"
    points = POINTS["delay"][category]
    return _Resolved(category, points, f"{why}: {category} {signed(points)}", evidence=evidence)


def _category(criterion: str, value: str) -> _Resolved:
    if value == "unknown" and criterion == "drug_present":
        alternatives = tuple(sorted(set(POINTS[criterion].values())))
        return _Resolved("unknown", None, "unknown: undetermined", alternatives)
    points = POINTS[criterion][value]
    return _Resolved(value, points, f"{value}: {signed(points)}")


def _intermediate_range(resolved: list[_Resolved]) -> tuple[int, int]:
    low = sum(r.points if r.points is not None else min(r.alternatives) for r in resolved)
    high = sum(r.points if r.points is not None else max(r.alternatives) for r in resolved)
    return low, high


def _other_cause(position: int, names: list[str], ranges: list[tuple[int, int]]) -> _Resolved:
    """Criterion 6 for one drug, from every drug's intermediate-score range.

    Sassolas 2010 (Table 1, criterion 6; clinical-reference.md §6.1): rank the drugs by their
    intermediate score (criteria 1-5); if at least one scores > 3, subtract 1 from each of the
    *other* drugs. The top-ranked drug and drugs tied with it keep their score. So a drug is
    penalised exactly when another drug scores both > 3 and more than it.

    Each drug's intermediate score depends only on its own answers, so with unknown items
    every score ranges independently over ``(low, high)``: the penalty is certain when some
    other drug's lowest score is > 3 and above this drug's highest, impossible when no other
    drug's highest score is both > 3 and above this drug's lowest, and undetermined otherwise.

    Parameters
    ----------
    position
        Index of the drug scored.
    names
        Every drug's name, in input order.
    ranges
        Every drug's intermediate score as ``(lowest, highest)`` reachable; equal when known.

    Returns
    -------
    _Resolved
        ``yes`` (-1), ``no`` (0) or ``unknown`` (undetermined, -1 or 0 reachable).
    """
    low, high = ranges[position]
    others = [(names[i], ranges[i]) for i in range(len(names)) if i != position]
    surely_above = [
        f"{name} ({o_low})"
        for name, (o_low, _) in others
        if o_low > _INTERMEDIATE_ABOVE and o_low > high
    ]
    maybe_above = [
        name for name, (_, o_high) in others if o_high > _INTERMEDIATE_ABOVE and o_high > low
    ]
    if surely_above:
        return _Resolved(
            "yes",
            -1,
            f"ranked below a drug with intermediate score > 3: {', '.join(surely_above)}: -1",
        )
    if maybe_above:
        return _Resolved(
            "unknown",
            None,
            "undetermined: once unknown items are answered this drug could rank below a drug "
            f"with intermediate score > 3 ({', '.join(maybe_above)})",
            (-1, 0),
        )
    if not others:
        return _Resolved("no", 0, "the only drug: ranked first, keeps its score: 0")
    if high <= _INTERMEDIATE_ABOVE and all(
        o_high <= _INTERMEDIATE_ABOVE for _, (_, o_high) in others
    ):
        return _Resolved("no", 0, "no drug with intermediate score > 3: 0")
    if low != high:
        return _Resolved(
            "no",
            0,
            "no other drug can score > 3 and above this drug: ranked first, keeps its score: 0",
        )
    tied = [name for name, (o_low, o_high) in others if o_low == o_high == low]
    if tied:
        return _Resolved(
            "no",
            0,
            f"tied at the top ({low}) with {', '.join(tied)}: top-ranked drugs keep their score: 0",
        )
    return _Resolved("no", 0, f"top-ranked drug ({low}): keeps its score: 0")


def score(
    answers: AldenInput | Mapping[str, object], *, source: str | None = None
) -> tuple[ScoreResult, ...]:
    """Score ALDEN for every drug of a case.

    Parameters
    ----------
    answers
        An :class:`AldenInput` or ``{"drugs": [...]}``.
    source
        Where the answers came from, named in error messages.

    Returns
    -------
    tuple of ScoreResult
        One per drug, in input order; ``subject`` is the drug's name.

    Raises
    ------
    dresskit.errors.InputErrors
        For an empty drug list, repeated names or answers not accepted.

    References
    ----------
    Sassolas B et al. Clin Pharmacol Ther. 2010;88:60-68; clinical-reference.md §6.1.

    Examples
    --------
    >>> results = score({"drugs": [
    ...     {"drug": "allopurinol", "delay": {"days_from_first_intake_to_index_day": 20,
    ...      "previous_reaction_to_same_drug": "no"}, "drug_present": "definite",
    ...      "prechallenge": "not_done_unknown", "dechallenge": "neutral",
    ...      "notoriety": "strongly_associated"},
    ...     {"drug": "paracetamol", "delay": "compatible", "drug_present": "definite",
    ...      "prechallenge": "not_done_unknown", "dechallenge": "neutral",
    ...      "notoriety": "unknown"}]})
    >>> [(r.subject, r.total, r.classification) for r in results]
    [('allopurinol', 6, 'very probable'), ('paracetamol', 1, 'unlikely')]
    """
    parsed = parse_input(AldenInput, answers, source=source, instrument="ALDEN")
    per_drug = []
    for drug in parsed.drugs:
        per_drug.append(
            [
                _delay(drug.delay),
                _category("drug_present", drug.drug_present),
                _category("prechallenge", drug.prechallenge),
                _category("dechallenge", drug.dechallenge),
                _category("notoriety", drug.notoriety),
            ]
        )
    ranges = [_intermediate_range(resolved) for resolved in per_drug]
    names = [drug.drug for drug in parsed.drugs]
    results = []
    for position, (drug, resolved) in enumerate(zip(parsed.drugs, per_drug, strict=True)):
        other = _other_cause(position, names, ranges)
        items = tuple(
            ItemResult(
                id=criterion,
                label=CRITERIA[criterion],
                answer=entry.answer,
                points=entry.points if entry.points is not None else 0,
                reason=entry.reason,
                known=entry.points is not None,
                alternatives=entry.alternatives if entry.points is None else (),
                evidence=entry.evidence,
            )
            for criterion, entry in zip(CRITERIA, [*resolved, other], strict=True)
        )
        total = sum(item.points or 0 for item in items)
        reachable = reachable_additive_totals(items)
        intermediate = sum(item.points or 0 for item in items[:5])
        remarks = [
            f"Intermediate score (criteria 1-5): {intermediate}.",
            "ALDEN is validated for SJS/TEN, not for DRESS.",
        ]
        results.append(
            ScoreResult(
                instrument="alden",
                name="ALDEN drug causality (SJS/TEN)",
                version="Sassolas 2010",
                total=total,
                classification=classify(total),
                items=items,
                total_range=(-12, 10),
                reachable_total=(min(reachable), max(reachable)),
                reachable_classes=tuple(dict.fromkeys(classify(t) for t in sorted(reachable))),
                reference=REFERENCE,
                remarks=tuple(remarks),
                subject=drug.drug,
            )
        )
    return tuple(results)
