"""Naranjo ADR probability scale (Naranjo 1981 Table I; clinical-reference.md §4)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import InputErrors
from dresskit.scoring import naranjo

QUESTIONS = list(naranjo.QUESTIONS)
ALL_UNKNOWN = dict.fromkeys(QUESTIONS, "unknown")

# (question, yes, no) written out from the published table, not read from the module.
PUBLISHED = [
    ("previous_reports", 1, 0),
    ("appeared_after_drug", 2, -1),
    ("improved_on_withdrawal", 1, 0),
    ("reappeared_on_readministration", 2, -1),
    ("alternative_causes", -1, 2),
    ("reappeared_with_placebo", -1, 1),
    ("toxic_concentration", 1, 0),
    ("dose_response", 1, 0),
    ("previous_similar_reaction", 1, 0),
    ("objective_evidence", 1, 0),
]


@pytest.mark.parametrize(("question", "yes", "no"), PUBLISHED)
@pytest.mark.parametrize("answer", ["yes", "no", "unknown"])
def test_each_answer_scores_the_published_points(
    question: str, yes: int, no: int, answer: str
) -> None:
    result = naranjo.score({**ALL_UNKNOWN, question: answer})
    expected = {"yes": yes, "no": no, "unknown": 0}[answer]
    assert result.item(question).points == expected
    assert result.total == expected


@pytest.mark.parametrize(
    ("total", "expected"),
    [
        (-4, "doubtful"),
        (0, "doubtful"),
        (1, "possible"),
        (4, "possible"),
        (5, "probable"),
        (8, "probable"),
        (9, "definite"),
        (13, "definite"),
    ],
)
def test_bands_follow_naranjo(total: int, expected: str) -> None:
    assert naranjo.classify(total) == expected


def test_range_is_minus_4_to_13() -> None:
    worst = {q: ("no" if yes > no else "yes") for q, yes, no in PUBLISHED}
    best = {q: ("yes" if yes > no else "no") for q, yes, no in PUBLISHED}
    assert naranjo.score(worst).total == -4
    assert naranjo.score(best).total == 13


def test_drug_name_becomes_the_subject() -> None:
    assert naranjo.score({**ALL_UNKNOWN, "drug": "dapsone"}).subject == "dapsone"


def test_all_do_not_know_reaches_the_whole_range() -> None:
    result = naranjo.score(ALL_UNKNOWN)
    assert (result.total, result.reachable_total) == (0, (-4, 13))
    assert result.reachable_classes == ("doubtful", "possible", "probable", "definite")


def test_published_case_tcrm_2018_scores_6_probable() -> None:
    """Ther Clin Risk Manag 2018;14:1657, Table 1 (PMC6136411): item scores 0, +2, +1, 0,
    +2, 0, 0, 0, 0, +1 = 6, rated "probable". Zero-score items whose "no" and "do not know"
    both give 0 are encoded "unknown"; item 4 (0) and 6 (0) likewise."""
    answers = {
        **ALL_UNKNOWN,
        "appeared_after_drug": "yes",
        "improved_on_withdrawal": "yes",
        "alternative_causes": "no",
        "objective_evidence": "yes",
    }
    result = naranjo.score(answers)
    assert (result.total, result.classification) == (6, "probable")


def test_published_case_korean_j_clin_pharm_2019_scores_4_possible() -> None:
    """Korean J Clin Pharm 2019;29:56-60, Table 1: yes +1, yes +2, yes +1, six "do not know",
    item 9 no: total +4, "possible"."""
    answers = {
        **ALL_UNKNOWN,
        "previous_reports": "yes",
        "appeared_after_drug": "yes",
        "improved_on_withdrawal": "yes",
        "previous_similar_reaction": "no",
    }
    result = naranjo.score(answers)
    assert (result.total, result.classification) == (4, "possible")


def test_missing_question_is_an_error() -> None:
    answers = dict(ALL_UNKNOWN)
    del answers["dose_response"]
    with pytest.raises(InputErrors) as caught:
        naranjo.score(answers, source="n.json")
    (error,) = caught.value.errors
    assert (error.field, error.source) == ("dose_response", "n.json")


def test_dont_know_spelled_out_is_refused_with_the_accepted_words() -> None:
    with pytest.raises(InputErrors) as caught:
        naranjo.score({**ALL_UNKNOWN, "dose_response": "don't know"})
    (error,) = caught.value.errors
    assert error.value == "don't know"
    assert "'unknown'" in error.expected


def test_empty_drug_name_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        naranjo.score({**ALL_UNKNOWN, "drug": ""})
    assert caught.value.errors[0].field == "drug"


answers_strategy = st.fixed_dictionaries(
    {q: st.sampled_from(["yes", "no", "unknown"]) for q in QUESTIONS}
)


@given(answers_strategy)
def test_total_stays_in_range_and_class_matches(answers: dict[str, str]) -> None:
    result = naranjo.score(answers)
    assert result.total is not None
    assert -4 <= result.total <= 13
    assert result.classification == naranjo.classify(result.total)
    assert result.reachable_total is not None
    assert result.reachable_total[0] <= result.total <= result.reachable_total[1]


@given(answers_strategy, st.sampled_from(QUESTIONS), st.sampled_from(["yes", "no", "unknown"]))
def test_changing_one_answer_changes_total_by_its_points(
    answers: dict[str, str], question: str, new: str
) -> None:
    before, after = naranjo.score(answers), naranjo.score({**answers, question: new})
    difference = (after.item(question).points or 0) - (before.item(question).points or 0)
    assert (after.total or 0) - (before.total or 0) == difference


@given(answers_strategy)
def test_input_is_not_mutated(answers: dict[str, str]) -> None:
    snapshot = copy.deepcopy(answers)
    naranjo.score(answers)
    assert answers == snapshot
