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


def test_html_is_self_contained_with_vector_figures(sim_html: str) -> None:
    assert "http://" not in sim_html.replace("http://www.w3.org", "")
    assert sim_html.count('src="data:image/svg+xml;base64,') == 3
    assert "data:image/png" not in sim_html


def test_html_course_table_has_a_row_per_patient_and_the_summary(sim_html: str) -> None:
    table = sim_html.split('<section id="course-table">')[1].split("</section>")[0]
    assert len(re.findall(r"<td>SIM\d\d</td>", table)) == 18
    assert "Median (range)" in table


def test_methods_state_every_definition_and_parameter(sim_report: Report) -> None:
    terms = [entry.term for entry in sim_report.methods]
    assert "Thresholds used" in terms
    assert "Before and after day 0" in terms
    thresholds = next(entry for entry in sim_report.methods if entry.term == "Thresholds used")
    assert "Upper limit of normal for ALT: 40 U/L" in thresholds.text
    assert any("SPSS" in entry.text for entry in sim_report.methods)


def test_methods_are_words_without_program_identifiers(sim_report: Report) -> None:
    for entry in sim_report.methods:
        words = f"{entry.term} {entry.text}"
        assert not re.search(r"\b[a-z0-9]+_[a-z0-9_]+\b", words), entry
        assert "dresskit.course" not in words
        assert "clinical-reference.md" not in words


def test_every_definition_cites_a_primary_source_in_the_references(sim_report: Report) -> None:
    for entry in sim_report.methods:
        assert entry.sources, entry.term
        assert all(source in sim_report.references for source in entry.sources), entry.term


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
    flare = next(flare for flare in response.flares if flare.on == "2022-02-02")
    assert flare.prednisone_equivalent_mg == 20.0
    assert flare.during_taper is True


def test_each_flare_day_is_listed_once_with_its_markers(shen_report: Report) -> None:
    for response in shen_report.responses:
        days = [flare.on for flare in response.flares]
        assert len(days) == len(set(days))
    html = render_html(shen_report, [], generated="2026-11-29 00:00 UTC")
    table = html.split('<section id="response">')[1].split("</section>")[0]
    assert table.count("2022-02-02") == 1
    assert "2022-02-02: itch, rash, 20 mg/day during taper" in table


@pytest.fixture(scope="module")
def sim_pdf(sim_html: str) -> PdfReader:
    return PdfReader(io.BytesIO(render_pdf(sim_html)))


@pytest.fixture(scope="module")
def sim_pdf_pages(sim_pdf: PdfReader) -> list[str]:
    return [page.extract_text() for page in sim_pdf.pages]


def test_pdf_figures_are_vector_not_raster(sim_pdf: PdfReader) -> None:
    assert all(len(page.images) == 0 for page in sim_pdf.pages)


def test_pdf_renders_with_its_pages(sim_pdf_pages: list[str]) -> None:
    assert 4 <= len(sim_pdf_pages) <= 20
    assert "Sim et al. 2022" in sim_pdf_pages[0]


def test_pdf_title_page_names_cohort_index_date_and_version(sim_pdf_pages: list[str]) -> None:
    from dresskit import __version__

    title = sim_pdf_pages[0]
    assert "18 patients, 18 episodes" in title
    assert "Index event (day 0)" in title
    assert "first IVIG" in title
    assert "2026-11-28 00:00 UTC" in title
    assert f"dresskit {__version__}" in title


def test_pdf_pages_after_the_title_are_numbered(sim_pdf_pages: list[str]) -> None:
    total = len(sim_pdf_pages)
    for number, text in enumerate(sim_pdf_pages[1:], start=2):
        assert f"Page {number} of {total}" in text


def test_pdf_table_headers_repeat_on_every_page_a_table_spans(sim_pdf_pages: list[str]) -> None:
    # The baseline table of the Sim report runs over a page break.
    with_header = [text for text in sim_pdf_pages if "Characteristic" in text]
    assert len(with_header) >= 2
    assert all("Missing" in text for text in with_header)


def test_print_css_keeps_rows_figures_and_headings_whole(sim_html: str) -> None:
    css = sim_html.split("<style>")[1].split("</style>")[0]
    assert "thead { display: table-header-group; }" in css
    assert "tr, td, th { break-inside: avoid; page-break-inside: avoid; }" in css
    assert "break-after: avoid" in css
    assert 'counter(page) " of " counter(pages)' in css


def test_every_table_is_exported(sim_report: Report) -> None:
    tables = report_tables(sim_report)
    assert set(tables) >= {
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


def _visible_text(html: str) -> str:
    body = html.split("</style>")[1]
    body = re.sub(r'src="data:[^"]+"', "", body)
    return re.sub(r"<[^>]+>", " ", body)


def test_median_of_an_even_count_is_the_median_with_the_column_precision(
    sim_report: Report, sim_html: str
) -> None:
    """Regression: ALT printed the lower middle value with an ellipsis ("357…") as median."""
    alt = next(c for c in sim_report.paired if c.paired.code == "alt")
    assert alt.paired.n_pairs % 2 == 0
    assert alt.paired.median_before == 381.5
    table = sim_html.split('<section id="before-after">')[1].split("</table>")[0]
    assert "…" not in table
    assert ">381.5<" in table
    assert alt.to_frame().row(0, named=True)["median_before"] == 381.5


def test_units_a_person_reads_are_symbols_never_ucum_codes(sim_html: str) -> None:
    text = _visible_text(sim_html.split('<section id="definitions"')[0])
    assert "×10⁹/L" in text
    assert "°C" in text
    for code in ("10*9/L", "Cel)", ", Cel", "mg/kg/d,", "{score}", "ug/L"):
        assert code not in text, code


def test_course_table_has_one_precision_per_column(sim_html: str) -> None:
    table = sim_html.split('<section id="course-table">')[1].split("</table>")[0]
    assert "1.8 (1.0–2.0)" in table  # Sim et al. 2022 Table 1 prints the dose so
    assert "6.5 (2.0–14.0)" in table
    assert "37 (3–131)" in table


def test_course_table_drops_empty_columns_with_a_note(sim_html: str) -> None:
    section = sim_html.split('<section id="course-table">')[1].split("</section>")[0]
    header = section.split("<thead>")[1].split("</thead>")[0]
    assert "rash resolution" not in header
    assert "Not shown, no value for any episode: Time to rash resolution" in section


def test_course_table_explains_unknown_values_in_footnotes(sim_html: str) -> None:
    section = sim_html.split('<section id="course-table">')[1].split("</section>")[0]
    cells = section.split("<tbody>")[1].split("</tbody>")[0]
    assert "lost to follow-up" not in cells
    assert "—<sup>a</sup>" in cells
    assert "<sup>a</sup> Not known: lost to follow-up." in section


def test_p_values_are_never_printed_as_zero(sim_html: str) -> None:
    table = sim_html.split('<section id="before-after">')[1].split("</table>")[0]
    assert "&lt; 0.001" in table
    assert not re.search(r">0(\.0+)?</td></tr>", table)


def test_grammar_counts_and_articles(sim_html: str) -> None:
    text = _visible_text(sim_html)
    assert "(s)" not in text
    assert "an IVIG event" in text
    assert "a IVIG" not in text
    assert "1 censored value " in text


def test_how_to_cite_and_the_definitions_page_are_in_the_report(sim_html: str) -> None:
    from dresskit import __version__

    assert "How to cite dresskit:" in sim_html
    assert f"version {__version__}. 2026." in sim_html
    appendix = sim_html.split('<section id="definitions"')[1]
    assert "Day numbering and censoring" in appendix
    assert "<table>" in appendix


def test_shipped_definitions_page_is_the_projects_own() -> None:
    from dresskit.analysis.rendering import definitions_markdown

    docs = Path(__file__).parents[2] / "docs" / "definitions.md"
    assert definitions_markdown() == docs.read_text(encoding="utf-8"), (
        "copy docs/definitions.md to src/dresskit/analysis/templates/definitions.md"
    )


def test_definitions_page_renders_as_its_own_html_file() -> None:
    from dresskit.analysis.rendering import definitions_html

    page = definitions_html(version="9.9")
    assert page.startswith("<!DOCTYPE html>")
    assert "dresskit 9.9 definitions" in page
    assert "<h2>Day numbering and censoring</h2>" in page


def test_exported_tables_carry_no_float_noise(sim_report: Report) -> None:
    from dresskit.analysis.rendering import csv

    for name, frame in report_tables(sim_report).items():
        text = csv(frame).decode("utf-8")
        assert not re.search(r"\d\.\d*(0000000|9999999)\d", text), name


def test_figures_are_drawn_in_the_formats_asked_for(sim_report: Report) -> None:
    from dataclasses import replace

    (figure, *_) = draw_figures(replace(sim_report, figure_formats=("pdf",)))
    assert set(figure.files) == {"pdf"}
    assert figure.files["pdf"].startswith(b"%PDF")
    assert figure.svg.lstrip().startswith(b"<?xml")
    (default, *_) = draw_figures(sim_report)
    assert set(default.files) == {"svg", "pdf", "png"}


def test_build_report_refuses_an_unknown_figure_format() -> None:
    from dresskit.errors import InputError

    with pytest.raises(InputError, match="svg, pdf, png"):
        build_report(read_bundle(EXAMPLES / "shen2024"), index="dupilumab", figure_formats=("gif",))


def test_paired_comparison_to_frame_has_numbers(sim_report: Report) -> None:
    import polars as pl

    frame = pl.concat([comparison.to_frame() for comparison in sim_report.paired])
    assert frame.height == 3
    assert frame.schema["pairs"] == pl.Int64
    assert frame.schema["p"] == pl.Float64
    assert set(frame.get_column("unit").to_list()) == {"Cel", "10*9/L", "U/L"}  # UCUM: machines


def test_a_large_cohort_shows_the_course_summary_one_row_per_column(
    sim_report: Report, monkeypatch: pytest.MonkeyPatch
) -> None:
    import dresskit.analysis.rendering as rendering

    monkeypatch.setattr(rendering, "_MAX_COURSE_ROWS", 5)
    html = render_html(sim_report, [], generated="2026-11-29 00:00 UTC")
    section = html.split('<section id="course-table">')[1].split("</section>")[0]
    assert "tables/course_table.csv" in section
    assert "<td>SIM01</td>" not in section
    assert "<td>Steroid dose, mg/kg/day</td>" in section
    assert "1.8 (1.0–2.0)" in section
