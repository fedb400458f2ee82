"""Class 11 (database part): every database failure is one line and exit code 1, no traceback.

Each case runs the real command line (``dresskit.cli.app`` in-process, or ``dresskit`` in a
subprocess where the process must lack privileges) against a database that cannot be used:
not initialised (SQLite and PostgreSQL), a file that is not a database, a URL of another kind,
PostgreSQL down, SQLite or PostgreSQL locked by another writer, a folder that does not exist,
a read-only file. A password in a URL is never printed.
"""

from __future__ import annotations

import os
import shutil
import socket
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text
from typer.testing import CliRunner, Result

from dresskit.bundle.schema import DATA_TABLES
from dresskit.cli import app
from dresskit.registry import audit
from dresskit.registry.db import engine_for
from tests.registry.conftest import new_postgres_database

EXAMPLES = Path(__file__).parents[2] / "examples"
DRESSKIT = Path(sys.executable).with_name("dresskit")
runner = CliRunner()

#: Every command that reads (or writes) the registry, without its --db.
COMMANDS = {
    "episode show": ["episode", "show", "SIM01"],
    "episode update": [
        "episode",
        "update",
        "SIM01",
        "--expected-version",
        "1",
        "--set",
        "outcome=died",
        "--set",
        "death_date=2012-08-24",
    ],
    "episode delete": ["episode", "delete", "SIM01", "--expected-version", "1"],
    "audit log": ["audit", "log"],
    "audit verify": ["audit", "verify"],
    "export": ["export", "{out}/export", "--identified"],
    "course": ["course", "SIM01"],
    "report": ["report", "--out", "{out}/report", "--no-pdf"],
    # A bundle the registry does not hold yet: importing identical data writes nothing.
    "import": ["import", str(EXAMPLES / "shen2024")],
}
WRITERS = ("episode update", "episode delete", "import")
ACCEPTED = "a SQLite file path, sqlite:///path, or postgresql[+psycopg]://"


def _command(name: str, db: str, out: Path) -> list[str]:
    return [part.replace("{out}", str(out)) for part in COMMANDS[name]] + ["--db", db]


def _one_line_error(result: Result, *fragments: str) -> str:
    """Assert exit code 1, one non-empty line starting ``error:``, no traceback; return it."""
    assert result.exit_code == 1, result.output
    assert isinstance(result.exception, SystemExit), repr(result.exception)
    lines = [line for line in result.output.splitlines() if line.strip()]
    assert len(lines) == 1, result.output
    assert lines[0].startswith("error: "), result.output
    assert "Traceback" not in result.output
    assert "internal error" not in result.output
    for fragment in fragments:
        assert fragment in lines[0]
    return lines[0]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def registry(tmp_path: Path) -> str:
    """A SQLite registry with the sim2022 example imported."""
    path = str(tmp_path / "registry.sqlite3")
    assert runner.invoke(app, ["db", "init", "--db", path]).exit_code == 0
    assert runner.invoke(app, ["import", str(EXAMPLES / "sim2022"), "--db", path]).exit_code == 0
    return path


# -- not initialised ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", COMMANDS)
def test_a_missing_registry_file_says_to_run_db_init_and_is_not_created(
    command: str, tmp_path: Path
) -> None:
    path = tmp_path / "typo.sqlite3"
    result = runner.invoke(app, _command(command, str(path), tmp_path))
    _one_line_error(result, "db init")
    assert not path.exists()
    assert not (tmp_path / "export").exists()
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("command", COMMANDS)
def test_a_database_without_registry_tables_says_to_run_db_init(
    command: str, tmp_path: Path
) -> None:
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE unrelated (x INTEGER)")
    other.close()
    _one_line_error(runner.invoke(app, _command(command, str(path), tmp_path)), "db init")


@pytest.fixture(scope="module")
def empty_postgres() -> Iterator[str]:
    with new_postgres_database() as url:
        yield url


@pytest.mark.parametrize("command", COMMANDS)
def test_an_uninitialised_postgres_database_says_to_run_db_init(
    command: str, empty_postgres: str, tmp_path: Path
) -> None:
    _one_line_error(runner.invoke(app, _command(command, empty_postgres, tmp_path)), "db init")


def test_a_registry_of_an_older_schema_says_to_upgrade(registry: str) -> None:
    with sqlite3.connect(registry) as old:
        old.execute("DROP TABLE audit_head")
        # Revision 0007's tables (accounts, sites) did not exist either.
        for name in ("report_jobs", "app_secrets", "api_tokens", "web_sessions", "user_sites"):
            old.execute(f"DROP TABLE {name}")
        old.execute("DROP TABLE users")
        old.execute("DROP TABLE patient_sites")
        old.execute("DROP TABLE sites")
        old.execute("ALTER TABLE episodes DROP COLUMN content_hash")
        old.execute("ALTER TABLE episodes DROP COLUMN death_date")
        # Observations as revision 0001 made them: a surrogate id and an episode index.
        old.execute(
            "CREATE TABLE observations_old (id INTEGER NOT NULL PRIMARY KEY, "
            "episode_id VARCHAR(200) NOT NULL REFERENCES episodes (episode_id) "
            "ON DELETE CASCADE, date DATE NOT NULL, time VARCHAR(5), code VARCHAR NOT NULL, "
            "value FLOAT, unit TEXT, text TEXT)"
        )
        old.execute(
            "INSERT INTO observations_old (episode_id, date, time, code, value, unit, text) "
            "SELECT episode_id, date, time, code, value, unit, text FROM observations "
            "ORDER BY episode_id, row_order"
        )
        old.execute("DROP TABLE observations")
        old.execute("ALTER TABLE observations_old RENAME TO observations")
        old.execute("CREATE INDEX ix_observations_episode_id ON observations (episode_id)")
        old.execute("UPDATE alembic_version SET version_num = '0001'")
    old.close()
    command = [
        "episode",
        "update",
        "SIM01",
        "--expected-version",
        "1",
        "--set",
        "outcome=died",
        "--set",
        "death_date=2012-08-24",
    ]
    _one_line_error(runner.invoke(app, [*command, "--db", registry]), "db upgrade")
    status = runner.invoke(app, ["db", "status", "--db", registry])
    assert "revision 0001" in status.output
    assert "needs `dresskit db upgrade`" in status.output
    assert runner.invoke(app, ["db", "upgrade", "--db", registry]).exit_code == 0
    assert runner.invoke(app, ["audit", "verify", "--db", registry]).exit_code == 0
    assert runner.invoke(app, [*command, "--db", registry]).exit_code == 0


def test_db_status_of_a_missing_file_says_not_initialised_and_creates_nothing(
    tmp_path: Path,
) -> None:
    path = tmp_path / "new.sqlite3"
    result = runner.invoke(app, ["db", "status", "--db", str(path)])
    assert result.exit_code == 0, result.output
    assert "none (not initialised)" in result.output
    assert not path.exists()


# -- not a database, not a supported URL -------------------------------------------------------


@pytest.mark.parametrize("name", ["some.csv", "notes.sqlite3"])
@pytest.mark.parametrize("command", COMMANDS)
def test_a_file_that_is_not_a_database_is_refused(command: str, name: str, tmp_path: Path) -> None:
    path = tmp_path / name
    path.write_text("patient_id,sex\nP1,female\n", encoding="utf-8")
    before = path.read_bytes()
    line = _one_line_error(
        runner.invoke(app, _command(command, str(path), tmp_path)), "is not a SQLite database"
    )
    assert name in line
    assert path.read_bytes() == before


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("mysql://alice:s3cret@db.example/registry", "mysql://alice:***@db.example/registry"),
        ("http://alice:s3cret@db.example/registry", "http://alice:***@db.example/registry"),
        ("postgres:/x", "postgres:/x"),
        ("postgres://alice:s3cret@db.example/registry", "postgres://alice:***@db.example"),
        ("postgresql+psycopg2://alice:s3cret@db.example/r", "psycopg2://alice:***@"),
        ("oracle+cx://scott:tiger@h/db", "oracle+cx://scott:***@h/db"),
    ],
)
@pytest.mark.parametrize("command", ["audit verify", "import", "course", "db init"])
def test_a_url_of_another_kind_is_refused_saying_what_is_accepted(
    command: str, url: str, shown: str, tmp_path: Path
) -> None:
    arguments = ["db", "init", "--db", url] if command == "db init" else None
    result = runner.invoke(app, arguments or _command(command, url, tmp_path))
    line = _one_line_error(result, ACCEPTED, shown)
    assert "s3cret" not in result.output
    assert "tiger" not in result.output
    assert "--db" in line


def test_an_unsupported_url_from_the_environment_names_the_variable(tmp_path: Path) -> None:
    result = runner.invoke(
        app, ["audit", "log"], env={"DRESSKIT_DATABASE_URL": "mysql://u:s3cret@h/db"}
    )
    _one_line_error(result, "DRESSKIT_DATABASE_URL", ACCEPTED)
    assert "s3cret" not in result.output


# -- PostgreSQL down ---------------------------------------------------------------------------


@pytest.mark.parametrize("command", [*COMMANDS, "db init", "db status"])
def test_postgres_down_is_one_line_without_the_password(command: str, tmp_path: Path) -> None:
    url = f"postgresql+psycopg://alice:s3cret@127.0.0.1:{_free_port()}/registry"
    if command.startswith("db "):
        arguments = [*command.split(), "--db", url]
    else:
        arguments = _command(command, url, tmp_path)
    result = runner.invoke(app, arguments)
    _one_line_error(result, "cannot reach the registry", "alice:***@127.0.0.1", "refused")
    assert "s3cret" not in result.output


# -- locked ------------------------------------------------------------------------------------


@pytest.fixture
def locked(registry: str) -> Iterator[str]:
    """The registry, with another writer holding its write lock."""
    other = sqlite3.connect(registry, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    yield registry
    other.execute("ROLLBACK")
    other.close()


@pytest.mark.parametrize("command", [*WRITERS, "db upgrade"])
def test_a_writer_waits_for_a_locked_sqlite_registry_then_says_so(
    command: str, locked: str, tmp_path: Path
) -> None:
    arguments = ["db", "upgrade", "--db", locked] if command == "db upgrade" else None
    result = runner.invoke(
        app,
        arguments or _command(command, locked, tmp_path),
        env={"DRESSKIT_BUSY_TIMEOUT": "0.2"},
    )
    _one_line_error(result, locked, "is locked by another writer", "gave up after waiting 0.")
    assert "DRESSKIT_BUSY_TIMEOUT" in result.output


@pytest.mark.parametrize("command", ["episode show", "audit log", "audit verify", "course"])
def test_readers_are_not_blocked_by_a_writer(command: str, locked: str, tmp_path: Path) -> None:
    result = runner.invoke(
        app, _command(command, locked, tmp_path), env={"DRESSKIT_BUSY_TIMEOUT": "0.2"}
    )
    assert result.exit_code == 0, result.output


def test_a_writer_waits_for_a_locked_postgres_registry_then_says_so(tmp_path: Path) -> None:
    with new_postgres_database() as url:
        assert runner.invoke(app, ["db", "init", "--db", url]).exit_code == 0
        assert runner.invoke(app, ["import", str(EXAMPLES / "sim2022"), "--db", url]).exit_code == 0
        holder = engine_for(url)
        with holder.begin() as connection:
            connection.execute(text("SELECT version FROM episodes FOR UPDATE"))
            result = runner.invoke(
                app, _command("episode update", url, tmp_path), env={"DRESSKIT_BUSY_TIMEOUT": "0.2"}
            )
        holder.dispose()
    _one_line_error(result, "is locked by another writer", "waiting 0.2 s (lock_timeout)")


def test_a_bad_busy_timeout_is_one_line(registry: str) -> None:
    result = runner.invoke(
        app, ["audit", "log", "--db", registry], env={"DRESSKIT_BUSY_TIMEOUT": "soon"}
    )
    _one_line_error(result, "DRESSKIT_BUSY_TIMEOUT", "a number of seconds")


# -- folders and permissions -------------------------------------------------------------------


@pytest.mark.parametrize("command", [*COMMANDS, "db init"])
def test_a_registry_file_in_a_folder_that_does_not_exist_is_refused(
    command: str, tmp_path: Path
) -> None:
    path = tmp_path / "no" / "such" / "folder" / "registry.sqlite3"
    arguments = ["db", "init", "--db", str(path)] if command == "db init" else None
    result = runner.invoke(app, arguments or _command(command, str(path), tmp_path))
    _one_line_error(result, f"its folder {path.parent} does not exist")
    assert not (tmp_path / "no").exists()


def test_a_folder_given_as_the_registry_is_refused(tmp_path: Path) -> None:
    result = runner.invoke(app, ["audit", "log", "--db", str(tmp_path)])
    _one_line_error(result, "it is a folder, not a SQLite database file")


def _unprivileged() -> list[str]:
    """A command prefix under which file permissions apply (root bypasses them)."""
    if os.geteuid() != 0:
        return []
    setpriv = shutil.which("setpriv")
    if setpriv is None:  # pragma: no cover - util-linux is on every Debian image
        pytest.skip("running as root without setpriv: read-only files are writable")
    return [setpriv, "--bounding-set=-dac_override,-dac_read_search,-fowner", "--"]


@pytest.mark.parametrize("command", WRITERS)
def test_a_read_only_registry_file_refuses_writers_and_serves_readers(
    command: str, registry: str, tmp_path: Path
) -> None:
    Path(registry).chmod(0o444)
    before = Path(registry).read_bytes()
    write = subprocess.run(
        [*_unprivileged(), str(DRESSKIT), *_command(command, registry, tmp_path)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert write.returncode == 1, write.stderr
    lines = [line for line in (write.stdout + write.stderr).splitlines() if line.strip()]
    assert lines == [
        f"error: the registry {registry} is read-only: dresskit cannot write to it "
        "(check the file's and its folder's permissions) - attempt to write a "
        "readonly database"
    ]
    read = subprocess.run(
        [*_unprivileged(), str(DRESSKIT), "audit", "verify", "--db", registry],
        capture_output=True,
        text=True,
        check=False,
    )
    assert read.returncode == 0, read.stderr
    assert "audit trail intact: 1 records" in read.stdout
    assert Path(registry).read_bytes() == before
    assert audit.verify(engine_for(registry)).intact


# -- the password -------------------------------------------------------------------------------


def test_db_init_and_status_never_print_the_password() -> None:
    with new_postgres_database() as url:
        with_password = url.replace("postgres@", "postgres:s3cret@", 1)
        assert with_password != url
        for command in (["db", "init"], ["db", "status"]):
            result = runner.invoke(app, [*command, "--db", with_password])
            assert result.exit_code == 0, result.output
            assert "s3cret" not in result.output
            assert "postgres:***@" in result.output


# -- disk full ----------------------------------------------------------------------------------


def test_a_full_sqlite_database_stops_the_import_and_writes_nothing(registry: str) -> None:
    """SQLite's page limit stands in for a full disk: the same SQLITE_FULL error."""
    from dataclasses import replace

    import polars as pl
    from sqlalchemy import event

    from dresskit.bundle import read_bundle
    from dresskit.registry.db import RegistryUnavailableError
    from dresskit.registry.store import import_bundle

    sim = read_bundle(EXAMPLES / "sim2022")
    renamed = {  # the same episodes again under new ids: the registry must grow
        name: getattr(sim, name).with_columns(
            [
                pl.col(column) + "B"
                for column in ("patient_id", "episode_id")
                if column in getattr(sim, name).columns
            ]
        )
        for name in DATA_TABLES
    }
    engine = engine_for(registry)
    with engine.connect() as connection:
        pages = connection.exec_driver_sql("PRAGMA page_count").scalar_one()
    engine.dispose()

    def cap_pages(connection: sqlite3.Connection, _: object) -> None:
        connection.execute(f"PRAGMA max_page_count = {pages}")

    event.listen(engine, "connect", cap_pages)
    before = audit.records(engine)
    with pytest.raises(RegistryUnavailableError, match="is full: nothing of the change"):
        import_bundle(engine, replace(sim, **renamed), actor="t", source="sim again")
    assert audit.records(engine) == before
    with engine.connect() as connection:
        episodes = connection.exec_driver_sql("SELECT count(*) FROM episodes").scalar_one()
    assert episodes == 18
    engine.dispose()
