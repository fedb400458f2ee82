"""The course-timeline figure draws what the timeline holds (Shen 2024, Sim 2022 examples).

Numbers: Shen C et al. J Investig Allergol Clin Immunol 2024;34(2):145-147 as encoded in
``examples/shen2024`` (day 0 = first dupilumab dose, 2022-03-02).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle, StepPatch
from matplotlib.text import Annotation

from dresskit.analysis.figures.timeline import plot_course_timeline, timeline_panels
from dresskit.analysis.timeline import CourseTimeline, course_timeline
from dresskit.bundle import read_bundle
from dresskit.course.steroids import daily_steroid_doses
from dresskit.errors import InputError
from tests.analysis.figures.lines import xdata, ydata

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="module")
def shen() -> CourseTimeline:
    return course_timeline(read_bundle(EXAMPLES / "shen2024").course("SHEN"), index="dupilumab")


@pytest.fixture
def panels(shen: CourseTimeline) -> dict[str, Axes]:
    axes = plot_course_timeline(shen)
    return dict(zip(timeline_panels(shen), axes, strict=True))


def lines(ax: Axes) -> list[Line2D]:
    return list(ax.get_lines())


def all_lines(ax: Axes) -> list[Line2D]:
    return [line for each in ax.figure.axes for line in each.get_lines()]


def test_shen_has_all_five_panels_sharing_the_day_axis(panels: dict[str, Axes]) -> None:
    assert list(panels) == ["treatments", "steroid", "labs", "skin", "fever_liver"]
    top = panels["treatments"]
    for ax in panels.values():
        assert ax.get_shared_x_axes().joined(top, ax)
        assert ax.get_xlim() == top.get_xlim()
    # From the first to the last data point (the last itch and BSA on day 112), not to the
    # last follow-up (day 261): nothing is drawn after day 112.
    first, last = top.get_xlim()
    assert -62 < first < -58
    assert 112 < last < 116
    assert panels["fever_liver"].get_xlabel() == "Days from first dupilumab dose (day 0)"


def test_steroid_step_plot_is_the_daily_prednisone_equivalent_dose(
    shen: CourseTimeline, panels: dict[str, Axes]
) -> None:
    (step,) = [patch for patch in panels["steroid"].patches if isinstance(patch, StepPatch)]
    values, edges, _ = step.get_data()
    course = read_bundle(EXAMPLES / "shen2024").course("SHEN")
    expected = [day.prednisone_equivalent_mg for day in daily_steroid_doses(course)]
    np.testing.assert_array_equal(values, expected)
    np.testing.assert_array_equal(edges, np.arange(-58, -58 + len(expected) + 1))
    assert panels["steroid"].get_ylabel() == "Prednisone-eq.\n(mg/day)"


def test_relapse_flare_is_marked_and_annotated_with_its_dose(panels: dict[str, Axes]) -> None:
    """The relapse on prednisolone 20 mg/d, 28 days before the first dupilumab dose."""
    steroid = panels["steroid"]
    (marker,) = [line for line in lines(steroid) if line.get_label() == "flare"]
    assert xdata(marker) == [-28]
    assert ydata(marker) == [20.0]
    (note,) = [text for text in steroid.texts if isinstance(text, Annotation)]
    assert note.get_text() == "flare (Itch NRS, Rash BSA) on prednisolone 20 mg/day"
    for ax in panels.values():
        flare_lines = [line for line in lines(ax) if line.get_gid() == "flare"]
        assert [xdata(line) for line in flare_lines] == [[-28, -28]]


def test_day0_line_on_every_panel_labelled_with_the_index(panels: dict[str, Axes]) -> None:
    for ax in panels.values():
        (day0,) = [line for line in lines(ax) if line.get_gid() == "day0"]
        assert xdata(day0) == [0, 0]
    texts = [text.get_text() for text in panels["treatments"].texts]
    assert "day 0: first dupilumab dose" in texts
    suptitle = panels["treatments"].figure.get_suptitle()
    assert "first dupilumab dose" in suptitle


def test_treatment_lanes_draw_one_bar_per_period(
    shen: CourseTimeline, panels: dict[str, Axes]
) -> None:
    ax = panels["treatments"]
    bars = [patch for patch in ax.patches if isinstance(patch, Rectangle) and patch.get_gid()]
    assert len(bars) == 13
    assert [label.get_text() for label in ax.get_yticklabels()] == list(shen.lanes)
    (dupilumab,) = [bar for bar in bars if bar.get_gid() == "bar:dupilumab"]
    assert (dupilumab.get_x(), dupilumab.get_width()) == (0, 112)
    assert dupilumab.get_y() + dupilumab.get_height() / 2 == shen.lanes.index("dupilumab")
    texts = {text.get_text().strip() for text in ax.texts if text.get_visible()}
    assert {"dupilumab 600 mg then 300 mg q14d", "IVIG 20 g/day", "adalimumab 80 mg"} <= texts
    # Steroid bars carry the dose as recorded (dexamethasone 10), not the prednisone
    # equivalent; a bar too short for its number leaves it to the step plot below.
    assert {"500", "30", "25", "10", "40"} <= texts
    assert "66.667" not in texts


def test_dupilumab_doses_are_ticks_every_14_days(
    shen: CourseTimeline, panels: dict[str, Axes]
) -> None:
    (ticks,) = [line for line in lines(panels["treatments"]) if line.get_marker() == "|"]
    assert xdata(ticks) == list(range(0, 99, 14))
    assert set(ydata(ticks)) == {shen.lanes.index("dupilumab")}
    assert ticks.get_label() == "dupilumab doses"


def figure_legend_texts(ax: Axes) -> list[str]:
    (legend,) = ax.figure.legends
    return [text.get_text() for text in legend.get_texts()]


def test_one_legend_under_the_panels_names_kinds_doses_and_series(
    panels: dict[str, Axes],
) -> None:
    """The legend is the figure's, outside every panel: it never covers data."""
    assert all(ax.get_legend() is None for ax in panels["treatments"].figure.axes)
    assert figure_legend_texts(panels["treatments"]) == [
        "steroid",
        "IVIG",
        "biologic",
        "other",
        "dupilumab doses",
        "prednisone-equivalent dose",
        "Eosinophils (×10⁹/L)",
        "Total IgE (kU/L)",
        "Itch NRS (0-10)",
        "Rash BSA (%)",
        "Temperature (°C)",
        "ALT (U/L)",
        "flare",
        "day 0",
    ]


def test_labs_panel_eosinophils_and_ige_on_a_twin_axis(panels: dict[str, Axes]) -> None:
    labs = panels["labs"]
    (eosinophils,) = [line for line in lines(labs) if line.get_label() == "Eosinophils (×10⁹/L)"]
    assert ydata(eosinophils) == pytest.approx([1.14, 0.037])
    assert labs.get_ylabel() == "Eosinophils\n(×10⁹/L)"
    (ige,) = [line for line in all_lines(labs) if ydata(line) == [3127.0, 645.0]]
    twin = ige.axes
    assert twin is not None
    assert twin is not labs
    assert twin.get_ylabel() == "Total IgE\n(kU/L)"
    assert xdata(ige) == [-12.0, 90.0]


def test_skin_panel_itch_nrs_and_bsa(panels: dict[str, Axes]) -> None:
    skin = panels["skin"]
    itch = lines(skin)[0]
    assert itch.get_label() == "Itch NRS (0-10)"
    assert ydata(itch)[4:7] == [4.0, 9.0, 9.0]
    assert skin.get_ylim() == (0.0, 10.5)
    (bsa,) = [line for line in all_lines(skin) if line.get_label() == "Rash BSA (%)"]
    assert ydata(bsa)[4:6] == [20.0, 60.0]
    assert bsa.axes is not None
    assert bsa.axes.get_ylim() == (0.0, 105.0)


def test_only_panels_with_data_are_drawn() -> None:
    """Sim 2022 records no IgE, itch or BSA: no skin panel, labs has no twin axis."""
    course = read_bundle(EXAMPLES / "sim2022").course("SIM14")
    timeline = course_timeline(course, index="ivig")
    axes = plot_course_timeline(timeline)
    assert timeline_panels(timeline) == ("treatments", "steroid", "labs", "fever_liver")
    assert len(axes) == 4
    assert len(axes[0].figure.axes) == 5  # one twin: temperature and ALT
    running = [patch for patch in axes[0].patches if patch.get_hatch() == "//"]
    assert len(running) == 1
    assert figure_legend_texts(axes[0])[:3] == ["steroid", "IVIG", "running at end"]


def test_draws_on_given_axes(shen: CourseTimeline) -> None:
    _figure, given = plt.subplots(5, 1, sharex=True)
    drawn = plot_course_timeline(shen, axes=list(given))
    assert drawn == list(given)
    assert len(drawn[1].patches) == 1


def test_wrong_number_of_axes_is_refused(shen: CourseTimeline) -> None:
    _figure, given = plt.subplots(2, 1)
    with pytest.raises(InputError, match="one Axes per panel with data"):
        plot_course_timeline(shen, axes=list(given))


def test_dose_labels_are_never_clipped_at_the_axis(shen: CourseTimeline) -> None:
    """The dupilumab label does not fit right of its bar (which ends at the last data point)
    or left of it: it is written inside the bar, never cut at the axis."""
    from dresskit.analysis.figures.timeline import timeline_figure

    drawn = timeline_figure(shen)
    figure = drawn.figure
    figure.draw_without_rendering()
    treatments = figure.axes[0]
    box = treatments.get_window_extent()
    labels = [t for t in treatments.texts if t.get_gid() in {"dose_label", "dose_in_bar"}]
    shown = [t for t in labels if t.get_visible()]
    assert {t.get_text().strip() for t in shown} >= {
        "dupilumab 600 mg then 300 mg q14d",
        "IVIG 20 g/day",
        "adalimumab 80 mg",
    }
    for text in shown:
        extent = text.get_window_extent()
        assert box.x0 - 0.5 <= extent.x0
        assert extent.x1 <= box.x1 + 0.5
        assert not text.get_clip_on()  # drawn whole, never cut at the axes edge


def test_panel_letters_and_day0_label_in_the_journal_figure(shen: CourseTimeline) -> None:
    from dresskit.analysis.figures.timeline import timeline_figure

    drawn = timeline_figure(shen)
    assert drawn.name == "timeline_1"
    letters = [
        text.get_text()
        for ax in drawn.figure.axes
        for text in ax.texts
        if text.get_gid() == "panel_letter"
    ]
    assert letters == ["A", "B", "C", "D", "E"]
    width, _ = drawn.figure.get_size_inches()
    assert width == pytest.approx(17.5 / 2.54)
