"""Assemble a cohort report: every table, test and figure input, with the methods used.

:func:`build_report` computes; it neither draws nor writes. The result, :class:`Report`, holds
numbers and result objects only; :mod:`dresskit.analysis.rendering` turns it into figures,
HTML, PDF and table files, and the command line chooses where they go.

What a report holds (the sections of Sim et al. 2022, for any bundle):

- the course table per episode with its summary row (median (range), IQR, n per column and
  every value left out with its reason), and, when a published table is given, where the
  paper's summary differs and why;
- baseline characteristics (tableone);
- paired before/after comparisons of fever, eosinophils and ALT around day 0 (Wilcoxon
  signed-rank, SPSS's method by default, the method named with every result);
- Kaplan-Meier estimates for every time-to-event outcome (median with 95 % CI, at-risk
  counts) and, where patients died before the event, the cumulative incidence with death as a
  competing event (Aalen-Johansen);
- the steroid response of each episode (hyporesponsive, dependent, resistant, flares), a
  swimmer plot of all episodes and a timeline of chosen episodes (Shen et al. 2024 Figure);
- data-quality remarks, and a methods section with every definition and parameter.
"""

from __future__ import annotations

import platform
import statistics
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from importlib import metadata
from typing import Final

import polars as pl

from dresskit.analysis.baseline import BaselineTable, baseline_frame, baseline_table, regiscar_frame
from dresskit.analysis.comparison import (
    PublishedColumn,
    PublishedComparison,
    compare_with_published,
)
from dresskit.analysis.course_table import CourseTable, course_table
from dresskit.analysis.paired import PairedValues, paired_values
from dresskit.analysis.survival import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    cumulative_incidence,
    from_outcome_table,
    kaplan_meier,
)
from dresskit.analysis.swimmer import SwimmerLane, swimmer_lanes
from dresskit.analysis.timeline import CourseTimeline, course_timeline
from dresskit.analysis.wilcoxon import WilcoxonResult, wilcoxon_signed_rank
from dresskit.bundle import Bundle
from dresskit.course.diagnosis import regiscar_observations
from dresskit.course.response import SteroidResponse, classify_response
from dresskit.course.vectorised import index_dates
from dresskit.errors import InputError, InputWarning

__all__ = [
    "PUBLISHED_DIFFERENCE_NOTE",
    "PairedComparison",
    "Report",
    "ResponseRow",
    "TimeToEventAnalysis",
    "build_report",
]

#: Outcomes analysed as time to event (outcome name, label).
_TIME_TO_EVENT: Final = (
    ("steroid_after", "Steroid discontinuation"),
    ("defervescence", "Defervescence"),
    ("alt_normalisation", "ALT normalisation"),
    ("eosinophil_normalisation", "Eosinophil normalisation"),
    ("rash_resolution", "Rash resolution"),
)

#: Said wherever a published summary is compared (the report's purpose is to explain).
PUBLISHED_DIFFERENCE_NOTE: Final = (
    "Censored values (patients lost to follow-up, transferred, or still on treatment at the "
    "end of the record) are left out of the median and range, never counted as 0."
)

_PACKAGES: Final = (
    "dresskit",
    "polars",
    "pint",
    "scipy",
    "lifelines",
    "tableone",
    "pandas",
    "matplotlib",
    "jinja2",
    "weasyprint",
)


@dataclass(frozen=True)
class PairedComparison:
    """One before/after comparison: the pairs and the test."""

    paired: PairedValues
    test: WilcoxonResult | None
    remark: str = ""


@dataclass(frozen=True)
class TimeToEventAnalysis:
    """Kaplan-Meier of one outcome and, where deaths came first, the competing-risk CIF."""

    outcome: str
    label: str
    kaplan_meier: KaplanMeierResult | None
    competing: CumulativeIncidenceResult | None
    remark: str = ""


@dataclass(frozen=True)
class ResponseRow:
    """The steroid response states of one episode (True, False or None = undetermined)."""

    episode_id: str
    hyporesponsive: bool | None
    dependent: bool | None
    resistant: bool | None
    type2_profile: bool | None
    flares: tuple[tuple[str, float | None], ...]  # (date, prednisone-equivalent mg/d that day)


@dataclass(frozen=True)
class Report:
    """Everything a report shows, computed; see the module docstring."""

    title: str
    source: str
    synthetic: bool
    index: str
    counts: dict[str, int]
    course_table: CourseTable
    published: PublishedComparison | None
    baseline: BaselineTable
    paired: tuple[PairedComparison, ...]
    survival: tuple[TimeToEventAnalysis, ...]
    responses: tuple[ResponseRow, ...]
    response_definitions: str
    regiscar: pl.DataFrame | None
    swimmer: tuple[SwimmerLane, ...]
    swimmer_total: int
    timelines: tuple[CourseTimeline, ...]
    remarks: tuple[str, ...]
    methods: tuple[tuple[str, str], ...]
    software: tuple[tuple[str, str], ...]
    references: tuple[str, ...] = field(default=())
    #: Values accepted but worth a second look (implausible but possible values, drug names
    #: read in another form, episodes left out of a registry), from the bundle's validation.
    data_warnings: tuple[InputWarning, ...] = field(default=())


def _versions() -> tuple[tuple[str, str], ...]:
    versions = [("python", platform.python_version())]
    for package in _PACKAGES:
        try:
            versions.append((package, metadata.version(package)))
        except metadata.PackageNotFoundError:
            versions.append((package, "not installed"))
    return tuple(versions)


def _paired(
    bundle: Bundle, codes: Sequence[str], index: str, days: tuple[int, int], tolerance: int
) -> tuple[PairedComparison, ...]:
    comparisons = []
    for code in codes:
        values = paired_values(
            bundle,
            code,
            before_day=days[0],
            after_day=days[1],
            index=index,
            tolerance_days=tolerance,
        )
        if values.n_pairs == 0:
            comparisons.append(
                PairedComparison(values, None, "no complete pair: no test (nothing to compare)")
            )
            continue
        test = wilcoxon_signed_rank(
            values.before, values.after, method="spss", label=f"{values.label}"
        )
        comparisons.append(PairedComparison(values, test))
    return tuple(comparisons)


def _survival(table: CourseTable) -> tuple[TimeToEventAnalysis, ...]:
    analyses = []
    for outcome, label in _TIME_TO_EVENT:
        durations, observed, reasons = from_outcome_table(table.outcomes, outcome)
        usable = [
            (duration, seen, reason)
            for duration, seen, reason in zip(durations, observed, reasons, strict=True)
            if seen or reason != "no_data_after_index"
        ]
        if not any(seen for _, seen, _ in usable):
            analyses.append(
                TimeToEventAnalysis(
                    outcome, label, None, None, "no event observed: no curve estimated"
                )
            )
            continue
        left_out = len(durations) - len(usable)
        remark = (
            f"{left_out} episode(s) with no data after day 0 left out (not at risk)."
            if left_out
            else ""
        )
        km = kaplan_meier(
            [d for d, _, _ in usable],
            [s for _, s, _ in usable],
            label=label,
            censor_reasons=[r for _, _, r in usable],
        )
        competing = None
        if any(reason == "died" for _, _, reason in usable):
            competing = cumulative_incidence(
                [d for d, _, _ in usable],
                [1 if s else 2 if r == "died" else 0 for _, s, r in usable],
                label=f"{label} (death competing)",
            )
        analyses.append(TimeToEventAnalysis(outcome, label, km, competing, remark))
    return tuple(analyses)


def _response_row(episode_id: str, response: SteroidResponse) -> ResponseRow:
    return ResponseRow(
        episode_id=episode_id,
        hyporesponsive=response.hyporesponsive.value,
        dependent=response.dependent.value,
        resistant=response.resistant.value,
        type2_profile=response.type2_profile.value,
        flares=tuple(
            (flare.on.isoformat(), flare.prednisone_equivalent_mg) for flare in response.flares
        ),
    )


def build_report(
    bundle: Bundle,
    *,
    index: str = "ivig",
    title: str | None = None,
    published: Sequence[PublishedColumn] | None = None,
    published_citation: str = "",
    published_rows: dict[str, dict[str, float | None]] | None = None,
    paired_codes: Sequence[str] = ("temperature", "eosinophils", "alt"),
    paired_days: tuple[int, int] = (-1, 4),
    paired_tolerance_days: int = 1,
    timeline_episodes: Sequence[str] | None = None,
    max_swimmer_lanes: int = 60,
    per_course: bool = True,
    response_limit: int | None = 2000,
    progress: Callable[[str, int, int], None] | None = None,
) -> Report:
    """Compute a report for every episode of ``bundle`` that has the index event.

    Parameters
    ----------
    bundle
        A validated bundle.
    index
        Day 0 (``"ivig"``, ``"steroid"``, ``"onset"``, ``"admission"`` or an agent).
    title
        The report's title (default: the bundle's manifest title).
    published, published_citation, published_rows
        A published table's summary row (and rows) to compare with, and its citation.
    paired_codes, paired_days, paired_tolerance_days
        Before/after comparisons: the codes, the two days relative to day 0 (default -1 and
        +4, Sim et al. 2022) and the tolerance (see
        :func:`dresskit.analysis.paired.paired_values`).
    timeline_episodes
        Episodes to draw a timeline for (default: every episode when there are at most 3).
    max_swimmer_lanes
        Lanes in the swimmer plot (the longest follow-ups are shown; the total is stated).
    per_course
        Score RegiSCAR from each episode's data and classify each episode's steroid response.
    response_limit
        Classify the steroid response per episode only when the bundle has at most this many
        episodes (about 5 ms an episode; ``None``: always); the report says when it did not.
    progress
        Called with (step, done, total) as the work advances.

    Raises
    ------
    InputError
        Refused rather than reported empty or partial: an ``index`` that is neither a
        built-in event nor the agent of a biologic or other treatment in the bundle; no
        episode with the index event (an empty cohort); ``timeline_episodes`` that are not
        in the bundle (named, with some that are); ``published_rows`` of other episodes than
        the course table's; a negative limit or tolerance.
    """

    def step(name: str, done: int = 1, total: int = 1) -> None:
        if progress is not None:
            progress(name, done, total)

    _check_arguments(
        bundle,
        index=index,
        timeline_episodes=timeline_episodes,
        max_swimmer_lanes=max_swimmer_lanes,
        response_limit=response_limit,
        paired_tolerance_days=paired_tolerance_days,
    )
    manifest = bundle.manifest
    step("course table")
    table = course_table(bundle, index=index)
    if table.rows.height == 0:
        raise InputError(
            "index",
            index,
            f"an event that at least one episode has (none of the {bundle.episodes.height} "
            f"episodes has a {index} event: the cohort would be empty); choose another index",
        )
    comparison = None
    if published is not None:
        comparison = compare_with_published(
            table, published, citation=published_citation, rows=published_rows
        )
    with_index = table.rows.get_column("episode_id").to_list()
    remarks = _remarks(bundle, table)
    responses: list[ResponseRow] = []
    timelines: list[CourseTimeline] = []
    episode_ids = bundle.episode_ids()
    wanted_timelines = set(
        timeline_episodes
        if timeline_episodes is not None
        else (episode_ids if len(episode_ids) <= 3 else ())
    )
    with_response = (response_limit is None or len(episode_ids) <= response_limit) and per_course
    if with_response or wanted_timelines:
        total = len(episode_ids)
        for done, course in enumerate(bundle.courses(), start=1):
            episode_id = course.episode.episode_id
            wanted = episode_id in wanted_timelines
            response = classify_response(course) if with_response or wanted else None
            if with_response and response is not None:
                responses.append(_response_row(episode_id, response))
            if wanted:
                timeline_index = index if episode_id in with_index else "onset"
                timelines.append(course_timeline(course, index=timeline_index, response=response))
            if done % 250 == 0 or done == total:
                step("episodes: steroid response", done, total)
    regiscar = None
    if per_course:
        step("episodes: RegiSCAR")
        # Courses built from only the rows RegiSCAR reads: the same scores, far fewer objects.
        regiscar = regiscar_frame(
            replace(bundle, observations=regiscar_observations(bundle.observations)).courses()
        )
        scored = regiscar.filter(pl.col("regiscar_problem").is_null())
        unknown = [int(n) for n in scored.get_column("regiscar_items_unknown").to_list()]
        fewest, most = (min(unknown), max(unknown)) if unknown else (0, 0)
        if most:
            lowest = int(scored.get_column("regiscar_reachable_low").min())  # type: ignore[arg-type]
            highest = int(scored.get_column("regiscar_reachable_high").max())  # type: ignore[arg-type]
            remarks = (
                *remarks,
                "RegiSCAR from recorded data: a median of "
                f"{statistics.median(unknown):g} of 10 items (range {fewest}–{most}) had no "
                "data and count as the instrument counts 'unknown'; answering them could give "
                f"totals from {lowest} to {highest} "
                "(per-episode ranges in tables/regiscar.csv). A published RegiSCAR may use "
                "findings this bundle does not hold.",
            )
        not_scored = regiscar.filter(pl.col("regiscar_problem").is_not_null())
        if not_scored.height:
            first_id, first_problem = not_scored.select("episode_id", "regiscar_problem").row(0)
            remarks = (
                *remarks,
                f"RegiSCAR could not be scored for {not_scored.height} episode(s) whose data the "
                f"instrument refuses; first: {first_id}: {first_problem}",
            )
    if per_course and not with_response:
        remarks = (
            *remarks,
            f"Steroid response was not classified per episode: {len(episode_ids)} episodes "
            f"exceed the limit of {response_limit} (a few milliseconds each); pass a higher "
            "response_limit (command line: --response-limit) to classify them all.",
        )
    step("baseline")
    baseline = baseline_table(baseline_frame(bundle, regiscar=regiscar))
    step("paired comparisons")
    paired = _paired(bundle, paired_codes, index, paired_days, paired_tolerance_days)
    step("time to event")
    survival = _survival(table)
    step("swimmer")
    day0 = index_dates(bundle.episodes, bundle.treatments, index)
    lanes = swimmer_lanes(bundle.episodes, bundle.treatments, day0, limit=max_swimmer_lanes)
    counts = {
        "patients": bundle.patients.height,
        "episodes": bundle.episodes.height,
        "episodes_with_index": table.rows.height,
        "observations": bundle.observations.height,
        "treatments": bundle.treatments.height,
    }
    return Report(
        title=title or manifest.get("title", "dresskit report"),
        source=manifest.get("source", ""),
        synthetic=manifest.get("synthetic", "no") == "yes",
        index=index,
        counts=counts,
        course_table=table,
        published=comparison,
        baseline=baseline,
        paired=paired,
        survival=survival,
        responses=tuple(responses),
        response_definitions=(
            "Hyporesponsive, dependent, resistant and type 2 profile as defined in "
            "clinical-reference.md §10 (dresskit.course.response.ResponseDefinitions defaults)."
        ),
        regiscar=regiscar,
        swimmer=tuple(lanes),
        swimmer_total=day0.height,
        timelines=tuple(timelines),
        remarks=remarks,
        data_warnings=bundle.warnings,
        methods=_methods(table, paired_days, paired_tolerance_days, baseline),
        software=_versions(),
        references=_REFERENCES,
    )


#: Day 0 events every bundle can be asked for (an agent name is the other choice).
BUILT_IN_INDEXES: Final = ("ivig", "steroid", "onset", "admission")
#: How many known values an error message lists.
_SHOWN: Final = 5


def _some(values: Sequence[str]) -> str:
    shown = ", ".join(values[:_SHOWN])
    return shown + (f", ... ({len(values)} in all)" if len(values) > _SHOWN else "")


def _check_arguments(
    bundle: Bundle,
    *,
    index: str,
    timeline_episodes: Sequence[str] | None,
    max_swimmer_lanes: int,
    response_limit: int | None,
    paired_tolerance_days: int,
) -> None:
    """Refuse arguments that would give an empty, partial or silently different report."""
    if index not in BUILT_IN_INDEXES:
        agents = (
            bundle.treatments.filter(pl.col("kind").is_in(["biologic", "other"]))
            .get_column("agent")
            .unique()
            .sort()
            .to_list()
        )
        if index not in agents:
            listed = f"; agents: {_some(agents)}" if agents else ""
            raise InputError(
                "index",
                index,
                f"one of {', '.join(BUILT_IN_INDEXES)} or the agent of a biologic or other "
                f"treatment in the bundle{listed}",
            )
    if timeline_episodes is not None:
        known = bundle.episode_ids()
        unknown = sorted(set(timeline_episodes) - set(known))
        if unknown:
            raise InputError(
                "timeline_episodes",
                unknown,
                f"episode ids of the bundle (known: {_some(sorted(known))})",
            )
    if max_swimmer_lanes < 1:
        raise InputError("max_swimmer_lanes", max_swimmer_lanes, "a whole number of at least 1")
    if response_limit is not None and response_limit < 0:
        raise InputError("response_limit", response_limit, "a whole number of at least 0")
    if paired_tolerance_days < 0:
        raise InputError(
            "paired_tolerance_days", paired_tolerance_days, "a whole number of days, at least 0"
        )


_REFERENCES: Final = (
    "Sim DW, Yu J, Koh YI. Efficacy of add-on therapy with intravenous immunoglobulin in "
    "steroid hyporesponsive DRESS syndrome. Clin Transl Sci. 2022;15:782-788.",
    "Shen C, Wu N, Yang L, Wang B, Liu T, Tao J. Dupilumab as effective therapy for "
    "corticosteroid-dependent/resistant type 2 inflammation-related cutaneous adverse "
    "reactions. J Investig Allergol Clin Immunol. 2024;34(2):145-147.",
    "Wilcoxon F. Individual comparisons by ranking methods. Biometrics Bulletin. 1945;1(6):80-83.",
    "Kaplan EL, Meier P. Nonparametric estimation from incomplete observations. J Am Stat "
    "Assoc. 1958;53:457-481.",
    "Aalen OO, Johansen S. An empirical transition matrix for non-homogeneous Markov chains "
    "based on censored observations. Scand J Stat. 1978;5:141-150.",
    "Davidson-Pilon C. lifelines: survival analysis in Python. J Open Source Softw. "
    "2019;4(40):1317.",
    "Pollard TJ, Johnson AEW, Raffa JD, Mark RG. tableone: an open source Python package for "
    "producing summary statistics for research papers. JAMIA Open. 2018;1(1):26-31.",
    "Kardaun SH, Sekula P, Valeyrie-Allanore L, et al. Drug reaction with eosinophilia and "
    "systemic symptoms (DRESS): an original multisystem adverse drug reaction. Results from "
    "the prospective RegiSCAR study. Br J Dermatol. 2013;169:1071-1080.",
)


def _remarks(bundle: Bundle, table: CourseTable) -> tuple[str, ...]:
    remarks = []
    without_index = bundle.episodes.height - table.rows.height
    if without_index:
        remarks.append(
            f"{without_index} episode(s) have no {table.index} event and are not in the course "
            "table or the time-to-event analyses."
        )
    for summary in table.summaries:
        column = next(c for c in table.columns if c.name == summary.column)
        for reason, ids in summary.left_out.items():
            if reason in ("no_data_after_index", "not_measured") and len(ids) == summary.n_episodes:
                remarks.append(f"{column.label}: not recorded for any episode.")
                break
    no_weight = (
        table.rows.filter(pl.col("steroid_start_mg_per_kg_day_reason") == "no_weight")
        .get_column("episode_id")
        .to_list()
    )
    if no_weight:
        remarks.append(
            f"{len(no_weight)} episode(s) have no weight recorded by the first steroid day: their "
            "dose per kg is unknown (not estimated)."
        )
    if bundle.manifest.get("synthetic") == "yes":
        remarks.append(
            "This bundle is labelled synthetic: it is a reconstruction, not patient data "
            f"({bundle.manifest.get('source', 'see its manifest')})."
        )
    return tuple(remarks)


def _methods(
    table: CourseTable,
    paired_days: tuple[int, int],
    tolerance: int,
    baseline: BaselineTable,
) -> tuple[tuple[str, str], ...]:
    methods = [
        ("Day 0", f"first {table.index} event of each episode (index '{table.index}')."),
    ]
    for column in table.columns:
        methods.append((f"{column.label} ({column.unit})", column.definition))
    for name, value in table.parameters.items():
        methods.append((f"parameter {name}", str(value)))
    methods += [
        (
            "Summaries",
            "median (range) over the known values, quartiles by linear interpolation (type 7); "
            + PUBLISHED_DIFFERENCE_NOTE,
        ),
        (
            "Before/after",
            f"value on day {paired_days[0]:+d} and day {paired_days[1]:+d} (nearest day within "
            f"{tolerance} day(s), never across day 0); temperature: the day's highest reading, "
            "laboratory values: the day's last. Wilcoxon signed-rank test, SPSS's method: zero "
            "differences dropped, tie-corrected variance, no continuity correction, Z from the "
            "smaller rank sum, two-sided asymptotic p.",
        ),
        (
            "Time to event",
            "Kaplan-Meier (lifelines KaplanMeierFitter), 95 % pointwise CI (exponential "
            "Greenwood), median with its CI; censored at the last day with data (died, lost "
            "to follow-up, transferred, end of data). Where patients died before the event, "
            "the cumulative incidence with death as competing event (Aalen-Johansen, ties "
            "handled exactly). Episodes with no data after day 0 are not at risk.",
        ),
        ("Baseline", baseline.method),
    ]
    return tuple(methods)
