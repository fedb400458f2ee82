"""Save and load whole courses: import a validated bundle, load it back.

An import is one transaction: patients and episodes are upserted by their ids (the source
identifiers), every row that belongs to an imported episode is replaced, and the audit record
is written in the same transaction, so a failed or interrupted import leaves the registry as
it was, and importing the same bundle twice gives the same registry. Rows go in through the
bulk paths of each database: ``executemany`` on SQLite, binary ``COPY`` on PostgreSQL
(:mod:`.copy_binary`).

Loading back lives in :mod:`.loading` (re-exported here): every table read as a bundle file
is read and validated with the same rules, so a course from the registry and from the bundle
it was imported from are identical.

Changes to one episode (optimistic locking, :class:`ConflictError`) live in :mod:`.editing`
and are re-exported here.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from itertools import islice
from typing import Any, Final

import polars as pl
from sqlalchemy import (
    Connection,
    Date,
    Engine,
    Float,
    Integer,
    Table,
    bindparam,
    delete,
    func,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.exc import DBAPIError

from dresskit.bundle import Bundle, validate_tables
from dresskit.bundle.fingerprints import episode_fingerprints
from dresskit.bundle.from_courses import course_tables
from dresskit.bundle.schema import TABLES
from dresskit.course.model import PatientCourse
from dresskit.errors import DresskitError
from dresskit.registry import audit
from dresskit.registry.copy_binary import HEADER, TRAILER, WireKind, encode_rows
from dresskit.registry.db import (  # NotInitialisedError: re-exported, raised here too
    NotInitialisedError,
    RegistryUnavailableError,
    database_failure,
    writing,
)
from dresskit.registry.editing import ConflictError, delete_episode, update_episode
from dresskit.registry.loading import (
    _require_tables,
    left_out_episodes,
    load_bundle,
    load_course,
    load_tables,
    patient_tables,
)
from dresskit.registry.schema import CHILD_TABLES, ROW_ORDER, table

__all__ = [
    "ConflictError",
    "ImportRefusedError",
    "ImportReport",
    "NotInitialisedError",
    "delete_episode",
    "import_bundle",
    "left_out_episodes",
    "load_bundle",
    "load_course",
    "load_tables",
    "patient_tables",
    "save_courses",
    "update_episode",
]

_BATCH = 100_000
#: From this many rows, and when the import at least doubles the table, a table's episode
#: index (and on PostgreSQL its foreign key and primary key) is dropped for the load and
#: rebuilt after it, in the same transaction: one pass instead of one index update or check
#: per row (the load about 2x faster on PostgreSQL). The table is locked for the import
#: meanwhile. A small import into a large table keeps its indexes: rebuilding them would cost
#: more than it saves.
_LARGE = 100_000


class ImportRefusedError(DresskitError):
    """The database refused a validated import (it was rolled back: nothing was written)."""


@dataclass(frozen=True)
class ImportReport:
    """What one import wrote.

    Attributes
    ----------
    source
        What was imported (a path).
    patients, episodes
        How many patients and episodes were written (new or changed).
    rows
        Rows written per table (those of the written episodes).
    audit_hash
        The hash of the import's audit record; ``None`` when nothing changed.
    unchanged
        Episodes the registry already held exactly as the bundle does: left untouched, their
        version numbers kept.
    """

    source: str
    patients: int
    episodes: int
    rows: Mapping[str, int]
    audit_hash: str | None
    unchanged: int = 0

    @property
    def changed_nothing(self) -> bool:
        """Whether the registry already held everything the bundle holds (nothing written)."""
        return self.audit_hash is None


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


def _wire_kinds(target: Table, columns: list[str]) -> dict[str, WireKind]:
    """Each column's binary COPY form, from its SQL type."""
    kinds: dict[str, WireKind] = {}
    for column in columns:
        sql_type = target.c[column].type
        if isinstance(sql_type, Date):
            kinds[column] = "date"
        elif isinstance(sql_type, Float):
            kinds[column] = "float8"
        elif isinstance(sql_type, Integer):
            kinds[column] = "int4"
        else:
            kinds[column] = "text"
    return kinds


def _copy_binary(
    connection: Connection, name: str, frame: pl.DataFrame, *, into: str | None = None
) -> None:
    """``COPY`` a frame into a PostgreSQL table in the binary format.

    The rows go into table ``name``, or into ``into`` (a table with ``name``'s columns). The
    next chunk is encoded in a second thread while the server takes the current one (numpy
    and polars release the interpreter lock), so encoding costs little wall time.
    """
    columns = frame.columns
    kinds = _wire_kinds(table(name), columns)
    quoted = ", ".join(f'"{column}"' for column in columns)
    statement = f'COPY "{into or name}" ({quoted}) FROM STDIN WITH (FORMAT binary)'
    raw = connection.connection.driver_connection
    starts = iter(range(0, frame.height, _BATCH))
    with (
        ThreadPoolExecutor(max_workers=1) as encoder,
        raw.cursor() as cursor,  # type: ignore[union-attr]
        cursor.copy(statement) as copy,
    ):
        pending = deque(
            encoder.submit(encode_rows, frame.slice(start, _BATCH), kinds)
            for start in islice(starts, 2)
        )
        copy.write(HEADER)
        while pending:
            chunk = pending.popleft().result()
            for start in islice(starts, 1):
                pending.append(encoder.submit(encode_rows, frame.slice(start, _BATCH), kinds))
            copy.write(chunk)
        copy.write(TRAILER)


def _bulk_insert(connection: Connection, name: str, frame: pl.DataFrame) -> None:
    """Insert ``frame`` into table ``name`` through the database's bulk path.

    Rows are converted to what the database stores one batch at a time, so a large table is
    never held twice in memory.
    """
    if frame.height == 0:
        return
    if connection.dialect.name == "postgresql":
        _copy_binary(connection, name, frame)
        return
    columns = frame.columns
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


def _upsert_frame(
    connection: Connection, name: str, key: str, frame: pl.DataFrame, now: datetime
) -> None:
    """Insert or update a frame's rows by their id column, bumping the version of changed rows.

    On PostgreSQL the rows go through a binary ``COPY`` into a temporary table and one
    ``INSERT ... ON CONFLICT`` (new rows take their ids in the frame's order); on SQLite they
    go through :func:`_upsert`. Either way, the same statement semantics.
    """
    if frame.height == 0:
        return
    if connection.dialect.name != "postgresql":
        _upsert(connection, name, key, _python_rows(frame), now)
        return
    quoted = ", ".join(f'"{column}"' for column in frame.columns)
    staging = f"import_{name}"
    connection.exec_driver_sql(
        f'CREATE TEMPORARY TABLE "{staging}" ON COMMIT DROP AS '
        f'SELECT {quoted} FROM "{name}" WITH NO DATA'
    )
    _copy_binary(connection, name, frame, into=staging)
    changed = ", ".join(
        f'"{column}" = excluded."{column}"' for column in frame.columns if column != key
    )
    connection.execute(
        text(
            f'INSERT INTO "{name}" ({quoted}, version, created_at, updated_at) '
            # A table just filled by one COPY holds its rows in the order they came.
            f'SELECT {quoted}, 1, :now, :now FROM "{staging}" ORDER BY ctid '
            f'ON CONFLICT ("{key}") DO UPDATE SET {changed}, updated_at = :now, '
            f'version = "{name}".version + 1'
        ),
        {"now": now},
    )
    connection.exec_driver_sql(f'DROP TABLE "{staging}"')


def _delete_rows(connection: Connection, name: str, episode_ids: list[str]) -> int:
    """Delete the rows of ``episode_ids`` from child table ``name``; return how many went."""
    child = table(name)
    deleted = 0
    for start in range(0, len(episode_ids), 5_000):
        batch = episode_ids[start : start + 5_000]
        if connection.dialect.name == "postgresql":
            # One array parameter instead of 5 000 (the statement is built and sent faster).
            result = connection.execute(
                text(f'DELETE FROM "{name}" WHERE episode_id = ANY(CAST(:ids AS text[]))'),
                {"ids": batch},
            )
        else:
            result = connection.execute(delete(child).where(child.c.episode_id.in_(batch)))
        deleted += max(result.rowcount, 0)
    return deleted


#: The site of patients imported without one (created by migration 0007).
DEFAULT_SITE: Final = "main"

_SITE_CHUNK: Final = 5000


def _patient_ids(bundle: Bundle) -> list[str]:
    return [str(p) for p in bundle.patients.get_column("patient_id").unique().to_list()]


def _stored_sites(connection: Connection, patient_ids: list[str]) -> dict[str, str]:
    sites = table("patient_sites")
    found: dict[str, str] = {}
    for start in range(0, len(patient_ids), _SITE_CHUNK):
        chunk = patient_ids[start : start + _SITE_CHUNK]
        query = select(sites.c.patient_id, sites.c.site).where(sites.c.patient_id.in_(chunk))
        found.update({str(p): str(s) for p, s in connection.execute(query)})
    return found


def _check_sites(connection: Connection, bundle: Bundle, site: str, source: str) -> None:
    """Refuse a site that does not exist, or a bundle holding another site's patients."""
    _require_tables(connection)
    known = connection.execute(
        select(table("sites").c.name).where(table("sites").c.name == site)
    ).scalar_one_or_none()
    if known is None:
        raise ImportRefusedError(
            f"the import of {source} names site {site!r}, which the registry does not have; "
            "nothing was written (create it with `dresskit site add`)"
        )
    elsewhere = sorted(
        patient
        for patient, stored in _stored_sites(connection, _patient_ids(bundle)).items()
        if stored != site
    )
    if elsewhere:
        shown = ", ".join(elsewhere[:10]) + (" ..." if len(elsewhere) > 10 else "")
        raise ImportRefusedError(
            f"the import of {source} into site {site!r} holds {len(elsewhere)} patient(s) of "
            f"another site ({shown}); nothing was written"
        )


def _assign_sites(connection: Connection, bundle: Bundle, site: str) -> None:
    """Put the bundle's patients that have no site yet in ``site``."""
    ids = _patient_ids(bundle)
    stored = _stored_sites(connection, ids)
    new = [{"patient_id": p, "site": site} for p in ids if p not in stored]
    if new:
        connection.execute(table("patient_sites").insert(), new)


def _python_rows(frame: pl.DataFrame) -> list[dict[str, Any]]:
    return _for_database(frame).to_dicts()


def import_bundle(
    engine: Engine,
    bundle: Bundle,
    *,
    actor: str,
    source: str,
    progress: Callable[[str], None] | None = None,
    site: str = DEFAULT_SITE,
) -> ImportReport:
    """Import a validated bundle in one transaction (all or nothing, idempotent).

    Every patient belongs to one site (``site``, default :data:`DEFAULT_SITE`): new patients
    are put in it, and a bundle holding a patient of another site is refused whole, naming
    the patients, so that one site's import can never change another site's records.

    Patients and episodes are matched by ``patient_id`` and ``episode_id``. An episode whose
    content (:func:`dresskit.bundle.fingerprints.episode_fingerprints`: its row, its patient's
    row and all its rows) differs from what the registry holds is written: its drugs,
    assessments, observations, findings and treatments replace the registry's, and its version
    goes up by one. An episode held exactly as the bundle has it is left untouched, version
    included, so importing the same bundle twice changes nothing the second time and writes no
    audit record. The manifest entries are upserted. One audit record lists the episode ids
    written, the row counts and how many episodes were unchanged.
    """
    now = datetime.now(tz=UTC)
    database_errors = (DBAPIError, engine.dialect.loaded_dbapi.Error)
    with ThreadPoolExecutor(max_workers=1) as worker:
        fingerprints = _Fingerprints(bundle, worker)
        try:
            with writing(engine).begin() as connection:
                _check_sites(connection, bundle, site, source)
                report = _write_import(
                    connection, bundle, fingerprints, now, actor, source, progress
                )
                _assign_sites(connection, bundle, site)
        except database_errors as error:
            # A database that is locked, down, full or read-only (met on a driver cursor of
            # the bulk path) says so, rather than seem to refuse the data.
            unavailable = database_failure(error)
            if isinstance(unavailable, RegistryUnavailableError):
                raise unavailable from error
            # Validation leaves little for the database to refuse (a text it cannot store, a
            # constraint changed by hand); the transaction is rolled back either way.
            reason = str(getattr(error, "orig", None) or error).strip().splitlines()[0]
            raise ImportRefusedError(
                f"the database refused the import of {source}, and nothing was written: {reason}"
            ) from error
    return report


class _Fingerprints:
    """A bundle's episode fingerprints, computed in a second thread once started.

    :func:`dresskit.bundle.fingerprints.episode_fingerprints` hashes with hashlib, numpy and
    polars, which release the interpreter lock; started while the database server rebuilds an
    index (the client waits), it costs little wall time.
    """

    def __init__(self, bundle: Bundle, worker: ThreadPoolExecutor) -> None:
        self._bundle = bundle
        self._worker = worker
        self._future: Future[dict[str, str]] | None = None

    def start(self) -> None:
        """Start computing them in the worker thread (once)."""
        if self._future is None:
            self._future = self._worker.submit(episode_fingerprints, self._bundle)

    def result(self) -> dict[str, str]:
        """Return them (episode id -> fingerprint), computing them first if need be."""
        self.start()
        assert self._future is not None
        return self._future.result()


def save_courses(
    engine: Engine,
    courses: Iterable[PatientCourse],
    *,
    actor: str,
    source: str = "courses saved from Python",
) -> ImportReport:
    """Save whole courses: each replaces the episode (and all its rows) the registry held.

    The courses are laid out as a bundle (:func:`dresskit.bundle.from_courses.
    course_tables`), validated with the bundle's rules, and imported in one transaction with
    its audit record, exactly as a file would be; :func:`load_course` gives each back equal.

    Raises
    ------
    InputError, InputErrors
        For what the bundle cannot hold (free-text notes, a patient described two ways) or a
        rule it breaks; nothing is written.
    """
    bundle = validate_tables(course_tables(courses), source=source)
    return import_bundle(engine, bundle, actor=actor, source=source)


def _write_import(
    connection: Connection,
    bundle: Bundle,
    pending: _Fingerprints,
    now: datetime,
    actor: str,
    source: str,
    progress: Callable[[str], None] | None,
) -> ImportReport:
    """Write the new and changed episodes of one import in the caller's transaction.

    ``pending`` gives the bundle's episode fingerprints. When the registry holds none of the
    bundle's episodes, every episode is written whatever its fingerprint: the fingerprints are
    computed while the server rebuilds the largest table's index and foreign key, and stored
    on the episodes at the end, in the same transaction. Otherwise the fingerprints decide
    first which episodes changed.
    """
    _require_tables(connection)
    episode_ids = [str(e) for e in bundle.episodes.get_column("episode_id").to_list()]
    stored = _stored_fingerprints(connection, episode_ids)
    fingerprints = pending.result() if stored else None
    if fingerprints is None:
        changed = episode_ids
    else:
        changed = [e for e, print_ in fingerprints.items() if stored.get(e, (0, None))[1] != print_]
    manifest_changes = _manifest_changes(connection, bundle.manifest)
    if not changed and not manifest_changes:
        return ImportReport(source, 0, 0, dict.fromkeys(CHILD_TABLES, 0), None, len(episode_ids))
    if connection.dialect.name == "sqlite":
        # Check foreign keys once, at commit, instead of row by row (a violation still
        # fails the commit and rolls everything back); about 1.5x faster bulk loads.
        connection.exec_driver_sql("PRAGMA defer_foreign_keys = ON")
    written = bundle if len(changed) == len(episode_ids) else _only_episodes(bundle, changed)
    replaced = {e: stored[e][0] for e in changed if e in stored}
    patients = _changed_patients(connection, written.patients)
    _upsert_frame(connection, "patients", "patient_id", patients, now)
    content_hash = (
        pl.lit(None, dtype=pl.Utf8)  # stored below, once computed
        if fingerprints is None
        else pl.col("episode_id").replace_strict(fingerprints, return_dtype=pl.Utf8)
    )
    episodes = written.episodes.with_columns(content_hash.alias("content_hash"))
    _upsert_frame(connection, "episodes", "episode_id", episodes, now)
    rows_replaced: dict[str, int] = {}
    for name in CHILD_TABLES:
        rows_replaced[name] = _delete_rows(connection, name, changed)
        if progress is not None:
            progress(name)
        frame = _with_row_numbers(
            name, getattr(written, name).select([c.name for c in TABLES[name]])
        )
        # The rows that stay (the replaced ones are deleted above), counted only for a large
        # import: at most about a second on ten million rows.
        if frame.height >= _LARGE and frame.height >= _row_count(connection, name):
            with _without_indexes(connection, name):
                _bulk_insert(connection, name, frame)
                if fingerprints is None:
                    pending.start()  # while the server rebuilds the index and foreign key
        else:
            _bulk_insert(connection, name, frame)
    if fingerprints is None:
        _store_fingerprints(connection, pending.result())
    manifest = table("manifest")
    for key, value in manifest_changes.items():
        insert = _insert(connection, manifest).values(key=key, value=value)
        connection.execute(
            insert.on_conflict_do_update(index_elements=["key"], set_={"value": value})
        )
    rows = {name: getattr(written, name).height for name in CHILD_TABLES}
    unchanged = len(episode_ids) - len(changed)
    digest = audit.append(
        connection,
        actor=actor,
        action="import",
        entity="bundle",
        entity_id=source,
        # Before: the episodes this import replaced (with the version they had) and how many
        # of their rows went; none for an import that only creates.
        before={"episode_versions": replaced, "rows": rows_replaced} if replaced else None,
        after={
            "patients": patients.height,
            "episodes": len(changed),
            "episode_ids": changed,
            "rows": rows,
            "unchanged_episodes": unchanged,
            "manifest_keys": sorted(manifest_changes),
        },
        at=now,
    )
    return ImportReport(source, patients.height, len(changed), rows, digest, unchanged)


def _with_row_numbers(name: str, frame: pl.DataFrame) -> pl.DataFrame:
    """Return ``frame``, observations given their position in it as ``row_order`` (0, 1, ...).

    The position orders each episode's rows as the bundle holds them (migration 0006): the
    import supplies it, so no sequence is asked for ids row by row, and an episode's rows load
    back in the order they were imported. Other tables are returned as they are.
    """
    if ROW_ORDER not in table(name).c:
        return frame
    return frame.select(
        pl.col("episode_id"),
        pl.int_range(pl.len(), dtype=pl.Int32).alias(ROW_ORDER),
        pl.exclude("episode_id"),
    )


def _only_episodes(bundle: Bundle, episode_ids: list[str]) -> Bundle:
    """Return the part of a bundle holding ``episode_ids``, their patients and their rows."""
    keep = pl.col("episode_id").is_in(episode_ids)
    episodes = bundle.episodes.filter(keep)
    patient_ids = episodes.get_column("patient_id").unique()
    return replace(
        bundle,
        patients=bundle.patients.filter(pl.col("patient_id").is_in(patient_ids.implode())),
        episodes=episodes,
        **{name: getattr(bundle, name).filter(keep) for name in CHILD_TABLES},
    )


def _store_fingerprints(connection: Connection, fingerprints: Mapping[str, str]) -> None:
    """Set each episode's ``content_hash`` to its fingerprint (episode id -> fingerprint)."""
    if not fingerprints:
        return
    if connection.dialect.name == "postgresql":
        # One statement for every episode: the two arrays, unnested side by side.
        connection.execute(
            text(
                "UPDATE episodes SET content_hash = given.hash "
                "FROM unnest(CAST(:ids AS text[]), CAST(:hashes AS text[])) AS given(id, hash) "
                "WHERE episodes.episode_id = given.id"
            ),
            {"ids": list(fingerprints), "hashes": list(fingerprints.values())},
        )
        return
    episodes = table("episodes")
    statement = (
        update(episodes)
        .where(episodes.c.episode_id == bindparam("episode"))
        .values(content_hash=bindparam("hash"))
    )
    rows = [{"episode": e, "hash": h} for e, h in fingerprints.items()]
    for start in range(0, len(rows), 5_000):
        connection.execute(statement, rows[start : start + 5_000])


def _stored_fingerprints(
    connection: Connection, episode_ids: list[str]
) -> dict[str, tuple[int, str | None]]:
    """Return the version and content fingerprint of each of ``episode_ids`` held already."""
    episodes = table("episodes")
    found: dict[str, tuple[int, str | None]] = {}
    for start in range(0, len(episode_ids), 5_000):
        batch = episode_ids[start : start + 5_000]
        query = select(episodes.c.episode_id, episodes.c.version, episodes.c.content_hash).where(
            episodes.c.episode_id.in_(batch)
        )
        found.update(
            {
                str(row.episode_id): (int(row.version), row.content_hash)
                for row in connection.execute(query)
            }
        )
    return found


def _changed_patients(connection: Connection, patients: pl.DataFrame) -> pl.DataFrame:
    """Return the patients that are new or whose sex, birth year or age differ from before.

    An unchanged patient is not written, so its version stays (a patient's other episodes
    may be what changed).
    """
    if patients.height == 0:
        return patients
    stored = table("patients")
    columns = [c.name for c in TABLES["patients"]]
    held: dict[str, tuple[Any, ...]] = {}
    ids = patients.get_column("patient_id").to_list()
    for start in range(0, len(ids), 5_000):
        query = select(*[stored.c[c] for c in columns]).where(
            stored.c.patient_id.in_(ids[start : start + 5_000])
        )
        held.update({str(row[0]): tuple(row[1:]) for row in connection.execute(query)})
    rows = _for_database(patients).select(columns).rows()
    changed = [row[0] for row in rows if held.get(row[0]) != tuple(row[1:])]
    return patients.filter(pl.col("patient_id").is_in(changed))


def _manifest_changes(connection: Connection, manifest: Mapping[str, str]) -> dict[str, str]:
    """Return the manifest entries that are new or hold another value than the registry's."""
    stored = table("manifest")
    held = {
        str(key): str(value)
        for key, value in connection.execute(select(stored.c.key, stored.c.value))
    }
    return {key: value for key, value in manifest.items() if held.get(key) != value}


def _row_count(connection: Connection, name: str) -> int:
    """Return the number of rows in table ``name``."""
    return int(connection.execute(select(func.count()).select_from(table(name))).scalar_one())


@contextmanager
def _without_indexes(connection: Connection, name: str) -> Iterator[None]:
    """Drop a table's episode index for a bulk load and rebuild it after.

    On PostgreSQL the foreign key and the primary key are dropped and rebuilt too (SQLite's
    primary key is the row id itself, and its foreign keys are checked at commit); observations
    have no primary key (migration 0006). Rebuilding validates the foreign key in one pass; a
    row of an unknown episode still fails the import (the transaction is rolled back).
    """
    target = table(name)
    index = f"ix_{name}_episode_id"
    # PostgreSQL's default constraint names, which the migrations keep.
    foreign_key = f"{name}_episode_id_fkey"
    primary_key = f"{name}_pkey"
    key_columns = ", ".join(f'"{column.name}"' for column in target.primary_key.columns)
    postgres = connection.dialect.name == "postgresql"
    if postgres:
        connection.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{foreign_key}"'))
        if key_columns:
            connection.execute(text(f'ALTER TABLE "{name}" DROP CONSTRAINT "{primary_key}"'))
    connection.execute(text(f'DROP INDEX "{index}"'))
    yield
    if postgres and key_columns:
        connection.execute(
            text(f'ALTER TABLE "{name}" ADD CONSTRAINT "{primary_key}" PRIMARY KEY ({key_columns})')
        )
    connection.execute(text(f'CREATE INDEX "{index}" ON "{name}" (episode_id)'))
    if postgres:
        connection.execute(
            text(
                f'ALTER TABLE "{name}" ADD CONSTRAINT "{foreign_key}" FOREIGN KEY (episode_id) '
                "REFERENCES episodes (episode_id) ON DELETE CASCADE"
            )
        )
