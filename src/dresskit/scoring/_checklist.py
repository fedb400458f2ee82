"""Shared machinery for criteria instruments (J-SCAR, Bocquet, RegiSCAR inclusion).

Each criterion resolves to met (``True``), not met (``False``) or undetermined (``None``). A
met criterion counts 1, so the total is the number of criteria met; an undetermined one counts
0 and is listed as unknown, and the reachable classes come from answering it both ways.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from dresskit.scoring._items import (
    Citation,
    ItemResult,
    ScoreResult,
    reachable_additive_totals,
    reachable_by_enumeration,
)

__all__ = ["Criterion", "checklist_result", "resolve_answer"]


@dataclass(frozen=True)
class Criterion:
    """One criterion as resolved from the input."""

    id: str
    label: str
    met: bool | None
    reason: str
    evidence: tuple[str, ...] = ()


def resolve_answer(answer: str, label: str) -> tuple[bool | None, str]:
    """Map ``"yes"``/``"no"``/``"unknown"`` to met / not met / undetermined, with a reason."""
    if answer == "yes":
        return True, f"answered yes: {label} met"
    if answer == "no":
        return False, f"answered no: {label} not met"
    return None, "answered unknown: counted as not met for now"


def checklist_result(
    *,
    instrument: str,
    name: str,
    version: str,
    criteria: Sequence[Criterion],
    classify: Callable[[Mapping[str, bool]], str],
    classes: Sequence[str],
    reference: Citation,
    remarks: Sequence[str] = (),
) -> ScoreResult:
    """Build the explained result of a checklist instrument."""
    items = tuple(
        ItemResult(
            id=criterion.id,
            label=criterion.label,
            answer="unknown" if criterion.met is None else ("yes" if criterion.met else "no"),
            points=1 if criterion.met else 0,
            reason=criterion.reason,
            known=criterion.met is not None,
            alternatives=(0, 1) if criterion.met is None else (),
            evidence=criterion.evidence,
        )
        for criterion in criteria
    )
    current = {criterion.id: bool(criterion.met) for criterion in criteria}
    unknown: dict[str, Sequence[bool]] = {
        criterion.id: (False, True) for criterion in criteria if criterion.met is None
    }
    reachable_classes = reachable_by_enumeration(current, unknown, classify)
    totals = reachable_additive_totals(items)
    notes = list(remarks)
    if unknown:
        notes.insert(
            0,
            f"{len(unknown)} criterion/criteria undetermined ({', '.join(unknown)}); "
            "counted as not met, and answering them could give: "
            + ", ".join(c for c in classes if c in reachable_classes),
        )
    return ScoreResult(
        instrument=instrument,
        name=name,
        version=version,
        total=sum(item.points or 0 for item in items),
        classification=classify(current),
        items=items,
        total_range=(0, len(items)),
        reachable_total=(min(totals), max(totals)),
        reachable_classes=tuple(c for c in classes if c in reachable_classes),
        reference=reference,
        remarks=tuple(notes),
    )
