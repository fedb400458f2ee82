"""Naranjo ADR probability scale (Naranjo 1981 Table I; clinical-reference.md §4)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import MISSING, InputErrors
from dresskit.scoring import naranjo

# The input ids, in order, as clinical-reference.md §0 lists them.
IDS = [
    "previous_reports",
    "appeared_after_drug",
    "improved_on_withdrawal",
    "reappeared_on_readministration",
    "alternative_causes",
    "reappeared_with_placebo",
    "toxic_concentration",
    "dose_response",
    "previous_similar_reaction",
    "objective_evidence",
]

# (question, yes, no, do not know) written out from Naranjo 1981 Table I as transcribed in
# clinical-reference.md §4, not read from the module.
TABLE_I = {
    "previous_reports": (1, 0, 0),
    "appeared_after_drug": (2, -1, 0),
    "improved_on_withdrawal": (1, 0, 0),
    "reappeared_on_readministration": (2, -1, 0),
    "alternative_causes": (-1, 2, 0),
    "reappeared_with_placebo": (-1, 1, 0),
    "toxic_concentration": (1, 0, 0),
    "dose_response": (1, 0, 0),
    "previous_similar_reaction": (1, 0, 0),
    "objective_evidence": (1, 0, 0),
}
ANSWERS = ("yes", "no", "unknown")
ALL_UNKNOWN = dict.fromkeys(IDS, "unknown")


def points_of(question: str, answer: str) -> int:
    return TABLE_I[question][ANSWERS.index(answer)]


def answers_for(**given_answers: str) -> dict[str, str]:
    return {**ALL_UNKNOWN, **given_answers}


# --- items -------------------------------------------------------------------------------


def test_questions_are_the_canonical_ids_in_order() -> None:
    assert list(naranjo.QUESTIONS) == IDS
    assert list(naranjo.NaranjoInput.model_fields) == ["drug", *IDS]


@pytest.mark.parametrize("question", IDS)
@pytest.mark.parametrize("answer", ANSWERS)
def test_each_answer_scores_the_table_i_points(question: str, answer: str) -> None:
    result = naranjo.score(answers_for(**{question: answer}))
    item = result.item(question)
    expected = points_of(question, answer)
    assert (item.answer, item.points) == (answer, expected)
    assert result.total == expected
    assert item.known is (answer != "unknown")


@pytest.mark.parametrize("question", IDS)
def test_unknown_scores_zero_and_says_so_with_the_yes_and_no_points(question: str) -> None:
    yes, no, _ = TABLE_I[question]
    item = naranjo.score(ALL_UNKNOWN).item(question)
    assert item.points == 0
    assert "do not know" in item.reason
    assert "gives 0" in item.reason
    assert item.alternatives == tuple(sorted({yes, no}))


@pytest.mark.parametrize("question", IDS)
def test_known_answer_has_no_alternatives_and_a_reason_with_its_points(question: str) -> None:
    item = naranjo.score(answers_for(**{question: "yes"})).item(question)
    assert item.alternatives == ()
    assert item.reason.startswith(f"Q{IDS.index(question) + 1} answered yes: ")
    expected = points_of(question, "yes")
    assert f"{expected:+d}" in item.reason


# --- bands ---------------------------------------------------------------------------------


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
def test_classify_follows_the_published_bands(total: int, expected: str) -> None:
    assert naranjo.classify(total) == expected


# Answer sets whose totals sit on each side of every band edge (points from Table I).
EDGE_CASES = [
    # 0 / 1: doubtful / possible
    ({"appeared_after_drug": "yes", "alternative_causes": "yes", "dose_response": "no"}, 1),
    ({"previous_reports": "yes", "appeared_after_drug": "no"}, 0),
    # 4 / 5: possible / probable
    ({"appeared_after_drug": "yes", "alternative_causes": "no"}, 4),
    ({"appeared_after_drug": "yes", "alternative_causes": "no", "objective_evidence": "yes"}, 5),
    # 8 / 9: probable / definite
    (
        {
            "appeared_after_drug": "yes",
            "alternative_causes": "no",
            "reappeared_on_readministration": "yes",
            "improved_on_withdrawal": "yes",
            "objective_evidence": "yes",
        },
        8,
    ),
    (
        {
            "appeared_after_drug": "yes",
            "alternative_causes": "no",
            "reappeared_on_readministration": "yes",
            "improved_on_withdrawal": "yes",
            "objective_evidence": "yes",
            "previous_reports": "yes",
        },
        9,
    ),
]


def test_total_1_is_possible_and_0_is_doubtful() -> None:
    assert naranjo.score(answers_for(**EDGE_CASES[0][0])).classification == "possible"
    assert naranjo.score(answers_for(**EDGE_CASES[1][0])).classification == "doubtful"


def test_total_5_is_probable_and_4_is_possible() -> None:
    assert naranjo.score(answers_for(**EDGE_CASES[2][0])).classification == "possible"
    assert naranjo.score(answers_for(**EDGE_CASES[3][0])).classification == "probable"


def test_total_9_is_definite_and_8_is_probable() -> None:
    assert naranjo.score(answers_for(**EDGE_CASES[4][0])).classification == "probable"
    assert naranjo.score(answers_for(**EDGE_CASES[5][0])).classification == "definite"


@pytest.mark.parametrize(("given_answers", "total"), EDGE_CASES)
def test_edge_case_totals_add_up(given_answers: dict[str, str], total: int) -> None:
    assert naranjo.score(answers_for(**given_answers)).total == total


# --- range and reachability ----------------------------------------------------------------


def test_extreme_answers_give_minus_4_and_13() -> None:
    worst = {q: ("no" if yes > no else "yes") for q, (yes, no, _) in TABLE_I.items()}
    best = {q: ("yes" if yes > no else "no") for q, (yes, no, _) in TABLE_I.items()}
    assert naranjo.score(worst).total == -4
    assert naranjo.score(best).total == 13
    assert naranjo.score(best).total_range == (-4, 13)


def test_all_do_not_know_scores_0_and_can_reach_every_class() -> None:
    result = naranjo.score(ALL_UNKNOWN)
    assert (result.total, result.classification) == (0, "doubtful")
    assert result.reachable_total == (-4, 13)
    assert result.reachable_classes == ("doubtful", "possible", "probable", "definite")
    assert result.unknown_items == tuple(IDS)
    assert "10 question(s) answered unknown" in result.remarks[0]


def test_unknown_re_administration_reaches_only_its_yes_and_no_points() -> None:
    known = dict.fromkeys(IDS, "no") | {"appeared_after_drug": "yes", "alternative_causes": "no"}
    # Known part: 0 +2 0 . +2 +1 0 0 0 0 = 5; re-administration yes +2 -> 7, no -1 -> 4.
    result = naranjo.score({**known, "reappeared_on_readministration": "unknown"})
    assert result.total == 5
    assert result.reachable_total == (4, 7)
    assert result.reachable_classes == ("possible", "probable")


def test_fully_answered_scale_is_final() -> None:
    result = naranjo.score(dict.fromkeys(IDS, "yes"))
    # 1 +2 +1 +2 -1 -1 +1 +1 +1 +1 = 8
    assert (result.total, result.classification) == (8, "probable")
    assert result.reachable_total == (8, 8)
    assert result.is_final
    assert result.remarks == ("No drug named: the scale assesses one drug at a time.",)


answers_strategy = st.fixed_dictionaries({q: st.sampled_from(ANSWERS) for q in IDS})


@given(answers_strategy)
def test_total_is_always_within_minus_4_and_13(answers: dict[str, str]) -> None:
    result = naranjo.score(answers)
    assert result.total is not None
    assert -4 <= result.total <= 13
    assert result.total == sum(points_of(q, a) for q, a in answers.items())
    assert result.classification == naranjo.classify(result.total)
    assert result.reachable_total is not None
    assert -4 <= result.reachable_total[0] <= result.reachable_total[1] <= 13


@given(answers_strategy, st.sampled_from(IDS), st.sampled_from(ANSWERS))
def test_changing_one_answer_changes_the_total_by_that_items_point_difference(
    answers: dict[str, str], question: str, new: str
) -> None:
    before = naranjo.score(answers)
    after = naranjo.score({**answers, question: new})
    assert before.total is not None
    assert after.total is not None
    expected = points_of(question, new) - points_of(question, answers[question])
    assert after.total - before.total == expected


@given(answers_strategy)
def test_every_answered_completion_lies_in_the_reachable_range(answers: dict[str, str]) -> None:
    result = naranjo.score(answers)
    assert result.reachable_total is not None
    low, high = result.reachable_total
    for fill in ("yes", "no"):
        completed = {q: (fill if a == "unknown" else a) for q, a in answers.items()}
        total = naranjo.score(completed).total
        assert total is not None
        assert low <= total <= high
        assert naranjo.classify(total) in result.reachable_classes


@given(answers_strategy, st.none() | st.text(min_size=1, max_size=20))
def test_input_mapping_is_not_mutated(answers: dict[str, str], drug: str | None) -> None:
    data: dict[str, object] = dict(answers)
    if drug is not None:
        data["drug"] = drug
    snapshot = copy.deepcopy(data)
    naranjo.score(data)
    assert data == snapshot


# --- published cases -----------------------------------------------------------------------


def _score_with_points(answers: dict[str, str]) -> tuple[list[int | None], int | None]:
    result = naranjo.score(answers_for(**answers))
    return [result.item(q).points for q in IDS], result.total


def test_korean_j_clin_pharm_2019_total_4_possible() -> None:
    """Korean J Clin Pharm 2019;29:56-60 (doi:10.24304/kjcp.2019.29.1.56), Table 1: answers
    printed per question: Yes +1, Yes +2, Yes +1, "Do not know" 0 (questions 4-8), No 0
    (question 9), "Do not know" 0 (question 10); "Total score +4", "Possible"."""
    answers = {
        "previous_reports": "yes",
        "appeared_after_drug": "yes",
        "improved_on_withdrawal": "yes",
        "previous_similar_reaction": "no",
    }
    points, total = _score_with_points(answers)
    assert points == [1, 2, 1, 0, 0, 0, 0, 0, 0, 0]
    assert total == 4
    assert naranjo.score(answers_for(**answers)).classification == "possible"


def test_ther_clin_risk_manag_2018_total_6_probable() -> None:
    """Ther Clin Risk Manag 2018;14:1657, Table 1 (PMC6136411; clinical-reference.md [S19]):
    the patient's item scores 0, +2, +1, 0, +2, 0, 0, 0, 0, +1; "rated as probable". No
    total row is printed: 6 is the sum of the authors' item scores. +2 on question 5 is "no"
    alternative cause; each 0 is encoded "unknown" (for questions 4 and 6 only "do not know"
    gives 0)."""
    answers = {
        "appeared_after_drug": "yes",
        "improved_on_withdrawal": "yes",
        "alternative_causes": "no",
        "objective_evidence": "yes",
    }
    points, total = _score_with_points(answers)
    assert points == [0, 2, 1, 0, 2, 0, 0, 0, 0, 1]
    assert total == 6
    assert naranjo.score(answers_for(**answers)).classification == "probable"


def test_world_j_clin_cases_2024_scores_3() -> None:
    """World J Clin Cases 2024;12(7):1371-1377 (doi:10.12998/wjcc.v12.i7.1371), Table 1
    (clinical-reference.md [S21]): "Patient's score" +1, +2, 0, 0, -1, 0, 0, 0, 0, +1. The
    table prints no total: 3 (possible) is the sum of the authors' item scores; -1 on question
    5 is "yes", an alternative cause."""
    answers = {
        "previous_reports": "yes",
        "appeared_after_drug": "yes",
        "alternative_causes": "yes",
        "objective_evidence": "yes",
    }
    points, total = _score_with_points(answers)
    assert points == [1, 2, 0, 0, -1, 0, 0, 0, 0, 1]
    assert total == 3


def test_j_med_cases_2013_echinacea_total_4() -> None:
    """J Med Cases 2013;4(4):262-265, Table 1 "Causality Assessment Through the Naranjo
    Scale": score +2 (question 2), +2 (question 5, no alternative cause), 0 elsewhere;
    "Total score +4" (possible by the bands printed under the table)."""
    answers = {"appeared_after_drug": "yes", "alternative_causes": "no"}
    points, total = _score_with_points(answers)
    assert points == [0, 2, 0, 0, 2, 0, 0, 0, 0, 0]
    assert total == 4


def test_world_j_transl_med_2013_modified_naranjo_total_10() -> None:
    """World J Transl Med 2013;2(2):13-21 (doi:10.5528/wjtm.v2.i2.13), Table 3 "Modified
    naranjo probability of intervention-caused response", column "Case report": don't know,
    Yes, Yes, Yes, No, No, No, No, Yes, Yes; "Patients total score 10". A modification for an
    intervention that keeps Naranjo's questions in order and their points, so an arithmetic
    check only."""
    answers = {
        "previous_reports": "unknown",
        "appeared_after_drug": "yes",
        "improved_on_withdrawal": "yes",
        "reappeared_on_readministration": "yes",
        "alternative_causes": "no",
        "reappeared_with_placebo": "no",
        "toxic_concentration": "no",
        "dose_response": "no",
        "previous_similar_reaction": "yes",
        "objective_evidence": "yes",
    }
    points, total = _score_with_points(answers)
    assert points == [0, 2, 1, 2, 2, 1, 0, 0, 1, 1]
    assert total == 10
    assert naranjo.score(answers).classification == "definite"


# --- subject, metadata ---------------------------------------------------------------------


def test_drug_name_becomes_the_subject() -> None:
    result = naranjo.score({**ALL_UNKNOWN, "drug": "dapsone"})
    assert result.subject == "dapsone"
    assert not any("No drug named" in remark for remark in result.remarks)


def test_result_names_the_instrument_and_cites_naranjo_1981() -> None:
    result = naranjo.score(ALL_UNKNOWN)
    assert (result.instrument, result.name) == ("naranjo", "Naranjo ADR probability scale")
    assert "1981" in result.version
    assert "Clin Pharmacol Ther" in result.reference.text
    assert "§4" in result.reference.section


def test_typed_input_is_accepted() -> None:
    typed = naranjo.NaranjoInput.model_validate({**ALL_UNKNOWN, "objective_evidence": "yes"})
    assert naranjo.score(typed).total == 1


# --- bad inputs ----------------------------------------------------------------------------


def test_missing_question_is_an_error_naming_it() -> None:
    answers = dict(ALL_UNKNOWN)
    del answers["dose_response"]
    with pytest.raises(InputErrors) as caught:
        naranjo.score(answers, source="n.json")
    (error,) = caught.value.errors
    assert (error.field, error.value, error.source) == ("dose_response", MISSING, "n.json")
    assert "'unknown'" in error.expected
    assert "dose_response" in str(caught.value)


def test_dont_know_spelled_out_is_refused_with_the_accepted_words() -> None:
    with pytest.raises(InputErrors) as caught:
        naranjo.score({**ALL_UNKNOWN, "dose_response": "don't know"})
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("dose_response", "don't know")
    assert "'yes'" in error.expected
    assert "'unknown'" in error.expected


def test_boolean_answer_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        naranjo.score({**ALL_UNKNOWN, "previous_reports": True})
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("previous_reports", True)


def test_extra_key_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        naranjo.score({**ALL_UNKNOWN, "rechallenge": "yes"})
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("rechallenge", "yes")
    assert "not an input" in error.expected


def test_empty_drug_name_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        naranjo.score({**ALL_UNKNOWN, "drug": ""})
    (error,) = caught.value.errors
    assert (error.field, error.value) == ("drug", "")


def test_every_problem_is_reported_at_once() -> None:
    answers: dict[str, object] = dict(ALL_UNKNOWN)
    del answers["previous_reports"]
    answers["objective_evidence"] = "maybe"
    answers["score"] = 3
    with pytest.raises(InputErrors) as caught:
        naranjo.score(answers)
    fields = {error.field for error in caught.value.errors}
    assert fields == {"previous_reports", "objective_evidence", "score"}


def test_non_mapping_input_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        naranjo.score(["yes"] * 10)  # type: ignore[arg-type]
    assert "JSON object of Naranjo items" in caught.value.errors[0].expected
