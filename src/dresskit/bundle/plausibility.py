"""Clinical plausibility of a bundle: impossible values refused, unusual ones listed.

Two tiers, each limit declared once in :data:`LIMITS` with its reason (``docs/data-format.md``
lists them all and a test checks that it does):

* **Refused** (an error, nothing loaded): values that cannot be true of a patient, so that a
  typing error, a wrong unit or a shifted column never reaches an analysis: dates before 1900
  or after today, a birth after the reaction, an age that contradicts the birth year, drug or
  treatment dates outside what the episode can have observed, steroid doses above the highest
  pulse in standard use, IVIG above 3 g/kg in a day, biologic doses above any licensed dose.
* **Warned** (accepted and listed by ``validate``, the import summary and the report's
  data-quality section): values that are possible but rare enough to deserve a second look,
  such as a drug started more than ten years before the reaction, a 1 g methylprednisolone
  pulse or more, IVIG above 2 g/kg in a day, observations outside their usual range
  (:attr:`dresskit.course.codes.ObservationCode.usual`).

Negative and non-finite numbers never reach this module: the column parser and the columns'
bounds refuse them.

References
----------
.. [1] Steroid pulses: methylprednisolone 30 mg/kg/day (at most 1 g) for three days is the
   standard paediatric pulse, and 0.5-1 g/day the adult one (e.g. Sinha A, Bagga A. Pulse
   steroid therapy. Indian J Pediatr. 2008;75(10):1057-66). 30 mg/kg of methylprednisolone is
   37.5 mg/kg of prednisone (equivalence 4 mg : 5 mg, clinical-reference.md §8).
.. [2] IVIG: 2 g/kg in one day is the highest single-day dose in standard use (Kawasaki disease:
   McCrindle BW et al. Circulation. 2017;135:e927-e999); DRESS courses total 1-2 g/kg (Sim et al.
   2022; clinical-reference.md §9.1); 1 g/kg/day x 3 days (3 g/kg) is the highest course in the
   SCAR literature (clinical-reference.md §9.1, [S47]).
.. [3] Biologics: the highest single doses of the agents used for severe drug eruptions are
   rituximab 1 000 mg, tocilizumab 800 mg, dupilumab 600 mg (loading), mepolizumab 300-600 mg
   (product labels; clinical-reference.md §9.2).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Final, Literal

import polars as pl

from dresskit.bundle.lookups import _EpisodeLookup
from dresskit.bundle.problems import _ROW, ProblemCollector
from dresskit.course.steroids import EQUIVALENT_DOSE_MG

__all__ = [
    "BIOLOGIC_MAX_MG",
    "BIOLOGIC_WARN_MG",
    "DRUG_START_WARN_DAYS",
    "EARLIEST_DATE",
    "FOLLOW_UP_WARN_DAYS",
    "IVIG_MAX_G_PER_DAY",
    "IVIG_MAX_G_PER_KG_DAY",
    "IVIG_WARN_G_PER_KG_DAY",
    "LIMITS",
    "OLDEST_AGE_WARN",
    "STEROID_MAX_PE_MG_PER_DAY",
    "STEROID_MAX_PE_MG_PER_KG_DAY",
    "STEROID_WARN_PE_MG_PER_DAY",
    "Limit",
    "local_today",
]

#: No date of a bundle is earlier (a typing error: 1019 for 2019, or a spreadsheet's day 0).
EARLIEST_DATE: Final = date(1900, 1, 1)
#: A drug started this many days (ten years) or more before onset is listed for a second look.
DRUG_START_WARN_DAYS: Final = 3652
#: Follow-up this many days (ten years) or more after onset is listed for a second look.
FOLLOW_UP_WARN_DAYS: Final = 3652
#: Ages above this at onset are listed for a second look.
OLDEST_AGE_WARN: Final = 100
#: Prednisone-equivalent mg/kg/day above which a steroid dose is refused: methylprednisolone
#: 30 mg/kg/day, the highest pulse in standard use [1].
STEROID_MAX_PE_MG_PER_KG_DAY: Final = 37.5
#: Prednisone-equivalent mg/day above which a steroid dose is refused whatever the weight:
#: methylprednisolone 2 g/day, twice the usual maximal pulse [1].
STEROID_MAX_PE_MG_PER_DAY: Final = 2500.0
#: Prednisone-equivalent mg/day above which a dose is listed: above a 1 g methylprednisolone
#: pulse [1].
STEROID_WARN_PE_MG_PER_DAY: Final = 1250.0
#: IVIG g/kg in one day above which a row is refused [2].
IVIG_MAX_G_PER_KG_DAY: Final = 3.0
#: IVIG g in one day above which a row is refused whatever the weight (3 g/kg at 100 kg) [2].
IVIG_MAX_G_PER_DAY: Final = 300.0
#: IVIG g/kg in one day above which a row is listed (above the Kawasaki single dose) [2].
IVIG_WARN_G_PER_KG_DAY: Final = 2.0
#: A biologic (maintenance or loading) dose above this many mg is refused [3].
BIOLOGIC_MAX_MG: Final = 3000.0
#: A biologic dose above this many mg is listed (above rituximab's 1 g) [3].
BIOLOGIC_WARN_MG: Final = 1000.0


def local_today() -> date:
    """Return today's date where dresskit runs: bundle dates are local calendar dates.

    The readers at the edges (files, the registry) pass it to validation as ``today``; the
    validation itself keeps no clock.
    """
    return datetime.now(tz=UTC).astimezone().date()


@dataclass(frozen=True)
class Limit:
    """One plausibility limit: what it applies to, the tier, and why.

    Attributes
    ----------
    applies_to
        ``file.column`` (or a short description) the limit checks.
    tier
        ``refused`` (an error) or ``warned`` (accepted and listed).
    rule
        The limit in words, with its value and unit.
    reason
        Why the limit is where it is.
    """

    applies_to: str
    tier: Literal["refused", "warned"]
    rule: str
    reason: str


#: Every limit of this module, for the documentation and its test.
LIMITS: Final[tuple[Limit, ...]] = (
    Limit(
        "every date column",
        "refused",
        f"not before {EARLIEST_DATE.isoformat()}",
        "an earlier date is a typing error (1019 for 2019) or a spreadsheet's day 0",
    ),
    Limit(
        "every date column",
        "refused",
        "not after today",
        "a bundle records what has happened; a future date is a typing error",
    ),
    Limit(
        "patients.birth_year",
        "refused",
        "not after the year of the patient's first onset",
        "a patient is born before the reaction",
    ),
    Limit(
        "patients.age_years",
        "refused",
        "onset year minus birth_year is age_years or age_years + 1",
        "the age at onset and the birth year must describe the same person",
    ),
    Limit(
        "patients.age_years",
        "warned",
        f"above {OLDEST_AGE_WARN}",
        "possible, but rare enough to check",
    ),
    Limit(
        "episodes.last_follow_up_date",
        "warned",
        f"{FOLLOW_UP_WARN_DAYS} days (ten years) or more after onset",
        "possible, but rare enough to check (a year typed wrong)",
    ),
    Limit(
        "drug_exposures.start_date, stop_date",
        "refused",
        "not after the episode's last follow-up",
        "a dose after the last follow-up cannot have been observed",
    ),
    Limit(
        "drug_exposures.start_date",
        "warned",
        f"{DRUG_START_WARN_DAYS} days (ten years) or more before onset",
        "long-term drugs are possible, but a year typed wrong is more likely",
    ),
    Limit(
        "treatments.start_date",
        "refused",
        "from 30 days before onset to the last follow-up",
        "a treatment of the episode lies in the episode's window, as observations do; a "
        "long-term drug taken before is a drug exposure",
    ),
    Limit(
        "treatments.end_date",
        "refused",
        "not after the last follow-up (empty: still given at the last follow-up)",
        "a dose after the last follow-up cannot have been observed; rows after it are never "
        "counted silently",
    ),
    Limit(
        "treatments (steroid)",
        "refused",
        f"above {STEROID_MAX_PE_MG_PER_KG_DAY:g} mg/kg/day prednisone-equivalent (with a "
        f"weight) or {STEROID_MAX_PE_MG_PER_DAY:g} mg/day",
        "methylprednisolone 30 mg/kg/day (= 37.5 mg/kg prednisone) is the highest pulse in "
        "standard use; 2 g/day is twice the usual maximal pulse",
    ),
    Limit(
        "treatments (steroid)",
        "warned",
        f"above {STEROID_WARN_PE_MG_PER_DAY:g} mg/day prednisone-equivalent",
        "above a 1 g methylprednisolone pulse",
    ),
    Limit(
        "treatments (ivig)",
        "refused",
        f"above {IVIG_MAX_G_PER_KG_DAY:g} g/kg in a day (with a weight) or "
        f"{IVIG_MAX_G_PER_DAY:g} g/day",
        "the highest IVIG courses in severe drug eruptions are 1 g/kg/day; 2 g/kg in one "
        "day is the highest single dose in standard use",
    ),
    Limit(
        "treatments (ivig)",
        "warned",
        f"above {IVIG_WARN_G_PER_KG_DAY:g} g/kg in a day",
        "above the highest single-day dose in standard use (Kawasaki disease)",
    ),
    Limit(
        "treatments (biologic).dose, loading_dose",
        "refused",
        f"above {BIOLOGIC_MAX_MG:g} mg",
        "above any licensed single dose of the biologics used for drug eruptions",
    ),
    Limit(
        "treatments (biologic).dose, loading_dose",
        "warned",
        f"above {BIOLOGIC_WARN_MG:g} mg",
        "above rituximab's 1 g, the largest usual single dose",
    ),
    Limit(
        "observations.value",
        "refused",
        "outside the code's hard range (observations table)",
        "a wrong unit or a slipped decimal point",
    ),
    Limit(
        "observations.value",
        "warned",
        "outside the code's usual range (observations table)",
        "possible in severe disease, but rare enough to check",
    ),
)


def check_dates(
    typed: dict[str, pl.DataFrame], today: date | None, problems: ProblemCollector
) -> None:
    """Refuse dates before :data:`EARLIEST_DATE` or after ``today`` in every table."""
    for name, frame in typed.items():
        for column, dtype in frame.schema.items():
            if dtype != pl.Date or column.startswith("__"):
                continue
            col = pl.col(column)
            problems.rows(
                name, frame, col < EARLIEST_DATE, column, f"a date on or after {EARLIEST_DATE}"
            )
            if today is not None:
                problems.rows(
                    name,
                    frame,
                    col > today,
                    column,
                    f"a date that has happened (on or before today, {today.isoformat()})",
                )


def check_patients(
    patients: pl.DataFrame, episodes: pl.DataFrame, problems: ProblemCollector
) -> None:
    """Refuse a birth after onset or an age that contradicts the birth year; list old ages."""
    first_onset = episodes.group_by("patient_id").agg(
        pl.col("onset_date").min().dt.year().alias("__onset_year")
    )
    frame = patients.join(first_onset, on="patient_id", how="left")
    born, age, onset_year = pl.col("birth_year"), pl.col("age_years"), pl.col("__onset_year")
    problems.rows(
        "patients",
        frame,
        born > onset_year,
        "birth_year",
        "a year on or before the patient's first onset",
    )
    problems.rows(
        "patients",
        frame,
        (onset_year - born - age).is_in([0, 1]).not_(),
        "age_years",
        "the age at onset that the birth year gives (onset year minus birth_year, or one "
        "less before the birthday)",
    )
    problems.warn_rows(
        "patients", frame, age > OLDEST_AGE_WARN, "age_years", f"is above {OLDEST_AGE_WARN}"
    )


def check_follow_up(episodes: pl.DataFrame, problems: ProblemCollector) -> None:
    """List follow-ups ten years or more after onset."""
    problems.warn_rows(
        "episodes",
        episodes,
        (pl.col("last_follow_up_date") - pl.col("onset_date")).dt.total_days()
        >= FOLLOW_UP_WARN_DAYS,
        "last_follow_up_date",
        "is ten years or more after onset: check the year",
    )


def check_drug_dates(
    exposures: pl.DataFrame, lookup: _EpisodeLookup, problems: ProblemCollector
) -> None:
    """Refuse drug dates after the last follow-up; list starts ten years or more before onset."""
    number = lookup.number()
    last = pl.lit(lookup.last).gather(number)
    onset = pl.lit(lookup.onset).gather(number)
    frame = exposures.with_columns(last.alias("__last"), onset.alias("__onset"))
    for column in ("start_date", "stop_date"):
        _after_follow_up("drug_exposures", frame, column, problems)
    problems.warn_rows(
        "drug_exposures",
        frame,
        (pl.col("__onset") - pl.col("start_date")).dt.total_days() >= DRUG_START_WARN_DAYS,
        "start_date",
        "is ten years or more before onset: check the year (kept: long-term drugs are possible)",
    )


def _after_follow_up(
    name: str, frame: pl.DataFrame, column: str, problems: ProblemCollector
) -> None:
    flagged = frame.filter((pl.col(column) > pl.col("__last")).fill_null(False))
    for row, on, last in flagged.select(_ROW, column, "__last").head(problems.cap).iter_rows():
        problems.add(
            name,
            row,
            column,
            on.isoformat(),
            f"on or before the episode's last follow-up ({last.isoformat()}): what comes "
            "after it cannot have been observed",
        )


def check_treatment_dates(
    treatments: pl.DataFrame, lookup: _EpisodeLookup, problems: ProblemCollector
) -> None:
    """Refuse treatment dates outside the episode (30 days before onset to the last follow-up)."""
    number = lookup.number()
    frame = treatments.with_columns(
        pl.lit(lookup.last).gather(number).alias("__last"),
        pl.lit(lookup.earliest).gather(number).alias("__earliest"),
    )
    early = frame.filter((pl.col("start_date") < pl.col("__earliest")).fill_null(False))
    for row, on, earliest in (
        early.select(_ROW, "start_date", "__earliest").head(problems.cap).iter_rows()
    ):
        problems.add(
            "treatments",
            row,
            "start_date",
            on.isoformat(),
            f"on or after {earliest.isoformat()} (30 days before onset): a treatment of the "
            "episode lies in its window; record a long-term drug taken before as a drug exposure",
        )
    for column in ("start_date", "end_date"):
        _after_follow_up("treatments", frame, column, problems)


def _prednisone_factor() -> pl.Expr:
    factors = {agent: 5.0 / mg for agent, mg in EQUIVALENT_DOSE_MG.items()}
    return pl.col("agent").replace_strict(factors, default=None, return_dtype=pl.Float64)


def check_doses(weighted: pl.DataFrame, problems: ProblemCollector) -> None:
    """Refuse impossible steroid, IVIG and biologic doses; list unusual ones.

    ``weighted`` is the treatments table after steroid mg/kg/d doses became mg/d, with ``kg``,
    the patient's latest weight on or before the start date (null when none).
    """
    kind, dose, unit, kg = pl.col("kind"), pl.col("dose"), pl.col("dose_unit"), pl.col("kg")
    prednisone = dose * _prednisone_factor()
    steroid = kind == "steroid"
    frame = weighted.with_columns(
        pl.when(steroid).then(prednisone).alias("__pe_mg"),
        pl.when(kind == "ivig")
        .then(pl.when(unit == "g/kg/d").then(dose).otherwise(dose / kg))
        .alias("__ivig_g_per_kg"),
        pl.when(kind == "ivig")
        .then(pl.when(unit == "g/d").then(dose).otherwise(dose * kg))
        .alias("__ivig_g"),
    )
    pe, pe_per_kg = pl.col("__pe_mg"), pl.col("__pe_mg") / kg
    problems.rows(
        "treatments",
        frame,
        pe_per_kg > STEROID_MAX_PE_MG_PER_KG_DAY,
        "dose",
        f"at most {STEROID_MAX_PE_MG_PER_KG_DAY:g} mg/kg/day prednisone-equivalent "
        "(methylprednisolone 30 mg/kg/day, the highest pulse in standard use): check the "
        "dose, its unit and the weight",
    )
    problems.rows(
        "treatments",
        frame,
        pe > STEROID_MAX_PE_MG_PER_DAY,
        "dose",
        f"at most {STEROID_MAX_PE_MG_PER_DAY:g} mg/day prednisone-equivalent (methylprednisolone "
        "2 g/day): check the dose and its unit",
    )
    problems.warn_rows(
        "treatments",
        frame,
        (pe > STEROID_WARN_PE_MG_PER_DAY) & (pe <= STEROID_MAX_PE_MG_PER_DAY),
        "dose",
        f"is above {STEROID_WARN_PE_MG_PER_DAY:g} mg/day prednisone-equivalent (a 1 g "
        "methylprednisolone pulse): check the dose",
    )
    per_kg, grams = pl.col("__ivig_g_per_kg"), pl.col("__ivig_g")
    problems.rows(
        "treatments",
        frame,
        per_kg > IVIG_MAX_G_PER_KG_DAY,
        "dose",
        f"at most {IVIG_MAX_G_PER_KG_DAY:g} g/kg of IVIG in a day: check the dose, its unit "
        "and the weight",
    )
    problems.rows(
        "treatments",
        frame,
        grams > IVIG_MAX_G_PER_DAY,
        "dose",
        f"at most {IVIG_MAX_G_PER_DAY:g} g of IVIG in a day: check the dose and its unit",
    )
    problems.warn_rows(
        "treatments",
        frame,
        (per_kg > IVIG_WARN_G_PER_KG_DAY) & (per_kg <= IVIG_MAX_G_PER_KG_DAY),
        "dose",
        f"is above {IVIG_WARN_G_PER_KG_DAY:g} g/kg of IVIG in a day: check the dose",
    )
    biologic = kind == "biologic"
    for column in ("dose", "loading_dose"):
        problems.rows(
            "treatments",
            frame,
            biologic & (pl.col(column) > BIOLOGIC_MAX_MG),
            column,
            f"at most {BIOLOGIC_MAX_MG:g} mg for a biologic dose: check the dose and its unit",
        )
        problems.warn_rows(
            "treatments",
            frame,
            biologic & (pl.col(column) > BIOLOGIC_WARN_MG) & (pl.col(column) <= BIOLOGIC_MAX_MG),
            column,
            f"is above {BIOLOGIC_WARN_MG:g} mg for a biologic dose: check the dose",
        )
