"""Cohort analysis: tables, statistics, figures and reports from course data.

Numbers first, formatting last, drawing apart: statistics return result objects that carry
their method and source; figures (:mod:`dresskit.analysis.figures`) take those results and an
optional matplotlib ``ax``; :mod:`dresskit.analysis.rendering` turns a report into HTML, PDF
and table files. See docs/analysis.md.
"""

from dresskit.analysis.baseline import BaselineTable, baseline_frame, baseline_table
from dresskit.analysis.comparison import PublishedColumn, compare_with_published
from dresskit.analysis.course_table import COURSE_COLUMNS, CourseTable, course_table
from dresskit.analysis.paired import PairedValues, paired_values
from dresskit.analysis.report import Report, build_report
from dresskit.analysis.survival import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    cumulative_incidence,
    kaplan_meier,
)
from dresskit.analysis.wilcoxon import WilcoxonResult, wilcoxon_signed_rank

__all__ = [
    "COURSE_COLUMNS",
    "BaselineTable",
    "CourseTable",
    "CumulativeIncidenceResult",
    "KaplanMeierResult",
    "PairedValues",
    "PublishedColumn",
    "Report",
    "WilcoxonResult",
    "baseline_frame",
    "baseline_table",
    "build_report",
    "compare_with_published",
    "course_table",
    "cumulative_incidence",
    "kaplan_meier",
    "paired_values",
    "wilcoxon_signed_rank",
]
