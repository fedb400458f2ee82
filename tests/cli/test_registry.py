"""`dresskit db|import|export|audit`, and `course`/`report` reading a registry."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from typer.testing import CliRunner

from dresskit.cli import app

runner = CliRunner()
EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def registry(tmp_path: Path) -> str:
    path = str(tmp_path / "registry.sqlite3")
    assert runner.invoke(app, ["db", "init", "--db", path]).exit_code == 0
    result = runner.invoke(
        app, ["import", str(EXAMPLES / "sim2022"), "--db", path, "--user", "alice"]
    )
    assert result.exit_code == 0, result.output
    return path


def test_status_of_a_new_database_says_to_upgrade(tmp_path: Path) -> None:
    result = runner.invoke(app, ["db", "status", "--db", str(tmp_path / "new.sqlite3")])
    assert result.exit_code == 0
    assert "not initialised" in result.output
    assert "dresskit db upgrade" in result.output


def test_import_reports_what_it_wrote(registry: str) -> None:
    result = runner.invoke(app, ["db", "status", "--db", registry])
    assert "up to date" in result.output


def test_invalid_bundle_is_refused_and_nothing_imported(registry: str, tmp_path: Path) -> None:
    bundle = tmp_path / "bad"
    bundle.mkdir()
    for source in (EXAMPLES / "shen2024").glob("*.csv"):
        text = source.read_text(encoding="utf-8")
        if source.name == "observations.csv":
            text = text.replace(",Cel,", ",Celsius,", 1)
        (bundle / source.name).write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["import", str(bundle), "--db", registry])
    assert result.exit_code == 1
    assert "Celsius" in result.output
    with sqlite3.connect(registry) as connection:
        (episodes,) = connection.execute("select count(*) from episodes").fetchone()
    assert episodes == 18


def test_course_reads_the_registry(registry: str) -> None:
    from_db = runner.invoke(app, ["course", registry, "SIM14", "--json"])
    from_bundle = runner.invoke(app, ["course", str(EXAMPLES / "sim2022"), "SIM14", "--json"])
    assert from_db.exit_code == 0, from_db.output
    assert from_db.output == from_bundle.output


def test_export_writes_a_bundle_that_reads_back(registry: str, tmp_path: Path) -> None:
    out = tmp_path / "export"
    result = runner.invoke(
        app, ["export", "--identified", str(out), "--db", registry, "--user", "bob"]
    )
    assert result.exit_code == 0, result.output
    assert runner.invoke(app, ["validate", str(out)]).exit_code == 0


def test_audit_log_and_verify(registry: str) -> None:
    log = runner.invoke(app, ["audit", "log", "--db", registry])
    assert "alice" in log.output
    assert "newest hash:" in log.output
    assert runner.invoke(app, ["audit", "verify", "--db", registry]).exit_code == 0
    with sqlite3.connect(registry) as connection:
        connection.execute("update audit_log set actor = 'mallory'")
    result = runner.invoke(app, ["audit", "verify", "--db", registry])
    assert result.exit_code == 1
    assert "edited" in result.output


def test_unknown_export_format_is_a_usage_error_with_exit_2(registry: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["export", "--identified", str(tmp_path / "x"), "--db", registry, "--format", "xml"]
    )
    assert result.exit_code == 2
    assert "bundle" in result.output


@pytest.mark.parametrize(
    ("format", "target", "import_args"),
    [
        ("fhir", "export.json", []),
        ("redcap", "redcap", ["--format", "redcap"]),
    ],
)
def test_export_import_export_gives_the_same_data(
    registry: str, tmp_path: Path, format: str, target: str, import_args: list[str]
) -> None:
    first = tmp_path / "first"
    assert (
        runner.invoke(app, ["export", "--identified", str(first), "--db", registry]).exit_code == 0
    )
    exported = tmp_path / target
    result = runner.invoke(
        app, ["export", "--identified", str(exported), "--db", registry, "--format", format]
    )
    assert result.exit_code == 0, result.output
    fresh = str(tmp_path / "fresh.sqlite3")
    assert runner.invoke(app, ["db", "init", "--db", fresh]).exit_code == 0
    source = exported / "records.csv" if format == "redcap" else exported
    if format == "redcap":
        assert {path.name for path in exported.iterdir()} == {
            "records.csv",
            "data_dictionary.csv",
            "manifest.csv",
        }
    result = runner.invoke(app, ["import", str(source), "--db", fresh, *import_args])
    assert result.exit_code == 0, result.output
    second = tmp_path / "second"
    assert runner.invoke(app, ["export", "--identified", str(second), "--db", fresh]).exit_code == 0
    for name in (
        "manifest",
        "patients",
        "episodes",
        "drug_exposures",
        "drug_assessments",
        "observations",
        "findings",
        "treatments",
    ):
        assert (first / f"{name}.csv").read_text(encoding="utf-8") == (
            second / f"{name}.csv"
        ).read_text(encoding="utf-8"), name


def test_deidentified_export_needs_a_key_and_hides_identifiers(
    registry: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("DRESSKIT_DEIDENTIFY_KEY", raising=False)
    out = tmp_path / "research"
    result = runner.invoke(app, ["export", str(out), "--db", registry, "--deidentify"])
    assert result.exit_code == 1
    assert "key" in result.output
    monkeypatch.setenv("DRESSKIT_DEIDENTIFY_KEY", "a secret key of 32 characters!!")
    result = runner.invoke(app, ["export", str(out), "--db", registry, "--deidentify"])
    assert result.exit_code == 0, result.output
    written = "".join(path.read_text(encoding="utf-8") for path in out.glob("*.csv"))
    assert "SIM01" not in written
    assert "SIMP01" not in written
    assert "2012-" not in written
    log = runner.invoke(app, ["audit", "log", "--db", registry])
    assert "export" in log.output


def test_course_and_report_take_the_registry_with_db(registry: str, tmp_path: Path) -> None:
    from_db = runner.invoke(app, ["course", "SIM14", "--db", registry, "--json"])
    from_bundle = runner.invoke(app, ["course", str(EXAMPLES / "sim2022"), "SIM14", "--json"])
    assert from_db.exit_code == 0, from_db.output
    assert from_db.output == from_bundle.output
    out = tmp_path / "report"
    result = runner.invoke(app, ["report", "--db", registry, "--out", str(out), "--no-pdf"])
    assert result.exit_code == 0, result.output
    assert (out / "tables" / "course_table.csv").is_file()


def test_course_needs_a_source_and_an_episode(registry: str) -> None:
    result = runner.invoke(app, ["course", "SIM14"])
    assert result.exit_code == 2
    assert "EPISODE_ID with --db" in result.output


def test_import_audit_status_and_verify_print_json(registry: str) -> None:
    import json

    again = runner.invoke(app, ["import", str(EXAMPLES / "sim2022"), "--db", registry, "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["changed_nothing"] is True
    log = json.loads(runner.invoke(app, ["audit", "log", "--db", registry, "--json"]).stdout)
    assert log[-1]["actor"] == "alice"
    assert log[-1]["action"] == "import"
    check = json.loads(runner.invoke(app, ["audit", "verify", "--db", registry, "--json"]).stdout)
    assert check["intact"] is True
    status = json.loads(runner.invoke(app, ["db", "status", "--db", registry, "--json"]).stdout)
    assert status["up_to_date"] is True


def test_import_reads_a_fhir_bundle_from_standard_input(registry: str, tmp_path: Path) -> None:
    exported = tmp_path / "export.json"
    result = runner.invoke(
        app, ["export", str(exported), "--format", "fhir", "--identified", "--db", registry]
    )
    assert result.exit_code == 0, result.output
    target = str(tmp_path / "second.sqlite3")
    assert runner.invoke(app, ["db", "init", "--db", target]).exit_code == 0
    text = exported.read_text(encoding="utf-8")
    imported = runner.invoke(app, ["import", "-", "--db", target, "--json"], input=text)
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["episodes"] == 18
