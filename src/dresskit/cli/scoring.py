"""Commands that score one case: ``score`` and ``instruments``."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from dresskit.cli.common import (
    MaxInputBytesOption,
    app,
    domain_errors,
    print_json,
    safe_text,
    stdout,
)
from dresskit.errors import InputError
from dresskit.scoring import ScoreResult, signed
from dresskit.scoring.catalogue import INSTRUMENTS, input_schema, score_case
from dresskit.scoring.rendering import result_as_dict


def _read_json(path: str, max_bytes: int | None = None) -> object:
    """Read a case JSON document from a file, or standard input for ``-``, within the limits.

    The size (1 MiB unless ``--max-input-bytes`` raises it), nesting depth, duplicate keys,
    NaN/Infinity, over-long integers and lone surrogates are checked by
    :func:`dresskit.json_input.read_json`, each problem naming its field.
    """
    from dataclasses import replace

    from dresskit.json_input import SCORE_JSON_LIMITS, read_json

    limits = (
        SCORE_JSON_LIMITS if max_bytes is None else replace(SCORE_JSON_LIMITS, max_bytes=max_bytes)
    )
    return read_json(path, limits=limits, field="--input", option="--max-input-bytes")


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


def _show_result(result: ScoreResult) -> None:
    title = f"{result.name} ({result.version})"
    if result.subject:
        title += f": {result.subject}"
    # Answers, evidence and remarks quote the input (drug names, free text): printed through
    # safe_text, never read as markup or control sequences.
    table = Table(title=safe_text(title), title_justify="left", show_lines=False)
    table.add_column("Item")
    table.add_column("Answer")
    table.add_column("Points", justify="right")
    table.add_column("Rule applied")
    for item in result.items:
        answer = safe_text(item.answer) if item.known else f"[yellow]{safe_text(item.answer)}[/]"
        points = signed(item.points)
        reason = safe_text(item.reason) + "".join(
            f"\n[dim]{safe_text(text)}[/]" for text in item.evidence
        )
        table.add_row(safe_text(item.label), answer, points, reason)
    stdout.print(table)
    if result.total is not None and result.total_range is not None:
        low, high = result.total_range
        stdout.print(f"[bold]Total:[/] {result.total}  (range {low}..{high})")
    stdout.print(f"[bold]Class:[/] {safe_text(result.classification)}")
    if result.unknown_items:
        reach = ""
        if result.reachable_total is not None:
            reach = f"totals {result.reachable_total[0]}..{result.reachable_total[1]}; "
        stdout.print(
            f"[yellow]Unknown:[/] {safe_text(', '.join(result.unknown_items))} - if answered: "
            f"{reach}classes {safe_text(', '.join(result.reachable_classes))}"
        )
    for remark in result.remarks:
        stdout.print(f"[dim]Remark:[/] {safe_text(remark, multiline=True)}")
    stdout.print(
        f"[dim]Reference: {safe_text(result.reference.text)} "
        f"{safe_text(f'[{result.reference.section}]')}[/]"
    )


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
    max_input_bytes: MaxInputBytesOption = None,
) -> None:
    """Score one case with an instrument and show the per-item breakdown."""
    with domain_errors():
        if schema:
            print_json(input_schema(instrument))
            return
        if input_path is None:
            raise InputError("--input", None, "a case JSON file, or - for standard input")
        source = "<stdin>" if input_path == "-" else input_path
        answers = _unwrap_case(_read_json(input_path, max_input_bytes), instrument, source)
        results = score_case(instrument, answers, source=source)
        if as_json:
            entry = INSTRUMENTS[instrument]
            if entry.per_drug:
                print_json(
                    {"instrument": instrument, "drugs": [result_as_dict(r) for r in results]}
                )
            else:
                print_json(result_as_dict(results[0]))
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
        table.add_row(safe_text(entry.id), safe_text(entry.title), safe_text(entry.purpose))
    stdout.print(table)
