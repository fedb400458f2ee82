"""The report holds every section, the published comparison, and renders to HTML and PDF."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest
from pypdf import PdfReader

from dresskit.analysis.comparison import PublishedColumn
from dresskit.analysis.rendering import draw_figures, render_html, render_pdf, report_tables, xlsx
from dresskit.analysis.report import Report, build_report
from dresskit.bundle import read_bundle
from dresskit.datasets import load_published_table

EXAMPLES = Path(__file__).parents[2] / "examples"


def _published() -> dict[str, object]:
    table = load_published_table("sim2022_table1")
    return {
        "published": [
            PublishedColumn(c, table.columns[c], s["text"], s["median"], s["minimum"], s["maximum"])
            for c, s in table.summary.items()
        ],
        "published_citation": table.citation,
        "published_rows": table.rows,
    }


@pytest.fixture(scope="module")
def sim_report() -> Report:
    return build_report(read_bundle(EXAMPLES / "sim2022"), index="ivig", **_published())  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def sim_html(sim_report: Report) -> str:
    return render_html(sim_report, draw_figures(sim_report), generated="2026-11-28 00:00 UTC")


@pytest.fixture(scope="module")
def shen_report() -> Report:
    return build_report(read_bundle(EXAMPLES / "shen2024"), index="dupilumab")


@pytest.mark.parametrize(
    "section",
    [
        "data",
        "course-table",
        "published",
        "baseline",
        "before-after",
        "time-to-event",
        "response",
        "swimmer",
        "quality",
        "methods",
        "software",
    ],
)
def test_html_has_every_section(sim_html: str, section: str) -> None:
    assert f'<section id="{section}">' in sim_html


def test_html_states_where_the_published_summary_differs(sim_html: str) -> None:
    assert "36.5 (0–131.0)" in sim_html
    assert "37 (3–131)" in sim_html
    assert "lost to follow-up: SIM14" in sim_html


def test_html_is_self_contained(sim_html: str) -> None:
    assert "http://" not in sim_html.replace("http://www.w3.org", "")
    assert sim_html.count('src="data:image/png;base64,') == 3


def test_html_course_table_has_a_row_per_patient_and_the_summary(sim_html: str) -> None:
    table = sim_html.split('<section id="course-table">')[1].split("</section>")[0]
    assert len(re.findall(r"<td>SIM\d\d</td>", table)) == 18
    assert "Median (range)" in table


def test_methods_state_every_definition_and_parameter(sim_report: Report) -> None:
    names = [name for name, _ in sim_report.methods]
    assert "parameter alt_uln_u_per_l" in names
    assert "Before/after" in names
    assert any("SPSS" in text for _, text in sim_report.methods)


def test_paired_tests_use_spss_method(sim_report: Report) -> None:
    for comparison in sim_report.paired:
        assert comparison.test is not None
        assert comparison.test.method == "spss"
        assert comparison.test.p_value < 0.05


def test_shen_report_has_a_timeline_with_the_relapse(shen_report: Report) -> None:
    assert len(shen_report.timelines) == 1
    response = shen_report.responses[0]
    assert response.dependent is True
    assert response.type2_profile is True
    assert ("2022-02-02", 20.0) in response.flares


def test_pdf_renders_with_its_pages(sim_html: str) -> None:
    pdf = render_pdf(sim_html)
    pages = len(PdfReader(io.BytesIO(pdf)).pages)
    assert 4 <= pages <= 20
    text = PdfReader(io.BytesIO(pdf)).pages[0].extract_text()
    assert "Sim et al. 2022" in text


def test_every_table_is_exported(sim_report: Report) -> None:
    tables = report_tables(sim_report)
    assert set(tables) == {
        "course_table",
        "course_summary",
        "baseline",
        "paired_tests",
        "time_to_event",
        "steroid_response",
        "regiscar",
        "published_comparison",
        "data_quality",
    }
    assert tables["course_table"].height == 18
    workbook = xlsx(tables["course_summary"], sheet="course_summary")
    assert workbook[:2] == b"PK"  # an .xlsx is a zip archive


def test_values_accepted_with_a_warning_reach_the_report_and_its_table(tmp_path: Path) -> None:
    import shutil

    from dresskit.analysis.rendering import draw_figures, render_html
    from dresskit.analysis.report import build_report
    from dresskit.bundle import read_bundle

    folder = tmp_path / "shen"
    shutil.copytree(Path(__file__).parents[2] / "examples" / "shen2024", folder)
    exposures = folder / "drug_exposures.csv"
    exposures.write_text(exposures.read_text().replace("oxcarbazepine", "Trileptal"))
    report = build_report(read_bundle(folder), index="dupilumab", per_course=False)
    (warning,) = report.data_warnings
    assert (warning.field, warning.value) == ("drug", "Trileptal")
    table = report_tables(report)["data_quality"]
    assert table.row(0, named=True)["why"] == warning.concern
    html = render_html(report, draw_figures(report), generated="now")
    assert "Values accepted with a warning (n = 1)" in html
    assert "Trileptal" in html
