"""Swimmer lanes of the bundled Sim 2022 reconstruction (18 episodes, day 0 = first IVIG).

Sim DW, Yu J, Koh YI. Clin Transl Sci 2022;15:782-788: patient 14 was transferred and lost
to follow-up after IVIG; patient 18 died. ``examples/sim2022`` encodes them (README there).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from dresskit.analysis.swimmer import EndMarker, SwimmerLane, swimmer_lanes
from dresskit.bundle import Bundle, read_bundle
from dresskit.course.model import EpisodeOutcome
from dresskit.course.vectorised import index_dates
from dresskit.errors import InputError

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


@pytest.fixture(scope="module")
def day0(sim: Bundle) -> pl.DataFrame:
    return index_dates(sim.episodes, sim.treatments, "ivig")


@pytest.fixture(scope="module")
def lanes(sim: Bundle, day0: pl.DataFrame) -> list[SwimmerLane]:
    return swimmer_lanes(sim.episodes, sim.treatments, day0)


def by_id(lanes: list[SwimmerLane]) -> dict[str, SwimmerLane]:
    return {lane.episode_id: lane for lane in lanes}


def test_one_lane_per_episode(lanes: list[SwimmerLane]) -> None:
    assert len(lanes) == 18
    assert sorted(lane.episode_id for lane in lanes) == [f"SIM{n:02d}" for n in range(1, 19)]


def test_lanes_are_ordered_by_follow_up_longest_first(lanes: list[SwimmerLane]) -> None:
    follow_up = [lane.follow_up_days for lane in lanes]
    assert follow_up == sorted(follow_up, reverse=True)
    assert (lanes[0].episode_id, lanes[0].follow_up_days) == ("SIM09", 161)
    assert lanes[-1].episode_id == "SIM14"


def test_follow_up_is_last_follow_up_minus_day0(sim: Bundle, lanes: list[SwimmerLane]) -> None:
    rows = sim.episodes.select("episode_id", "last_follow_up_date").iter_rows()
    last = dict(rows)
    for lane in lanes:
        assert lane.follow_up_days == (last[lane.episode_id] - lane.day0).days


def test_sim14_ends_lost_to_follow_up_with_steroid_running(lanes: list[SwimmerLane]) -> None:
    """Patient 14: lost 3 days after IVIG start, prednisolone with no end date."""
    lane = by_id(lanes)["SIM14"]
    assert lane.outcome is EpisodeOutcome.LOST_TO_FOLLOW_UP
    assert lane.end_marker is EndMarker.LOST_TO_FOLLOW_UP
    assert lane.follow_up_days == 3
    assert [(s.kind, s.agent, s.start_day, s.end_day, s.running) for s in lane.segments] == [
        ("steroid", "prednisolone", -2, 3, True),
        ("ivig", "ivig", 0, 3, False),
    ]


def test_sim18_ends_died(lanes: list[SwimmerLane]) -> None:
    """Patient 18 died on the last steroid day, 25 days after IVIG start."""
    lane = by_id(lanes)["SIM18"]
    assert lane.end_marker is EndMarker.DIED
    assert lane.follow_up_days == 25
    assert lane.segments[-1].end_day == 25
    assert not any(segment.running for segment in lane.segments)


def test_every_other_lane_ends_recovered(lanes: list[SwimmerLane]) -> None:
    others = [lane for lane in lanes if lane.episode_id not in ("SIM14", "SIM18")]
    assert {lane.end_marker for lane in others} == {EndMarker.RECOVERED}


def test_segments_are_every_treatment_row_in_start_order(
    sim: Bundle, lanes: list[SwimmerLane]
) -> None:
    counts = dict(sim.treatments.group_by("episode_id").len().iter_rows())
    for lane in lanes:
        assert len(lane.segments) == counts[lane.episode_id]
        starts = [segment.start_day for segment in lane.segments]
        assert starts == sorted(starts)
    sim01 = by_id(lanes)["SIM01"]
    assert [(s.kind, s.start_day, s.end_day) for s in sim01.segments] == [
        ("steroid", -11, 7),
        ("ivig", 0, 4),
        ("steroid", 8, 28),
        ("steroid", 29, 49),
    ]


def test_limit_keeps_the_longest_lanes(
    sim: Bundle, day0: pl.DataFrame, lanes: list[SwimmerLane]
) -> None:
    assert swimmer_lanes(sim.episodes, sim.treatments, day0, limit=5) == lanes[:5]
    assert swimmer_lanes(sim.episodes, sim.treatments, day0, limit=0) == []


def test_an_episode_without_day0_has_no_lane(sim: Bundle, day0: pl.DataFrame) -> None:
    fewer = day0.filter(pl.col("episode_id") != "SIM01")
    lanes = swimmer_lanes(sim.episodes, sim.treatments, fewer)
    assert len(lanes) == 17
    assert "SIM01" not in by_id(lanes)


def test_missing_column_and_negative_limit_are_refused(sim: Bundle, day0: pl.DataFrame) -> None:
    with pytest.raises(InputError, match="last_follow_up_date"):
        swimmer_lanes(sim.episodes.drop("last_follow_up_date"), sim.treatments, day0)
    with pytest.raises(InputError, match="limit"):
        swimmer_lanes(sim.episodes, sim.treatments, day0, limit=-1)


def test_inputs_are_not_modified(sim: Bundle, day0: pl.DataFrame) -> None:
    episodes, treatments = sim.episodes.clone(), sim.treatments.clone()
    swimmer_lanes(sim.episodes, sim.treatments, day0)
    assert sim.episodes.equals(episodes)
    assert sim.treatments.equals(treatments)


def test_ten_thousand_episodes_each_get_a_lane_with_every_treatment(sim: Bundle) -> None:
    """556 renamed copies of the 18 Sim episodes: 10 008 episodes, 35 584 treatment rows.

    Speed is measured in bench/report_bench.py, not here.
    """
    copies = range(556)
    episodes = pl.concat(
        [sim.episodes.with_columns(pl.col("episode_id") + f"-{n}") for n in copies]
    )
    treatments = pl.concat(
        [sim.treatments.with_columns(pl.col("episode_id") + f"-{n}") for n in copies]
    )
    day0 = index_dates(episodes, treatments, "ivig")
    lanes = swimmer_lanes(episodes, treatments, day0)
    assert len(lanes) == 10_008
    assert sum(len(lane.segments) for lane in lanes) == treatments.height
