"""Commands that score one case: ``score`` and ``instruments``.

Nothing here imports the scores, pydantic or pint when the module is imported: ``dresskit
--help`` lists the commands without them, and ``score`` loads only what scoring needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any, Final, Literal

import typer
from typer.core import TyperCommand

from dresskit.cli.common import (
    JsonOption,
    MaxInputBytesOption,
    app,
    domain_errors,
    print_json,
    safe_text,
    stdout,
    usage_error,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

    from dresskit.scoring import ScoreResult

#: The catalogue's names (:data:`dresskit.scoring.catalogue.INSTRUMENTS`), written out so that
#: ``dresskit --help`` need not import the scores; a test keeps the two equal.
INSTRUMENT_NAMES: Final = (
    "regiscar",
    "regiscar-inclusion",
    "jscar",
    "bocquet",
    "naranjo",
    "who-umc",
    "alden",
    "dds",
)
InstrumentName = Literal[
    "regiscar", "regiscar-inclusion", "jscar", "bocquet", "naranjo", "who-umc", "alden", "dds"
]

#: Filled-in inputs for ``score NAME --template`` where no published case ships with dresskit
#: (the instruments' own docstring examples); RegiSCAR and Naranjo use a published case.
_EXAMPLES: Final[dict[str, dict[str, Any]]] = {
    "regiscar-inclusion": {
        "hospitalised": "yes",
        "drug_suspected": "yes",
        "acute_rash": "yes",
        "fever_over_38": {"max_temperature": {"value": 101.3, "unit": "[degF]"}},
        "lymph_nodes_2_sites": "yes",
        "internal_organ_involvement": "unknown",
        "blood_count_abnormality": {"eosinophils": "above"},
    },
    "jscar": {
        "rash_latency_over_3_weeks": {"latency_days": 28},
        "prolonged_after_withdrawal": "yes",
        "fever": {"max_temperature": {"value": 38.9, "unit": "Cel"}},
        "liver_abnormality": {"alt_u_per_l": 1757},
        "leukocyte_abnormality": "yes",
        "lymphadenopathy": "yes",
        "hhv6_reactivation": "unknown",
    },
    "bocquet": {
        "cutaneous_eruption": "yes",
        "systemic_involvement": ["hepatitis"],
        "haematological": {"eosinophils_per_ul": 1140},
    },
    "who-umc": {
        "drug": "vancomycin",
        "time_relationship": "plausible",
        "explained_by_disease_or_other_drugs": "unknown",
        "withdrawal_response": "yes",
        "definitive_pharmacologically_or_phenomenologically": "yes",
        "rechallenge": "not_necessary",
        "information_sufficient": "yes",
        "more_data_expected": "no",
    },
    "alden": {
        "drugs": [
            {
                "drug": "allopurinol",
                "delay": {
                    "days_from_first_intake_to_index_day": 20,
                    "previous_reaction_to_same_drug": "no",
                },
                "drug_present": "definite",
                "prechallenge": "not_done_unknown",
                "dechallenge": "neutral",
                "notoriety": "strongly_associated",
            },
            {
                "drug": "paracetamol",
                "delay": "compatible",
                "drug_present": "definite",
                "prechallenge": "not_done_unknown",
                "dechallenge": "neutral",
                "notoriety": "unknown",
            },
        ]
    },
    "dds": {
        "age_years": 18,
        "days_drug_continued_after_onset": "unknown",
        "allopurinol": "no",
        "steroid_pulse": "yes",
        "erythema": {"bsa_pct": 80},
        "erosions_bsa_pct": 0,
        "fever_days": 7,
        "low_intake_days": "unknown",
        "creatinine": {"value": 0.7, "unit": "mg/dL"},
        "alt_u_per_l": 1757,
        "crp": {"value": 45, "unit": "mg/L"},
    },
}


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
    """Accept a published-case file (``{"instrument": ..., "input": {...}, ...}``) as input.

    The ``--template`` output has the same envelope, so it is scored as printed.
    """
    from dresskit.errors import InputError

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


def item_models(instrument: str) -> list[tuple[str, type[BaseModel]]]:
    """Return the input models whose fields are the items (ALDEN: the per-drug model)."""
    from dresskit.scoring.catalogue import get_instrument

    model = get_instrument(instrument).input_model
    if instrument == "alden":
        from dresskit.scoring import alden

        drug_model = getattr(alden, "AldenDrug", None)
        if drug_model is None:  # the per-drug model, whatever its name
            annotation = model.model_fields["drugs"].annotation
            drug_model = next(iter(getattr(annotation, "__args__", ())), None)
        if drug_model is not None:
            return [("drugs[].", drug_model)]
    return [("", model)]


def accepted_answers(instrument: str) -> dict[str, str]:
    """Return every item of ``instrument`` (ALDEN: ``drugs[].delay``) -> the answers accepted."""
    from dresskit.scoring._validation import accepted_description

    accepted: dict[str, str] = {}
    for prefix, model in item_models(instrument):
        schema = model.model_json_schema()
        for name in model.model_fields:
            text = accepted_description(model, name)
            if text is None:
                text = _described(schema.get("properties", {}).get(name, {}))
            accepted[prefix + name] = text
    return accepted


def template(instrument: str) -> dict[str, Any]:
    """Return a filled-in input for ``instrument`` with every item's accepted answers.

    The example is a published case shipped with dresskit where there is one (its citation
    is named), else the instrument's own example; ``score NAME --input`` reads the
    envelope as it is (the ``accepted`` and ``example_from`` keys are informative).
    """
    from dresskit.datasets import load_published_cases

    cases = [case for case in load_published_cases(instrument) if case.reported_total is not None]
    if cases:
        example: dict[str, Any] = dict(cases[0].input)
        origin = f"published case {cases[0].id}: {cases[0].citation}"
    else:
        example = _EXAMPLES[instrument]
        origin = "the instrument's documented example (docs/scores.md)"
    return {
        "instrument": instrument,
        "example_from": origin,
        "accepted": accepted_answers(instrument),
        "input": example,
    }


_JSON_TYPES: Final = {"string": "text", "integer": "a whole number", "number": "a number"}


def _described(field: dict[str, Any]) -> str:
    """Return a field's accepted values in words, from its JSON Schema."""
    if field.get("description"):
        return str(field["description"])
    choices = field.get("enum")
    if choices:
        quoted = [f"'{choice}'" for choice in choices]
        return quoted[0] if len(quoted) == 1 else f"{', '.join(quoted[:-1])} or {quoted[-1]}"
    kind = field.get("type")
    if isinstance(kind, str):
        return _JSON_TYPES.get(kind, kind)
    return "see `dresskit score NAME --schema`"


class _ScoreCommand(TyperCommand):
    """``score``: ``score NAME --help`` also lists the items of NAME and their answers."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        helping = any(arg in ctx.help_option_names for arg in args)
        named = [arg for arg in args if arg in INSTRUMENT_NAMES]
        ctx.meta["dresskit.instrument"] = named[0] if helping and named else None
        return super().parse_args(ctx, args)

    def format_help(self, ctx: Any, formatter: Any) -> None:
        super().format_help(ctx, formatter)
        instrument = ctx.meta.get("dresskit.instrument")
        if instrument is not None:
            _show_items(instrument)


def _show_items(instrument: str) -> None:
    """Print the items of ``instrument`` with the answers each accepts."""
    from rich.table import Table

    table = Table(
        title=f"Items of {safe_text(instrument)} (every key required; 'unknown' when not known)",
        title_justify="left",
    )
    table.add_column("Item", no_wrap=True)
    table.add_column("Accepted answers")
    for item, accepted in accepted_answers(instrument).items():
        table.add_row(safe_text(item), safe_text(accepted))
    stdout.print(table)
    stdout.print(f"A filled-in example: dresskit score {instrument} --template")


def _show_result(result: ScoreResult) -> None:
    from rich.table import Table

    from dresskit.scoring import signed
    from dresskit.scoring.rendering import answer_in_words, evidence_in_words

    title = f"{result.name} ({result.version})"
    if result.subject:
        title += f": {result.subject}"
    # Answers, evidence and remarks quote the input (drug names, free text): printed through
    # safe_text, never read as markup or control sequences. Answers are shown in words and
    # units as symbols (a temperature also in °C); --json keeps the codes.
    table = Table(title=safe_text(title), title_justify="left", show_lines=False)
    table.add_column("Item")
    table.add_column("Answer")
    table.add_column("Points", justify="right")
    table.add_column("Rule applied")
    for item in result.items:
        words = safe_text(answer_in_words(item.answer))
        answer = words if item.known else f"[yellow]{words}[/]"
        points = signed(item.points)
        reason = safe_text(item.reason) + "".join(
            f"\n[dim]{safe_text(evidence_in_words(text))}[/]" for text in item.evidence
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


@app.command(cls=_ScoreCommand)
def score(
    instrument: Annotated[
        InstrumentName,
        typer.Argument(
            metavar="NAME",
            help="The instrument (see `dresskit instruments`); `dresskit score NAME --help` "
            "lists its items and the answers each accepts.",
            show_default=False,
        ),
    ],
    input_path: Annotated[
        str | None,
        typer.Option(
            "--input", "-i", metavar="PATH", help="Case JSON file, or - for standard input."
        ),
    ] = None,
    as_json: JsonOption = False,
    schema: Annotated[
        bool, typer.Option("--schema", help="Print the JSON Schema of the input and exit.")
    ] = False,
    show_template: Annotated[
        bool,
        typer.Option(
            "--template",
            help="Print a filled-in example input (JSON) with every item's accepted answers; "
            "edit it and score it with --input.",
        ),
    ] = False,
    max_input_bytes: MaxInputBytesOption = None,
) -> None:
    """Score one case with an instrument and show the per-item breakdown."""
    if schema and show_template:
        usage_error("--schema and --template exclude each other: choose one")
    with domain_errors():
        if schema:
            from dresskit.scoring.catalogue import input_schema

            print_json(input_schema(instrument))
            return
        if show_template:
            print_json(template(instrument))
            return
        if input_path is None:
            usage_error("a case JSON file, or - for standard input", option="--input")
        from dresskit.scoring.catalogue import INSTRUMENTS, score_case
        from dresskit.scoring.rendering import result_as_dict

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
def instruments(as_json: JsonOption = False) -> None:
    """List the instruments dresskit scores."""
    from rich.table import Table

    from dresskit.scoring.catalogue import INSTRUMENTS

    if as_json:
        print_json(
            [
                {"name": entry.id, "title": entry.title, "purpose": entry.purpose}
                for entry in INSTRUMENTS.values()
            ]
        )
        return
    table = Table(title="Instruments", title_justify="left")
    table.add_column("Name", no_wrap=True)
    table.add_column("Instrument")
    table.add_column("Use")
    for entry in INSTRUMENTS.values():
        table.add_row(safe_text(entry.id), safe_text(entry.title), safe_text(entry.purpose))
    stdout.print(table)
