"""Render a :class:`~dresskit.analysis.report.Report`: figures, HTML, PDF and table files.

Each function takes the computed report and returns bytes or text; nothing here computes a
statistic and nothing writes a file (the command line chooses the folder). The HTML page is
self-contained: figures are embedded as PNG data, styles are inline, no network is needed.
The PDF is the same HTML laid out by WeasyPrint.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

import polars as pl
from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup

from dresskit.analysis.figures.paired import plot_paired
from dresskit.analysis.figures.survival import plot_cumulative_incidence, plot_kaplan_meier
from dresskit.analysis.figures.swimmer import plot_swimmer
from dresskit.analysis.figures.timeline import plot_course_timeline, timeline_panels
from dresskit.analysis.formatting import (
    REASON_TEXT,
    format_left_out,
    format_number,
    format_p,
    format_summary,
)
from dresskit.analysis.report import Report
from dresskit.printable import printable
from dresskit.spreadsheets import csv_bytes, xlsx_bytes

if TYPE_CHECKING:
    from matplotlib.figure import Figure

__all__ = [
    "RenderedFigure",
    "csv",
    "draw_figures",
    "render_html",
    "render_pdf",
    "report_tables",
    "xlsx",
]

_INDEX_LABELS: Final = {
    "ivig": "IVIG",
    "steroid": "steroid start",
    "onset": "onset",
    "admission": "admission",
}


@dataclass(frozen=True)
class RenderedFigure:
    """A drawn figure: a name (file stem), a title, a caption and PNG bytes.

    The name is chosen by dresskit (``"swimmer"``, ``"timeline_1"``: the first timeline),
    never taken from the data; episode ids appear only in the title and caption.
    """

    name: str
    title: str
    caption: str
    png: bytes

    @property
    def data_uri(self) -> str:
        """The PNG as a ``data:`` URI, for a self-contained HTML page."""
        return "data:image/png;base64," + base64.b64encode(self.png).decode("ascii")


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _new_figure(width: float, height: float) -> Figure:
    from matplotlib.figure import Figure

    # A Figure not registered with pyplot: nothing global to clean up, safe in a server.
    return Figure(figsize=(width, height), layout="constrained")


def draw_figures(
    report: Report, *, progress: Callable[[str], None] | None = None
) -> list[RenderedFigure]:
    """Draw every figure of the report (before/after, survival, swimmer, timelines).

    Figures are named by dresskit: ``before_after``, ``kaplan_meier``,
    ``cumulative_incidence``, ``swimmer`` and ``timeline_1`` ... ``timeline_N`` in the order
    of ``report.timelines`` (the episode id is in the title). Every text is drawn as written:
    matplotlib's math text and TeX are off while drawing, so ``$...$`` in a name stays text.
    """
    import matplotlib

    with matplotlib.rc_context({"text.parse_math": False, "text.usetex": False}):
        return _draw_figures(report, progress)


def _draw_figures(report: Report, progress: Callable[[str], None] | None) -> list[RenderedFigure]:
    figures = []
    index_label = _INDEX_LABELS.get(report.index, report.index)
    drawable = [comparison for comparison in report.paired if comparison.paired.n_pairs]
    if drawable:
        figure = _new_figure(3.2 * len(drawable), 3.6)
        axes = figure.subplots(1, len(drawable), squeeze=False)[0]
        for ax, comparison in zip(axes, drawable, strict=True):
            plot_paired(comparison.paired, test=comparison.test, ax=ax)
        first = drawable[0].paired
        figures.append(
            RenderedFigure(
                "before_after",
                f"Before and after {index_label}",
                f"Each line is one patient: the value on day {first.before_day:+d} and day "
                f"{first.after_day:+d} relative to {index_label} (black bars: medians; p: "
                "Wilcoxon signed-rank, SPSS method). Compare Sim et al. 2022 Figure 1.",
                _png(figure),
            )
        )
    if progress:
        progress("figures: before/after")
    curves = [analysis.kaplan_meier for analysis in report.survival if analysis.kaplan_meier]
    if curves:
        # One panel per outcome: their time scales differ by tens of days, and each panel's
        # numbers at risk stay readable under its own axis.
        columns = 2 if len(curves) > 1 else 1
        rows = -(-len(curves) // columns)
        figure = _new_figure(4.6 * columns, 3.9 * rows)
        grid = figure.subplots(rows, columns, squeeze=False)
        for ax, curve in zip(grid.flat, curves, strict=False):
            plot_kaplan_meier([curve], ax=ax, xlabel=f"Days from {index_label}")
            ax.set_title(curve.label, fontsize="medium")
            legend = ax.get_legend()
            if legend is not None:
                legend.remove()
        for ax in list(grid.flat)[len(curves) :]:
            ax.set_visible(False)
        figures.append(
            RenderedFigure(
                "kaplan_meier",
                "Time to event (Kaplan-Meier)",
                "Proportion of patients without the event; shaded: 95 % pointwise CI; ticks: "
                "censored patients; dashed: the median; numbers at risk under each axis.",
                _png(figure),
            )
        )
    competing = [analysis.competing for analysis in report.survival if analysis.competing]
    if competing:
        figure = _new_figure(4.6 * len(competing), 3.9)
        for ax, incidence in zip(
            figure.subplots(1, len(competing), squeeze=False)[0], competing, strict=True
        ):
            plot_cumulative_incidence([incidence], ax=ax, xlabel=f"Days from {index_label}")
            ax.set_title(incidence.label, fontsize="medium")
        figures.append(
            RenderedFigure(
                "cumulative_incidence",
                "Cumulative incidence with death as competing event",
                "Aalen-Johansen estimate of each event (solid) and of death before it (dashed).",
                _png(figure),
            )
        )
    if progress:
        progress("figures: time to event")
    if report.swimmer:
        figure = _new_figure(7.5, max(2.5, 0.22 * len(report.swimmer) + 1.2))
        plot_swimmer(report.swimmer, ax=figure.subplots(), index_label=index_label)
        shown = len(report.swimmer)
        figures.append(
            RenderedFigure(
                "swimmer",
                "Treatments and follow-up per episode (swimmer plot)",
                f"{shown} of {report.swimmer_total} episodes"
                + (" (the longest follow-ups)" if shown < report.swimmer_total else "")
                + f"; day 0 = {index_label}; markers: outcome at the last follow-up.",
                _png(figure),
            )
        )
    for number, timeline in enumerate(report.timelines, start=1):
        panels = timeline_panels(timeline)
        figure = _new_figure(7.5, 1.9 * max(1, len(panels)) + 0.6)
        axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
        plot_course_timeline(timeline, axes=list(axes))
        figures.append(
            RenderedFigure(
                f"timeline_{number}",
                f"Course of {printable(timeline.episode_id)}",
                "Treatments, prednisone-equivalent steroid dose, laboratory values, itch and "
                "rash on one day axis; red dashed lines: flares with that day's steroid dose. "
                "Compare Shen et al. 2024 Figure.",
                _png(figure),
            )
        )
    if progress:
        progress("figures: swimmer and timelines")
    return figures


def report_tables(report: Report) -> dict[str, pl.DataFrame]:
    """Every table of the report as a polars frame (file stem -> frame), for CSV and XLSX."""
    table = report.course_table
    summary_rows = []
    for column, summary in zip(table.columns, table.summaries, strict=True):
        summary_rows.append(
            {
                "column": column.name,
                "label": column.label,
                "unit": column.unit,
                "n": summary.n,
                "n_episodes": summary.n_episodes,
                "median": summary.median,
                "q1": summary.q1,
                "q3": summary.q3,
                "minimum": summary.minimum,
                "maximum": summary.maximum,
                "median_range": format_summary(summary),
                "not_counted": format_left_out(summary),
            }
        )
    tables = {
        "course_table": table.rows,
        "course_summary": pl.DataFrame(summary_rows),
        "baseline": report.baseline.as_frame(),
    }
    tests = []
    for comparison in report.paired:
        test = comparison.test
        tests.append(
            {
                "observation": comparison.paired.label,
                "unit": comparison.paired.unit,
                "before_day": comparison.paired.before_day,
                "after_day": comparison.paired.after_day,
                "pairs": comparison.paired.n_pairs,
                "unpaired": len(comparison.paired.unpaired),
                "median_before": _median(comparison.paired.before),
                "median_after": _median(comparison.paired.after),
                "n_used": test.n_used if test else None,
                "zeros_dropped": test.n_zero_differences_dropped if test else None,
                "tie_groups": len(test.tie_groups) if test else None,
                "statistic_T": test.statistic if test else None,
                "z": test.z if test else None,
                "p": test.p_value if test else None,
                "method": test.method if test else comparison.remark,
            }
        )
    tables["paired_tests"] = pl.DataFrame(tests, infer_schema_length=None)
    survival = []
    for analysis in report.survival:
        km = analysis.kaplan_meier
        survival.append(
            {
                "outcome": analysis.label,
                "n": km.n if km else None,
                "events": km.n_events if km else None,
                "censored": km.n_censored if km else None,
                "median_days": km.median if km else None,
                "median_ci_lower": km.median_ci[0] if km else None,
                "median_ci_upper": km.median_ci[1] if km else None,
                "remark": analysis.remark,
            }
        )
    tables["time_to_event"] = pl.DataFrame(survival, infer_schema_length=None)
    tables["steroid_response"] = pl.DataFrame(
        [
            {
                "episode_id": row.episode_id,
                "hyporesponsive": row.hyporesponsive,
                "dependent": row.dependent,
                "resistant": row.resistant,
                "type2_profile": row.type2_profile,
                "flares": "; ".join(
                    f"{on} at {format_number(dose)} mg/d" for on, dose in row.flares
                ),
            }
            for row in report.responses
        ],
        schema={
            "episode_id": pl.Utf8,
            "hyporesponsive": pl.Boolean,
            "dependent": pl.Boolean,
            "resistant": pl.Boolean,
            "type2_profile": pl.Boolean,
            "flares": pl.Utf8,
        },
    )
    tables["data_quality"] = pl.DataFrame(
        [
            {
                "file": warning.source,
                "row": warning.row,
                "column": warning.field,
                "value": str(warning.value),
                "why": warning.concern,
            }
            for warning in report.data_warnings
        ],
        schema={
            "file": pl.Utf8,
            "row": pl.Int64,
            "column": pl.Utf8,
            "value": pl.Utf8,
            "why": pl.Utf8,
        },
    )
    if report.regiscar is not None:
        tables["regiscar"] = report.regiscar
    if report.published is not None:
        tables["published_comparison"] = pl.DataFrame(
            [
                {
                    "column": column.heading,
                    "published": column.published,
                    "computed": column.computed,
                    "n": column.n,
                    "agrees": column.agrees,
                    "explanation": column.explanation,
                }
                for column in report.published.columns
            ]
        )
    return tables


def _median(values: tuple[float, ...]) -> float | None:
    import statistics

    return statistics.median(values) if values else None


def xlsx(frame: pl.DataFrame, *, sheet: str) -> bytes:
    """Return ``frame`` as an .xlsx workbook with one sheet, no cell a formula.

    See :func:`dresskit.spreadsheets.xlsx_bytes` (text is never a formula; numbers stay
    numbers); the sheet name is cut to Excel's 31 characters.
    """
    return xlsx_bytes({sheet[:31]: frame})


def csv(frame: pl.DataFrame) -> bytes:
    """Return ``frame`` as CSV bytes in which no text cell runs as a formula.

    See :func:`dresskit.spreadsheets.csv_bytes` (OWASP CSV injection).
    """
    return csv_bytes(frame)


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
    environment.filters["number"] = format_number
    environment.filters["p"] = format_p
    environment.filters["summary"] = format_summary
    environment.filters["left_out"] = format_left_out
    environment.filters["reason"] = lambda reason: REASON_TEXT.get(reason, reason)
    environment.filters["state"] = lambda value: (
        "undetermined" if value is None else ("yes" if value else "no")
    )
    return environment


def render_html(report: Report, figures: list[RenderedFigure], *, generated: str) -> str:
    """Render the self-contained HTML report.

    ``generated`` is the timestamp printed in the report (passed in: the core keeps no clock).
    """
    template = _environment().get_template("report.html.j2")
    context: dict[str, Any] = {
        "report": report,
        "figures": figures,
        "figure": {figure.name: figure for figure in figures},
        "generated": generated,
        "index_label": _INDEX_LABELS.get(report.index, report.index),
        "course_rows": list(report.course_table.rows.iter_rows(named=True)),
    }
    return template.render(**context)


def render_pdf(html: str) -> bytes:
    """Lay the HTML report out as PDF with WeasyPrint."""
    import logging
    import warnings

    with warnings.catch_warnings():
        # Older system HarfBuzz builds make WeasyPrint warn about a future requirement;
        # scripts/system-libs.sh installs the subsetter, so this is only noise.
        warnings.simplefilter("ignore", DeprecationWarning)
        from weasyprint import HTML

    # WeasyPrint logs every CSS property it does not support at WARNING; the report's CSS is
    # ours and checked, so those messages would only be noise on the console.
    logging.getLogger("weasyprint").setLevel(logging.ERROR)
    logging.getLogger("fontTools").setLevel(logging.ERROR)
    pdf: bytes = HTML(string=html).write_pdf()
    return pdf
