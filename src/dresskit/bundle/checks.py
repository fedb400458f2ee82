"""Per-table cross checks of bundle validation, after every column is typed.

The manifest's format and version; episodes (unique ids, known patients, dates in order);
drug exposures (known episodes, one row per drug, ATC codes); drug assessments (items and
answers of each causality instrument); observations (known episodes, values or text results,
accepted units converted to the canonical unit, plausible values, dates within the episode);
findings; and treatments (agents, doses and units, mg/kg/d steroid doses converted with the
patient's weight). Each check reports through :class:`ProblemCollector` and returns what validation
keeps of its table, if anything.
"""

from __future__ import annotations

import polars as pl

from dresskit.bundle.columns import _absent, _public, _references, _unique
from dresskit.bundle.lookups import (
    WINDOW_BEFORE_ONSET_DAYS,
    _conversion_series,
    _EpisodeLookup,
    _pair_number,
    _per_code,
)
from dresskit.bundle.plausibility import check_doses, check_drug_dates, check_treatment_dates
from dresskit.bundle.problems import _ROW, ProblemCollector
from dresskit.bundle.schema import (
    ADMISSION_DAYS_BEFORE_ONSET,
    ASSESSMENT_ANSWERS,
    FINDING_VALUES,
    FORMAT_NAME,
    FORMAT_VERSION,
    OTHER_CAUSE_TESTS,
    STEROID_AGENTS,
    TREATMENT_DOSE_UNITS,
)
from dresskit.course.codes import CODE_ENUM, OBSERVATION_CODES, UNIT_ENUM


def _manifest(frame: pl.DataFrame, problems: ProblemCollector) -> dict[str, str]:
    entries = {
        key: value
        for key, value in frame.select("key", "value").iter_rows()
        if key is not None and value is not None
    }
    if entries.get("format") != FORMAT_NAME:
        problems.add("manifest", None, "format", entries.get("format"), f"{FORMAT_NAME!r}")
    if entries.get("version") != FORMAT_VERSION:
        problems.add(
            "manifest",
            None,
            "version",
            entries.get("version"),
            f"{FORMAT_VERSION!r} (the version this dresskit reads)",
        )
    return entries


def _episodes_check(
    episodes: pl.DataFrame, patients: pl.DataFrame, problems: ProblemCollector
) -> None:
    """Check episode ids, that their patients exist and that an episode's own dates are in order."""
    _unique("episodes", episodes, ["episode_id"], problems, "episode_id")
    _references(
        "episodes",
        episodes,
        "patient_id",
        patients.get_column("patient_id"),
        problems,
        "patients.csv",
    )
    problems.rows(
        "episodes",
        episodes,
        pl.col("last_follow_up_date") < pl.col("onset_date"),
        "last_follow_up_date",
        "on or after onset_date",
    )
    problems.rows(
        "episodes",
        episodes,
        pl.col("last_follow_up_date") < pl.col("admission_date"),
        "last_follow_up_date",
        "on or after admission_date",
    )
    _death_date_check(episodes, problems)
    problems.rows(
        "episodes",
        episodes,
        pl.col("admission_date")
        < pl.col("onset_date") - pl.duration(days=ADMISSION_DAYS_BEFORE_ONSET),
        "admission_date",
        f"no earlier than {ADMISSION_DAYS_BEFORE_ONSET} days before onset_date",
    )


def _death_date_check(episodes: pl.DataFrame, problems: ProblemCollector) -> None:
    """Check ``death_date``: required when the outcome is ``died``, empty otherwise, dated.

    The date of death dates the competing event of every time-to-event outcome
    (clinical-reference.md §10; docs/data-format.md). It lies between onset and the last
    follow-up: a record does not follow a patient beyond death, and a reaction cannot kill
    before it begins.
    """
    died = pl.col("outcome") == "died"
    death = pl.col("death_date")
    problems.rows_many(
        "episodes",
        episodes,
        [
            (
                died & death.is_null(),
                "death_date",
                "a date of death as YYYY-MM-DD (required when outcome is 'died')",
            ),
            (
                ~died & death.is_not_null(),
                "death_date",
                "empty unless outcome is 'died' (a date of death only for a patient who died)",
            ),
            (
                death > pl.col("last_follow_up_date"),
                "death_date",
                "on or before last_follow_up_date",
            ),
            (death < pl.col("onset_date"), "death_date", "on or after onset_date"),
        ],
    )


def _drug_exposures_check(
    exposures: pl.DataFrame,
    episodes: pl.DataFrame,
    lookup: _EpisodeLookup,
    problems: ProblemCollector,
) -> None:
    """Check that drug exposures name a known episode, once per drug, with valid dates and ATC."""
    _references(
        "drug_exposures",
        exposures,
        "episode_id",
        episodes.get_column("episode_id"),
        problems,
        "episodes.csv",
    )
    _unique(
        "drug_exposures",
        exposures,
        ["episode_id", "drug"],
        problems,
        "the same drug within an episode (after names are made canonical: capitals, spaces, "
        "spellings and brand names count as the same drug)",
        field="drug",
    )
    problems.rows(
        "drug_exposures",
        exposures,
        pl.col("stop_date") < pl.col("start_date"),
        "stop_date",
        "on or after start_date",
    )
    problems.rows(
        "drug_exposures",
        exposures,
        pl.col("atc_code").is_not_null()
        & ~pl.col("atc_code").str.contains(r"^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$"),
        "atc_code",
        "a 7-character WHO ATC code such as J04AB02",
    )
    check_drug_dates(exposures, lookup, problems)


def _assessments(frame: pl.DataFrame, exposures: pl.DataFrame, problems: ProblemCollector) -> None:
    name = "drug_assessments"
    known = exposures.select(pl.struct("episode_id", "drug").alias("key")).get_column("key")
    problems.rows(
        name,
        frame,
        ~pl.struct("episode_id", "drug").is_in(known.implode()),
        "drug",
        "a drug listed for the episode in drug_exposures.csv",
    )
    for instrument, items in ASSESSMENT_ANSWERS.items():
        is_instrument = pl.col("instrument") == instrument
        problems.rows(
            name,
            frame,
            is_instrument & ~pl.col("item").is_in(list(items)),
            "item",
            f"an item of {instrument}: " + ", ".join(items),
        )
        for item, answers in items.items():
            problems.rows(
                name,
                frame,
                is_instrument & (pl.col("item") == item) & ~pl.col("answer").is_in(list(answers)),
                "answer",
                f"for {instrument} {item}: one of " + ", ".join(answers),
            )
    _unique(
        name,
        frame,
        ["episode_id", "drug", "instrument", "item"],
        problems,
        "the same drug, instrument and item",
    )


def _observations(
    frame: pl.DataFrame, episodes: _EpisodeLookup, problems: ProblemCollector
) -> pl.DataFrame:
    name = "observations"
    qualitative = [c for c, d in OBSERVATION_CODES.items() if d.qualitative]
    text_ok = [v for c in qualitative for v in OBSERVATION_CODES[c].text_values]
    value, text, code, unit = pl.col("value"), pl.col("text"), pl.col("code"), pl.col("unit")
    # Numbered once: the episode (for references, uniqueness and the window) and the pair.
    scales, offsets = _conversion_series()
    frame = frame.with_columns(episodes.number().alias("__episode"), _pair_number().alias("__pair"))
    scale = pl.lit(scales).gather(pl.col("__pair"))
    canonical = (value * scale + pl.lit(offsets).gather(pl.col("__pair"))).round(6)
    frame = frame.with_columns(canonical.alias("__canonical"))
    known_code = code.cast(CODE_ENUM, strict=False).is_not_null()
    problems.rows_many(
        name,
        frame,
        [
            (
                pl.col("episode_id").is_not_null() & pl.col("__episode").is_null(),
                "episode_id",
                "an id present in episodes.csv",
            ),
            (
                _absent("value") & text.is_null() & code.is_not_null(),
                "value",
                "a value (or a text result for codes that take one)",
            ),
            (
                text.is_not_null() & ~code.is_in(qualitative),
                "text",
                "empty: only " + ", ".join(qualitative) + " take a text result",
            ),
            (
                text.is_not_null() & code.is_in(qualitative) & ~text.is_in(text_ok),
                "text",
                "one of " + ", ".join(text_ok),
            ),
            (value.is_not_null() & unit.is_null(), "unit", "a UCUM unit for the value"),
        ],
    )
    bad_unit = value.is_not_null() & unit.is_not_null() & known_code & scale.is_null()
    if frame.select(bad_unit.any()).item():
        accepted = {c: ", ".join(d.accepted_units) for c, d in OBSERVATION_CODES.items()}
        for row, bad_code, bad in (
            frame.filter(bad_unit).select(_ROW, "code", "unit").head(problems.cap).iter_rows()
        ):
            problems.add(
                name, row, "unit", bad, f"a unit accepted for {bad_code}: {accepted[bad_code]}"
            )
    low = _per_code([float(d.bounds[0]) for d in OBSERVATION_CODES.values()], pl.Float64())
    high = _per_code([float(d.bounds[1]) for d in OBSERVATION_CODES.values()], pl.Float64())
    out_of_range = pl.col("__canonical").is_not_null() & (
        (pl.col("__canonical") < low) | (pl.col("__canonical") > high)
    )
    if frame.select(out_of_range.any()).item():
        for row, raw, raw_unit, bad_code, value_canonical in (
            frame.filter(out_of_range)
            .select(_ROW, "value", "unit", "code", "__canonical")
            .head(problems.cap)
            .iter_rows()
        ):
            bound_low, bound_high = OBSERVATION_CODES[bad_code].bounds
            unit_name = OBSERVATION_CODES[bad_code].canonical_unit
            problems.add(
                name,
                row,
                "value",
                raw,
                f"a plausible value: {bound_low:g}-{bound_high:g} {unit_name} (got "
                f"{value_canonical:g} {unit_name} from {raw:g} {raw_unit})",
            )
    usual_low = _per_code([float(d.usual[0]) for d in OBSERVATION_CODES.values()], pl.Float64())
    usual_high = _per_code([float(d.usual[1]) for d in OBSERVATION_CODES.values()], pl.Float64())
    unusual = (
        pl.col("__canonical").is_not_null()
        & ~out_of_range
        & ((pl.col("__canonical") < usual_low) | (pl.col("__canonical") > usual_high))
    )
    if frame.select(unusual.any()).item():
        for row, raw, raw_unit, unusual_code, value_canonical in (
            frame.filter(unusual)
            .select(_ROW, "value", "unit", "code", "__canonical")
            .head(problems.cap)
            .iter_rows()
        ):
            definition = OBSERVATION_CODES[unusual_code]
            usual_from, usual_to = definition.usual
            unit_name = definition.canonical_unit
            converted = (
                ""
                if raw_unit == unit_name
                else f"; {value_canonical:g} {unit_name} from {raw_unit}"
            )
            problems.warn(
                name,
                row,
                "value",
                f"{raw:g}",
                f"is outside the usual range of {definition.label} ({usual_from:g}-{usual_to:g} "
                f"{unit_name}{converted}): possible, check the value and its unit",
            )
    _unique(
        name,
        frame,
        ["__episode", "date", "time", "code"],
        problems,
        "the same episode, date, time and code",
        field="episode_id",
    )
    _window(name, frame, episodes, problems)
    # Codes and units leave as enumerations whichever way the file was read.
    canonical_unit = _per_code([d.canonical_unit for d in OBSERVATION_CODES.values()], UNIT_ENUM)
    return frame.select(
        "episode_id",
        "date",
        "time",
        code.cast(CODE_ENUM, strict=False),  # bad codes are already reported
        pl.col("__canonical").alias("value"),
        pl.when(pl.col("__canonical").is_not_null())
        .then(canonical_unit)
        .otherwise(unit.cast(UNIT_ENUM, strict=False))
        .alias("unit"),
        "text",
    )


def _window(
    name: str, frame: pl.DataFrame, episodes: _EpisodeLookup, problems: ProblemCollector
) -> None:
    """Report dates outside their episode (30 days before onset to the last follow-up)."""
    number = pl.col("__episode") if "__episode" in frame.columns else episodes.number()
    earliest = pl.lit(episodes.earliest).gather(number)
    last = pl.lit(episodes.last).gather(number)
    outside = pl.col("date").is_not_null() & ((pl.col("date") < earliest) | (pl.col("date") > last))
    if not frame.select(outside.fill_null(False).any()).item():
        return
    bad = frame.filter(outside.fill_null(False)).with_columns(
        pl.lit(episodes.onset).gather(number).alias("__onset"), last.alias("__last")
    )
    for row, on, first, final in (
        bad.select(_ROW, "date", "__onset", "__last").head(problems.cap).iter_rows()
    ):
        problems.add(
            name,
            row,
            "date",
            on.isoformat(),
            f"within the episode: from {WINDOW_BEFORE_ONSET_DAYS} days before onset "
            f"({first.isoformat()}) to the last follow-up ({final.isoformat()})",
        )


def _episode_known(
    name: str, frame: pl.DataFrame, episodes: _EpisodeLookup, problems: ProblemCollector
) -> None:
    """Report every row whose episode_id is not an episode of episodes.csv."""
    problems.rows(
        name,
        frame,
        pl.col("episode_id").is_not_null() & episodes.number().is_null(),
        "episode_id",
        "an id present in episodes.csv",
    )


def _findings(frame: pl.DataFrame, episodes: _EpisodeLookup, problems: ProblemCollector) -> None:
    name = "findings"
    _episode_known(name, frame, episodes, problems)
    for code, values in FINDING_VALUES.items():
        problems.rows(
            name,
            frame,
            (pl.col("code") == code)
            & pl.col("value").is_not_null()
            & ~pl.col("value").is_in(list(values)),
            "value",
            f"for {code}: one of " + ", ".join(values),
        )
    problems.rows(
        name,
        frame,
        (pl.col("code") == "other_cause_test")
        & ~pl.col("detail").is_in(list(OTHER_CAUSE_TESTS)).fill_null(False),
        "detail",
        "for other_cause_test, the test: " + ", ".join(OTHER_CAUSE_TESTS),
    )
    _window(name, frame, episodes, problems)


def _treatments_check(
    frame: pl.DataFrame,
    episodes: pl.DataFrame,
    lookup: _EpisodeLookup,
    observations: pl.DataFrame,
    problems: ProblemCollector,
) -> pl.DataFrame:
    name = "treatments"
    _episode_known(name, frame, lookup, problems)
    kind, dose, unit = pl.col("kind"), pl.col("dose"), pl.col("dose_unit")
    problems.rows(
        name,
        frame,
        (kind == "steroid") & ~pl.col("agent").is_in(list(STEROID_AGENTS)),
        "agent",
        "a systemic corticosteroid: " + ", ".join(STEROID_AGENTS),
    )
    problems.rows(name, frame, (kind == "ivig") & (pl.col("agent") != "ivig"), "agent", "'ivig'")
    problems.rows(
        name,
        frame,
        kind.is_in(["steroid", "ivig", "biologic"]) & _absent("dose"),
        "dose",
        "a dose (required for steroid, ivig and biologic rows)",
    )
    for treatment_kind, units in TREATMENT_DOSE_UNITS.items():
        if units:
            problems.rows(
                name,
                frame,
                # A dose needs its unit: a missing one is never read as a default unit.
                (kind == treatment_kind)
                & (dose.is_not_null() | unit.is_not_null())
                & ~unit.is_in(list(units)).fill_null(False),
                "dose_unit",
                f"for {treatment_kind}: one of " + ", ".join(units),
            )
    problems.rows(
        name,
        frame,
        (kind == "biologic") & _absent("interval_days"),
        "interval_days",
        "the days between maintenance doses (biologic rows)",
    )
    problems.rows(
        name, frame, pl.col("end_date") < pl.col("start_date"), "end_date", "on or after start_date"
    )
    problems.rows(name, frame, dose <= 0, "dose", "a dose above 0")
    # mg/kg/d steroid doses become mg/d with the latest weight on or before the start date.
    weights = (
        observations.filter(pl.col("code") == "weight")
        .join(episodes.select("episode_id", "patient_id"), on="episode_id")
        .select("patient_id", pl.col("date").alias("weight_date"), pl.col("value").alias("kg"))
        .drop_nulls()
        .sort("weight_date")
    )
    with_patient = frame.join(
        episodes.select("episode_id", "patient_id"), on="episode_id", how="left"
    ).sort("start_date", nulls_last=True)
    weighted = with_patient.join_asof(
        weights,
        left_on="start_date",
        right_on="weight_date",
        by="patient_id",
        strategy="backward",
        check_sortedness=False,  # sorted just above; polars cannot check within 'by' groups
    ).sort(_ROW)
    per_kg = (kind == "steroid") & (unit == "mg/kg/d")
    problems.rows(
        name,
        weighted,
        per_kg & pl.col("kg").is_null() & pl.col("start_date").is_not_null(),
        "dose_unit",
        "mg/d, or a weight observation on or before start_date to convert mg/kg/d",
    )
    converted = weighted.with_columns(
        pl.when(per_kg).then((dose * pl.col("kg")).round(3)).otherwise(dose).alias("dose"),
        pl.when(per_kg).then(pl.lit("mg/d")).otherwise(unit).alias("dose_unit"),
    )
    check_treatment_dates(frame, lookup, problems)
    check_doses(converted, problems)
    return converted.pipe(_public, name)
