"""``dresskit episode show|update|delete``: one episode, changed under optimistic locking."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from dresskit.cli import app
from dresskit.registry import audit
from dresskit.registry.db import engine_for
from dresskit.registry.editing import read_episode

runner = CliRunner()
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def registry(tmp_path: Path) -> str:
    path = str(tmp_path / "registry.sqlite3")
    assert runner.invoke(app, ["db", "init", "--db", path]).exit_code == 0
    result = runner.invoke(app, ["import", str(EXAMPLES / "sim2022"), "--db", path])
    assert result.exit_code == 0, result.output
    return path


def test_show_prints_the_version_to_pass_and_the_row_counts(registry: str) -> None:
    result = runner.invoke(app, ["episode", "show", "SIM05", "--db", registry])
    assert result.exit_code == 0, result.output
    assert "version" in result.output
    assert "observations rows" in result.output
    assert "2013-06-21" in result.output  # onset


def test_update_changes_the_episode_and_names_the_new_version(registry: str) -> None:
    command = ["episode", "update", "SIM05", "--expected-version", "1", "--db", registry]
    changes = ["--set", "outcome=ongoing", "--set", "admission_date="]
    result = runner.invoke(app, [*command, *changes, "--user", "alice"])
    assert result.exit_code == 0, result.output
    assert "now version 2" in result.output
    episode = read_episode(engine_for(registry), "SIM05")
    assert (episode["outcome"], episode["admission_date"], episode["version"]) == (
        "ongoing",
        None,
        2,
    )
    record = audit.records(engine_for(registry))[-1]
    assert (record.actor, record.action, record.entity_id) == ("alice", "update", "SIM05")


def test_a_stale_version_is_refused_with_exit_code_1(registry: str) -> None:
    first = ["episode", "update", "SIM05", "--expected-version", "1", "--db", registry]
    assert runner.invoke(app, [*first, "--set", "outcome=ongoing"]).exit_code == 0
    result = runner.invoke(app, [*first, "--set", "outcome=died"])
    assert result.exit_code == 1
    assert "changed by someone else (version 2, you read 1)" in result.output
    assert read_episode(engine_for(registry), "SIM05")["outcome"] == "ongoing"


@pytest.mark.parametrize(
    ("assignment", "message"),
    [
        ("last_follow_up_date=2013-13-01", "a date as YYYY-MM-DD"),
        ("onset_date=2013-01-01", "one of admission_date"),
        ("outcome", "COLUMN=VALUE"),
    ],
)
def test_a_bad_assignment_is_named_and_changes_nothing(
    registry: str, assignment: str, message: str
) -> None:
    result = runner.invoke(
        app,
        [
            "episode",
            "update",
            "SIM05",
            "--expected-version",
            "1",
            "--set",
            assignment,
            "--db",
            registry,
        ],
    )
    assert result.exit_code == 1
    assert message in result.output
    assert read_episode(engine_for(registry), "SIM05")["version"] == 1


def test_delete_removes_the_episode(registry: str) -> None:
    result = runner.invoke(
        app,
        [
            "episode",
            "delete",
            "SIM05",
            "--expected-version",
            "1",
            "--db",
            registry,
            "--user",
            "carol",
        ],
    )
    assert result.exit_code == 0, result.output
    shown = runner.invoke(app, ["episode", "show", "SIM05", "--db", registry])
    assert shown.exit_code == 1
    assert "an episode of the registry" in shown.output


def test_the_old_version_option_still_works_with_a_deprecation_warning(registry: str) -> None:
    command = ["episode", "update", "SIM05", "--version", "1", "--db", registry]
    result = runner.invoke(app, [*command, "--set", "outcome=ongoing"])
    assert result.exit_code == 0, result.output
    assert "deprecated" in result.stderr
    assert read_episode(engine_for(registry), "SIM05")["version"] == 2


def test_list_filters_by_patient_outcome_and_onset(registry: str) -> None:
    import json

    def listed(*options: str) -> list[str]:
        result = runner.invoke(app, ["episode", "list", "--db", registry, "--json", *options])
        assert result.exit_code == 0, result.output
        return [row["episode_id"] for row in json.loads(result.stdout)]

    everything = listed()
    assert len(everything) == 18
    assert listed("--patient", "SIMP05") == ["SIM05"]
    assert set(listed("--status", "recovered")) < set(everything)
    since = listed("--since", "2013-06-21")
    until = listed("--until", "2013-06-20")
    assert "SIM05" in since
    assert "SIM05" not in until
    assert sorted(since + until) == sorted(everything)


def test_show_prints_json(registry: str) -> None:
    import json

    result = runner.invoke(app, ["episode", "show", "SIM05", "--db", registry, "--json"])
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["episode_id"], data["version"], data["onset_date"]) == ("SIM05", 1, "2013-06-21")
