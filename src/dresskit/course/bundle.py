"""Validate a bundle's raw tables column-wise and hold the result; build patient courses.

:func:`validate_tables` takes the tables as read (every cell a string) and checks every rule
of ``docs/data-format.md`` with polars expressions, so that millions of observation rows are
validated in seconds. Every problem becomes an :class:`~dresskit.errors.InputError` naming the
file, the 1-based data row, the column, the raw value and what is accepted; if there is any,
:class:`~dresskit.errors.InputErrors` lists them all and nothing is returned. Unit
conversions are computed once per accepted (code, unit) pair through pint and applied to the
whole column.

A valid :class:`Bundle` holds typed tables in canonical units and builds
:class:`~dresskit.course.model.PatientCourse` objects on demand.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any, Final

import polars as pl

from dresskit.course.bundle_schema import (
    ADMISSION_DAYS_BEFORE_ONSET,
    ASSESSMENT_ANSWERS,
    FINDING_VALUES,
    FORMAT_NAME,
    FORMAT_VERSION,
    OPTIONAL_TABLES,
    OTHER_CAUSE_TESTS,
    REQUIRED_TABLES,
    STEROID_AGENTS,
    TABLES,
    TREATMENT_DOSE_UNITS,
    Column,
)
from dresskit.course.codes import CODE_ENUM, OBSERVATION_CODES, UNIT_ENUM, linear_conversion
from dresskit.course.model import (
    BiologicRegimen,
    DrugExposure,
    DrugRole,
    Episode,
    EpisodeOutcome,
    Finding,
    IvigDose,
    Observation,
    OtherTreatment,
    Patient,
    PatientCourse,
    Phenotype,
    Sex,
    SteroidSegment,
    WeightMeasurement,
)
from dresskit.errors import EMPTY_CELL, InputError, InputErrors

__all__ = ["Bundle", "validate_tables"]

_ROW: Final = "__row"
#: Observations and findings may precede onset by this many days (prodrome, baseline labs).
WINDOW_BEFORE_ONSET_DAYS: Final = 30
_DATE_FORMAT: Final = "%Y-%m-%d"
_TIME_FORMAT: Final = "%H:%M"


@dataclass(frozen=True)
class Bundle:
    """A validated bundle: typed tables, canonical units (see ``docs/data-format.md``)."""

    manifest: Mapping[str, str]
    patients: pl.DataFrame
    episodes: pl.DataFrame
    drug_exposures: pl.DataFrame
    drug_assessments: pl.DataFrame
    observations: pl.DataFrame
    findings: pl.DataFrame
    treatments: pl.DataFrame

    def episode_ids(self) -> tuple[str, ...]:
        """Return the episode ids, in file order."""
        return tuple(self.episodes.get_column("episode_id").to_list())

    def course(self, episode_id: str) -> PatientCourse:
        """Return the course of one episode.

        Raises
        ------
        InputError
            When the bundle has no such episode; the message lists a few that exist.
        """
        if episode_id not in self.episode_ids():
            known = ", ".join(self.episode_ids()[:5])
            raise InputError("episode_id", episode_id, f"an episode of the bundle (e.g. {known})")
        frames = {
            name: frame.filter(pl.col("episode_id") == episode_id)
            for name, frame in self._episode_tables().items()
        }
        tables: dict[str, Any] = {
            name: frame if name == "observations" else frame.rows(named=True)
            for name, frame in frames.items()
        }
        episode_row = self.episodes.filter(pl.col("episode_id") == episode_id).row(0, named=True)
        patient_row = self.patients.filter(pl.col("patient_id") == episode_row["patient_id"]).row(
            0, named=True
        )
        return _build_course(
            episode_id,
            tables,
            _weights_by_patient(_weights(self)),
            episode_row,
            patient_row,
        )

    def courses(self) -> Iterator[PatientCourse]:
        """Yield every episode's course, partitioning each table once."""
        # Observations (millions of rows) are partitioned by polars and turned into objects one
        # course at a time; the small tables are grouped once as row dictionaries.
        observations = self.observations.partition_by("episode_id", as_dict=True)
        no_observations = self.observations.clear()
        small: dict[str, dict[str, list[dict[str, Any]]]] = {}
        for name, frame in self._episode_tables().items():
            if name == "observations":
                continue
            grouped: dict[str, list[dict[str, Any]]] = {}
            for row in frame.rows(named=True):
                grouped.setdefault(row["episode_id"], []).append(row)
            small[name] = grouped
        weights = _weights_by_patient(_weights(self))
        # One pass over the small tables instead of a lookup per course.
        episode_rows = {row["episode_id"]: row for row in self.episodes.iter_rows(named=True)}
        patient_rows = {row["patient_id"]: row for row in self.patients.iter_rows(named=True)}
        for episode_id in self.episode_ids():
            tables: dict[str, Any] = {
                name: grouped.get(episode_id, []) for name, grouped in small.items()
            }
            tables["observations"] = observations.get((episode_id,), no_observations)
            episode_row = episode_rows[episode_id]
            yield _build_course(
                episode_id,
                tables,
                weights,
                episode_row,
                patient_rows[episode_row["patient_id"]],
            )

    def _episode_tables(self) -> dict[str, pl.DataFrame]:
        return {
            "drug_exposures": self.drug_exposures,
            "drug_assessments": self.drug_assessments,
            "observations": self.observations,
            "findings": self.findings,
            "treatments": self.treatments,
        }


# --- building courses ------------------------------------------------------------------------


def _weights_by_patient(frame: pl.DataFrame) -> dict[str, list[tuple[date, float]]]:
    grouped: dict[str, list[tuple[date, float]]] = {}
    for patient_id, on, kg in frame.iter_rows():
        grouped.setdefault(patient_id, []).append((on, kg))
    return grouped


def _weights(bundle: Bundle) -> pl.DataFrame:
    """Every weight observation with its patient (weights follow the patient, not the episode)."""
    return (
        bundle.observations.filter(pl.col("code") == "weight")
        .join(bundle.episodes.select("episode_id", "patient_id"), on="episode_id")
        .select("patient_id", "date", "value")
        .sort("date")
    )


def _build_course(
    episode_id: str,
    tables: Mapping[str, Any],
    weights_by_patient: Mapping[str, list[tuple[date, float]]],
    episode_row: Mapping[str, Any],
    patient_row: Mapping[str, Any],
) -> PatientCourse:
    patient_id = episode_row["patient_id"]
    weights = weights_by_patient.get(patient_id, [])
    patient = Patient(
        patient_id=patient_id,
        sex=Sex(patient_row["sex"]),
        birth_year=patient_row["birth_year"],
        age_years=patient_row["age_years"],
        weights=tuple(WeightMeasurement(on, kg) for on, kg in weights),
    )
    episode = Episode(
        episode_id=episode_id,
        patient_id=patient_id,
        phenotype=Phenotype(episode_row["phenotype"]),
        onset=episode_row["onset_date"],
        outcome=EpisodeOutcome(episode_row["outcome"]),
        last_follow_up=episode_row["last_follow_up_date"],
        admission=episode_row["admission_date"],
    )
    assessments: dict[tuple[str, str], dict[str, str]] = {}
    for row in tables["drug_assessments"]:
        assessments.setdefault((row["drug"], row["instrument"]), {})[row["item"]] = row["answer"]
    drugs = tuple(
        DrugExposure(
            episode_id=episode_id,
            drug=row["drug"],
            role=DrugRole(row["role"]),
            start=row["start_date"],
            stop=row["stop_date"],
            atc_code=row["atc_code"],
            naranjo=_complete(assessments.get((row["drug"], "naranjo")), "naranjo"),
            who_umc=_complete(assessments.get((row["drug"], "who-umc")), "who-umc"),
        )
        for row in tables["drug_exposures"]
    )
    observations = tuple(
        Observation(episode_id, on, code, value, unit, at, text)
        for on, at, code, value, unit, text in tables["observations"]
        .select("date", "time", "code", "value", "unit", "text")
        .rows()
    )
    findings = tuple(
        Finding(episode_id, row["date"], row["code"], row["value"], row["detail"])
        for row in tables["findings"]
    )
    steroids, ivig, biologics, others = _treatments(episode_id, tables["treatments"])
    return PatientCourse(
        patient=patient,
        episode=episode,
        drugs=drugs,
        observations=observations,
        findings=findings,
        steroids=steroids,
        ivig=ivig,
        biologics=biologics,
        other_treatments=others,
    )


def _complete(answers: dict[str, str] | None, instrument: str) -> dict[str, str] | None:
    """Keep an instrument's answers only when every item is present."""
    if answers is None or set(answers) != set(ASSESSMENT_ANSWERS[instrument]):
        return None
    return answers


def _treatments(
    episode_id: str, rows: list[dict[str, Any]]
) -> tuple[
    tuple[SteroidSegment, ...],
    tuple[IvigDose, ...],
    tuple[BiologicRegimen, ...],
    tuple[OtherTreatment, ...],
]:
    steroids, ivig, biologics, others = [], [], [], []
    for row in rows:
        kind = row["kind"]
        if kind == "steroid":
            steroids.append(
                SteroidSegment(
                    episode_id,
                    row["agent"],
                    row["route"] or "",
                    row["start_date"],
                    row["end_date"],
                    row["dose"],
                )
            )
        elif kind == "ivig":
            last = row["end_date"] or row["start_date"]
            for offset in range((last - row["start_date"]).days + 1):
                on = date.fromordinal(row["start_date"].toordinal() + offset)
                per_kg = row["dose_unit"] == "g/kg/d"
                ivig.append(
                    IvigDose(
                        episode_id,
                        on,
                        dose_g_per_kg=row["dose"] if per_kg else None,
                        dose_g=None if per_kg else row["dose"],
                    )
                )
        elif kind == "biologic":
            biologics.append(
                BiologicRegimen(
                    episode_id,
                    row["agent"],
                    row["start_date"],
                    row["dose"],
                    row["interval_days"],
                    end=row["end_date"],
                    loading_dose_mg=row["loading_dose"],
                )
            )
        else:
            others.append(
                OtherTreatment(
                    episode_id,
                    row["agent"],
                    row["start_date"],
                    row["end_date"],
                    dose=row["dose"],
                    dose_unit=row["dose_unit"],
                )
            )
    return tuple(steroids), tuple(ivig), tuple(biologics), tuple(others)


# --- validation ------------------------------------------------------------------------------


class _Problems:
    """Collects InputErrors up to a cap, counting the rest."""

    def __init__(self, source: str, cap: int) -> None:
        self.source = source
        self.cap = cap
        self.errors: list[InputError] = []
        self.more = 0

    def add(self, table: str, row: int | None, field: str, value: object, expected: str) -> None:
        if len(self.errors) < self.cap:
            shown = EMPTY_CELL if value is None else value
            self.errors.append(
                InputError(field, shown, expected, source=f"{self.source}/{table}.csv", row=row)
            )
        else:
            self.more += 1

    def rows(
        self, table: str, frame: pl.DataFrame, failing: pl.Expr, field: str, expected: str
    ) -> None:
        """Report every row of ``frame`` where ``failing`` is true (the raw value of field)."""
        self.rows_many(table, frame, [(failing, field, expected)])

    def rows_many(
        self, table: str, frame: pl.DataFrame, checks: list[tuple[pl.Expr, str, str]]
    ) -> None:
        """Run several row checks with one pass to count, then list only the failing ones."""
        if not checks:
            return
        counts = frame.select(
            [
                failing.fill_null(False).sum().alias(f"c{i}")
                for i, (failing, _, _) in enumerate(checks)
            ]
        ).row(0)
        for (failing, field, expected), count in zip(checks, counts, strict=True):
            if not count:
                continue
            if self.full:
                self.more += int(count)
                continue
            bad = frame.filter(failing.fill_null(False))
            value_column = field if field in bad.columns else _ROW
            for row, value in bad.select(_ROW, value_column).head(self.cap).iter_rows():
                self.add(table, row, field, value, expected)
            if bad.height > self.cap:
                self.more += bad.height - self.cap

    @property
    def full(self) -> bool:
        return len(self.errors) >= self.cap

    def raise_if_any(self) -> None:
        if not self.errors:
            return
        errors = list(self.errors)
        if self.more:
            errors.append(
                InputError(
                    "<bundle>",
                    f"{self.more} more problem(s)",
                    "fixed as well (the first ones are listed above)",
                    source=self.source,
                )
            )
        raise InputErrors(errors)


def _absent(name: str) -> pl.Expr:
    """No value in the file (a value that failed to parse is present: reported once, as such)."""
    return ~pl.col(f"__raw_{name}")


def _check_columns(name: str, frame: pl.DataFrame, problems: _Problems) -> pl.DataFrame | None:
    """Check headers; return the frame with the row number and every declared column."""
    declared = {column.name: column for column in TABLES[name]}
    for column in frame.columns:
        if column not in declared:
            problems.add(
                name, None, column, column, "a column of this file: " + ", ".join(declared)
            )
    missing = [c.name for c in TABLES[name] if c.required and c.name not in frame.columns]
    for column in missing:
        problems.add(name, None, column, None, "present: a required column of this file")
    if missing:
        return None
    frame = frame.with_columns(
        [pl.lit(None, dtype=pl.Utf8).alias(c) for c in declared if c not in frame.columns]
    )
    return frame.select(
        pl.int_range(1, pl.len() + 1, dtype=pl.Int64).alias(_ROW),
        *[_as_cell(c, frame.schema[c]) for c in declared],
    )


def _as_cell(name: str, dtype: pl.DataType) -> pl.Expr:
    """Return a raw text cell ('' -> null); typed columns unchanged.

    Cells are not trimmed: a value with stray spaces fails its check and is shown as written,
    rather than silently altered. A reader may hand over columns it already parsed (dates,
    numbers) when every cell of the file parsed; those need no text handling.
    """
    if dtype != pl.Utf8:
        return pl.col(name)  # parsed by the reader (dates, numbers, enumerated codes)
    return pl.col(name).replace("", None).alias(name)


_PARSED_TYPES: Final = {"date": pl.Date, "time": pl.Time, "number": pl.Float64, "integer": pl.Int64}


def _parse(column: Column) -> tuple[pl.Expr, str]:
    """Return the expression parsing a text column, and what a cell must look like."""
    col = pl.col(column.name)
    if column.kind == "date":
        return col.str.to_date(_DATE_FORMAT, strict=False), "a date written YYYY-MM-DD"
    if column.kind == "time":
        return col.str.to_time(_TIME_FORMAT, strict=False), "a time written HH:MM (24 h)"
    if column.kind == "number":
        return col.cast(pl.Float64, strict=False), "a decimal number with '.' as the decimal mark"
    return col.cast(pl.Int64, strict=False), "a whole number"


def _typed(name: str, frame: pl.DataFrame, problems: _Problems) -> pl.DataFrame:
    """Check required values, codes and cell types; return the typed frame."""
    conversions = []
    checks: list[tuple[pl.Expr, str, str]] = []
    for column in TABLES[name]:
        col = pl.col(column.name)
        if column.required:
            checks.append((col.is_null(), column.name, "a value (this column is required)"))
        if column.kind == "code":
            if frame.schema[column.name] == pl.Utf8:  # an enumeration read was checked already
                checks.append(
                    (
                        col.is_not_null() & ~col.is_in(list(column.codes)),
                        column.name,
                        "one of " + ", ".join(column.codes),
                    )
                )
            continue
        if column.kind not in _PARSED_TYPES:
            continue
        if frame.schema[column.name] == _PARSED_TYPES[column.kind]:
            parsed = col  # already parsed by the reader: every cell was valid
        else:
            parsed, expected = _parse(column)
            failed = col.is_not_null() & parsed.is_null()
            if column.kind in ("number", "integer"):
                comma = col.str.contains(",", literal=True)
                checks.append((failed & comma, column.name, expected + " (a ',' was found)"))
                failed = failed & ~comma
            checks.append((failed, column.name, expected))
        if column.bounds is not None:
            low, high = column.bounds
            checks.append(
                ((parsed < low) | (parsed > high), column.name, f"between {low:g} and {high:g}")
            )
        conversions.append(parsed.alias(column.name))
    problems.rows_many(name, frame, checks)
    # The raw cell is kept so that later checks can tell "absent" from "failed to parse".
    raw = [
        pl.col(c.name).is_not_null().alias(f"__raw_{c.name}")
        for c in TABLES[name]
        if c.kind in _PARSED_TYPES
    ]
    return frame.with_columns(raw).with_columns(conversions)


def _unique(
    name: str,
    frame: pl.DataFrame,
    keys: list[str],
    problems: _Problems,
    what: str,
    *,
    field: str | None = None,
) -> None:
    """Report rows whose ``keys`` repeat another row's (nulls in ``time`` count as equal).

    The error names ``field`` (default: the first key, or the only one) and its raw value.
    """
    # Hash the keys first (one cheap pass); compare exactly only the rows whose hash repeats.
    # XOR of per-column hashes: cheaper than hashing a struct; collisions are re-checked below.
    key = pl.col(keys[0]).hash(seed=1)
    for seed, name_of_key in enumerate(keys[1:], start=2):
        key = key.xor(pl.col(name_of_key).hash(seed=seed))
    hashed = frame.select(_ROW, key.alias("__key"))
    if hashed.select(pl.col("__key").n_unique()).item() == hashed.height:
        return  # every hash distinct: no duplicate rows (the common case, one fast pass)
    candidates = hashed.filter(pl.col("__key").is_duplicated()).get_column(_ROW)
    if candidates.len() == 0:
        return
    subset = frame.filter(pl.col(_ROW).is_in(candidates.implode()))
    duplicated = pl.struct(keys).is_duplicated() & pl.all_horizontal(
        [pl.col(k).is_not_null() for k in keys if k != "time"]
    )
    problems.rows(
        name,
        subset,
        duplicated,
        field or keys[0],
        f"unique: {what} appears more than once",
    )


@dataclass(frozen=True)
class _EpisodeLookup:
    """Episode ids as an enumeration, with each episode's window, for column-wise lookups.

    Casting a text ``episode_id`` column to :attr:`ids` numbers every row by its episode
    (null for an unknown id) in one cheap pass; the window bounds are then gathered by that
    number. On millions of rows this is much cheaper than joining or mapping text keys.
    """

    ids: pl.Enum
    earliest: pl.Series  # first date allowed (onset - WINDOW_BEFORE_ONSET_DAYS), per number
    onset: pl.Series
    last: pl.Series  # last follow-up; null where the episode's own dates are inconsistent

    @classmethod
    def of(cls, episodes: pl.DataFrame) -> _EpisodeLookup:
        distinct = episodes.filter(pl.col("episode_id").is_not_null()).unique(
            "episode_id", keep="first", maintain_order=True
        )
        # Episodes whose own dates are wrong are reported once, not again through every row.
        consistent = pl.col("last_follow_up_date") >= pl.col("onset_date")
        onset = pl.when(consistent).then(pl.col("onset_date"))
        bounds = distinct.select(
            onset.alias("onset"),
            (onset - pl.duration(days=WINDOW_BEFORE_ONSET_DAYS)).alias("earliest"),
            pl.when(consistent).then(pl.col("last_follow_up_date")).alias("last"),
        )
        return cls(
            ids=pl.Enum(distinct.get_column("episode_id")),
            earliest=bounds.get_column("earliest"),
            onset=bounds.get_column("onset"),
            last=bounds.get_column("last"),
        )

    def number(self) -> pl.Expr:
        """Return the episode number of each row's ``episode_id`` (null when unknown)."""
        return pl.col("episode_id").cast(self.ids, strict=False).to_physical()


def _references(
    name: str,
    frame: pl.DataFrame,
    column: str,
    known: pl.Series,
    problems: _Problems,
    target: str,
) -> None:
    problems.rows(
        name,
        frame,
        pl.col(column).is_not_null() & ~pl.col(column).is_in(known.implode()),
        column,
        f"an id present in {target}",
    )


def _manifest(frame: pl.DataFrame, problems: _Problems) -> dict[str, str]:
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


_CODES: Final = list(OBSERVATION_CODES)
_UNITS: Final = list(UNIT_ENUM.categories)


def _pair_number() -> pl.Expr:
    """Return the number of each row's (code, unit) pair: code * units + unit (or null)."""
    code = pl.col("code").cast(CODE_ENUM, strict=False).to_physical().cast(pl.Int64)
    unit = pl.col("unit").cast(UNIT_ENUM, strict=False).to_physical().cast(pl.Int64)
    return code * len(_UNITS) + unit


def _conversion_series() -> tuple[pl.Series, pl.Series]:
    """Scale and offset to the canonical unit for every pair number (null: not accepted).

    Computed through pint (:func:`dresskit.course.codes.linear_conversion`), once per process.
    """
    scales: list[float | None] = [None] * (len(_CODES) * len(_UNITS))
    offsets: list[float | None] = list(scales)
    for code_number, (code, definition) in enumerate(OBSERVATION_CODES.items()):
        for unit in definition.accepted_units:
            pair = code_number * len(_UNITS) + _UNITS.index(unit)
            scales[pair], offsets[pair] = linear_conversion(code, unit)
    return pl.Series(scales, dtype=pl.Float64), pl.Series(offsets, dtype=pl.Float64)


def _per_code(values: list[object], dtype: pl.DataType) -> pl.Expr:
    """Gather ``values`` (one per observation code, in code order) by each row's code."""
    code = pl.col("code").cast(CODE_ENUM, strict=False).to_physical()
    return pl.lit(pl.Series(values, dtype=dtype)).gather(code)


def _observations(
    frame: pl.DataFrame, episodes: _EpisodeLookup, problems: _Problems
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


def _window(name: str, frame: pl.DataFrame, episodes: _EpisodeLookup, problems: _Problems) -> None:
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


def _findings(frame: pl.DataFrame, episodes: _EpisodeLookup, problems: _Problems) -> None:
    name = "findings"
    problems.rows(
        name,
        frame,
        pl.col("episode_id").is_not_null() & episodes.number().is_null(),
        "episode_id",
        "an id present in episodes.csv",
    )
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
    problems: _Problems,
) -> pl.DataFrame:
    name = "treatments"
    problems.rows(
        name,
        frame,
        pl.col("episode_id").is_not_null() & lookup.number().is_null(),
        "episode_id",
        "an id present in episodes.csv",
    )
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
    return weighted.with_columns(
        pl.when(per_kg).then((dose * pl.col("kg")).round(3)).otherwise(dose).alias("dose"),
        pl.when(per_kg).then(pl.lit("mg/d")).otherwise(unit).alias("dose_unit"),
    ).pipe(_public, name)


def _assessments(frame: pl.DataFrame, exposures: pl.DataFrame, problems: _Problems) -> None:
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


def _public(frame: pl.DataFrame, name: str) -> pl.DataFrame:
    """Keep the declared columns only (no row numbers or raw cells), codes as enumerations.

    A file read with its types already has enumerated codes; one read as text (a bad cell, a
    workbook, a registry, FHIR, REDCap) is cast here, so a bundle's column types never depend
    on where it came from.
    """
    return frame.select(
        [
            pl.col(column.name).cast(pl.Enum(column.codes), strict=False)
            if column.kind == "code" and column.codes and name != "observations"
            else pl.col(column.name)
            for column in TABLES[name]
        ]
    )


def validate_tables(
    tables: Mapping[str, pl.DataFrame], *, source: str, max_errors: int = 1000
) -> Bundle:
    """Validate a bundle's raw tables and return the typed :class:`Bundle`.

    Parameters
    ----------
    tables
        File stem (``"patients"``, ...) -> frame as read, every cell a string (or null).
    source
        The bundle's path, used in every error's location.
    max_errors
        Report at most this many problems (and count the rest).

    Raises
    ------
    InputErrors
        Every problem found, each with file, row, column, value and what is accepted.
    """
    problems = _Problems(source, max_errors)
    for name in REQUIRED_TABLES:
        if name not in tables:
            problems.add(name, None, "<file>", f"{name}.csv", "present: a required file")
    for name in tables:
        if name not in TABLES:
            problems.add(
                name,
                None,
                "<file>",
                f"{name}.csv",
                "one of the bundle's files: " + ", ".join(TABLES),
            )
    raw: dict[str, pl.DataFrame] = {}
    for name in TABLES:
        frame = tables.get(name)
        if frame is None:
            if name in OPTIONAL_TABLES:
                frame = pl.DataFrame(schema={c.name: pl.Utf8 for c in TABLES[name]})
            else:
                continue
        checked = _check_columns(name, frame, problems)
        if checked is not None:
            raw[name] = checked
    problems.raise_if_any()
    typed = {name: _typed(name, frame, problems) for name, frame in raw.items()}
    manifest = _manifest(typed["manifest"], problems)
    patients, episodes = typed["patients"], typed["episodes"]
    _unique("patients", patients, ["patient_id"], problems, "patient_id")
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
    problems.rows(
        "episodes",
        episodes,
        pl.col("admission_date")
        < pl.col("onset_date") - pl.duration(days=ADMISSION_DAYS_BEFORE_ONSET),
        "admission_date",
        f"no earlier than {ADMISSION_DAYS_BEFORE_ONSET} days before onset_date",
    )
    exposures = typed["drug_exposures"]
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
        "the same drug within an episode",
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
    _assessments(typed["drug_assessments"], exposures, problems)
    lookup = _EpisodeLookup.of(episodes)
    observations = _observations(typed["observations"], lookup, problems)
    _findings(typed["findings"], lookup, problems)
    treatments = _treatments_check(typed["treatments"], episodes, lookup, observations, problems)
    problems.raise_if_any()
    return Bundle(
        manifest=manifest,
        patients=_public(patients, "patients"),
        episodes=_public(episodes, "episodes"),
        drug_exposures=_public(exposures, "drug_exposures"),
        drug_assessments=_public(typed["drug_assessments"], "drug_assessments"),
        observations=observations,
        findings=_public(typed["findings"], "findings"),
        treatments=treatments,
    )
