"""The audit trail is append-only and hash-chained: edits, deletions and cut-offs show."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import Engine, delete, update

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
    assert before["episode_versions"]["SIM03"] == 2  # the version the update had made
    assert before["episode_versions"]["SIM01"] == 1
    assert before["rows"]["observations"] == read_bundle(EXAMPLES / "sim2022").observations.height
    assert json.loads(again.after or "")["episodes"] == 18
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


def test_cut_off_newest_record_is_found_against_a_noted_head(audited: Engine) -> None:
    head = audit.records(audited)[-1].hash
    log = table("audit_log")
    with audited.begin() as connection:
        connection.execute(delete(log).where(log.c.id == 3))
    assert audit.verify(audited).intact  # the chain alone cannot tell
    check = audit.verify(audited, expected_head=head)
    assert not check.intact
    assert "missing" in check.reason
