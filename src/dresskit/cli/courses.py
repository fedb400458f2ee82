"""Commands on bundles and courses: ``examples``, ``validate`` and ``course``.

Heavy modules (polars, the bundle and course code, the scores) are imported inside the
commands, so that ``dresskit --help`` and ``dresskit score`` start without them.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, cast

import typer

from dresskit.cli.common import (
    JsonOption,
    MaxArchiveMembersOption,
    MaxCompressionRatioOption,
    MaxInputBytesOption,
    app,
    domain_errors,
    print_json,
    print_warnings,
    progress,
    read_limits,
    safe_text,
    stdout,
    step,
    usage_error,
)
from dresskit.display_units import display_unit

if TYPE_CHECKING:
    from dresskit.course.summary import CourseSummary

IndexOption = Annotated[
    str,
    typer.Option(metavar="EVENT", help="Day 0: ivig, steroid, onset, admission or an agent name."),
]


@app.command()
def examples(as_json: JsonOption = False) -> None:
    """Score the bundled published cases and explain where dresskit and the authors differ.

    The authors' number is set beside dresskit's (with the range still reachable when the
    paper leaves items unstated); a case where they differ is explained underneath.
    """
    from rich.table import Table

    from dresskit.datasets import load_published_cases
    from dresskit.scoring.catalogue import score_case
    from dresskit.scoring.rendering import result_as_dict

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
                        "agrees": not _differs(case, results[0]),
                        "reason": case.reason,
                        "results": [result_as_dict(r) for r in results],
                    }
                    for case, results in rows
                ]
            )
            return
        from rich import box

        table = Table(
            title="Published cases scored by dresskit (the authors' number and dresskit's)",
            title_justify="left",
            box=box.SIMPLE_HEAD,
        )
        # Fits 80 columns (make run's output is usually not a terminal): the case id stays whole
        # (it is what `dresskit score` takes); dresskit's result wraps between its words.
        table.add_column("#", justify="right", no_wrap=True)
        table.add_column("Case", no_wrap=True)
        table.add_column("Authors", no_wrap=True)
        table.add_column("dresskit (reachable)", ratio=1)
        table.add_column("Agree?", no_wrap=True)
        differing = []
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
                differs = _differs(case, result)
                if differs:
                    differing.append((number, case))
                table.add_row(
                    str(number),
                    safe_text(case.id),
                    safe_text(authors),
                    safe_text(f"{result.total} {result.classification}{reach}"),
                    "[yellow]no ↓[/]" if differs else "yes",
                )
        stdout.print(table)
        agreeing = len(rows) - len(differing)
        stdout.print(
            f"dresskit gives the authors' number in {agreeing} of {len(rows)} cases. Where they "
            "differ, the paper leaves items unstated that the authors' number needs; dresskit "
            "scores only the stated facts, never guesses, and shows the range the authors' "
            "number lies in."
        )
        reasons = Table(
            title="Why they differ", title_justify="left", show_lines=True, box=box.SIMPLE_HEAD
        )
        reasons.add_column("#", justify="right", no_wrap=True)
        reasons.add_column("Case", no_wrap=True)
        reasons.add_column("Reason", ratio=1)
        for number, case in differing:
            reasons.add_row(str(number), safe_text(case.id), safe_text(case.reason or ""))
        stdout.print(reasons)
        stdout.print("[dim]Sources:[/]")
        for number, (case, _) in enumerate(rows, start=1):
            stdout.print(f"[dim][{number}] {safe_text(case.citation)}[/]")
        stdout.print(
            "Per-item breakdown of any case: dresskit score NAME --input CASE.json "
            "(cases ship in dresskit/datasets/data/cases/)."
        )


def _differs(case: Any, result: Any) -> bool:
    """Whether dresskit's total or class differs from what the authors reported."""
    total_differs = case.reported_total is not None and result.total != case.reported_total
    class_differs = case.reported_class is not None and result.classification != case.reported_class
    return bool(total_differs or class_differs)


@app.command()
def validate(
    bundle: Annotated[str, typer.Argument(metavar="BUNDLE", help="Bundle folder, .zip or .xlsx.")],
    as_json: JsonOption = False,
    max_input_bytes: MaxInputBytesOption = None,
    max_archive_members: MaxArchiveMembersOption = None,
    max_compression_ratio: MaxCompressionRatioOption = None,
) -> None:
    """Check a bundle and report every problem (file, row, column, value, what is accepted)."""
    with domain_errors():
        limits = read_limits(max_input_bytes, max_archive_members, max_compression_ratio)
        with progress(show=not as_json) as display:
            step(display, f"reading and validating {safe_text(bundle)}")
            from dresskit.bundle import read_bundle

            loaded = read_bundle(bundle, limits=limits)
        episodes = loaded.episode_ids()
        if as_json:
            print_json(
                {
                    "bundle": bundle,
                    "valid": True,
                    "patients": loaded.patients.height,
                    "episodes": len(episodes),
                    "observations": loaded.observations.height,
                    "treatment_rows": loaded.treatments.height,
                    "warnings": [warning.message for warning in loaded.warnings],
                }
            )
            return
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


def _value(number: float | None) -> str:
    """Write a number as the JSON output holds it; unknown as an empty cell.

    The shortest text that reads back as the same number (``repr``), without a trailing
    ``.0``: ALT 270.0 -> ``270``, BSA 70.0 -> ``70``, 0.0 -> ``0``, 38.5 -> ``38.5``. It is
    never rounded, so the text table and ``--json`` always agree.

    Examples
    --------
    >>> [_value(v) for v in (270.0, 70, 0.0, -0.0, 38.5, 1.14, None)]
    ['270', '70', '0', '0', '38.5', '1.14', '']
    """
    if number is None:
        return ""
    text = repr(float(number) + 0.0)  # + 0.0: -0.0 prints as 0
    return text.removesuffix(".0")


#: The day-by-day table: (name, unit as printed, from dresskit.display_units) -> the key of
#: the day in ``course --json``. Each cell prints the JSON value itself (:func:`_value`).
DAY_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("Day", "", "day"),
    ("Tmax", display_unit("Cel"), "max_temperature_cel"),
    ("ALT", display_unit("U/L"), "alt_u_per_l"),
    ("Eos", display_unit("10*9/L"), "eosinophils_10e9_per_l"),
    ("Itch", "NRS", "itch_nrs"),
    ("Rash", "% BSA", "rash_bsa_pct"),
    ("IgE", display_unit("kU/L"), "total_ige_ku_per_l"),
    ("Steroid", "mg/day", "prednisone_equivalent_mg"),
    ("Steroid", "mg/kg/day", "prednisone_equivalent_mg_per_kg"),
    ("IVIG", "g/kg", "ivig_g_per_kg"),
    ("IVIG", "g", "ivig_g"),
)


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
        str | None,
        typer.Option("--db", metavar="URL", help="Read the episode from this registry."),
    ] = None,
    index: IndexOption = "ivig",
    as_json: JsonOption = False,
    max_input_bytes: MaxInputBytesOption = None,
    max_archive_members: MaxArchiveMembersOption = None,
    max_compression_ratio: MaxCompressionRatioOption = None,
) -> None:
    """Show one episode day by day, with outcomes counted from the index event."""
    if db is not None and len(arguments) == 1:
        source, episode_id = db, arguments[0]
    elif db is None and len(arguments) == 2:
        source, episode_id = arguments
    else:
        usage_error(
            f"expected BUNDLE EPISODE_ID, or EPISODE_ID with --db URL; got {len(arguments)} "
            "argument(s)"
        )
    with domain_errors():
        limits = read_limits(max_input_bytes, max_archive_members, max_compression_ratio)
        with progress(show=not as_json) as display:
            step(display, f"reading episode {safe_text(episode_id)}")
            course = _load_course(source, episode_id, database=db is not None, limits=limits)
            step(display, "summarising the course")
            from dresskit.course.summary import summarise_course, summary_as_dict

            summary = summarise_course(course, index=index)
        if as_json:
            print_json(summary_as_dict(summary))
            return
        _show_course(summary, index)


def _show_course(summary: CourseSummary, index: str) -> None:
    """Render one episode's summary: days, outcomes, scores, drugs, steroid response."""
    from rich.table import Table

    from dresskit.course.summary import summary_as_dict

    episode = summary.course.episode
    stdout.print(
        f"[bold]Episode {safe_text(episode.episode_id)}[/] "
        f"(patient {safe_text(summary.course.patient.patient_id)})"
        f": {episode.phenotype.value}, onset {episode.onset}, outcome {episode.outcome.value}"
        f" (last follow-up {episode.last_follow_up}); day 0 = {safe_text(index)} on "
        f"{summary.index_date}"
    )
    # The cells come from the same data as --json, so the two cannot disagree. A number is
    # never cut or wrapped: a column without any value is left out (and named below), the
    # headings take two lines (name, unit), and a table wider than the terminal is printed
    # whole (the terminal wraps it) rather than squeezed.
    days = cast("list[dict[str, Any]]", summary_as_dict(summary)["days"])
    shown = [column for column in DAY_COLUMNS if any(day[column[2]] is not None for day in days)]
    empty = [
        f"{name} {unit}".strip()
        for name, unit, key in DAY_COLUMNS
        if (name, unit, key) not in shown
    ]
    table = Table(title="Day by day", title_justify="left")
    table.add_column("Date", no_wrap=True, min_width=10)
    width = 10 + 4
    for name, unit, key in shown:
        widest = max(len(name), len(unit), *(len(_value(day[key])) for day in days))
        table.add_column(f"{name}\n{unit}", justify="right", no_wrap=True, min_width=widest)
        width += widest + 3
    given = [", ".join([*day["steroid_agents"], *day["biologics"]]) for day in days]
    drugs = min(max((len(text) for text in given), default=0), 40)
    table.add_column("Drugs given", justify="left", min_width=max(drugs, 5))
    for day, text in zip(days, given, strict=True):
        table.add_row(str(day["date"]), *(_value(day[key]) for _, _, key in shown), safe_text(text))
    # rich never prints wider than its console: a console as wide as the table, just for it.
    from rich.console import Console

    wide = Console(
        width=max(stdout.width, width + max(drugs, 5) + 4),
        highlight=False,
        soft_wrap=False,
        emoji=False,
    )
    wide.print(table)
    if empty:
        stdout.print(f"[dim]No data for: {', '.join(empty)}.[/]")
    stdout.print(
        "[dim]Steroid = prednisone equivalent of the systemic steroids that day "
        "(clinical-reference.md §8); an empty cell: not measured or not given.[/]"
    )
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
    for refused in summary.refused_scores:
        scores.add_row(safe_text(refused.name), "", "not scored", "", "")
    stdout.print(scores)
    for refused in summary.refused_scores:
        stdout.print(
            f"[yellow]{safe_text(refused.name)} not scored:[/] {safe_text(refused.problem)}"
        )
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
            else f" at {_value(flare.prednisone_equivalent_mg)} mg/day prednisone equivalent"
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
            f"{'unknown' if total.g_per_kg is None else _value(total.g_per_kg)} g/kg"
            + "".join(f"; {safe_text(remark)}" for remark in total.remarks)
        )
