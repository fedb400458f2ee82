"""Reading the audit trail a page at a time: filtered, newest first.

:func:`search` answers the audit page and the API: records matching every filter given
(actor, action, entity, entity id, a range of days), newest first, ``limit`` at a time. The
next page starts below the last record shown (``before_id``: keyset pagination, so a page
stays the same while new records are appended). The chain itself is checked by
:func:`dresskit.registry.audit.verify`.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Final

from sqlalchemy import Engine, select

from dresskit.errors import InputError
from dresskit.registry.audit import AuditRecord
from dresskit.registry.schema import table

__all__ = ["MAX_PAGE", "AuditFilter", "AuditPage", "known_values", "search"]

#: The most records one page holds.
MAX_PAGE: Final = 500
_MAX_TEXT: Final = 200
_TEXT_RULE: Final = f"printable text of at most {_MAX_TEXT} characters (no control characters)"


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """Which records to show (every condition given must hold).

    Attributes
    ----------
    actor, action, entity, entity_id
        Exact values (``entity_id`` e.g. an episode id, a username, a job id).
    on_or_after, on_or_before
        First and last day (UTC, inclusive).
    """

    actor: str | None = None
    action: str | None = None
    entity: str | None = None
    entity_id: str | None = None
    on_or_after: date | None = None
    on_or_before: date | None = None


@dataclass(frozen=True, slots=True)
class AuditPage:
    """One page of records, newest first, and where the next one starts (None: no more)."""

    records: tuple[AuditRecord, ...]
    next_before_id: int | None


def _aware(record: AuditRecord) -> AuditRecord:
    if record.at.tzinfo is None:
        return replace(record, at=record.at.replace(tzinfo=UTC))
    return record


def search(
    engine: Engine, chosen: AuditFilter, *, limit: int = 50, before_id: int | None = None
) -> AuditPage:
    """Return the newest ``limit`` records matching ``chosen`` (older than ``before_id``).

    Raises
    ------
    InputError
        For a limit outside 1..:data:`MAX_PAGE`, a filter text that is too long or holds a
        control character (a NUL never reaches the database), or a range of days that ends
        before it starts.
    """
    if not 1 <= limit <= MAX_PAGE:
        raise InputError("limit", limit, f"a whole number from 1 to {MAX_PAGE}")
    if chosen.on_or_after and chosen.on_or_before and chosen.on_or_before < chosen.on_or_after:
        raise InputError(
            "to",
            chosen.on_or_before.isoformat(),
            f"a day on or after the first day ({chosen.on_or_after.isoformat()})",
        )
    for field, value in (
        ("actor", chosen.actor),
        ("action", chosen.action),
        ("entity", chosen.entity),
        ("entity_id", chosen.entity_id),
    ):
        if value is not None and (len(value) > _MAX_TEXT or not value.isprintable()):
            raise InputError(field, value[:_MAX_TEXT], _TEXT_RULE)
    log = table("audit_log")
    query = select(log).order_by(log.c.id.desc()).limit(limit + 1)
    for column, value in (
        (log.c.actor, chosen.actor),
        (log.c.action, chosen.action),
        (log.c.entity, chosen.entity),
        (log.c.entity_id, chosen.entity_id),
    ):
        if value:
            query = query.where(column == value)
    if chosen.on_or_after is not None:
        query = query.where(log.c.at >= datetime.combine(chosen.on_or_after, time(), UTC))
    if chosen.on_or_before is not None:
        end = datetime.combine(chosen.on_or_before + timedelta(days=1), time(), UTC)
        query = query.where(log.c.at < end)
    if before_id is not None:
        query = query.where(log.c.id < before_id)
    with engine.connect() as connection:
        rows = [_aware(AuditRecord(**row._mapping)) for row in connection.execute(query)]
    more = len(rows) > limit
    shown = tuple(rows[:limit])
    return AuditPage(shown, shown[-1].id if more and shown else None)


def known_values(engine: Engine) -> dict[str, list[str]]:
    """Return the actors, actions and entities the log holds (for the filter's choices)."""
    log = table("audit_log")
    found: dict[str, list[str]] = {}
    with engine.connect() as connection:
        for name in ("actor", "action", "entity"):
            column = log.c[name]
            query = select(column).distinct().order_by(column).limit(1000)
            found[name] = [str(v) for v in connection.execute(query).scalars()]
    return found
