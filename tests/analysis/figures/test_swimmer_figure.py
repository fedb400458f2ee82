"""The swimmer figure of the Sim 2022 reconstruction (18 episodes, day 0 = first IVIG).

Sim DW, Yu J, Koh YI. Clin Transl Sci 2022;15:782-788: patient 14 lost to follow-up 3 days
after IVIG start, patient 18 died 25 days after (``examples/sim2022``).
"""

from __future__ import annotations

from pathlib import Path

import matplotlib.pyplot as plt
import pytest
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Rectangle

from dresskit.analysis.figures.swimmer import plot_swimmer
from dresskit.analysis.swimmer import SwimmerLane, swimmer_lanes
from dresskit.bundle import read_bundle
from dresskit.course.vectorised import index_dates
from tests.analysis.figures.lines import xdata, ydata

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"


@pytest.fixture(scope="module")
def lanes() -> list[SwimmerLane]:
    sim = read_bundle(EXAMPLES / "sim2022")
    return swimmer_lanes(
        sim.episodes, sim.treatments, index_dates(sim.episodes, sim.treatments, "ivig")
    )


@pytest.fixture
def ax(lanes: list[SwimmerLane]) -> Axes:
    return plot_swimmer(lanes)


def end_markers(ax: Axes) -> dict[str, Line2D]:
    return {str(line.get_label()): line for line in ax.get_lines() if line.get_marker() != "None"}


def row_of(lanes: list[SwimmerLane], episode_id: str) -> int:
    return [lane.episode_id for lane in lanes].index(episode_id)


def test_one_lane_per_episode_labelled_in_order(lanes: list[SwimmerLane], ax: Axes) -> None:
    labels = [label.get_text() for label in ax.get_yticklabels()]
    assert len(labels) == 18
    assert labels == [lane.episode_id for lane in lanes]
    assert labels[0] == "SIM09"
    assert ax.get_ylim() == (17.5, -0.5)  # first lane on top


def test_sim14_ends_with_the_lost_to_follow_up_marker(lanes: list[SwimmerLane], ax: Axes) -> None:
    lost = end_markers(ax)["lost to follow-up"]
    assert xdata(lost) == [3]
    assert ydata(lost) == [row_of(lanes, "SIM14")]
    assert lost.get_marker() == "D"


def test_sim18_ends_with_the_died_marker(lanes: list[SwimmerLane], ax: Axes) -> None:
    died = end_markers(ax)["died"]
    assert xdata(died) == [25]
    assert ydata(died) == [row_of(lanes, "SIM18")]
    assert died.get_marker() == "X"


def test_each_outcome_has_its_own_marker(ax: Axes) -> None:
    markers = end_markers(ax)
    assert set(markers) == {"recovered", "died", "lost to follow-up"}
    assert len(xdata(markers["recovered"])) == 16
    assert len({line.get_marker() for line in markers.values()}) == 3


def test_segments_are_drawn_per_kind_with_running_hatched(
    lanes: list[SwimmerLane], ax: Axes
) -> None:
    bars = [patch for patch in ax.patches if isinstance(patch, Rectangle) and patch.get_gid()]
    by_gid: dict[str, list[Rectangle]] = {}
    for bar in bars:
        by_gid.setdefault(str(bar.get_gid()), []).append(bar)
    segments = [segment for lane in lanes for segment in lane.segments]
    assert len(by_gid["segments:steroid"]) == sum(
        1 for s in segments if s.kind == "steroid" and not s.running
    )
    assert len(by_gid["segments:ivig"]) == 18
    (running,) = by_gid["segments:steroid:running"]
    assert running.get_hatch() == "///"
    assert (running.get_x(), running.get_width()) == (-2, 6)  # days -2 to 3 inclusive
    assert running.get_y() + running.get_height() / 2 == row_of(lanes, "SIM14")


def test_legend_names_kinds_and_outcomes(ax: Axes) -> None:
    legend = ax.get_legend()
    assert legend is not None
    assert [text.get_text() for text in legend.get_texts()] == [
        "steroid",
        "IVIG",
        "running at end",
        "recovered",
        "died",
        "lost to follow-up",
    ]


def test_day0_line_and_axis_labels(ax: Axes) -> None:
    (day0,) = [line for line in ax.get_lines() if line.get_gid() == "day0"]
    assert xdata(day0) == [0, 0]
    assert "day 0: IVIG" in [text.get_text() for text in ax.texts]
    assert ax.get_xlabel() == "Days from IVIG (day 0)"
    assert ax.get_ylabel() == "Episode (n = 18)"


def test_no_bar_is_cut_at_the_axis(lanes: list[SwimmerLane], ax: Axes) -> None:
    """SIM03 starts steroids 14 days before IVIG: its bar starts inside the axes."""
    left, right = ax.get_xlim()
    bars = [patch for patch in ax.patches if isinstance(patch, Rectangle)]
    assert bars
    assert all(left < bar.get_x() and bar.get_x() + bar.get_width() < right for bar in bars)
    assert all(left < lane.follow_up_days < right for lane in lanes)


def test_legend_sits_outside_the_lanes(ax: Axes) -> None:
    legend = ax.get_legend()
    assert legend is not None
    ax.figure.draw_without_rendering()
    assert legend.get_window_extent().x0 >= ax.get_window_extent().x1


def test_draws_on_a_given_axes_with_its_index_label(lanes: list[SwimmerLane]) -> None:
    _figure, given = plt.subplots()
    assert plot_swimmer(lanes[:3], ax=given, index_label="first steroid dose") is given
    assert given.get_xlabel() == "Days from first steroid dose (day 0)"
    assert len(given.get_yticklabels()) == 3


def test_many_lanes_are_drawn_without_tick_labels(lanes: list[SwimmerLane]) -> None:
    many = lanes * 5
    ax = plot_swimmer(many)
    assert list(ax.get_yticks()) == []
    assert len(xdata(end_markers(ax)["recovered"])) == 80
