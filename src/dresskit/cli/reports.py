"""The ``report`` command: the cohort report of a bundle or a registry."""

from __future__ import annotations

import re
from enum import StrEnum
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import typer

from dresskit.cli.common import (
    JsonOption,
    MaxArchiveMembersOption,
    MaxCompressionRatioOption,
    MaxInputBytesOption,
    app,
    domain_errors,
    print_json,
    progress,
    read_limits,
    safe_text,
    stdout,
    step,
    usage_error,
)
from dresskit.cli.courses import IndexOption, _load
from dresskit.errors import InputError


class FigureFormat(StrEnum):
    """A file format of the report's figures: vector SVG and PDF, PNG at 300 dpi."""

    svg = "svg"
    pdf = "pdf"
    png = "png"


def _published(name: str, index: str) -> dict[str, Any]:
    """Return the published table ``name`` as build_report's arguments.

    Raises
    ------
    InputError
        When the table counts its days from another index event than ``--index``.
    """
    from dresskit.analysis.comparison import PublishedColumn
    from dresskit.datasets import load_published_table

    table = load_published_table(name)
    if table.index != index:
        raise InputError(
            "--compare",
            name,
            f"a published table counted from the report's day 0 ({name} counts days from "
            f"{table.index}, this report from {index}: add --index {table.index})",
        )
    return {
        "published": [
            PublishedColumn(
                column,
                table.columns[column],
                summary["text"],
                summary["median"],
                summary["minimum"],
                summary["maximum"],
            )
            for column, summary in table.summary.items()
        ],
        "published_citation": table.citation,
        "published_rows": table.rows,
    }


#: Files a report folder holds: the only ones ``report`` replaces when it writes again
#: (and what a run of an earlier version left in its staging folder ``.dresskit-report-*``).
_REPORT_FILE = re.compile(
    r"report\.(?:html|pdf)|definitions\.html|tables/[A-Za-z0-9_]+\.(?:csv|xlsx)"
    r"|figures/[A-Za-z0-9_.-]+\.(?:png|svg|pdf)"
    r"|\.dresskit-report-[A-Za-z0-9_]+/.+"
)


def _report_file(path: PurePosixPath) -> bool:
    """Whether ``path`` (inside --out) is a file an earlier report wrote."""
    return _REPORT_FILE.fullmatch(path.as_posix()) is not None


@app.command()
def report(
    bundle: Annotated[
        str | None,
        typer.Argument(
            metavar="[BUNDLE]",
            help="Bundle folder, .zip or .xlsx, or a registry URL (or use --db).",
        ),
    ] = None,
    out: Annotated[
        Path,
        typer.Option("--out", metavar="FOLDER", help="Folder for the report and its tables."),
    ] = Path("report"),
    db: Annotated[
        str | None,
        typer.Option("--db", metavar="URL", help="Report on this registry instead of a bundle."),
    ] = None,
    index: IndexOption = "ivig",
    compare: Annotated[
        str | None,
        typer.Option(metavar="TABLE", help="A published table to compare with (sim2022_table1)."),
    ] = None,
    timeline: Annotated[
        list[str] | None,
        typer.Option(
            metavar="EPISODE_ID",
            help="Episode to draw a timeline of (repeat; default: all if <= 3).",
        ),
    ] = None,
    figure_format: Annotated[
        list[FigureFormat] | None,
        typer.Option(
            "--figure-format",
            metavar="FORMAT",
            help="Figure files to write (repeat): svg, pdf (vector) and png (300 dpi); "
            "default all three.",
            show_default=False,
        ),
    ] = None,
    pdf: Annotated[bool, typer.Option(help="Also lay the report out as PDF.")] = True,
    per_episode: Annotated[
        bool,
        typer.Option(help="Score RegiSCAR and classify steroid response per episode."),
    ] = True,
    response_limit: Annotated[
        int,
        typer.Option(
            metavar="N",
            help="Classify steroid response per episode up to this many episodes.",
        ),
    ] = 2000,
    swimmer_lanes: Annotated[
        int,
        typer.Option(
            metavar="N", help="Episodes in the swimmer plot (the longest follow-ups first)."
        ),
    ] = 60,
    as_json: JsonOption = False,
    max_input_bytes: MaxInputBytesOption = None,
    max_archive_members: MaxArchiveMembersOption = None,
    max_compression_ratio: MaxCompressionRatioOption = None,
) -> None:
    """Build the cohort report: HTML, PDF, and every table as CSV and XLSX under tables/.

    The folder is written whole or not at all: into a temporary sibling, then swapped with
    the earlier report. A folder holding anything but an earlier report is refused.
    """
    from datetime import UTC, datetime

    from dresskit.analysis.rendering import (
        DEFINITIONS_FILE,
        csv,
        definitions_html,
        draw_figures,
        pdf_engine,
        render_html,
        render_pdf,
        report_tables,
        xlsx,
    )
    from dresskit.analysis.report import build_report
    from dresskit.atomic import atomic_folder

    if (bundle is None) == (db is None):
        usage_error("give a bundle or --db URL (one of the two)")
    formats = tuple(dict.fromkeys(str(each) for each in figure_format or FigureFormat))
    with domain_errors():
        if pdf:
            pdf_engine()  # say what to install before the work, not after it
        if out.exists() and not out.is_dir():
            raise InputError(
                "--out", str(out), "a folder for the report (new, empty or an earlier report)"
            )
        published = _published(compare, index) if compare else {}
        # The report is written into a temporary sibling of --out from the start (a kill
        # leaves the earlier report as it was) and swapped into place when complete.
        with (
            atomic_folder(out, replaceable=_report_file) as folder,
            progress(show=not as_json) as display,
        ):
            step(display, "reading the bundle")

            def advance(description: str, done: int = 1, total: int = 1) -> None:
                step(display, description, done, total)

            limits = read_limits(max_input_bytes, max_archive_members, max_compression_ratio)
            loaded = (
                _load(db, database=True) if db is not None else _load(str(bundle), limits=limits)
            )
            built = build_report(
                loaded,
                index=index,
                timeline_episodes=timeline,
                per_course=per_episode,
                response_limit=response_limit,
                max_swimmer_lanes=swimmer_lanes,
                progress=advance,
                figure_formats=formats,
                **published,
            )
            figures = draw_figures(
                built,
                progress=lambda description: advance(description),
                figure_formats=formats,
            )
            advance("HTML")
            generated = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
            html = render_html(
                built, figures, generated=generated, definitions_file=DEFINITIONS_FILE
            )
            folder.write("report.html", html.encode("utf-8"))
            # The definitions every number of the report follows, as a page of its own.
            folder.write(DEFINITIONS_FILE, definitions_html(version=built.version).encode())
            if pdf:
                advance("PDF")
                folder.write("report.pdf", render_pdf(html))
            advance("tables")
            # Every file name is dresskit's own (a table's or a figure's stem), never data.
            tables = report_tables(built)
            for name, frame in tables.items():
                folder.write(f"tables/{name}.csv", csv(frame))
                folder.write(f"tables/{name}.xlsx", xlsx(frame, sheet=name))
            written = 0
            for figure in figures:
                for suffix, content in figure.files.items():
                    folder.write(f"figures/{figure.name}.{suffix}", content)
                    written += 1
    differing = [] if built.published is None else list(built.published.differing)
    if as_json:
        print_json(
            {
                "report": str(out / "report.html"),
                "pdf": str(out / "report.pdf") if pdf else None,
                "tables": sorted(str(out / "tables" / f"{name}.csv") for name in tables),
                "figures": written,
                "figure_formats": list(formats),
                "differs_from_paper": [
                    {"column": column.heading, "explanation": column.explanation}
                    for column in differing
                ],
            }
        )
        return
    stdout.print(f"[green]report[/]: {safe_text(out / 'report.html')}")
    if pdf:
        stdout.print(f"[green]pdf[/]:    {safe_text(out / 'report.pdf')}")
    stdout.print(f"[green]tables[/]: {safe_text(out / 'tables')} ({len(tables)} tables)")
    stdout.print(
        f"[green]figures[/]: {safe_text(out / 'figures')} ({written} files: {', '.join(formats)})"
    )
    for column in differing:
        stdout.print(
            f"[yellow]differs from the paper[/]: {safe_text(column.heading)}: "
            f"{safe_text(column.explanation)}"
        )
