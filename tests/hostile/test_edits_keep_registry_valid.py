"""Class 9: edits keep the registry valid; no episode can break the whole registry's export.

* ``episode update`` runs the bundle's rules on the whole episode after the change;
* an episode that no longer passes the rules (changed by hand in the database, or written
  before a rule existed) is left out of ``export`` and ``report --db`` and said so, instead of
  making them fail for every episode;
* re-importing identical data changes nothing, keeps every version and says "unchanged".

Every case runs on a real SQLite file and a real PostgreSQL database, through the CLI.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, select, text, update
from typer.testing import CliRunner, Result

from dresskit.bundle import read_bundle
from dresskit.cli import app
from dresskit.errors import InputErrors
from dresskit.registry import audit
from dresskit.registry.db import engine_for
from dresskit.registry.migrate import upgrade
from dresskit.registry.schema import table
from dresskit.registry.store import load_bundle
from tests.registry import conftest as _registry

database_url = _registry.database_url
EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()


@pytest.fixture
def registry(database_url: str) -> str:
    """A registry (SQLite and PostgreSQL) holding the Sim et al. 2022 reconstruction."""
    engine = engine_for(database_url)
    upgrade(engine)
    engine.dispose()
    result = invoke("import", str(EXAMPLES / "sim2022"), "--db", database_url)
    assert result.exit_code == 0, result.output
    return database_url


def invoke(*arguments: str) -> Result:
    result = runner.invoke(app, list(arguments))
    assert "Traceback" not in result.output
    return result


def with_engine(url: str) -> Engine:
    return engine_for(url)


def versions(url: str) -> dict[str, int]:
    engine = with_engine(url)
    episodes = table("episodes")
    with engine.connect() as connection:
        found = {
            str(row[0]): int(row[1])
            for row in connection.execute(select(episodes.c.episode_id, episodes.c.version))
        }
    engine.dispose()
    return found


def audit_count(url: str) -> int:
    engine = with_engine(url)
    count = len(audit.records(engine))
    engine.dispose()
    return count


def test_follow_up_that_leaves_observations_outside_the_episode_is_refused_naming_them(
    registry: str,
) -> None:
    before, records = versions(registry), audit_count(registry)
    # SIM01: onset 2012-05-23, observations until its last follow-up; end it two days in.
    result = invoke(
        "episode", "update", "SIM01", "--db", registry, "--expected-version", "1",
        "--set", "last_follow_up_date=2012-05-25",
    )  # fmt: skip
    assert result.exit_code == 1
    assert "observations of patient" in result.output
    assert "field 'date' must be within the episode" in result.output
    assert "last follow-up (2012-05-25)" in result.output
    assert "treatments of patient" in result.output  # steroid and IVIG rows after it too
    assert versions(registry) == before
    assert audit_count(registry) == records


def test_valid_edit_is_written_and_a_reimport_of_the_original_restores_only_that_episode(
    registry: str,
) -> None:
    result = invoke(
        "episode",
        "update",
        "SIM02",
        "--db",
        registry,
        "--expected-version",
        "1",
        "--set",
        "outcome=died",
        "--set",
        "death_date=2013-01-10",
    )
    assert result.exit_code == 0, result.output
    again = invoke("import", str(EXAMPLES / "sim2022"), "--db", registry)
    assert again.exit_code == 0, again.output
    assert "1 episodes (17 unchanged" in again.output
    found = versions(registry)
    assert found["SIM02"] == 3
    assert {v for e, v in found.items() if e != "SIM02"} == {1}


def test_reimporting_identical_data_changes_nothing_and_says_unchanged(registry: str) -> None:
    before, records = versions(registry), audit_count(registry)
    result = invoke("import", str(EXAMPLES / "sim2022"), "--db", registry)
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output
    assert "nothing was written" in result.output
    assert versions(registry) == before
    assert audit_count(registry) == records


@pytest.mark.parametrize("exchange", ["fhir", "redcap"])
def test_the_same_data_in_another_format_is_unchanged_too(
    registry: str, tmp_path: Path, exchange: str
) -> None:
    out = tmp_path / ("sim.json" if exchange == "fhir" else "redcap")
    exported = invoke("export", str(out), "--db", registry, "--format", exchange, "--identified")
    assert exported.exit_code == 0, exported.output
    before = versions(registry)
    result = invoke("import", str(out), "--db", registry, "--format", exchange)
    assert result.exit_code == 0, result.output
    assert "unchanged" in result.output
    assert versions(registry) == before


def _break_behind_dresskits_back(url: str) -> None:
    """Make SIM03 invalid in the database itself: an ALT above the hard limit."""
    engine = with_engine(url)
    observations = table("observations")
    with engine.begin() as connection:
        connection.execute(
            update(observations)
            .where(observations.c.episode_id == "SIM03", observations.c.code == "alt")
            .values(value=99_999.0)
        )
    engine.dispose()


def test_one_invalid_episode_does_not_stop_the_export_of_the_others(
    registry: str, tmp_path: Path
) -> None:
    _break_behind_dresskits_back(registry)
    out = tmp_path / "export"
    result = invoke("export", str(out), "--db", registry, "--identified")
    assert result.exit_code == 0, result.output
    assert "'SIM03'" in result.output
    assert "was left out" in result.output
    exported = read_bundle(out)
    assert "SIM03" not in exported.episode_ids()
    assert len(exported.episode_ids()) == 17
    engine = with_engine(registry)
    (record,) = audit.records(engine, limit=1)
    engine.dispose()
    assert json.loads(record.after or "{}")["episodes_left_out"] == ["SIM03"]


def test_one_invalid_episode_does_not_stop_the_report_and_is_listed(
    registry: str, tmp_path: Path
) -> None:
    _break_behind_dresskits_back(registry)
    out = tmp_path / "report"
    result = invoke("report", "--db", registry, "--out", str(out), "--no-pdf")
    assert result.exit_code == 0, result.output
    html = (out / "report.html").read_text(encoding="utf-8")
    assert "was left out" in html
    quality = (out / "tables" / "data_quality.csv").read_text(encoding="utf-8")
    assert "SIM03" in quality


def test_loading_can_still_refuse_an_invalid_episode_when_asked(registry: str) -> None:
    _break_behind_dresskits_back(registry)
    engine = with_engine(registry)
    with pytest.raises(InputErrors, match="must be a plausible value"):
        load_bundle(engine, leave_out_invalid=False)
    engine.dispose()


def test_the_invalid_episode_itself_is_refused_with_its_problem(registry: str) -> None:
    _break_behind_dresskits_back(registry)
    result = invoke("course", "SIM03", "--db", registry)
    assert result.exit_code == 1
    assert "a plausible value" in result.output


def test_another_episodes_problem_does_not_block_an_edit(registry: str) -> None:
    _break_behind_dresskits_back(registry)
    engine = with_engine(registry)
    episodes = table("episodes")
    with engine.begin() as connection:
        # SIM04 gets SIM03's patient: the edit of SIM04 reads SIM03's rows (weights).
        patient = connection.execute(
            select(episodes.c.patient_id).where(episodes.c.episode_id == "SIM03")
        ).scalar_one()
        connection.execute(
            update(episodes).where(episodes.c.episode_id == "SIM04").values(patient_id=patient)
        )
        connection.execute(text("SELECT 1"))
    engine.dispose()
    result = invoke(
        "episode",
        "update",
        "SIM04",
        "--db",
        registry,
        "--expected-version",
        "1",
        "--set",
        "outcome=died",
        "--set",
        "death_date=2013-05-09",
    )
    assert result.exit_code == 0, result.output
