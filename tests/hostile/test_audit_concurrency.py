"""Class 3: the audit chain under concurrency, and a log that no longer matches its head.

Eight writers change eight episodes at once while a bundle is imported, on SQLite and on
PostgreSQL: every change is one record, all chained one after the other. Then the log and its
recorded head (``audit_head``) are tampered with directly in SQL, one way at a time: each is
reported as not intact, by the library and by ``dresskit audit verify``.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Connection, Engine, delete, func, select, text, update
from typer.testing import CliRunner

from dresskit.bundle import Bundle, read_bundle
from dresskit.cli import app
from dresskit.registry import audit
from dresskit.registry.db import RegistryLockedError, engine_for, writing
from dresskit.registry.migrate import upgrade
from dresskit.registry.schema import table
from dresskit.registry.store import import_bundle, update_episode
from tests.registry import conftest as _registry

# The registry fixtures: a new database of each kind (SQLite, PostgreSQL), an engine with the
# tables created.
database_url = _registry.database_url
engine = _registry.engine

EXAMPLES = Path(__file__).parents[2] / "examples"
runner = CliRunner()

WRITERS = 8
CHANGES_PER_WRITER = 5
OUTCOMES = ("ongoing", "recovered")


@pytest.fixture(scope="module")
def sim() -> Bundle:
    return read_bundle(EXAMPLES / "sim2022")


@pytest.fixture(scope="module")
def shen() -> Bundle:
    return read_bundle(EXAMPLES / "shen2024")


def _url(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=False)


def _run_together(workers: list[Callable[[], None]]) -> list[BaseException]:
    """Start every worker at the same moment (a barrier); return what they raised."""
    barrier = threading.Barrier(len(workers))
    failures: list[BaseException] = []

    def run(work: Callable[[], None]) -> None:
        try:
            barrier.wait()
            work()
        except BaseException as error:  # collected, asserted on by the test
            failures.append(error)

    threads = [threading.Thread(target=run, args=(work,)) for work in workers]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return failures


def test_eight_writers_and_an_import_at_once_keep_one_intact_chain(
    engine: Engine, sim: Bundle, shen: Bundle
) -> None:
    import_bundle(engine, sim, actor="tester", source="sim")
    episode_ids = sim.episodes.get_column("episode_id").to_list()[:WRITERS]

    def writer(episode_id: str) -> Callable[[], None]:
        def work() -> None:
            version = 1
            for change in range(CHANGES_PER_WRITER):
                version = update_episode(
                    engine,
                    episode_id,
                    expected_version=version,
                    changes={"outcome": OUTCOMES[change % 2]},
                    actor=f"writer {episode_id}",
                )

        return work

    def importer() -> None:
        import_bundle(engine, shen, actor="importer", source="shen")

    failures = _run_together([*(writer(episode) for episode in episode_ids), importer])

    assert failures == []
    changes = 1 + WRITERS * CHANGES_PER_WRITER + 1  # the first import, the edits, the import
    check = audit.verify(engine)
    assert (check.intact, check.checked, check.reason) == (True, changes, "")
    records = audit.records(engine)
    assert len({record.previous_hash for record in records}) == changes  # no fork
    assert sorted(r.actor for r in records if r.action == "update") == sorted(
        f"writer {episode}" for episode in episode_ids for _ in range(CHANGES_PER_WRITER)
    )
    result = runner.invoke(app, ["audit", "verify", "--db", _url(engine)])
    assert result.exit_code == 0, result.output
    assert f"audit trail intact: {changes} records" in result.output


def test_a_writer_waits_for_the_one_holding_the_lock_then_chains_onto_its_record(
    engine: Engine, sim: Bundle
) -> None:
    """The second writer starts while the first holds the lock, and chains onto its record."""
    import_bundle(engine, sim, actor="tester", source="sim")
    with writing(engine).begin() as first:
        audit.append(first, actor="first", action="update", entity="episode", entity_id="SIM01")
        second = threading.Thread(
            target=update_episode,
            args=(engine, "SIM02"),
            kwargs={"expected_version": 1, "changes": {"outcome": "ongoing"}, "actor": "second"},
        )
        second.start()
        _wait_until_blocked(engine, first)
    second.join()
    records = audit.records(engine)
    assert [record.actor for record in records] == ["tester", "first", "second"]
    assert records[2].previous_hash == records[1].hash
    assert audit.verify(engine).intact


def _wait_until_blocked(engine: Engine, holder: Connection) -> None:
    """Return once another session waits for a lock ``holder`` holds (PostgreSQL), or soon.

    On PostgreSQL ``pg_locks`` shows the waiting session. SQLite cannot show a writer waiting
    in its busy handler; a short pause lets the second writer reach its ``BEGIN IMMEDIATE``
    (the assertions hold whether or not it got there first).
    """
    if engine.dialect.name != "postgresql":
        time.sleep(0.3)
        return
    holder_pid = holder.execute(text("SELECT pg_backend_pid()")).scalar_one()
    with engine.connect() as observer:
        for _ in range(600):
            waiting = observer.execute(
                text(
                    "SELECT count(*) FROM pg_locks WHERE NOT granted AND pid <> :pid "
                    "AND locktype = 'advisory'"
                ),
                {"pid": holder_pid},
            ).scalar_one()
            observer.rollback()
            if waiting:
                return
            time.sleep(0.05)
    pytest.fail("the second writer never waited for the audit lock")


def test_on_sqlite_no_one_can_commit_between_a_writers_read_and_its_write(
    tmp_path: Path, sim: Bundle, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A writer's transaction takes the write lock at BEGIN; another gives up after its wait."""
    path = tmp_path / "registry.sqlite3"
    registry = engine_for(str(path))
    upgrade(registry)
    import_bundle(registry, sim, actor="tester", source="sim")
    monkeypatch.setenv("DRESSKIT_BUSY_TIMEOUT", "0.2")
    impatient = engine_for(str(path))
    episodes = table("episodes")
    with writing(registry).begin() as holder:
        holder.execute(select(episodes.c.version).limit(1)).scalar_one()
        with (
            pytest.raises(RegistryLockedError, match=r"is locked by another writer.*waiting"),
            writing(impatient).begin() as other,
        ):
            other.execute(update(episodes).values(outcome="died"))
        with impatient.connect() as reader:  # readers are not blocked (WAL)
            assert reader.execute(select(func.count()).select_from(episodes)).scalar_one() == 18
    impatient.dispose()
    registry.dispose()


# -- a log that no longer matches its recorded head ------------------------------------------


def _audited(engine: Engine, sim: Bundle) -> Engine:
    import_bundle(engine, sim, actor="alice", source="sim")
    update_episode(engine, "SIM03", expected_version=1, changes={"outcome": "ongoing"}, actor="b")
    update_episode(engine, "SIM04", expected_version=1, changes={"outcome": "ongoing"}, actor="c")
    return engine


def _cut_newest(connection: Connection) -> None:
    log = table("audit_log")
    newest = connection.execute(select(func.max(log.c.id))).scalar_one()
    connection.execute(delete(log).where(log.c.id == newest))


def _empty_log(connection: Connection) -> None:
    connection.execute(delete(table("audit_log")))


def _empty_log_and_reset_head(connection: Connection) -> None:
    connection.execute(delete(table("audit_log")))
    connection.execute(update(table("audit_head")).values(records=0, hash=audit.GENESIS))


def _empty_log_and_remove_head(connection: Connection) -> None:
    connection.execute(delete(table("audit_log")))
    connection.execute(delete(table("audit_head")))


def _remove_head(connection: Connection) -> None:
    connection.execute(delete(table("audit_head")))


def _other_newest_hash(connection: Connection) -> None:
    connection.execute(update(table("audit_head")).values(hash="f" * 64))


def _record_added_outside(connection: Connection) -> None:
    # The head says two records: as if the third had been added without going through append.
    log = table("audit_log")
    second = connection.execute(select(log.c.hash).where(log.c.id == 2)).scalar_one()
    connection.execute(update(table("audit_head")).values(records=2, hash=second))


TAMPERING = {
    "newest record cut off": (_cut_newest, "the log holds 2 records but 3 were recorded"),
    "log emptied": (_empty_log, "the log holds 0 records but 3 were recorded"),
    "log emptied, head reset": (
        _empty_log_and_reset_head,
        "holds 18 patients and 18 episodes but its audit log is empty",
    ),
    "log emptied, head removed": (
        _empty_log_and_remove_head,
        "holds 18 patients and 18 episodes but its audit log is empty",
    ),
    "head removed": (_remove_head, "recorded head (table audit_head) is missing"),
    "other newest hash": (_other_newest_hash, "the newest record is not the one recorded"),
    "record added outside": (_record_added_outside, "3 records but only 2 were recorded"),
}


@pytest.mark.parametrize("case", TAMPERING, ids=list(TAMPERING))
def test_a_log_that_does_not_match_its_recorded_head_is_not_intact(
    engine: Engine, sim: Bundle, case: str
) -> None:
    tamper, reason = TAMPERING[case]
    _audited(engine, sim)
    assert audit.verify(engine).intact
    with engine.begin() as connection:
        tamper(connection)
    check = audit.verify(engine)
    assert not check.intact
    assert reason in check.reason
    result = runner.invoke(app, ["audit", "verify", "--db", _url(engine)])
    assert result.exit_code == 1
    assert "audit trail broken" in result.output
    assert reason in " ".join(result.output.split())


def test_the_head_stays_wrong_after_later_appends(engine: Engine, sim: Bundle) -> None:
    """A cut-off log does not become intact again when dresskit writes after it."""
    _audited(engine, sim)
    with engine.begin() as connection:
        _cut_newest(connection)
    update_episode(engine, "SIM05", expected_version=1, changes={"outcome": "ongoing"}, actor="d")
    check = audit.verify(engine)
    assert not check.intact
    assert "the log holds 3 records but 4 were recorded" in check.reason


def test_a_new_registry_with_no_data_and_no_record_is_intact(engine: Engine) -> None:
    assert audit.verify(engine) == audit.ChainCheck(True, 0)
    recorded = table("audit_head")
    with engine.connect() as connection:
        head = connection.execute(select(recorded.c.records, recorded.c.hash)).one()
    assert tuple(head) == (0, audit.GENESIS)
