"""Clinical scores for DRESS diagnosis, drug causality and severity: pure, explained.

Each instrument is a module with an input model and a ``score`` function returning a
:class:`ScoreResult`.
"""

from dresskit.scoring import regiscar
from dresskit.scoring._items import Answer, Citation, ItemResult, ScoreResult

__all__ = ["Answer", "Citation", "ItemResult", "ScoreResult", "regiscar"]
