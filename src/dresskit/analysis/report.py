"""Assemble a cohort report: every table, test and figure input, with the methods used.

:func:`build_report` computes; it neither draws nor writes. The result, :class:`Report`, holds
numbers and result objects only; :mod:`dresskit.analysis.rendering` turns it into HTML and
PDF, :mod:`dresskit.analysis.report_figures` draws its figures and
:mod:`dresskit.analysis.report_tables` gives its tables as frames; the command line chooses
where they go. The words (methods, remarks, references, how to cite) are in
:mod:`dresskit.analysis.report_text`, the argument checks in
:mod:`dresskit.analysis.report_checks`.

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
- data-quality remarks, and a methods section with every definition and its source.
"""

from __future__ import annotations

import statistics
from collections.abc import Callable, Sequence
from typing import Final

import polars as pl

from dresskit.analysis.baseline import baseline_frame, baseline_table
from dresskit.analysis.comparison import PublishedColumn, compare_with_published
from dresskit.analysis.course_table import CourseTable, course_table
from dresskit.analysis.formatting import article, plural
from dresskit.analysis.paired import paired_values
from dresskit.analysis.report_checks import BUILT_IN_INDEXES, FIGURE_FORMATS, check_arguments
from dresskit.analysis.report_model import (
    FlareRow,
    PairedComparison,
    Report,
    ResponseRow,
    TimeToEventAnalysis,
)
from dresskit.analysis.report_text import (
    PUBLISHED_DIFFERENCE_NOTE,
    REFERENCES,
    index_label,
    methods,
    remarks,
    software_versions,
)
from dresskit.analysis.survival import cumulative_incidence, from_outcome_table, kaplan_meier
from dresskit.analysis.swimmer import swimmer_lanes
from dresskit.analysis.timeline import CourseTimeline, course_timeline
from dresskit.analysis.wilcoxon import wilcoxon_signed_rank
from dresskit.bundle import Bundle
from dresskit.course.response import SteroidResponse, classify_response
from dresskit.course.vectorised import index_dates
from dresskit.course.vectorised_regiscar import regiscar_table
from dresskit.errors import InputError

__all__ = [
    "BUILT_IN_INDEXES",
    "FIGURE_FORMATS",
    "PUBLISHED_DIFFERENCE_NOTE",
    "FlareRow",
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

#: How a flare marker is said.
_MARKER_WORDS: Final = {
    "fever": "fever",
    "itch_nrs": "itch",
    "rash_bsa": "rash",
    "alt": "ALT",
    "eosinophils": "eosinophils",
}


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
            f"{plural(left_out, 'episode')} with no data after day 0 left out (not at risk)."
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
    # The response lists each flare of each marker once; a day on which several markers
    # flared is one flare day of the episode, listed once with its markers.
    days: dict[str, tuple[list[str], float | None, bool, bool]] = {}
    for flare in response.flares:
        on = flare.on.isoformat()
        marker = _MARKER_WORDS.get(flare.marker, flare.marker)
        if on not in days:
            days[on] = (
                [marker],
                flare.prednisone_equivalent_mg,
                flare.during_taper,
                flare.after_withdrawal,
            )
        elif marker not in days[on][0]:
            days[on][0].append(marker)
    return ResponseRow(
        episode_id=episode_id,
        hyporesponsive=response.hyporesponsive.value,
        dependent=response.dependent.value,
        resistant=response.resistant.value,
        type2_profile=response.type2_profile.value,
        flares=tuple(
            FlareRow(on, tuple(markers), dose, taper, withdrawal)
            for on, (markers, dose, taper, withdrawal) in sorted(days.items())
        ),
    )


def _regiscar_remarks(regiscar: pl.DataFrame) -> tuple[str, ...]:
    found: list[str] = []
    scored = regiscar.filter(pl.col("regiscar_problem").is_null())
    unknown = [int(n) for n in scored.get_column("regiscar_items_unknown").to_list()]
    fewest, most = (min(unknown), max(unknown)) if unknown else (0, 0)
    if most:
        lowest = int(scored.get_column("regiscar_reachable_low").min())  # type: ignore[arg-type]
        highest = int(scored.get_column("regiscar_reachable_high").max())  # type: ignore[arg-type]
        found.append(
            "RegiSCAR from recorded data: a median of "
            f"{statistics.median(unknown):g} of 10 items (range {fewest}–{most}) had no "
            "data and count as the instrument counts 'unknown'; answering them could give "
            f"totals from {lowest} to {highest} "
            "(per-episode ranges in tables/regiscar.csv). A published RegiSCAR may use "
            "findings this bundle does not hold."
        )
    not_scored = regiscar.filter(pl.col("regiscar_problem").is_not_null())
    if not_scored.height:
        first_id, first_problem = not_scored.select("episode_id", "regiscar_problem").row(0)
        found.append(
            f"RegiSCAR could not be scored for {plural(not_scored.height, 'episode')} whose "
            f"data the instrument refuses; first: {first_id}: {first_problem}"
        )
    return tuple(found)


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
    figure_formats: tuple[str, ...] = FIGURE_FORMATS,
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
    figure_formats
        The formats every figure is written in: ``"svg"`` and ``"pdf"`` (vector) and
        ``"png"`` (300 dpi); kept in the report for
        :func:`dresskit.analysis.report_figures.draw_figures`.
    progress
        Called with (step, done, total) as the work advances.

    Raises
    ------
    InputError
        Refused rather than reported empty or partial: an ``index`` that is neither a
        built-in event nor the agent of a biologic or other treatment in the bundle; no
        episode with the index event (an empty cohort); ``timeline_episodes`` that are not
        in the bundle (named, with some that are); ``published_rows`` of other episodes than
        the course table's; a negative limit or tolerance; an unknown figure format.
    """

    def step(name: str, done: int = 1, total: int = 1) -> None:
        if progress is not None:
            progress(name, done, total)

    check_arguments(
        bundle,
        index=index,
        timeline_episodes=timeline_episodes,
        max_swimmer_lanes=max_swimmer_lanes,
        response_limit=response_limit,
        paired_tolerance_days=paired_tolerance_days,
        figure_formats=figure_formats,
    )
    manifest = bundle.manifest
    step("course table")
    table = course_table(bundle, index=index)
    if table.rows.height == 0:
        raise InputError(
            "index",
            index,
            f"an event that at least one episode has (none of the "
            f"{plural(bundle.episodes.height, 'episode')} has {article(index_label(index))} "
            "event: the cohort would be empty); choose another index",
        )
    comparison = None
    if published is not None:
        comparison = compare_with_published(
            table, published, citation=published_citation, rows=published_rows
        )
    with_index = table.rows.get_column("episode_id").to_list()
    found_remarks = remarks(bundle, table)
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
        # Derived column-wise; equal to regiscar_frame over the courses (tested), 10x faster.
        regiscar = regiscar_table(bundle.episodes, bundle.observations, bundle.findings)
        found_remarks = (*found_remarks, *_regiscar_remarks(regiscar))
    if per_course and not with_response:
        found_remarks = (
            *found_remarks,
            f"Steroid response was not classified per episode: {len(episode_ids)} episodes "
            f"exceed the limit of {response_limit} (a few milliseconds each); pass a higher "
            "response limit (command line: --response-limit) to classify them all.",
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
            "Hyporesponsive, dependent, resistant, flare and type 2 profile as defined on the "
            "definitions page (project defaults; see Methods). A flare is listed once per "
            "day, with the markers that rose and that day's prednisone-equivalent dose."
        ),
        regiscar=regiscar,
        swimmer=tuple(lanes),
        swimmer_total=day0.height,
        timelines=tuple(timelines),
        remarks=found_remarks,
        data_warnings=bundle.warnings,
        methods=methods(table, paired_days, paired_tolerance_days, baseline),
        software=software_versions(),
        references=REFERENCES,
        figure_formats=tuple(figure_formats),
    )
