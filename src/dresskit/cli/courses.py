"""Commands on bundles and courses: ``examples``, ``validate`` and ``course``."""

from __future__ import annotations

from typing import Annotated, Any

import typer
from rich.table import Table

from dresskit.cli.common import (
    MaxArchiveMembersOption,
    MaxCompressionRatioOption,
    MaxInputBytesOption,
    app,
    domain_errors,
    print_json,
    print_warnings,
    read_limits,
    safe_text,
    stdout,
)
from dresskit.course.summary import CourseSummary
from dresskit.datasets import load_published_cases
from dresskit.errors import InputError
from dresskit.scoring.catalogue import score_case
from dresskit.scoring.rendering import result_as_dict


@app.command()
def examples(
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
) -> None:
    """Score the bundled published cases and compare with the authors' numbers."""
    with domain_errors():
        rows = []
        for case in load_published_cases():
            results = score_case(case.instrument, case.input, source=case.id)
            rows.append((case, results))
        if as_json:
            print_json(
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
                    f"[{number}] {safe_text(case.id)}",
                    safe_text(authors),
                    safe_text(f"{result.total} {result.classification}{reach}"),
                )
        stdout.print(table)
        for number, (case, _) in enumerate(rows, start=1):
            stdout.print(f"[dim][{number}] {safe_text(case.citation)}[/]")
        stdout.print(
            "Per-item breakdown of any case: dresskit score NAME --input CASE.json "
            "(cases ship in dresskit/datasets/data/cases/)."
        )


@app.command()
def validate(
    bundle: Annotated[str, typer.Argument(help="Bundle folder, .zip or .xlsx.")],
    max_input_bytes: MaxInputBytesOption = None,
    max_archive_members: MaxArchiveMembersOption = None,
    max_compression_ratio: MaxCompressionRatioOption = None,
) -> None:
    """Check a bundle and report every problem (file, row, column, value, what is accepted)."""
    from dresskit.bundle import read_bundle

    with domain_errors():
        limits = read_limits(max_input_bytes, max_archive_members, max_compression_ratio)
        loaded = read_bundle(bundle, limits=limits)
        episodes = loaded.episode_ids()
        stdout.print(
            f"[green]valid[/]: {safe_text(bundle)} - {loaded.patients.height} patients, "
            f"{len(episodes)} episodes, {loaded.observations.height} observations, "
            f"{loaded.treatments.height} treatment rows"
        )
        print_warnings(loaded.warnings)


def _is_database(source: str) -> bool:
    return "://" in source or source.endswith((".sqlite3", ".sqlite", ".db"))


def _load(source: str, *, database: bool = False, limits: Any = None) -> Any:
    """Load a bundle (folder, .zip, .xlsx) or a registry (database URL or SQLite file).

    ``database``: ``source`` came from ``--db``, so it is a registry whatever its name.
    ``limits``: the :class:`~dresskit.bundle.ReadLimits` of a bundle (default: the defaults).
    """
    if database or _is_database(source):
        from dresskit.registry.db import engine_for
        from dresskit.registry.store import load_bundle

        engine = engine_for(source)
        try:
            return load_bundle(engine)
        finally:
            engine.dispose()
    from dresskit.bundle import read_bundle

    return read_bundle(source, limits=limits)


def _load_course(
    source: str, episode_id: str, *, database: bool = False, limits: Any = None
) -> Any:
    """One episode's course from a bundle, or from a registry without loading the rest."""
    if database or _is_database(source):
        from dresskit.registry.db import engine_for
        from dresskit.registry.store import load_course

        engine = engine_for(source)
        try:
            return load_course(engine, episode_id)
        finally:
            engine.dispose()
    return _load(source, limits=limits).course(episode_id)


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
    max_input_bytes: MaxInputBytesOption = None,
    max_archive_members: MaxArchiveMembersOption = None,
    max_compression_ratio: MaxCompressionRatioOption = None,
) -> None:
    """Show one episode day by day, with outcomes counted from the index event."""
    from dresskit.course.summary import summarise_course, summary_as_dict

    with domain_errors():
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
        limits = read_limits(max_input_bytes, max_archive_members, max_compression_ratio)
        course = _load_course(source, episode_id, database=db is not None, limits=limits)
        summary = summarise_course(course, index=index)
        if as_json:
            print_json(summary_as_dict(summary))
            return
        _show_course(summary, index)


def _show_course(summary: CourseSummary, index: str) -> None:
    """Render one episode's summary: days, outcomes, scores, drugs, steroid response."""
    episode = summary.course.episode
    stdout.print(
        f"[bold]Episode {safe_text(episode.episode_id)}[/] "
        f"(patient {safe_text(summary.course.patient.patient_id)})"
        f": {episode.phenotype.value}, onset {episode.onset}, outcome {episode.outcome.value}"
        f" (last follow-up {episode.last_follow_up}); day 0 = {safe_text(index)} on "
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
            safe_text(", ".join(day.biologics)),
        )
    stdout.print(table)
    stdout.print("[dim]PE = prednisone equivalent (clinical-reference.md §8)[/]")
    outcomes = Table(title=f"Outcomes from day 0 ({safe_text(index)})", title_justify="left")
    for column in ("Outcome", "Result", "Definition"):
        outcomes.add_column(column)
    before = summary.steroid_days_before_index
    outcomes.add_row(
        "steroid days before index",
        "no steroids" if before is None else f"{before} days",
        "days from the first systemic steroid dose to day 0",
    )
    for result in summary.outcomes:
        outcomes.add_row(
            safe_text(result.outcome.replace("_", " ")),
            safe_text(result.describe()),
            safe_text(result.definition),
        )
    stdout.print(outcomes)
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
            safe_text(scored.name),
            str(scored.total),
            safe_text(scored.classification),
            safe_text(reach),
            safe_text(", ".join(score.without_data)),
        )
    stdout.print(scores)
    culprits = Table(
        title="Drugs ranked (informative; the clinician decides)", title_justify="left"
    )
    for column in ("#", "Drug", "Latency", "Why this rank"):
        culprits.add_column(column)
    for culprit in summary.culprits:
        latency = "unknown" if culprit.latency_days is None else f"{culprit.latency_days} d"
        culprits.add_row(
            str(culprit.rank),
            safe_text(culprit.drug),
            latency,
            safe_text(culprit.explanation, multiline=True),
        )
    stdout.print(culprits)
    response = Table(
        title="Steroid response (project definitions, informative only)", title_justify="left"
    )
    for column in ("State", "Meets", "Evidence", "Definition"):
        response.add_column(column)
    words = {True: "yes", False: "no", None: "[yellow]unknown[/]"}
    for state in summary.response.states():
        detail = "; ".join(state.evidence or state.remarks)
        response.add_row(
            safe_text(state.name.replace("_", " ")),
            words[state.value],
            safe_text(detail, multiline=True),
            safe_text(state.definition),
        )
    stdout.print(response)
    for flare in summary.response.flares:
        dose = (
            ""
            if flare.prednisone_equivalent_mg is None
            else f" at {_value(flare.prednisone_equivalent_mg)} mg/day PE"
        )
        taper = " during taper" if flare.during_taper else ""
        stdout.print(
            f"Flare {flare.on}: {safe_text(flare.marker)} {_value(flare.before)} -> "
            f"{_value(flare.value)}{dose}{taper}"
        )
    if summary.ivig.days:
        total = summary.ivig
        stdout.print(
            f"IVIG: {total.days} day(s), total "
            f"{'unknown' if total.g_per_kg is None else _value(total.g_per_kg, 2)} g/kg"
            + "".join(f"; {safe_text(remark)}" for remark in total.remarks)
        )
