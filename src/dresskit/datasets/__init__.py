"""Published cases shipped with dresskit, each citing its paper.

Docs, ``make run``, the examples command and the tests use this one copy. Each case file under
``dresskit/datasets/data/cases/`` holds the authors' reported score, the input transcribed from
the paper with canonical item ids, and the transcription decisions; ``tests/data/SOURCES.md``
lists them with table and page.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from dresskit.errors import InputError

__all__ = ["PublishedCase", "load_published_cases"]


@dataclass(frozen=True)
class PublishedCase:
    """A case from the literature with the score its authors reported.

    Attributes
    ----------
    id
        File stem, e.g. ``"shen2024_seed"``.
    citation
        The paper, with the table or page the numbers come from.
    instrument
        Catalogue name of the instrument (``"regiscar"``, ``"naranjo"``).
    reported_total, reported_class
        What the authors reported (``None`` when they did not).
    input
        The answers transcribed from the paper (canonical item ids).
    expected_total
        The total dresskit must compute from ``input``.
    expected_reachable
        When items are unknown: the reachable range, which must contain ``reported_total``.
    notes
        Transcription decisions.
    """

    id: str
    citation: str
    instrument: str
    reported_total: int | None
    reported_class: str | None
    input: dict[str, Any]
    expected_total: int | None
    expected_reachable: tuple[int, int] | None
    notes: str


def _case_from(name: str, data: dict[str, Any]) -> PublishedCase:
    try:
        reachable = data.get("expected_reachable")
        return PublishedCase(
            id=str(data["id"]),
            citation=str(data["citation"]),
            instrument=str(data["instrument"]),
            reported_total=data.get("reported_total"),
            reported_class=data.get("reported_class"),
            input=dict(data["input"]),
            expected_total=data.get("expected_total"),
            expected_reachable=(int(reachable[0]), int(reachable[1])) if reachable else None,
            notes=str(data.get("notes", "")),
        )
    except (KeyError, TypeError, ValueError, IndexError) as exc:
        raise InputError(
            "<case>",
            name,
            f"a published-case file with id, citation, instrument and input ({exc!r})",
            source=name,
        ) from None


def load_published_cases(instrument: str | None = None) -> tuple[PublishedCase, ...]:
    """Load the bundled published cases, sorted by id.

    Parameters
    ----------
    instrument
        Keep only the cases of this instrument.

    Examples
    --------
    >>> cases = load_published_cases("regiscar")
    >>> any(case.id.startswith("shen2024") for case in cases)
    True
    """
    folder = resources.files("dresskit.datasets").joinpath("data", "cases")
    cases = []
    for entry in sorted(folder.iterdir(), key=lambda item: item.name):
        if entry.name.endswith(".json"):
            case = _case_from(entry.name, json.loads(entry.read_text(encoding="utf-8")))
            if instrument is None or case.instrument == instrument:
                cases.append(case)
    return tuple(cases)
