"""Renderers over a :class:`~dresskit.scoring.ScoreResult`: plain data (for JSON) and text.

The result object never prints itself; these functions are the one place that turns it into
output, so the CLI, the web layer and reports show the same thing.
"""

from __future__ import annotations

import re
from typing import Any, Final

from dresskit.display_units import DISPLAY_SYMBOLS, with_unit
from dresskit.errors import DresskitError
from dresskit.scoring._items import ScoreResult, signed

__all__ = ["answer_in_words", "evidence_in_words", "result_as_dict", "result_as_text"]

#: Answer codes whose words are more than the code with spaces (RegiSCAR eosinophil levels:
#: Kardaun 2007, clinical-reference.md §1.2).
_ANSWER_WORDS: Final[dict[str, str]] = {
    "yes_700_to_1499": "yes, 700-1 499/µL",
    "yes_1500_or_more": "yes, ≥ 1 500/µL",
    "two_or_more_organs": "yes, 2 or more organs",
    "one_organ": "yes, 1 organ",
}

# A number followed by a UCUM code from the display map ("101.3 [degF]", "0.7 mg/dL").
_NUMBER_AND_UNIT: Final = re.compile(
    r"(?P<number>-?\d+(?:\.\d+)?(?:e[+-]?\d+)?) (?P<unit>"
    + "|".join(re.escape(code) for code in sorted(DISPLAY_SYMBOLS, key=len, reverse=True) if code)
    + r")(?=$|[ ,;)])"
)
#: Temperature units shown with their value in °C beside the one the user gave.
_TEMPERATURE_CODES: Final = ("[degF]", "K")


def answer_in_words(answer: str) -> str:
    """Return an answer code as a person reads it: ``"not_done"`` -> ``"not done"``.

    Examples
    --------
    >>> answer_in_words("yes_1500_or_more"), answer_in_words("not_necessary")
    ('yes, ≥ 1 500/µL', 'not necessary')
    """
    return _ANSWER_WORDS.get(answer, answer.replace("_", " "))


def evidence_in_words(text: str) -> str:
    """Return an evidence line for people: units as symbols, a temperature also in °C.

    The result object keeps UCUM codes (``"101.3 [degF]"``: machine formats, JSON); a person
    reads the symbol (``°F``) and, for a temperature given in °F or K, the value in °C beside
    it, as the score used it (display map: :mod:`dresskit.display_units`).

    Examples
    --------
    >>> evidence_in_words("max temperature = 101.3 [degF] (38.5 Cel)")
    'max temperature 101.3 °F (38.5 °C)'
    >>> evidence_in_words("max temperature = 311.65 K")
    'max temperature 311.65 K (38.5 °C)'
    >>> evidence_in_words("creatinine = 88.4 umol/L (1 mg/dL)")
    'creatinine 88.4 µmol/L (1 mg/dL)'
    """
    converted = " (" in text

    def symbol(match: re.Match[str]) -> str:
        number, unit = match["number"], match["unit"]
        shown = with_unit(number, unit)
        if unit in _TEMPERATURE_CODES and not converted:
            from dresskit.units import to_degrees_celsius  # pint, only for a °F or K reading

            try:
                celsius = to_degrees_celsius(float(number), unit, field="temperature")
            except DresskitError:  # outside the body range: shown as given
                return shown
            shown += f" ({with_unit(f'{celsius:g}', 'Cel')})"
        return shown

    return _NUMBER_AND_UNIT.sub(symbol, text.replace(" = ", " ", 1))


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
