"""Class 7: impossible values are refused, implausible but possible ones listed as warnings.

Every bundle here is written to real CSV files and read back (tests.hostile.fixture_files).
The limits and their reasons are in dresskit.bundle.plausibility and docs/data-format.md.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from dresskit.bundle import Bundle
from dresskit.bundle.plausibility import LIMITS
from dresskit.errors import InputError, InputErrors, InputWarning
from tests.hostile.fixture_files import Rows, changed, read, write_folder

DOCS = Path(__file__).parents[2] / "docs" / "data-format.md"


def refused(tmp_path: Path, **changes: Rows) -> list[InputError]:
    with pytest.raises(InputErrors) as caught:
        read(write_folder(tmp_path / "bundle", **changes))
    return list(caught.value.errors)


def only_error(tmp_path: Path, **changes: Rows) -> InputError:
    (error,) = refused(tmp_path, **changes)
    return error


def accepted(tmp_path: Path, **changes: Rows) -> Bundle:
    return read(write_folder(tmp_path / "bundle", **changes))


def only_warning(tmp_path: Path, **changes: Rows) -> InputWarning:
    (warning,) = accepted(tmp_path, **changes).warnings
    return warning


def test_the_fixture_bundle_has_no_warning(tmp_path: Path) -> None:
    assert accepted(tmp_path).warnings == ()


def test_date_before_1900_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path, **changed("drug_exposures", 0, start_date="1899-12-31"))
    assert (error.field, error.value, error.row) == ("start_date", "1899-12-31", 1)
    assert "1900-01-01" in error.expected
    assert str(error.source).endswith("drug_exposures.csv")


def test_date_after_today_is_refused(tmp_path: Path) -> None:
    errors = refused(tmp_path, **changed("episodes", 1, last_follow_up_date="2026-11-30"))
    assert [(e.field, e.value, e.row) for e in errors] == [("last_follow_up_date", "2026-11-30", 2)]
    assert "2026-11-29" in errors[0].expected


def test_today_itself_is_accepted(tmp_path: Path) -> None:
    bundle = accepted(tmp_path, **changed("episodes", 1, last_follow_up_date="2026-11-29"))
    assert bundle.episodes.height == 2


def test_birth_after_onset_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path, **changed("patients", 0, birth_year="2021"))
    assert (error.field, error.value, error.row) == ("birth_year", 2021, 1)
    assert "first onset" in error.expected


def test_age_that_contradicts_the_birth_year_is_refused(tmp_path: Path) -> None:
    # Onset 2020: born 1970 means 49 (before the birthday) or 50 at onset, never 45.
    error = only_error(tmp_path, **changed("patients", 0, age_years="45"))
    assert (error.field, error.value, error.row) == ("age_years", 45, 1)
    assert "birth year" in error.expected


@pytest.mark.parametrize("age", ["49", "50"])
def test_age_consistent_with_the_birth_year_is_accepted(tmp_path: Path, age: str) -> None:
    patients = accepted(tmp_path, **changed("patients", 0, age_years=age)).patients
    assert patients.get_column("age_years").to_list()[0] == int(age)


def test_age_above_100_is_a_warning(tmp_path: Path) -> None:
    warning = only_warning(tmp_path, **changed("patients", 1, age_years="104"))
    assert (warning.field, warning.value, warning.row) == ("age_years", 104, 2)


def test_follow_up_of_ten_years_is_a_warning(tmp_path: Path) -> None:
    folder = write_folder(tmp_path, **changed("episodes", 0, last_follow_up_date="2030-03-01"))
    (warning,) = read(folder, today=date(2031, 1, 1)).warnings
    assert warning.field == "last_follow_up_date"
    assert "ten years" in warning.concern


def test_drug_started_after_the_last_follow_up_is_refused(tmp_path: Path) -> None:
    error = only_error(
        tmp_path, **changed("drug_exposures", 1, start_date="2021-05-21", stop_date=None)
    )
    assert (error.field, error.value, error.row) == ("start_date", "2021-05-21", 2)
    assert "last follow-up (2021-05-20)" in error.expected


def test_drug_stopped_after_the_last_follow_up_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path, **changed("drug_exposures", 1, stop_date="2021-06-01"))
    assert (error.field, error.value) == ("stop_date", "2021-06-01")


def test_drug_started_ten_years_before_onset_is_a_warning(tmp_path: Path) -> None:
    warning = only_warning(tmp_path, **changed("drug_exposures", 0, start_date="2010-02-01"))
    assert (warning.field, warning.row) == ("start_date", 1)
    assert "ten years" in warning.concern


def test_drug_started_nine_years_before_onset_is_not_a_warning(tmp_path: Path) -> None:
    assert (
        accepted(tmp_path, **changed("drug_exposures", 0, start_date="2011-03-01")).warnings == ()
    )


def test_treatment_before_the_episode_window_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path, **changed("treatments", 3, start_date="2021-04-01"))
    assert (error.field, error.value, error.row) == ("start_date", "2021-04-01", 4)
    assert "2021-04-10" in error.expected  # 30 days before onset 2021-05-10


def test_treatment_after_the_last_follow_up_is_refused_not_dropped(tmp_path: Path) -> None:
    errors = refused(
        tmp_path, **changed("treatments", 4, start_date="2021-05-25", end_date="2021-05-26")
    )
    assert [(e.field, e.row) for e in errors] == [("start_date", 5), ("end_date", 5)]


def test_treatment_ending_after_the_last_follow_up_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path, **changed("treatments", 3, end_date="2021-05-21"))
    assert (error.field, error.value, error.row) == ("end_date", "2021-05-21", 4)


def test_steroid_above_the_highest_pulse_per_kg_is_refused(tmp_path: Path) -> None:
    # Methylprednisolone 31 mg/kg/day = 38.75 mg/kg prednisone-equivalent (> 37.5) at 60 kg.
    errors = refused(
        tmp_path,
        **changed("treatments", 0, agent="methylprednisolone", dose="31", dose_unit="mg/kg/d"),
    )
    assert [(e.field, e.row) for e in errors] == [("dose", 1)]
    assert "37.5 mg/kg/day" in errors[0].expected


def test_paediatric_pulse_of_30_mg_per_kg_methylprednisolone_is_accepted(tmp_path: Path) -> None:
    # 30 mg/kg at 60 kg is 1 800 mg (2 250 mg prednisone-equivalent): above a 1 g pulse, listed.
    warning = only_warning(
        tmp_path,
        **changed("treatments", 0, agent="methylprednisolone", dose="30", dose_unit="mg/kg/d"),
    )
    assert (warning.field, warning.row) == ("dose", 1)
    assert "1250 mg/day" in warning.concern


def test_steroid_above_two_grams_without_a_weight_is_refused(tmp_path: Path) -> None:
    # Episode E2 has no weight: methylprednisolone 2 100 mg/day = 2 625 mg prednisone-equivalent.
    error = only_error(tmp_path, **changed("treatments", 3, dose="2100"))
    assert (error.field, error.row) == ("dose", 4)
    assert "2500 mg/day" in error.expected


def test_steroid_pulse_above_one_gram_is_a_warning(tmp_path: Path) -> None:
    warning = only_warning(tmp_path, **changed("treatments", 3, dose="1200"))
    assert (warning.field, warning.value, warning.row) == ("dose", 1200.0, 4)


def test_ivig_above_3_g_per_kg_in_a_day_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path, **changed("treatments", 1, dose="3.5"))
    assert (error.field, error.row) == ("dose", 2)
    assert "3 g/kg" in error.expected


def test_ivig_in_grams_is_checked_with_the_weight(tmp_path: Path) -> None:
    # 200 g/day at 60 kg = 3.33 g/kg: refused although under 300 g.
    error = only_error(tmp_path, **changed("treatments", 1, dose="200", dose_unit="g/d"))
    assert "3 g/kg" in error.expected


def test_ivig_above_300_g_without_a_weight_is_refused(tmp_path: Path) -> None:
    ivig = {"kind": "ivig", "agent": "ivig", "dose": "350", "dose_unit": "g/d", "route": "iv"}
    error = only_error(tmp_path, **changed("treatments", 4, **ivig))
    assert (error.field, error.row) == ("dose", 5)
    assert "300 g" in error.expected


def test_ivig_above_2_g_per_kg_in_a_day_is_a_warning(tmp_path: Path) -> None:
    warning = only_warning(tmp_path, **changed("treatments", 1, dose="2.5"))
    assert (warning.field, warning.row) == ("dose", 2)


def test_ivig_of_2_g_per_kg_in_a_day_is_not_a_warning(tmp_path: Path) -> None:
    assert accepted(tmp_path, **changed("treatments", 1, dose="2")).warnings == ()


def test_biologic_dose_above_3_grams_is_refused(tmp_path: Path) -> None:
    errors = refused(tmp_path, **changed("treatments", 2, dose="3500", loading_dose="4000"))
    assert [(e.field, e.row) for e in errors] == [("dose", 3), ("loading_dose", 3)]


def test_biologic_dose_above_1_gram_is_a_warning(tmp_path: Path) -> None:
    warning = only_warning(tmp_path, **changed("treatments", 2, loading_dose="1500"))
    assert (warning.field, warning.row) == ("loading_dose", 3)


def test_alt_of_20000_is_a_warning_not_an_error(tmp_path: Path) -> None:
    warning = only_warning(tmp_path, **changed("observations", 4, value="20000", unit="U/L"))
    assert (warning.field, warning.value, warning.row) == ("value", "20000", 5)
    assert "usual range of ALT (0-5000 U/L" in warning.concern


def test_alt_above_its_hard_limit_is_refused(tmp_path: Path) -> None:
    error = only_error(tmp_path, **changed("observations", 4, value="40000", unit="U/L"))
    assert (error.field, error.row) == ("value", 5)
    assert "0-30000 U/L" in error.expected


def test_negative_value_is_refused(tmp_path: Path) -> None:
    errors = refused(tmp_path, **changed("observations", 3, value="-1140"))
    assert [(e.field, e.row) for e in errors] == [("value", 4)]


def test_unusual_temperature_in_fahrenheit_is_a_warning_with_both_units(tmp_path: Path) -> None:
    # 109.4 °F = 43 °C: possible (hyperpyrexia) but above the usual 34-42 °C.
    warning = only_warning(tmp_path, **changed("observations", 1, value="109.4"))
    assert "43 Cel from [degF]" in warning.concern
    assert warning.value == "109.4"


def test_other_treatment_unit_outside_the_closed_list_is_refused(tmp_path: Path) -> None:
    other = {"kind": "other", "agent": "ciclosporin", "dose": "3", "dose_unit": "mg per kg"}
    error = only_error(tmp_path, **changed("treatments", 4, **other))
    assert (error.field, error.value) == ("dose_unit", "mg per kg")
    assert "mg/kg/d" in error.expected


def test_warnings_name_file_row_field_and_value(tmp_path: Path) -> None:
    warning = only_warning(tmp_path, **changed("observations", 4, value="20000", unit="U/L"))
    assert str(warning.source).endswith("observations.csv")
    assert warning.message.startswith(f"{warning.source}, row 5: field 'value' is outside")


def test_every_limit_is_documented_with_its_reason() -> None:
    text = " ".join(DOCS.read_text(encoding="utf-8").split())
    for limit in LIMITS:
        assert limit.rule in text, limit.rule
        assert limit.reason in text, limit.reason
