"""Kaplan-Meier and cumulative incidence figures: what is drawn, read back from the artists."""

from __future__ import annotations

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.collections import PolyCollection
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from dresskit.analysis.figures.survival import plot_cumulative_incidence, plot_kaplan_meier
from dresskit.analysis.survival import (
    CumulativeIncidenceResult,
    KaplanMeierResult,
    cumulative_incidence,
    kaplan_meier,
)


@pytest.fixture
def ivig() -> KaplanMeierResult:
    # Median reached (day 8); censorings at 2, 5 and 9.
    return kaplan_meier(
        [1, 2, 2, 3, 5, 8, 8, 9],
        [True, True, False, True, False, True, True, False],
        label="IVIG",
        at_risk_times=[0, 3, 6, 9],
    )


@pytest.fixture
def steroids_only() -> KaplanMeierResult:
    # Median not reached; no censoring before the last day.
    return kaplan_meier(
        [2, 4, 10, 10, 10], [True, False, False, False, False], label="Steroids only"
    )


def new_axes() -> Axes:
    return Figure().add_subplot()


def step_lines(ax: Axes) -> list[Line2D]:
    return [line for line in ax.get_lines() if line.get_drawstyle() == "steps-post"]


def xs(line: Line2D) -> list[float]:
    return [float(value) for value in np.asarray(line.get_xdata())]


def ys(line: Line2D) -> list[float]:
    return [float(value) for value in np.asarray(line.get_ydata())]


def texts_with_gid(ax: Axes, gid: str) -> list[str]:
    return [text.get_text() for text in ax.texts if text.get_gid() == gid]


def test_one_step_curve_and_band_per_result_with_labels_in_the_legend(
    ivig: KaplanMeierResult, steroids_only: KaplanMeierResult
) -> None:
    ax = plot_kaplan_meier([ivig, steroids_only], ax=new_axes())
    lines = step_lines(ax)
    assert [line.get_label() for line in lines] == ["IVIG", "Steroids only"]
    assert xs(lines[0]) == list(ivig.timeline)
    assert ys(lines[0]) == list(ivig.survival)
    bands = [c for c in ax.collections if isinstance(c, PolyCollection)]
    assert len(bands) == 2
    legend = ax.get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == ["IVIG", "Steroids only"]


def test_censoring_ticks_sit_on_the_curve(ivig: KaplanMeierResult) -> None:
    ax = plot_kaplan_meier([ivig], ax=new_axes(), at_risk=False)
    (ticks,) = [line for line in ax.get_lines() if line.get_marker() == "|"]
    assert xs(ticks) == [2.0, 5.0, 9.0]
    assert ys(ticks) == [s for _, s in ivig.censoring_marks]
    assert ticks.get_linestyle() == "None"


def test_median_line_only_where_the_median_is_reached(
    ivig: KaplanMeierResult, steroids_only: KaplanMeierResult
) -> None:
    ax = plot_kaplan_meier([ivig, steroids_only], ax=new_axes())
    medians = [line for line in ax.get_lines() if line.get_label() == "_median"]
    assert len(medians) == 1
    assert xs(medians[0]) == [0.0, 8.0, 8.0]
    assert ys(medians[0]) == [0.5, 0.5, 0.0]
    assert medians[0].get_linestyle() == "--"


def at_risk_axes(ax: Axes) -> Axes:
    (table,) = [other for other in ax.figure.axes if other.get_gid() == "at_risk_table"]
    return table


def test_numbers_at_risk_are_lifelines_table_at_the_x_ticks(ivig: KaplanMeierResult) -> None:
    """Without per-patient data, lifelines prints the result's numbers at risk at its times,
    which are the x ticks: table columns and ticks line up."""
    from dataclasses import replace

    ax = plot_kaplan_meier([replace(ivig, durations=(), observed=())], ax=new_axes())
    table = at_risk_axes(ax)
    assert list(table.get_xticks()) == list(ax.get_xticks()) == [0.0, 3.0, 6.0, 9.0]
    assert table.get_xlim() == ax.get_xlim()
    labels = [text.get_text().split() for text in table.get_xticklabels()]
    # One curve: the title names it, the table has no row name.
    assert labels == [["At", "risk", "8"], ["5"], ["3"], ["1"]]
    assert [n for _, n in ivig.at_risk] == [8, 5, 3, 1]


def test_with_per_patient_data_the_table_has_at_risk_censored_and_events() -> None:
    """lifelines' KaplanMeierFitter tabulates the rows from the patients' own times."""
    durations = (1.0, 2.0, 2.0, 3.0, 5.0, 8.0, 8.0, 9.0)
    observed = (True, True, False, True, False, True, True, False)
    result = kaplan_meier(durations, observed, label="IVIG")
    assert result.durations == durations
    assert result.observed == observed
    ax = plot_kaplan_meier([result], ax=new_axes())
    table = at_risk_axes(ax)
    assert list(table.get_xticks()) == list(ax.get_xticks())
    first = table.get_xticklabels()[0].get_text()
    for row in ("At risk", "Censored", "Events"):
        assert row in first


def test_at_risk_table_can_be_left_out(ivig: KaplanMeierResult) -> None:
    ax = plot_kaplan_meier([ivig], ax=new_axes(), at_risk=False)
    assert len(ax.figure.axes) == 1


def test_no_curve_for_a_group_below_the_minimum_n_and_the_caption_says_why() -> None:
    from dresskit.analysis.figures.survival import MIN_GROUP_N, kaplan_meier_figure

    small = kaplan_meier([1, 2, 3], [True, True, False], label="ALT normalisation")
    large = kaplan_meier([1, 2, 3, 4, 5, 6], [True] * 6, label="Defervescence")
    assert small.n < MIN_GROUP_N <= large.n
    ax = plot_kaplan_meier([small, large], ax=new_axes())
    assert [line.get_label() for line in step_lines(ax)] == ["Defervescence"]
    drawn = kaplan_meier_figure([small, large], index_label="IVIG")
    assert drawn is not None
    assert len([a for a in drawn.figure.axes if a.get_gid() != "at_risk_table"]) == 1
    assert "ALT normalisation (n = 3)" in drawn.caption
    assert f"fewer than {MIN_GROUP_N} patients" in drawn.caption
    assert kaplan_meier_figure([small]) is None


def test_y_label_says_what_the_curve_still_shows(ivig: KaplanMeierResult) -> None:
    from dresskit.analysis.figures.survival import kaplan_meier_figure, still_label

    assert still_label("Defervescence") == "Proportion still febrile"
    drawn = kaplan_meier_figure([kaplan_meier([1, 2, 3, 4, 5], [True] * 5, label="Defervescence")])
    assert drawn is not None
    assert drawn.figure.axes[0].get_ylabel() == "Proportion still febrile"


def test_legend_of_several_curves_is_outside_the_axes(
    ivig: KaplanMeierResult, steroids_only: KaplanMeierResult
) -> None:
    ax = plot_kaplan_meier([ivig, steroids_only], ax=new_axes())
    legend = ax.get_legend()
    assert legend is not None
    ax.figure.draw_without_rendering()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1


def test_axis_labels_default_and_custom(ivig: KaplanMeierResult) -> None:
    ax = plot_kaplan_meier([ivig], ax=new_axes())
    assert ax.get_xlabel() == "Days from index"
    assert ax.get_ylabel() == "Proportion without the event"
    ax = plot_kaplan_meier([ivig], ax=new_axes(), xlabel="Days", ylabel="Still febrile")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Days", "Still febrile")
    assert ax.get_ylim() == (0.0, 1.05)


def test_draws_on_the_given_axes_and_makes_its_own_otherwise(ivig: KaplanMeierResult) -> None:
    given = new_axes()
    assert plot_kaplan_meier([ivig], ax=given) is given
    own = plot_kaplan_meier([ivig])
    assert isinstance(own, Axes)
    assert len(step_lines(own)) == 1


def test_empty_results_are_refused() -> None:
    with pytest.raises(ValueError, match="at least one KaplanMeierResult"):
        plot_kaplan_meier([], ax=new_axes())
    with pytest.raises(ValueError, match="at least one CumulativeIncidenceResult"):
        plot_cumulative_incidence([], ax=new_axes())


@pytest.fixture
def alt() -> CumulativeIncidenceResult:
    return cumulative_incidence(
        [1, 2, 2, 2, 3, 3, 5, 6], [1, 1, 2, 0, 1, 0, 2, 1], label="ALT normalisation"
    )


def test_cumulative_incidence_draws_event_and_dashed_competing_curves(
    alt: CumulativeIncidenceResult,
) -> None:
    ax = plot_cumulative_incidence([alt], ax=new_axes())
    lines = step_lines(ax)
    assert [line.get_label() for line in lines] == [
        "ALT normalisation",
        "ALT normalisation: competing event (death first)",
    ]
    assert ys(lines[0]) == list(alt.cumulative_incidence)
    assert ys(lines[1]) == list(alt.competing_cumulative_incidence)
    assert lines[0].get_linestyle() == "-"
    assert lines[1].get_linestyle() == "--"
    assert lines[0].get_color() == lines[1].get_color()
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("Days from index", "Cumulative incidence")


def test_cumulative_incidence_without_competing_curve(alt: CumulativeIncidenceResult) -> None:
    other = cumulative_incidence([1, 4, 4, 9, 9], [1, 0, 1, 2, 0], label="Rash resolution")
    ax = plot_cumulative_incidence([alt, other], ax=new_axes(), show_competing=False)
    assert [line.get_label() for line in step_lines(ax)] == [
        "ALT normalisation",
        "Rash resolution",
    ]


def test_figures_do_not_change_the_results(ivig: KaplanMeierResult) -> None:
    before = (ivig.timeline, ivig.survival, ivig.at_risk)
    plot_kaplan_meier([ivig], ax=new_axes())
    assert (ivig.timeline, ivig.survival, ivig.at_risk) == before
