"""Issue 11, the CLI: numbers as the JSON holds them, usage errors, --version, --json, help.

Each test is named for the behaviour it holds to.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from dresskit import __version__
from dresskit.cli import app
from dresskit.cli.courses import DAY_COLUMNS, _value
from dresskit.cli.scoring import INSTRUMENT_NAMES
from dresskit.datasets import load_published_cases
from dresskit.scoring.catalogue import INSTRUMENTS

runner = CliRunner()

_ROW = {"episode_id": "E1", "time": None, "qualifier": None}


def _observation(day: str, code: str, value: str, unit: str | None) -> dict[str, str | None]:
    return {**_ROW, "date": day, "code": code, "value": value, "unit": unit}


def _bundle_with_whole_numbers(folder: Path) -> Path:
    """The fixture bundle plus ALT 270 U/L, rash 70 % and 0 values (itch 0, rash 0 %)."""
    from tests.bundle.fixture import ROWS, tables

    observations = [dict(row) for row in ROWS["observations"]]
    columns = list(observations[0])
    extra = [
        _observation("2020-03-11", "alt", "270", "U/L"),
        _observation("2020-03-11", "rash_bsa", "70", "%"),
        _observation("2020-03-12", "itch_nrs", "0", "{score}"),
        _observation("2020-03-12", "rash_bsa", "0", "%"),
        _observation("2020-03-13", "alt", "100", "U/L"),
    ]
    observations += [{name: row.get(name) for name in columns} for row in extra]
    folder.mkdir()
    for name, frame in tables(observations=observations).items():
        frame.write_csv(folder / f"{name}.csv")
    return folder


def _text_day_table(output: str) -> tuple[list[tuple[str, str]], dict[str, list[str]]]:
    """The day-by-day table read back from the text: its (name, unit) headings, cells by date."""
    header: list[list[str]] = []
    rows = {}
    in_header = False
    for line in output.splitlines():
        in_header = line.startswith("┏") or (in_header and not line.startswith("┡"))
        cells = [cell.strip() for cell in re.split(r"[│┃]", line)[1:-1]]
        if in_header and cells and len(header) < 2:  # the first table: days
            header.append(cells[1:])
        elif cells and re.fullmatch(r"\d{4}-\d\d-\d\d", cells[0]):
            rows[cells[0]] = cells[1:]
    names, units = header
    return list(zip(names, units, strict=True)), rows


def test_course_text_cells_equal_the_json_values(tmp_path: Path) -> None:
    """Regression: whole numbers lost their zeros (ALT 270 -> "27", BSA 70 -> "7", 0 -> "")."""
    folder = _bundle_with_whole_numbers(tmp_path / "b")
    shown = runner.invoke(app, ["course", str(folder), "E1"])  # 80 columns: nothing cut
    assert shown.exit_code == 0, shown.output
    data = runner.invoke(app, ["course", str(folder), "E1", "--json"])
    days = {day["date"]: day for day in json.loads(data.stdout)["days"]}
    headings, text = _text_day_table(shown.stdout)
    assert text.keys() == days.keys()
    keys = {(name, unit): key for name, unit, key in DAY_COLUMNS}
    checked = 0
    for date, cells in text.items():
        for heading, cell in zip(headings, cells, strict=False):
            if heading not in keys:
                continue  # the drugs given
            expected = days[date][keys[heading]]
            if expected is None:
                assert cell == "", (date, heading, cell)
            else:
                assert float(cell) == expected, (date, heading, cell, expected)
                checked += 1
    assert checked > 10
    by_key = {keys[heading]: number for number, heading in enumerate(headings) if heading in keys}
    assert text["2020-03-11"][by_key["alt_u_per_l"]] == "270"
    assert text["2020-03-11"][by_key["rash_bsa_pct"]] == "70"
    assert text["2020-03-12"][by_key["itch_nrs"]] == "0"  # a value, not an empty cell
    assert text["2020-03-12"][by_key["rash_bsa_pct"]] == "0"


@pytest.mark.parametrize(
    ("number", "text"),
    [(270.0, "270"), (70, "70"), (0.0, "0"), (-0.0, "0"), (100.0, "100"), (38.5, "38.5")],
)
def test_a_number_is_printed_as_the_json_holds_it(number: float, text: str) -> None:
    assert _value(number) == text
    assert float(_value(number)) == number


def test_a_missing_number_is_an_empty_cell() -> None:
    assert _value(None) == ""


@pytest.mark.parametrize(
    "arguments",
    [
        ["score", "regiscar"],  # no --input
        ["score", "sofa", "-i", "-"],  # not an instrument
        ["score", "regiscar", "--schema", "--template"],
        ["nonsense"],
        ["course", "only-one-argument"],
        ["course", "a", "b", "c"],
        ["report"],  # neither a bundle nor --db
        ["import", "x", "--format", "csv"],
        ["export", "out", "--identified", "--format", "xml"],
        ["export", "out"],  # neither --deidentify nor --identified
        ["export", "out", "--identified", "--dates", "shifted"],
        ["episode", "update", "E1", "--set", "outcome=died"],  # no --expected-version
        ["episode", "list", "--since", "2020-13-01"],
        ["audit", "log", "--last", "-1"],
    ],
)
def test_every_usage_error_exits_2(arguments: list[str]) -> None:
    result = runner.invoke(app, arguments, input="{}")
    assert result.exit_code == 2, (arguments, result.output)


@pytest.mark.parametrize("flag", ["-V", "--version"])
def test_version_flag_prints_the_package_version(flag: str) -> None:
    result = runner.invoke(app, [flag])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"dresskit {__version__}"


def test_the_episode_version_option_is_expected_version() -> None:
    result = runner.invoke(app, ["episode", "update", "--help"], terminal_width=200)
    assert "--expected-version" in result.output
    assert "--version " not in result.output  # the old name is hidden


def test_option_placeholders_are_readable() -> None:
    result = runner.invoke(app, ["report", "--help"], terminal_width=200)
    for placeholder in ("FOLDER", "URL", "EVENT", "FORMAT", "EPISODE_ID"):
        assert placeholder in result.output
    result = runner.invoke(app, ["score", "--help"], terminal_width=200)
    assert "PATH" in result.output


def test_the_cli_names_every_instrument_of_the_catalogue() -> None:
    assert set(INSTRUMENT_NAMES) == set(INSTRUMENTS)


@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_template_is_a_filled_in_input_that_scores_as_printed(name: str) -> None:
    printed = runner.invoke(app, ["score", name, "--template"])
    assert printed.exit_code == 0, printed.output
    template: dict[str, Any] = json.loads(printed.stdout)
    assert template["instrument"] == name
    assert template["accepted"]
    scored = runner.invoke(app, ["score", name, "-i", "-", "--json"], input=printed.stdout)
    assert scored.exit_code == 0, scored.output


def test_template_lists_every_item_with_its_accepted_answers() -> None:
    template = json.loads(runner.invoke(app, ["score", "regiscar", "--template"]).stdout)
    from dresskit.scoring import regiscar

    assert set(template["accepted"]) == set(regiscar.POINTS)
    assert set(template["input"]) == set(regiscar.POINTS)
    assert "'yes', 'no' or 'unknown'" in template["accepted"]["lymph_nodes"]


def test_score_name_help_lists_the_items() -> None:
    result = runner.invoke(app, ["score", "regiscar", "--help"], terminal_width=200)
    assert result.exit_code == 0
    for item in ("fever", "eosinophilia", "organ_involvement", "other_causes_excluded"):
        assert item in result.output
    plain = runner.invoke(app, ["score", "--help"], terminal_width=200)
    assert "other_causes_excluded" not in plain.output


def test_answers_print_in_words_and_a_fahrenheit_temperature_also_in_celsius() -> None:
    case = next(case for case in load_published_cases("regiscar") if case.id.startswith("shen"))
    answers = dict(case.input, fever={"max_temperature": {"value": 101.3, "unit": "[degF]"}})
    result = runner.invoke(
        app, ["score", "regiscar", "-i", "-"], input=json.dumps(answers), terminal_width=250
    )
    assert result.exit_code == 0, result.output
    assert "101.3 °F (38.5 °C)" in result.stdout
    assert "[degF]" not in result.stdout
    assert "yes, 700-1 499/µL" in result.stdout
    assert "yes_700_to_1499" not in result.stdout


def test_instruments_and_examples_print_json() -> None:
    listed = json.loads(runner.invoke(app, ["instruments", "--json"]).stdout)
    assert {entry["name"] for entry in listed} == set(INSTRUMENTS)


def test_examples_explain_each_case_where_dresskit_and_the_authors_differ() -> None:
    result = runner.invoke(app, ["examples"], terminal_width=400)
    assert result.exit_code == 0, result.output
    rows = json.loads(runner.invoke(app, ["examples", "--json"]).stdout)
    differing = [row for row in rows if not row["agrees"]]
    assert differing
    printed = " ".join(re.sub("[│┃]", " ", result.stdout).split())  # the cells' text
    for row in differing:
        assert row["reason"]
        assert row["reason"] in printed
    assert all(row["reason"] is None for row in rows if row["agrees"])
    # The table comes first; the explanations follow it, not a bare list of disagreements.
    assert printed.index("Published cases") < printed.index("differ, the paper")


def test_validate_prints_json(tmp_path: Path) -> None:
    from tests.cli.test_commands import write_bundle_folder

    folder = write_bundle_folder(tmp_path / "b")
    result = runner.invoke(app, ["validate", str(folder), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["valid"], data["episodes"]) == (True, 2)


def test_no_progress_bar_outside_a_terminal(tmp_path: Path) -> None:
    """A pipe or a log file gets the result only: no bar, no escape codes."""
    from tests.cli.test_commands import write_bundle_folder

    folder = write_bundle_folder(tmp_path / "b")
    result = runner.invoke(app, ["validate", str(folder)])
    assert "\x1b[" not in result.output
    assert "reading and validating" not in result.output


def test_a_progress_bar_only_on_a_terminal_and_never_with_json(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from contextlib import nullcontext

    from dresskit.cli import common

    monkeypatch.setattr(type(common.stderr), "is_terminal", property(lambda self: True))
    assert not isinstance(common.progress(), nullcontext)
    assert isinstance(common.progress(show=False), nullcontext)
    monkeypatch.setattr(type(common.stderr), "is_terminal", property(lambda self: False))
    assert isinstance(common.progress(), nullcontext)


def test_report_offers_figure_formats() -> None:
    result = runner.invoke(app, ["report", "--help"], terminal_width=200)
    assert "--figure-format" in result.output
    bad = runner.invoke(app, ["report", "examples/sim2022", "--figure-format", "gif"])
    assert bad.exit_code == 2
