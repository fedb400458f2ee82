"""The catalogue of instruments: one entry per CLI name, with its input model and scorer.

Front ends (CLI, web) look instruments up here instead of importing each module, so adding
an instrument is one line.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from importlib import import_module
from typing import TYPE_CHECKING, Any, Final

from dresskit.errors import InputError, InputErrors

if TYPE_CHECKING:
    from types import ModuleType

    from pydantic import BaseModel

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
    module
        The instrument's module in :mod:`dresskit.scoring` (``"regiscar"``); imported only
        when the instrument is used, so that scoring one case loads one instrument.
    input_name
        The name of its pydantic input model in that module.
    per_drug
        ``True`` when it returns one result per drug (ALDEN).
    """

    id: str
    title: str
    purpose: str
    module: str
    input_name: str
    per_drug: bool = False

    def _module(self) -> ModuleType:
        return import_module(f"dresskit.scoring.{self.module}")

    @property
    def input_model(self) -> type[BaseModel]:
        """The pydantic model of its JSON input."""
        model: type[BaseModel] = getattr(self._module(), self.input_name)
        return model

    @property
    def scorer(self) -> Callable[..., ScoreResult | tuple[ScoreResult, ...]]:
        """``score(answers, source=...)`` of the instrument's module."""
        scorer: Callable[..., ScoreResult | tuple[ScoreResult, ...]] = self._module().score
        return scorer


INSTRUMENTS: Final[Mapping[str, Instrument]] = {
    entry.id: entry
    for entry in (
        Instrument(
            "regiscar",
            "RegiSCAR DRESS validation score",
            "DRESS diagnosis: no case / possible / probable / definite",
            "regiscar",
            "RegiscarInput",
        ),
        Instrument(
            "regiscar-inclusion",
            "RegiSCAR inclusion criteria",
            "Potential DRESS case: context + >= 3 of 4 starred criteria",
            "regiscar_inclusion",
            "RegiscarInclusionInput",
        ),
        Instrument(
            "jscar",
            "J-SCAR criteria for DIHS",
            "DIHS diagnosis: typical / atypical / not met",
            "jscar",
            "JscarInput",
        ),
        Instrument(
            "bocquet",
            "Bocquet criteria for DRESS",
            "DRESS diagnosis: all three criteria met or not",
            "bocquet",
            "BocquetInput",
        ),
        Instrument(
            "naranjo",
            "Naranjo ADR probability scale",
            "Causality of one drug: doubtful / possible / probable / definite",
            "naranjo",
            "NaranjoInput",
        ),
        Instrument(
            "who-umc",
            "WHO-UMC causality assessment",
            "Causality of one drug: certain ... unassessable",
            "who_umc",
            "WhoUmcInput",
        ),
        Instrument(
            "alden",
            "ALDEN drug causality (SJS/TEN)",
            "Causality of every drug of an SJS/TEN case",
            "alden",
            "AldenInput",
            per_drug=True,
        ),
        Instrument(
            "dds",
            "DiHS/DRESS severity score (DDS)",
            "Severity: mild / moderate / severe",
            "dds",
            "DdsInput",
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
