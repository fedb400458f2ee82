"""Registry tests run on a real SQLite file always, and on a real PostgreSQL when one answers.

PostgreSQL: ``DRESSKIT_TEST_POSTGRES_URL`` (default the local server,
``postgresql+psycopg://postgres@127.0.0.1:5432/postgres``). Each test gets a new database,
dropped afterwards. When ``DRESSKIT_REQUIRE_POSTGRES=1`` (set by ``.ci/run``), a missing
server fails the run instead of skipping, so CI always exercises both databases.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from dresskit.registry.db import engine_for
from dresskit.registry.migrate import upgrade

POSTGRES_URL = os.environ.get(
    "DRESSKIT_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)


def _postgres_available() -> bool:
    try:
        engine = create_engine(POSTGRES_URL, connect_args={"connect_timeout": 3})
        with engine.connect():
            pass
        engine.dispose()
    except OperationalError:
        return False
    return True


_HAS_POSTGRES = _postgres_available()


@contextmanager
def new_postgres_database() -> Iterator[str]:
    """Create a new PostgreSQL database, yield its URL, drop it afterwards (or skip/fail)."""
    if not _HAS_POSTGRES:
        if os.environ.get("DRESSKIT_REQUIRE_POSTGRES") == "1":
            pytest.fail(f"PostgreSQL required but not reachable at {POSTGRES_URL}")
        pytest.skip(f"no PostgreSQL at {POSTGRES_URL}")
    name = f"dresskit_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(POSTGRES_URL, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE DATABASE "{name}"'))
    url = admin.url.set(database=name).render_as_string(hide_password=False)
    try:
        yield url
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture(params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A new, empty database URL of each kind."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'registry.sqlite3'}"
        return
    with new_postgres_database() as url:
        yield url


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """A new, empty PostgreSQL database shared by one test module."""
    with new_postgres_database() as url:
        yield url


@pytest.fixture
def engine(database_url: str) -> Iterator[Engine]:
    """An engine on a new database with the registry tables created."""
    created = engine_for(database_url)
    upgrade(created)
    yield created
    created.dispose()
