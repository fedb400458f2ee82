"""Load the registry back: every table as a bundle file is read, then validated.

Loading reads every table back as the text tables of a bundle and validates them with the
same rules as a file (:func:`dresskit.bundle.validate_tables`), so a course from the registry
and from the bundle it was imported from are identical. Rows come back in the order they were
written; observations come grouped by episode (episode ids in byte order), each episode's
rows in the order they were imported (:func:`dresskit.registry.schema.load_order`). One
episode that no longer passes the rules is left out, not fatal (:func:`load_bundle`,
:mod:`.episode_problems`).
"""

from __future__ import annotations

import gc
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Final

import polars as pl
from sqlalchemy import Connection, Engine, select

from dresskit.bundle import Bundle, as_text, typed_schema, validate_tables
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.schema import TABLES
from dresskit.course.model import PatientCourse
from dresskit.errors import InputError, InputErrors, InputWarning
from dresskit.registry.db import NotInitialisedError
from dresskit.registry.episode_problems import problems_by_episode, without_episodes
from dresskit.registry.schema import CHILD_TABLES, load_order, table

__all__ = [
    "left_out_episodes",
    "legacy_deaths",
    "load_bundle",
    "load_course",
    "load_tables",
    "patient_tables",
]

#: How the warning of an episode left out of a loaded registry begins.
_LEFT_OUT: Final = "was left out"
#: Rows fetched (SQLite) at a time.
_BATCH: Final = 100_000


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


@contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while rows are fetched as tuples.

    A batch of 100 000 rows is 100 000 tuples, all alive until converted; each batch sets off
    collections that walk every live object, about half of the load time on SQLite (32 s
    against 15 s for 10.8 M rows). Tuples of strings and numbers form no cycles, so nothing
    is left uncollected; the collector's previous state is restored.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _read(connection: Connection, name: str, where: str = "") -> pl.DataFrame:
    """Read one table's bundle columns, typed as a clean bundle file is read.

    ``where`` is a trusted SQL condition built here (with bound values already quoted).
    """
    columns = [column.name for column in TABLES[name]]
    # By primary key: insertion order, or for observations by episode, then as imported.
    order = ", ".join(f'"{column}"' for column in load_order(name))
    quoted = ", ".join(f'"{column}"' for column in columns)
    condition = f" WHERE {where}" if where else ""
    if connection.dialect.name == "postgresql":
        raw = connection.connection.driver_connection
        query = (
            f'COPY (SELECT {quoted} FROM "{name}"{condition} ORDER BY {order}) '
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
    cursor.execute(f'SELECT {quoted} FROM "{name}"{condition} ORDER BY {order}')
    frames = []
    with _collector_paused():
        while batch := cursor.fetchmany(_BATCH):
            # Column-wise construction: one list per column is cheaper than one tuple per row.
            values = dict(zip(columns, map(list, zip(*batch, strict=True)), strict=True))
            frames.append(_typed(name, pl.DataFrame(values, strict=False)))
    cursor.close()
    if not frames:
        return pl.DataFrame(schema=dict.fromkeys(columns, pl.Utf8))
    return pl.concat(frames, how="vertical_relaxed")


def legacy_deaths(
    tables: dict[str, pl.DataFrame], *, source: str, keep: str | None = None
) -> tuple[dict[str, pl.DataFrame], tuple[InputWarning, ...]]:
    """Date the deaths that a registry recorded before ``death_date`` existed.

    An episode stored with outcome ``died`` and no ``death_date`` (written before migration
    0004) would fail the bundle's rule that a death carries its date. Its last follow-up
    date stands for the date of death, as the record of a patient who died ends at death;
    the database keeps NULL (nothing is written) and one warning per episode says so.

    Parameters
    ----------
    tables
        The registry's tables as read (only ``episodes`` is looked at).
    source
        The registry, named in the warnings.
    keep
        An episode left as it is (an edit that sets its outcome must give the date itself).

    Returns
    -------
    tuple
        The tables with those deaths dated, and the warnings.
    """
    episodes = tables["episodes"]
    legacy = (pl.col("outcome").cast(pl.Utf8) == "died") & pl.col("death_date").is_null()
    if keep is not None:
        legacy = legacy & (pl.col("episode_id") != keep)
    found = episodes.filter(legacy).get_column("episode_id").to_list()
    if not found:
        return tables, ()
    dated = episodes.with_columns(
        pl.when(legacy)
        .then(pl.col("last_follow_up_date"))
        .otherwise(pl.col("death_date"))
        .alias("death_date")
    )
    warnings = tuple(
        InputWarning(
            "death_date",
            None,
            f"of episode {episode_id} (outcome 'died') is not recorded: stored before "
            "death_date existed, its last follow-up date is taken as the date of death; set "
            "the date with `dresskit episode update` (death_date=YYYY-MM-DD)",
            source=source,
        )
        for episode_id in found
    )
    return {**tables, "episodes": dated}, warnings


def load_tables(engine: Engine) -> dict[str, pl.DataFrame]:
    """Read every bundle table from the registry, as a bundle file is read (then validated)."""
    with engine.connect() as connection:
        _require_tables(connection)
        return {name: _read(connection, name) for name in TABLES}


def load_bundle(engine: Engine, *, leave_out_invalid: bool = True) -> Bundle:
    """Load the whole registry as a validated :class:`Bundle` (the same rules as a file).

    Parameters
    ----------
    engine
        The registry.
    leave_out_invalid
        When an episode no longer passes the bundle's rules (a rule added since it was
        written, "today" moved on, a change made by hand), leave it out and add one warning
        per such episode to :attr:`Bundle.warnings` naming its first problems, so that one
        episode cannot stop an export or a report of all the others. ``False``: raise
        instead.

    Raises
    ------
    InputErrors
        For problems that belong to no single episode (the manifest), or every problem when
        ``leave_out_invalid`` is ``False``.
    """
    url = engine.url.render_as_string(hide_password=True)
    today = local_today()
    try:
        # The common case: everything valid; the text is freed as it is typed.
        tables, dated = legacy_deaths(load_tables(engine), source=url)
        bundle = validate_tables(tables, source=url, today=today, consume=True)
        return replace(bundle, warnings=dated + bundle.warnings) if dated else bundle
    except InputErrors:
        if not leave_out_invalid:
            raise
    # Read again, kept: each problem is traced to its episode.
    tables, dated = legacy_deaths(load_tables(engine), source=url)
    left_out: dict[str, list[InputError]] = {}
    while True:
        try:
            bundle = validate_tables(tables, source=url, today=today)
            break
        except InputErrors as errors:
            by_episode, unplaced = problems_by_episode(
                errors.errors, tables, lambda name: f"{url}/{name}.csv"
            )
            if not by_episode:  # nothing more to leave out: the rest is not an episode's
                raise InputErrors(unplaced or errors.errors) from None
            left_out.update(by_episode)
            tables = without_episodes(tables, by_episode)
    if not left_out:
        return replace(bundle, warnings=dated + bundle.warnings) if dated else bundle
    notes = dated + tuple(
        InputWarning(
            "episode_id",
            episode_id,
            f"{_LEFT_OUT}: it breaks {len(problems)} rule(s) of the bundle format as held in "
            f"the registry (first: {problems[0].message}); correct it with `dresskit episode "
            "update` or by importing it again",
            source=url,
        )
        for episode_id, problems in left_out.items()
    )
    return replace(bundle, warnings=notes + bundle.warnings)


def left_out_episodes(bundle: Bundle) -> list[str]:
    """Return the episodes :func:`load_bundle` left out because they broke a rule."""
    return [
        str(warning.value)
        for warning in bundle.warnings
        if warning.field == "episode_id" and warning.concern.startswith(_LEFT_OUT)
    ]


def patient_tables(connection: Connection, episode_id: str) -> dict[str, pl.DataFrame]:
    """Read the rows of an episode's patient: the patient, its episodes and all their rows.

    The patient's other episodes come along because weights belong to the patient (a mg/kg
    steroid dose of one episode may use a weight recorded in another).

    Raises
    ------
    InputError
        When the registry has no such episode.
    """
    episodes = table("episodes")
    _require_tables(connection)
    patient = connection.execute(
        select(episodes.c.patient_id).where(episodes.c.episode_id == episode_id)
    ).scalar_one_or_none()
    if patient is None:
        raise InputError("episode_id", episode_id, "an episode of the registry")
    # A SQL string literal with quotes doubled (standard SQL; safe in SQLite and in
    # PostgreSQL with standard_conforming_strings, the default): COPY takes no parameters.
    patient_literal = "'" + str(patient).replace("'", "''") + "'"
    same_patient = f"patient_id = {patient_literal}"
    tables = {
        "manifest": _read(connection, "manifest"),
        "patients": _read(connection, "patients", same_patient),
        "episodes": _read(connection, "episodes", same_patient),
    }
    # The patient's episode ids as literals, not a subquery: PostgreSQL then reads each table
    # by its episode index whatever its statistics say (a subquery right after a bulk import,
    # before ANALYZE, was planned as a scan of every observation: 0.2 s at 3.6 million rows).
    ids = tables["episodes"].get_column("episode_id").cast(pl.Utf8).to_list()
    listed = ", ".join("'" + str(e).replace("'", "''") + "'" for e in ids)
    episode_ids = f"episode_id IN ({listed})"
    for name in CHILD_TABLES:
        tables[name] = _read(connection, name, episode_ids)
    return tables


def _as_validated(tables: dict[str, pl.DataFrame], stored: dict[str, str | None]) -> Bundle | None:
    """Return the tables as a bundle when they are exactly what passed validation, else None.

    Every episode's fingerprint (:func:`dresskit.bundle.fingerprints.episode_fingerprints`:
    its row, its patient's row and all its rows) was computed from the validated bundle when
    it was written; when the rows read back give the same fingerprint for every episode of
    the patient, they are that validated content, typed as validation types it (a test checks
    that the course equals the validated one for every example), and validating them again
    would only repeat the same checks. Anything else (a missing or different fingerprint, a
    row changed by hand, a column read untyped) returns None: the caller validates.
    """
    from dresskit.bundle.fingerprints import episode_fingerprints

    try:
        manifest = dict(
            zip(
                tables["manifest"].get_column("key").cast(pl.Utf8).to_list(),
                tables["manifest"].get_column("value").cast(pl.Utf8).to_list(),
                strict=True,
            )
        )
        candidate = Bundle(
            manifest=manifest,
            patients=tables["patients"],
            episodes=tables["episodes"],
            drug_exposures=tables["drug_exposures"],
            drug_assessments=tables["drug_assessments"],
            observations=tables["observations"],
            findings=tables["findings"],
            treatments=tables["treatments"],
        )
        fingerprints = episode_fingerprints(candidate)
    except (pl.exceptions.PolarsError, KeyError, TypeError, ValueError):
        return None
    if not fingerprints or any(stored.get(e) != f for e, f in fingerprints.items()):
        return None
    return candidate


def load_course(engine: Engine, episode_id: str) -> PatientCourse:
    """Load one episode's course, reading only its own rows (and its patient's weights).

    Rows that are exactly what passed validation when written (their fingerprints match the
    stored ones) are not validated again (about 4x faster: the patient page reads one course
    per request); any other rows are validated as an import would.

    Raises
    ------
    InputError
        When the registry has no such episode.
    InputErrors
        When the episode no longer passes the bundle's rules (each problem named).
    """
    episodes = table("episodes")
    with engine.connect() as connection:
        tables = patient_tables(connection, episode_id)
        ids = [str(e) for e in tables["episodes"].get_column("episode_id").to_list()]
        stored = dict(
            connection.execute(
                select(episodes.c.episode_id, episodes.c.content_hash).where(
                    episodes.c.episode_id.in_(ids)
                )
            ).all()
        )
    url = engine.url.render_as_string(hide_password=True)
    tables, legacy = legacy_deaths(tables, source=url)
    trusted = None if legacy else _as_validated(tables, stored)
    if trusted is not None:
        return trusted.course(episode_id)
    bundle = validate_tables(tables, source=url, today=local_today())
    return bundle.course(episode_id)
