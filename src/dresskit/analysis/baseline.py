"""Baseline characteristics: one numeric row per episode, then a "Table 1" through tableone.

:func:`baseline_frame` derives, column-wise, what a DRESS paper describes at baseline (Sim et
al. 2022, Results and Table S1): age, sex, phenotype, the suspect drugs and their ATC
groups, the latency from the suspect drug to onset, organ involvement, peak laboratory
values, HHV-6 reactivation and, optionally, the RegiSCAR score and class computed from each
episode's own data. Unknown stays unknown: a value the bundle does not hold is null, and a
categorical one is the explicit level ``"unknown"``, so tableone counts it as such.

:func:`baseline_table` (:mod:`dresskit.analysis.baseline_summary`, re-exported here)
summarises that frame with tableone (Pollard et al. 2018) in tableone's grouped layout:
numbers as median [min, max], categories as n (%), the number missing per variable.

References
----------
.. [1] Sim DW, Yu J, Koh YI. Clin Transl Sci. 2022;15:782-788 (baseline description).
.. [2] Pollard TJ, Johnson AEW, Raffa JD, Mark RG. tableone: An open source Python package for
   producing summary statistics for research papers. JAMIA Open. 2018;1(1):26-31.
.. [3] WHO Collaborating Centre for Drug Statistics Methodology. ATC classification index
   (ATC level 2 groups). https://atcddd.fhi.no/atc_ddd_index/
.. [4] clinical-reference.md §1 (RegiSCAR), §10 (latency).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

import polars as pl

from dresskit.analysis.baseline_summary import (
    ATC_GROUPS,
    BaselineRow,
    BaselineTable,
    atc_group_name,
    baseline_table,
)
from dresskit.bundle import Bundle
from dresskit.course.diagnosis import regiscar_from_course
from dresskit.course.model import PatientCourse
from dresskit.errors import InputErrors

__all__ = [
    "ATC_GROUPS",
    "BaselineRow",
    "BaselineTable",
    "atc_group_name",
    "baseline_frame",
    "baseline_table",
    "regiscar_frame",
]

_PEAKS: Final = {
    "temperature": "peak_temperature_cel",
    "eosinophils": "peak_eosinophils_10e9_per_l",
    "alt": "peak_alt_u_per_l",
    "creatinine": "peak_creatinine_mg_per_dl",
    "total_ige": "peak_total_ige_ku_per_l",
}


def _yes_no_unknown(flag: pl.Expr) -> pl.Expr:
    return (
        pl.when(flag.is_null())
        .then(pl.lit("unknown"))
        .when(flag)
        .then(pl.lit("yes"))
        .otherwise(pl.lit("no"))
    )


def baseline_frame(
    bundle: Bundle,
    *,
    episode_ids: list[str] | None = None,
    regiscar: pl.DataFrame | None = None,
) -> pl.DataFrame:
    """Derive the baseline characteristics of every episode (or of ``episode_ids``).

    Parameters
    ----------
    bundle
        A validated bundle.
    episode_ids
        Restrict to these episodes (default: all).
    regiscar
        RegiSCAR per episode (``episode_id``, ``regiscar_total``, ``regiscar_class``), as
        :func:`regiscar_frame` gives; without it the two columns are left out.

    Returns
    -------
    polars.DataFrame
        One row per episode: ``episode_id`` and the columns the baseline table labels
        (:mod:`dresskit.analysis.baseline_summary`).
        Latency is given only for an episode with exactly one suspect drug started on or
        before onset (with several suspects the culprit is a judgement, see
        :func:`dresskit.course.culprit.rank_culprits`).
    """
    episodes = bundle.episodes
    if episode_ids is not None:
        episodes = episodes.filter(pl.col("episode_id").is_in(episode_ids))
    base = episodes.select("episode_id", "patient_id", "phenotype", "onset_date").join(
        bundle.patients.select("patient_id", "sex", "birth_year", "age_years"),
        on="patient_id",
        how="left",
    )
    suspects = bundle.drug_exposures.filter(pl.col("role") == "suspect")
    drugs = suspects.group_by("episode_id").agg(
        pl.col("drug").sort().str.join(", ").alias("suspect_drugs"),
        pl.col("atc_code")
        .drop_nulls()
        .str.slice(0, 3)
        .unique()
        .sort()
        .str.join(", ")
        .alias("suspect_atc_groups"),
        pl.len().alias("suspects"),
        pl.col("start_date").first().alias("suspect_start"),
    )
    findings = bundle.findings
    organs = (
        findings.filter(pl.col("code") == "organ_involvement")
        .group_by("episode_id")
        .agg(
            pl.col("value").n_unique().alias("organs_involved"),
            (pl.col("value") == "liver").any().alias("liver"),
            (pl.col("value") == "kidney").any().alias("kidney"),
        )
    )
    hhv6_finding = (
        findings.filter(pl.col("code") == "hhv6_reactivation")
        .group_by("episode_id")
        .agg((pl.col("value") == "present").any().alias("hhv6_finding"))
    )
    observed = bundle.observations.filter(
        pl.col("code").is_in([*_PEAKS, "hhv6_pcr"])
        & pl.col("episode_id").is_in(base.get_column("episode_id").implode())
    )
    peaks = (
        observed.filter(pl.col("code").is_in(list(_PEAKS)))
        .group_by("episode_id")
        .agg(
            *[
                pl.col("value").filter(pl.col("code") == code).max().alias(name)
                for code, name in _PEAKS.items()
            ]
        )
    )
    hhv6_pcr = (
        observed.filter(pl.col("code") == "hhv6_pcr")
        .group_by("episode_id")
        .agg(
            ((pl.col("text") == "positive") | (pl.col("value").fill_null(0) > 0))
            .any()
            .alias("hhv6_pcr_positive")
        )
    )
    frame = (
        base.join(drugs, on="episode_id", how="left")
        .join(organs, on="episode_id", how="left")
        .join(hhv6_finding, on="episode_id", how="left")
        .join(peaks, on="episode_id", how="left")
        .join(hhv6_pcr, on="episode_id", how="left")
    )
    # Age: the recorded age, else onset year minus birth year (may be one year high).
    age = pl.coalesce(
        pl.col("age_years").cast(pl.Float64),
        (pl.col("onset_date").dt.year() - pl.col("birth_year")).cast(pl.Float64),
    )
    latency = pl.when(
        (pl.col("suspects") == 1) & (pl.col("suspect_start") <= pl.col("onset_date"))
    ).then((pl.col("onset_date") - pl.col("suspect_start")).dt.total_days().cast(pl.Float64))
    has_organ_data = pl.col("organs_involved").is_not_null()
    hhv6 = pl.coalesce(pl.col("hhv6_finding"), pl.col("hhv6_pcr_positive"))
    result = frame.select(
        "episode_id",
        age.alias("age_years"),
        pl.col("sex").cast(pl.Utf8).fill_null("unknown"),
        pl.col("phenotype").cast(pl.Utf8).fill_null("unknown"),
        pl.col("suspect_drugs").fill_null("none recorded"),
        pl.when(pl.col("suspect_atc_groups").fill_null("") == "")
        .then(pl.lit("unknown"))
        .otherwise(pl.col("suspect_atc_groups"))
        .alias("suspect_atc_groups"),
        latency.alias("latency_days"),
        pl.col("organs_involved").cast(pl.Float64),
        _yes_no_unknown(pl.when(has_organ_data).then(pl.col("liver"))).alias("liver_involvement"),
        _yes_no_unknown(pl.when(has_organ_data).then(pl.col("kidney"))).alias("kidney_involvement"),
        *[pl.col(name) for name in _PEAKS.values()],
        _yes_no_unknown(hhv6).alias("hhv6_reactivation"),
    ).sort("episode_id")
    if regiscar is not None:
        result = result.join(
            regiscar.select(
                "episode_id", "regiscar_total", "regiscar_class", "regiscar_items_unknown"
            ),
            on="episode_id",
            how="left",
        ).with_columns(pl.col("regiscar_class").fill_null("unknown"))
    return result


def regiscar_frame(courses: Iterable[PatientCourse]) -> pl.DataFrame:
    """Score RegiSCAR from each course's own data (one row per course).

    Uses :func:`dresskit.course.diagnosis.regiscar_from_course`: items the course records
    nothing for stay unknown and score as the instrument scores "unknown"
    (``regiscar_items_unknown`` counts them; ``regiscar_reachable_low``/``_high`` give the
    totals still reachable if they were answered). A course whose
    data the instrument refuses (for instance an eosinophil count that disagrees with the
    same day's percentage and leukocyte count) is not scored: its class is ``"not scored"``
    and ``regiscar_problem`` says why.
    """
    rows: list[tuple[str, float | None, str, int | None, int | None, int | None, str | None]]
    rows = []
    for course in courses:
        episode_id = course.episode.episode_id
        try:
            scored = regiscar_from_course(course).result
        except InputErrors as error:
            problem = error.errors[0].message if error.errors else str(error)
            rows.append((episode_id, None, "not scored", None, None, None, problem))
            continue
        low, high = scored.reachable_total or (None, None)
        rows.append(
            (
                episode_id,
                float(scored.total) if scored.total is not None else None,
                scored.classification or "unknown",
                len(scored.unknown_items),
                low,
                high,
                None,
            )
        )
    return pl.DataFrame(
        rows,
        schema={
            "episode_id": pl.Utf8,
            "regiscar_total": pl.Float64,
            "regiscar_class": pl.Utf8,
            "regiscar_items_unknown": pl.Int64,
            "regiscar_reachable_low": pl.Int64,
            "regiscar_reachable_high": pl.Int64,
            "regiscar_problem": pl.Utf8,
        },
        orient="row",
    )
