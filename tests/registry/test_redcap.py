"""REDCap exchange: data dictionary, records layout, round trip and import errors."""

from __future__ import annotations

import re
from pathlib import Path

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dresskit.bundle import Bundle, read_bundle, validate_tables
from dresskit.bundle.schema import TABLES
from dresskit.bundle.writing import _tables
from dresskit.errors import InputError, InputErrors
from dresskit.registry.redcap import (
    DATA_DICTIONARY_HEADER,
    read_redcap,
    read_redcap_files,
    redcap_data_dictionary,
    redcap_export,
    redcap_import,
    write_redcap_files,
)
from tests.bundle.fixture import ROWS, tables

EXAMPLES = Path(__file__).parents[2] / "examples"
BUNDLE_TABLES = tuple(name for name in TABLES if name != "manifest")
PREFIXES = {
    "patients": "pat_",
    "episodes": "epi_",
    "drug_exposures": "dex_",
    "drug_assessments": "das_",
    "observations": "obs_",
    "findings": "fnd_",
    "treatments": "trt_",
}
WHO_UMC_ITEMS = {
    "time_relationship": "plausible",
    "explained_by_disease_or_other_drugs": "unlikely",
    "withdrawal_response": "yes",
    "definitive_pharmacologically_or_phenomenologically": "unknown",
    "rechallenge": "not_done",
    "information_sufficient": "yes",
    "more_data_expected": "no",
}


def fixture_bundle(**changes: list[dict[str, str | None]]) -> Bundle:
    return validate_tables(tables(**changes), source="fixture")


def as_text(bundle: Bundle) -> dict[str, pl.DataFrame]:
    """The bundle's tables as text, rows sorted (dtypes differ by read path, values do not)."""
    text = _tables(bundle)
    return {name: frame.sort(frame.columns, nulls_last=True) for name, frame in text.items()}


def assert_round_trip(bundle: Bundle) -> None:
    records, dictionary = redcap_export(bundle)
    again = validate_tables(
        redcap_import(records, source="records.csv", manifest=bundle.manifest), source="redcap"
    )
    records_again, dictionary_again = redcap_export(again)
    assert records_again.equals(records)
    assert dictionary_again.equals(dictionary)
    original, imported = as_text(bundle), as_text(again)
    for name in (*BUNDLE_TABLES, "manifest"):
        assert imported[name].equals(original[name]), name


def dictionary_rows() -> dict[str, dict[str, str | None]]:
    return {row["Variable / Field Name"]: row for row in redcap_data_dictionary().to_dicts()}


# --- data dictionary -------------------------------------------------------------------------


def test_data_dictionary_has_redcaps_18_column_header_in_order() -> None:
    dictionary = redcap_data_dictionary()
    assert tuple(dictionary.columns) == DATA_DICTIONARY_HEADER
    assert dictionary.columns == [
        "Variable / Field Name",
        "Form Name",
        "Section Header",
        "Field Type",
        "Field Label",
        "Choices, Calculations, OR Slider Labels",
        "Field Note",
        "Text Validation Type OR Show Slider Number",
        "Text Validation Min",
        "Text Validation Max",
        "Identifier?",
        "Branching Logic (Show field only if...)",
        "Required Field?",
        "Custom Alignment",
        "Question Number (surveys only)",
        "Matrix Group Name",
        "Matrix Ranking?",
        "Field Annotation",
    ]
    assert all(dtype == pl.Utf8 for dtype in dictionary.dtypes)


def test_record_id_is_the_first_field_of_the_patient_form() -> None:
    first = redcap_data_dictionary().row(0, named=True)
    assert first["Variable / Field Name"] == "record_id"
    assert first["Form Name"] == "patient"


def test_every_bundle_column_has_exactly_one_field() -> None:
    annotations = redcap_data_dictionary().get_column("Field Annotation").to_list()
    expected = {
        f"dresskit: {table}.{column.name}"
        for table in BUNDLE_TABLES
        for column in TABLES[table]
        if not (table == "episodes" and column.name == "patient_id")  # the record id
    }
    assert sorted(annotations) == sorted(expected)


def test_field_names_are_lower_case_prefixed_and_at_most_26_characters() -> None:
    rows = dictionary_rows()
    for name, row in rows.items():
        assert re.fullmatch(r"[a-z][a-z0-9_]*", name), name
        assert len(name) <= 26, name
        if name != "record_id":
            table = str(row["Field Annotation"]).split()[1].split(".")[0]
            assert name.startswith(PREFIXES[table]), name
    assert len(rows) == redcap_data_dictionary().height  # unique


@pytest.mark.parametrize(
    ("field", "field_type", "validation", "low", "high"),
    [
        ("epi_onset_date", "text", "date_ymd", None, None),
        ("dex_stop_date", "text", "date_ymd", None, None),
        ("obs_time", "text", "time", None, None),
        ("obs_value", "text", "number", None, None),
        ("trt_dose", "text", "number", "0", "100000"),
        ("trt_interval_days", "text", "integer", "1", "365"),
        ("pat_birth_year", "text", "integer", "1900", "2100"),
        ("pat_age_years", "text", "integer", "0", "120"),
        ("fnd_detail", "text", None, None, None),
        ("pat_sex", "dropdown", None, None, None),
        ("obs_code", "dropdown", None, None, None),
    ],
)
def test_field_type_and_validation_follow_the_column_kind(
    field: str, field_type: str, validation: str | None, low: str | None, high: str | None
) -> None:
    row = dictionary_rows()[field]
    assert row["Field Type"] == field_type
    assert row["Text Validation Type OR Show Slider Number"] == validation
    assert (row["Text Validation Min"], row["Text Validation Max"]) == (low, high)


def test_every_coded_column_is_a_dropdown_listing_each_code() -> None:
    rows = dictionary_rows()
    for table in BUNDLE_TABLES:
        for column in TABLES[table]:
            if column.kind != "code":
                continue
            row = rows[PREFIXES[table] + column.name]
            assert row["Field Type"] == "dropdown"
            text = str(row["Choices, Calculations, OR Slider Labels"])
            choices = [choice.split(", ", 1) for choice in text.split(" | ")]
            raw = [code for code, _ in choices]
            assert raw == [code.replace("-", "_") for code in column.codes]
            assert all(re.fullmatch(r"[a-z0-9_]+", code) for code in raw)
            assert all(label.strip() for _, label in choices)


def test_choices_read_code_comma_label_separated_by_pipes() -> None:
    choices = dictionary_rows()["pat_sex"]["Choices, Calculations, OR Slider Labels"]
    assert choices == "female, Female | male, Male | other, Other | unknown, Unknown"
    phenotype = dictionary_rows()["epi_phenotype"]["Choices, Calculations, OR Slider Labels"]
    assert "sjs_ten, SJS/TEN" in str(phenotype)


def test_only_record_and_episode_ids_are_flagged_as_identifiers() -> None:
    flagged = sorted(n for n, row in dictionary_rows().items() if row["Identifier?"] == "y")
    assert flagged == sorted(
        ["record_id", *(p + "episode_id" for t, p in PREFIXES.items() if t != "patients")]
    )


def test_required_fields_follow_the_schema() -> None:
    rows = dictionary_rows()
    for table in BUNDLE_TABLES:
        for column in TABLES[table]:
            name = PREFIXES[table] + column.name
            if name in rows:
                assert (rows[name]["Required Field?"] == "y") is column.required, name


# --- records ---------------------------------------------------------------------------------


def test_records_use_record_id_and_repeat_columns_first() -> None:
    records, dictionary = redcap_export(fixture_bundle())
    assert records.columns[:3] == [
        "record_id",
        "redcap_repeat_instrument",
        "redcap_repeat_instance",
    ]
    fields = set(dictionary.get_column("Variable / Field Name").to_list())
    others = [c for c in records.columns[3:] if c not in fields]
    assert all(c.endswith("_complete") for c in others)
    assert all(dtype == pl.Utf8 for dtype in records.dtypes)


def test_patient_rows_do_not_repeat_and_repeating_rows_count_from_1_per_record() -> None:
    records, _ = redcap_export(fixture_bundle())
    patients = records.filter(pl.col("redcap_repeat_instrument").is_null())
    assert patients.get_column("record_id").to_list() == ["P1", "P2"]
    assert patients.get_column("redcap_repeat_instance").null_count() == 2
    observations = records.filter(pl.col("redcap_repeat_instrument") == "observation")
    by_record = observations.group_by("record_id", maintain_order=True).agg(
        pl.col("redcap_repeat_instance")
    )
    assert by_record.rows() == [
        ("P1", ["1", "2", "3", "4", "5", "6"]),
        ("P2", ["1"]),
    ]


def test_child_rows_name_their_episode_and_belong_to_its_patient() -> None:
    records, _ = redcap_export(fixture_bundle())
    treatment = records.filter(pl.col("redcap_repeat_instrument") == "treatment")
    assert treatment.select("record_id", "trt_episode_id").unique().sort("record_id").rows() == [
        ("P1", "E1"),
        ("P2", "E2"),
    ]


def test_a_patient_with_two_episodes_has_two_episode_instances() -> None:
    episodes = [dict(row) for row in ROWS["episodes"]]
    episodes[1]["patient_id"] = "P1"
    records, _ = redcap_export(fixture_bundle(episodes=episodes))
    rows = records.filter(pl.col("redcap_repeat_instrument") == "episode")
    assert rows.select("record_id", "redcap_repeat_instance", "epi_episode_id").rows() == [
        ("P1", "1", "E1"),
        ("P1", "2", "E2"),
    ]
    assert_round_trip(fixture_bundle(episodes=episodes))


def test_codes_that_are_not_redcap_raw_values_are_written_safe_and_read_back() -> None:
    assessments = [
        {
            "episode_id": "E1",
            "drug": "carbamazepine",
            "instrument": "who-umc",
            "item": item,
            "answer": answer,
        }
        for item, answer in WHO_UMC_ITEMS.items()
    ]
    bundle = fixture_bundle(drug_assessments=assessments)
    records, _ = redcap_export(bundle)
    instruments = records.get_column("das_instrument").drop_nulls().unique().to_list()
    assert instruments == ["who_umc"]
    assert_round_trip(bundle)


def test_decimals_are_written_without_exponent() -> None:
    observations = [dict(row) for row in ROWS["observations"]]
    observations[3]["value"] = "0.001"  # eosinophils /uL -> 0.000001 10*9/L
    records, _ = redcap_export(fixture_bundle(observations=observations))
    values = records.get_column("obs_value").drop_nulls().to_list()
    assert "0.000001" in values
    assert not any("e" in value for value in values)
    assert "60" in values  # whole numbers without '.0'


@pytest.mark.parametrize("example", ["shen2024", "sim2022"])
def test_examples_round_trip_through_redcap(example: str) -> None:
    assert_round_trip(read_bundle(EXAMPLES / example))


def test_fixture_round_trips_through_redcap() -> None:
    assert_round_trip(fixture_bundle())


def test_records_written_as_csv_and_read_back_typed_import_equal(tmp_path: Path) -> None:
    bundle = read_bundle(EXAMPLES / "shen2024")
    records, _ = redcap_export(bundle)
    records.write_csv(tmp_path / "records.csv")
    typed = pl.read_csv(tmp_path / "records.csv")  # instances and numbers inferred as numbers
    again = read_redcap(typed, source="records.csv", manifest=bundle.manifest)
    assert redcap_export(again)[0].equals(records)


_MANIFEST = _tables(read_bundle(EXAMPLES / "sim2022"))["manifest"]
_BOTH = {
    name: pl.concat(
        [_tables(read_bundle(EXAMPLES / example))[name] for example in ("sim2022", "shen2024")]
    )
    for name in BUNDLE_TABLES
}


@st.composite
def bundle_subsets(draw: st.DrawFn) -> Bundle:
    """A valid bundle: some episodes of both examples, some rows, patients merged or added."""
    episode_ids = _BOTH["episodes"].get_column("episode_id").to_list()
    patient_ids = _BOTH["patients"].get_column("patient_id").to_list()
    chosen = draw(st.lists(st.sampled_from(episode_ids), min_size=1, max_size=6, unique=True))
    patients = draw(st.lists(st.sampled_from(patient_ids), min_size=1, max_size=5, unique=True))
    owner = {episode: draw(st.sampled_from(patients)) for episode in chosen}  # merges patients
    seed = draw(st.integers(0, 2**16))
    fraction = draw(st.floats(0.0, 1.0))
    text: dict[str, pl.DataFrame] = {
        "manifest": _MANIFEST,
        "patients": _BOTH["patients"].filter(pl.col("patient_id").is_in(patients)),
        "episodes": _BOTH["episodes"]
        .filter(pl.col("episode_id").is_in(chosen))
        .with_columns(pl.col("episode_id").replace_strict(owner).alias("patient_id")),
    }
    for name in ("drug_exposures", "drug_assessments", "observations", "findings", "treatments"):
        rows = _BOTH[name].filter(pl.col("episode_id").is_in(chosen))
        if name != "drug_exposures" and rows.height:
            rows = rows.sample(fraction=fraction, seed=seed, shuffle=draw(st.booleans()))
        text[name] = rows
    return validate_tables(text, source="subset")


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(bundle_subsets())
def test_subsets_of_the_examples_round_trip_through_redcap(bundle: Bundle) -> None:
    assert_round_trip(bundle)


# --- import errors ---------------------------------------------------------------------------


def records_of_fixture() -> pl.DataFrame:
    return redcap_export(fixture_bundle())[0]


def errors_of(records: pl.DataFrame) -> list[InputError]:
    with pytest.raises(InputErrors) as raised:
        redcap_import(records, source="records.csv")
    return list(raised.value.errors)


def set_cell(records: pl.DataFrame, row: int, column: str, value: str | None) -> pl.DataFrame:
    """Set one cell (row is 1-based, as in the errors)."""
    values = records.get_column(column).to_list()
    values[row - 1] = value
    return records.with_columns(pl.Series(column, values, dtype=pl.Utf8))


def first_row(records: pl.DataFrame, instrument: str) -> int:
    index = records.get_column("redcap_repeat_instrument").to_list().index(instrument)
    return index + 1


def test_unknown_field_is_reported_with_the_accepted_fields() -> None:
    records = records_of_fixture().with_columns(pl.lit("x").alias("obs_colour"))
    (error,) = errors_of(records)
    assert (error.field, error.value, error.row, error.source) == (
        "obs_colour",
        "obs_colour",
        None,
        "records.csv",
    )
    assert "a field of the dresskit REDCap data dictionary" in error.expected
    assert "obs_value" in error.expected


def test_unknown_instrument_is_reported_with_row_value_and_accepted_instruments() -> None:
    records = records_of_fixture()
    row = first_row(records, "finding")
    (error,) = errors_of(set_cell(records, row, "redcap_repeat_instrument", "biopsy"))
    assert (error.row, error.field, error.value) == (row, "redcap_repeat_instrument", "biopsy")
    assert "episode, drug_exposure, drug_assessment, observation, finding, treatment" in (
        error.expected
    )
    assert "empty for the patient form" in error.expected


def test_longitudinal_export_is_refused() -> None:
    records = records_of_fixture().with_columns(pl.lit("baseline_arm_1").alias("redcap_event_name"))
    (error,) = errors_of(records)
    assert error.field == "redcap_event_name"
    assert "not longitudinal" in error.expected


def test_missing_record_id_column_is_refused() -> None:
    errors = errors_of(records_of_fixture().drop("record_id"))
    assert [e.field for e in errors] == ["record_id"]


def test_value_in_a_field_of_another_form_is_reported() -> None:
    records = records_of_fixture()
    row = first_row(records, "observation")
    (error,) = errors_of(set_cell(records, row, "pat_sex", "male"))
    assert (error.row, error.field, error.value) == (row, "pat_sex", "male")
    assert "empty on a row of the observation form" in error.expected


def test_missing_duplicate_and_misplaced_instances_are_reported() -> None:
    records = records_of_fixture()
    row = first_row(records, "observation")
    errors = errors_of(set_cell(records, row + 1, "redcap_repeat_instance", "1"))
    assert {(e.row, e.field) for e in errors} == {
        (row, "redcap_repeat_instance"),
        (row + 1, "redcap_repeat_instance"),
    }
    assert all("unique within the record and instrument" in e.expected for e in errors)
    (missing,) = errors_of(set_cell(records, row, "redcap_repeat_instance", None))
    assert "a whole number from 1" in missing.expected
    (misplaced,) = errors_of(set_cell(records, 1, "redcap_repeat_instance", "1"))
    assert (misplaced.row, misplaced.field) == (1, "redcap_repeat_instance")
    assert "empty on rows of the patient form" in misplaced.expected


def test_bad_form_status_is_reported() -> None:
    (error,) = errors_of(set_cell(records_of_fixture(), 1, "patient_complete", "done"))
    assert (error.row, error.field, error.value) == (1, "patient_complete", "done")


def test_episode_of_another_record_is_reported() -> None:
    records = records_of_fixture()
    row = first_row(records, "treatment")
    (error,) = errors_of(set_cell(records, row, "trt_episode_id", "E2"))
    assert (error.row, error.field, error.value) == (row, "trt_episode_id", "E2")
    assert "an episode instance of record 'P1'" in error.expected


def test_record_without_patient_row_and_duplicate_patient_rows_are_reported() -> None:
    records = records_of_fixture()
    twice = records.vstack(records.head(1))
    errors = errors_of(twice)
    assert {(e.row, e.field) for e in errors} == {(1, "record_id"), (twice.height, "record_id")}
    assert all("one patient-form row per record" in e.expected for e in errors)
    no_patient = records.filter(
        (pl.col("record_id") != "P2") | pl.col("redcap_repeat_instrument").is_not_null()
    )
    (error,) = errors_of(no_patient)
    assert (error.field, error.value) == ("record_id", "P2")
    assert "also has a patient-form row" in error.expected


def test_several_problems_are_reported_together() -> None:
    records = records_of_fixture().with_columns(pl.lit("x").alias("colour"))
    records = set_cell(records, first_row(records, "finding"), "redcap_repeat_instrument", "lab")
    records = set_cell(records, 1, "obs_code", "alt")
    assert len(errors_of(records)) == 3


def test_validation_errors_name_the_redcap_row_and_field() -> None:
    records = records_of_fixture()
    row = first_row(records, "observation") + 2
    bad = set_cell(records, row, "obs_value", "abc")
    with pytest.raises(InputErrors) as raised:
        read_redcap(bad, source="records.csv")
    (error,) = raised.value.errors
    assert (error.source, error.row, error.field, error.value) == (
        "records.csv",
        row,
        "obs_value",
        "abc",
    )
    assert "decimal number" in error.expected


def test_validation_error_on_patient_id_names_record_id() -> None:
    records = set_cell(records_of_fixture(), 1, "pat_sex", "f")
    with pytest.raises(InputErrors) as raised:
        read_redcap(records, source="records.csv")
    (error,) = raised.value.errors
    assert (error.row, error.field, error.value) == (1, "pat_sex", "f")


def test_import_without_manifest_writes_format_and_version() -> None:
    imported = redcap_import(records_of_fixture(), source="records.csv")
    assert imported["manifest"].rows() == [("format", "dresskit-bundle"), ("version", "1.0")]
    assert set(imported) == {"manifest", *BUNDLE_TABLES}


def test_files_round_trip_keeps_the_manifest_beside_the_records(tmp_path: Path) -> None:
    shen = read_bundle(EXAMPLES / "shen2024")
    written = write_redcap_files(shen, tmp_path / "export")
    assert [path.name for path in written] == ["records.csv", "data_dictionary.csv", "manifest.csv"]
    assert not list((tmp_path / "export").glob(".*partial"))
    for path in (tmp_path / "export", tmp_path / "export" / "records.csv"):
        again = read_redcap_files(path)
        assert again.manifest == shen.manifest
        assert again.observations.equals(shen.observations)


def test_records_without_a_manifest_file_get_format_and_version_only(tmp_path: Path) -> None:
    shen = read_bundle(EXAMPLES / "shen2024")
    write_redcap_files(shen, tmp_path)
    (tmp_path / "manifest.csv").unlink()
    assert set(read_redcap_files(tmp_path).manifest) == {"format", "version"}


@pytest.mark.parametrize(
    ("content", "field", "row"),
    [
        ("name,value\nformat,dresskit-bundle\n", "header", None),
        ("key,value\ntitle,a\ntitle,b\n", "key", 2),
        ("key,value\ntitle,\n", "value", 1),
    ],
)
def test_a_bad_manifest_file_is_named_with_its_row_and_field(
    tmp_path: Path, content: str, field: str, row: int | None
) -> None:
    write_redcap_files(read_bundle(EXAMPLES / "shen2024"), tmp_path)
    (tmp_path / "manifest.csv").write_text(content, encoding="utf-8")
    with pytest.raises(InputError) as caught:
        read_redcap_files(tmp_path)
    assert (caught.value.source, caught.value.field, caught.value.row) == (
        str(tmp_path / "manifest.csv"),
        field,
        row,
    )


def test_a_file_that_is_not_a_records_export_gets_one_error_naming_its_header() -> None:
    patients = pl.DataFrame({"patient_id": ["P1"], "sex": ["female"]})
    (error,) = errors_of(patients)
    assert (error.field, error.value) == ("record_id", "patient_id,sex")
    assert "REDCap records export" in error.expected


def test_an_unknown_field_lists_the_fields_of_its_form() -> None:
    records = records_of_fixture().with_columns(pl.lit("x").alias("trt_dosage"))
    (error,) = errors_of(records)
    assert "trt_dose_unit" in error.expected
    assert "obs_value" not in error.expected
