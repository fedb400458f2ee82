"""Class 5 of issue 10: dates and numbers are never inferred; files are read as text first.

Every cell is read as the text written and parsed by its column's declared kind, strictly:
dates ``YYYY-MM-DD`` that exist, times ``HH:MM``, numbers ``-?digits(.digits)?``, whole
numbers ``-?digits``. A ragged row, an unterminated quote, a repeated or empty header name, a
file that is not UTF-8, and in a workbook a date with a time of day, a number in a date column
(an Excel serial), a boolean or an error cell are refused. Each test writes a real file and
checks that the error names the file, the row (the 1-based data row validation uses), the
column and the cell text exactly as written.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time
from pathlib import Path
from typing import Any

import polars as pl
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook

from dresskit.bundle import read_bundle, read_tables, validate_tables, write_bundle
from dresskit.errors import InputError, InputErrors
from dresskit.registry.redcap import read_redcap_files, write_redcap_files
from tests.bundle.fixture import ROWS, tables
from tests.hostile.fixture_files import fixture_csv

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


_csv = fixture_csv


def _folder(tmp_path: Path, files: dict[str, bytes] | None = None) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir()
    for name in ROWS:
        (folder / f"{name}.csv").write_bytes(_csv(name))
    for name, data in (files or {}).items():
        (folder / name).write_bytes(data)
    return folder


def _refused(path: Path) -> list[InputError]:
    with pytest.raises(InputErrors) as caught:
        read_bundle(path)
    return list(caught.value.errors)


def _cell_error(tmp_path: Path, table: str, row: int, column: str, text: str) -> InputError:
    folder = _folder(tmp_path, {f"{table}.csv": _csv(table, {(row, column): text})})
    errors = [error for error in _refused(folder) if error.field == column]
    assert len(errors) == 1, errors
    error = errors[0]
    assert error.source == str(folder / f"{table}.csv")
    assert error.row == row
    assert error.value == text
    assert repr(text) in str(error)  # the text as written, quoted once
    return error


# --- dates ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "2023-02-30",  # no such day
        "2021-02-29",  # not a leap year
        "2020-13-01",
        "05/03/2020",  # day/month or month/day: never guessed
        "03/05/2020",
        "2020-3-5",
        "2020-03-05T10:00",
        "2020-03-05 10:00",
        "2020/03/05",
        "20200305",
        " 2020-03-05",
        "2020-03-05 ",
        "+2020-03-05",
        "05-03-2020",
        "5 March 2020",
        "２０２０-03-05",  # fullwidth digits
    ],
)
def test_a_date_not_written_yyyy_mm_dd_or_not_in_the_calendar_is_refused(
    tmp_path: Path, text: str
) -> None:
    error = _cell_error(tmp_path, "observations", 2, "date", text)
    assert error.expected.startswith("a date written YYYY-MM-DD (ISO 8601)")


def test_a_us_date_is_refused_not_read_with_day_and_month_swapped(tmp_path: Path) -> None:
    error = _cell_error(tmp_path, "episodes", 1, "onset_date", "03/01/2020")
    assert error.value == "03/01/2020"


def test_a_leap_day_is_accepted(tmp_path: Path) -> None:
    folder = _folder(
        tmp_path, {"observations.csv": _csv("observations", {(2, "date"): "2020-02-29"})}
    )
    bundle = read_bundle(folder)
    assert date(2020, 2, 29) in bundle.observations.get_column("date").to_list()


# --- times ----------------------------------------------------------------------------------


@pytest.mark.parametrize("text", ["24:00", "8:00", "08:00:00", "08h00", "12:60", "0800", "8am"])
def test_a_time_not_written_hh_mm_is_refused(tmp_path: Path, text: str) -> None:
    error = _cell_error(tmp_path, "observations", 2, "time", text)
    assert error.expected.startswith("a time written HH:MM (24 h, 00:00 to 23:59)")


def test_midnight_and_the_last_minute_are_accepted(tmp_path: Path) -> None:
    changes = {(2, "time"): "00:00", (3, "time"): "23:59"}
    folder = _folder(tmp_path, {"observations.csv": _csv("observations", changes)})
    times = read_bundle(folder).observations.get_column("time").to_list()
    assert time(0, 0) in times
    assert time(23, 59) in times


# --- numbers --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "1e3",
        "1E3",
        "+5",
        "1 000",
        "1_000",
        ".5",
        "5.",
        "nan",
        "NaN",
        "inf",
        "-inf",
        "Infinity",
        "0x10",
        "١٢",  # Arabic-Indic digits
        "-",
        "1234567890123456",  # 16 digits before the point
        " 5",
        "5 ",
    ],
)
def test_a_number_not_written_as_plain_decimals_is_refused(tmp_path: Path, text: str) -> None:
    error = _cell_error(tmp_path, "treatments", 1, "dose", text)
    assert error.expected.startswith("a decimal number with '.' as the decimal mark")
    assert "(a ',' was found)" not in error.expected


@pytest.mark.parametrize("text", ["1,5", "1,000", "1.000,5"])
def test_a_decimal_comma_is_refused_with_a_hint(tmp_path: Path, text: str) -> None:
    error = _cell_error(tmp_path, "treatments", 1, "dose", text)
    assert error.expected.endswith("(a ',' was found)")


@pytest.mark.parametrize(("text", "value"), [("0.5", 0.5), ("007", 7.0), ("2", 2.0)])
def test_plain_decimals_are_accepted(tmp_path: Path, text: str, value: float) -> None:
    changes = {(3, "loading_dose"): text}  # the biologic's loading dose, in mg as written
    folder = _folder(tmp_path, {"treatments.csv": _csv("treatments", changes)})
    assert read_bundle(folder).treatments.get_column("loading_dose")[2] == value


@pytest.mark.parametrize("text", ["1970.0", "+1970", "1e3", "1 970", "1,970", "1" * 19])
def test_a_whole_number_not_written_as_digits_is_refused(tmp_path: Path, text: str) -> None:
    error = _cell_error(tmp_path, "patients", 1, "birth_year", text)
    assert error.expected.startswith("a whole number written -?digits (at most 18 digits)")


def test_every_bad_cell_of_a_file_is_reported_together(tmp_path: Path) -> None:
    changes = {(1, "date"): "2020-3-1", (2, "value"): "1e2", (3, "time"): "8:00"}
    folder = _folder(tmp_path, {"observations.csv": _csv("observations", changes)})
    found = {(error.row, error.field, error.value) for error in _refused(folder)}
    assert found >= {(1, "date", "2020-3-1"), (2, "value", "1e2"), (3, "time", "8:00")}


_DATE_SHAPED = st.text(alphabet="0123456789-/T: ", min_size=0, max_size=12)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(text=_DATE_SHAPED)
def test_a_date_cell_is_accepted_exactly_when_it_is_an_iso_calendar_date(text: str) -> None:
    frames = tables()
    frames["observations"] = frames["observations"].with_columns(
        pl.when(pl.int_range(pl.len()) == 1)
        .then(pl.lit(text))
        .otherwise(pl.col("date"))
        .alias("date")
    )
    try:
        expected = date.fromisoformat(text) if len(text) == 10 and text[4] == "-" else None
    except ValueError:
        expected = None
    if text == "" or expected is None or not ("2020-02-01" <= text <= "2020-04-30"):
        # Not a date, or a date the episode window refuses: the cell is refused either way.
        with pytest.raises(InputErrors):
            validate_tables(frames, source="b")
        return
    bundle = validate_tables(frames, source="b")
    assert expected in bundle.observations.get_column("date").to_list()


# --- CSV structure --------------------------------------------------------------------------


def _structure_error(tmp_path: Path, table: str, data: bytes) -> InputError:
    folder = _folder(tmp_path, {f"{table}.csv": data})
    errors = _refused(folder)
    assert len(errors) == 1, errors
    error = errors[0]
    assert error.source == str(folder / f"{table}.csv")
    return error


def test_a_row_with_fewer_fields_than_the_header_is_refused(tmp_path: Path) -> None:
    lines = _csv("observations").decode().splitlines()
    lines[3] = lines[3].rsplit(",", 1)[0]  # data row 3 loses its last field
    error = _structure_error(tmp_path, "observations", ("\n".join(lines) + "\n").encode())
    assert (error.row, error.field, error.value) == (3, "<row>", "6 fields (line 4)")
    assert error.expected == "7 fields, as many as the header has"


def test_a_row_with_more_fields_than_the_header_is_refused(tmp_path: Path) -> None:
    lines = _csv("patients").decode().splitlines()
    lines[2] += ",extra"
    error = _structure_error(tmp_path, "patients", ("\n".join(lines) + "\n").encode())
    assert (error.row, error.value) == (2, "5 fields (line 3)")


def test_a_short_row_is_found_when_every_cell_is_quoted(tmp_path: Path) -> None:
    buffer = io.StringIO()
    writer = csv.writer(buffer, quoting=csv.QUOTE_ALL, lineterminator="\n")
    rows = ROWS["observations"]
    writer.writerow(rows[0].keys())
    for number, row in enumerate(rows, start=1):
        cells = ["" if value is None else value for value in row.values()]
        writer.writerow(cells[:-1] if number == 5 else cells)
    error = _structure_error(tmp_path, "observations", buffer.getvalue().encode())
    assert (error.row, error.value) == (5, "6 fields (line 6)")


def test_a_quoted_comma_or_line_break_is_one_field(tmp_path: Path) -> None:
    data = _csv("findings", {(1, "detail"): "liver, mild\nsecond line"})
    folder = _folder(tmp_path, {"findings.csv": data})
    detail = read_tables(folder)["findings"].get_column("detail")[0]
    assert detail == "liver, mild\nsecond line"


def test_a_blank_line_inside_a_file_is_refused(tmp_path: Path) -> None:
    lines = _csv("patients").decode().splitlines()
    lines.insert(2, "")
    error = _structure_error(tmp_path, "patients", ("\n".join(lines) + "\n").encode())
    assert (error.row, error.value) == (2, "0 fields (line 3)")
    assert "a blank line is not a row" in error.expected


def test_an_unterminated_quoted_field_is_refused_with_its_row(tmp_path: Path) -> None:
    lines = _csv("drug_exposures").decode().splitlines()
    lines[2] = lines[2].replace("vancomycin", '"vancomycin')
    error = _structure_error(tmp_path, "drug_exposures", ("\n".join(lines) + "\n").encode())
    assert (error.row, error.value) == (2, "line 3")
    assert "never closed" in error.expected


def test_a_file_cut_in_the_middle_of_its_last_row_is_refused(tmp_path: Path) -> None:
    data = _csv("treatments")
    error = _structure_error(tmp_path, "treatments", data[: data.rindex(b",mg/d") + 2])
    assert error.row == len(ROWS["treatments"])
    assert error.field == "<row>"


def test_a_repeated_header_name_is_refused(tmp_path: Path) -> None:
    data = _csv("patients").replace(b"age_years", b"sex", 1)
    error = _structure_error(tmp_path, "patients", data)
    assert (error.field, error.value) == ("<header>", "sex")
    assert error.expected == "each column name once in the header"


def test_an_empty_header_name_is_refused(tmp_path: Path) -> None:
    data = _csv("patients").replace(b"birth_year", b"", 1)
    error = _structure_error(tmp_path, "patients", data)
    assert (error.field, error.value) == ("<header>", "column 3")


def test_a_utf8_bom_is_accepted(tmp_path: Path) -> None:
    folder = _folder(tmp_path, {"patients.csv": b"\xef\xbb\xbf" + _csv("patients")})
    assert read_bundle(folder).patients.columns[0] == "patient_id"


def test_a_latin1_file_is_refused_naming_the_byte_line_and_column(tmp_path: Path) -> None:
    data = _csv("drug_exposures", {(2, "drug"): "céfazoline"}).decode().encode("latin-1")
    error = _structure_error(tmp_path, "drug_exposures", data)
    assert error.field == "<file>"
    assert error.value == "byte 0xe9 at line 3, column 5"
    assert error.expected.startswith("UTF-8 text")


def test_a_utf16_file_is_refused_naming_the_file(tmp_path: Path) -> None:
    data = _csv("patients").decode().encode("utf-16")
    error = _structure_error(tmp_path, "patients", data)
    assert error.value == "a UTF-16 file"


def test_a_utf16_file_without_bom_is_refused(tmp_path: Path) -> None:
    data = _csv("patients").decode().encode("utf-16-le")
    error = _structure_error(tmp_path, "patients", data)
    assert "UTF-16" in error.expected


def test_an_empty_file_is_refused(tmp_path: Path) -> None:
    error = _structure_error(tmp_path, "findings", b"")
    assert (error.field, error.value) == ("<file>", "an empty file")


def test_a_zip_member_with_a_ragged_row_names_archive_and_member(tmp_path: Path) -> None:
    import zipfile

    lines = _csv("patients").decode().splitlines()
    lines[1] = "P1,female"
    archive = tmp_path / "b.zip"
    with zipfile.ZipFile(archive, "w") as out:
        for name in ROWS:
            data = ("\n".join(lines) + "\n").encode() if name == "patients" else _csv(name)
            out.writestr(f"b/{name}.csv", data)
    errors = _refused(archive)
    assert [(e.source, e.row, e.value) for e in errors] == [
        (f"{archive}:b/patients.csv", 1, "2 fields (line 2)")
    ]


# --- REDCap records -------------------------------------------------------------------------


def test_a_ragged_redcap_record_is_refused_with_its_row(tmp_path: Path) -> None:
    write_redcap_files(read_bundle(EXAMPLES / "shen2024"), tmp_path)
    records = tmp_path / "records.csv"
    lines = records.read_text(encoding="utf-8").splitlines()
    lines[4] = lines[4].rsplit(",", 3)[0]
    records.write_text("\n".join(lines) + "\n", encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        read_redcap_files(tmp_path)
    error = caught.value.errors[0]
    assert (error.source, error.row, error.field) == (str(records), 4, "<row>")


def test_a_redcap_record_with_a_non_iso_date_names_file_row_and_text(tmp_path: Path) -> None:
    write_redcap_files(read_bundle(EXAMPLES / "shen2024"), tmp_path)
    records = tmp_path / "records.csv"
    frame = pl.read_csv(records, infer_schema=False)
    date_column = next(c for c in frame.columns if c.endswith("onset_date"))
    row = frame.get_column(date_column).is_not_null().arg_true()[0]
    iso = frame.get_column(date_column)[row]
    us = f"{iso[5:7]}/{iso[8:10]}/{iso[:4]}"
    records.write_text(records.read_text(encoding="utf-8").replace(iso, us, 1), encoding="utf-8")
    with pytest.raises(InputErrors) as caught:
        read_redcap_files(tmp_path)
    values = {(error.source, error.value) for error in caught.value.errors}
    assert (str(records), us) in values


def test_a_redcap_file_in_latin1_is_refused(tmp_path: Path) -> None:
    write_redcap_files(read_bundle(EXAMPLES / "shen2024"), tmp_path)
    records = tmp_path / "records.csv"
    records.write_bytes(records.read_bytes() + "é".encode("latin-1"))
    with pytest.raises(InputErrors) as caught:
        read_redcap_files(tmp_path)
    assert caught.value.errors[0].source == str(records)
    assert caught.value.errors[0].expected.startswith("UTF-8 text")


# --- XLSX -----------------------------------------------------------------------------------


def _workbook(path: Path, cells: dict[tuple[str, str], Any] | None = None) -> Path:
    """The fixture bundle as a workbook; ``cells`` overrides cells by (sheet, "B3")."""
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, rows in ROWS.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(rows[0].keys()))
        for row in rows:
            sheet.append(list(row.values()))
    for (name, reference), value in (cells or {}).items():
        workbook[name][reference] = value
    workbook.save(path)
    return path


def _cell_datetime(*parts: int) -> datetime:
    """A date-time as a spreadsheet cell holds one: without a time zone."""
    return datetime(*parts)  # noqa: DTZ001 - spreadsheet cells have no time zone


def _xlsx_error(tmp_path: Path, sheet: str, reference: str, value: Any) -> InputError:
    path = _workbook(tmp_path / "b.xlsx", {(sheet, reference): value})
    errors = _refused(path)
    assert len(errors) == 1, errors
    error = errors[0]
    assert error.source == f"{path}:{sheet}!{reference}"
    assert error.row == int(reference[1:]) - 1
    return error


def test_a_clean_workbook_reads_like_its_csv(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx")
    assert read_bundle(path).course("E1") == validate_tables(tables(), source="x").course("E1")


def test_a_real_date_cell_at_midnight_is_read_as_the_date(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx", {("observations", "B3"): _cell_datetime(2020, 3, 6)})
    dates = read_bundle(path).observations.get_column("date").to_list()
    assert dates[1] == date(2020, 3, 6)


def test_a_time_cell_is_read_as_hh_mm(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx", {("observations", "C3"): time(7, 45)})
    assert read_bundle(path).observations.get_column("time")[1] == time(7, 45)


def test_a_number_is_read_without_an_exponent(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx", {("treatments", "G3"): 0.00004})
    assert read_tables(path)["treatments"].get_column("dose")[1] == "0.00004"


def test_a_date_cell_with_a_time_of_day_is_refused_naming_the_cell(tmp_path: Path) -> None:
    error = _xlsx_error(tmp_path, "observations", "B7", _cell_datetime(2020, 3, 5, 10, 30))
    assert error.field == "date"
    assert error.value == _cell_datetime(2020, 3, 5, 10, 30)
    assert error.expected.startswith("a date without a time of day")


def test_a_number_in_a_date_column_is_refused_as_an_excel_serial(tmp_path: Path) -> None:
    error = _xlsx_error(tmp_path, "episodes", "D2", 43891)
    assert (error.field, error.value) == ("onset_date", 43891)
    assert "Excel serial" in error.expected


def test_a_boolean_cell_is_refused(tmp_path: Path) -> None:
    error = _xlsx_error(tmp_path, "patients", "C2", True)
    assert (error.field, error.value) == ("birth_year", True)
    assert "TRUE/FALSE" in error.expected


def test_an_error_cell_is_refused(tmp_path: Path) -> None:
    error = _xlsx_error(tmp_path, "treatments", "G2", "#DIV/0!")
    assert (error.field, error.value) == ("dose", "#DIV/0!")
    assert "spreadsheet error" in error.expected


def test_a_date_cell_in_a_text_column_is_refused(tmp_path: Path) -> None:
    # A spreadsheet turns "1-2" typed in a cell into a date: never read back as a date text.
    error = _xlsx_error(tmp_path, "findings", "E2", _cell_datetime(2020, 1, 2))
    assert error.field == "detail"
    assert "format the column as text" in error.expected


def test_a_us_date_text_in_a_workbook_is_refused_by_validation(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx", {("observations", "B3"): "03/05/2020"})
    errors = _refused(path)
    assert [(e.row, e.field, e.value) for e in errors] == [(2, "date", "03/05/2020")]


def test_an_empty_row_inside_a_sheet_is_refused_naming_it(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx")
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    workbook["patients"].insert_rows(3)
    workbook.save(path)
    errors = _refused(path)
    assert [(e.source, e.row) for e in errors] == [(f"{path}:patients!A3", 2)]


def test_a_value_outside_the_header_is_refused(tmp_path: Path) -> None:
    error = _xlsx_error(tmp_path, "patients", "F3", "note")
    assert error.field == "<cell>"


def test_a_repeated_sheet_column_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx", {("patients", "D1"): "sex"})
    errors = _refused(path)
    assert [(e.source, e.field, e.value) for e in errors] == [
        (f"{path}:patients!D1", "<header>", "sex")
    ]


def test_a_written_workbook_reads_back_equal(tmp_path: Path) -> None:
    original = read_bundle(EXAMPLES / "sim2022")
    again = read_bundle(write_bundle(original, tmp_path / "sim.xlsx", format="xlsx"))
    assert again.observations.equals(original.observations)
    assert again.treatments.equals(original.treatments)


def test_a_quoted_empty_cell_is_an_empty_cell(tmp_path: Path) -> None:
    lines = _csv("observations").decode().splitlines()
    cells = lines[2].split(",")
    cells[3] = '""'  # the code of data row 2, quoted and empty
    lines[2] = ",".join(cells)
    folder = _folder(tmp_path, {"observations.csv": ("\n".join(lines) + "\n").encode()})
    errors = [e for e in _refused(folder) if e.field == "code"]
    assert [(e.row, e.expected) for e in errors] == [(2, "a value (this column is required)")]
    assert "an empty cell" in str(errors[0])


def test_a_header_with_a_carriage_return_inside_is_refused_naming_the_file(
    tmp_path: Path,
) -> None:
    data = _csv("patients").replace(b"patient_id,", b"patient_id,\r", 1)
    error = _structure_error(tmp_path, "patients", data)
    assert error.field == "<file>"
    assert "the header row" in error.expected
