"""The command line: exit codes, messages and output formats."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dresskit.cli import app
from dresskit.datasets import load_published_cases
from dresskit.scoring.catalogue import INSTRUMENTS

runner = CliRunner()

SHEN = next(case for case in load_published_cases("regiscar") if case.id.startswith("shen2024"))


@pytest.fixture
def shen_input(tmp_path: Path) -> Path:
    path = tmp_path / "shen.json"
    path.write_text(json.dumps(SHEN.input), encoding="utf-8")
    return path


def test_score_prints_breakdown_total_and_class(shen_input: Path) -> None:
    result = runner.invoke(app, ["score", "regiscar", "--input", str(shen_input)])
    assert result.exit_code == 0, result.output
    assert "Eosinophilia" in result.output
    assert "Total: 4" in result.output
    assert "Class: probable" in result.output
    assert "Kardaun" in result.output


def test_score_json_has_the_documented_keys(shen_input: Path) -> None:
    result = runner.invoke(app, ["score", "regiscar", "--input", str(shen_input), "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert {
        "instrument",
        "total",
        "class",
        "items",
        "unknown_items",
        "reachable_total",
        "reference",
    } <= data.keys()
    assert {"id", "answer", "points", "reason"} <= data["items"][0].keys()
    assert data["reachable_total"] == [2, 8]


def test_score_reads_standard_input() -> None:
    result = runner.invoke(
        app, ["score", "regiscar", "--input", "-", "--json"], input=json.dumps(SHEN.input)
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["total"] == 4


def test_score_accepts_a_published_case_file() -> None:
    case_file = json.dumps({"instrument": "regiscar", "input": SHEN.input, "id": "x"})
    result = runner.invoke(app, ["score", "regiscar", "-i", "-", "--json"], input=case_file)
    assert result.exit_code == 0, result.output


def test_case_file_for_another_instrument_is_refused() -> None:
    case_file = json.dumps({"instrument": "naranjo", "input": SHEN.input})
    result = runner.invoke(app, ["score", "regiscar", "-i", "-"], input=case_file)
    assert result.exit_code == 1
    assert "'naranjo'" in result.stderr


@pytest.mark.parametrize("name", sorted(INSTRUMENTS))
def test_schema_is_printed_for_every_instrument(name: str) -> None:
    result = runner.invoke(app, ["score", name, "--schema"])
    assert result.exit_code == 0, result.output
    schema = json.loads(result.stdout)
    assert schema["type"] == "object"
    assert schema["required"]


def test_bad_answer_exits_1_with_field_value_and_accepted() -> None:
    bad = dict(SHEN.input, lymph_nodes="maybe")
    result = runner.invoke(app, ["score", "regiscar", "-i", "-"], input=json.dumps(bad))
    assert result.exit_code == 1
    first, *details = result.stderr.splitlines()
    assert first == "error: 1 problem in the input"
    assert "field 'lymph_nodes'" in details[0]
    assert "'maybe'" in details[0]
    assert "'yes'" in details[0]


def test_temperature_of_389_cel_exits_1() -> None:
    bad = dict(SHEN.input, fever={"max_temperature": {"value": 389, "unit": "Cel"}})
    result = runner.invoke(app, ["score", "regiscar", "-i", "-"], input=json.dumps(bad))
    assert result.exit_code == 1
    assert "389" in result.stderr
    assert "between 25 and 45 Cel" in result.stderr


def test_invalid_json_names_line_and_column() -> None:
    result = runner.invoke(app, ["score", "regiscar", "-i", "-"], input='{"fever": }')
    assert result.exit_code == 1
    assert "line 1 column 11" in result.stderr
    assert "<stdin>" in result.stderr


def test_missing_file_exits_1(tmp_path: Path) -> None:
    missing = tmp_path / "nope.json"
    result = runner.invoke(app, ["score", "regiscar", "-i", str(missing)])
    assert result.exit_code == 1
    assert "nope.json" in result.stderr


def test_no_input_option_is_a_usage_error_with_exit_2() -> None:
    result = runner.invoke(app, ["score", "regiscar"])
    assert result.exit_code == 2
    assert "--input" in result.stderr


def test_unknown_instrument_is_a_usage_error_with_exit_2_listing_names() -> None:
    result = runner.invoke(app, ["score", "sofa", "-i", "-"], input="{}")
    assert result.exit_code == 2
    assert "regiscar" in result.stderr


def test_unknown_option_is_a_usage_error_with_exit_2() -> None:
    result = runner.invoke(app, ["score", "regiscar", "--colour"])
    assert result.exit_code == 2


def test_examples_lists_every_bundled_case() -> None:
    result = runner.invoke(app, ["examples"], terminal_width=200)
    assert result.exit_code == 0, result.output
    for case in load_published_cases():
        assert case.id in result.output


def test_examples_json_carries_authors_and_dresskit_numbers() -> None:
    result = runner.invoke(app, ["examples", "--json"])
    assert result.exit_code == 0, result.output
    rows = json.loads(result.stdout)
    assert len(rows) == len(load_published_cases())
    assert all("reported_total" in row and row["results"] for row in rows)


def test_instruments_lists_the_catalogue() -> None:
    result = runner.invoke(app, ["instruments"], terminal_width=200)
    assert result.exit_code == 0
    for name in INSTRUMENTS:
        assert name in result.output


def write_bundle_folder(folder: Path, **changes: object) -> Path:
    from tests.bundle.fixture import tables, with_row

    frames = with_row(**changes) if changes else tables()  # type: ignore[arg-type]
    folder.mkdir()
    for name, frame in frames.items():
        frame.write_csv(folder / f"{name}.csv")
    return folder


def test_validate_reports_a_valid_bundle(tmp_path: Path) -> None:
    folder = write_bundle_folder(tmp_path / "b")
    result = runner.invoke(app, ["validate", str(folder)], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "2 episodes" in result.output


def test_validate_lists_problems_with_file_row_and_exits_1(tmp_path: Path) -> None:
    folder = write_bundle_folder(tmp_path / "b", table="episodes", index=0, onset_date="1/3/2020")
    result = runner.invoke(app, ["validate", str(folder)])
    assert result.exit_code == 1
    assert "episodes.csv, row 1: field 'onset_date'" in result.stderr


def test_course_shows_days_and_outcomes(tmp_path: Path) -> None:
    folder = write_bundle_folder(tmp_path / "b")
    result = runner.invoke(app, ["course", str(folder), "E1"], terminal_width=200)
    assert result.exit_code == 0, result.output
    assert "day 0 = ivig on 2020-03-10" in result.output
    assert "alt normalisation" in result.output


def test_course_json_has_days_and_outcomes(tmp_path: Path) -> None:
    folder = write_bundle_folder(tmp_path / "b")
    result = runner.invoke(app, ["course", str(folder), "E1", "--index", "steroid", "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["index_date"] == "2020-03-05"
    assert data["days"][0]["date"] == "2020-03-01"
    assert {o["outcome"] for o in data["outcomes"]} >= {"defervescence", "alt_normalisation"}


def test_course_with_an_index_the_episode_lacks_exits_1(tmp_path: Path) -> None:
    folder = write_bundle_folder(tmp_path / "b")
    result = runner.invoke(app, ["course", str(folder), "E2"])
    assert result.exit_code == 1
    assert "ivig" in result.stderr
