"""The audit trail: append-only, hash-chained records of every change, import and export.

Each record holds who, when, what (action, entity, entity id), and the before and after
values of the change as canonical JSON. Its ``hash`` is SHA-256 over the previous record's
hash and the record's own fields, so editing or deleting any record breaks the chain from
there on: :func:`verify` finds the first record that no longer fits. A record carries no more
identifiers than the change itself (an import lists the episode ids it wrote, never patient
details it did not change).

A chain cannot show by itself that its newest records were cut off, or that it was emptied:
the one-row table ``audit_head`` records how many records the log holds and the newest hash,
updated in the same transaction as every append, and :func:`verify` compares the log with it
(and finds a registry that holds patients or episodes but no record).

Appends are serialised, so no two records chain onto the same one: on PostgreSQL each append
first takes a transaction-level advisory lock (:data:`AUDIT_LOCK_KEY`), held until commit, and
only then reads the newest record (under READ COMMITTED a new statement sees every commit made
before the lock was granted); on SQLite a writer's transaction holds the database's write lock
from its ``BEGIN IMMEDIATE`` (:func:`dresskit.registry.db.writing`), and a writer that did not
take it early fails on its first write rather than chain onto a stale record.

References
----------
.. [1] Crosby SA, Wallach DS. Efficient data structures for tamper-evident logging. USENIX
   Security Symposium 2009 (hash chains for tamper-evident logs).
.. [2] FIPS 180-4, Secure Hash Standard (SHA-256).
.. [3] PostgreSQL 15 documentation, "Advisory Locks" (13.3.5) and "Advisory Lock Functions"
   (``pg_advisory_xact_lock``); "Read Committed Isolation Level" (13.2.1).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final

from sqlalchemy import Connection, Engine, func, select, text, update

from dresskit.registry.schema import table

__all__ = [
    "AUDIT_LOCK_KEY",
    "GENESIS",
    "AuditRecord",
    "ChainCheck",
    "append",
    "records",
    "verify",
]

#: The "previous hash" of the first record.
GENESIS: Final = "0" * 64

#: The PostgreSQL advisory lock key that serialises appends: the ASCII bytes of "dresskit"
#: read as a big-endian 64-bit integer (0x64726573736B6974). Another application sharing the
#: database must not use this key.
AUDIT_LOCK_KEY: Final = 7_237_959_097_669_871_988


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
    """Append one record in the caller's transaction, update the recorded head; return its hash.

    Appends are serialised (see the module documentation): on PostgreSQL the advisory lock
    :data:`AUDIT_LOCK_KEY` is taken, until the caller's transaction ends, before the newest
    record is read; on SQLite the caller's transaction should come from
    :func:`dresskit.registry.db.writing`. The caller's transaction must be READ COMMITTED on
    PostgreSQL (the default): a snapshot taken before the lock would not see the newest record
    (the head's update then fails the transaction rather than fork the chain).

    Parameters
    ----------
    connection
        The caller's connection, in the transaction that makes the change.
    actor, action, entity, entity_id
        Who did what to which entity.
    before, after
        The values before and after the change (stored as canonical JSON).
    at
        When (default now, UTC).

    Returns
    -------
    str
        The new record's hash (the new head).

    References
    ----------
    .. [1] PostgreSQL 15 documentation, "Advisory Lock Functions".
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": AUDIT_LOCK_KEY})
    audit = table("audit_log")
    query = select(audit.c.hash).order_by(audit.c.id.desc()).limit(1)
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
    # A missing head row is not re-created here: that would hide that it was removed
    # (verify reports it); the migrations create it.
    head = table("audit_head")
    connection.execute(
        update(head).where(head.c.id == 1).values(records=head.c.records + 1, hash=digest)
    )
    return digest


def _records(connection: Connection) -> list[AuditRecord]:
    audit = table("audit_log")
    query = select(audit).order_by(audit.c.id)
    return [AuditRecord(**row._mapping) for row in connection.execute(query)]


def records(engine: Engine, *, limit: int | None = None) -> list[AuditRecord]:
    """Return the records, oldest first (the last ``limit`` when given)."""
    with engine.connect() as connection:
        rows = _records(connection)
    return rows[-limit:] if limit else rows


@dataclass(frozen=True)
class ChainCheck:
    """The result of :func:`verify`: intact, or the first record that breaks the chain."""

    intact: bool
    checked: int
    broken_at: int | None = None
    reason: str = ""


@dataclass(frozen=True)
class _State:
    """What :func:`verify` reads, in one snapshot."""

    rows: list[AuditRecord]
    head: tuple[int, str] | None
    patients: int
    episodes: int


def _read_state(engine: Engine) -> _State:
    with engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            # One snapshot for the log, the head and the counts (an append committed between
            # two reads would look like a mismatch). SQLite's transaction is one snapshot.
            connection.execution_options(isolation_level="REPEATABLE READ")
        rows = _records(connection)
        head_table = table("audit_head")
        head = connection.execute(
            select(head_table.c.records, head_table.c.hash).where(head_table.c.id == 1)
        ).one_or_none()
        counts = [
            int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())
            for name in ("patients", "episodes")
        ]
    return _State(
        rows=rows,
        head=None if head is None else (int(head.records), str(head.hash)),
        patients=counts[0],
        episodes=counts[1],
    )


def _chain_break(rows: list[AuditRecord]) -> ChainCheck | None:
    previous = GENESIS
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
    return None


def _head_mismatch(state: _State) -> str | None:
    count = len(state.rows)
    newest = state.rows[-1].hash if state.rows else GENESIS
    if state.head is None:
        if count:
            return (
                f"the recorded head (table audit_head) is missing, but the log holds {count} "
                "records: the head was removed"
            )
    else:
        recorded, recorded_hash = state.head
        if count < recorded:
            return (
                f"the log holds {count} records but {recorded} were recorded: records were cut "
                "off the end, or the log was emptied or replaced"
            )
        if count > recorded:
            return (
                f"the log holds {count} records but only {recorded} were recorded: records were "
                "added outside dresskit"
            )
        if newest != recorded_hash:
            return (
                "the newest record is not the one recorded in audit_head: the log was replaced "
                "or its newest records rewritten"
            )
    if not count and (state.patients or state.episodes):
        return (
            f"the registry holds {state.patients} patients and {state.episodes} episodes but "
            "its audit log is empty: every change is recorded, so the log was emptied"
        )
    return None


def verify(engine: Engine, *, expected_head: str | None = None) -> ChainCheck:
    """Recompute every hash and compare the log with its recorded head.

    Not intact when a record was edited, inserted or deleted (the first such record is
    named); when the log holds fewer or more records than recorded in ``audit_head``, or its
    newest hash is not the recorded one; when the recorded head is missing but the log is not
    empty; or when the registry holds patients or episodes but the log is empty.

    Parameters
    ----------
    engine
        The registry.
    expected_head
        A newest hash noted earlier, outside the database (``dresskit audit log`` prints
        it): the check then also fails if that record is no longer in the log, which the
        recorded head alone cannot show when the head itself was rewritten.

    Returns
    -------
    ChainCheck
        Intact or not, how many records were checked, and the reason.
    """
    state = _read_state(engine)
    rows = state.rows
    broken = _chain_break(rows)
    if broken is not None:
        return broken
    mismatch = _head_mismatch(state)
    if mismatch is not None:
        return ChainCheck(False, len(rows), None, mismatch)
    newest = rows[-1].hash if rows else GENESIS
    if (
        expected_head is not None
        and expected_head != newest
        and expected_head not in {record.hash for record in rows}
    ):
        return ChainCheck(
            False,
            len(rows),
            None,
            "the noted newest record is missing: records were cut off the end, or the log "
            "was replaced",
        )
    if expected_head is not None and expected_head != newest:
        return ChainCheck(True, len(rows), None, "records were added after the noted one")
    return ChainCheck(True, len(rows))
