"""Observation codes: the clinical unit conversions, spelled out (issue 3)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.course.codes import OBSERVATION_CODES, get_code, to_canonical
from dresskit.errors import InputError, UnitError


@pytest.mark.parametrize(
    ("code", "value", "unit", "canonical"),
    [
        ("temperature", 102.2, "[degF]", 39.0),
        ("eosinophils", 1140, "/uL", 1.14),
        ("eosinophils", 1140, "/mm3", 1.14),
        ("eosinophils", 1.14, "10*3/uL", 1.14),
        ("alt", 1, "ukat/L", 60.0),  # 1 µkat/L = 60 U/L
        ("alt", 270, "[IU]/L", 270.0),  # an international unit of enzyme activity is 1 U
        ("bilirubin", 17.1, "umol/L", 1.0),  # 17.1 µmol/L ≈ 1 mg/dL (584.66 g/mol)
        ("creatinine", 88.4, "umol/L", 1.0),  # 88.4 µmol/L ≈ 1 mg/dL (113.12 g/mol)
        ("crp", 2.5, "mg/dL", 25.0),
        ("ferritin", 300, "ug/L", 300.0),
        ("total_ige", 3127, "[IU]/mL", 3127.0),  # kU/L = kIU/L = IU/mL
        ("total_ige", 645, "k[IU]/L", 645.0),
        ("weight", 154, "[lb_av]", 69.85),
    ],
)
def test_clinical_conversions(code: str, value: float, unit: str, canonical: float) -> None:
    assert to_canonical(code, value, unit) == pytest.approx(canonical, rel=1e-3)


def test_unit_of_another_dimension_is_refused() -> None:
    with pytest.raises(UnitError) as caught:
        to_canonical("alt", 1.0, "mg/dL", field="value")
    assert "'U/L'" in caught.value.expected


def test_value_outside_plausible_range_names_both_units() -> None:
    with pytest.raises(InputError) as caught:
        to_canonical("eosinophils", 1_140_000, "/uL")
    assert "between 0 and 100 10*9/L" in caught.value.expected
    assert "1140 10*9/L" in caught.value.expected


def test_unknown_code_lists_the_codes() -> None:
    with pytest.raises(InputError) as caught:
        get_code("troponin")
    assert "alt" in caught.value.expected


def test_every_code_has_its_canonical_unit_among_accepted_units() -> None:
    for definition in OBSERVATION_CODES.values():
        assert definition.canonical_unit in definition.accepted_units


@given(st.floats(0.0, 80.0, allow_nan=False))
def test_bilirubin_round_trips_through_umol(mg_per_dl: float) -> None:
    umol = mg_per_dl * 10 / 584.66 * 1000  # mg/dL -> mg/L -> mmol/L -> µmol/L
    assert to_canonical("bilirubin", umol, "umol/L") == pytest.approx(mg_per_dl, abs=1e-5)


@given(st.floats(0.0, 40.0, allow_nan=False))
def test_creatinine_round_trips_through_umol(mg_per_dl: float) -> None:
    umol = mg_per_dl * 10 / 113.12 * 1000
    assert to_canonical("creatinine", umol, "umol/L") == pytest.approx(mg_per_dl, abs=1e-5)
