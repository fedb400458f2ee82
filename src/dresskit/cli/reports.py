"""The ``report`` command: the cohort report of a bundle or a registry."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from dresskit.cli.common import app, domain_errors, stderr, stdout
from dresskit.cli.courses import _load
from dresskit.errors import InputError


def _published(name: str) -> dict[str, Any]:
    """Return the published table ``name`` as build_report's arguments."""
    from dresskit.analysis.comparison import PublishedColumn
    from dresskit.datasets import load_published_table

    table = load_published_table(name)
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


def _write_report_files(out: Path, files: dict[str, bytes]) -> None:
    """Write every file into a new folder beside ``out``, then move each into place.

    Nothing is written until every file is rendered, and a failure while writing leaves the
    earlier report (if any) as it was.
    """
    import shutil
    import tempfile

    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".dresskit-report-", dir=out))
    try:
        for name, content in files.items():
            target = staging / name
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_bytes(content)
        for name in files:
            final = out / name
            final.parent.mkdir(parents=True, exist_ok=True)
            (staging / name).replace(final)
    finally:
        shutil.rmtree(staging, ignore_errors=True)


@app.command()
def report(
    bundle: Annotated[
        str | None,
        typer.Argument(help="Bundle folder, .zip or .xlsx, or a registry URL (or use --db)."),
    ] = None,
    out: Annotated[
        Path, typer.Option("--out", help="Folder for the report and its tables.")
    ] = Path("report"),
    db: Annotated[
        str | None, typer.Option("--db", help="Report on this registry instead of a bundle.")
    ] = None,
    index: Annotated[
        str, typer.Option(help="Day 0: ivig, steroid, onset, admission or an agent name.")
    ] = "ivig",
    compare: Annotated[
        str | None,
        typer.Option(help="A published table to compare with (sim2022_table1)."),
    ] = None,
    timeline: Annotated[
        list[str] | None,
        typer.Option(help="Episode to draw a timeline of (repeat; default: all if <= 3)."),
    ] = None,
    pdf: Annotated[bool, typer.Option(help="Also lay the report out as PDF.")] = True,
    per_episode: Annotated[
        bool,
        typer.Option(help="Score RegiSCAR and classify steroid response per episode."),
    ] = True,
    response_limit: Annotated[
        int,
        typer.Option(help="Classify steroid response per episode up to this many episodes."),
    ] = 2000,
    swimmer_lanes: Annotated[
        int,
        typer.Option(help="Episodes in the swimmer plot (the longest follow-ups first)."),
    ] = 60,
) -> None:
    """Build the cohort report: HTML, PDF, and every table as CSV and XLSX under tables/."""
    from datetime import UTC, datetime

    from rich.progress import BarColumn, Progress, TextColumn, TimeElapsedColumn

    from dresskit.analysis.rendering import (
        draw_figures,
        render_html,
        render_pdf,
        report_tables,
        xlsx,
    )
    from dresskit.analysis.report import build_report

    with (
        domain_errors(),
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=stderr,
            transient=True,
        ) as progress,
    ):
        task = progress.add_task("reading the bundle", total=None)

        def advance(step: str, done: int = 1, total: int = 1) -> None:
            progress.update(task, description=step, completed=done, total=total)

        if (bundle is None) == (db is None):
            raise InputError("BUNDLE", bundle, "a bundle or --db URL (one of the two)")
        loaded = _load(db if db is not None else str(bundle))
        built = build_report(
            loaded,
            index=index,
            timeline_episodes=timeline,
            per_course=per_episode,
            response_limit=response_limit,
            max_swimmer_lanes=swimmer_lanes,
            progress=advance,
            **(_published(compare) if compare else {}),
        )
        figures = draw_figures(built, progress=lambda step: advance(step))
        advance("HTML")
        generated = datetime.now(tz=UTC).strftime("%Y-%m-%d %H:%M UTC")
        html = render_html(built, figures, generated=generated)
        files = {"report.html": html.encode("utf-8")}
        if pdf:
            advance("PDF")
            files["report.pdf"] = render_pdf(html)
        advance("tables")
        tables = report_tables(built)
        for name, frame in tables.items():
            files[f"tables/{name}.csv"] = frame.write_csv().encode("utf-8")
            files[f"tables/{name}.xlsx"] = xlsx(frame, sheet=name)
        for figure in figures:
            files[f"figures/{figure.name}.png"] = figure.png
        _write_report_files(out, files)
    stdout.print(f"[green]report[/]: {out / 'report.html'}")
    if pdf:
        stdout.print(f"[green]pdf[/]:    {out / 'report.pdf'}")
    stdout.print(f"[green]tables[/]: {out / 'tables'} ({len(tables)} tables)")
    if built.published is not None:
        for column in built.published.differing:
            stdout.print(
                f"[yellow]differs from the paper[/]: {column.heading}: {column.explanation}"
            )
