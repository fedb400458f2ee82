"""Scores computed from a course, with the data that fed each item."""

from __future__ import annotations

from dataclasses import replace

from dresskit.course import DrugExposure, DrugRole, Finding, Observation
from dresskit.course.diagnosis import bocquet_from_course, jscar_from_course, regiscar_from_course
from tests.course.builders import course, day


def full_course():  # type: ignore[no-untyped-def]
    base = course(
        observations={
            "temperature": [(-9, 39.2), (-5, 38.0)],
            "alt": [(-8, 350)],
            "eosinophils": [(-8, 2.1), (-4, 0.9)],
            "rash_bsa": [(-9, 70), (10, 0)],
        }
    )
    extra = (
        Observation("e1", day(-8), "atypical_lymphocytes_pct", 6, "%"),
        Observation("e1", day(-8), "hhv6_pcr", None, "{copies}/mL", text="positive"),
        Observation("e1", day(-8), "leukocytes", 12.0, "10*9/L"),
    )
    findings = (
        Finding("e1", day(-9), "rash", "present"),
        Finding("e1", day(-9), "lymph_nodes", "enlarged", "neck"),
        Finding("e1", day(-9), "lymph_nodes", "enlarged", "axilla"),
        Finding("e1", day(-9), "rash_feature", "infiltration"),
        Finding("e1", day(-9), "facial_oedema", "present"),
        Finding("e1", day(-8), "organ_involvement", "liver"),
        Finding("e1", day(-8), "organ_involvement", "kidney"),
        Finding("e1", day(-7), "other_cause_test", "negative", "hbv"),
        Finding("e1", day(-7), "other_cause_test", "negative", "hcv"),
        Finding("e1", day(-7), "other_cause_test", "negative", "ana"),
    )
    drugs = (DrugExposure("e1", "carbamazepine", DrugRole.SUSPECT, day(-38), stop=day(-10)),)
    return replace(base, observations=base.observations + extra, findings=findings, drugs=drugs)


def test_regiscar_from_a_complete_course_with_provenance() -> None:
    scored = regiscar_from_course(full_course())
    result = scored.result
    assert result.item("eosinophilia").points == 2  # peak 2.1 x 10^9/L = 2 100/µL
    assert result.item("organ_involvement").points == 2
    assert result.item("skin_suggestive").answer == "yes"  # infiltration + facial oedema
    assert result.item("resolution_15_days").answer == "yes"  # BSA 0 only 20 days after onset
    assert result.item("other_causes_excluded").points == 1
    assert (result.total, result.classification) == (9, "definite")
    assert any("eosinophils = 2.1" in text for text in scored.provenance["eosinophilia"])
    assert scored.without_data == ("biopsy_suggestive",)


def test_items_without_data_stay_unknown() -> None:
    scored = regiscar_from_course(course())
    assert set(scored.result.unknown_items) == set(scored.without_data)
    assert scored.result.total == -2  # fever and resolution unknown score -1 each, as published


def test_a_single_recorded_rash_feature_is_not_taken_as_no() -> None:
    base = course()
    one = replace(base, findings=(Finding("e1", day(-9), "rash_feature", "purpura"),))
    assert regiscar_from_course(one).result.item("skin_suggestive").answer == "unknown"


def test_jscar_from_course_uses_the_top_suspect_latency() -> None:
    scored = jscar_from_course(full_course())
    result = scored.result
    assert result.item("rash_latency_over_3_weeks").answer == "yes"  # 28 days
    assert result.item("hhv6_reactivation").answer == "yes"
    assert result.item("leukocyte_abnormality").answer == "yes"  # leukocytes 12 000/µL
    assert result.classification == "typical DIHS"


def test_bocquet_from_course() -> None:
    result = bocquet_from_course(full_course()).result
    assert result.classification == "met"
    assert result.item("systemic_involvement").reason.startswith("hepatitis")
