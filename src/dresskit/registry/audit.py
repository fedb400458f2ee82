"""The audit trail: append-only, hash-chained records of every change, import and export.

Each record holds who, when, what (action, entity, entity id), and the before and after
values of the change as canonical JSON. Its ``hash`` is SHA-256 over the previous record's
hash and the record's own fields, so editing or deleting any record breaks the chain from
there on: :func:`verify` finds the first record that no longer fits. A record carries no more
identifiers than the change itself (an import lists the episode ids it wrote, never patient
details it did not change).

References
----------
.. [1] Crosby SA, Wallach DS. Efficient data structures for tamper-evident logging. USENIX
   Security Symposium 2009 (hash chains for tamper-evident logs).
.. [2] FIPS 180-4, Secure Hash Standard (SHA-256).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, select

from dresskit.registry.schema import table

__all__ = ["GENESIS", "AuditRecord", "ChainCheck", "append", "records", "verify"]

#: The "previous hash" of the first record.
GENESIS: Final = "0" * 64


@dataclass(frozen=True)
class AuditRecord:
    """One audit record as stored."""

    id: int
    at: datetime
    actor: str
    action: str
    entity: str
    entity_id: str | None
    before: str | None
    after: str | None
    previous_hash: str
    hash: str


def _canonical(value: Mapping[str, Any] | None) -> str | None:
    if value is None:
        return None
    return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)


def _digest(
    previous_hash: str,
    at: datetime,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None,
    before: str | None,
    after: str | None,
) -> str:
    fields = [previous_hash, _timestamp(at), actor, action, entity, entity_id, before, after]
    payload = json.dumps(fields, separators=(",", ":"))
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()


def _timestamp(at: datetime) -> str:
    # Databases return timestamps with or without a zone; hash them the same way.
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def append(
    connection: Connection,
    *,
    actor: str,
    action: str,
    entity: str,
    entity_id: str | None = None,
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    at: datetime | None = None,
) -> str:
    """Append one record in the caller's transaction; return its hash.

    The previous record is read with a row lock where the database has one (PostgreSQL), so
    two writers cannot both chain onto the same record.
    """
    audit = table("audit_log")
    query = select(audit.c.hash).order_by(audit.c.id.desc()).limit(1)
    if connection.dialect.name == "postgresql":
        query = query.with_for_update()
    previous = connection.execute(query).scalar_one_or_none() or GENESIS
    moment = at or datetime.now(tz=UTC)
    before_text, after_text = _canonical(before), _canonical(after)
    digest = _digest(previous, moment, actor, action, entity, entity_id, before_text, after_text)
    connection.execute(
        audit.insert().values(
            at=moment,
            actor=actor,
            action=action,
            entity=entity,
            entity_id=entity_id,
            before=before_text,
            after=after_text,
            previous_hash=previous,
            hash=digest,
        )
    )
    return digest


def records(engine: Engine, *, limit: int | None = None) -> list[AuditRecord]:
    """Return the records, oldest first (the last ``limit`` when given)."""
    audit = table("audit_log")
    query = select(audit).order_by(audit.c.id)
    with engine.connect() as connection:
        rows = [AuditRecord(**row._mapping) for row in connection.execute(query)]
    return rows[-limit:] if limit else rows


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`verify`: intact, or the first record that breaks the chain."""

    intact: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


def verify(engine: Engine, *, expected_head: str | None = None) -> ChainCheck:
    """Recompute every hash; report the first edited, inserted or deleted record.

    A chain cannot show by itself that its newest records were cut off: give
    ``expected_head``, the newest hash noted earlier (``dresskit audit log`` prints it), to
    check that too.
    """
    previous = GENESIS
    rows = records(engine)
    for position, record in enumerate(rows):
        if record.previous_hash != previous:
            return ChainCheck(
                False,
                position,
                record.id,
                f"record {record.id} does not follow the record before it (a record before it "
                "was deleted, inserted or edited)",
            )
        expected = _digest(
            record.previous_hash,
            record.at,
            record.actor,
            record.action,
            record.entity,
            record.entity_id,
            record.before,
            record.after,
        )
        if expected != record.hash:
            return ChainCheck(
                False, position, record.id, f"record {record.id} was edited after it was written"
            )
        previous = record.hash
    if (
        expected_head is not None
        and expected_head != previous
        and expected_head not in {record.hash for record in rows}
    ):
        return ChainCheck(
            False,
            len(rows),
            None,
            "the noted newest record is missing: records were cut off the end, or the log "
            "was replaced",
        )
    if expected_head is not None and expected_head != previous:
        return ChainCheck(True, len(rows), None, "records were added after the noted one")
    return ChainCheck(True, len(rows))
