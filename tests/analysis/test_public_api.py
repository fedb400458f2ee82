"""The public names of dresskit.analysis are pinned."""

from __future__ import annotations

import dresskit.analysis as analysis


def test_public_names_are_pinned() -> None:
    assert analysis.__all__ == [
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
    for name in analysis.__all__:
        assert hasattr(analysis, name), name
