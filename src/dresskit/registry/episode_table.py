"""The registry's episodes as one cached table, with classes derived per episode and kept.

The patient list (:mod:`dresskit.registry.listing`) must answer a filter over ten thousand
episodes in well under 200 ms, and the episode page must not validate its course again on
every visit; so nothing is read per request but one row of ``audit_head``:

* **The episode table** (ids, site, sex, age, phenotype, dates, outcome, suspect drugs and, for
  researchers, pseudonyms and coded drug names) is read once into a polars frame and kept
  while the registry's audit head stays where it was (every write appends to the audit trail,
  :mod:`dresskit.registry.audit`). When the head moves, the records appended since are looked
  at: views, exports and account changes leave the patients as they were; anything else reads
  the table again.
* **The derived classes** (the RegiSCAR class, by the column-wise
  :func:`dresskit.course.vectorised_regiscar.regiscar_table`, and the four steroid-response
  states of :func:`dresskit.course.response.classify_response`) are kept per episode under the
  episode's version, content fingerprint and update time, and derived again only for the
  episodes whose key changed: a few during the request, many (the first request after start,
  a large import) in a background thread a chunk at a time. Until it is done the snapshot
  names the episodes still being derived: they are shown as such and left out of a filter on
  a class (never guessed).
* **Courses** of the episodes viewed last are kept under the keys of their patient's episodes
  (:func:`cached_course`).

The state is kept per engine, in memory, for the life of the process. Every change dresskit
makes appends to the audit trail in the same transaction; a change made behind its back
(plain SQL, no audit record) is seen after a restart.
"""

from __future__ import annotations

import functools
import threading
import weakref
from collections import OrderedDict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, Final, Literal

import polars as pl
from sqlalchemy import Connection, Engine, String, cast, func, select

from dresskit.bundle import as_text, typed_schema, validate_tables
from dresskit.bundle.drugs import UNLISTED_DRUG, resolve_drug_name
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.schema import TABLES
from dresskit.course.model import PatientCourse
from dresskit.course.response import classify_response
from dresskit.course.vectorised_regiscar import regiscar_table
from dresskit.errors import DresskitError, InputError, InputErrors
from dresskit.registry.deidentify import pseudonym
from dresskit.registry.loading import legacy_deaths, load_course
from dresskit.registry.schema import CHILD_TABLES, load_order, table
from dresskit.registry.scoped import pseudonym_key

__all__ = [
    "COURSES_KEPT",
    "INLINE_LIMIT",
    "RESPONSE_STATES",
    "EpisodeClasses",
    "TableSnapshot",
    "cached_course",
    "derivation_pending",
    "derive_classes",
    "episode_table",
    "wait_for_derivation",
]

#: Steroid-response states (clinical-reference.md §10), in the order classes hold them.
RESPONSE_STATES: Final[Mapping[str, str]] = {
    "hyporesponsive": "hyporesponsive",
    "dependent": "steroid-dependent",
    "resistant": "steroid-resistant",
    "type2_profile": "type 2 profile",
}
#: Up to this many episodes are derived during the request; more, in the background.
INLINE_LIMIT: Final = 40
#: Episodes derived per chunk by the background thread.
_CHUNK: Final = 250
#: Audit records that change no patient data (the cached table stays valid).
_HARMLESS_ACTIONS: Final = frozenset({"view", "export"})
_HARMLESS_ENTITIES: Final = frozenset({"user", "api_token", "site", "report_job"})
#: Courses kept in memory per registry for the episode page (the most recently used).
COURSES_KEPT: Final = 256


@dataclass(frozen=True)
class EpisodeClasses:
    """The classes derived for one episode.

    ``regiscar_class`` is the instrument's class, ``"not scored"`` when it refused the data
    (``problem`` says why) or ``"unknown"`` when the episode could not be read (``problem``);
    ``response`` holds ``"yes"``, ``"no"`` or ``"unknown"`` per state of
    :data:`RESPONSE_STATES`, in that order.
    """

    regiscar_class: str
    regiscar_total: float | None
    response: tuple[str, ...]
    problem: str | None = None


# --- the cached episode table and derived classes --------------------------------------------


@dataclass
class _State:
    """What is kept per registry (engine) between requests."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    head: tuple[int, str] | None = None
    last_record: int = 0
    base: pl.DataFrame | None = None
    keys: dict[str, str] = field(default_factory=dict)
    classes: dict[str, EpisodeClasses] = field(default_factory=dict)
    derived_keys: dict[str, str] = field(default_factory=dict)
    derived_version: int = 0
    joined: tuple[int, int, pl.DataFrame] | None = None
    base_version: int = 0
    worker: threading.Thread | None = None
    problem: str | None = None
    courses: OrderedDict[tuple[str, str], PatientCourse] = field(default_factory=OrderedDict)


_STATES: weakref.WeakKeyDictionary[Engine, _State] = weakref.WeakKeyDictionary()
_STATES_LOCK: Final = threading.Lock()


def _state(engine: Engine) -> _State:
    with _STATES_LOCK:
        found = _STATES.get(engine)
        if found is None:
            found = _STATES[engine] = _State()
        return found


def _head(connection: Connection) -> tuple[int, str] | None:
    head = table("audit_head")
    row = connection.execute(
        select(head.c.records, head.c.hash).where(head.c.id == 1)
    ).one_or_none()
    return None if row is None else (int(row.records), str(row.hash))


def _data_changed(connection: Connection, since: int) -> tuple[bool, int]:
    """Whether audit records after id ``since`` may have changed patients; the newest id."""
    audit = table("audit_log")
    rows = connection.execute(
        select(audit.c.id, audit.c.action, audit.c.entity).where(audit.c.id > since)
    ).all()
    newest = max((int(row.id) for row in rows), default=since)
    changed = any(
        row.action not in _HARMLESS_ACTIONS and row.entity not in _HARMLESS_ENTITIES for row in rows
    )
    return changed, newest


@functools.lru_cache(maxsize=4096)
def _shown_drug(name: str) -> str:
    """Return a drug name as a researcher sees it: the vocabulary's name or ``unlisted-drug``."""
    entry = resolve_drug_name(name).entry
    return entry.name if entry is not None else UNLISTED_DRUG


_EPISODE_COLUMNS: Final = (
    "episode_id",
    "patient_id",
    "site",
    "sex",
    "age_years",
    "birth_year",
    "phenotype",
    "onset_date",
    "last_follow_up_date",
    "outcome",
    "version",
    "content_hash",
    "updated_at",
)


def _read_base(connection: Connection, engine: Engine) -> pl.DataFrame:
    """Read every episode with what the list shows, searches and filters by (one row each).

    Built column-wise (a Python loop over ten thousand rows and their drug lists costs ten
    times more); pseudonyms and coded drug names are remembered across calls.
    """
    episodes, patients, sites = table("episodes"), table("patients"), table("patient_sites")
    columns = {
        "episode_id": episodes.c.episode_id,
        "patient_id": episodes.c.patient_id,
        "site": sites.c.site,
        "sex": patients.c.sex,
        "age_years": patients.c.age_years,
        "birth_year": patients.c.birth_year,
        "phenotype": episodes.c.phenotype,
        "onset_date": episodes.c.onset_date,
        "last_follow_up_date": episodes.c.last_follow_up_date,
        "outcome": episodes.c.outcome,
        "version": episodes.c.version,
        "content_hash": episodes.c.content_hash,
        # As text: the key only needs to differ when the time does (column-wise, no datetimes).
        "updated_at": cast(episodes.c.updated_at, String()),
    }
    query = (
        select(*columns.values())
        .join(patients, patients.c.patient_id == episodes.c.patient_id)
        .join(sites, sites.c.patient_id == episodes.c.patient_id)
    )
    rows = connection.execute(query).all()
    raw = pl.DataFrame(
        [tuple(row) for row in rows],
        schema={
            **dict.fromkeys(_EPISODE_COLUMNS, pl.Utf8()),
            "age_years": pl.Int64(),
            "birth_year": pl.Int64(),
            "onset_date": pl.Date(),
            "last_follow_up_date": pl.Date(),
            "version": pl.Int64(),
        },
        orient="row",
    )
    exposures = table("drug_exposures")
    drug_rows = connection.execute(
        select(exposures.c.episode_id, exposures.c.drug)
        .where(exposures.c.role == "suspect")
        .order_by(exposures.c.id)
    ).all()
    drugs = pl.DataFrame(
        [tuple(row) for row in drug_rows],
        schema={"episode_id": pl.Utf8(), "drug": pl.Utf8()},
        orient="row",
    ).unique(maintain_order=True)
    names = drugs.get_column("drug").unique().to_list()
    drugs = drugs.with_columns(
        pl.col("drug")
        .replace_strict({name: _shown_drug(name) for name in names}, return_dtype=pl.Utf8)
        .alias("shown")
    )
    per_episode = drugs.group_by("episode_id", maintain_order=True).agg(
        pl.col("drug").alias("suspects"), pl.col("shown").unique(maintain_order=True)
    )
    key = pseudonym_key(engine)
    shown_episode = [_pseudonym(key, "episode", e) for e in raw.get_column("episode_id")]
    shown_patient = [_pseudonym(key, "patient", p) for p in raw.get_column("patient_id")]
    no_drugs = pl.lit([], dtype=pl.List(pl.Utf8()))
    joined = raw.with_columns(
        pl.Series("episode_shown", shown_episode, dtype=pl.Utf8()),
        pl.Series("patient_shown", shown_patient, dtype=pl.Utf8()),
        pl.concat_str(
            [pl.col("version"), pl.col("content_hash"), pl.col("updated_at")],
            separator="|",
            ignore_nulls=True,
        ).alias("key"),
    ).join(per_episode, on="episode_id", how="left")
    suspects = pl.col("suspects").fill_null(no_drugs)
    shown = pl.col("shown").fill_null(no_drugs)
    return joined.select(
        "episode_id",
        "patient_id",
        "site",
        "sex",
        pl.coalesce("age_years", pl.col("onset_date").dt.year() - pl.col("birth_year")).alias(
            "age"
        ),
        "phenotype",
        "onset_date",
        (pl.col("last_follow_up_date") - pl.col("onset_date"))
        .dt.total_days()
        .alias("follow_up_days"),
        "outcome",
        "key",
        suspects.alias("suspects"),
        shown.alias("suspects_shown"),
        "episode_shown",
        "patient_shown",
        pl.concat_str(
            [pl.col("episode_id"), pl.col("patient_id"), suspects.list.join(" ")], separator=" "
        )
        .str.to_lowercase()
        .alias("haystack"),
        pl.concat_str(
            [pl.col("episode_shown"), pl.col("patient_shown"), shown.list.join(" ")],
            separator=" ",
        )
        .str.to_lowercase()
        .alias("haystack_shown"),
    ).cast(_BASE_SCHEMA)


_PSEUDONYMS: Final[dict[tuple[bytes, str, str], str]] = {}


def _pseudonym(key: bytes, kind: Literal["patient", "episode"], identifier: str) -> str:
    """Return the pseudonym of an id, remembered (an HMAC per episode per rebuild adds up)."""
    found = _PSEUDONYMS.get((key, kind, identifier))
    if found is None:
        if len(_PSEUDONYMS) > 1_000_000:
            _PSEUDONYMS.clear()
        found = _PSEUDONYMS[(key, kind, identifier)] = pseudonym(key, kind, identifier)
    return found


_BASE_SCHEMA: Final[pl.Schema] = pl.Schema(
    {
        "episode_id": pl.Utf8(),
        "patient_id": pl.Utf8(),
        "site": pl.Utf8(),
        "sex": pl.Utf8(),
        "age": pl.Int64(),
        "phenotype": pl.Utf8(),
        "onset_date": pl.Date(),
        "follow_up_days": pl.Int64(),
        "outcome": pl.Utf8(),
        "key": pl.Utf8(),
        "suspects": pl.List(pl.Utf8()),
        "suspects_shown": pl.List(pl.Utf8()),
        "episode_shown": pl.Utf8(),
        "patient_shown": pl.Utf8(),
        "haystack": pl.Utf8(),
        "haystack_shown": pl.Utf8(),
    }
)
_CLASS_SCHEMA: Final[Mapping[str, pl.DataType]] = {
    "episode_id": pl.Utf8(),
    "regiscar_class": pl.Utf8(),
    "regiscar_total": pl.Float64(),
    **{state: pl.Utf8() for state in RESPONSE_STATES},
}


def _refresh(engine: Engine, state: _State) -> None:
    """Bring the cached table up to the registry's audit head (under ``state.lock``)."""
    with engine.connect() as connection:
        head = _head(connection)
        # No recorded head (a registry whose head row was removed): read again every time.
        if state.base is not None and head is not None and head == state.head:
            return
        if state.base is not None and head is not None:
            changed, newest = _data_changed(connection, state.last_record)
            if not changed:
                state.head, state.last_record = head, newest
                return
        audit = table("audit_log")
        newest = connection.execute(select(func.max(audit.c.id))).scalar_one_or_none() or 0
        base = _read_base(connection, engine)
    state.base, state.head, state.last_record = base, head, int(newest)
    state.base_version += 1
    state.keys = dict(zip(base.get_column("episode_id"), base.get_column("key"), strict=True))


def _stale(state: _State) -> list[str]:
    return [e for e, key in state.keys.items() if state.derived_keys.get(e) != key]


def _store(state: _State, keys: Mapping[str, str], found: Mapping[str, EpisodeClasses]) -> None:
    for episode_id, classes in found.items():
        state.classes[episode_id] = classes
        state.derived_keys[episode_id] = keys[episode_id]
    state.derived_version += 1


def _work(engine: Engine, state: _State) -> None:
    """Derive the stale episodes' classes a chunk at a time, until none is stale."""
    while True:
        with state.lock:
            chunk = _stale(state)[:_CHUNK]
            keys = {episode_id: state.keys[episode_id] for episode_id in chunk}
            if not chunk:
                state.worker = None
                return
        try:
            found = derive_classes(engine, chunk)
        except Exception as error:
            with state.lock:
                state.problem = f"deriving classes stopped: {error}"
                state.worker = None
            return
        with state.lock:
            _store(state, keys, found)
            state.problem = None


def _derive_stale(engine: Engine, state: _State, inline_limit: int) -> None:
    """Derive a few stale episodes now; start the background thread for many."""
    with state.lock:
        stale = _stale(state)
        if not stale or state.worker is not None:
            return
        if len(stale) > inline_limit:
            state.worker = threading.Thread(
                target=_work, args=(engine, state), name="dresskit-list-classes", daemon=True
            )
            state.worker.start()
            return
        keys = {episode_id: state.keys[episode_id] for episode_id in stale}
    try:
        found = derive_classes(engine, stale)
    except Exception as error:  # shown on the list; the episodes stay "being derived"
        with state.lock:
            state.problem = f"deriving classes failed: {error}"
        return
    with state.lock:
        _store(state, keys, found)
        state.problem = None


def _joined(state: _State) -> pl.DataFrame:
    """Return the episode table with the classes derived so far (null while being derived)."""
    with state.lock:
        assert state.base is not None
        cached = state.joined
        if cached is not None and cached[:2] == (state.base_version, state.derived_version):
            return cached[2]
        rows = [
            (episode_id, c.regiscar_class, c.regiscar_total, *c.response)
            for episode_id, c in state.classes.items()
            if state.derived_keys.get(episode_id) == state.keys.get(episode_id)
        ]
        classes = pl.DataFrame(rows, schema=_CLASS_SCHEMA, orient="row")
        joined = state.base.join(classes, on="episode_id", how="left")
        state.joined = (state.base_version, state.derived_version, joined)
        return joined


def derivation_pending(engine: Engine) -> int:
    """Return how many episodes' classes are still being derived (0 when all are)."""
    state = _state(engine)
    with state.lock:
        return len(_stale(state)) if state.base is not None else 0


def wait_for_derivation(engine: Engine, timeout: float | None = None) -> bool:
    """Wait for the background derivation to finish; return whether it did (benchmarks)."""
    worker = _state(engine).worker
    if worker is not None:
        worker.join(timeout)
        return not worker.is_alive()
    return True


# --- what the list and the page read -----------------------------------------------------------


@dataclass(frozen=True)
class TableSnapshot:
    """The episode table as of now.

    ``frame`` has one row per episode of every site: ``episode_id``, ``patient_id``, ``site``,
    ``sex``, ``age`` (recorded, else from the birth year; null when unknown), ``phenotype``,
    ``onset_date``, ``follow_up_days``, ``outcome``, ``key``, ``suspects`` (suspect drugs as
    recorded), ``suspects_shown`` (as a researcher sees them), ``episode_shown`` and
    ``patient_shown`` (pseudonyms), ``haystack`` and ``haystack_shown`` (lower-case text to
    search), then the classes: ``regiscar_class``, ``regiscar_total`` and one column per
    state of :data:`RESPONSE_STATES` (``"yes"``, ``"no"`` or ``"unknown"``), null for the
    episodes in ``deriving``. ``problem`` says why derivation stopped, if it did.
    """

    frame: pl.DataFrame
    deriving: frozenset[str]
    problem: str | None


def _current(engine: Engine) -> _State:
    state = _state(engine)
    with state.lock:
        _refresh(engine, state)
    return state


def episode_table(
    engine: Engine, *, derive: bool = True, inline_limit: int = INLINE_LIMIT
) -> TableSnapshot:
    """Return the episode table, up to date with the registry (see the module docstring).

    Parameters
    ----------
    engine
        The registry.
    derive
        Derive the classes of changed episodes: up to ``inline_limit`` now, more in the
        background (``False``: leave them as they are, for a caller that needs no class).
    inline_limit
        How many changed episodes may be derived during the call.
    """
    state = _current(engine)
    if derive:
        _derive_stale(engine, state, inline_limit)
    frame = _joined(state)
    with state.lock:
        deriving = frozenset(_stale(state))
        problem = state.problem
    return TableSnapshot(frame, deriving, problem)


def cached_course(engine: Engine, episode_id: str) -> PatientCourse:
    """Return the episode's course (:func:`dresskit.registry.loading.load_course`), kept.

    Reading and validating one episode costs about 0.1 s, mostly fixed; the course is kept
    (the :data:`COURSES_KEPT` most recently used) under the versions, content fingerprints
    and update times of its patient's episodes (weights belong to the patient), so a change
    to any of them reads it again.

    Raises
    ------
    InputError
        When the registry has no such episode.
    InputErrors
        When the episode no longer passes the bundle's rules.
    """
    state = _current(engine)
    with state.lock:
        assert state.base is not None
        patient = state.base.filter(pl.col("episode_id") == episode_id).get_column("patient_id")
        if patient.len() != 1:
            raise InputError("episode_id", episode_id, "an episode of the registry")
        siblings = state.base.filter(pl.col("patient_id") == patient[0]).sort("episode_id")
        key = ";".join(siblings.get_column("key"))
        found = state.courses.get((episode_id, key))
        if found is not None:
            state.courses.move_to_end((episode_id, key))
            return found
    course = load_course(engine, episode_id)
    with state.lock:
        state.courses[(episode_id, key)] = course
        while len(state.courses) > COURSES_KEPT:
            state.courses.popitem(last=False)
    return course


# --- deriving classes ------------------------------------------------------------------------


def _frame(name: str, columns: list[str], rows: Sequence[Any]) -> pl.DataFrame:
    """Rows read from the registry as a frame typed like a clean bundle table."""
    schema = typed_schema(name, columns)
    assert schema is not None
    if not rows:
        return pl.DataFrame(schema=schema)
    values = {c: list(v) for c, v in zip(columns, zip(*rows, strict=True), strict=True)}
    frame = pl.DataFrame(values, strict=False)
    typed = []
    for column, dtype in schema.items():
        if frame.schema[column] == pl.Utf8 and dtype == pl.Time:
            typed.append(pl.col(column).str.to_time("%H:%M", strict=True))
        else:
            typed.append(pl.col(column).cast(dtype, strict=True))
    try:
        return frame.select(typed)
    except (pl.exceptions.ComputeError, pl.exceptions.InvalidOperationError):
        return as_text(frame)  # validation names the cell that does not convert


def _read(connection: Connection, name: str, where: Any = None) -> pl.DataFrame:
    source = table(name)
    columns = [column.name for column in TABLES[name]]
    query = select(*(source.c[c] for c in columns)).order_by(
        *(source.c[c] for c in load_order(name))
    )
    if where is not None:
        query = query.where(where)
    return _frame(name, columns, connection.execute(query).all())


def _chunk_tables(connection: Connection, episode_ids: Sequence[str]) -> dict[str, pl.DataFrame]:
    """Read the tables of the patients of ``episode_ids`` (all their episodes: weights)."""
    episodes, patients = table("episodes"), table("patients")
    patient_ids = (
        select(episodes.c.patient_id).where(episodes.c.episode_id.in_(episode_ids)).distinct()
    )
    same_patients = select(episodes.c.episode_id).where(episodes.c.patient_id.in_(patient_ids))
    tables = {
        "manifest": _read(connection, "manifest"),
        "patients": _read(connection, "patients", patients.c.patient_id.in_(patient_ids)),
        "episodes": _read(connection, "episodes", episodes.c.patient_id.in_(patient_ids)),
    }
    for name in CHILD_TABLES:
        tables[name] = _read(connection, name, table(name).c.episode_id.in_(same_patients))
    return tables


def _words(value: bool | None) -> str:
    return {True: "yes", False: "no", None: "unknown"}[value]


def _from_bundle(bundle: Any, wanted: Sequence[str]) -> dict[str, EpisodeClasses]:
    chosen = bundle.episodes.filter(pl.col("episode_id").is_in(list(wanted)))
    regiscar = {
        row["episode_id"]: row
        for row in regiscar_table(chosen, bundle.observations, bundle.findings).iter_rows(
            named=True
        )
    }
    found: dict[str, EpisodeClasses] = {}
    for course in bundle.courses():
        episode_id = course.episode.episode_id
        if episode_id not in regiscar:
            continue
        response = classify_response(course)
        scored = regiscar[episode_id]
        found[episode_id] = EpisodeClasses(
            regiscar_class=scored["regiscar_class"],
            regiscar_total=scored["regiscar_total"],
            response=tuple(_words(state.value) for state in response.states()),
            problem=scored["regiscar_problem"],
        )
    return found


def derive_classes(engine: Engine, episode_ids: Sequence[str]) -> dict[str, EpisodeClasses]:
    """Derive the RegiSCAR class and steroid-response states of each of ``episode_ids``.

    Read with the bundle's rules (as :func:`dresskit.registry.loading.load_course` reads an
    episode). An episode that no longer passes them gets class ``"unknown"`` and every state
    ``"unknown"``, with the first problem in ``problem``; an episode gone since is left out.
    """
    if not episode_ids:
        return {}
    url = engine.url.render_as_string(hide_password=True)
    with engine.connect() as connection:
        tables = _chunk_tables(connection, episode_ids)
    tables, _ = legacy_deaths(tables, source=url)
    today = local_today()
    try:
        return _from_bundle(validate_tables(tables, source=url, today=today), episode_ids)
    except InputErrors:
        pass
    # One episode breaks a rule: derive one patient at a time, so the others still count.
    found: dict[str, EpisodeClasses] = {}
    for episode_id in episode_ids:
        with engine.connect() as connection:
            one = _chunk_tables(connection, [episode_id])
        one, _ = legacy_deaths(one, source=url)
        try:
            found |= _from_bundle(validate_tables(one, source=url, today=today), [episode_id])
        except DresskitError as error:
            message = str(error).splitlines()[0] if str(error) else type(error).__name__
            found[episode_id] = EpisodeClasses(
                "unknown", None, ("unknown",) * len(RESPONSE_STATES), message
            )
    return found
