"""Renderers over a :class:`~dresskit.scoring.ScoreResult`: plain data (for JSON) and text.

The result object never prints itself; these functions are the one place that turns it into
output, so the CLI, the web layer and reports show the same thing.
"""

from __future__ import annotations

from typing import Any

from dresskit.scoring._items import ScoreResult, signed

__all__ = ["result_as_dict", "result_as_text"]


def result_as_dict(result: ScoreResult) -> dict[str, Any]:
    """Return the result as JSON-ready data.

    Keys: ``instrument``, ``name``, ``version``, ``subject``, ``total``, ``class``,
    ``total_range``, ``items`` (each with ``id``, ``label``, ``answer``, ``points``,
    ``reason``, ``known``, ``alternatives``, ``evidence``), ``unknown_items``,
    ``reachable_total`` (``[low, high]``), ``reachable_classes``, ``remarks`` and
    ``reference`` (``text``, ``section``, ``notes``).

    Examples
    --------
    >>> from dresskit.scoring import regiscar
    >>> data = result_as_dict(regiscar.score({item: "unknown" for item in regiscar.POINTS}))
    >>> data["total"], data["class"], data["reachable_total"]
    (-2, 'no case', [-4, 9])
    """
    return {
        "instrument": result.instrument,
        "name": result.name,
        "version": result.version,
        "subject": result.subject,
        "total": result.total,
        "class": result.classification,
        "total_range": list(result.total_range) if result.total_range else None,
        "items": [
            {
                "id": item.id,
                "label": item.label,
                "answer": item.answer,
                "points": item.points,
                "reason": item.reason,
                "known": item.known,
                "alternatives": list(item.alternatives),
                "evidence": list(item.evidence),
            }
            for item in result.items
        ],
        "unknown_items": list(result.unknown_items),
        "reachable_total": list(result.reachable_total) if result.reachable_total else None,
        "reachable_classes": list(result.reachable_classes),
        "remarks": list(result.remarks),
        "reference": {
            "text": result.reference.text,
            "section": result.reference.section,
            "notes": list(result.reference.notes),
        },
    }


def result_as_text(result: ScoreResult) -> str:
    """Return a plain-text breakdown: one line per item, then total, class and caveats.

    Examples
    --------
    >>> from dresskit.scoring import regiscar
    >>> answers = {item: "unknown" for item in regiscar.POINTS} | {"fever": "yes"}
    >>> print(result_as_text(regiscar.score(answers)).splitlines()[0])
    RegiSCAR DRESS validation score (Kardaun 2007/2013)
    """
    title = f"{result.name} ({result.version})"
    if result.subject:
        title += f" - {result.subject}"
    lines = [title]
    width = max(len(item.label) for item in result.items)
    for item in result.items:
        flag = "" if item.known else "  [unknown]"
        lines.append(f"  {item.label:<{width}}  {item.answer:<18} {signed(item.points):>3}{flag}")
        lines.append(f"  {'':<{width}}    {item.reason}")
        lines.extend(f"  {'':<{width}}    evidence: {text}" for text in item.evidence)
    if result.total is not None:
        span = (
            f" (range {result.total_range[0]}..{result.total_range[1]})"
            if result.total_range
            else ""
        )
        lines.append(f"Total: {result.total}{span}")
    lines.append(f"Class: {result.classification}")
    if result.unknown_items:
        reach = ""
        if result.reachable_total is not None:
            reach = f"totals {result.reachable_total[0]}..{result.reachable_total[1]}, "
        lines.append(
            f"Unknown items: {', '.join(result.unknown_items)}; if answered: "
            f"{reach}classes {', '.join(result.reachable_classes)}"
        )
    lines.extend(f"Remark: {remark}" for remark in result.remarks)
    lines.append(f"Reference: {result.reference.text} [{result.reference.section}]")
    return "\n".join(lines)
