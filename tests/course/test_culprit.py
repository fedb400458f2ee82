"""Culprit ranking: latency windows, notoriety, Naranjo, and the explanation of each rank."""

from __future__ import annotations

from dataclasses import replace

import pytest

from dresskit.course import DrugExposure, DrugRole
from dresskit.course.culprit import latency_window, notoriety_of, rank_culprits
from dresskit.scoring import naranjo
from tests.course.builders import course, day

ONSET = -10  # the builder's onset day


@pytest.mark.parametrize(
    ("latency", "window"),
    [
        (None, "unknown"),
        (-3, "unlikely"),
        (0, "unlikely"),
        (1, "rapid-onset, compatible"),
        (13, "rapid-onset, compatible"),
        (14, "typical"),
        (56, "typical"),
        (57, "compatible, late"),
        (90, "compatible, late"),
        (91, "unlikely"),
    ],
)
def test_latency_window_edges(latency: int | None, window: str) -> None:
    assert latency_window(latency) == window


def test_notoriety_lookup_ignores_case_and_unknown_is_not_listed() -> None:
    entry = notoriety_of("  Carbamazepine ")
    assert entry is not None
    assert entry.level == "high"
    assert "S28" in entry.sources
    assert notoriety_of("buspirone") is None


def drug(
    name: str,
    started_before_onset: int | None,
    role: DrugRole = DrugRole.SUSPECT,
    answers: dict[str, str] | None = None,
) -> DrugExposure:
    start = None if started_before_onset is None else day(ONSET - started_before_onset)
    return DrugExposure("e1", name, role, start, naranjo=answers)


def ranked(*drugs: DrugExposure) -> list[str]:
    return [c.drug for c in rank_culprits(replace(course(), drugs=drugs))]


def test_typical_window_ranks_before_late_and_unlikely() -> None:
    assert ranked(drug("a", 120), drug("b", 70), drug("c", 28)) == ["c", "b", "a"]


def test_suspect_ranks_before_concomitant() -> None:
    assert ranked(drug("a", 28, DrugRole.CONCOMITANT), drug("b", 120)) == ["b", "a"]


def test_notoriety_breaks_ties_within_a_window() -> None:
    assert ranked(drug("paracetamol", 28), drug("allopurinol", 30)) == [
        "allopurinol",
        "paracetamol",
    ]


def test_naranjo_breaks_ties_then_latency_closeness() -> None:
    high = dict.fromkeys(naranjo.QUESTIONS, "unknown") | {
        "appeared_after_drug": "yes",
        "alternative_causes": "no",
    }
    assert ranked(drug("x", 20), drug("y", 40, answers=high)) == ["y", "x"]
    assert ranked(drug("x", 20), drug("y", 27)) == ["y", "x"]


def test_each_rank_is_explained_and_nothing_is_called_the_culprit() -> None:
    (only,) = rank_culprits(replace(course(), drugs=(drug("vancomycin", 21),)))
    assert "started 21 days before onset: typical" in only.explanation
    assert "high-notoriety glycopeptide antibiotic" in only.explanation
    assert "Naranjo not assessed" in only.explanation
    assert "culprit" not in only.explanation


def test_unknown_start_is_ranked_as_unknown_latency() -> None:
    (only,) = rank_culprits(replace(course(), drugs=(drug("x", None),)))
    assert (only.latency_days, only.window) == (None, "unknown")
