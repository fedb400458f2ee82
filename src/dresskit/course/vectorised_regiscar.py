"""RegiSCAR for many episodes at once: items derived column-wise, scored by the instrument.

The per-episode reference is :func:`dresskit.course.diagnosis.regiscar_from_course`: build a
:class:`~dresskit.course.model.PatientCourse`, read each item's data from it, and score the
answers with :func:`dresskit.scoring.regiscar.score`. Building ten thousand courses as Python
objects takes seconds; :func:`regiscar_table` reads the same data from the observation and
finding tables with polars expressions instead, one pass per item, and gives exactly the
result of :func:`dresskit.analysis.baseline.regiscar_frame` over the courses (a property test
checks this on generated data).

The instrument stays the single source of the scoring rules:

- the thresholds come from :mod:`dresskit.scoring.regiscar` (fever, eosinophil count and
  percentage bands, leukopenia, the consistency tolerances) and the course rules from
  :mod:`dresskit.course.diagnosis` (lymph node sites, rash extent, suggestive features,
  resolution days);
- each item is turned into the answer word the instrument would resolve it to, and every
  distinct combination of answer words is scored once by :func:`regiscar.score` itself
  (points, total, class, unknown items and reachable range are never recomputed here);
- an episode whose raw values come within rounding distance of a threshold, or that the
  instrument may refuse (a temperature outside the body range, an eosinophil count that
  disagrees with the same day's leukocytes and percentage, a value the input model does not
  accept), is scored per episode from exactly the answers
  :func:`~dresskit.course.diagnosis.regiscar_from_course` would give, so its total or its
  refusal message is the instrument's own.

Temperatures: :func:`dresskit.units.to_degrees_celsius` converts through pint; here the fixed,
exact factors of the definitions are used, °C = (°F − 32) × 5/9 and °C = K − 273.15 (SI
Brochure [2]; NIST SP 811 [3]), rounded to the same 6 decimals. Bundle observations are
already in the canonical unit (``Cel``, docs/data-format.md), which is what the course path
passes to the instrument.

References
----------
.. [1] Kardaun SH et al. Br J Dermatol. 2007;156:609-611; 2013;169:1071-1080
   (clinical-reference.md §1.1-1.4, §11).
.. [2] Bureau International des Poids et Mesures. The International System of Units (SI),
   9th edition, 2019, §2.3.1 (Celsius temperature, t/°C = T/K − 273.15).
.. [3] Thompson A, Taylor BN. Guide for the Use of the International System of Units (SI).
   NIST Special Publication 811, 2008 edition, Appendix B.9 "Factors for units listed by kind
   of quantity", Temperature (degree Fahrenheit: t/°C = (t/°F − 32)/1.8, exact).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

import polars as pl

from dresskit.course.diagnosis import (
    ENLARGED_NODE_SITES,
    RESOLUTION_DAYS,
    SKIN_EXTENT_OVER_PCT,
    SUGGESTIVE_FEATURES,
    UNSPECIFIED_SITE,
)
from dresskit.errors import InputErrors
from dresskit.scoring import regiscar
from dresskit.units import BODY_TEMPERATURE_RANGE_CEL

__all__ = [
    "CELSIUS_DECIMALS",
    "FAHRENHEIT_OFFSET",
    "FAHRENHEIT_PER_CELSIUS",
    "KELVIN_AT_ZERO_CELSIUS",
    "REGISCAR_TABLE_SCHEMA",
    "degrees_celsius",
    "regiscar_table",
]

#: °C = (°F − FAHRENHEIT_OFFSET) / FAHRENHEIT_PER_CELSIUS, exact by definition (NIST SP 811 [3]).
FAHRENHEIT_OFFSET: Final = 32.0
FAHRENHEIT_PER_CELSIUS: Final = 1.8
#: °C = K − 273.15, exact by definition (SI Brochure [2]).
KELVIN_AT_ZERO_CELSIUS: Final = 273.15
#: Decimals a converted temperature is rounded to, as :func:`dresskit.units.to_degrees_celsius`.
CELSIUS_DECIMALS: Final = 6

#: The columns and types of the result, those of ``analysis.baseline.regiscar_frame``.
REGISCAR_TABLE_SCHEMA: Final[Mapping[str, pl.DataType]] = {
    "episode_id": pl.Utf8(),
    "regiscar_total": pl.Float64(),
    "regiscar_class": pl.Utf8(),
    "regiscar_items_unknown": pl.Int64(),
    "regiscar_reachable_low": pl.Int64(),
    "regiscar_reachable_high": pl.Int64(),
    "regiscar_problem": pl.Utf8(),
}

# Raw values closer than this to a threshold are scored per episode: the instrument compares
# values rounded to 3 decimals (counts per µL) or 6 (°C), which this column-wise path does
# not reproduce bit for bit; far from every threshold the rounding cannot change an answer.
_NEAR_COUNT: Final = 0.01
_NEAR_CELSIUS: Final = 1e-5

_OBSERVATION_CODES: Final = (
    "temperature",
    "eosinophils",
    "leukocytes",
    "eosinophils_pct",
    "atypical_lymphocytes_pct",
    "rash_bsa",
)
_PEAK_CODES: Final = ("temperature", "eosinophils", "atypical_lymphocytes_pct", "rash_bsa")
_FINDING_CODES: Final = (
    "lymph_nodes",
    "rash_feature",
    "facial_oedema",
    "biopsy",
    "organ_involvement",
    "other_cause_test",
)
_RASH_FEATURES: Final = ("oedema", "infiltration", "purpura", "scaling")
_OTHER_CAUSE_TESTS: Final = (
    "ana",
    "blood_culture",
    "hav",
    "hbv",
    "hcv",
    "chlamydia",
    "mycoplasma",
    "other_serology_pcr",
)
_TEST_RESULTS: Final = ("negative", "positive", "not_done")
_ITEMS: Final = tuple(regiscar.POINTS)
_COLUMNS: Final = list(REGISCAR_TABLE_SCHEMA)


def degrees_celsius(value: pl.Expr, unit: str) -> pl.Expr:
    """Column form of :func:`dresskit.units.to_degrees_celsius`, with the exact fixed factors.

    ``unit`` is ``"Cel"``, ``"[degF]"`` or ``"K"``; the result is rounded to
    :data:`CELSIUS_DECIMALS` decimals (the range check is the caller's).

    Raises
    ------
    ValueError
        For any other unit.

    Examples
    --------
    >>> pl.select(degrees_celsius(pl.lit(101.3), "[degF]")).item()
    38.5
    """
    if unit == "Cel":
        celsius = value
    elif unit == "[degF]":
        celsius = (value - FAHRENHEIT_OFFSET) / FAHRENHEIT_PER_CELSIUS
    elif unit == "K":
        celsius = value - KELVIN_AT_ZERO_CELSIUS
    else:
        raise ValueError(f"a temperature unit Cel, [degF] or K, got {unit!r}")
    return celsius.round(CELSIUS_DECIMALS)


def _observation_items(observations: pl.DataFrame) -> pl.DataFrame:
    """Per episode: the raw values the observation items read (see the module docstring)."""
    code, value, day = pl.col("code"), pl.col("value"), pl.col("date")
    used = observations.select("episode_id", "date", "time", "code", "value").filter(
        code.is_in(_OBSERVATION_CODES) & value.is_not_null()
    )
    if used.select(value.is_nan().any()).item():
        raise ValueError("observation values must not be NaN (the bundle refuses them)")
    # Elementwise columns first, then only plain aggregations per (episode, code): several
    # times faster than filtering inside each group.
    peaks = (
        used.filter(code.is_in(_PEAK_CODES))
        .with_columns((value > 0).alias("positive"), pl.when(value == 0).then(day).alias("cleared"))
        .group_by("episode_id", "code")
        .agg(
            value.max().alias("peak"),
            day.max().alias("last"),
            pl.col("positive").max(),
            pl.col("cleared").min(),
        )
        .with_columns(code.cast(pl.Utf8))
    )

    def of(name: str, **columns: str) -> pl.DataFrame:
        return peaks.filter(code == name).select(
            "episode_id", *[pl.col(old).alias(new) for new, old in columns.items()]
        )

    eosinophils = used.filter(code == "eosinophils")
    # The first peak in time order is the earliest-dated one: its day is the peak day.
    peak_days = (
        eosinophils.filter(value == value.max().over("episode_id"))
        .group_by("episode_id")
        .agg(day.min())
    )
    # The same day's leukocytes and percentage: the last of that day in time order.
    same_day = (
        used.filter(code.is_in(["leukocytes", "eosinophils_pct"]))
        .join(peak_days, on=["episode_id", "date"], how="semi")
        .with_row_index("__order")
        .sort(pl.col("time").fill_null(pl.time(0)), "__order")
        .group_by("episode_id")
        .agg(
            value.filter(code == "leukocytes").last().alias("leukocytes"),
            value.filter(code == "eosinophils_pct").last().alias("eosinophils_pct"),
        )
    )
    return (
        of("temperature", temperature="peak")
        .join(of("eosinophils", eosinophils="peak"), on="episode_id", how="full", coalesce=True)
        .join(same_day, on="episode_id", how="left")
        .join(
            of("atypical_lymphocytes_pct", atypical_any="positive"),
            on="episode_id",
            how="full",
            coalesce=True,
        )
        .join(
            of("rash_bsa", rash_peak="peak", rash_clear="cleared", rash_last="last"),
            on="episode_id",
            how="full",
            coalesce=True,
        )
    )


def _finding_items(findings: pl.DataFrame) -> pl.DataFrame:
    """Per episode: what the finding items read, in the findings' own order."""
    code, value = pl.col("code"), pl.col("value")
    # The course path reads a detail only when it is truthy: "" counts as no detail.
    detail = pl.when(pl.col("detail") != "").then(pl.col("detail"))
    used = findings.select(
        "episode_id", code.cast(pl.Utf8), "value", detail.alias("detail")
    ).filter(code.is_in(_FINDING_CODES))
    tests = (
        used.filter((code == "other_cause_test") & pl.col("detail").is_not_null())
        .group_by("episode_id", "detail", maintain_order=True)
        .agg(value.last())
        .group_by("episode_id", maintain_order=True)
        .agg(pl.struct("detail", "value").alias("tests"))
    )
    no_text: pl.Expr = pl.lit([], dtype=pl.List(pl.Utf8))
    return (
        used.group_by("episode_id")
        .agg(
            pl.col("detail")
            .filter((code == "lymph_nodes") & (value == "enlarged"))
            .fill_null(UNSPECIFIED_SITE)
            .n_unique()
            .alias("nodes_enlarged"),
            (value.filter(code == "lymph_nodes") == "normal").any().alias("nodes_normal"),
            value.filter(code == "rash_feature").unique().alias("rash_features"),
            (value.filter(code == "facial_oedema") == "present").any().alias("oedema"),
            value.filter(code == "biopsy").last().alias("biopsy"),
            value.filter(code == "organ_involvement").unique().sort().alias("organs"),
            (code == "other_cause_test").any().alias("tested"),
        )
        .with_columns(
            pl.concat_list(
                "rash_features",
                pl.when(pl.col("oedema")).then(pl.lit(["oedema"])).otherwise(no_text),
            )
            .list.unique()
            .list.sort()
            .alias("features")
        )
        .join(tests, on="episode_id", how="left")
    )


def _answer_words(items: pl.DataFrame) -> pl.DataFrame:
    """Add each item's answer word, and ``__exact`` for the episodes scored one by one."""
    celsius = degrees_celsius(pl.col("temperature"), "Cel")
    low, high = BODY_TEMPERATURE_RANGE_CEL
    count = pl.col("eosinophils") * 1000
    wbc = pl.col("leukocytes") * 1000
    pct = pl.col("eosinophils_pct")
    has_wbc = pl.col("leukocytes").is_not_null()
    has_pct = has_wbc & pct.is_not_null()
    # regiscar._check_consistent, with the same tolerances.
    above_wbc = count - (
        wbc * regiscar.COUNT_OVER_LEUKOCYTES_FACTOR + regiscar.CELL_COUNT_TOLERANCE_PER_UL
    )
    disagree = (count - wbc * pct / 100).abs() - (
        wbc * regiscar.DIFFERENTIAL_TOLERANCE_PCT / 100 + regiscar.CELL_COUNT_TOLERANCE_PER_UL
    )

    def near(value: pl.Expr, threshold: float, distance: float = _NEAR_COUNT) -> pl.Expr:
        return (value - threshold).abs() < distance

    temperature_exact = pl.col("temperature").is_not_null() & (
        (celsius < low)
        | (celsius > high)
        | near(celsius, low, _NEAR_CELSIUS)
        | near(celsius, high, _NEAR_CELSIUS)
        | near(celsius, regiscar.FEVER_THRESHOLD_CEL, _NEAR_CELSIUS)
    )
    has_count = pl.col("eosinophils").is_not_null()
    # What the input model itself refuses (count >= 0, leukocytes > 0, 0 <= % <= 100).
    refused_by_model = has_count & (
        (count < _NEAR_COUNT)
        | (has_wbc & (wbc < _NEAR_COUNT))
        | (has_pct & ((pct < 0) | (pct > 100)))
    )
    inconsistent = has_count & ((has_wbc & (above_wbc > 0)) | (has_pct & (disagree > 0))).fill_null(
        False
    )
    consistency_near = has_count & (
        (has_wbc & near(above_wbc, 0.0)) | (has_pct & near(disagree, 0.0))
    ).fill_null(False)
    threshold_near = has_count & (
        near(count, regiscar.EOSINOPHILS_LOW_PER_UL)
        | near(count, regiscar.EOSINOPHILS_HIGH_PER_UL)
        | (has_wbc & near(wbc, regiscar.LEUKOPENIA_BELOW_PER_UL))
    ).fill_null(False)
    tests = pl.col("tests").fill_null([])
    findings_exact = (
        pl.col("features").list.eval(~pl.element().is_in(_RASH_FEATURES)).list.any()
        | pl.col("organs").list.eval(~pl.element().is_in(regiscar.ORGANS)).list.any()
        | tests.list.eval(
            ~pl.element().struct.field("detail").is_in(_OTHER_CAUSE_TESTS)
            | ~pl.element().struct.field("value").is_in(_TEST_RESULTS)
        ).list.any()
    ).fill_null(False)

    def level(value: pl.Expr, low: float, high: float) -> pl.Expr:
        return (
            pl.when(value >= high)
            .then(pl.lit("yes_1500_or_more"))
            .when(value >= low)
            .then(pl.lit("yes_700_to_1499"))
            .otherwise(pl.lit("no"))
        )

    by_count = level(count, regiscar.EOSINOPHILS_LOW_PER_UL, regiscar.EOSINOPHILS_HIGH_PER_UL)
    by_pct = level(pct, regiscar.EOSINOPHILS_LOW_PCT, regiscar.EOSINOPHILS_HIGH_PCT)
    eos_points = regiscar.POINTS["eosinophilia"]
    percentage_path = has_pct & (wbc < regiscar.LEUKOPENIA_BELOW_PER_UL)
    higher_by_pct = by_pct.replace_strict(
        eos_points, return_dtype=pl.Int64
    ) > by_count.replace_strict(eos_points, return_dtype=pl.Int64)
    negatives = tests.list.eval(pl.element().struct.field("value") == "negative").list.sum()
    positives = tests.list.eval(pl.element().struct.field("value") == "positive").list.any()
    onset = pl.col("onset_date")
    words = {
        "fever": pl.when(pl.col("temperature").is_null())
        .then(pl.lit("unknown"))
        .when(celsius >= regiscar.FEVER_THRESHOLD_CEL)
        .then(pl.lit("yes"))
        .otherwise(pl.lit("no")),
        "lymph_nodes": pl.when(pl.col("nodes_enlarged").fill_null(0) >= ENLARGED_NODE_SITES)
        .then(pl.lit("yes"))
        .when(pl.col("nodes_normal").fill_null(False))
        .then(pl.lit("no"))
        .otherwise(pl.lit("unknown")),
        "eosinophilia": pl.when(pl.col("eosinophils").is_null())
        .then(pl.lit("unknown"))
        .when(percentage_path & higher_by_pct)
        .then(by_pct)
        .otherwise(by_count),
        "atypical_lymphocytes": pl.when(pl.col("atypical_any").is_null())
        .then(pl.lit("unknown"))
        .when(pl.col("atypical_any"))
        .then(pl.lit("yes"))
        .otherwise(pl.lit("no")),
        "skin_extent_over_50pct": pl.when(pl.col("rash_peak").is_null())
        .then(pl.lit("unknown"))
        .when(pl.col("rash_peak") > SKIN_EXTENT_OVER_PCT)
        .then(pl.lit("yes"))
        .otherwise(pl.lit("no")),
        # Fewer than two features recorded is not "fewer than two present": unknown.
        "skin_suggestive": pl.when(
            pl.col("features").list.len().fill_null(0) >= SUGGESTIVE_FEATURES
        )
        .then(pl.lit("yes"))
        .otherwise(pl.lit("unknown")),
        "biopsy_suggestive": pl.when(pl.col("biopsy").is_null())
        .then(pl.lit("unknown"))
        .when(pl.col("biopsy") == "suggestive")
        .then(pl.lit("yes"))
        .otherwise(pl.lit("no")),
        "organ_involvement": pl.when(pl.col("organs").list.len().fill_null(0) == 0)
        .then(pl.lit("unknown"))
        .when(pl.col("organs").list.len() == 1)
        .then(pl.lit("one_organ"))
        .otherwise(pl.lit("two_or_more_organs")),
        "resolution_15_days": pl.when(pl.col("rash_clear").is_not_null())
        .then(
            pl.when((pl.col("rash_clear") - onset).dt.total_days() >= RESOLUTION_DAYS)
            .then(pl.lit("yes"))
            .otherwise(pl.lit("no"))
        )
        .when((pl.col("rash_last") - onset).dt.total_days() >= RESOLUTION_DAYS)
        .then(pl.lit("yes"))
        .otherwise(pl.lit("unknown")),
        "other_causes_excluded": pl.when(positives.fill_null(False))
        .then(pl.lit("no"))
        .when(negatives.fill_null(0) >= regiscar.OTHER_CAUSE_TESTS_REQUIRED)
        .then(pl.lit("yes"))
        .otherwise(pl.lit("unknown")),
    }
    # Scored one by one: whatever may be refused before the eosinophil check, or lies within
    # rounding distance of a threshold; refused by the eosinophil check alone: "__refused".
    before_eosinophils = (
        temperature_exact.fill_null(False) | refused_by_model.fill_null(False) | findings_exact
    )
    exact = before_eosinophils | consistency_near | (~inconsistent & threshold_near)
    return items.with_columns(
        *[expression.alias(item) for item, expression in words.items()],
        exact.alias("__exact"),
        (~exact & inconsistent).alias("__refused"),
    )


def _raw_answers(row: Mapping[str, Any]) -> dict[str, Any]:
    """Rebuild the answers ``regiscar_from_course`` gives from one episode's column values."""
    answers: dict[str, Any] = {item: row[item] for item in _ITEMS}
    if row["temperature"] is not None:
        answers["fever"] = {"max_temperature": {"value": row["temperature"], "unit": "Cel"}}
    if row["eosinophils"] is not None:
        raw: dict[str, float] = {"eosinophils_per_ul": round(row["eosinophils"] * 1000, 3)}
        if row["leukocytes"] is not None:
            raw["wbc_per_ul"] = round(row["leukocytes"] * 1000, 3)
            if row["eosinophils_pct"] is not None:
                raw["eosinophils_pct"] = row["eosinophils_pct"]
        answers["eosinophilia"] = raw
    if len(row["features"] or ()) >= SUGGESTIVE_FEATURES:
        answers["skin_suggestive"] = {"features": list(row["features"])}
    if row["organs"]:
        answers["organ_involvement"] = list(row["organs"])
    if row["tested"]:
        answers["other_causes_excluded"] = {
            "tests": {test["detail"]: test["value"] for test in row["tests"] or ()}
        }
    return answers


def _scored(answers: Mapping[str, Any], source: str | None) -> tuple[Any, ...]:
    """(total, class, unknown items, reachable low, high, problem), as regiscar_frame."""
    try:
        result = regiscar.score(answers, source=source)
    except InputErrors as error:
        problem = error.errors[0].message if error.errors else str(error)
        return (None, "not scored", None, None, None, problem)
    low, high = result.reachable_total or (None, None)
    return (
        float(result.total) if result.total is not None else None,
        result.classification or "unknown",
        len(result.unknown_items),
        low,
        high,
        None,
    )


def regiscar_table(
    episodes: pl.DataFrame, observations: pl.DataFrame, findings: pl.DataFrame
) -> pl.DataFrame:
    """Score RegiSCAR for every episode from its own data, column-wise (one row per episode).

    Parameters
    ----------
    episodes, observations, findings
        Validated bundle tables (``docs/data-format.md``; observation values in their
        canonical units): ``episodes`` needs ``episode_id`` and ``onset_date``,
        ``observations`` ``episode_id``, ``date``, ``time``, ``code`` and ``value``,
        ``findings`` ``episode_id``, ``code``, ``value`` and ``detail``.

    Returns
    -------
    polars.DataFrame
        In the episodes' order, the columns of :data:`REGISCAR_TABLE_SCHEMA`, equal to
        ``dresskit.analysis.baseline.regiscar_frame`` over the episodes' courses: items
        without data are unknown and score as the instrument scores "unknown"; an episode
        whose data the instrument refuses is ``"not scored"`` with the instrument's reason.

    Raises
    ------
    ValueError
        For a NaN observation value (a validated bundle holds none).
    """
    base = episodes.select("episode_id", "onset_date").with_row_index("__row")
    items = (
        base.join(_observation_items(observations), on="episode_id", how="left")
        .join(_finding_items(findings), on="episode_id", how="left")
        .sort("__row")
    )
    answered = _answer_words(items)
    plain = answered.filter(~pl.col("__exact") & ~pl.col("__refused"))
    words = plain.select(_ITEMS).unique()
    # Each distinct combination of answers is scored once, by the instrument itself.
    results = [_scored(dict(zip(_ITEMS, row, strict=True)), None) for row in words.rows()]
    scored_words = pl.concat(
        [words, pl.DataFrame(results, schema=_result_schema(), orient="row")], how="horizontal"
    )
    parts = [plain.join(scored_words, on=list(_ITEMS), how="left").select("__row", *_COLUMNS)]
    one_by_one = answered.filter(pl.col("__exact") | pl.col("__refused"))
    if one_by_one.height:
        rows = [
            (row["__row"], row["episode_id"], *_one_episode(row))
            for row in one_by_one.iter_rows(named=True)
        ]
        parts.append(
            pl.DataFrame(
                rows,
                schema={"__row": pl.UInt32, **REGISCAR_TABLE_SCHEMA},
                orient="row",
            )
        )
    return pl.concat(parts).sort("__row").select(_COLUMNS)


def _one_episode(row: Mapping[str, Any]) -> tuple[Any, ...]:
    """Score one episode from exactly the answers the course path gives.

    An episode refused only by the eosinophil consistency check gets the instrument's own
    refusal (:func:`regiscar.eosinophil_counts_problem`) without the rest of the scoring.
    """
    answers = _raw_answers(row)
    source = f"episode {row['episode_id']}"
    if row["__refused"]:
        counts = answers["eosinophilia"]
        problem = regiscar.eosinophil_counts_problem(
            counts["eosinophils_per_ul"], counts.get("wbc_per_ul"), counts.get("eosinophils_pct")
        )
        if problem is not None:
            return (None, "not scored", None, None, None, problem.located(source=source).message)
    return _scored(answers, source)


def _result_schema() -> dict[str, pl.DataType]:
    return {name: dtype for name, dtype in REGISCAR_TABLE_SCHEMA.items() if name != "episode_id"}
