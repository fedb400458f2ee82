"""A cohort chosen from the registry by one account: the bundle a report is built from.

An account chooses episodes of its own sites by phenotype, onset dates and RegiSCAR class
(scored from each episode's own data, :func:`dresskit.course.vectorised_regiscar.
regiscar_table`, as the report scores them). The chosen episodes become a bundle of their
own, validated again as a bundle file of exactly those episodes, so that its warnings speak
of these episodes only (never another site's rows).

An account that sees de-identified data only (a researcher) gets the cohort de-identified
(:func:`dresskit.registry.deidentify.deidentify` under the registry's pseudonym key, the
pseudonyms the researcher sees everywhere else): ids become pseudonyms, free text and
unlisted drug names are removed, and every date becomes its number of days from the
episode's onset, written as a date counted from :data:`DEIDENTIFIED_DAY_ZERO` (the report's
arithmetic needs dates; none of them is a real date). Such an account filters onset by whole
calendar years only, since the day of onset is a date Safe Harbor removes.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date
from typing import Any, Final

import polars as pl
from sqlalchemy import Engine, select

from dresskit.bundle import TABLES, Bundle, as_text, validate_tables
from dresskit.bundle.schema import FORMAT_NAME, FORMAT_VERSION, manifest_frame
from dresskit.course.vectorised_regiscar import regiscar_table
from dresskit.errors import InputError, InputErrors
from dresskit.registry.access import Permission, allowed
from dresskit.registry.accounts import Account
from dresskit.registry.deidentify import deidentify
from dresskit.registry.deidentify.allow_list import DATE_COLUMNS, day_name
from dresskit.registry.deidentify.tables import OLDER_AGES, OLDEST_EXPORTED_AGE
from dresskit.registry.loading import left_out_episodes, load_bundle
from dresskit.registry.schema import table
from dresskit.registry.scoped import pseudonym_key

__all__ = [
    "DEIDENTIFIED_DAY_ZERO",
    "DIAGNOSIS_CLASSES",
    "PHENOTYPES",
    "Cohort",
    "CohortFilter",
    "check_filter",
    "choose_cohort",
    "cohort_episode_count",
]

#: The RegiSCAR classes a cohort can be chosen by (``not scored``: data the instrument
#: refuses, e.g. inconsistent eosinophil counts).
DIAGNOSIS_CLASSES: Final = ("definite", "probable", "possible", "no case", "not scored")
#: The phenotypes of ``episodes.phenotype`` (docs/data-format.md).
PHENOTYPES: Final = next(c.codes for c in TABLES["episodes"] if c.name == "phenotype")
#: Day 0 (each episode's onset) of a de-identified cohort's dates.
DEIDENTIFIED_DAY_ZERO: Final = date(2000, 1, 1)
_CHILD_TABLES: Final = (
    "drug_exposures",
    "drug_assessments",
    "observations",
    "findings",
    "treatments",
)


@dataclass(frozen=True, slots=True)
class CohortFilter:
    """Which episodes a cohort holds (every condition given must hold; empty: any).

    Attributes
    ----------
    sites
        Sites of the account (empty: all of them).
    phenotypes
        Values of ``episodes.phenotype``.
    diagnosis_classes
        RegiSCAR classes (:data:`DIAGNOSIS_CLASSES`) scored from each episode's data.
    onset_from, onset_to
        First and last day of onset (inclusive).
    """

    sites: tuple[str, ...] = ()
    phenotypes: tuple[str, ...] = ()
    diagnosis_classes: tuple[str, ...] = ()
    onset_from: date | None = None
    onset_to: date | None = None

    def as_json(self) -> dict[str, Any]:
        """Return the filter as JSON values (dates as ISO text)."""
        return {
            "sites": list(self.sites),
            "phenotypes": list(self.phenotypes),
            "diagnosis_classes": list(self.diagnosis_classes),
            "onset_from": self.onset_from.isoformat() if self.onset_from else None,
            "onset_to": self.onset_to.isoformat() if self.onset_to else None,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> CohortFilter:
        """Return the filter :meth:`as_json` wrote."""
        return cls(
            sites=tuple(data.get("sites") or ()),
            phenotypes=tuple(data.get("phenotypes") or ()),
            diagnosis_classes=tuple(data.get("diagnosis_classes") or ()),
            onset_from=date.fromisoformat(data["onset_from"]) if data.get("onset_from") else None,
            onset_to=date.fromisoformat(data["onset_to"]) if data.get("onset_to") else None,
        )

    def describe(self) -> str:
        """Return the filter in words (for the report's title and the job list)."""
        parts = [
            f"sites {', '.join(self.sites)}" if self.sites else "all sites granted",
        ]
        if self.phenotypes:
            parts.append("phenotype " + " or ".join(self.phenotypes))
        if self.diagnosis_classes:
            parts.append("RegiSCAR " + " or ".join(self.diagnosis_classes))
        if self.onset_from or self.onset_to:
            start = self.onset_from.isoformat() if self.onset_from else "any"
            end = self.onset_to.isoformat() if self.onset_to else "any"
            parts.append(f"onset {start} to {end}")
        return "; ".join(parts)


def _identified(account: Account) -> bool:
    return allowed(account.role, Permission.VIEW_IDENTIFIED)


def _whole_years(chosen: CohortFilter) -> list[InputError]:
    found = []
    if chosen.onset_from is not None and (chosen.onset_from.month, chosen.onset_from.day) != (
        1,
        1,
    ):
        found.append(
            InputError(
                "onset_from",
                chosen.onset_from.isoformat(),
                "the first day of a year (YYYY-01-01): de-identified access filters onset by "
                "whole years",
            )
        )
    if chosen.onset_to is not None and (chosen.onset_to.month, chosen.onset_to.day) != (12, 31):
        found.append(
            InputError(
                "onset_to",
                chosen.onset_to.isoformat(),
                "the last day of a year (YYYY-12-31): de-identified access filters onset by "
                "whole years",
            )
        )
    return found


def check_filter(account: Account, chosen: CohortFilter) -> CohortFilter:
    """Return ``chosen`` if this account may use it, with its sites filled in when empty.

    Raises
    ------
    InputErrors
        Every problem: a site not granted, an unknown phenotype or class, an onset range
        that ends before it starts, or (de-identified access) onset dates that are not whole
        years.
    """
    problems: list[InputError] = []
    granted = ", ".join(account.sites) or "none"
    for site in chosen.sites:
        if site not in account.sites:
            problems.append(InputError("sites", site, f"a site granted to you ({granted})"))
    for phenotype in chosen.phenotypes:
        if phenotype not in PHENOTYPES:
            problems.append(InputError("phenotypes", phenotype, "one of " + ", ".join(PHENOTYPES)))
    for name in chosen.diagnosis_classes:
        if name not in DIAGNOSIS_CLASSES:
            problems.append(
                InputError("diagnosis_classes", name, "one of " + ", ".join(DIAGNOSIS_CLASSES))
            )
    if chosen.onset_from and chosen.onset_to and chosen.onset_to < chosen.onset_from:
        problems.append(
            InputError(
                "onset_to",
                chosen.onset_to.isoformat(),
                f"a day on or after onset_from ({chosen.onset_from.isoformat()})",
            )
        )
    if not _identified(account):
        problems.extend(_whole_years(chosen))
    if not account.sites:
        problems.append(InputError("sites", None, "an account with at least one site granted"))
    if problems:
        raise InputErrors(problems)
    return replace(chosen, sites=chosen.sites or account.sites)


def _site_episodes(engine: Engine, sites: Sequence[str]) -> set[str]:
    episodes, sites_table = table("episodes"), table("patient_sites")
    query = (
        select(episodes.c.episode_id)
        .join(sites_table, sites_table.c.patient_id == episodes.c.patient_id)
        .where(sites_table.c.site.in_(list(sites)))
    )
    with engine.connect() as connection:
        return {str(e) for e in connection.execute(query).scalars()}


def _only_episodes(bundle: Bundle, episode_ids: Sequence[str]) -> Bundle:
    """Return the part of ``bundle`` holding ``episode_ids``, their patients and rows."""
    keep = pl.col("episode_id").is_in(list(episode_ids))
    episodes = bundle.episodes.filter(keep)
    patient_ids = episodes.get_column("patient_id").unique().to_list()
    return replace(
        bundle,
        patients=bundle.patients.filter(pl.col("patient_id").is_in(patient_ids)),
        episodes=episodes,
        warnings=(),
        **{name: getattr(bundle, name).filter(keep) for name in _CHILD_TABLES},
    )


def _chosen_ids(bundle: Bundle, in_sites: set[str], chosen: CohortFilter) -> list[str]:
    episodes = bundle.episodes.filter(pl.col("episode_id").is_in(list(in_sites)))
    if chosen.phenotypes:
        episodes = episodes.filter(pl.col("phenotype").cast(pl.Utf8).is_in(chosen.phenotypes))
    if chosen.onset_from is not None:
        episodes = episodes.filter(pl.col("onset_date") >= chosen.onset_from)
    if chosen.onset_to is not None:
        episodes = episodes.filter(pl.col("onset_date") <= chosen.onset_to)
    if chosen.diagnosis_classes and episodes.height:
        ids = episodes.get_column("episode_id").to_list()
        part = _only_episodes(bundle, ids)
        scored = regiscar_table(part.episodes, part.observations, part.findings)
        keep = scored.filter(pl.col("regiscar_class").is_in(chosen.diagnosis_classes))
        episodes = episodes.filter(
            pl.col("episode_id").is_in(keep.get_column("episode_id").to_list())
        )
    return [str(e) for e in episodes.get_column("episode_id").to_list()]


def cohort_episode_count(engine: Engine, account: Account, chosen: CohortFilter) -> int:
    """Return how many episodes ``chosen`` selects for this account (no identifier shown).

    Raises
    ------
    InputErrors
        When the filter is refused (:func:`check_filter`).
    """
    chosen = check_filter(account, chosen)
    bundle = load_bundle(engine)
    return len(_chosen_ids(bundle, _site_episodes(engine, chosen.sites), chosen))


@dataclass(frozen=True, slots=True)
class Cohort:
    """The bundle of a chosen cohort, and what was done to make it.

    Attributes
    ----------
    bundle
        The validated bundle of the chosen episodes (de-identified when ``deidentified``).
    deidentified
        Whether ids, dates and free text were removed (see the module documentation).
    left_out
        Episodes of the chosen sites that the registry holds but that break a rule of the
        bundle format (left out of every report and export until corrected); their names as
        the account sees them (none for de-identified access, which only gets the count).
    left_out_count
        How many such episodes.
    """

    bundle: Bundle
    deidentified: bool
    left_out: tuple[str, ...]
    left_out_count: int


def _text_tables(bundle: Bundle) -> dict[str, pl.DataFrame]:
    """Return the bundle's tables as a bundle file holds them (every cell text)."""
    frames = {
        "patients": bundle.patients,
        "episodes": bundle.episodes,
        **{name: getattr(bundle, name) for name in _CHILD_TABLES},
    }
    text = {
        name: as_text(frame.select([c.name for c in TABLES[name]]))
        for name, frame in frames.items()
    }
    text["manifest"] = manifest_frame(bundle.manifest)
    return text


def _redated(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Return a de-identified table in the bundle's columns, day numbers as dates."""
    columns = []
    days = DATE_COLUMNS.get(name, ())
    for column in TABLES[name]:
        if column.name in days:
            day = pl.col(day_name(column.name))
            columns.append(
                (pl.lit(DEIDENTIFIED_DAY_ZERO) + pl.duration(days=day)).alias(column.name)
            )
        elif column.name in frame.columns:
            value = pl.col(column.name)
            if name == "patients" and column.name == "age_years":
                # "90+" is counted as 90, the youngest age it stands for.
                value = value.replace({OLDER_AGES: str(OLDEST_EXPORTED_AGE + 1)})
            columns.append(value.alias(column.name))
        else:
            columns.append(pl.lit(None, dtype=pl.Utf8).alias(column.name))
    return as_text(frame.select(columns))


def _deidentified_tables(bundle: Bundle, key: bytes) -> dict[str, pl.DataFrame]:
    tables = deidentify(bundle, key=key, dates="relative").tables()
    text = {name: _redated(tables[name], name) for name in TABLES if name != "manifest"}
    manifest = {"format": FORMAT_NAME, "version": FORMAT_VERSION}
    if bundle.manifest.get("synthetic") in ("yes", "no"):
        manifest["synthetic"] = bundle.manifest["synthetic"]
    text["manifest"] = manifest_frame(manifest)
    return text


def choose_cohort(
    engine: Engine,
    account: Account,
    chosen: CohortFilter,
    *,
    deidentified: bool | None = None,
    source: str = "cohort",
) -> Cohort:
    """Return the cohort ``chosen`` selects for this account, as a validated bundle.

    Parameters
    ----------
    engine
        The registry.
    account
        Who builds it: its sites bound the cohort, and an account without identified access
        gets it de-identified (see the module documentation).
    chosen
        The filter (checked by :func:`check_filter`).
    deidentified
        Whether to de-identify the cohort (default: unless the account sees identified
        data). ``False`` for an account without identified access is for code that
        de-identifies the result itself (the de-identified export) and never shows it.
    source
        How the bundle's warnings name it.

    Raises
    ------
    InputErrors
        When the filter is refused, or selects no episode.
    """
    chosen = check_filter(account, chosen)
    loaded = load_bundle(engine)
    in_sites = _site_episodes(engine, chosen.sites)
    ids = _chosen_ids(loaded, in_sites, chosen)
    if not ids:
        raise InputErrors(
            [
                InputError(
                    "filter",
                    chosen.describe(),
                    "a choice that selects at least one episode of your sites",
                )
            ]
        )
    left_out = sorted(e for e in left_out_episodes(loaded) if e in in_sites)
    part = _only_episodes(loaded, ids)
    identified = _identified(account) if deidentified is None else not deidentified
    text = _text_tables(part) if identified else _deidentified_tables(part, pseudonym_key(engine))
    bundle = validate_tables(text, source=source, consume=True)
    return Cohort(
        bundle=bundle,
        deidentified=not identified,
        left_out=tuple(left_out) if identified else (),
        left_out_count=len(left_out),
    )
