"""Change or delete one episode under optimistic locking, through the ORM records.

The caller passes the version it read. The record is loaded, its version compared, and the
change flushed with SQLAlchemy's version counter (``UPDATE ... WHERE id = :id AND version =
:read``), so a change that someone else made in between (even after the comparison) matches
no row: :class:`ConflictError`, and nothing is written. The audit record goes in the same
transaction as the change.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from typing import Any, Final

import polars as pl
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dresskit.bundle import Bundle, validate_tables
from dresskit.bundle.fingerprints import episode_fingerprints
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.schema import TABLES
from dresskit.errors import DresskitError, InputError, InputErrors
from dresskit.registry import audit
from dresskit.registry.db import writing
from dresskit.registry.episode_problems import problems_by_episode, without_episodes
from dresskit.registry.loading import legacy_deaths, patient_tables
from dresskit.registry.records import EpisodeRecord
from dresskit.registry.schema import CHILD_TABLES, table

__all__ = [
    "EDITABLE_EPISODE_COLUMNS",
    "ConflictError",
    "delete_episode",
    "read_episode",
    "update_episode",
]

#: Episode columns that may change here; the ids are the source identifiers and stay fixed,
#: and the onset date anchors every derived day count (change it by re-importing).
EDITABLE_EPISODE_COLUMNS: Final = (
    "admission_date",
    "last_follow_up_date",
    "death_date",
    "outcome",
    "phenotype",
)


class ConflictError(DresskitError):
    """A change was based on a version that someone else has changed since."""


def _conflict(episode_id: str, current: int | None, expected: int, consequence: str) -> str:
    now = f"version {current}, " if current is not None else ""
    return (
        f"episode {episode_id} was changed by someone else ({now}you read {expected}): "
        f"{consequence}"
    )


def _checked_changes(changes: Mapping[str, Any]) -> dict[str, Any]:
    """Refuse a column that may not change, or a value the bundle format would not accept."""
    declared = {column.name: column for column in TABLES["episodes"]}
    for name, value in changes.items():
        if name not in EDITABLE_EPISODE_COLUMNS:
            raise InputError("column", name, "one of " + ", ".join(EDITABLE_EPISODE_COLUMNS))
        column = declared[name]
        if value is None:
            if column.required:
                raise InputError(name, value, "a value (the column is required)")
        elif column.kind == "code" and value not in column.codes:
            raise InputError(name, value, "one of " + ", ".join(column.codes))
        elif column.kind == "date" and (not isinstance(value, date) or isinstance(value, datetime)):
            raise InputError(name, value, "a date (datetime.date)")
    return dict(changes)


def _validated_after(
    session: Session, engine: Engine, episode_id: str, changes: Mapping[str, Any]
) -> str:
    """Validate the whole episode as the change would leave it; return its new fingerprint.

    The episode, its patient, the patient's other episodes (weights are the patient's) and
    all their rows are read in the edit's own transaction, the change is applied to the
    episode's row, and the bundle's rules run on all of it, as an import would: a new last
    follow-up that leaves observations or treatments after it is refused naming each of them.
    Problems of the patient's other episodes do not block this edit (they were there before).

    Raises
    ------
    InputErrors
        Every problem the change would leave, naming the table, row, field and value.
    """
    tables = patient_tables(session.connection(), episode_id)
    episodes = tables["episodes"]
    row = episodes.filter(pl.col("episode_id") == episode_id)
    patient = row.get_column("patient_id")[0] if row.height else None
    mine = pl.col("episode_id") == episode_id
    patched = []
    for name, value in changes.items():
        dtype = episodes.schema[name]
        cell = value.isoformat() if isinstance(value, date) and dtype == pl.Utf8 else value
        patched.append(
            pl.when(mine).then(pl.lit(cell, dtype=dtype)).otherwise(pl.col(name)).alias(name)
        )
    tables["episodes"] = episodes.with_columns(patched)
    url = engine.url.render_as_string(hide_password=True)
    # A death stored before death_date existed is dated as loading dates it; unless this edit
    # sets the episode's outcome or date of death, which must then be complete.
    unchanged = episode_id if {"outcome", "death_date"} & set(changes) else None
    tables, _ = legacy_deaths(tables, source=url, keep=unchanged)

    def file_of(name: str) -> str:
        return f"{url}: {name} of patient {patient}"

    def validated(frames: dict[str, pl.DataFrame]) -> Bundle:
        return validate_tables(frames, source=url, today=local_today(), file_of=file_of)

    try:
        bundle = validated(tables)
    except InputErrors as errors:
        by_episode, unplaced = problems_by_episode(errors.errors, tables, file_of)
        own = [*by_episode.pop(episode_id, []), *unplaced]
        if own:
            raise InputErrors(own) from None
        bundle = validated(without_episodes(tables, by_episode))
    return episode_fingerprints(bundle)[episode_id]


def _load(session: Session, episode_id: str) -> EpisodeRecord:
    record = session.scalars(
        select(EpisodeRecord).where(EpisodeRecord.episode_id == episode_id)
    ).one_or_none()
    if record is None:
        raise InputError("episode_id", episode_id, "an episode of the registry")
    return record


def _row_counts(session: Session, episode_id: str) -> dict[str, int]:
    return {
        name: int(
            session.execute(
                select(func.count())
                .select_from(table(name))
                .where(table(name).c.episode_id == episode_id)
            ).scalar_one()
        )
        for name in CHILD_TABLES
    }


def read_episode(engine: Engine, episode_id: str) -> dict[str, Any]:
    """Return one episode's columns, its ``version`` (to pass to a change) and row counts.

    Raises
    ------
    InputError
        For an unknown episode.
    """
    with Session(engine) as session:
        record = _load(session, episode_id)
        columns = {
            column.name: getattr(record, column.name)
            for column in table("episodes").columns
            if column.name != "id"
        }
        return {**columns, "rows": _row_counts(session, episode_id)}


def update_episode(
    engine: Engine,
    episode_id: str,
    *,
    expected_version: int,
    changes: Mapping[str, Any],
    actor: str,
) -> int:
    """Change columns of one episode if nobody changed it since ``expected_version``.

    Returns the new version. Only :data:`EDITABLE_EPISODE_COLUMNS` may change, to values the
    bundle format accepts (codes from its list, dates as dates), and the whole episode must
    pass the bundle's rules after the change, as an import would (a last follow-up before
    some of its observations or treatments is refused, naming them).

    Raises
    ------
    ConflictError
        When the episode's version is no longer ``expected_version``: the change is refused.
    InputError
        For an unknown episode, a column that cannot change or a value it cannot take.
    InputErrors
        For every rule of the bundle format the episode would break after the change.
    """
    checked = _checked_changes(changes)
    with Session(writing(engine)) as session, session.begin():
        record = _load(session, episode_id)
        if record.version != expected_version:
            raise ConflictError(
                _conflict(
                    episode_id,
                    record.version,
                    expected_version,
                    "reload it and apply your change again",
                )
            )
        before = {name: getattr(record, name) for name in checked}
        record.content_hash = _validated_after(session, engine, episode_id, checked)
        for name, value in checked.items():
            setattr(record, name, value)
        # Always a change, so the version moves even when the values were already these.
        record.updated_at = datetime.now(tz=UTC)
        try:
            session.flush()
        except StaleDataError as stale:
            raise ConflictError(
                _conflict(
                    episode_id, None, expected_version, "reload it and apply your change again"
                )
            ) from stale
        audit.append(
            session.connection(),
            actor=actor,
            action="update",
            entity="episode",
            entity_id=episode_id,
            before=before,
            after=checked,
        )
        version = record.version
    return version


def delete_episode(engine: Engine, episode_id: str, *, expected_version: int, actor: str) -> None:
    """Delete one episode and every row that belongs to it, if unchanged since it was read.

    The audit record keeps what was deleted in outline (the episode's columns and the number
    of rows of each table), not the rows themselves.

    Raises
    ------
    ConflictError
        When the episode changed since ``expected_version``: nothing is deleted.
    InputError
        For an unknown episode.
    """
    with Session(writing(engine)) as session, session.begin():
        record = _load(session, episode_id)
        if record.version != expected_version:
            raise ConflictError(
                _conflict(episode_id, record.version, expected_version, "nothing deleted")
            )
        counts = _row_counts(session, episode_id)
        before = {
            column.name: getattr(record, column.name)
            for column in table("episodes").columns
            if column.name not in ("id", "created_at", "updated_at")
        }
        session.delete(record)
        try:
            session.flush()
        except StaleDataError as stale:
            raise ConflictError(
                _conflict(episode_id, None, expected_version, "nothing deleted")
            ) from stale
        audit.append(
            session.connection(),
            actor=actor,
            action="delete",
            entity="episode",
            entity_id=episode_id,
            before={**before, "rows": counts},
        )
