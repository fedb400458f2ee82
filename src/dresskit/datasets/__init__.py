"""Published cases shipped with dresskit, each citing its paper.

Docs, ``make run``, the examples command and the tests use this one copy. Each case file under
``dresskit/datasets/data/cases/`` holds the authors' reported score, the input transcribed from
the paper with canonical item ids, and the transcription decisions; ``tests/data/SOURCES.md``
lists them with table and page. Where dresskit's score differs from the authors', the case's
``reason`` says why (mostly: the paper does not state what an item needs, so dresskit leaves
it unknown and shows the range the authors' number lies in).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

from dresskit.errors import InputError

__all__ = ["PublishedCase", "PublishedTable", "load_published_cases", "load_published_table"]


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
    reason
        Why dresskit's number differs from the authors' (in one or two sentences), for a
        case where it does; ``None`` where both agree. ``dresskit examples`` prints it.
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
    reason: str | None = None


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
            reason=str(data["reason"]) if data.get("reason") else None,
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


@dataclass(frozen=True)
class PublishedTable:
    """A per-patient course table as printed in a paper, with its summary row.

    Attributes
    ----------
    id
        File stem, e.g. ``"sim2022_table1"``.
    citation
        The paper and table.
    index
        The index event of the table's times (``"ivig"``).
    columns
        dresskit course-table column -> the paper's column heading.
    rows
        Episode id (as in the example bundle) -> column -> value (``None`` for the paper's
        "—").
    summary
        Column -> the printed summary: ``text`` as printed, and ``median``, ``minimum``,
        ``maximum`` as numbers.
    note
        Transcription decisions.
    """

    id: str
    citation: str
    index: str
    columns: dict[str, str]
    rows: dict[str, dict[str, float | None]]
    summary: dict[str, dict[str, Any]]
    note: str


def load_published_table(name: str = "sim2022_table1") -> PublishedTable:
    """Load a published course table shipped with dresskit (``"sim2022_table1"``).

    Examples
    --------
    >>> table = load_published_table()
    >>> table.rows["SIM14"]["steroid_after_days"] is None
    True
    >>> table.summary["steroid_after_days"]["text"]
    '36.5 (0–131.0)'

    """
    source = resources.files("dresskit.datasets").joinpath(f"data/tables/{name}.json")
    if not source.is_file():
        raise InputError("table", name, "a published table shipped with dresskit: sim2022_table1")
    data = json.loads(source.read_text(encoding="utf-8"))
    columns = dict(data["columns"])
    rows = {
        data["episode_ids"].format(patient=int(patient)): dict(zip(columns, values, strict=True))
        for patient, values in data["rows"].items()
    }
    return PublishedTable(
        id=data["id"],
        citation=data["citation"],
        index=data["index"],
        columns=columns,
        rows=rows,
        summary=dict(data["summary"]),
        note=data["note"],
    )
