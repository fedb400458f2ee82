"""The catalogue of instruments: one entry per CLI name, with its input model and scorer.

Front ends (CLI, web) look instruments up here instead of importing each module, so adding
an instrument is one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Final

from pydantic import BaseModel

from dresskit.errors import InputError, InputErrors
from dresskit.scoring import (
    alden,
    bocquet,
    dds,
    jscar,
    naranjo,
    regiscar,
    regiscar_inclusion,
    who_umc,
)
from dresskit.scoring._items import ScoreResult

__all__ = ["INSTRUMENTS", "Instrument", "get_instrument", "input_schema", "score_case"]


@dataclass(frozen=True)
class Instrument:
    """An instrument as the front ends see it.

    Attributes
    ----------
    id
        CLI name (``"regiscar"``).
    title
        Full name.
    purpose
        What it is for, in one line.
    input_model
        The pydantic model of its JSON input.
    scorer
        ``score(answers, source=...)`` of the instrument's module.
    per_drug
        ``True`` when it returns one result per drug (ALDEN).
    """

    id: str
    title: str
    purpose: str
    input_model: type[BaseModel]
    scorer: Callable[..., ScoreResult | tuple[ScoreResult, ...]]
    per_drug: bool = False


INSTRUMENTS: Final[Mapping[str, Instrument]] = {
    entry.id: entry
    for entry in (
        Instrument(
            "regiscar",
            "RegiSCAR DRESS validation score",
            "DRESS diagnosis: no case / possible / probable / definite",
            regiscar.RegiscarInput,
            regiscar.score,
        ),
        Instrument(
            "regiscar-inclusion",
            "RegiSCAR inclusion criteria",
            "Potential DRESS case: context + >= 3 of 4 starred criteria",
            regiscar_inclusion.RegiscarInclusionInput,
            regiscar_inclusion.score,
        ),
        Instrument(
            "jscar",
            "J-SCAR criteria for DIHS",
            "DIHS diagnosis: typical / atypical / not met",
            jscar.JscarInput,
            jscar.score,
        ),
        Instrument(
            "bocquet",
            "Bocquet criteria for DRESS",
            "DRESS diagnosis: all three criteria met or not",
            bocquet.BocquetInput,
            bocquet.score,
        ),
        Instrument(
            "naranjo",
            "Naranjo ADR probability scale",
            "Causality of one drug: doubtful / possible / probable / definite",
            naranjo.NaranjoInput,
            naranjo.score,
        ),
        Instrument(
            "who-umc",
            "WHO-UMC causality assessment",
            "Causality of one drug: certain ... unassessable",
            who_umc.WhoUmcInput,
            who_umc.score,
        ),
        Instrument(
            "alden",
            "ALDEN drug causality (SJS/TEN)",
            "Causality of every drug of an SJS/TEN case",
            alden.AldenInput,
            alden.score,
            per_drug=True,
        ),
        Instrument(
            "dds",
            "DiHS/DRESS severity score (DDS)",
            "Severity: mild / moderate / severe",
            dds.DdsInput,
            dds.score,
        ),
    )
}


def get_instrument(name: str) -> Instrument:
    """Return the catalogue entry for ``name``.

    Raises
    ------
    InputError
        When ``name`` is not in the catalogue; the message lists the names.
    """
    try:
        return INSTRUMENTS[name]
    except KeyError:
        raise InputError("instrument", name, "one of " + ", ".join(INSTRUMENTS)) from None


def input_schema(name: str) -> dict[str, Any]:
    """Return the JSON Schema of an instrument's input.

    Examples
    --------
    >>> sorted(input_schema("regiscar")["required"])[:3]
    ['atypical_lymphocytes', 'biopsy_suggestive', 'eosinophilia']
    """
    return get_instrument(name).input_model.model_json_schema()


def score_case(name: str, answers: object, *, source: str | None = None) -> tuple[ScoreResult, ...]:
    """Score one case with the instrument ``name``; always returns a tuple of results.

    Raises
    ------
    InputErrors
        When the answers are not accepted.
    """
    instrument = get_instrument(name)
    if not isinstance(answers, Mapping):
        raise InputErrors(
            [InputError("<input>", answers, f"a JSON object of {name} items", source=source)]
        )
    outcome = instrument.scorer(answers, source=source)
    return outcome if isinstance(outcome, tuple) else (outcome,)
