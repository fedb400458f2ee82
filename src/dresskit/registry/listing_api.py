"""What the REST API reads, as one account sees it: the patient list, an episode, its rows.

Each function takes an account or an episode it may see (:mod:`dresskit.registry.scoped`),
and returns plain data ready for JSON. A role that sees identified data gets ids and dates; a
researcher gets what the de-identified export holds (:mod:`dresskit.registry.deidentify`):
pseudonyms under the registry's key, days since the episode's onset instead of dates, coded
values only (drug names from the vocabulary or ``unlisted-drug-N``, no free text). Imports,
exports and the audit trail are :mod:`dresskit.registry.transfer` and
:mod:`dresskit.registry.audit_search` (shared with the pages).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any, Final

import polars as pl
from sqlalchemy import Engine, func, select

from dresskit.bundle import Bundle, validate_tables
from dresskit.bundle.plausibility import local_today
from dresskit.bundle.schema import TABLES
from dresskit.display_units import display_unit
from dresskit.errors import InputError
from dresskit.registry.access import Permission, allowed
from dresskit.registry.accounts import Account
from dresskit.registry.deidentify import deidentify, pseudonym
from dresskit.registry.loading import legacy_deaths, patient_tables
from dresskit.registry.schema import CHILD_TABLES, table
from dresskit.registry.scoped import EpisodeRef, pseudonym_key

__all__ = [
    "EPISODE_ROW_TABLES",
    "EpisodeEntry",
    "PatientEntry",
    "PatientFilters",
    "episode_record",
    "episode_rows",
    "list_patients",
]

#: The tables of an episode's rows the API lists, by the name in its path.
EPISODE_ROW_TABLES: Final[Mapping[str, str]] = {
    "observations": "observations",
    "treatments": "treatments",
    "drug-exposures": "drug_exposures",
    "findings": "findings",
}

_DATE_COLUMNS: Final[Mapping[str, tuple[str, ...]]] = {
    name: tuple(column.name for column in TABLES[name] if column.kind == "date") for name in TABLES
}


# --- the patient list ----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PatientFilters:
    """Which patients to list: each filter given must hold for an episode to be listed."""

    patient: str | None = None
    outcomes: tuple[str, ...] = ()
    phenotypes: tuple[str, ...] = ()
    since: date | None = None
    until: date | None = None
    site: str | None = None


@dataclass(frozen=True, slots=True)
class EpisodeEntry:
    """One episode in the patient list (``onset_date`` is None when de-identified)."""

    episode: str
    phenotype: str
    outcome: str
    onset_date: date | None
    version: int


@dataclass(frozen=True, slots=True)
class PatientEntry:
    """One patient in the list, with its episodes that match the filters."""

    patient: str
    site: str
    sex: str
    episodes: tuple[EpisodeEntry, ...]


def _codes(table_name: str, column: str) -> tuple[str, ...]:
    return next(c.codes for c in TABLES[table_name] if c.name == column)


def _check_filters(account: Account, filters: PatientFilters, identified: bool) -> None:
    for column, values in (("outcome", filters.outcomes), ("phenotype", filters.phenotypes)):
        accepted = _codes("episodes", column)
        for value in values:
            if value not in accepted:
                raise InputError(column, value, "one of " + ", ".join(accepted))
    if filters.site is not None and filters.site not in account.sites:
        raise InputError("site", filters.site, "one of your sites: " + ", ".join(account.sites))
    if not identified:
        for name, moment in (("since", filters.since), ("until", filters.until)):
            if moment is not None:
                raise InputError(
                    name,
                    moment.isoformat(),
                    "no date filter for de-identified access (onset dates are not shown)",
                )


def list_patients(engine: Engine, account: Account, filters: PatientFilters) -> list[PatientEntry]:
    """Return the patients of the account's sites with an episode matching ``filters``.

    Patients come sorted by the name this account sees (id, or pseudonym), each with its
    matching episodes by onset. A researcher names a patient by pseudonym and may not filter
    by date (the dates are not shown to it).

    Raises
    ------
    InputError
        For an unknown outcome or phenotype, a site not granted, or a date filter asked for
        de-identified.
    """
    identified = allowed(account.role, Permission.VIEW_IDENTIFIED)
    if not identified and not allowed(account.role, Permission.VIEW_DEIDENTIFIED):
        return []
    _check_filters(account, filters, identified)
    sites = [filters.site] if filters.site is not None else list(account.sites)
    if not sites:
        return []
    episodes, patients, placed = table("episodes"), table("patients"), table("patient_sites")
    query = (
        select(
            episodes.c.episode_id,
            episodes.c.patient_id,
            episodes.c.phenotype,
            episodes.c.outcome,
            episodes.c.onset_date,
            episodes.c.version,
            placed.c.site,
            patients.c.sex,
        )
        .join(placed, placed.c.patient_id == episodes.c.patient_id)
        .join(patients, patients.c.patient_id == episodes.c.patient_id)
        .where(placed.c.site.in_(sites))
        .order_by(episodes.c.onset_date, episodes.c.episode_id)
    )
    if filters.patient is not None and identified:
        query = query.where(episodes.c.patient_id == filters.patient)
    if filters.outcomes:
        query = query.where(episodes.c.outcome.in_(filters.outcomes))
    if filters.phenotypes:
        query = query.where(episodes.c.phenotype.in_(filters.phenotypes))
    if filters.since is not None:
        query = query.where(episodes.c.onset_date >= filters.since)
    if filters.until is not None:
        query = query.where(episodes.c.onset_date <= filters.until)
    with engine.connect() as connection:
        rows = connection.execute(query).all()
    key = b"" if identified else pseudonym_key(engine)
    grouped: dict[str, tuple[str, str, list[EpisodeEntry]]] = {}
    for row in rows:
        shown = row.patient_id if identified else pseudonym(key, "patient", row.patient_id)
        if filters.patient is not None and shown != filters.patient:
            continue
        entry = EpisodeEntry(
            episode=row.episode_id if identified else pseudonym(key, "episode", row.episode_id),
            phenotype=str(row.phenotype),
            outcome=str(row.outcome),
            onset_date=_as_date(row.onset_date) if identified else None,
            version=int(row.version),
        )
        grouped.setdefault(shown, (str(row.site), str(row.sex), []))[2].append(entry)
    return [
        PatientEntry(patient, site, sex, tuple(found))
        for patient, (site, sex, found) in sorted(grouped.items())
    ]


def _as_date(value: object) -> date | None:
    if value is None:
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    return date.fromisoformat(str(value))


# --- one episode ---------------------------------------------------------------------------


def _patient_bundle(engine: Engine, episode_id: str) -> Bundle:
    """Return the validated rows of an episode's patient (as :func:`load_course` reads them)."""
    with engine.connect() as connection:
        tables = patient_tables(connection, episode_id)
    url = engine.url.render_as_string(hide_password=True)
    tables, _ = legacy_deaths(tables, source=url)
    return validate_tables(tables, source=url, today=local_today())


def _days(on: object, onset: date) -> int | None:
    found = _as_date(on)
    return None if found is None else (found - onset).days


def _plain(value: object) -> object:
    """Return a cell as JSON-ready data (a time as ``HH:MM``)."""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    return value


def _version_and_counts(engine: Engine, episode_id: str) -> tuple[int, dict[str, int]]:
    episodes = table("episodes")
    with engine.connect() as connection:
        version = connection.execute(
            select(episodes.c.version).where(episodes.c.episode_id == episode_id)
        ).scalar_one()
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
    return int(version), counts


def episode_record(engine: Engine, ref: EpisodeRef, *, identified: bool) -> dict[str, Any]:
    """Return an episode with its patient, its version and how many rows each table holds.

    Dates are given identified only; the ``*_day`` fields (days since onset) always. A
    researcher gets the de-identified export's values: pseudonyms, the age with ``90+`` for
    older patients and no birth year.
    """
    bundle = _patient_bundle(engine, ref.episode_id)
    version, counts = _version_and_counts(engine, ref.episode_id)
    episode = bundle.episodes.filter(pl.col("episode_id") == ref.episode_id).row(0, named=True)
    patient = bundle.patients.filter(pl.col("patient_id") == ref.patient_id).row(0, named=True)
    onset: date = episode["onset_date"]
    record: dict[str, Any] = {
        "episode": ref.shown_episode,
        "patient": ref.shown_patient,
        "site": ref.site,
        "identified": identified,
        "phenotype": str(episode["phenotype"]),
        "outcome": str(episode["outcome"]),
        "version": version,
        "rows": {name.replace("_", "-"): count for name, count in counts.items()},
        "sex": str(patient["sex"]),
    }
    for column in ("onset_date", "admission_date", "last_follow_up_date", "death_date"):
        record[column] = episode[column] if identified else None
        record[column.replace("_date", "_day")] = _days(episode[column], onset)
    if identified:
        record |= {
            "age_years": patient["age_years"],
            "birth_year": patient["birth_year"],
            "age_basis": "recorded" if patient["age_years"] is not None else None,
        }
    else:
        export = deidentify(bundle, key=pseudonym_key(engine), dates="relative")
        row = export.patients.filter(pl.col("patient_id") == ref.shown_patient).row(0, named=True)
        record |= {"age_years": row["age_years"], "birth_year": None, "age_basis": row["age_basis"]}
    return record


def episode_rows(
    engine: Engine, ref: EpisodeRef, table_name: str, *, identified: bool
) -> list[dict[str, Any]]:
    """Return an episode's rows of one table (``observations``, ``treatments``, ...).

    Identified: the bundle's columns with each date and its day since onset (``*_day``,
    ``day`` for a dated row). De-identified: the export's rows of the episode (pseudonym,
    days only, coded values; dates null). Observations also carry ``unit_symbol``.

    Raises
    ------
    InputError
        For a table that is not one of :data:`EPISODE_ROW_TABLES`.
    """
    if table_name not in EPISODE_ROW_TABLES.values():
        raise InputError("table", table_name, "one of " + ", ".join(EPISODE_ROW_TABLES))
    bundle = _patient_bundle(engine, ref.episode_id)
    dated = _DATE_COLUMNS[table_name]
    columns = [column.name for column in TABLES[table_name] if column.name != "episode_id"]
    rows: list[dict[str, Any]] = []
    if identified:
        onset = bundle.episodes.filter(pl.col("episode_id") == ref.episode_id)["onset_date"][0]
        frame: pl.DataFrame = getattr(bundle, table_name)
        for source in frame.filter(pl.col("episode_id") == ref.episode_id).iter_rows(named=True):
            row: dict[str, Any] = {"episode": ref.shown_episode}
            for column in columns:
                row[column] = _plain(source[column])
            for column in dated:
                row[_day_name(column)] = _days(source[column], onset)
            rows.append(row)
    else:
        export = deidentify(bundle, key=pseudonym_key(engine), dates="relative")
        frame = export.tables()[table_name]
        for source in frame.filter(pl.col("episode_id") == ref.shown_episode).iter_rows(named=True):
            row = {"episode": ref.shown_episode}
            for column in columns:
                if column in dated:
                    row[column] = None
                    row[_day_name(column)] = source[_day_name(column)]
                else:
                    row[column] = _plain(source.get(column))
            rows.append(row)
    if table_name == "observations":
        for row in rows:
            row["unit_symbol"] = display_unit(row["unit"]) if row["unit"] else None
    return rows


def _day_name(column: str) -> str:
    """Name the day column of a date column (``start_date``: ``start_day``; ``date``: ``day``)."""
    return "day" if column == "date" else column.replace("_date", "_day")
