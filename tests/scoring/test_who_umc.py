"""WHO-UMC causality categories as an ordered checklist (clinical-reference.md §5).

Criteria wording from the UMC page as reproduced in F1000Research 2018;7:243 Box 2 [S22],
Cureus 2024;16:e59975 Table 2 [S23] and Allergy Asthma Clin Immunol 2021 Table 1 [S24].
"""

from __future__ import annotations

import copy
import itertools
import typing

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import MISSING, InputErrors
from dresskit.scoring import ScoreResult, who_umc

# Written out here, not read from the module.
ORDER = (
    "certain",
    "probable/likely",
    "possible",
    "unlikely",
    "conditional/unclassified",
    "unassessable/unclassifiable",
)
CHOICES = {
    "time_relationship": ("plausible", "improbable", "unknown"),
    "explained_by_disease_or_other_drugs": ("no", "unlikely", "yes", "unknown"),
    "withdrawal_response": ("yes", "no", "unknown"),
    "definitive_pharmacologically_or_phenomenologically": ("yes", "no", "unknown"),
    "rechallenge": ("positive", "negative", "not_necessary", "not_done", "unknown"),
    "information_sufficient": ("yes", "no"),
    "more_data_expected": ("yes", "no"),
}
NOTHING_KNOWN = {
    "time_relationship": "unknown",
    "explained_by_disease_or_other_drugs": "unknown",
    "withdrawal_response": "unknown",
    "definitive_pharmacologically_or_phenomenologically": "unknown",
    "rechallenge": "unknown",
    "information_sufficient": "yes",
    "more_data_expected": "no",
}
CERTAIN = {
    "time_relationship": "plausible",
    "explained_by_disease_or_other_drugs": "no",
    "withdrawal_response": "yes",
    "definitive_pharmacologically_or_phenomenologically": "yes",
    "rechallenge": "positive",
    "information_sufficient": "yes",
    "more_data_expected": "no",
}


def assess(base: dict[str, str], **changes: str) -> ScoreResult:
    return who_umc.score({**base, **changes})


def category(base: dict[str, str], **changes: str) -> str:
    return assess(base, **changes).classification


# --- declared vocabulary -------------------------------------------------------------------


def test_questions_and_choices_are_the_documented_checklist() -> None:
    assert dict(who_umc.CHOICES) == CHOICES
    assert list(who_umc.QUESTIONS) == list(CHOICES)
    assert who_umc.CATEGORIES == ORDER


def test_input_model_accepts_exactly_the_declared_choices() -> None:
    fields = who_umc.WhoUmcInput.model_fields
    assert list(fields) == ["drug", *CHOICES]
    for question, choices in CHOICES.items():
        assert typing.get_args(fields[question].annotation) == choices
        extra = fields[question].json_schema_extra
        assert isinstance(extra, dict)
        accepted = extra["accepted"]
        assert isinstance(accepted, str)
        for choice in choices:
            assert f"'{choice}'" in accepted


# --- one test per category: the minimal answers that give it -------------------------------


def test_certain_needs_all_five_points_and_sufficient_information() -> None:
    assert category(CERTAIN) == "certain"


def test_probable_needs_reasonable_time_unlikely_other_cause_and_withdrawal_response() -> None:
    answers = NOTHING_KNOWN | {
        "time_relationship": "plausible",
        "explained_by_disease_or_other_drugs": "unlikely",
        "withdrawal_response": "yes",
    }
    assert category(answers) == "probable/likely"


def test_possible_needs_only_a_reasonable_time_relationship() -> None:
    answers = NOTHING_KNOWN | {"time_relationship": "plausible"}
    result = who_umc.score(answers)
    assert result.classification == "possible"
    assert result.reachable_classes == ("certain", "probable/likely", "possible")


def test_unlikely_needs_improbable_time_and_a_plausible_other_explanation() -> None:
    answers = NOTHING_KNOWN | {
        "time_relationship": "improbable",
        "explained_by_disease_or_other_drugs": "yes",
    }
    result = who_umc.score(answers)
    assert result.classification == "unlikely"
    assert result.is_final


def test_conditional_when_information_is_insufficient_and_more_data_are_expected() -> None:
    answers = NOTHING_KNOWN | {"information_sufficient": "no", "more_data_expected": "yes"}
    result = who_umc.score(answers)
    assert result.classification == "conditional/unclassified"
    assert result.reachable_classes == ("conditional/unclassified",)


def test_unassessable_when_information_is_insufficient_and_cannot_be_supplemented() -> None:
    answers = NOTHING_KNOWN | {"information_sufficient": "no", "more_data_expected": "no"}
    assert category(answers) == "unassessable/unclassifiable"


# --- certain and its criteria --------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "answer"),
    [
        ("explained_by_disease_or_other_drugs", "unlikely"),
        ("definitive_pharmacologically_or_phenomenologically", "no"),
        ("definitive_pharmacologically_or_phenomenologically", "unknown"),
        ("rechallenge", "negative"),
        ("rechallenge", "not_done"),
        ("rechallenge", "unknown"),
    ],
)
def test_a_missing_criterion_of_certain_drops_it_to_probable(question: str, answer: str) -> None:
    result = assess(CERTAIN, **{question: answer})
    assert result.classification == "probable/likely"
    assert result.remarks[0].startswith("certain: ruled out by ")
    assert f"({question} = {answer})" in result.remarks[0]


@pytest.mark.parametrize("rechallenge", ["positive", "not_necessary"])
def test_certain_accepts_a_positive_or_unnecessary_rechallenge(rechallenge: str) -> None:
    assert category(CERTAIN, rechallenge=rechallenge) == "certain"


@pytest.mark.parametrize("withdrawal", ["no", "unknown"])
def test_without_a_withdrawal_response_the_case_is_possible(withdrawal: str) -> None:
    assert category(CERTAIN, withdrawal_response=withdrawal) == "possible"


def test_another_plausible_explanation_makes_it_possible() -> None:
    assert category(CERTAIN, explained_by_disease_or_other_drugs="yes") == "possible"


def test_insufficient_information_overrides_answers_that_would_be_certain() -> None:
    result = assess(CERTAIN, information_sufficient="no", more_data_expected="yes")
    assert result.classification == "conditional/unclassified"
    assert "information_sufficient = no" in result.remarks[0]


# --- unknown and the fall-back categories --------------------------------------------------


def test_unknown_time_relationship_can_still_reach_certain() -> None:
    result = assess(CERTAIN, time_relationship="unknown", more_data_expected="yes")
    assert result.classification == "conditional/unclassified"
    assert result.unknown_items == ("time_relationship",)
    # plausible -> certain; improbable without another explanation fits no assessable category.
    assert result.reachable_classes == ("certain", "conditional/unclassified")
    assert not result.is_final


def test_unknown_time_without_more_data_is_unassessable_but_could_be_certain() -> None:
    result = assess(CERTAIN, time_relationship="unknown")
    assert result.classification == "unassessable/unclassifiable"
    assert "certain" in result.reachable_classes


def test_improbable_time_without_another_explanation_fits_no_assessable_category() -> None:
    assert category(CERTAIN, time_relationship="improbable") == "unassessable/unclassifiable"
    assert (
        category(CERTAIN, time_relationship="improbable", more_data_expected="yes")
        == "conditional/unclassified"
    )


def test_unknown_other_explanation_lists_the_three_categories_it_could_give() -> None:
    result = assess(CERTAIN, explained_by_disease_or_other_drugs="unknown")
    assert result.classification == "possible"
    assert result.reachable_classes == ("certain", "probable/likely", "possible")
    assert "answering them could give: certain, probable/likely, possible" in result.remarks[-1]


# --- the explanation -----------------------------------------------------------------------


def test_result_has_no_points_and_no_totals() -> None:
    result = who_umc.score(CERTAIN)
    assert result.total is None
    assert result.total_range is None
    assert result.reachable_total is None
    assert all(item.points is None for item in result.items)
    assert all(item.alternatives == () for item in result.items)
    assert [item.id for item in result.items] == list(CHOICES)


def test_remarks_list_every_criterion_of_the_category_given() -> None:
    result = assess(CERTAIN, rechallenge="not_done")
    chosen = result.remarks[-1]
    assert chosen.startswith("probable/likely: every criterion met: ")
    for text in (
        "information sufficient and consistent to judge the case",
        "reasonable time relationship to drug intake",
        "unlikely to be attributed to disease or other drugs",
        "response to withdrawal clinically reasonable",
        "rechallenge not required",
    ):
        assert text in chosen
    assert "rechallenge not required (rechallenge = not_done): met, any answer" in chosen


def test_fall_back_category_remark_says_no_category_above_applied() -> None:
    result = who_umc.score(NOTHING_KNOWN | {"information_sufficient": "no"})
    assert result.classification == "unassessable/unclassifiable"
    chosen = next(r for r in result.remarks if r.startswith("unassessable/unclassifiable"))
    assert "no category above has all its criteria met" in chosen
    assert "data cannot be supplemented or verified (more_data_expected = no): met" in chosen
    # Five categories ruled out, the one given, then the five unknown questions.
    assert len(result.remarks) == len(ORDER) + 1
    assert result.remarks[-1].startswith("5 question(s) unknown")


def test_item_reason_says_what_the_answer_satisfies_and_blocks() -> None:
    result = who_umc.score(CERTAIN)
    time = result.item("time_relationship").reason
    assert time.startswith("answered plausible. Satisfies certain: plausible time relationship")
    assert "probable/likely, possible: reasonable time relationship to drug intake" in time
    assert "Blocks unlikely: time to drug intake makes a relationship improbable" in time
    rechallenge = result.item("rechallenge").reason
    assert "Satisfies certain: rechallenge satisfactory, if necessary" in rechallenge
    assert "Any answer is accepted by probable/likely: rechallenge not required" in rechallenge


def test_unknown_item_reason_says_it_blocks_every_category_asking_for_it() -> None:
    result = assess(CERTAIN, time_relationship="unknown")
    item = result.item("time_relationship")
    assert not item.known
    assert item.reason.startswith("answered unknown (not established")
    assert "Blocks certain: " in item.reason
    assert "unlikely: time to drug intake" in item.reason
    assert "Satisfies" not in item.reason


def test_drug_becomes_the_subject_and_the_reference_is_the_umc() -> None:
    result = who_umc.score({**CERTAIN, "drug": "allopurinol"})
    assert result.subject == "allopurinol"
    assert result.instrument == "who-umc"
    assert "Uppsala Monitoring Centre" in result.reference.text
    assert "§5" in result.reference.section


# --- bad inputs ----------------------------------------------------------------------------


def test_missing_question_is_an_error_naming_it() -> None:
    answers = dict(CERTAIN)
    del answers["rechallenge"]
    with pytest.raises(InputErrors) as caught:
        who_umc.score(answers, source="w.json")
    (error,) = caught.value.errors
    assert (error.field, error.value, error.source) == ("rechallenge", MISSING, "w.json")


def test_reasonable_is_not_a_time_relationship_answer() -> None:
    with pytest.raises(InputErrors) as caught:
        who_umc.score({**CERTAIN, "time_relationship": "reasonable"})
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("time_relationship", "reasonable")
    assert "'plausible'" in error.expected
    assert "'improbable'" in error.expected


@pytest.mark.parametrize("question", ["information_sufficient", "more_data_expected"])
def test_unknown_is_not_accepted_where_the_checklist_needs_a_decision(question: str) -> None:
    with pytest.raises(InputErrors) as caught:
        who_umc.score({**CERTAIN, question: "unknown"})
    (error,) = caught.value.errors
    assert (error.field, error.value) == (question, "unknown")
    assert "'yes'" in error.expected


def test_extra_key_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        who_umc.score({**CERTAIN, "definitive": "yes"})
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("definitive", "yes")
    assert "not an input" in error.expected


def test_every_problem_is_reported_at_once() -> None:
    answers: dict[str, object] = dict(CERTAIN)
    del answers["time_relationship"]
    answers["rechallenge"] = "done"
    answers["drug"] = ""
    with pytest.raises(InputErrors) as caught:
        who_umc.score(answers)
    assert {error.field for error in caught.value.errors} == {
        "time_relationship",
        "rechallenge",
        "drug",
    }


def test_classify_refuses_an_answer_outside_the_choices() -> None:
    with pytest.raises(ValueError, match="rechallenge must be one of"):
        who_umc.classify({**CERTAIN, "rechallenge": "done"})


# --- properties ----------------------------------------------------------------------------

answers_strategy = st.fixed_dictionaries({q: st.sampled_from(c) for q, c in CHOICES.items()})


def brute_force_classes(answers: dict[str, str]) -> tuple[str, ...]:
    unknown = [q for q, a in answers.items() if a == "unknown"]
    options = [[c for c in CHOICES[q] if c != "unknown"] for q in unknown]
    found = {
        who_umc.classify({**answers, **dict(zip(unknown, combo, strict=True))})
        for combo in itertools.product(*options)
    }
    return tuple(c for c in ORDER if c in found)


@given(answers_strategy)
def test_category_is_one_of_the_six_and_reachable_classes_are_complete(
    answers: dict[str, str],
) -> None:
    result = who_umc.score(answers)
    assert result.classification in ORDER
    assert result.reachable_classes == brute_force_classes(answers)
    if not result.unknown_items:
        assert result.reachable_classes == (result.classification,)


@given(answers_strategy)
def test_the_category_given_is_the_first_whose_criteria_are_all_met(
    answers: dict[str, str],
) -> None:
    result = who_umc.score(answers)
    position = ORDER.index(result.classification)
    assert result.remarks[position].startswith(f"{result.classification}: every criterion met")
    for earlier, remark in zip(ORDER[:position], result.remarks, strict=False):
        assert remark.startswith(f"{earlier}: ruled out by ")


@given(answers_strategy)
def test_sufficient_information_is_needed_for_an_assessable_category(
    answers: dict[str, str],
) -> None:
    insufficient = {**answers, "information_sufficient": "no"}
    expected = (
        "conditional/unclassified"
        if answers["more_data_expected"] == "yes"
        else "unassessable/unclassifiable"
    )
    assert who_umc.score(insufficient).classification == expected


@given(answers_strategy)
def test_input_mapping_is_not_mutated(answers: dict[str, str]) -> None:
    snapshot = copy.deepcopy(answers)
    who_umc.score(answers)
    assert answers == snapshot
