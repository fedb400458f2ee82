"""Data entry (dresskit.registry.entry): the rules of an import, units, locking, audit.

One registry per database kind for the module (sim2022 imported once); each test changes an
episode of its own, so the tests stay independent and fast.
"""

from __future__ import annotations

import csv
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, func, select

from dresskit.bundle import read_bundle
from dresskit.errors import InputError, InputErrors
from dresskit.registry import audit
from dresskit.registry.accounts import add_site
from dresskit.registry.db import engine_for
from dresskit.registry.editing import ConflictError
from dresskit.registry.entry import (
    EntryConflictError,
    change_rows,
    compare_fields,
    compare_rows,
    create_episode,
    create_patient,
    entry_columns,
    episode_scores,
    merged_rows,
    read_entry,
    update_episode_fields,
)
from dresskit.registry.migrate import upgrade
from dresskit.registry.schema import table
from dresskit.registry.store import import_bundle, load_bundle
from tests.registry.conftest import new_postgres_database

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture(scope="module", params=["sqlite", "postgresql"])
def sim(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A registry holding examples/sim2022 (18 episodes, SIM01..SIM18) in site north."""

    def prepared(url: str) -> Engine:
        engine = engine_for(url)
        upgrade(engine)
        add_site(engine, "north", "North", actor="test")
        import_bundle(
            engine, read_bundle(EXAMPLES / "sim2022"), actor="test", source="sim", site="north"
        )
        return engine

    if request.param == "sqlite":
        engine = prepared(f"sqlite:///{tmp_path_factory.mktemp('entry') / 'r.sqlite3'}")
        yield engine
        engine.dispose()
        return
    with new_postgres_database() as url:
        engine = prepared(url)
        yield engine
        engine.dispose()


def _version(engine: Engine, episode_id: str) -> int:
    return read_entry(engine, episode_id).version


def _audit_count(engine: Engine) -> int:
    with engine.connect() as connection:
        return int(
            connection.execute(select(func.count()).select_from(table("audit_log"))).scalar_one()
        )


def _csv_rows(table_name: str, episode_id: str) -> list[dict[str, str]]:
    with (EXAMPLES / "sim2022" / f"{table_name}.csv").open(newline="", encoding="utf-8") as file:
        return [
            {k: v for k, v in row.items() if k != "episode_id"}
            for row in csv.DictReader(file)
            if row["episode_id"] == episode_id
        ]


def _stored_hash(engine: Engine, episode_id: str) -> str | None:
    episodes = table("episodes")
    with engine.connect() as connection:
        found = connection.execute(
            select(episodes.c.content_hash).where(episodes.c.episode_id == episode_id)
        ).scalar_one()
    return None if found is None else str(found)


def test_an_observation_after_the_last_follow_up_is_refused_naming_it(sim: Engine) -> None:
    before = read_entry(sim, "SIM01")
    with pytest.raises(InputErrors) as refused:
        change_rows(
            sim,
            "SIM01",
            "observations",
            add=[
                {
                    "date": "2012-06-01",
                    "time": "23:59",
                    "code": "alt",
                    "value": "40",
                    "unit": "U/L",
                },
                {"date": "2012-09-01", "code": "alt", "value": "40", "unit": "U/L"},
            ],
            expected_version=before.version,
            actor="ann",
        )
    (problem,) = refused.value.errors
    assert (problem.source, problem.row, problem.field, problem.value) == (
        "observations",
        2,
        "date",
        "2012-09-01",
    )
    assert "last follow-up (2012-08-24)" in problem.expected


def test_nothing_is_written_when_a_change_is_refused(sim: Engine) -> None:
    before = read_entry(sim, "SIM02")
    records = _audit_count(sim)
    with pytest.raises(InputErrors):
        change_rows(
            sim,
            "SIM02",
            "observations",
            add=[
                {"date": "2012-09-01", "code": "alt", "value": "40", "unit": "U/L"},
                {"date": "2012-09-02", "code": "alt", "value": "1,5", "unit": "U/L"},
            ],
            expected_version=before.version,
            actor="ann",
        )
    after = read_entry(sim, "SIM02")
    assert after.version == before.version
    assert after.rows == before.rows
    assert _audit_count(sim) == records


@pytest.mark.parametrize(
    ("code", "value", "unit", "stored", "stored_unit"),
    [
        ("temperature", "101.3", "[degF]", "38.5", "Cel"),
        ("alt", "2", "ukat/L", "120", "U/L"),
        ("eosinophils", "2100", "/uL", "2.1", "10*9/L"),
        ("bilirubin", "34.2", "umol/L", "1.999537", "mg/dL"),
    ],
)
def test_a_value_in_a_listed_unit_is_stored_in_the_canonical_unit(
    sim: Engine, code: str, value: str, unit: str, stored: str, stored_unit: str
) -> None:
    version = _version(sim, "SIM03")
    row = {"date": "2012-12-01", "time": "23:59", "code": code, "value": value, "unit": unit}
    saved = change_rows(
        sim, "SIM03", "observations", add=[row], expected_version=version, actor="ann"
    )
    assert saved.version == version + 1
    last = read_entry(sim, "SIM03").rows["observations"][-1].cells
    assert (last["code"], last["value"], last["unit"]) == (code, stored, stored_unit)
    change_rows(
        sim,
        "SIM03",
        "observations",
        remove=[read_entry(sim, "SIM03").rows["observations"][-1].key],
        expected_version=saved.version,
        actor="ann",
    )


def test_a_unit_not_on_the_code_list_is_refused_with_the_list(sim: Engine) -> None:
    with pytest.raises(InputErrors) as refused:
        change_rows(
            sim,
            "SIM04",
            "observations",
            add=[
                {
                    "date": "2013-03-20",
                    "time": "23:59",
                    "code": "alt",
                    "value": "40",
                    "unit": "mg/dL",
                }
            ],
            expected_version=_version(sim, "SIM04"),
            actor="ann",
        )
    (problem,) = refused.value.errors
    assert (problem.field, problem.value) == ("unit", "mg/dL")
    assert "U/L, [IU]/L, ukat/L" in problem.expected


def test_rows_entered_are_stored_exactly_as_the_same_rows_imported(sim: Engine) -> None:
    """SIM05's rows entered again from its CSV leave the import's fingerprint unchanged."""
    imported = _stored_hash(sim, "SIM05")
    for table_name in ("observations", "treatments", "findings", "drug_exposures"):
        change_rows(
            sim,
            "SIM05",
            table_name,
            replace=_csv_rows(table_name, "SIM05"),
            expected_version=_version(sim, "SIM05"),
            actor="ann",
        )
    assert _stored_hash(sim, "SIM05") == imported
    treatments = read_entry(sim, "SIM05").rows["treatments"]
    assert {row.cells["dose_unit"] for row in treatments if row.cells["kind"] == "steroid"} == {
        "mg/d"
    }


def test_a_stale_version_is_refused_naming_the_current_one(sim: Engine) -> None:
    version = _version(sim, "SIM06")
    update_episode_fields(
        sim, "SIM06", {"outcome": "ongoing"}, expected_version=version, actor="ann"
    )
    with pytest.raises(ConflictError, match=f"now version {version + 1}") as refused:
        update_episode_fields(
            sim, "SIM06", {"outcome": "recovered"}, expected_version=version, actor="bob"
        )
    assert isinstance(refused.value, EntryConflictError)
    assert refused.value.current_version == version + 1
    assert read_entry(sim, "SIM06").episode["outcome"] == "ongoing"


def test_a_change_is_audited_with_its_rows_in_the_same_transaction(sim: Engine) -> None:
    version = _version(sim, "SIM07")
    row = {"date": "2014-01-10", "code": "rash", "value": "present", "detail": "trunk"}
    change_rows(sim, "SIM07", "findings", add=[row], expected_version=version, actor="ann")
    record = audit.records(sim, limit=1)[0]
    assert (record.actor, record.action, record.entity, record.entity_id) == (
        "ann",
        "update",
        "episode",
        "SIM07",
    )
    assert '"detail":"trunk"' in (record.after or "")
    assert f'"version":{version}' in (record.before or "")
    assert audit.verify(sim).intact


def test_a_changed_row_keeps_its_key_and_a_deleted_one_goes(sim: Engine) -> None:
    entry = read_entry(sim, "SIM08")
    first, second = entry.rows["treatments"][:2]
    changed = {**first.cells, "end_date": first.cells["start_date"]}
    saved = change_rows(
        sim,
        "SIM08",
        "treatments",
        change={first.key: changed},
        expected_version=entry.version,
        actor="ann",
    )
    now = read_entry(sim, "SIM08").row("treatments", first.key)
    assert now is not None
    assert now.cells["end_date"] == first.cells["start_date"]
    change_rows(
        sim,
        "SIM08",
        "treatments",
        remove=[second.key],
        expected_version=saved.version,
        actor="ann",
    )
    assert read_entry(sim, "SIM08").row("treatments", second.key) is None


def test_an_earlier_follow_up_names_the_stored_observations_it_leaves_out(sim: Engine) -> None:
    with pytest.raises(InputErrors) as refused:
        update_episode_fields(
            sim,
            "SIM09",
            {"last_follow_up_date": "2014-07-20"},
            expected_version=_version(sim, "SIM09"),
            actor="ann",
        )
    sources = {problem.source for problem in refused.value.errors}
    assert "stored observations" in sources
    assert all(problem.row for problem in refused.value.errors if problem.source != "episodes")


def test_an_unknown_column_is_refused_naming_it(sim: Engine) -> None:
    with pytest.raises(InputErrors) as refused:
        change_rows(
            sim,
            "SIM10",
            "findings",
            add=[{"date": "2013-07-01", "code": "rash", "value": "present", "colour": "red"}],
            expected_version=_version(sim, "SIM10"),
            actor="ann",
        )
    (problem,) = refused.value.errors
    assert (problem.field, problem.value, problem.row) == ("colour", "red", 1)


def test_a_new_patient_is_validated_created_in_its_site_and_scored(sim: Engine) -> None:
    created = create_patient(
        sim,
        site="north",
        patient={"patient_id": "ENTRY-P1", "sex": "female", "age_years": "61"},
        episode={
            "episode_id": "ENTRY-E1",
            "phenotype": "dress",
            "onset_date": "2024-02-01",
            "outcome": "ongoing",
            "last_follow_up_date": "2024-03-01",
        },
        actor="ann",
    )
    assert (created.patient_id, created.episode_id, created.site, created.version) == (
        "ENTRY-P1",
        "ENTRY-E1",
        "north",
        1,
    )
    assert read_entry(sim, "ENTRY-E1").site == "north"
    change_rows(
        sim,
        "ENTRY-E1",
        "observations",
        add=[{"date": "2024-02-02", "code": "temperature", "value": "39.2", "unit": "Cel"}],
        expected_version=1,
        actor="ann",
    )
    regiscar = episode_scores(sim, "ENTRY-E1")[0].result
    assert regiscar.item("fever").answer == "yes"
    assert "ENTRY-E1" in load_bundle(sim).episode_ids()


def test_a_new_patient_breaking_a_rule_is_refused_naming_each_field(sim: Engine) -> None:
    with pytest.raises(InputErrors) as refused:
        create_patient(
            sim,
            site="north",
            patient={"patient_id": "ENTRY P2", "sex": "f"},
            episode={
                "episode_id": "ENTRY-E2",
                "phenotype": "dress",
                "onset_date": "2024-02-30",
                "outcome": "ongoing",
                "last_follow_up_date": "2024-03-01",
            },
            actor="ann",
        )
    named = {(problem.source, problem.field) for problem in refused.value.errors}
    assert {("patients", "patient_id"), ("patients", "sex"), ("episodes", "onset_date")} <= named
    with pytest.raises(InputError):
        read_entry(sim, "ENTRY-E2")


def test_an_id_in_use_is_refused(sim: Engine) -> None:
    with pytest.raises(InputErrors) as refused:
        create_patient(
            sim,
            site="north",
            patient={"patient_id": "SIMP11", "sex": "male"},
            episode={
                "episode_id": "SIM11",
                "phenotype": "dress",
                "onset_date": "2024-02-01",
                "outcome": "ongoing",
                "last_follow_up_date": "2024-03-01",
            },
            actor="ann",
        )
    assert {problem.field for problem in refused.value.errors} == {"patient_id", "episode_id"}


def test_another_episode_of_a_patient_is_validated_with_the_others(sim: Engine) -> None:
    created = create_episode(
        sim,
        patient_id="SIMP12",
        episode={
            "episode_id": "SIM12-B",
            "phenotype": "maculopapular_exanthema",
            "onset_date": "2016-01-10",
            "outcome": "recovered",
            "last_follow_up_date": "2016-02-10",
        },
        actor="ann",
    )
    assert created.site == "north"
    assert "SIM12" in read_entry(sim, "SIM12-B").other_episodes


def test_compare_fields_prefers_the_side_that_changed() -> None:
    fields = compare_fields(
        ["outcome", "death_date", "admission_date"],
        original={"outcome": "ongoing", "death_date": "", "admission_date": "2024-01-02"},
        mine={"outcome": "recovered", "death_date": "", "admission_date": "2024-01-02"},
        current={"outcome": "ongoing", "death_date": "", "admission_date": "2024-01-03"},
    )
    by_name = {f.name: f for f in fields}
    assert by_name["outcome"].differs
    assert by_name["outcome"].preferred == "mine"
    assert by_name["admission_date"].differs
    assert by_name["admission_date"].preferred == "current"
    assert not by_name["death_date"].differs


def test_merged_rows_keep_both_editors_changes() -> None:
    def row(day: str, code: str, value: str) -> dict[str, str]:
        return {"date": day, "code": code, "value": value, "unit": "U/L"}

    original = [row("2024-01-01", "alt", "40"), row("2024-01-02", "alt", "50")]
    mine = [
        row("2024-01-01", "alt", "45"),
        row("2024-01-02", "alt", "50"),
        row("2024-01-03", "alt", "60"),
    ]
    current = [row("2024-01-01", "alt", "40"), row("2024-01-02", "alt", "55")]
    differences = compare_rows("observations", original=original, mine=mine, current=current)
    assert [d.automatic for d in differences] == ["mine", "current", "mine"]
    merged = merged_rows("observations", original=original, mine=mine, current=current, choices={})
    assert [r["value"] for r in merged] == ["45", "55", "60"]


def test_the_unit_column_of_observations_lists_each_code_units_canonical_first() -> None:
    (unit,) = [c for c in entry_columns("observations") if c.name == "unit"]
    groups = dict(unit.groups)
    assert groups["alt"][0] == "U/L"
    assert "ukat/L" in groups["alt"]
    assert groups["temperature"][0] == "Cel"
