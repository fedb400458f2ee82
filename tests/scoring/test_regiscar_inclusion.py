"""RegiSCAR inclusion criteria (clinical-reference.md §1.5)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import InputErrors
from dresskit.scoring import regiscar_inclusion as inclusion

ALL_YES = dict.fromkeys([*inclusion.CONTEXT, *inclusion.STARRED], "yes")
MEETS = "meets inclusion criteria"


def test_context_and_four_starred_meets() -> None:
    assert inclusion.score(ALL_YES).classification == MEETS


@pytest.mark.parametrize("starred", list(inclusion.STARRED))
def test_three_of_four_starred_is_enough(starred: str) -> None:
    assert inclusion.score({**ALL_YES, starred: "no"}).classification == MEETS


def test_two_of_four_starred_is_not_enough() -> None:
    answers = {**ALL_YES, "fever_over_38": "no", "lymph_nodes_2_sites": "no"}
    assert inclusion.score(answers).classification == "does not meet"


@pytest.mark.parametrize("context", list(inclusion.CONTEXT))
def test_every_context_criterion_is_required(context: str) -> None:
    assert inclusion.score({**ALL_YES, context: "no"}).classification == "does not meet"


@pytest.mark.parametrize(("celsius", "answer"), [(38.0, "no"), (38.2, "yes")])
def test_inclusion_fever_is_over_38(celsius: float, answer: str) -> None:
    raw = {"max_temperature": {"value": celsius, "unit": "Cel"}}
    assert inclusion.score({**ALL_YES, "fever_over_38": raw}).item("fever_over_38").answer == answer


@pytest.mark.parametrize(
    ("counts", "answer"),
    [
        ({"platelets": "below"}, "yes"),
        ({"lymphocytes": "below"}, "yes"),
        ({"lymphocytes": "normal", "eosinophils": "normal", "platelets": "normal"}, "no"),
        ({"lymphocytes": "normal"}, "unknown"),
    ],
)
def test_blood_count_abnormality(counts: dict[str, str], answer: str) -> None:
    item = inclusion.score({**ALL_YES, "blood_count_abnormality": counts}).item(
        "blood_count_abnormality"
    )
    assert item.answer == answer


def test_eosinophils_below_limit_is_not_an_accepted_state() -> None:
    with pytest.raises(InputErrors) as caught:
        inclusion.score({**ALL_YES, "blood_count_abnormality": {"eosinophils": "below"}})
    assert caught.value.errors[0].field == "blood_count_abnormality.eosinophils"


@given(st.fixed_dictionaries({c: st.sampled_from(["yes", "no", "unknown"]) for c in ALL_YES}))
def test_rule_is_context_and_three_starred(answers: dict[str, str]) -> None:
    result = inclusion.score(answers)
    context = all(answers[c] == "yes" for c in inclusion.CONTEXT)
    starred = sum(answers[c] == "yes" for c in inclusion.STARRED)
    assert (result.classification == MEETS) == (context and starred >= 3)
