"""Save and load whole courses: import a validated bundle, load it back, change an episode.

An import is one transaction: patients and episodes are upserted by their ids (the source
identifiers), every row that belongs to an imported episode is replaced, and the audit record
is written in the same transaction, so a failed or interrupted import leaves the registry as
it was, and importing the same bundle twice gives the same registry. Rows go in through the
bulk paths of each database: ``executemany`` on SQLite, ``COPY`` on PostgreSQL.

Loading reads every table back as the text tables of a bundle and validates them with the
same rules as a file (:func:`dresskit.course.bundle.validate_tables`), so a course from the
registry and from the bundle it was imported from are identical.

Changes to an episode use optimistic locking: the caller passes the version it read; a
stale version is refused with :class:`ConflictError`, never overwritten.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import polars as pl
from sqlalchemy import Connection, Engine, Table, delete, func, select, text, update
from sqlalchemy.dialects import postgresql, sqlite

from dresskit.course.bundle import Bundle, validate_tables
from dresskit.course.bundle_schema import TABLES
from dresskit.course.model import PatientCourse
from dresskit.errors import DresskitError, InputError
from dresskit.registry import audit
from dresskit.registry.bundle_files import as_text, typed_schema
from dresskit.registry.schema import CHILD_TABLES, table

__all__ = [
    "ConflictError",
    "ImportReport",
    "NotInitialisedError",
    "delete_episode",
    "import_bundle",
    "load_bundle",
    "load_course",
    "load_tables",
    "update_episode",
]

_BATCH = 100_000
#: From this many rows, a table's episode index (and on PostgreSQL its foreign key) is dropped
#: for the load and rebuilt after it, in the same transaction: one pass instead of one check
#: per row (about 3x faster on PostgreSQL). The table is locked for the import meanwhile.
_LARGE = 100_000


class ConflictError(DresskitError):
    """A change was based on a version that someone else has changed since."""


class NotInitialisedError(DresskitError):
    """The database has no registry tables yet (run ``dresskit db init``)."""


@dataclass(frozen=True)
class ImportReport:
    """What one import wrote."""

    source: str
    patients: int
    episodes: int
    rows: Mapping[str, int]
    audit_hash: str


def _insert(connection: Connection, target: Table) -> Any:
    """Return an INSERT that can say ON CONFLICT, in the connection's dialect."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    return dialect.insert(target)


def _for_database(frame: pl.DataFrame) -> pl.DataFrame:
    """Columns as the registry stores them: codes and times as text, the rest as they are."""
    return frame.with_columns(
        [
            pl.col(name).dt.strftime("%H:%M").alias(name)
            if dtype == pl.Time
            else pl.col(name).cast(pl.Utf8).alias(name)
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Enum | pl.Categorical) or dtype == pl.Time
        ]
    )


def _bulk_insert(connection: Connection, name: str, frame: pl.DataFrame) -> None:
    """Insert ``frame`` into table ``name`` through the database's bulk path.

    Rows are converted to what the database stores one batch at a time, so a large table is
    never held twice in memory.
    """
    if frame.height == 0:
        return
    columns = frame.columns
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        quoted = ", ".join(f'"{column}"' for column in columns)
        statement = f'COPY "{name}" ({quoted}) FROM STDIN WITH (FORMAT csv)'
        with raw.cursor() as cursor, cursor.copy(statement) as copy:  # type: ignore[union-attr]
            for start in range(0, frame.height, _BATCH):
                chunk = _for_database(frame.slice(start, _BATCH))
                # NULL is an unquoted empty field in PostgreSQL's CSV; a text value that is
                # empty is never stored (validation turns it into null).
                copy.write(chunk.write_csv(include_header=False, null_value=""))
        return
    # sqlite3 adapts date objects in Python, one by one; ISO text is what it would store.
    dates = [pl.col(c).cast(pl.Utf8) for c, dtype in frame.schema.items() if dtype == pl.Date]
    placeholders = ", ".join("?" for _ in columns)
    quoted = ", ".join(f'"{column}"' for column in columns)
    statement = f'INSERT INTO "{name}" ({quoted}) VALUES ({placeholders})'
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    for start in range(0, frame.height, _BATCH):
        chunk = _for_database(frame.slice(start, _BATCH)).with_columns(dates)
        cursor.executemany(statement, chunk.iter_rows())
    cursor.close()


def _upsert(
    connection: Connection, name: str, key: str, rows: list[dict[str, Any]], now: datetime
) -> None:
    """Insert or update rows by their id column, bumping the version of changed rows."""
    if not rows:
        return
    target = table(name)
    insert = _insert(connection, target)
    values = [{**row, "version": 1, "created_at": now, "updated_at": now} for row in rows]
    changed = {column: insert.excluded[column] for column in rows[0] if column != key}
    statement = insert.on_conflict_do_update(
        index_elements=[key],
        set_={**changed, "updated_at": now, "version": target.c.version + 1},
    )
    for start in range(0, len(values), 5_000):
        connection.execute(statement, values[start : start + 5_000])


def _python_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return _for_database(frame).to_dicts()


def import_bundle(
    engine: Engine,
    bundle: Bundle,
    *,
    actor: str,
    source: str,
    progress: Callable[[str], None] | None = None,
) -> ImportReport:
    """Import a validated bundle in one transaction (all or nothing, idempotent).

    Patients and episodes are matched by ``patient_id`` and ``episode_id``; an imported
    episode's drugs, assessments, observations, findings and treatments replace the ones the
    registry held for it. The manifest entries are upserted. One audit record lists the
    episode ids written and the row counts.
    """
    now = datetime.now(tz=UTC)
    episode_ids = bundle.episodes.get_column("episode_id").to_list()
    rows = {name: getattr(bundle, name).height for name in CHILD_TABLES}
    with engine.begin() as connection:
        _require_tables(connection)
        if connection.dialect.name == "sqlite":
            # Check foreign keys once, at commit, instead of row by row (a violation still
            # fails the commit and rolls everything back); about 1.5x faster bulk loads.
            connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
        _upsert(connection, "patients", "patient_id", _python_rows(bundle.patients), now)
        _upsert(connection, "episodes", "episode_id", _python_rows(bundle.episodes), now)
        for name in CHILD_TABLES:
            child = table(name)
            for start in range(0, len(episode_ids), 5_000):
                connection.execute(
                    delete(child).where(child.c.episode_id.in_(episode_ids[start : start + 5_000]))
                )
            if progress is not None:
                progress(name)
            frame = getattr(bundle, name).select([c.name for c in TABLES[name]])
            if frame.height >= _LARGE:
                with _without_episode_index(connection, name):
                    _bulk_insert(connection, name, frame)
            else:
                _bulk_insert(connection, name, frame)
        manifest = table("manifest")
        for key, value in bundle.manifest.items():
            insert = _insert(connection, manifest).values(key=key, value=value)
            connection.execute(
                insert.on_conflict_do_update(index_elements=["key"], set_={"value": value})
            )
        digest = audit.append(
            connection,
            actor=actor,
            action="import",
            entity="bundle",
            entity_id=source,
            after={
                "patients": bundle.patients.height,
                "episodes": bundle.episodes.height,
                "episode_ids": episode_ids,
                "rows": rows,
            },
            at=now,
        )
    return ImportReport(
        source=source,
        patients=bundle.patients.height,
        episodes=bundle.episodes.height,
        rows=rows,
        audit_hash=digest,
    )


@contextmanager
def _without_episode_index(connection: Connection, name: str) -> Iterator[None]:
    """Drop the episode index (and PostgreSQL's foreign key) for a bulk load; rebuild after.

    Rebuilding validates the foreign key in one pass; a row of an unknown episode still
    fails the import (the transaction is rolled back).
    """
    index = f"ix_{name}_episode_id"
    foreign_key = f"{name}_episode_id_fkey"
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{foreign_key}"'))
    connection.execute(text(f'DROP INDEX "{index}"'))
    yield
    connection.execute(text(f'CREATE INDEX "{index}" ON "{name}" (episode_id)'))
    if postgres:
        connection.execute(
            text(
                f'ALTER TABLE "{name}" ADD CONSTRAINT "{foreign_key}" FOREIGN KEY (episode_id) '
                "REFERENCES episodes (episode_id) ON DELETE CASCADE"
            )
        )


def _require_tables(connection: Connection) -> None:
    from sqlalchemy import inspect

    if not inspect(connection).has_table("episodes"):
        raise NotInitialisedError(
            "the database has no registry tables: run `dresskit db init` (or `db upgrade`)"
        )


def _typed(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Give the columns the bundle's types when every cell converts (else return text).

    The registry holds validated values, so this nearly always succeeds; validation then
    takes its fast path (no text to parse) and the loaded tables take far less memory.
    """
    schema = typed_schema(name, frame.columns)
    if schema is None:
        return frame
    columns = []
    for column, dtype in schema.items():
        source = frame.schema[column]
        if source == pl.Utf8 and dtype == pl.Time:
            columns.append(pl.col(column).str.to_time("%H:%M", strict=True))
        elif source == pl.Utf8 and dtype == pl.Date:
            columns.append(pl.col(column).str.to_date("%Y-%m-%d", strict=True))
        else:
            columns.append(pl.col(column).cast(dtype, strict=True))
    try:
        return frame.select(columns)
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
        return as_text(frame)  # validation will name the cell that does not convert


def _read(connection: Connection, name: str, where: str = "") -> pl.DataFrame:
    """Read one table's bundle columns, typed as a clean bundle file is read.

    ``where`` is a trusted SQL condition built here (with bound values already quoted).
    """
    columns = [column.name for column in TABLES[name]]
    order = "key" if name == "manifest" else "id"
    quoted = ", ".join(f'"{column}"' for column in columns)
    condition = f" WHERE {where}" if where else ""
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        query = (
            f'COPY (SELECT {quoted} FROM "{name}"{condition} ORDER BY "{order}") '
            "TO STDOUT (FORMAT csv)"
        )
        # Through a temporary file: polars reads it typed, without a copy of the text in memory.
        with tempfile.NamedTemporaryFile(suffix=".csv") as spool:
            with raw.cursor() as cursor, cursor.copy(query) as copy:  # type: ignore[union-attr]
                for block in copy:
                    spool.write(block)
            spool.flush()
            if spool.tell() == 0:
                return pl.DataFrame(schema=dict.fromkeys(columns, pl.Utf8))
            schema = typed_schema(name, columns)
            if schema is not None:
                try:
                    return pl.read_csv(
                        spool.name, has_header=False, schema=schema, null_values=[""]
                    )
                except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
                    pass  # a cell that does not convert: read as text, validation names it
            return pl.read_csv(
                spool.name, has_header=False, new_columns=columns, infer_schema=False
            )
    cursor = connection.connection.driver_connection.cursor()  # type: ignore[union-attr]
    cursor.execute(f'SELECT {quoted} FROM "{name}"{condition} ORDER BY "{order}"')
    frames = []
    while batch := cursor.fetchmany(_BATCH):
        # Column-wise construction: one list per column is cheaper than one tuple per row.
        values = dict(zip(columns, map(list, zip(*batch, strict=True)), strict=True))
        frames.append(_typed(name, pl.DataFrame(values, strict=False)))
    cursor.close()
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.Utf8))
    return pl.concat(frames, how="vertical_relaxed")


def load_tables(engine: Engine) -> dict[str, pl.DataFrame]:
    """Read every bundle table from the registry, as a bundle file is read (then validated)."""
    with engine.connect() as connection:
        _require_tables(connection)
        return {name: _read(connection, name) for name in TABLES}


def load_bundle(engine: Engine) -> Bundle:
    """Load the whole registry as a validated :class:`Bundle` (the same rules as a file)."""
    url = engine.url.render_as_string(hide_password=True)
    return validate_tables(load_tables(engine), source=url)


def load_course(engine: Engine, episode_id: str) -> PatientCourse:
    """Load one episode's course, reading only its own rows (and its patient's weights).

    Raises
    ------
    InputError
        When the registry has no such episode.
    """
    episodes = table("episodes")
    with engine.connect() as connection:
        _require_tables(connection)
        patient = connection.execute(
            select(episodes.c.patient_id).where(episodes.c.episode_id == episode_id)
        ).scalar_one_or_none()
        if patient is None:
            raise InputError("episode_id", episode_id, "an episode of the registry")
        # A SQL string literal with quotes doubled (standard SQL; safe in SQLite and in
        # PostgreSQL with standard_conforming_strings, the default): COPY takes no parameters.
        patient_literal = "'" + str(patient).replace("'", "''") + "'"
        # The patient's other episodes come along: weights belong to the patient.
        same_patient = f"patient_id = {patient_literal}"
        tables = {
            "manifest": _read(connection, "manifest"),
            "patients": _read(connection, "patients", same_patient),
            "episodes": _read(connection, "episodes", same_patient),
        }
        episode_ids = f"episode_id IN (SELECT episode_id FROM episodes WHERE {same_patient})"
        for name in CHILD_TABLES:
            tables[name] = _read(connection, name, episode_ids)
    bundle = validate_tables(tables, source=engine.url.render_as_string(hide_password=True))
    return bundle.course(episode_id)


def update_episode(
    engine: Engine,
    episode_id: str,
    *,
    expected_version: int,
    changes: Mapping[str, Any],
    actor: str,
) -> int:
    """Change columns of one episode if nobody changed it since ``expected_version``.

    Returns the new version. Only outcome, last follow-up, admission and phenotype may change
    here (the ids are the source identifiers).

    Raises
    ------
    ConflictError
        When the episode's version is no longer ``expected_version``: the change is refused.
    InputError
        For an unknown episode or a column that cannot be changed.
    """
    allowed = {"outcome", "last_follow_up_date", "admission_date", "phenotype"}
    for column in changes:
        if column not in allowed:
            raise InputError("column", column, "one of " + ", ".join(sorted(allowed)))
    episodes = table("episodes")
    with engine.begin() as connection:
        current = connection.execute(
            select(*[episodes.c[c] for c in changes], episodes.c.version).where(
                episodes.c.episode_id == episode_id
            )
        ).one_or_none()
        if current is None:
            raise InputError("episode_id", episode_id, "an episode of the registry")
        before = {column: current._mapping[column] for column in changes}
        result = connection.execute(
            update(episodes)
            .where(episodes.c.episode_id == episode_id)
            .where(episodes.c.version == expected_version)
            .values(**changes, version=episodes.c.version + 1, updated_at=func.now())
        )
        if result.rowcount != 1:
            raise ConflictError(
                f"episode {episode_id} was changed by someone else (version "
                f"{current._mapping['version']}, you read {expected_version}): reload it and "
                "apply your change again"
            )
        audit.append(
            connection,
            actor=actor,
            action="update",
            entity="episode",
            entity_id=episode_id,
            before=before,
            after=dict(changes),
        )
    return expected_version + 1


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
    episodes = table("episodes")
    with engine.begin() as connection:
        current = connection.execute(
            select(episodes).where(episodes.c.episode_id == episode_id)
        ).one_or_none()
        if current is None:
            raise InputError("episode_id", episode_id, "an episode of the registry")
        counts = {
            name: int(
                connection.execute(
                    select(func.count())
                    .select_from(table(name))
                    .where(table(name).c.episode_id == episode_id)
                ).scalar_one()
            )
            for name in CHILD_TABLES
        }
        for name in CHILD_TABLES:
            child = table(name)
            connection.execute(delete(child).where(child.c.episode_id == episode_id))
        result = connection.execute(
            delete(episodes)
            .where(episodes.c.episode_id == episode_id)
            .where(episodes.c.version == expected_version)
        )
        if result.rowcount != 1:
            raise ConflictError(
                f"episode {episode_id} was changed by someone else (version "
                f"{current._mapping['version']}, you read {expected_version}): nothing deleted"
            )
        before = {
            key: value
            for key, value in current._mapping.items()
            if key not in ("id", "created_at", "updated_at")
        }
        audit.append(
            connection,
            actor=actor,
            action="delete",
            entity="episode",
            entity_id=episode_id,
            before={**before, "rows": counts},
        )
