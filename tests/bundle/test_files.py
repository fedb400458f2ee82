"""Bundle files: folder, zip and xlsx, read and written, with errors that name the file."""

from __future__ import annotations

import zipfile
from pathlib import Path

import polars as pl
import pytest

from dresskit.bundle import read_bundle, read_tables, validate_tables, write_bundle
from dresskit.bundle.schema import DATA_TABLES
from dresskit.errors import InputErrors
from tests.bundle.fixture import tables


@pytest.fixture
def bundle_folder(tmp_path: Path) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir()
    for name, frame in tables().items():
        frame.write_csv(folder / f"{name}.csv")
    return folder


@pytest.mark.parametrize(
    ("fmt", "name"), [("folder", "out"), ("zip", "out.zip"), ("xlsx", "out.xlsx")]
)
def test_write_then_read_gives_an_equal_bundle(
    bundle_folder: Path, tmp_path: Path, fmt: str, name: str
) -> None:
    original = read_bundle(bundle_folder)
    written = write_bundle(original, tmp_path / name, format=fmt)  # type: ignore[arg-type]
    again = read_bundle(written)
    for table in DATA_TABLES:
        assert getattr(again, table).equals(getattr(original, table)), table
    assert again.course("E1") == original.course("E1")


def test_zip_of_a_folder_is_read(bundle_folder: Path, tmp_path: Path) -> None:
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for file in bundle_folder.glob("*.csv"):
            out.write(file, f"bundle/{file.name}")
    assert read_bundle(archive).episode_ids() == ("E1", "E2")


def test_missing_path_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputErrors, match=r"an existing folder, \.zip or \.xlsx bundle"):
        read_bundle(tmp_path / "nowhere")


def test_folder_without_csv_is_refused(tmp_path: Path) -> None:
    with pytest.raises(InputErrors, match=r"holding the bundle's \.csv files"):
        read_bundle(tmp_path)


def test_file_that_is_not_a_zip_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "b.zip"
    fake.write_text("not a zip")
    with pytest.raises(InputErrors, match=r"readable \.zip"):
        read_bundle(fake)


def test_file_that_is_not_a_workbook_is_refused(tmp_path: Path) -> None:
    fake = tmp_path / "b.xlsx"
    fake.write_text("not a workbook")
    with pytest.raises(InputErrors, match="xlsx workbook"):
        read_bundle(fake)


def test_other_file_types_are_refused(tmp_path: Path) -> None:
    other = tmp_path / "b.json"
    other.write_text("{}")
    with pytest.raises(InputErrors, match=r"a folder of \.csv files"):
        read_bundle(other)


def test_garbled_csv_names_the_file(bundle_folder: Path) -> None:
    (bundle_folder / "patients.csv").write_bytes(b"\xff\xfe\x00garbage\x00\n\x01")
    with pytest.raises(InputErrors) as caught:
        read_bundle(bundle_folder)
    assert "patients.csv" in str(caught.value)


def test_sheet_with_a_wrong_name_is_reported(bundle_folder: Path, tmp_path: Path) -> None:
    from openpyxl import load_workbook

    workbook_path = write_bundle(read_bundle(bundle_folder), tmp_path / "b.xlsx", format="xlsx")
    workbook = load_workbook(workbook_path)
    workbook["episodes"].title = "Episodes 2020"
    workbook.save(workbook_path)
    with pytest.raises(InputErrors) as caught:
        read_bundle(workbook_path)
    values = {error.value for error in caught.value.errors}
    assert "episodes.csv" in values
    assert "Episodes 2020.csv" in values


def test_files_are_read_as_text_and_parsed_by_validation(bundle_folder: Path) -> None:
    raw = read_tables(bundle_folder)
    for name, frame in raw.items():
        assert set(frame.schema.values()) == {pl.Utf8}, name
    bundle = validate_tables(raw, source="a")
    assert bundle.observations.schema["value"] == pl.Float64
    assert bundle.observations.schema["date"] == pl.Date
    assert bundle.course("E1") == read_bundle(bundle_folder).course("E1")


def test_a_file_with_a_bad_cell_is_read_as_text_so_the_cell_can_be_named(
    bundle_folder: Path,
) -> None:
    path = bundle_folder / "observations.csv"
    path.write_text(path.read_text().replace(",1140,", ',"1,140",'))
    raw = read_tables(bundle_folder)
    assert raw["observations"].schema["value"] == pl.Utf8
    with pytest.raises(InputErrors) as caught:
        validate_tables(raw, source="b")
    errors = {(error.field, error.value) for error in caught.value.errors}
    assert ("value", "1,140") in errors
