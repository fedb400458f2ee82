"""Bocquet 1996 criteria (clinical-reference.md §3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import InputErrors
from dresskit.scoring import bocquet

ALL_YES = dict.fromkeys(bocquet.CRITERIA, "yes")


def test_all_three_is_met() -> None:
    assert bocquet.score(ALL_YES).classification == "met"


@pytest.mark.parametrize("missing", list(bocquet.CRITERIA))
def test_each_criterion_is_required(missing: str) -> None:
    assert bocquet.score({**ALL_YES, missing: "no"}).classification == "not met"


@pytest.mark.parametrize(("count", "answer"), [(1499, "unknown"), (1500, "yes")])
def test_eosinophils_at_least_1500_is_inclusive(count: float, answer: str) -> None:
    item = bocquet.score({**ALL_YES, "haematological": {"eosinophils_per_ul": count}}).item(
        "haematological"
    )
    assert item.answer == answer


def test_atypical_lymphocytes_alone_meet_the_haematological_criterion() -> None:
    raw = {"eosinophils_per_ul": 300, "atypical_lymphocytes": "yes"}
    assert bocquet.score({**ALL_YES, "haematological": raw}).item("haematological").answer == "yes"


def test_low_eosinophils_without_atypical_lymphocytes_is_not_met() -> None:
    raw = {"eosinophils_per_ul": 300, "atypical_lymphocytes": "no"}
    assert bocquet.score({**ALL_YES, "haematological": raw}).item("haematological").answer == "no"


def test_systemic_sites_list() -> None:
    assert (
        bocquet.score({**ALL_YES, "systemic_involvement": ["carditis"]})
        .item("systemic_involvement")
        .answer
        == "yes"
    )
    assert (
        bocquet.score({**ALL_YES, "systemic_involvement": []}).item("systemic_involvement").answer
        == "no"
    )


def test_unlisted_site_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        bocquet.score({**ALL_YES, "systemic_involvement": ["spleen"]})
    assert caught.value.errors[0].field == "systemic_involvement[0]"
    assert "'carditis'" in caught.value.errors[0].expected


def test_repeated_site_is_refused() -> None:
    with pytest.raises(InputErrors):
        bocquet.score({**ALL_YES, "systemic_involvement": ["hepatitis", "hepatitis"]})


@given(
    st.fixed_dictionaries({c: st.sampled_from(["yes", "no", "unknown"]) for c in bocquet.CRITERIA})
)
def test_met_only_when_all_three_yes(answers: dict[str, str]) -> None:
    result = bocquet.score(answers)
    assert (result.classification == "met") == all(a == "yes" for a in answers.values())
    assert 0 <= (result.total or 0) <= 3
