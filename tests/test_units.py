"""Unit conversions through the one pint registry."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from dresskit.errors import InputError, UnitError
from dresskit.units import (
    _cache_folder,
    registry,
    to_cells_per_microlitre,
    to_degrees_celsius,
    to_units_per_litre,
)


@pytest.mark.parametrize(
    ("value", "unit", "celsius"),
    [(98.6, "[degF]", 37.0), (101.3, "[degF]", 38.5), (38.5, "Cel", 38.5), (310.15, "K", 37.0)],
)
def test_temperature_converts_to_celsius(value: float, unit: str, celsius: float) -> None:
    assert to_degrees_celsius(value, unit, field="t") == pytest.approx(celsius, abs=1e-9)


@pytest.mark.parametrize(
    ("value", "unit"), [(389, "Cel"), (24.9, "Cel"), (45.1, "Cel"), (120, "[degF]")]
)
def test_implausible_body_temperature_is_refused(value: float, unit: str) -> None:
    with pytest.raises(InputError, match="body temperature between 25 and 45 Cel"):
        to_degrees_celsius(value, unit, field="t")


@pytest.mark.parametrize("unit", ["F", "°C", "degC", "", "mg/dL"])
def test_unknown_temperature_unit_is_refused_with_ucum_codes(unit: str) -> None:
    with pytest.raises(UnitError) as caught:
        to_degrees_celsius(37, unit, field="fever.value")
    assert caught.value.field == "fever.unit"
    assert "'Cel'" in caught.value.expected


@pytest.mark.parametrize("value", [float("nan"), float("inf"), True])
def test_non_finite_temperature_is_refused(value: float) -> None:
    with pytest.raises(InputError, match="finite number"):
        to_degrees_celsius(value, "Cel", field="t")


@pytest.mark.parametrize(
    ("value", "unit", "per_ul"),
    [
        (1.14, "10*9/L", 1140.0),
        (1140, "/uL", 1140.0),
        (1.14, "10*3/uL", 1140.0),
        (1140, "/mm3", 1140.0),
    ],
)
def test_cell_counts_convert_to_per_microlitre(value: float, unit: str, per_ul: float) -> None:
    assert to_cells_per_microlitre(value, unit, field="eos") == pytest.approx(per_ul)


def test_negative_cell_count_is_refused() -> None:
    with pytest.raises(InputError, match="0 or more"):
        to_cells_per_microlitre(-1, "/uL", field="eos")


@given(st.floats(min_value=25, max_value=45, allow_nan=False))
def test_fahrenheit_round_trips(celsius: float) -> None:
    fahrenheit = registry().Quantity(celsius, "degC").to("degF").magnitude
    assert to_degrees_celsius(fahrenheit, "[degF]", field="t") == pytest.approx(celsius, abs=1e-5)


@given(st.floats(min_value=0, max_value=1e6, allow_nan=False))
def test_giga_per_litre_round_trips(per_ul: float) -> None:
    giga = to_cells_per_microlitre(per_ul, "/uL", field="c") / 1000
    assert to_cells_per_microlitre(giga, "10*9/L", field="c") == pytest.approx(
        per_ul, rel=1e-9, abs=1e-5
    )


def test_pint_cache_goes_to_the_chosen_folder(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    monkeypatch.setenv("DRESSKIT_CACHE_DIR", str(tmp_path))
    assert _cache_folder() == tmp_path / "pint"
    assert (tmp_path / "pint").is_dir()


def test_empty_cache_setting_turns_the_pint_cache_off(monkeypatch: pytest.MonkeyPatch) -> None:

    monkeypatch.setenv("DRESSKIT_CACHE_DIR", "")
    assert _cache_folder() is None


def test_unwritable_cache_folder_falls_back_to_no_cache(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:

    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("DRESSKIT_CACHE_DIR", str(blocker))
    assert _cache_folder() is None


@pytest.mark.parametrize("unit", ["U/L", "IU/L", "[IU]/L"])
def test_an_enzyme_activity_in_iu_per_l_is_read_as_u_per_l(unit: str) -> None:
    assert to_units_per_litre(270, unit, field="alt") == 270.0


def test_an_enzyme_activity_in_microkatal_converts_to_u_per_l() -> None:
    assert to_units_per_litre(4.5, "ukat/L", field="alt") == 270.0


def test_an_enzyme_activity_in_another_unit_is_refused() -> None:
    with pytest.raises(UnitError, match="IU/L"):
        to_units_per_litre(270, "mg/dL", field="alt")


def test_a_score_accepts_alt_in_iu_per_l_as_u_per_l() -> None:
    from dresskit.scoring import jscar

    def liver(alt: object) -> str:
        answers: dict[str, object] = dict.fromkeys(jscar.JscarInput.model_fields, "unknown")
        answers["liver_abnormality"] = {"alt_u_per_l": alt, "other_organ_involvement": "no"}
        return jscar.score(answers).item("liver_abnormality").reason

    assert liver({"value": 270, "unit": "IU/L"}) == liver(270)
    assert "270 U/L" in liver({"value": 270, "unit": "[IU]/L"})


def test_pint_is_imported_on_the_first_conversion_only() -> None:
    """Importing the units module or the scores does not load pint (a quick CLI start)."""
    import subprocess
    import sys

    code = (
        "import sys, dresskit.units, dresskit.scoring.catalogue;"
        "assert 'pint' not in sys.modules;"
        "from dresskit.units import to_degrees_celsius;"
        "assert to_degrees_celsius(101.3, '[degF]', field='t') == 38.5;"
        "assert 'pint' in sys.modules"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
