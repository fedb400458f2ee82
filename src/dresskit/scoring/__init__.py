"""Clinical scores for DRESS diagnosis, drug causality and severity: pure, explained.

Each instrument is a module with an input model and a ``score`` function returning a
:class:`ScoreResult` (ALDEN: one per drug). :mod:`dresskit.scoring.catalogue` lists them by
CLI name; :mod:`dresskit.scoring.rendering` turns a result into text or JSON-ready data.
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING, Any

from dresskit.scoring._items import Answer, Citation, ItemResult, ScoreResult, signed

if TYPE_CHECKING:
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

#: The instrument modules, imported on first use (PEP 562) so that scoring one case with the
#: command line loads one instrument, not eight.
_INSTRUMENT_MODULES = frozenset(
    {"alden", "bocquet", "dds", "jscar", "naranjo", "regiscar", "regiscar_inclusion", "who_umc"}
)


def __getattr__(name: str) -> Any:
    """Import an instrument module on first use (``dresskit.scoring.regiscar``)."""
    if name in _INSTRUMENT_MODULES:
        return import_module(f"dresskit.scoring.{name}")
    raise AttributeError(f"module 'dresskit.scoring' has no attribute {name!r}")


__all__ = [
    "Answer",
    "Citation",
    "ItemResult",
    "ScoreResult",
    "alden",
    "bocquet",
    "dds",
    "jscar",
    "naranjo",
    "regiscar",
    "regiscar_inclusion",
    "signed",
    "who_umc",
]
