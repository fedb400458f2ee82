"""ALDEN (Sassolas 2010 Table 1; clinical-reference.md §6.1)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import InputErrors
from dresskit.scoring import ScoreResult, alden

NEUTRAL = {
    "delay": "likely",
    "drug_present": "definite",
    "prechallenge": "not_done_unknown",
    "dechallenge": "neutral",
    "notoriety": "unknown",
}


def one(**changes: object) -> ScoreResult:
    (result,) = alden.score({"drugs": [{"drug": "x", **NEUTRAL, **changes}]})
    return result


PUBLISHED = [
    ("delay", "suggestive", 3),
    ("delay", "compatible", 2),
    ("delay", "likely", 1),
    ("delay", "unlikely", -1),
    ("delay", "excluded", -3),
    ("drug_present", "definite", 0),
    ("drug_present", "doubtful", -1),
    ("drug_present", "excluded", -3),
    ("prechallenge", "positive_specific", 4),
    ("prechallenge", "positive_similar_or_other_reaction", 2),
    ("prechallenge", "positive_unspecific", 1),
    ("prechallenge", "not_done_unknown", 0),
    ("prechallenge", "negative", -2),
    ("dechallenge", "neutral", 0),
    ("dechallenge", "negative", -2),
    ("notoriety", "strongly_associated", 3),
    ("notoriety", "associated", 2),
    ("notoriety", "suspected", 1),
    ("notoriety", "unknown", 0),
    ("notoriety", "not_suspected", -1),
]


@pytest.mark.parametrize(("criterion", "answer", "points"), PUBLISHED)
def test_each_category_scores_the_published_points(
    criterion: str, answer: str, points: int
) -> None:
    assert one(**{criterion: answer}).item(criterion).points == points


@pytest.mark.parametrize(
    ("days", "previous", "category"),
    [
        (0, "no", "excluded"),
        (-2, "no", "excluded"),
        (1, "no", "likely"),
        (4, "no", "likely"),
        (5, "no", "suggestive"),
        (28, "no", "suggestive"),
        (29, "no", "compatible"),
        (56, "no", "compatible"),
        (57, "no", "unlikely"),
        (1, "yes", "suggestive"),
        (4, "yes", "suggestive"),
        (5, "yes", "likely"),
        (56, "yes", "likely"),
        (57, "yes", "unlikely"),
    ],
)
def test_delay_windows(days: int, previous: str, category: str) -> None:
    delay = {
        "days_from_first_intake_to_index_day": days,
        "previous_reaction_to_same_drug": previous,
    }
    assert one(delay=delay).item("delay").answer == category


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (-1, "very unlikely"),
        (0, "unlikely"),
        (1, "unlikely"),
        (2, "possible"),
        (3, "possible"),
        (4, "probable"),
        (5, "probable"),
        (6, "very probable"),
    ],
)
def test_bands(total: int, expected: str) -> None:
    assert alden.classify(total) == expected


def drug(name: str, **changes: object) -> dict[str, object]:
    return {"drug": name, **NEUTRAL, **changes}


def totals(*drugs: dict[str, object]) -> dict[str | None, int | None]:
    return {r.subject: r.total for r in alden.score({"drugs": list(drugs)})}


def test_drugs_ranked_below_a_drug_above_3_lose_one() -> None:
    results = alden.score(
        {
            "drugs": [
                drug("allopurinol", delay="suggestive", notoriety="strongly_associated"),  # 6
                drug("amoxicillin", delay="suggestive", notoriety="associated"),  # 5
                drug("paracetamol"),  # 1
            ]
        }
    )
    # Sassolas 2010: only the drugs below the top-ranked one lose 1.
    assert {r.subject: r.total for r in results} == {
        "allopurinol": 6,
        "amoxicillin": 4,
        "paracetamol": 0,
    }
    assert "allopurinol (6)" in results[2].item("other_cause").reason
    assert results[1].item("other_cause").answer == "yes"


def test_top_ranked_drug_is_not_penalised_when_another_drug_is_above_3() -> None:
    """Issue 11 regression: the top drug lost 1 because the runner-up scored > 3."""
    results = alden.score(
        {
            "drugs": [
                drug("amoxicillin", delay="suggestive", notoriety="associated"),  # 5
                drug("allopurinol", delay="suggestive", notoriety="strongly_associated"),  # 6
            ]
        }
    )
    top = results[1].item("other_cause")
    assert (top.answer, top.points, top.known) == ("no", 0, True)
    assert "top-ranked" in top.reason
    assert [r.total for r in results] == [4, 6]


def test_drugs_tied_at_the_top_are_not_penalised() -> None:
    high = {"delay": "suggestive", "notoriety": "strongly_associated"}  # 6
    results = alden.score(
        {"drugs": [drug("a", **high), drug("b", **high), drug("c", delay="compatible")]}
    )
    assert [r.total for r in results] == [6, 6, 1]
    for result, tied_with in ((results[0], "b"), (results[1], "a")):
        item = result.item("other_cause")
        assert (item.answer, item.points) == ("no", 0)
        assert f"tied at the top (6) with {tied_with}" in item.reason
    assert results[2].item("other_cause").points == -1


def test_drugs_tied_below_the_top_are_both_penalised() -> None:
    assert totals(
        drug("top", delay="suggestive", notoriety="strongly_associated"),  # 6
        drug("b", delay="suggestive", notoriety="associated"),  # 5
        drug("c", delay="suggestive", notoriety="associated"),  # 5
    ) == {"top": 6, "b": 4, "c": 4}


def test_no_penalty_when_no_drug_scores_above_3() -> None:
    results = alden.score(
        {
            "drugs": [
                drug("a", delay="suggestive"),  # 3: not > 3
                drug("b", delay="compatible"),  # 2
                drug("c"),  # 1
            ]
        }
    )
    assert [r.total for r in results] == [3, 2, 1]
    for result in results:
        item = result.item("other_cause")
        assert (item.answer, item.points, item.known) == ("no", 0, True)
        assert "no drug with intermediate score > 3" in item.reason


def test_a_single_drug_is_never_penalised() -> None:
    (result,) = alden.score(
        {"drugs": [drug("allopurinol", delay="suggestive", notoriety="strongly_associated")]}
    )
    item = result.item("other_cause")
    assert (result.total, item.points, item.known) == (6, 0, True)
    assert "the only drug" in item.reason


def test_a_lone_high_drug_keeps_its_score() -> None:
    results = alden.score(
        {
            "drugs": [
                drug("allopurinol", delay="suggestive", notoriety="strongly_associated"),
                drug("paracetamol"),
            ]
        }
    )
    assert [r.total for r in results] == [6, 0]


def test_unknown_delay_makes_other_drugs_criterion_6_undetermined() -> None:
    results = alden.score(
        {"drugs": [drug("a", delay="unknown", notoriety="strongly_associated"), drug("b")]}
    )
    item = results[1].item("other_cause")
    assert (item.known, item.alternatives) == (False, (-1, 0))
    assert results[0].item("delay").alternatives == (-3, -1, 1, 2, 3)


def test_unknown_delay_of_a_drug_that_can_only_rank_below_leaves_the_top_drug_unpenalised() -> None:
    results = alden.score(
        {
            "drugs": [
                drug("top", delay="suggestive", notoriety="strongly_associated"),  # 6
                drug("b", delay="unknown", notoriety="associated"),  # -1..5
            ]
        }
    )
    assert results[0].item("other_cause").points == 0
    assert results[0].item("other_cause").known
    # b ranks below top whatever its delay, but may or may not be the only drug > 3.
    assert results[1].item("other_cause").points == -1


def test_criterion_6_penalises_exactly_the_drugs_below_a_top_above_3() -> None:
    """Property: -1 iff the best intermediate score is > 3 and above this drug's."""
    drugs = [
        drug("a", delay="suggestive", notoriety="associated"),  # 5
        drug("b", delay="compatible", notoriety="associated"),  # 4
        drug("c", delay="suggestive", notoriety="associated"),  # 5
        drug("d", delay="unlikely"),  # -1
    ]
    results = alden.score({"drugs": drugs})
    intermediate = {"a": 5, "b": 4, "c": 5, "d": -1}
    best = max(intermediate.values())
    for result in results:
        assert result.subject is not None
        expected = -1 if best > 3 and intermediate[result.subject] < best else 0
        assert result.item("other_cause").points == expected


def test_repeated_drug_names_are_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        alden.score({"drugs": [drug("Allopurinol"), drug("allopurinol")]})
    assert "repeated: allopurinol" in caught.value.errors[0].expected


def test_empty_drug_list_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        alden.score({"drugs": []})
    assert caught.value.errors[0].field == "drugs"


def test_unknown_category_word_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        alden.score({"drugs": [drug("a", notoriety="high")]})
    assert caught.value.errors[0].field == "drugs[0].notoriety"


categories = {c: st.sampled_from(list(alden.POINTS[c])) for c in alden.POINTS}


@given(st.lists(st.fixed_dictionaries(categories), min_size=1, max_size=4))
def test_every_total_is_within_minus_12_and_10(drugs: list[dict[str, str]]) -> None:
    named = [{"drug": f"d{i}", **answers} for i, answers in enumerate(drugs)]
    for result in alden.score({"drugs": named}):
        assert result.total is not None
        assert -12 <= result.total <= 10
        assert result.classification == alden.classify(result.total)


@given(st.lists(st.fixed_dictionaries(categories), min_size=1, max_size=4))
def test_criterion_6_never_penalises_the_top_ranked_drugs(drugs: list[dict[str, str]]) -> None:
    named = [{"drug": f"d{i}", **answers} for i, answers in enumerate(drugs)]
    results = alden.score({"drugs": named})
    intermediate = [sum(item.points or 0 for item in r.items[:5]) for r in results]
    best = max(intermediate)
    for result, own in zip(results, intermediate, strict=True):
        expected = -1 if best > 3 and own < best else 0
        assert result.item("other_cause").points == expected
