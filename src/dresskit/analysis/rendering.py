"""Render a :class:`~dresskit.analysis.report.Report` as HTML and PDF.

Each function takes the computed report and returns bytes or text; nothing here computes a
statistic and nothing writes a file (the command line chooses the folder). The HTML page is
self-contained: figures are embedded as SVG (vector), styles are inline, no network is
needed. The PDF is the same HTML laid out by WeasyPrint: a title page (cohort, index event,
date, dresskit version), page numbers, table headers repeated on every page, rows and
figures never split, headings kept with what follows.

Everything a person reads shows units as symbols (:func:`dresskit.display_units.display_unit`:
``°C``, ``×10⁹/L``, ``U/L``); UCUM codes stay in the tables written for machines.

For compatibility this module also gives :func:`draw_figures` and :class:`RenderedFigure`
(:mod:`dresskit.analysis.report_figures`) and :func:`report_tables`, :func:`csv` and
:func:`xlsx` (:mod:`dresskit.analysis.report_tables`).
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any, Final

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from dresskit.analysis.formatting import (
    REASON_TEXT,
    article,
    column_decimals,
    course_decimals,
    format_fixed,
    format_iqr,
    format_left_out,
    format_number,
    format_p,
    format_summary,
    plural,
)
from dresskit.analysis.report_figures import RenderedFigure, draw_figures
from dresskit.analysis.report_model import FlareRow, Report
from dresskit.analysis.report_tables import csv, report_tables, xlsx
from dresskit.analysis.report_text import PUBLISHED_DIFFERENCE_NOTE, how_to_cite, index_label
from dresskit.display_units import display_unit, with_unit
from dresskit.errors import ConfigurationError
from dresskit.printable import printable

__all__ = [
    "DEFINITIONS_FILE",
    "RenderedFigure",
    "csv",
    "definitions_html",
    "draw_figures",
    "pdf_engine",
    "render_html",
    "render_pdf",
    "report_tables",
    "xlsx",
]

#: The file name under which the command line writes :func:`definitions_html` next to the
#: report (the report links it).
DEFINITIONS_FILE: Final = "definitions.html"

#: Above this many episodes the course table shows only its summary (rows are in the CSV).
_MAX_COURSE_ROWS: Final = 200

_FOOTNOTE_MARKS: Final = "abcdefghijklmnopqrstuvwxyz"


@dataclass(frozen=True)
class _CourseDisplay:
    """The course table as printed: headings, cells with footnote marks, summaries."""

    n: int
    headings: tuple[str, ...]
    rows: tuple[tuple[str, tuple[tuple[str, str], ...]], ...]
    summary_rows: tuple[tuple[str, tuple[str, ...]], ...]
    footnotes: tuple[tuple[str, str], ...]
    dropped: str
    left_out: tuple[str, ...]


def _heading(label: str, unit: str) -> str:
    symbol = display_unit(unit)
    return f"{label}, {symbol}" if symbol else label


def _course_display(report: Report) -> _CourseDisplay:
    table = report.course_table
    decimals = course_decimals(table)
    shown = [
        (column, summary)
        for column, summary in zip(table.columns, table.summaries, strict=True)
        if summary.n > 0
    ]
    # One footnote per reason a value is unknown, lettered in order of first appearance.
    marks: dict[str, str] = {}
    rows = []
    if table.rows.height <= _MAX_COURSE_ROWS:
        for row in table.rows.iter_rows(named=True):
            cells = []
            for column, _ in shown:
                value = row[column.name]
                if value is None:
                    reason = row[f"{column.name}_reason"] or "not_measured"
                    mark = marks.setdefault(reason, _FOOTNOTE_MARKS[len(marks) % 26])
                    cells.append(("—", mark))
                else:
                    cells.append((format_fixed(value, decimals[column.name]), ""))
            rows.append((str(row["episode_id"]), tuple(cells)))
    summary_rows = (
        (
            "Median (range)",
            tuple(format_summary(s, decimals=decimals[c.name]) for c, s in shown),
        ),
        ("IQR", tuple(format_iqr(s, decimals=decimals[c.name]) for c, s in shown)),
        ("n", tuple(f"{s.n} of {s.n_episodes}" for _, s in shown)),
    )
    footnotes = tuple(
        (mark, f"Not known: {REASON_TEXT.get(reason, reason)}.") for reason, mark in marks.items()
    )
    dropped = "; ".join(
        f"{column.label} ({plural(summary.n_episodes, 'episode')}: "
        + ", ".join(sorted({REASON_TEXT.get(reason, reason) for reason in summary.left_out}))
        + ")"
        for column, summary in zip(table.columns, table.summaries, strict=True)
        if summary.n == 0
    )
    left_out = []
    for column, summary in shown:
        if not summary.left_out:
            continue
        text = f"{column.label}: {format_left_out(summary)}."
        as_zero = summary.if_left_out_counted_as_zero
        if as_zero:
            places = column_decimals(
                table.rows.get_column(column.name).to_list(), medians=[as_zero[0]]
            )
            text += (
                f" Counting the censored {'value' if len(summary.left_out) == 1 else 'values'} "
                f"as 0 days would give {format_fixed(as_zero[0], places)} "
                f"({format_fixed(as_zero[1], places)}–{format_fixed(as_zero[2], places)}): a "
                "censored duration is unknown, not 0."
            )
        left_out.append(text)
    return _CourseDisplay(
        n=table.rows.height,
        headings=tuple(_heading(column.label, column.unit) for column, _ in shown),
        rows=tuple(rows),
        summary_rows=summary_rows,
        footnotes=footnotes,
        dropped=dropped,
        left_out=tuple(left_out),
    )


def _paired_rows(report: Report) -> list[dict[str, Any]]:
    rows = []
    for comparison in report.paired:
        paired, test = comparison.paired, comparison.test
        median_before, median_after = paired.median_before, paired.median_after
        # The column's precision: that of the recorded values, one more for a median
        # between two whole numbers (381.5 U/L is printed 381.5, never 381 or "357…").
        places = column_decimals(
            [*paired.before, *paired.after], medians=[median_before, median_after]
        )
        rows.append(
            {
                "label": _heading(paired.label, paired.unit),
                "days": f"{paired.before_day:+d} / {paired.after_day:+d}",
                "pairs": paired.n_pairs,
                "tested": test is not None,
                "median_before": format_fixed(median_before, places),
                "median_after": format_fixed(median_after, places),
                "zeros": test.n_zero_differences_dropped if test else "",
                "statistic": format_number(test.statistic) if test else "",
                "z": format_fixed(test.z, 2) if test and test.z is not None else "—",
                "p": format_p(test.p_value) if test else "",
                "remark": comparison.remark,
            }
        )
    return rows


def _response_summary(report: Report) -> str:
    responses = report.responses
    counts = {
        "hyporesponsive": sum(row.hyporesponsive is True for row in responses),
        "dependent": sum(row.dependent is True for row in responses),
        "resistant": sum(row.resistant is True for row in responses),
        "with a type 2 profile": sum(row.type2_profile is True for row in responses),
    }
    flares = sum(len(row.flares) for row in responses)
    with_flares = sum(bool(row.flares) for row in responses)
    parts = ", ".join(f"{count} {state}" for state, count in counts.items())
    flare_text = (
        f"{plural(flares, 'flare day')} in {plural(with_flares, 'episode')}."
        if flares
        else "No flare."
    )
    return (
        f"Of {plural(len(responses), 'episode')}: {parts} (the others are 'no' or "
        f"undetermined from the data). {flare_text}"
    )


def _flare_text(flare: FlareRow) -> str:
    when = (
        " during taper"
        if flare.during_taper
        else (" after withdrawal" if flare.after_withdrawal else "")
    )
    dose = (
        f", {with_unit(format_number(flare.prednisone_equivalent_mg), 'mg/d')}"
        if flare.prednisone_equivalent_mg is not None
        else ", no steroid that day"
    )
    return f"{flare.on}: {', '.join(flare.markers)}{dose}{when}"


def _figure_html(drawn: RenderedFigure, extra: str = "") -> Markup:
    """Return a figure with its caption: the SVG as an image (vector in HTML and PDF)."""
    caption = f"{extra}. {drawn.caption}" if extra else drawn.caption
    return Markup(
        '<figure><img src="{uri}" alt="{title}"><figcaption><strong>{title}.</strong> '
        "{caption}</figcaption></figure>"
    ).format(uri=drawn.data_uri, title=drawn.title, caption=caption)


def _citation_numbers(sources: tuple[str, ...], references: tuple[str, ...]) -> str:
    """``[1, 3]``: the numbers of ``sources`` in the reference list."""
    numbers = sorted({references.index(source) + 1 for source in sources if source in references})
    return "[" + ", ".join(str(number) for number in numbers) + "]" if numbers else ""


def _printable_output(value: object) -> object:
    """Every value the template prints, without control characters or bidi overrides.

    HTML escaping is Jinja's (autoescape); this removes what escaping leaves: escape
    sequences, C0/C1 controls (not allowed in HTML) and bidirectional overrides that could
    reorder what a reader sees (CWE-150; Unicode Standard Annex #9).
    """
    if isinstance(value, Markup):
        return Markup(printable(str(value), multiline=True))
    if isinstance(value, str):
        return printable(value, multiline=True)
    return value


def _environment() -> Environment:
    environment = Environment(
        loader=PackageLoader("dresskit.analysis", "templates"),
        autoescape=select_autoescape(["html", "j2"]),
        trim_blocks=True,
        lstrip_blocks=True,
        finalize=_printable_output,
    )
    environment.globals["zip"] = zip
    environment.globals["figure_html"] = _figure_html
    environment.filters["cite"] = _citation_numbers
    environment.filters["number"] = format_number
    environment.filters["p"] = format_p
    environment.filters["plural"] = plural
    environment.filters["reason"] = lambda reason: REASON_TEXT.get(reason, reason)
    environment.filters["flare"] = _flare_text
    environment.filters["state"] = lambda value: (
        "undetermined" if value is None else ("yes" if value else "no")
    )
    return environment


def definitions_markdown() -> str:
    """Return the project's definitions page (``docs/definitions.md``) shipped in the package."""
    return (
        resources.files("dresskit.analysis")
        .joinpath("templates/definitions.md")
        .read_text(encoding="utf-8")
    )


def _definitions_body() -> Markup:
    from markdown_it import MarkdownIt

    # Raw HTML in the page is not passed through: the page is text and tables only.
    parser = MarkdownIt("commonmark", {"html": False}).enable("table")
    text = definitions_markdown()
    # The page's own title ("# Definitions") is the appendix heading in the report.
    lines = text.splitlines()
    if lines and lines[0].startswith("# "):
        text = "\n".join(lines[1:])
    return Markup(parser.render(text))


def definitions_html(*, version: str) -> str:
    """Return the definitions page as a self-contained HTML file (for the report folder)."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        f"<title>dresskit {Markup.escape(version)} definitions</title>"
        '<style>body{font-family:"DejaVu Sans",Arial,sans-serif;max-width:60em;margin:1em auto;'
        "font-size:10pt;line-height:1.4}table{border-collapse:collapse}th,td{border-bottom:"
        "1px solid #ccc;padding:2px 6px;text-align:left;vertical-align:top}</style></head>"
        f"<body>{_definitions_body()}</body></html>\n"
    )


def _survival_marks(report: Report) -> dict[str, str]:
    marks: dict[str, str] = {}
    for analysis in report.survival:
        if analysis.remark and analysis.remark not in marks:
            marks[analysis.remark] = _FOOTNOTE_MARKS[len(marks) % 26]
    return marks


def render_html(
    report: Report,
    figures: list[RenderedFigure],
    *,
    generated: str,
    definitions_file: str | None = None,
) -> str:
    """Render the self-contained HTML report.

    Parameters
    ----------
    report
        The computed report.
    figures
        From :func:`draw_figures`.
    generated
        The timestamp printed in the report (passed in: the core keeps no clock); its first
        four characters, when a year, are the year of the "how to cite" line.
    definitions_file
        The name of the definitions page written next to the report, to link (the page is
        also the report's appendix).
    """
    template = _environment().get_template("report.html.j2")
    label = index_label(report.index)
    year = int(generated[:4]) if generated[:4].isdigit() else 0
    cohort = (
        f"{plural(report.counts['patients'], 'patient')}, "
        f"{plural(report.counts['episodes'], 'episode')} "
        f"({report.counts['episodes_with_index']} with {article(label)} event)"
    )
    context: dict[str, Any] = {
        "report": report,
        "figures": figures,
        "figure": {figure.name: figure for figure in figures},
        "generated": generated,
        "index_label": label,
        "index_article": article(label),
        "cohort_text": cohort,
        "course_display": _course_display(report),
        "paired_rows": _paired_rows(report),
        "survival_marks": _survival_marks(report),
        "response_summary": _response_summary(report) if report.responses else "",
        "published_note": PUBLISHED_DIFFERENCE_NOTE,
        "how_to_cite": how_to_cite(year) if year else how_to_cite(0).replace(" 0.", ""),
        "definitions": _definitions_body(),
        "definitions_file": definitions_file,
    }
    return template.render(**context)


def pdf_engine() -> Any:
    """Return WeasyPrint's ``HTML`` class, or say exactly what to install to make PDFs.

    Raises
    ------
    dresskit.errors.ConfigurationError
        If WeasyPrint (the ``[pdf]`` extra) is not installed or Pango cannot be loaded.
    """
    import warnings

    try:
        with warnings.catch_warnings():
            # Older system HarfBuzz builds make WeasyPrint warn about a future requirement;
            # scripts/system-libs.sh installs the subsetter, so this is only noise.
            warnings.simplefilter("ignore", DeprecationWarning)
            from weasyprint import HTML
    except (ImportError, OSError) as error:  # not installed, or Pango not loadable
        raise ConfigurationError(
            "the PDF report needs WeasyPrint and Pango: pip install 'dresskit[pdf]' "
            "(from a clone: pip install -e '.[pdf]'), Pango from the system (README, "
            f"'PDF reports'), or run with --no-pdf ({error})"
        ) from error
    return HTML


def render_pdf(html: str) -> bytes:
    """Lay the HTML report out as PDF with WeasyPrint (figures stay vector: SVG)."""
    import logging

    HTML = pdf_engine()  # noqa: N806 - WeasyPrint's class keeps its own name

    # WeasyPrint logs every CSS property it does not support at WARNING; the report's CSS is
    # ours and checked, so those messages would only be noise on the console.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
