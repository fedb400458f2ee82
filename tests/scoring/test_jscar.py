"""J-SCAR DIHS criteria (Shiohara 2007; clinical-reference.md §2, §11)."""

from __future__ import annotations

import copy

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import InputErrors
from dresskit.scoring import jscar

ALL_YES = dict.fromkeys(jscar.CRITERIA, "yes")


def test_all_seven_is_typical() -> None:
    result = jscar.score(ALL_YES)
    assert (result.classification, result.total) == ("typical DIHS", 7)


@pytest.mark.parametrize("missing", ["lymphadenopathy", "hhv6_reactivation"])
def test_first_five_without_six_or_seven_is_atypical(missing: str) -> None:
    assert jscar.score({**ALL_YES, missing: "no"}).classification == "atypical DIHS"


@pytest.mark.parametrize("missing", list(jscar.CRITERIA)[:5])
def test_any_of_the_first_five_missing_is_not_met(missing: str) -> None:
    assert jscar.score({**ALL_YES, missing: "no"}).classification == "not met"


@pytest.mark.parametrize(("days", "met"), [(21, False), (22, True), (0, False)])
def test_latency_must_exceed_3_weeks(days: int, met: bool) -> None:
    item = jscar.score({**ALL_YES, "rash_latency_over_3_weeks": {"latency_days": days}}).item(
        "rash_latency_over_3_weeks"
    )
    assert item.answer == ("yes" if met else "no")


@pytest.mark.parametrize(("celsius", "met"), [(38.0, False), (38.1, True)])
def test_fever_must_exceed_38(celsius: float, met: bool) -> None:
    raw = {"max_temperature": {"value": celsius, "unit": "Cel"}}
    assert jscar.score({**ALL_YES, "fever": raw}).item("fever").answer == ("yes" if met else "no")


@pytest.mark.parametrize(("alt", "met"), [(100, "no"), (101, "yes")])
def test_alt_must_exceed_100(alt: float, met: str) -> None:
    raw = {"alt_u_per_l": alt, "other_organ_involvement": "no"}
    assert (
        jscar.score({**ALL_YES, "liver_abnormality": raw}).item("liver_abnormality").answer == met
    )


def test_other_organ_involvement_replaces_the_liver() -> None:
    raw = {"alt_u_per_l": 40, "other_organ_involvement": "yes"}
    assert (
        jscar.score({**ALL_YES, "liver_abnormality": raw}).item("liver_abnormality").answer == "yes"
    )


def test_normal_alt_with_unknown_other_organ_is_undetermined() -> None:
    item = jscar.score({**ALL_YES, "liver_abnormality": {"alt_u_per_l": 40}}).item(
        "liver_abnormality"
    )
    assert (item.known, item.alternatives) == (False, (0, 1))


@pytest.mark.parametrize(
    ("raw", "answer"),
    [
        ({"wbc_per_ul": 11000, "atypical_lymphocytes_pct": 5, "eosinophils_per_ul": 1500}, "no"),
        ({"wbc_per_ul": 11001}, "yes"),
        ({"atypical_lymphocytes_pct": 5.1}, "yes"),
        ({"eosinophils_per_ul": 1501}, "yes"),
        ({"eosinophils_per_ul": 1500}, "unknown"),
    ],
)
def test_leukocyte_abnormality_thresholds_are_strict(raw: dict[str, float], answer: str) -> None:
    item = jscar.score({**ALL_YES, "leukocyte_abnormality": raw}).item("leukocyte_abnormality")
    assert item.answer == answer


def test_unknown_hhv6_leaves_typical_reachable() -> None:
    result = jscar.score({**ALL_YES, "hhv6_reactivation": "unknown"})
    assert result.classification == "atypical DIHS"
    assert result.reachable_classes == ("atypical DIHS", "typical DIHS")


def test_fever_in_fahrenheit_is_converted() -> None:
    raw = {"max_temperature": {"value": 100.6, "unit": "[degF]"}}  # 38.1 °C
    assert jscar.score({**ALL_YES, "fever": raw}).item("fever").answer == "yes"


def test_empty_leukocyte_values_are_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        jscar.score({**ALL_YES, "leukocyte_abnormality": {}})
    assert caught.value.errors[0].field == "leukocyte_abnormality"


def test_implausible_temperature_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        jscar.score({**ALL_YES, "fever": {"max_temperature": {"value": 389, "unit": "Cel"}}})
    assert caught.value.errors[0].field == "fever.max_temperature.value"


def test_missing_criterion_is_refused() -> None:
    answers = dict(ALL_YES)
    del answers["fever"]
    with pytest.raises(InputErrors) as caught:
        jscar.score(answers)
    assert caught.value.errors[0].field == "fever"


@given(
    st.fixed_dictionaries({c: st.sampled_from(["yes", "no", "unknown"]) for c in jscar.CRITERIA})
)
def test_total_counts_met_criteria_and_class_is_reachable(answers: dict[str, str]) -> None:
    snapshot = copy.deepcopy(answers)
    result = jscar.score(answers)
    assert result.total == sum(answer == "yes" for answer in answers.values())
    assert result.classification in result.reachable_classes
    assert answers == snapshot
