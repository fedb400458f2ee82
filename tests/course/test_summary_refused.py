"""A score the course's data cannot feed is set aside, named, and the summary stands."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from dresskit.bundle import read_bundle
from dresskit.course.model import Observation
from dresskit.course.summary import summarise_course, summary_as_dict

EXAMPLES = Path(__file__).parents[2] / "examples"


def test_a_refused_score_is_listed_and_the_rest_of_the_summary_stands() -> None:
    (shen,) = read_bundle(EXAMPLES / "shen2024").courses()
    # Eosinophils 1.14 x10^9/L on day 1 beside leukocytes 10 x10^9/L at 30 %: 3.0, not 1.14.
    day = shen.episode.onset + timedelta(days=1)
    extra = (
        Observation("SHEN", day, "leukocytes", 10.0, "10*9/L"),
        Observation("SHEN", day, "eosinophils_pct", 30.0, "%"),
    )
    summary = summarise_course(
        replace(shen, observations=(*shen.observations, *extra)), index="onset"
    )
    assert [r.instrument for r in summary.refused_scores] == ["regiscar"]
    assert "eosinophil" in summary.refused_scores[0].problem
    assert [s.result.instrument for s in summary.scores] == ["jscar", "bocquet"]
    assert summary_as_dict(summary)["refused_scores"][0]["instrument"] == "regiscar"  # type: ignore[index]


def test_every_example_course_is_scored_by_all_three_instruments() -> None:
    for name in ("sim2022", "shen2024"):
        for course in read_bundle(EXAMPLES / name).courses():
            summary = summarise_course(course, index="onset")
            assert summary.refused_scores == ()
            assert len(summary.scores) == 3
