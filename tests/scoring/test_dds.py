"""DiHS/DRESS severity score (Mizukawa 2019; clinical-reference.md §7.1)."""

from __future__ import annotations

from typing import Literal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import InputErrors
from dresskit.scoring import dds

BASE: dict[str, object] = {
    "age_years": 50,
    "days_drug_continued_after_onset": 0,
    "allopurinol": "no",
    "steroid_pulse": "no",
    "erythema": {"bsa_pct": 10},
    "erosions_bsa_pct": 0,
    "fever_days": 0,
    "low_intake_days": 0,
    "creatinine": {"value": 0.8, "unit": "mg/dL"},
    "alt_u_per_l": 30,
    "crp": {"value": 5, "unit": "mg/dL"},
}


def points(item: str, value: object) -> int | None:
    return dds.score({**BASE, item: value}).item(item).points


def test_neutral_case_scores_0_mild() -> None:
    result = dds.score(BASE)
    assert (result.total, result.classification) == (0, "mild")


@pytest.mark.parametrize(("age", "expected"), [(39, -1), (40, 0), (74, 0), (75, 2)])
def test_age_bands(age: int, expected: int) -> None:
    assert points("age_years", age) == expected


@pytest.mark.parametrize(("days", "expected"), [(6, 0), (7, 1)])
def test_drug_continued_bands(days: int, expected: int) -> None:
    assert points("days_drug_continued_after_onset", days) == expected


@pytest.mark.parametrize("item", ["allopurinol", "steroid_pulse"])
def test_yes_items_score_2(item: str) -> None:
    assert points(item, "yes") == 2
    assert points(item, "no") == 0


@pytest.mark.parametrize(
    ("erythema", "expected"),
    [({"bsa_pct": 69.9}, 0), ({"bsa_pct": 70}, 1), ({"erythroderma": True}, 2)],
)
def test_erythema_bands(erythema: dict[str, object], expected: int) -> None:
    assert points("erythema", erythema) == expected


@pytest.mark.parametrize(("pct", "expected"), [(9.9, 0), (10, 1), (29, 1), (30, 2)])
def test_erosion_bands(pct: float, expected: int) -> None:
    assert points("erosions_bsa_pct", pct) == expected


@pytest.mark.parametrize(("days", "expected"), [(1, 0), (2, 1), (6, 1), (7, 2)])
def test_fever_duration_bands(days: int, expected: int) -> None:
    assert points("fever_days", days) == expected


@pytest.mark.parametrize(("days", "expected"), [(4, 0), (5, 1)])
def test_low_intake_bands(days: int, expected: int) -> None:
    assert points("low_intake_days", days) == expected


@pytest.mark.parametrize(("alt", "expected"), [(399, 0), (400, 1), (1000, 1), (1001, 2)])
def test_alt_bands(alt: float, expected: int) -> None:
    assert points("alt_u_per_l", alt) == expected


@pytest.mark.parametrize(
    ("crp", "expected"),
    [
        ({"value": 2, "unit": "mg/dL"}, -1),
        ({"value": 2.1, "unit": "mg/dL"}, 0),
        ({"value": 9.9, "unit": "mg/dL"}, 0),
        ({"value": 10, "unit": "mg/dL"}, 1),
        ({"value": 14.9, "unit": "mg/dL"}, 1),
        ({"value": 15, "unit": "mg/dL"}, 2),
        ({"value": 150, "unit": "mg/L"}, 2),
        ({"value": 20, "unit": "mg/L"}, -1),
    ],
)
def test_crp_bands_with_mg_per_litre_converted(crp: dict[str, object], expected: int) -> None:
    assert points("crp", crp) == expected


@pytest.mark.parametrize(
    ("creatinine", "expected"),
    [
        ({"value": 0.99, "unit": "mg/dL"}, 0),
        ({"value": 2.1, "unit": "mg/dL"}, 3),
        ({"dialysis": True}, 3),
        ({"value": 88.0, "unit": "umol/L"}, 0),
        ({"value": 190, "unit": "umol/L"}, 3),
    ],
)
def test_creatinine_bands_with_micromoles_converted(
    creatinine: dict[str, object], expected: int
) -> None:
    """88.4 µmol/L = 1 mg/dL (113.12 g/mol): 88.0 µmol/L < 1.0; 190 µmol/L = 2.15 mg/dL."""
    assert points("creatinine", creatinine) == expected


def test_unverified_creatinine_band_stays_undetermined() -> None:
    result = dds.score({**BASE, "creatinine": {"value": 1.5, "unit": "mg/dL"}})
    item = result.item("creatinine")
    assert (item.known, item.points) == (False, 0)
    assert "not verified" in item.reason
    assert "creatinine" in result.unknown_items


@pytest.mark.parametrize(
    "creatinine",
    [
        {"value": 1.0, "unit": "mg/dL"},
        {"value": 1.5, "unit": "mg/dL"},
        {"value": 2.0, "unit": "mg/dL"},
        {"value": 133.0, "unit": "umol/L"},
    ],
)
def test_unverified_creatinine_band_can_reach_0_1_and_2_points(
    creatinine: dict[str, object],
) -> None:
    """Issue 11: until Mizukawa 2019 is verified, 0, +1 and +2 all stay reachable."""
    result = dds.score({**BASE, "creatinine": creatinine})
    item = result.item("creatinine")
    assert item.alternatives == (0, 1, 2)
    assert "0, +1 or +2" in item.reason
    # BASE scores 0 on every other item, so the total spans the band's whole range.
    assert result.reachable_total == (0, 2)
    assert result.reachable_classes == ("mild", "moderate")


@pytest.mark.parametrize("verified", [0, 1, 2])
def test_creatinine_band_points_can_be_supplied_once_verified(verified: Literal[0, 1, 2]) -> None:
    result = dds.score(
        {**BASE, "creatinine": {"value": 1.5, "unit": "mg/dL"}},
        creatinine_mid_band_points=verified,
    )
    item = result.item("creatinine")
    assert (item.known, item.points) == (True, verified)
    assert result.reachable_total == (verified, verified)


@pytest.mark.parametrize(
    ("total", "expected"), [(0, "mild"), (1, "moderate"), (3, "moderate"), (4, "severe")]
)
def test_bands(total: int, expected: str) -> None:
    assert dds.classify(total) == expected


def test_unknown_items_give_a_reachable_range() -> None:
    result = dds.score({**BASE, "age_years": "unknown", "steroid_pulse": "unknown"})
    assert result.reachable_total == (-1, 4)


def test_unit_not_accepted_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        dds.score({**BASE, "crp": {"value": 5, "unit": "g/L"}})
    assert caught.value.errors[0].field == "crp.unit"


def test_negative_erosion_is_refused() -> None:
    with pytest.raises(InputErrors) as caught:
        dds.score({**BASE, "erosions_bsa_pct": -5})
    assert caught.value.errors[0].value == -5


def test_severity_remark_informs_without_prescribing() -> None:
    text = " ".join(dds.score(BASE).remarks)
    assert "does not prescribe" in text


@given(
    st.integers(0, 120),
    st.integers(0, 30),
    st.floats(0, 100),
    st.integers(0, 30),
    st.floats(0, 3000),
)
def test_total_stays_within_range(
    age: int, drug_days: int, erosions: float, fever: int, alt: float
) -> None:
    result = dds.score(
        {
            **BASE,
            "age_years": age,
            "days_drug_continued_after_onset": drug_days,
            "erosions_bsa_pct": erosions,
            "fever_days": fever,
            "alt_u_per_l": alt,
        }
    )
    assert result.total is not None
    assert -2 <= result.total <= 21
