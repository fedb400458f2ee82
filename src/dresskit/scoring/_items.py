"""Value types shared by every instrument: answers, per-item results, score results, citations.

Every instrument returns a :class:`ScoreResult` that carries its own explanation: each item's
answer, points and the rule that gave them; the total and class; the items left unknown; the
totals and classes still reachable if those were answered; and the citation.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Final, TypeVar

__all__ = [
    "Answer",
    "Citation",
    "ItemResult",
    "ScoreResult",
    "band",
    "reachable_additive_totals",
    "reachable_by_enumeration",
    "signed",
]

_T = TypeVar("_T")

#: Above this many unknown-item combinations, enumeration stops (the instruments here stay far
#: below: 7 criteria x 3 answers = 2 187).
_MAX_COMBINATIONS: Final = 100_000


class Answer(StrEnum):
    """The three answers every item accepts (section 0 of the clinical reference)."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Citation:
    """Where an instrument's definition comes from.

    Attributes
    ----------
    text
        The primary source, in Vancouver style.
    section
        The section of dresskit's ``clinical-reference.md`` that transcribes it.
    notes
        Decisions taken where reproductions of the source disagree.
    """

    text: str
    section: str
    notes: tuple[str, ...] = ()


@dataclass(frozen=True)
class ItemResult:
    """One item of an instrument as scored.

    Attributes
    ----------
    id
        Canonical item id (``"fever"``).
    label
        The item as the instrument words it.
    answer
        The answer used for scoring: ``"yes"``, ``"no"``, ``"unknown"`` or a level
        (``"yes_1500_or_more"``). Derived from raw values when those were given.
    points
        Points given, or ``None`` for an instrument without points (WHO-UMC).
    reason
        The rule that gave the points, in words.
    known
        ``False`` when the answer is ``"unknown"`` (or undeterminable from raw values).
    alternatives
        For an unknown item, the points it could take once answered; empty when known.
    evidence
        Raw values that fed the item, as ``"name = value unit"`` strings.
    """

    id: str
    label: str
    answer: str
    points: int | None
    reason: str
    known: bool = True
    alternatives: tuple[int, ...] = ()
    evidence: tuple[str, ...] = ()


@dataclass(frozen=True)
class ScoreResult:
    """The explained result of one instrument on one case (or one drug).

    Attributes
    ----------
    instrument
        Short id (``"regiscar"``), as used by the CLI.
    name
        Full name of the instrument.
    version
        Which version / publication of the instrument was implemented.
    total
        The total as the instrument counts it, unknown items scored as the instrument says;
        ``None`` for instruments without a total.
    classification
        The class the total (or checklist) gives.
    items
        Per-item breakdown, in the instrument's order.
    total_range
        The instrument's possible range of totals (RegiSCAR: -4..9), or ``None``.
    reachable_total
        Lowest and highest total still possible if every unknown item were answered.
    reachable_classes
        Classes still possible if every unknown item were answered, in instrument order.
    reference
        Citation of the definition.
    remarks
        Caveats: unknown items, derived answers, decisions.
    subject
        What was scored when not the whole case (a drug name for Naranjo or ALDEN).
    """

    instrument: str
    name: str
    version: str
    total: int | None
    classification: str
    items: tuple[ItemResult, ...]
    total_range: tuple[int, int] | None
    reachable_total: tuple[int, int] | None
    reachable_classes: tuple[str, ...]
    reference: Citation
    remarks: tuple[str, ...] = field(default=())
    subject: str | None = None

    @property
    def unknown_items(self) -> tuple[str, ...]:
        """Ids of the items whose answer is unknown."""
        return tuple(item.id for item in self.items if not item.known)

    @property
    def is_final(self) -> bool:
        """``True`` when answering the unknown items could not change the class."""
        return len(self.reachable_classes) == 1

    def item(self, item_id: str) -> ItemResult:
        """Return the result of the item with id ``item_id``.

        Raises
        ------
        KeyError
            If the instrument has no such item.
        """
        for item in self.items:
            if item.id == item_id:
                return item
        raise KeyError(item_id)


def band(total: int, classes: Sequence[tuple[str, int]]) -> str:
    """Return the class whose lowest total is the highest one <= ``total``.

    ``classes`` lists ``(name, lowest total)`` in increasing order; a total below the first
    lowest total gets the first class.

    Examples
    --------
    >>> band(5, [("doubtful", -4), ("possible", 1), ("probable", 5), ("definite", 9)])
    'probable'
    """
    name = classes[0][0]
    for class_name, lowest in classes:
        if total >= lowest:
            name = class_name
    return name


def signed(points: int | None) -> str:
    """Format points with their sign, zero as ``0`` and no points as an empty string.

    Examples
    --------
    >>> signed(2), signed(-1), signed(0), signed(None)
    ('+2', '-1', '0', '')
    """
    if points is None:
        return ""
    return f"{points:+d}" if points else "0"


def reachable_additive_totals(items: Iterable[ItemResult]) -> frozenset[int]:
    """All totals an additive score can still reach once its unknown items are answered.

    Known items contribute their points; each unknown item contributes any of its
    ``alternatives``. The result is the exact set (a sum-set), not just its bounds.

    Examples
    --------
    >>> known = ItemResult("a", "A", "yes", 2, "rule")
    >>> unknown = ItemResult("b", "B", "unknown", 0, "rule", known=False, alternatives=(-1, 1))
    >>> sorted(reachable_additive_totals([known, unknown]))
    [1, 3]
    """
    totals = {0}
    for item in items:
        if item.known:
            choices: Sequence[int] = (item.points or 0,)
        else:
            choices = item.alternatives or (item.points or 0,)
        totals = {total + choice for total in totals for choice in choices}
    return frozenset(totals)


def reachable_by_enumeration(
    answers: Mapping[str, _T],
    unknown_choices: Mapping[str, Sequence[_T]],
    classify: Callable[[Mapping[str, _T]], str],
) -> frozenset[str]:
    """All classes reachable by answering the unknown items in every possible way.

    For checklist instruments whose class is not a function of a single total.

    Parameters
    ----------
    answers
        The answers as given.
    unknown_choices
        For each unknown item id, the answers it could take.
    classify
        Maps a complete answer set to a class.
    """
    keys = list(unknown_choices)
    count = 1
    for key in keys:
        count *= max(1, len(unknown_choices[key]))
    if count > _MAX_COMBINATIONS:
        raise ValueError(f"too many unknown combinations to enumerate ({count})")
    classes = set()
    for combination in itertools.product(*(unknown_choices[key] for key in keys)):
        completed = dict(answers)
        completed.update(zip(keys, combination, strict=True))
        classes.add(classify(completed))
    return frozenset(classes)
