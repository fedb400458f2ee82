"""WHO-UMC causality categories as an ordered checklist (clinical-reference.md §5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import InputErrors
from dresskit.scoring import who_umc

CERTAIN = {
    "information_sufficient": "yes",
    "more_data_expected": "no",
    "time_relationship": "plausible",
    "explained_by_disease_or_other_drugs": "no",
    "withdrawal_response": "yes",
    "definitive": "yes",
    "rechallenge": "positive",
}


def category(**changes: str) -> str:
    return who_umc.score({**CERTAIN, **changes}).classification


def test_all_criteria_met_is_certain() -> None:
    assert category() == "certain"


def test_certain_accepts_rechallenge_not_done() -> None:
    assert category(rechallenge="not_done") == "certain"


def test_negative_rechallenge_drops_certain_to_probable() -> None:
    assert category(rechallenge="negative") == "probable/likely"


def test_not_definitive_drops_certain_to_probable() -> None:
    assert category(definitive="no") == "probable/likely"


def test_unlikely_other_explanation_is_probable() -> None:
    assert category(explained_by_disease_or_other_drugs="unlikely") == "probable/likely"


def test_could_be_explained_otherwise_is_possible() -> None:
    assert category(explained_by_disease_or_other_drugs="yes") == "possible"


def test_lacking_withdrawal_information_is_possible() -> None:
    assert category(withdrawal_response="unknown", definitive="unknown") == "possible"


def test_improbable_time_relationship_is_unlikely() -> None:
    assert (
        category(time_relationship="improbable", explained_by_disease_or_other_drugs="yes")
        == "unlikely"
    )


def test_insufficient_information_with_more_data_expected_is_conditional() -> None:
    assert (
        category(information_sufficient="no", more_data_expected="yes")
        == "conditional/unclassified"
    )


def test_insufficient_information_without_more_data_is_unassessable() -> None:
    assert (
        category(information_sufficient="no", more_data_expected="no")
        == "unassessable/unclassifiable"
    )


def test_unknown_time_relationship_can_still_reach_certain() -> None:
    result = who_umc.score({**CERTAIN, "time_relationship": "unknown"})
    assert result.classification == "conditional/unclassified"
    assert "certain" in result.reachable_classes
    assert result.unknown_items == ("time_relationship",)


def test_result_has_no_points_and_explains_every_category_tried() -> None:
    result = who_umc.score({**CERTAIN, "definitive": "no"})
    assert result.total is None
    assert result.reachable_total is None
    assert all(item.points is None for item in result.items)
    assert result.remarks[0].startswith("certain: ")
    assert "not met" in result.remarks[0]
    assert result.remarks[-1].startswith("probable/likely: ")


def test_answer_outside_a_questions_choices_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        who_umc.score({**CERTAIN, "time_relationship": "reasonable"})
    (error,) = caught.value.errors
    assert error.field == "time_relationship"
    assert "'plausible'" in error.expected


@given(st.fixed_dictionaries({q: st.sampled_from(c) for q, c in who_umc.CHOICES.items()}))
def test_category_is_one_of_the_six_and_final_when_nothing_is_unknown(
    answers: dict[str, str],
) -> None:
    result = who_umc.score(answers)
    assert result.classification in who_umc.CATEGORIES
    assert set(result.reachable_classes) <= set(who_umc.CATEGORIES)
    if not result.unknown_items:
        assert result.reachable_classes == (result.classification,)
