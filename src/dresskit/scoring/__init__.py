"""Clinical scores for DRESS diagnosis, drug causality and severity: pure, explained.

Each instrument is a module with an input model and a ``score`` function returning a
:class:`ScoreResult` (ALDEN: one per drug). :mod:`dresskit.scoring.catalogue` lists them by
CLI name; :mod:`dresskit.scoring.rendering` turns a result into text or JSON-ready data.
"""

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
from dresskit.scoring._items import Answer, Citation, ItemResult, ScoreResult, signed

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
