"""Data entry: create patients and episodes, change an episode's rows, one change at a time.

Every change is validated with the rules of a bundle import, by the same function
(:func:`dresskit.bundle.validate_tables`), as :mod:`.editing` validates an episode edit: the
episode's patient is read in the change's own transaction (its row, its episodes and all
their rows), the change is applied to those tables *as text*, exactly as a bundle file holds
them, and the whole patient is validated. A value entered with a unit from a column's closed
list (``ukat/L`` for ALT, ``[degF]`` for a temperature, ``mg/kg/d`` for a steroid) is
converted to the unit the registry stores by the bundle's own conversion (pint, through
:mod:`dresskit.course.codes`), so a row entered here and the same row imported from a file
are stored identically.

Each change names the episode ``version`` it was based on; a stale version raises
:class:`dresskit.registry.editing.ConflictError` (here :class:`EntryConflictError`, which
carries the current version) and nothing is written. A change bumps the version, refreshes
the episode's fingerprint (``content_hash``) and writes its audit record in the same
transaction: all or nothing.

Rows are addressed by a key that stays the same across changes: their ``id``, or for
observations (which have none) their ``row_order`` within the episode. Problems are
:class:`~dresskit.errors.InputError` objects whose ``source`` is the table, whose ``row`` is
the 1-based number of the row in what was submitted, and whose ``field``, ``value`` and
``expected`` are the bundle's; a problem in a row that was not submitted but is broken by the
change says ``stored <table>`` and the row's position among the episode's rows.

:func:`compare_fields` and :func:`compare_rows` set two versions of an edit side by side (what
was read, what the user made of it, what the registry holds now) so that an edit conflict is
merged by the user, field by field, never overwritten silently.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time
from typing import Any, Final, Literal

import polars as pl
from sqlalchemy import Connection, Engine, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from dresskit.bundle import Bundle, as_text, validate_tables
from dresskit.bundle.columns import decimal_text
from dresskit.bundle.fingerprints import episode_fingerprints
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.schema import (
    FORMAT_NAME,
    FORMAT_VERSION,
    TABLES,
    TREATMENT_DOSE_UNITS,
    manifest_frame,
)
from dresskit.course.codes import OBSERVATION_CODES
from dresskit.course.diagnosis import (
    CourseScore,
    bocquet_from_course,
    jscar_from_course,
    regiscar_from_course,
)
from dresskit.errors import InputError, InputErrors, InputWarning
from dresskit.registry import audit
from dresskit.registry.db import writing
from dresskit.registry.editing import EDITABLE_EPISODE_COLUMNS, ConflictError
from dresskit.registry.episode_problems import problems_by_episode, without_episodes
from dresskit.registry.loading import legacy_deaths, load_course, patient_tables
from dresskit.registry.records import EpisodeRecord
from dresskit.registry.schema import CHILD_TABLES, ROW_ORDER, table

__all__ = [
    "EDITABLE_EPISODE_COLUMNS",
    "ENTRY_TABLES",
    "MAX_ROWS",
    "ROW_KEYS",
    "Created",
    "EntryColumn",
    "EntryConflictError",
    "EpisodeEntry",
    "FieldDifference",
    "RowDifference",
    "Saved",
    "StoredRow",
    "change_rows",
    "compare_fields",
    "compare_rows",
    "create_episode",
    "create_patient",
    "entry_columns",
    "episode_scores",
    "merged_rows",
    "read_entry",
    "update_episode_fields",
]

#: The tables whose rows belong to one episode and are entered here (the bundle's order).
ENTRY_TABLES: Final = CHILD_TABLES

#: At most this many rows in one change (a grid or an API call; an import takes more).
MAX_ROWS: Final = 20_000

#: What identifies a row when two versions of a table are compared: the columns the bundle
#: holds unique within an episode (observations: episode, date, time and code; drug
#: exposures: the drug), else the whole row.
ROW_KEYS: Final[Mapping[str, tuple[str, ...]]] = {
    "observations": ("date", "time", "code"),
    "drug_exposures": ("drug",),
    "drug_assessments": ("drug", "instrument", "item"),
    "treatments": ("kind", "agent", "start_date", "route"),
    "findings": ("date", "code", "value", "detail"),
}

TextRow = Mapping[str, str | None]
"""One row as a bundle file holds it: column -> the cell's text (None or "" when empty)."""


class EntryConflictError(ConflictError):
    """The episode changed since the version a change was based on (nothing was written).

    ``current_version`` is the version the registry holds now (None when the episode is gone).
    """

    def __init__(self, message: str, current_version: int | None) -> None:
        super().__init__(message)
        self.current_version = current_version


@dataclass(frozen=True)
class EntryColumn:
    """One column of an entry form, as the bundle declares it.

    Attributes
    ----------
    name
        The bundle's column name.
    kind
        The bundle's kind (``text``, ``id``, ``code``, ``date``, ``time``, ``number``,
        ``integer``).
    required
        Whether every row needs a value.
    choices
        The closed list of accepted values (codes; empty for a free column).
    groups
        For a unit column: the closed list of units per observation code or treatment kind,
        as ``(code or kind, units)``, the first unit of each being the one stored.
    bounds
        The inclusive range of a number, if the bundle declares one.
    """

    name: str
    kind: str
    required: bool
    choices: tuple[str, ...] = ()
    groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
    bounds: tuple[float, float] | None = None

    @property
    def accepted(self) -> tuple[str, ...]:
        """Every value of the closed list (the codes, or every unit of every group)."""
        if not self.groups:
            return self.choices
        return tuple(dict.fromkeys(unit for _, units in self.groups for unit in units))


@dataclass(frozen=True)
class StoredRow:
    """One stored row of an episode: its key, its position and its cells as text."""

    key: int
    position: int
    cells: Mapping[str, str | None]


@dataclass(frozen=True)
class EpisodeEntry:
    """An episode as data entry shows it: its patient, its columns, its rows, its version."""

    episode_id: str
    patient_id: str
    site: str | None
    version: int
    patient: Mapping[str, str | None]
    episode: Mapping[str, str | None]
    rows: Mapping[str, tuple[StoredRow, ...]]
    other_episodes: tuple[str, ...]

    def row(self, table_name: str, key: int) -> StoredRow | None:
        """Return the row of ``table_name`` with ``key``, or None."""
        for stored in self.rows.get(table_name, ()):
            if stored.key == key:
                return stored
        return None


@dataclass(frozen=True)
class Saved:
    """What one change wrote: the episode's new version, and values worth a second look."""

    episode_id: str
    version: int
    rows: int
    warnings: tuple[InputWarning, ...] = ()


@dataclass(frozen=True)
class Created:
    """A patient or episode created: its ids, first version and warnings."""

    patient_id: str
    episode_id: str
    site: str
    version: int
    warnings: tuple[InputWarning, ...] = ()


# --- columns ---------------------------------------------------------------------------------


def entry_columns(table_name: str) -> tuple[EntryColumn, ...]:
    """Return the columns a form of ``table_name`` shows (an episode's rows: no episode_id).

    Unit columns carry their closed lists: ``observations.unit`` the units accepted for each
    code (:data:`dresskit.course.codes.OBSERVATION_CODES`), ``treatments.dose_unit`` those of
    each treatment kind; ``observations.text`` the text results of the qualitative codes.

    Raises
    ------
    InputError
        For a table the bundle does not have.
    """
    if table_name not in TABLES or table_name == "manifest":
        raise InputError("table", table_name, "one of " + ", ".join(list(TABLES)[1:]))
    columns = []
    for column in TABLES[table_name]:
        if column.name == "episode_id" and table_name in ENTRY_TABLES:
            continue
        groups: tuple[tuple[str, tuple[str, ...]], ...] = ()
        choices = column.codes
        if table_name == "observations" and column.name == "unit":
            groups = tuple(
                (code, (d.canonical_unit, *(u for u in d.accepted_units if u != d.canonical_unit)))
                for code, d in OBSERVATION_CODES.items()
            )
        elif table_name == "treatments" and column.name == "dose_unit":
            groups = tuple(TREATMENT_DOSE_UNITS.items())
        elif table_name == "observations" and column.name == "text":
            choices = tuple(
                dict.fromkeys(v for d in OBSERVATION_CODES.values() for v in d.text_values)
            )
        columns.append(
            EntryColumn(
                name=column.name,
                kind=column.kind,
                required=column.required,
                choices=choices,
                groups=groups,
                bounds=column.bounds,
            )
        )
    return tuple(columns)


def _row_columns(table_name: str) -> list[str]:
    return [c.name for c in TABLES[table_name] if c.name != "episode_id"]


# --- reading ---------------------------------------------------------------------------------


def _cell_text(value: object) -> str | None:
    """Return a stored value as the bundle's text (whole numbers without '.0')."""
    if value is None:
        return None
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, float):
        if value.is_integer() and abs(value) < 1e15:
            return str(int(value))
        return decimal_text(value)
    if isinstance(value, datetime):
        return value.date().isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return str(value)


def _key_column(table_name: str) -> str:
    return ROW_ORDER if table_name == "observations" else "id"


def _stored_rows(connection: Connection, episode_id: str, table_name: str) -> list[StoredRow]:
    target = table(table_name)
    key = target.c[_key_column(table_name)]
    columns = _row_columns(table_name)
    query = (
        select(key, *[target.c[c] for c in columns])
        .where(target.c.episode_id == episode_id)
        .order_by(key)
    )
    return [
        StoredRow(
            key=int(found[0]),
            position=position,
            cells={c: _cell_text(v) for c, v in zip(columns, found[1:], strict=True)},
        )
        for position, found in enumerate(connection.execute(query), start=1)
    ]


def read_entry(engine: Engine, episode_id: str) -> EpisodeEntry:
    """Return one episode with its patient, its rows (as text, stored units) and version.

    Raises
    ------
    InputError
        For an episode the registry does not have.
    """
    episodes, patients, sites = table("episodes"), table("patients"), table("patient_sites")
    with engine.connect() as connection:
        found = connection.execute(
            select(episodes).where(episodes.c.episode_id == episode_id)
        ).one_or_none()
        if found is None:
            raise InputError("episode_id", episode_id, "an episode of the registry")
        episode = found._mapping
        patient = (
            connection.execute(
                select(patients).where(patients.c.patient_id == episode["patient_id"])
            )
            .one()
            ._mapping
        )
        site = connection.execute(
            select(sites.c.site).where(sites.c.patient_id == episode["patient_id"])
        ).scalar_one_or_none()
        others = connection.execute(
            select(episodes.c.episode_id)
            .where(episodes.c.patient_id == episode["patient_id"])
            .where(episodes.c.episode_id != episode_id)
            .order_by(episodes.c.episode_id)
        ).scalars()
        rows = {name: tuple(_stored_rows(connection, episode_id, name)) for name in ENTRY_TABLES}
        return EpisodeEntry(
            episode_id=episode_id,
            patient_id=str(episode["patient_id"]),
            site=None if site is None else str(site),
            version=int(episode["version"]),
            patient={c.name: _cell_text(patient[c.name]) for c in TABLES["patients"]},
            episode={c.name: _cell_text(episode[c.name]) for c in TABLES["episodes"]},
            rows=rows,
            other_episodes=tuple(str(e) for e in others),
        )


def episode_scores(engine: Engine, episode_id: str) -> tuple[CourseScore, ...]:
    """Return RegiSCAR, J-SCAR and Bocquet computed from the episode's course.

    The same three results ``dresskit course`` shows (:func:`dresskit.course.summary.
    summarise_course` computes them with these functions), each with the evidence behind every
    item and the items still unknown.

    Raises
    ------
    InputError, InputErrors
        For an unknown episode, or one that no longer passes the bundle's rules.
    """
    course = load_course(engine, episode_id)
    return (regiscar_from_course(course), jscar_from_course(course), bocquet_from_course(course))


# --- checking what was submitted ----------------------------------------------------------


def _clean_row(
    table_name: str, row: object, number: int, columns: Sequence[str]
) -> dict[str, str | None]:
    """Return a submitted row with every column (absent: empty); refuse anything else."""
    if not isinstance(row, Mapping):
        raise InputError("row", repr(row)[:200], "a row: column -> text", source=table_name)
    cleaned: dict[str, str | None] = dict.fromkeys(columns)
    problems = []
    for name, value in row.items():
        if name not in columns:
            problems.append(
                InputError(
                    str(name)[:200],
                    value if isinstance(value, str | None) else repr(value)[:200],
                    f"a column of {table_name}: " + ", ".join(columns),
                    source=table_name,
                    row=number,
                )
            )
        elif value is not None and not isinstance(value, str):
            problems.append(
                InputError(
                    name,
                    repr(value)[:200],
                    "text (the cell as a bundle file writes it)",
                    source=table_name,
                    row=number,
                )
            )
        else:
            cleaned[name] = value if value else None
    if problems:
        raise InputErrors(problems)
    return cleaned


def _cleaned(table_name: str, rows: Iterable[object], columns: Sequence[str]) -> list[Any]:
    cleaned: list[dict[str, str | None]] = []
    problems: list[InputError] = []
    for number, row in enumerate(rows, start=1):
        if number > MAX_ROWS:
            raise InputError(
                "rows",
                f"more than {MAX_ROWS}",
                f"at most {MAX_ROWS} rows in one change (import a bundle for more)",
                source=table_name,
            )
        try:
            cleaned.append(_clean_row(table_name, row, number, columns))
        except InputErrors as refused:
            problems.extend(refused.errors)
        except InputError as refused:
            problems.append(refused.located(row=number))
    if problems:
        raise InputErrors(problems)
    return cleaned


def _text_frame(table_name: str, rows: Sequence[Mapping[str, str | None]]) -> pl.DataFrame:
    names = [c.name for c in TABLES[table_name]]
    return pl.DataFrame(
        {name: [row.get(name) for row in rows] for name in names},
        schema=dict.fromkeys(names, pl.Utf8),
    )


def _relocated(
    errors: Iterable[InputError],
    *,
    own_counts: Mapping[str, int],
    submitted: Mapping[str, Sequence[int | None]],
) -> list[InputError]:
    """Name each problem by what the user submitted (table, submitted row) or stored row.

    ``submitted[table][i]`` is the submitted row number of the episode's i-th row of that
    table (None for a row kept as stored); validation numbered the episode's own rows first.
    """
    placed = []
    for error in errors:
        name = error.source or ""
        row = error.row
        if name in ("patients", "episodes") or row is None:
            placed.append(InputError(error.field, error.value, error.expected, source=name))
            continue
        numbers = submitted.get(name, ())
        if row <= own_counts.get(name, 0):
            number = numbers[row - 1] if row - 1 < len(numbers) else None
            if number is not None:
                placed.append(
                    InputError(error.field, error.value, error.expected, source=name, row=number)
                )
                continue
            placed.append(
                InputError(
                    error.field, error.value, error.expected, source=f"stored {name}", row=row
                )
            )
            continue
        placed.append(error)
    return placed


def _relocated_warnings(
    warnings: Iterable[InputWarning],
    *,
    own_counts: Mapping[str, int],
    submitted: Mapping[str, Sequence[int | None]],
) -> tuple[InputWarning, ...]:
    """Keep the warnings of the rows that were submitted, named as their problems are."""
    kept = []
    for warning in warnings:
        name = warning.source or ""
        if name in ("patients", "episodes") and name in submitted:
            kept.append(InputWarning(warning.field, warning.value, warning.concern, source=name))
            continue
        row = warning.row
        numbers = submitted.get(name, ())
        if row is None or row > own_counts.get(name, 0) or row - 1 >= len(numbers):
            continue
        number = numbers[row - 1]
        if number is not None:
            kept.append(
                InputWarning(warning.field, warning.value, warning.concern, source=name, row=number)
            )
    return tuple(kept)


def _validated(
    tables: dict[str, pl.DataFrame],
    episode_id: str,
    *,
    own_counts: Mapping[str, int],
    submitted: Mapping[str, Sequence[int | None]],
) -> tuple[Bundle, tuple[InputWarning, ...]]:
    """Validate a patient's tables as an import would; keep only this episode's problems.

    Problems of the patient's other episodes do not block the change (they were there before),
    as :func:`dresskit.registry.editing.update_episode` decides.
    """

    def file_of(name: str) -> str:
        return name

    def validated(frames: dict[str, pl.DataFrame]) -> Bundle:
        return validate_tables(frames, source="entry", today=local_today(), file_of=file_of)

    try:
        bundle = validated(tables)
    except InputErrors as errors:
        by_episode, unplaced = problems_by_episode(errors.errors, tables, file_of)
        own = [*by_episode.pop(episode_id, []), *unplaced]
        if own:
            raise InputErrors(_relocated(own, own_counts=own_counts, submitted=submitted)) from None
        bundle = validated(without_episodes(tables, by_episode))
    warnings = _relocated_warnings(bundle.warnings, own_counts=own_counts, submitted=submitted)
    return bundle, warnings


def _own_first(frame: pl.DataFrame, episode_id: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    mine = pl.col("episode_id").cast(pl.Utf8) == episode_id
    return frame.filter(mine), frame.filter(~mine)


def _stored_columns(frame: pl.DataFrame) -> list[dict[str, Any]]:
    """Return validated rows as the registry stores them: codes as text, times as HH:MM."""
    converted = frame.with_columns(
        [
            pl.col(name).dt.strftime("%H:%M").alias(name)
            if dtype == pl.Time
            else pl.col(name).cast(pl.Utf8).alias(name)
            for name, dtype in frame.schema.items()
            if isinstance(dtype, pl.Enum | pl.Categorical) or dtype == pl.Time
        ]
    )
    return converted.to_dicts()


# --- changing an episode -------------------------------------------------------------------


def _conflict_message(episode_id: str, current: int | None, expected: int) -> str:
    now = f"version {current}" if current is not None else "a newer version"
    return (
        f"episode {episode_id} was changed by someone else since you read it (now {now}, you "
        f"read version {expected}): nothing was written; compare the two versions and apply "
        "your change again"
    )


def _locked_episode(session: Session, episode_id: str, expected_version: int) -> EpisodeRecord:
    record = session.scalars(
        select(EpisodeRecord).where(EpisodeRecord.episode_id == episode_id).with_for_update()
    ).one_or_none()
    if record is None:
        raise InputError("episode_id", episode_id, "an episode of the registry")
    if record.version != expected_version:
        raise EntryConflictError(
            _conflict_message(episode_id, record.version, expected_version), record.version
        )
    return record


@dataclass
class _Plan:
    """The rows of one table after a change, each with its key (None: new) and its number."""

    rows: list[dict[str, str | None]] = field(default_factory=list)
    keys: list[int | None] = field(default_factory=list)
    numbers: list[int | None] = field(default_factory=list)
    removed: list[StoredRow] = field(default_factory=list)
    changed_before: list[StoredRow] = field(default_factory=list)


def _plan(
    table_name: str,
    stored: list[StoredRow],
    *,
    replace: Sequence[dict[str, str | None]] | None,
    add: Sequence[dict[str, str | None]],
    change: Mapping[int, dict[str, str | None]],
    remove: Sequence[int],
) -> _Plan:
    known = {row.key: row for row in stored}
    unknown = [key for key in [*change, *remove] if key not in known]
    if unknown:
        raise InputErrors(
            [
                InputError(
                    "row",
                    key,
                    f"a row of this episode's {table_name} (it is not there: reload the page)",
                    source=table_name,
                )
                for key in unknown
            ]
        )
    plan = _Plan()
    if replace is not None:
        plan.removed = list(stored)
        for number, cells in enumerate(replace, start=1):
            plan.rows.append(cells)
            plan.keys.append(None)
            plan.numbers.append(number)
        return plan
    numbered = {key: number for number, key in enumerate(change, start=1)}
    for row in stored:
        if row.key in remove:
            plan.removed.append(row)
            continue
        if row.key in change:
            plan.changed_before.append(row)
            plan.rows.append(change[row.key])
            plan.numbers.append(numbered[row.key])
        else:
            plan.rows.append(dict(row.cells))
            plan.numbers.append(None)
        plan.keys.append(row.key)
    for number, cells in enumerate(add, start=len(change) + 1):
        plan.rows.append(cells)
        plan.keys.append(None)
        plan.numbers.append(number)
    return plan


def _write_rows(
    connection: Connection, episode_id: str, table_name: str, plan: _Plan, bundle: Bundle
) -> None:
    """Write the planned rows from their validated form (canonical units), keys kept."""
    target = table(table_name)
    key_name = _key_column(table_name)
    key = target.c[key_name]
    own = getattr(bundle, table_name).filter(pl.col("episode_id").cast(pl.Utf8) == episode_id)
    values = _stored_columns(own.select([c.name for c in TABLES[table_name]]))
    if len(values) != len(plan.rows):  # validation keeps every row, in order
        raise RuntimeError(f"validation returned {len(values)} rows for {len(plan.rows)}")
    removed = [row.key for row in plan.removed]
    for start in range(0, len(removed), 1000):
        connection.execute(
            delete(target)
            .where(target.c.episode_id == episode_id)
            .where(key.in_(removed[start : start + 1000]))
        )
    next_order = (
        connection.execute(
            select(func.max(key)).where(target.c.episode_id == episode_id)
        ).scalar_one_or_none()
        if key_name == ROW_ORDER
        else None
    )
    order = -1 if next_order is None else int(next_order)
    new_rows = []
    for row_key, number, row in zip(plan.keys, plan.numbers, values, strict=True):
        if number is None:
            continue  # kept as stored
        if row_key is None:
            if key_name == ROW_ORDER:
                order += 1
                row = {**row, ROW_ORDER: order}
            new_rows.append(row)
            continue
        connection.execute(
            update(target)
            .where(target.c.episode_id == episode_id)
            .where(key == row_key)
            .values(**{name: v for name, v in row.items() if name != "episode_id"})
        )
    if new_rows:
        connection.execute(insert(target), new_rows)


def _write(
    engine: Engine,
    episode_id: str,
    *,
    expected_version: int,
    actor: str,
    table_name: str | None,
    make_plan: Callable[[list[StoredRow]], _Plan] | None,
    episode_changes: Mapping[str, str | None] | None = None,
) -> Saved:
    """Apply one change to an episode (its rows of one table, or its own columns)."""
    if not isinstance(expected_version, int) or isinstance(expected_version, bool):
        raise InputError("version", expected_version, "the episode version the change is based on")
    with Session(writing(engine)) as session, session.begin():
        record = _locked_episode(session, episode_id, expected_version)
        connection = session.connection()
        tables = patient_tables(connection, episode_id)
        # Always the format this dresskit writes: a registry filled by entry alone has no
        # manifest of its own.
        tables["manifest"] = manifest_frame({"format": FORMAT_NAME, "version": FORMAT_VERSION})
        own_counts: dict[str, int] = {}
        submitted: dict[str, list[int | None]] = {}
        for name in ENTRY_TABLES:
            mine, others = _own_first(tables[name], episode_id)
            tables[name] = pl.concat([mine, others], how="vertical_relaxed")
            own_counts[name] = mine.height
        plan = None
        if table_name is not None and make_plan is not None:
            plan = make_plan(_stored_rows(connection, episode_id, table_name))
            _, others = _own_first(tables[table_name], episode_id)
            rows = [{**row, "episode_id": episode_id} for row in plan.rows]
            tables[table_name] = pl.concat([_text_frame(table_name, rows), as_text(others)])
            own_counts[table_name] = len(rows)
            submitted[table_name] = plan.numbers
        before: dict[str, Any] = {}
        if episode_changes:
            mine, others = _own_first(as_text(tables["episodes"]), episode_id)
            row = mine.row(0, named=True)
            before = {name: row[name] for name in episode_changes}
            row.update(episode_changes)
            tables["episodes"] = pl.concat([_text_frame("episodes", [row]), others])
            submitted["episodes"] = []
        keep = (
            episode_id
            if episode_changes and {"outcome", "death_date"} & set(episode_changes)
            else None
        )
        tables, _ = legacy_deaths(tables, source="entry", keep=keep)
        bundle, warnings = _validated(
            tables, episode_id, own_counts=own_counts, submitted=submitted
        )
        if plan is not None and table_name is not None:
            _write_rows(connection, episode_id, table_name, plan, bundle)
        if episode_changes:
            validated = _stored_columns(
                bundle.episodes.filter(pl.col("episode_id").cast(pl.Utf8) == episode_id)
            )[0]
            for name in episode_changes:
                setattr(record, name, validated[name])
        record.content_hash = episode_fingerprints(bundle)[episode_id]
        # Always a change, so the version moves even when the values were already these.
        record.updated_at = datetime.now(tz=UTC)
        try:
            session.flush()
        except StaleDataError as stale:
            raise EntryConflictError(
                _conflict_message(episode_id, None, expected_version), None
            ) from stale
        version = record.version
        rows_now = own_counts.get(table_name or "", 0)
        audit.append(
            connection,
            actor=actor,
            action="update",
            entity="episode",
            entity_id=episode_id,
            before=_audit_before(table_name, plan, before, expected_version),
            after=_audit_after(table_name, plan, episode_changes, version),
        )
    return Saved(episode_id, version, rows_now, warnings)


def _audit_before(
    table_name: str | None, plan: _Plan | None, before: Mapping[str, Any], version: int
) -> dict[str, Any]:
    record: dict[str, Any] = {"version": version}
    if before:
        record["episode"] = dict(before)
    if plan is not None and table_name is not None:
        record["table"] = table_name
        if len(plan.removed) > 50:  # a bulk replacement: its outline, not every row
            record["rows_removed"] = len(plan.removed)
        else:
            record["removed"] = [dict(row.cells) for row in plan.removed]
        record["changed"] = [dict(row.cells) for row in plan.changed_before]
    return record


def _audit_after(
    table_name: str | None,
    plan: _Plan | None,
    changes: Mapping[str, str | None] | None,
    version: int,
) -> dict[str, Any]:
    record: dict[str, Any] = {"version": version}
    if changes:
        record["episode"] = dict(changes)
    if plan is not None and table_name is not None:
        written = [row for row, number in zip(plan.rows, plan.numbers, strict=True) if number]
        record["table"] = table_name
        if len(written) > 50:
            record["rows_written"] = len(written)
        else:
            record["written"] = written
    return record


def change_rows(
    engine: Engine,
    episode_id: str,
    table_name: str,
    *,
    expected_version: int,
    actor: str,
    replace: Sequence[TextRow] | None = None,
    add: Sequence[TextRow] = (),
    change: Mapping[int, TextRow] | None = None,
    remove: Sequence[int] = (),
) -> Saved:
    """Add, change, delete or replace rows of one table of an episode, as one change.

    Parameters
    ----------
    engine
        The registry.
    episode_id
        The episode.
    table_name
        One of :data:`ENTRY_TABLES`.
    expected_version
        The episode version the change is based on.
    actor
        Who makes the change (the audit trail's actor).
    replace
        Every row the table should hold for the episode (the stored ones go): a bulk
        replacement. Rows as text, as a bundle file holds them.
    add
        Rows to append.
    change
        Key -> the row's new cells (the whole row: a column left out becomes empty).
    remove
        Keys of the rows to delete.

    Returns
    -------
    Saved
        The new version, the number of the episode's rows in the table, and warnings (values
        accepted but worth a second look) of the submitted rows.

    Raises
    ------
    EntryConflictError
        When the episode is no longer at ``expected_version`` (nothing written).
    InputError, InputErrors
        For every problem: submitted rows are numbered in the order given (``replace`` or
        ``change`` then ``add``), with the bundle's field, value and what it accepts.

    Examples
    --------
    A temperature entered in degrees Fahrenheit is stored in degrees Celsius, as an import
    stores it (``change_rows(engine, "E1", "observations", expected_version=3, actor="ann",
    add=[{"date": "2024-05-02", "code": "temperature", "value": "101.3", "unit": "[degF]"}])``
    stores 38.5 Cel).
    """
    if table_name not in ENTRY_TABLES:
        raise InputError("table", table_name, "one of " + ", ".join(ENTRY_TABLES))
    columns = _row_columns(table_name)
    replaced = None if replace is None else _cleaned(table_name, replace, columns)
    added = _cleaned(table_name, add, columns)
    changed_keys = list((change or {}).keys())
    changed_rows = _cleaned(table_name, (change or {}).values(), columns)
    changes = dict(zip(changed_keys, changed_rows, strict=True))
    if replace is not None and (add or change or remove):
        raise InputError("replace", "with other changes", "a replacement on its own")
    if replace is None and not (added or changes or remove):
        raise InputError(
            "rows", "none", "at least one row to add, change or delete", source=table_name
        )

    def make_plan(stored: list[StoredRow]) -> _Plan:
        return _plan(
            table_name, stored, replace=replaced, add=added, change=changes, remove=list(remove)
        )

    return _write(
        engine,
        episode_id,
        expected_version=expected_version,
        actor=actor,
        table_name=table_name,
        make_plan=make_plan,
    )


def update_episode_fields(
    engine: Engine,
    episode_id: str,
    changes: TextRow,
    *,
    expected_version: int,
    actor: str,
) -> Saved:
    """Change an episode's own columns (written as a bundle writes them), under locking.

    Only :data:`dresskit.registry.editing.EDITABLE_EPISODE_COLUMNS` may change; the whole
    patient is validated as an import would be (a last follow-up before some observation is
    refused, naming the observation).

    Raises
    ------
    EntryConflictError
        When the episode is no longer at ``expected_version``.
    InputError, InputErrors
        For a column that may not change and every rule the change would break.
    """
    cleaned = _clean_row("episodes", changes, 1, list(EDITABLE_EPISODE_COLUMNS))
    given = {name: cleaned[name] for name in changes if name in cleaned}
    if not given:
        raise InputError(
            "changes", "nothing", "at least one of " + ", ".join(EDITABLE_EPISODE_COLUMNS)
        )
    return _write(
        engine,
        episode_id,
        expected_version=expected_version,
        actor=actor,
        table_name=None,
        make_plan=None,
        episode_changes=given,
    )


# --- creating patients and episodes -------------------------------------------------------


def _empty_tables() -> dict[str, pl.DataFrame]:
    return {name: _text_frame(name, []) for name in ENTRY_TABLES}


def _ensure_manifest(connection: Connection) -> None:
    """Give a registry filled by entry alone the manifest a bundle export needs."""
    manifest = table("manifest")
    held = set(connection.execute(select(manifest.c.key)).scalars())
    missing = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    rows = [{"key": k, "value": v} for k, v in missing.items() if k not in held]
    if rows:
        connection.execute(insert(manifest), rows)


def _taken(connection: Connection, column: str, value: str, what: str) -> InputError | None:
    target = table("patients" if column == "patient_id" else "episodes")
    found = connection.execute(
        select(target.c[column]).where(target.c[column] == value)
    ).scalar_one_or_none()
    if found is None:
        return None
    return InputError(column, value, f"{what} not used yet in the registry", source=target.name)


@contextmanager
def _ids_free(ids: Sequence[tuple[str, str]]) -> Iterator[None]:
    """Name the ids when another entry took one between the check and the insert."""
    try:
        yield
    except IntegrityError as taken:
        raise InputErrors(
            [
                InputError(column, value, "an id not used yet in the registry (taken meanwhile)")
                for column, value in ids
            ]
        ) from taken


def _insert_episode(connection: Connection, bundle: Bundle, episode_id: str, now: datetime) -> None:
    row = _stored_columns(bundle.episodes.filter(pl.col("episode_id").cast(pl.Utf8) == episode_id))[
        0
    ]
    connection.execute(
        insert(table("episodes")),
        [
            {
                **row,
                "version": 1,
                "content_hash": episode_fingerprints(bundle)[episode_id],
                "created_at": now,
                "updated_at": now,
            }
        ],
    )


def create_patient(
    engine: Engine,
    *,
    site: str,
    patient: TextRow,
    episode: TextRow,
    actor: str,
) -> Created:
    """Create a patient and its first episode in ``site``, validated as an import would be.

    Parameters
    ----------
    engine
        The registry.
    site
        The patient's site (the caller checks that the actor is granted it).
    patient
        The patient's row as text: ``patient_id``, ``sex``, ``birth_year``, ``age_years``.
    episode
        The episode's row: ``episode_id``, ``phenotype``, ``onset_date``, ``admission_date``,
        ``outcome``, ``last_follow_up_date``, ``death_date`` (its ``patient_id`` is the
        patient's).
    actor
        Who creates it (the audit trail's actor).

    Raises
    ------
    InputError, InputErrors
        For an unknown site, an id already used, and every rule of the bundle format.
    """
    patient_columns = [c.name for c in TABLES["patients"]]
    episode_columns = [c.name for c in TABLES["episodes"] if c.name != "patient_id"]
    problems: list[InputError] = []
    cleaned_patient: dict[str, str | None] = {}
    cleaned_episode: dict[str, str | None] = {}
    for name, row, columns, target in (
        ("patients", patient, patient_columns, cleaned_patient),
        ("episodes", episode, episode_columns, cleaned_episode),
    ):
        try:
            target.update(_clean_row(name, row, 1, columns))
        except InputErrors as refused:
            problems.extend(refused.errors)
        except InputError as refused:
            problems.append(refused)
    if problems:
        raise InputErrors(problems)
    patient_id = cleaned_patient["patient_id"] or ""
    episode_id = cleaned_episode["episode_id"] or ""
    cleaned_episode["patient_id"] = cleaned_patient["patient_id"]
    tables = {
        "manifest": manifest_frame({"format": FORMAT_NAME, "version": FORMAT_VERSION}),
        "patients": _text_frame("patients", [cleaned_patient]),
        "episodes": _text_frame("episodes", [cleaned_episode]),
        **_empty_tables(),
    }
    submitted: dict[str, list[int | None]] = {"patients": [], "episodes": []}
    bundle, warnings = _validated(tables, episode_id, own_counts={}, submitted=submitted)
    now = datetime.now(tz=UTC)
    ids = (("patient_id", patient_id), ("episode_id", episode_id))
    with _ids_free(ids), writing(engine).begin() as connection:
        known = connection.execute(
            select(table("sites").c.name).where(table("sites").c.name == site)
        ).scalar_one_or_none()
        if known is None:
            raise InputError("site", site, "a site of the registry")
        taken = [
            error
            for error in (
                _taken(connection, "patient_id", patient_id, "a patient id"),
                _taken(connection, "episode_id", episode_id, "an episode id"),
            )
            if error is not None
        ]
        if taken:
            raise InputErrors(taken)
        _ensure_manifest(connection)
        patient_row = _stored_columns(bundle.patients)[0]
        connection.execute(
            insert(table("patients")),
            [{**patient_row, "version": 1, "created_at": now, "updated_at": now}],
        )
        connection.execute(
            insert(table("patient_sites")), [{"patient_id": patient_id, "site": site}]
        )
        _insert_episode(connection, bundle, episode_id, now)
        audit.append(
            connection,
            actor=actor,
            action="create",
            entity="patient",
            entity_id=patient_id,
            after={"site": site, "patient": cleaned_patient, "episode": cleaned_episode},
            at=now,
        )
    return Created(patient_id, episode_id, site, 1, warnings)


def create_episode(engine: Engine, *, patient_id: str, episode: TextRow, actor: str) -> Created:
    """Create another episode of an existing patient, validated with the patient's others.

    Raises
    ------
    InputError, InputErrors
        For an unknown patient, an episode id already used, and every rule of the format.
    """
    episode_columns = [c.name for c in TABLES["episodes"] if c.name != "patient_id"]
    cleaned = _clean_row("episodes", episode, 1, episode_columns)
    cleaned["patient_id"] = patient_id
    episode_id = cleaned["episode_id"] or ""
    episodes, sites = table("episodes"), table("patient_sites")
    now = datetime.now(tz=UTC)
    with _ids_free((("episode_id", episode_id),)), writing(engine).begin() as connection:
        first = connection.execute(
            select(episodes.c.episode_id)
            .where(episodes.c.patient_id == patient_id)
            .order_by(episodes.c.episode_id)
            .limit(1)
        ).scalar_one_or_none()
        if first is None:
            raise InputError("patient_id", patient_id, "a patient of the registry with an episode")
        tables = patient_tables(connection, first)
        tables["manifest"] = manifest_frame({"format": FORMAT_NAME, "version": FORMAT_VERSION})
        tables["episodes"] = pl.concat(
            [_text_frame("episodes", [cleaned]), as_text(tables["episodes"])]
        )
        tables, _ = legacy_deaths(tables, source="entry", keep=episode_id)
        bundle, warnings = _validated(tables, episode_id, own_counts={}, submitted={"episodes": []})
        taken = _taken(connection, "episode_id", episode_id, "an episode id")
        if taken is not None:
            raise InputErrors([taken])
        _insert_episode(connection, bundle, episode_id, now)
        site = connection.execute(
            select(sites.c.site).where(sites.c.patient_id == patient_id)
        ).scalar_one_or_none()
        audit.append(
            connection,
            actor=actor,
            action="create",
            entity="episode",
            entity_id=episode_id,
            after={"episode": cleaned},
            at=now,
        )
    return Created(patient_id, episode_id, str(site or ""), 1, warnings)


# --- comparing two versions -------------------------------------------------------------------


@dataclass(frozen=True)
class FieldDifference:
    """One field of an edit as read, as the user made it, and as the registry holds it now.

    ``preferred`` is what a merge takes by default: the user's value where the user changed
    the field, else the current one (the other editor's change, or no change at all).
    """

    name: str
    original: str | None
    mine: str | None
    current: str | None

    @property
    def differs(self) -> bool:
        """Whether the user's value and the current one differ (a choice to make)."""
        return self.mine != self.current

    @property
    def preferred(self) -> Literal["mine", "current"]:
        """The side a merge takes unless the user chooses otherwise."""
        return "mine" if self.mine != self.original else "current"


def compare_fields(
    names: Sequence[str],
    *,
    original: TextRow,
    mine: TextRow,
    current: TextRow | None,
) -> tuple[FieldDifference, ...]:
    """Set the three versions of a record side by side, field by field (empty as None)."""

    def cell(row: TextRow | None, name: str) -> str | None:
        value = None if row is None else row.get(name)
        return value or None

    return tuple(
        FieldDifference(name, cell(original, name), cell(mine, name), cell(current, name))
        for name in names
    )


@dataclass(frozen=True)
class RowDifference:
    """One row (by its key, :data:`ROW_KEYS`) of a table in the three versions of an edit.

    ``automatic`` says which side a merge takes without asking: the only side that changed
    the row since it was read; ``None`` when both changed it differently (the user chooses).
    """

    key: tuple[str | None, ...]
    original: Mapping[str, str | None] | None
    mine: Mapping[str, str | None] | None
    current: Mapping[str, str | None] | None

    @property
    def automatic(self) -> Literal["mine", "current"] | None:
        """The side taken without asking, or None when the user must choose."""
        if self.mine == self.original:
            return "current"
        if self.current == self.original:
            return "mine"
        return None


def _normalised(table_name: str, row: TextRow) -> dict[str, str | None]:
    return {name: row.get(name) or None for name in _row_columns(table_name)}


def _keyed(
    table_name: str, rows: Iterable[TextRow]
) -> dict[tuple[str | None, ...], dict[str, str | None]]:
    """Rows by key; a key seen twice gets its occurrence number, so no row is lost."""
    columns = ROW_KEYS.get(table_name, tuple(_row_columns(table_name)))
    keyed: dict[tuple[str | None, ...], dict[str, str | None]] = {}
    for row in rows:
        cells = _normalised(table_name, row)
        key: tuple[str | None, ...] = tuple(cells.get(c) for c in columns)
        seen = 0
        while key + ((str(seen),) if seen else ()) in keyed:
            seen += 1
        keyed[key + ((str(seen),) if seen else ())] = cells
    return keyed


def compare_rows(
    table_name: str,
    *,
    original: Sequence[TextRow],
    mine: Sequence[TextRow],
    current: Sequence[TextRow],
) -> tuple[RowDifference, ...]:
    """Return the rows where the user's version and the current one differ, by row key.

    Parameters
    ----------
    table_name
        The table (its key columns: :data:`ROW_KEYS`).
    original, mine, current
        The rows as read, as the user submitted them, as the registry holds them now.
    """
    before, edited, now = (_keyed(table_name, rows) for rows in (original, mine, current))
    keys = list(dict.fromkeys([*now, *edited, *before]))
    return tuple(
        RowDifference(key, before.get(key), edited.get(key), now.get(key))
        for key in keys
        if edited.get(key) != now.get(key)
    )


def merged_rows(
    table_name: str,
    *,
    original: Sequence[TextRow],
    mine: Sequence[TextRow],
    current: Sequence[TextRow],
    choices: Mapping[int, Literal["mine", "current"]],
) -> list[dict[str, str | None]]:
    """Merge two versions of a table: the current rows with the user's choices applied.

    ``choices`` maps the index of a :func:`compare_rows` difference to the side taken; a
    difference without a choice takes its ``automatic`` side, or the user's when both changed.
    The current rows keep their order; rows only the user has follow, in the user's order.
    """
    differences = compare_rows(table_name, original=original, mine=mine, current=current)
    taken: dict[tuple[str | None, ...], Mapping[str, str | None] | None] = {}
    for index, difference in enumerate(differences):
        side = choices.get(index) or difference.automatic or "mine"
        taken[difference.key] = difference.mine if side == "mine" else difference.current
    merged = []
    now = _keyed(table_name, current)
    for key, row in now.items():
        chosen = taken.get(key, row)
        if chosen is not None:
            merged.append(dict(chosen))
    for key, row in _keyed(table_name, mine).items():
        if key not in now and taken.get(key) is not None:
            merged.append(dict(row))
    return merged
