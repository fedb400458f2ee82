"""The audit trail is append-only and hash-chained: edits, deletions and cut-offs show."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest
from sqlalchemy import Engine, delete, select, update

from dresskit.bundle import read_bundle
from dresskit.registry import audit
from dresskit.registry.schema import table
from dresskit.registry.store import import_bundle, update_episode

EXAMPLES = Path(__file__).parents[2] / "examples"


@pytest.fixture
def audited(engine: Engine) -> Engine:
    import_bundle(engine, read_bundle(EXAMPLES / "sim2022"), actor="alice", source="sim")
    update_episode(engine, "SIM03", expected_version=1, changes={"outcome": "ongoing"}, actor="b")
    update_episode(engine, "SIM04", expected_version=1, changes={"outcome": "ongoing"}, actor="c")
    return engine


def test_every_change_is_recorded_with_who_what_before_and_after(audited: Engine) -> None:
    records = audit.records(audited)
    assert [(r.actor, r.action, r.entity, r.entity_id) for r in records] == [
        ("alice", "import", "bundle", "sim"),
        ("b", "update", "episode", "SIM03"),
        ("c", "update", "episode", "SIM04"),
    ]
    assert json.loads(records[1].before or "") == {"outcome": "recovered"}
    assert json.loads(records[1].after or "") == {"outcome": "ongoing"}


def test_an_import_records_what_it_replaced_before_and_what_it_wrote_after(
    audited: Engine,
) -> None:
    first = audit.records(audited)[0]
    assert first.before is None  # everything was new
    shen = read_bundle(EXAMPLES / "shen2024")
    import_bundle(audited, read_bundle(EXAMPLES / "sim2022"), actor="d", source="sim again")
    import_bundle(audited, shen, actor="e", source="shen")
    again, new = audit.records(audited)[-2:]
    before = json.loads(again.before or "")
    # Only SIM03 and SIM04 differed from the bundle (the updates had changed them): only they
    # were replaced, and the versions they had are recorded.
    assert before["episode_versions"] == {"SIM03": 2, "SIM04": 2}
    edited = read_bundle(EXAMPLES / "sim2022").observations.filter(
        pl.col("episode_id").is_in(["SIM03", "SIM04"])
    )
    assert before["rows"]["observations"] == edited.height
    after = json.loads(again.after or "")
    assert (after["episodes"], after["episode_ids"], after["unchanged_episodes"]) == (
        2,
        ["SIM03", "SIM04"],
        16,
    )
    assert new.before is None
    assert json.loads(new.after or "")["episode_ids"] == shen.episodes["episode_id"].to_list()


def test_update_record_holds_no_more_identifiers_than_the_change(audited: Engine) -> None:
    record = audit.records(audited)[1]
    text = (record.before or "") + (record.after or "")
    assert "SIMP03" not in text  # the patient id was not part of the change
    assert record.entity_id == "SIM03"


def test_intact_chain_verifies(audited: Engine) -> None:
    check = audit.verify(audited)
    assert (check.intact, check.checked) == (True, 3)


def test_edited_record_is_found(audited: Engine) -> None:
    log = table("audit_log")
    with audited.begin() as connection:
        connection.execute(update(log).where(log.c.id == 2).values(actor="mallory"))
    check = audit.verify(audited)
    assert not check.intact
    assert check.broken_at == 2
    assert "edited" in check.reason


def test_deleted_record_is_found(audited: Engine) -> None:
    log = table("audit_log")
    with audited.begin() as connection:
        connection.execute(delete(log).where(log.c.id == 2))
    check = audit.verify(audited)
    assert not check.intact
    assert check.broken_at == 3


def test_cut_off_newest_record_is_found_by_the_recorded_head(audited: Engine) -> None:
    log = table("audit_log")
    with audited.begin() as connection:
        connection.execute(delete(log).where(log.c.id == 3))
    check = audit.verify(audited)
    assert not check.intact
    assert "2 records but 3 were recorded" in check.reason


def test_cut_off_newest_record_with_a_rewritten_head_is_found_against_a_noted_head(
    audited: Engine,
) -> None:
    records = audit.records(audited)
    head = records[-1].hash
    log, recorded = table("audit_log"), table("audit_head")
    with audited.begin() as connection:
        connection.execute(delete(log).where(log.c.id == 3))
        connection.execute(update(recorded).values(records=2, hash=records[1].hash))
    assert audit.verify(audited).intact  # log and head agree: only a hash kept elsewhere tells
    check = audit.verify(audited, expected_head=head)
    assert not check.intact
    assert "missing" in check.reason


def test_a_noted_head_followed_by_newer_records_is_intact(audited: Engine) -> None:
    noted = audit.records(audited)[1].hash
    check = audit.verify(audited, expected_head=noted)
    assert check.intact
    assert check.reason == "records were added after the noted one"


def test_every_append_moves_the_recorded_head(audited: Engine) -> None:
    recorded = table("audit_head")
    with audited.connect() as connection:
        head = connection.execute(select(recorded.c.records, recorded.c.hash)).one()
    assert tuple(head) == (3, audit.records(audited)[-1].hash)


def test_upgrading_a_registry_from_0001_records_the_head_of_its_existing_log(
    audited: Engine,
) -> None:
    from alembic import command

    from dresskit.registry.migrate import _config, schema_status, upgrade

    config = _config()
    with audited.begin() as connection:
        config.attributes["connection"] = connection
        command.downgrade(config, "0001")  # as a registry made before the recorded head
    assert schema_status(audited).current == "0001"
    assert upgrade(audited, "0002") == "0002"
    recorded = table("audit_head")
    with audited.connect() as connection:
        head = connection.execute(select(recorded.c.records, recorded.c.hash)).one()
    assert tuple(head) == (3, audit.records(audited)[-1].hash)
    assert audit.verify(audited) == audit.ChainCheck(True, 3)
