"""The computed report and its parts: numbers and result objects, nothing formatted.

Built by :func:`dresskit.analysis.report.build_report`; rendered by
:mod:`dresskit.analysis.rendering`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from dresskit._version import __version__
from dresskit.analysis.baseline import BaselineTable
from dresskit.analysis.comparison import PublishedComparison
from dresskit.analysis.course_table import CourseTable
from dresskit.analysis.paired import PairedValues
from dresskit.analysis.report_checks import FIGURE_FORMATS
from dresskit.analysis.report_text import MethodEntry
from dresskit.analysis.survival import CumulativeIncidenceResult, KaplanMeierResult
from dresskit.analysis.swimmer import SwimmerLane
from dresskit.analysis.timeline import CourseTimeline
from dresskit.analysis.wilcoxon import WilcoxonResult
from dresskit.errors import InputWarning

__all__ = ["FlareRow", "PairedComparison", "Report", "ResponseRow", "TimeToEventAnalysis"]


@dataclass(frozen=True)
class PairedComparison:
    """One before/after comparison: the pairs and the test."""

    paired: PairedValues
    test: WilcoxonResult | None
    remark: str = ""

    def to_frame(self) -> pl.DataFrame:
        """Return one row: the observation, days, pairs, medians and the test's numbers.

        Columns: ``observation``, ``unit`` (UCUM code), ``before_day``, ``after_day``,
        ``pairs``, ``unpaired``, ``median_before``, ``median_after`` (the true medians, the
        mean of the two middle values for an even n), then the test's ``n_used``,
        ``zeros_dropped``, ``tie_groups``, ``statistic_T``, ``z``, ``p`` and ``method``.
        """
        test = self.test
        return pl.DataFrame(
            [
                {
                    "observation": self.paired.label,
                    "unit": self.paired.unit,
                    "before_day": self.paired.before_day,
                    "after_day": self.paired.after_day,
                    "pairs": self.paired.n_pairs,
                    "unpaired": len(self.paired.unpaired),
                    "median_before": self.paired.median_before,
                    "median_after": self.paired.median_after,
                    "n_used": test.n_used if test else None,
                    "zeros_dropped": test.n_zero_differences_dropped if test else None,
                    "tie_groups": len(test.tie_groups) if test else None,
                    "statistic_T": test.statistic if test else None,
                    "z": test.z if test else None,
                    "p": test.p_value if test else None,
                    "method": test.method if test else self.remark,
                }
            ],
            schema={
                "observation": pl.Utf8,
                "unit": pl.Utf8,
                "before_day": pl.Int64,
                "after_day": pl.Int64,
                "pairs": pl.Int64,
                "unpaired": pl.Int64,
                "median_before": pl.Float64,
                "median_after": pl.Float64,
                "n_used": pl.Int64,
                "zeros_dropped": pl.Int64,
                "tie_groups": pl.Int64,
                "statistic_T": pl.Float64,
                "z": pl.Float64,
                "p": pl.Float64,
                "method": pl.Utf8,
            },
        )


@dataclass(frozen=True)
class TimeToEventAnalysis:
    """Kaplan-Meier of one outcome and, where deaths came first, the competing-risk CIF."""

    outcome: str
    label: str
    kaplan_meier: KaplanMeierResult | None
    competing: CumulativeIncidenceResult | None
    remark: str = ""


@dataclass(frozen=True)
class FlareRow:
    """One flare day of an episode, listed once whatever the number of markers that rose.

    ``markers`` are the markers that flared that day (``("itch", "rash")``);
    ``prednisone_equivalent_mg`` the steroid given that day (``None``: none given);
    ``during_taper`` and ``after_withdrawal`` as the steroid-response definitions say.
    """

    on: str
    markers: tuple[str, ...]
    prednisone_equivalent_mg: float | None
    during_taper: bool
    after_withdrawal: bool


@dataclass(frozen=True)
class ResponseRow:
    """The steroid response states of one episode (True, False or None = undetermined)."""

    episode_id: str
    hyporesponsive: bool | None
    dependent: bool | None
    resistant: bool | None
    type2_profile: bool | None
    flares: tuple[FlareRow, ...]


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
    methods: tuple[MethodEntry, ...]
    software: tuple[tuple[str, str], ...]
    references: tuple[str, ...] = field(default=())
    #: Values accepted but worth a second look (implausible but possible values, drug names
    #: read in another form, episodes left out of a registry), from the bundle's validation.
    data_warnings: tuple[InputWarning, ...] = field(default=())
    #: The formats every figure is written in (vector SVG and PDF, PNG at 300 dpi).
    figure_formats: tuple[str, ...] = FIGURE_FORMATS
    #: dresskit's version, printed on the title page.
    version: str = __version__
