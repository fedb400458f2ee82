"""The ``dresskit`` command line: commands only translate between the shell and the library.

Exit codes: 0 success; 1 a domain error (bad input, unknown instrument), printed as one red
line on stderr followed by the details; 2 a usage error (unknown option), from Typer/Click.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.table import Table

from dresskit import __version__
from dresskit.course.summary import CourseSummary
from dresskit.datasets import load_published_cases
from dresskit.errors import DresskitError, InputError, InputErrors
from dresskit.scoring import ScoreResult, signed
from dresskit.scoring.catalogue import INSTRUMENTS, input_schema, score_case
from dresskit.scoring.rendering import result_as_dict

app = typer.Typer(
    help="dresskit: explained clinical scores for DRESS and severe drug eruptions.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)

_stdout = Console(highlight=False, soft_wrap=False)
_stderr = Console(stderr=True, highlight=False, soft_wrap=True)


@contextmanager
def _domain_errors() -> Iterator[None]:
    """Turn a DresskitError into a red one-line message plus details, exit code 1."""
    try:
        yield
    except InputErrors as errors:
        count = len(errors.errors)
        _stderr.print(f"[bold red]error:[/] {count} problem{'s' if count > 1 else ''} in the input")
        for error in errors.errors:
            _stderr.print(f"  - {error.message}", markup=False)
        raise typer.Exit(1) from None
    except DresskitError as error:
        lines = str(error).splitlines() or [type(error).__name__]
        _stderr.print(f"[bold red]error:[/] {lines[0]}", markup=True)
        for line in lines[1:]:
            _stderr.print(f"  {line}", markup=False)
        raise typer.Exit(1) from None


def _read_json(path: str) -> object:
    """Read a JSON document from a file, or standard input for ``-``."""
    source = "<stdin>" if path == "-" else path
    if path == "-":
        text = sys.stdin.read()
    else:
        try:
            text = Path(path).read_text(encoding="utf-8")
        except FileNotFoundError:
            raise InputError("--input", path, "an existing JSON file, or - for stdin") from None
        except (IsADirectoryError, PermissionError, UnicodeDecodeError) as exc:
            raise InputError("--input", path, f"a readable UTF-8 JSON file ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise InputError(
            "<document>",
            f"line {exc.lineno} column {exc.colno}",
            f"valid JSON ({exc.msg})",
            source=source,
        ) from None


_CASE_ENVELOPE_KEYS = {"input", "instrument"}


def _unwrap_case(document: object, instrument: str, source: str) -> object:
    """Accept a published-case file (``{"instrument": ..., "input": {...}, ...}``) as input."""
    if isinstance(document, dict) and document.keys() >= _CASE_ENVELOPE_KEYS:
        if document["instrument"] != instrument:
            raise InputError(
                "instrument",
                document["instrument"],
                f"{instrument!r}, the instrument asked for on the command line",
                source=source,
            )
        return document["input"]
    return document


def _print_json(data: Any) -> None:
    sys.stdout.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")


def _show_result(result: ScoreResult) -> None:
    title = f"{result.name} ({result.version})"
    if result.subject:
        title += f": {result.subject}"
    table = Table(title=title, title_justify="left", show_lines=False)
    table.add_column("Item")
    table.add_column("Answer")
    table.add_column("Points", justify="right")
    table.add_column("Rule applied")
    for item in result.items:
        answer = item.answer if item.known else f"[yellow]{item.answer}[/]"
        points = signed(item.points)
        reason = item.reason + "".join(f"\n[dim]{text}[/]" for text in item.evidence)
        table.add_row(item.label, answer, points, reason)
    _stdout.print(table)
    if result.total is not None and result.total_range is not None:
        low, high = result.total_range
        _stdout.print(f"[bold]Total:[/] {result.total}  (range {low}..{high})")
    _stdout.print(f"[bold]Class:[/] {result.classification}")
    if result.unknown_items:
        reach = ""
        if result.reachable_total is not None:
            reach = f"totals {result.reachable_total[0]}..{result.reachable_total[1]}; "
        _stdout.print(
            f"[yellow]Unknown:[/] {', '.join(result.unknown_items)} - if answered: {reach}"
            f"classes {', '.join(result.reachable_classes)}"
        )
    for remark in result.remarks:
        _stdout.print(f"[dim]Remark:[/] {remark}", markup=True)
    _stdout.print(f"[dim]Reference: {result.reference.text} [{result.reference.section}][/]")


@app.command()
def score(
    instrument: Annotated[
        str, typer.Argument(help=f"Instrument: {', '.join(INSTRUMENTS)}.", show_default=False)
    ],
    input_path: Annotated[
        str | None,
        typer.Option("--input", "-i", help="Case JSON file, or - for standard input."),
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the result as JSON.")] = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of the input and exit.")
    ] = False,
) -> None:
    """Score one case with an instrument and show the per-item breakdown."""
    with _domain_errors():
        if schema:
            _print_json(input_schema(instrument))
            return
        if input_path is None:
            raise InputError("--input", None, "a case JSON file, or - for standard input")
        source = "<stdin>" if input_path == "-" else input_path
        answers = _unwrap_case(_read_json(input_path), instrument, source)
        results = score_case(instrument, answers, source=source)
        if as_json:
            entry = INSTRUMENTS[instrument]
            if entry.per_drug:
                _print_json(
                    {"instrument": instrument, "drugs": [result_as_dict(r) for r in results]}
                )
            else:
                _print_json(result_as_dict(results[0]))
            return
        for result in results:
            _show_result(result)


@app.command()
def instruments() -> None:
    """List the instruments dresskit scores."""
    table = Table(title="Instruments", title_justify="left")
    table.add_column("Name", no_wrap=True)
    table.add_column("Instrument")
    table.add_column("Use")
    for entry in INSTRUMENTS.values():
        table.add_row(entry.id, entry.title, entry.purpose)
    _stdout.print(table)


@app.command()
def examples(
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Score the bundled published cases and compare with the authors' numbers."""
    with _domain_errors():
        rows = []
        for case in load_published_cases():
            results = score_case(case.instrument, case.input, source=case.id)
            rows.append((case, results))
        if as_json:
            _print_json(
                [
                    {
                        "case": case.id,
                        "citation": case.citation,
                        "reported_total": case.reported_total,
                        "reported_class": case.reported_class,
                        "results": [result_as_dict(r) for r in results],
                    }
                    for case, results in rows
                ]
            )
            return
        table = Table(
            title="Published cases scored by dresskit (authors' number vs. dresskit's)",
            title_justify="left",
        )
        table.add_column("Case", no_wrap=True)
        table.add_column("Authors", no_wrap=True)
        table.add_column("dresskit (if unknowns answered)")
        for number, (case, results) in enumerate(rows, start=1):
            for result in results:
                authors = " ".join(
                    str(part)
                    for part in (case.reported_total, case.reported_class)
                    if part is not None
                )
                reach = ""
                if result.reachable_total is not None and result.unknown_items:
                    reach = f" ({result.reachable_total[0]}..{result.reachable_total[1]})"
                table.add_row(
                    f"[{number}] {case.id}",
                    authors,
                    f"{result.total} {result.classification}{reach}",
                )
        _stdout.print(table)
        for number, (case, _) in enumerate(rows, start=1):
            _stdout.print(f"[dim][{number}] {case.citation}[/]")
        _stdout.print(
            "Per-item breakdown of any case: dresskit score NAME --input CASE.json "
            "(cases ship in dresskit/datasets/data/cases/)."
        )


@app.command()
def validate(
    bundle: Annotated[str, typer.Argument(help="Bundle folder, .zip or .xlsx.")],
) -> None:
    """Check a bundle and report every problem (file, row, column, value, what is accepted)."""
    from dresskit.registry.bundle_files import read_bundle

    with _domain_errors():
        loaded = read_bundle(bundle)
        episodes = loaded.episode_ids()
        _stdout.print(
            f"[green]valid[/]: {bundle} - {loaded.patients.height} patients, "
            f"{len(episodes)} episodes, {loaded.observations.height} observations, "
            f"{loaded.treatments.height} treatment rows"
        )


def _is_database(source: str) -> bool:
    return "://" in source or source.endswith((".sqlite3", ".sqlite", ".db"))


def _load(source: str) -> Any:
    """Load a bundle (folder, .zip, .xlsx) or a registry (database URL or SQLite file)."""
    if _is_database(source):
        from dresskit.registry.db import engine_for
        from dresskit.registry.store import load_bundle

        engine = engine_for(source)
        try:
            return load_bundle(engine)
        finally:
            engine.dispose()
    from dresskit.registry.bundle_files import read_bundle

    return read_bundle(source)


def _load_course(source: str, episode_id: str) -> Any:
    """One episode's course from a bundle, or from a registry without loading the rest."""
    if _is_database(source):
        from dresskit.registry.db import engine_for
        from dresskit.registry.store import load_course

        engine = engine_for(source)
        try:
            return load_course(engine, episode_id)
        finally:
            engine.dispose()
    return _load(source).course(episode_id)


def _value(number: float | None, digits: int = 1) -> str:
    return "" if number is None else f"{number:.{digits}f}".rstrip("0").rstrip(".")


@app.command()
def course(
    arguments: Annotated[
        list[str],
        typer.Argument(
            metavar="[BUNDLE] EPISODE_ID",
            help="A bundle (folder, .zip, .xlsx) or registry URL, then the episode; with --db, "
            "the episode only.",
        ),
    ],
    db: Annotated[
        str | None, typer.Option("--db", help="Read the episode from this registry.")
    ] = None,
    index: Annotated[
        str, typer.Option(help="Day 0: ivig, steroid, onset, admission or an agent name.")
    ] = "ivig",
    as_json: Annotated[bool, typer.Option("--json", help="Print the summary as JSON.")] = False,
) -> None:
    """Show one episode day by day, with outcomes counted from the index event."""
    from dresskit.course.summary import summarise_course, summary_as_dict

    with _domain_errors():
        if db is not None and len(arguments) == 1:
            source, episode_id = db, arguments[0]
        elif db is None and len(arguments) == 2:
            source, episode_id = arguments
        else:
            raise InputError(
                "arguments",
                " ".join(arguments),
                "BUNDLE EPISODE_ID, or EPISODE_ID with --db URL",
            )
        summary = summarise_course(_load_course(source, episode_id), index=index)
        if as_json:
            _print_json(summary_as_dict(summary))
            return
        _show_course(summary, index)


def _show_course(summary: CourseSummary, index: str) -> None:
    """Render one episode's summary: days, outcomes, scores, drugs, steroid response."""
    episode = summary.course.episode
    _stdout.print(
        f"[bold]Episode {episode.episode_id}[/] (patient {summary.course.patient.patient_id})"
        f": {episode.phenotype.value}, onset {episode.onset}, outcome {episode.outcome.value}"
        f" (last follow-up {episode.last_follow_up}); day 0 = {index} on "
        f"{summary.index_date}"
    )
    table = Table(title="Day by day", title_justify="left")
    table.add_column("Date", no_wrap=True)
    for column in (
        "Day",
        "Tmax °C",
        "ALT U/L",
        "Eos 10⁹/L",
        "NRS",
        "BSA %",
        "Steroid mg PE (mg/kg)",
        "IVIG",
        "Biologic",
    ):
        table.add_column(column, justify="right")
    for day in summary.days:
        steroid = ""
        if day.prednisone_equivalent_mg is not None:
            steroid = _value(day.prednisone_equivalent_mg)
            if day.prednisone_equivalent_mg_per_kg is not None:
                steroid += f" ({_value(day.prednisone_equivalent_mg_per_kg, 2)})"
        ivig = ""
        if day.ivig_g_per_kg is not None:
            ivig = f"{_value(day.ivig_g_per_kg, 2)} g/kg"
        elif day.ivig_g is not None:
            ivig = f"{_value(day.ivig_g)} g"
        table.add_row(
            day.on.isoformat(),
            str(day.day),
            _value(day.max_temperature_cel),
            _value(day.alt_u_per_l, 0),
            _value(day.eosinophils_10e9_per_l, 2),
            _value(day.itch_nrs, 0),
            _value(day.rash_bsa_pct, 0),
            steroid,
            ivig,
            ", ".join(day.biologics),
        )
    _stdout.print(table)
    _stdout.print("[dim]PE = prednisone equivalent (clinical-reference.md §8)[/]")
    outcomes = Table(title=f"Outcomes from day 0 ({index})", title_justify="left")
    for column in ("Outcome", "Result", "Definition"):
        outcomes.add_column(column)
    before = summary.steroid_days_before_index
    outcomes.add_row(
        "steroid days before index",
        "no steroids" if before is None else f"{before} days",
        "days from the first systemic steroid dose to day 0",
    )
    for result in summary.outcomes:
        outcomes.add_row(result.outcome.replace("_", " "), result.describe(), result.definition)
    _stdout.print(outcomes)
    scores = Table(title="Scores from the course's own data", title_justify="left")
    for column in ("Instrument", "Total", "Class", "If unknowns answered", "No data for"):
        scores.add_column(column)
    for score in summary.scores:
        scored = score.result
        reach = ""
        if scored.unknown_items and scored.reachable_total is not None:
            low, high = scored.reachable_total
            reach = f"{low}..{high}: {', '.join(scored.reachable_classes)}"
        scores.add_row(
            scored.name,
            str(scored.total),
            scored.classification,
            reach,
            ", ".join(score.without_data),
        )
    _stdout.print(scores)
    culprits = Table(
        title="Drugs ranked (informative; the clinician decides)", title_justify="left"
    )
    for column in ("#", "Drug", "Latency", "Why this rank"):
        culprits.add_column(column)
    for culprit in summary.culprits:
        latency = "unknown" if culprit.latency_days is None else f"{culprit.latency_days} d"
        culprits.add_row(str(culprit.rank), culprit.drug, latency, culprit.explanation)
    _stdout.print(culprits)
    response = Table(
        title="Steroid response (project definitions, informative only)", title_justify="left"
    )
    for column in ("State", "Meets", "Evidence", "Definition"):
        response.add_column(column)
    words = {True: "yes", False: "no", None: "[yellow]unknown[/]"}
    for state in summary.response.states():
        detail = "; ".join(state.evidence or state.remarks)
        response.add_row(state.name.replace("_", " "), words[state.value], detail, state.definition)
    _stdout.print(response)
    for flare in summary.response.flares:
        dose = (
            ""
            if flare.prednisone_equivalent_mg is None
            else f" at {_value(flare.prednisone_equivalent_mg)} mg/day PE"
        )
        taper = " during taper" if flare.during_taper else ""
        _stdout.print(
            f"Flare {flare.on}: {flare.marker} {_value(flare.before)} -> "
            f"{_value(flare.value)}{dose}{taper}"
        )
    if summary.ivig.days:
        total = summary.ivig
        _stdout.print(
            f"IVIG: {total.days} day(s), total "
            f"{'unknown' if total.g_per_kg is None else _value(total.g_per_kg, 2)} g/kg"
            + "".join(f"; {remark}" for remark in total.remarks)
        )


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
        _domain_errors(),
        Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            TextColumn("{task.completed}/{task.total}"),
            TimeElapsedColumn(),
            console=_stderr,
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
    _stdout.print(f"[green]report[/]: {out / 'report.html'}")
    if pdf:
        _stdout.print(f"[green]pdf[/]:    {out / 'report.pdf'}")
    _stdout.print(f"[green]tables[/]: {out / 'tables'} ({len(tables)} tables)")
    if built.published is not None:
        for column in built.published.differing:
            _stdout.print(
                f"[yellow]differs from the paper[/]: {column.heading}: {column.explanation}"
            )


db_app = typer.Typer(help="Create, upgrade and inspect the registry database.")
audit_app = typer.Typer(help="Show and check the registry's audit trail.")
app.add_typer(db_app, name="db")
app.add_typer(audit_app, name="audit")

_DbOption = Annotated[
    str | None,
    typer.Option(
        "--db",
        help="Database URL or SQLite file (default: DRESSKIT_DATABASE_URL, else the embedded "
        "SQLite registry in the user's data folder).",
    ),
]
_UserOption = Annotated[
    str | None,
    typer.Option("--user", help="Who does this, for the audit trail (default: DRESSKIT_USER)."),
]


def _actor(user: str | None) -> str:
    import getpass
    import os

    return user or os.environ.get("DRESSKIT_USER") or getpass.getuser()


@db_app.command("init")
def db_init(db: _DbOption = None) -> None:
    """Create the registry tables (the same as `dresskit db upgrade` on a new database)."""
    from dresskit.registry.db import engine_for
    from dresskit.registry.migrate import upgrade

    with _domain_errors():
        engine = engine_for(db)
        revision = upgrade(engine)
        _stdout.print(f"[green]registry ready[/]: {engine.url.render_as_string()} ({revision})")


@db_app.command("upgrade")
def db_upgrade(db: _DbOption = None) -> None:
    """Apply every migration the database does not have yet."""
    db_init(db)


@db_app.command("status")
def db_status(db: _DbOption = None) -> None:
    """Show the database, its schema revision and the newest one."""
    from dresskit.registry.db import engine_for
    from dresskit.registry.migrate import schema_status

    with _domain_errors():
        status = schema_status(engine_for(db))
        state = "up to date" if status.up_to_date else "needs `dresskit db upgrade`"
        _stdout.print(
            f"{status.url}: revision {status.current or 'none (not initialised)'}, "
            f"newest {status.head}: {state}"
        )


def _read_any(source: str, format: str) -> Any:
    """Read a bundle, a FHIR R4 Bundle (.json) or REDCap records (.csv with --format redcap)."""
    if format == "redcap":
        from dresskit.registry.redcap import read_redcap_files

        return read_redcap_files(Path(source))
    if format == "fhir" or (format == "auto" and source.endswith(".json")):
        from dresskit.registry.fhir import read_fhir

        return read_fhir(source)
    if format not in ("auto", "bundle"):
        raise InputError("format", format, "auto, bundle, fhir or redcap")
    from dresskit.registry.bundle_files import read_bundle

    return read_bundle(source)


@app.command("import")
def import_(
    source: Annotated[
        str,
        typer.Argument(help="Bundle folder/.zip/.xlsx, FHIR R4 Bundle .json, or REDCap CSV."),
    ],
    db: _DbOption = None,
    format: Annotated[
        str, typer.Option(help="auto (by the file), bundle, fhir or redcap.")
    ] = "auto",
    user: _UserOption = None,
) -> None:
    """Import into the registry: validated, all or nothing, idempotent."""
    from dresskit.registry.db import engine_for
    from dresskit.registry.store import import_bundle

    with _domain_errors():
        bundle = _read_any(source, format)
        report = import_bundle(engine_for(db), bundle, actor=_actor(user), source=source)
        rows = ", ".join(f"{count} {name}" for name, count in report.rows.items())
        _stdout.print(
            f"[green]imported[/]: {report.patients} patients, {report.episodes} episodes; {rows}"
        )


def _deidentify_key(key_file: Path | None) -> bytes:
    import os

    if key_file is not None:
        try:
            return key_file.read_bytes().strip()
        except OSError as error:
            raise InputError(
                "--key-file", str(key_file), f"a readable key file ({error})"
            ) from None
    key = os.environ.get("DRESSKIT_DEIDENTIFY_KEY")
    if not key:
        raise InputError(
            "--key-file",
            None,
            "a secret key (at least 16 bytes) in a file, or DRESSKIT_DEIDENTIFY_KEY: the same "
            "key gives the same pseudonyms; keep it apart from the export",
        )
    return key.encode("utf-8")


@app.command()
def export(
    out: Annotated[Path, typer.Argument(help="Folder (or .zip / .xlsx / .json) to write.")],
    db: _DbOption = None,
    format: Annotated[str, typer.Option(help="bundle, fhir or redcap.")] = "bundle",
    deidentify: Annotated[
        bool,
        typer.Option(
            help="Researchers' copy: keyed-hash ids, no free text, dates as days from onset."
        ),
    ] = False,
    dates: Annotated[
        str, typer.Option(help="With --deidentify: relative (days from onset) or shifted.")
    ] = "relative",
    key_file: Annotated[
        Path | None,
        typer.Option(help="With --deidentify: the secret key (else DRESSKIT_DEIDENTIFY_KEY)."),
    ] = None,
    user: _UserOption = None,
) -> None:
    """Export the registry (validated on the way out); the export is recorded in the audit."""
    from dresskit.registry import audit
    from dresskit.registry.db import engine_for
    from dresskit.registry.store import load_bundle

    with _domain_errors():
        if format not in ("bundle", "fhir", "redcap"):
            raise InputError("format", format, "bundle, fhir or redcap")
        if deidentify and format != "bundle":
            raise InputError("format", format, "bundle with --deidentify (CSV tables)")
        if dates not in ("relative", "shifted"):
            raise InputError("dates", dates, "relative or shifted")
        engine = engine_for(db)
        bundle = load_bundle(engine)
        if deidentify:
            from dresskit.registry.deidentify import deidentify as make_deidentified
            from dresskit.registry.deidentify import write_deidentified

            tables = make_deidentified(
                bundle,
                key=_deidentify_key(key_file),
                dates=dates,  # type: ignore[arg-type]
            )
            write_deidentified(tables, out)
        elif format == "fhir":
            from dresskit.registry.fhir import write_fhir

            write_fhir(bundle, out)
        elif format == "redcap":
            from dresskit.registry.redcap import write_redcap_files

            write_redcap_files(bundle, out)
        else:
            from dresskit.registry.bundle_files import write_bundle

            kind = "zip" if out.suffix == ".zip" else "xlsx" if out.suffix == ".xlsx" else "folder"
            write_bundle(bundle, out, format=kind)  # type: ignore[arg-type]
        with engine.begin() as connection:
            audit.append(
                connection,
                actor=_actor(user),
                action="export",
                entity="bundle",
                entity_id=str(out),
                after={
                    "format": format,
                    "deidentified": deidentify,
                    "dates": dates if deidentify else None,
                    "episodes": bundle.episodes.height,
                },
            )
        what = "de-identified " if deidentify else ""
        _stdout.print(
            f"[green]exported[/]: {bundle.episodes.height} episodes, {what}{format}, to {out}"
        )


@audit_app.command("log")
def audit_log(
    db: _DbOption = None,
    last: Annotated[int, typer.Option(help="Show the last N records (0: all).")] = 20,
) -> None:
    """Show the audit records, newest last, and the newest hash (note it to check later)."""
    from dresskit.registry import audit
    from dresskit.registry.db import engine_for

    with _domain_errors():
        rows = audit.records(engine_for(db), limit=last or None)
        table = Table(title="Audit trail", title_justify="left")
        for column in ("#", "when", "who", "action", "what", "change"):
            table.add_column(column)
        for record in rows:
            change = record.after or record.before or ""
            table.add_row(
                str(record.id),
                record.at.isoformat(timespec="seconds"),
                record.actor,
                record.action,
                f"{record.entity} {record.entity_id or ''}".strip(),
                change if len(change) <= 80 else change[:77] + "...",
            )
        _stdout.print(table)
        if rows:
            _stdout.print(f"newest hash: {rows[-1].hash}")


@audit_app.command("verify")
def audit_verify(
    db: _DbOption = None,
    head: Annotated[
        str | None, typer.Option(help="A newest hash noted earlier, to detect cut-off records.")
    ] = None,
) -> None:
    """Recompute the hash chain; exit 1 if any record was edited, inserted or deleted."""
    from dresskit.registry import audit
    from dresskit.registry.db import engine_for

    with _domain_errors():
        check = audit.verify(engine_for(db), expected_head=head)
    if not check.intact:
        _stderr.print(f"[bold red]audit trail broken[/]: {check.reason}")
        raise typer.Exit(1)
    _stdout.print(
        f"[green]audit trail intact[/]: {check.checked} records"
        + (f" ({check.reason})" if check.reason else "")
    )


def _version(value: bool) -> None:
    if value:
        _stdout.print(f"dresskit {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Show version.")
    ] = False,
) -> None:
    """dresskit: explained clinical scores for DRESS and severe drug eruptions."""


def main() -> None:
    """Entry point of the ``dresskit`` console script."""
    app()
