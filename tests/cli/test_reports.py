"""`dresskit report`: files written, published differences stated, bad input refused."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import polars as pl
import pytest
from pypdf import PdfReader
from typer.testing import CliRunner

from dresskit.cli import app

runner = CliRunner()
EXAMPLES = Path(__file__).parents[2] / "examples"


def test_report_writes_html_pdf_tables_and_figures(tmp_path: Path) -> None:
    out = tmp_path / "sim"
    result = runner.invoke(
        app,
        ["report", str(EXAMPLES / "sim2022"), "--out", str(out), "--compare", "sim2022_table1"],
    )
    assert result.exit_code == 0, result.output
    assert (out / "report.html").read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert len(PdfReader(io.BytesIO((out / "report.pdf").read_bytes())).pages) >= 4
    for name in ("course_table", "course_summary", "baseline", "paired_tests", "time_to_event"):
        assert (out / "tables" / f"{name}.csv").is_file(), name
        assert (out / "tables" / f"{name}.xlsx").is_file(), name
    assert (out / "figures" / "before_after.png").read_bytes()[:4] == b"\x89PNG"
    course = pl.read_csv(out / "tables" / "course_table.csv")
    assert course.height == 18
    assert "differs from the paper" in result.output
    assert "36.5" in result.output
    assert not list(tmp_path.glob(".sim.dresskit-*")), "temporary sibling left behind"


def test_report_without_pdf_writes_no_pdf(tmp_path: Path) -> None:
    out = tmp_path / "shen"
    result = runner.invoke(
        app,
        [
            "report",
            str(EXAMPLES / "shen2024"),
            "--out",
            str(out),
            "--index",
            "dupilumab",
            "--no-pdf",
        ],
    )
    assert result.exit_code == 0, result.output
    assert not (out / "report.pdf").exists()
    assert (out / "figures" / "timeline_1.png").is_file()  # named by position, not by id


def test_invalid_bundle_writes_nothing(tmp_path: Path) -> None:
    bundle = tmp_path / "bundle"
    bundle.mkdir()
    for source in (EXAMPLES / "sim2022").glob("*.csv"):
        (bundle / source.name).write_text(source.read_text(encoding="utf-8"), encoding="utf-8")
    episodes = bundle / "episodes.csv"
    episodes.write_text(
        episodes.read_text(encoding="utf-8").replace("recovered", "cured", 1), encoding="utf-8"
    )
    out = tmp_path / "out"
    result = runner.invoke(app, ["report", str(bundle), "--out", str(out)])
    assert result.exit_code == 1
    assert "outcome" in result.output
    assert "cured" in result.output
    assert not out.exists()


def test_unknown_published_table_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(
        app,
        ["report", str(EXAMPLES / "sim2022"), "--out", str(tmp_path / "x"), "--compare", "nope"],
    )
    assert result.exit_code == 1
    assert "sim2022_table1" in result.output


def test_without_weasyprint_the_report_says_what_to_install_before_writing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The [pdf] extra is optional: its absence is a one-line instruction, not a crash."""
    monkeypatch.setitem(sys.modules, "weasyprint", None)  # makes `import weasyprint` fail
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", str(EXAMPLES / "shen2024"), "--out", str(out)])
    assert result.exit_code == 1, result.output
    assert "dresskit[pdf]" in result.output
    assert "--no-pdf" in result.output
    assert "internal error" not in result.output
    assert not out.exists()
