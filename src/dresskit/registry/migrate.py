"""Create and upgrade the registry's tables with Alembic; report the schema revision.

The Alembic configuration is built here (no ``alembic.ini`` to find): the scripts are
``dresskit/registry/migrations``, shipped with the package, and every run uses the engine's
own connection, in one transaction: a writer's (:func:`dresskit.registry.db.writing`), so two
upgrades at once run one after the other, and a failed one leaves the database as it was.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from importlib import resources

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine

from dresskit.registry.db import sqlite_file, writing

__all__ = ["SchemaStatus", "schema_status", "upgrade"]


def _config() -> Config:
    config = Config()
    config.set_main_option(
        "script_location", str(resources.files("dresskit.registry") / "migrations")
    )
    return config


def upgrade(engine: Engine, revision: str = "head") -> str:
    """Bring the database to ``revision`` (default the newest); return the revision reached.

    A SQLite registry file is created here when it does not exist yet (engines from
    :func:`dresskit.registry.db.engine_for` open existing files only).
    """
    file = sqlite_file(engine)
    if file is not None and not file.exists():
        sqlite3.connect(file).close()  # an empty file: a new SQLite database
    config = _config()
    with writing(engine).begin() as connection:
        config.attributes["connection"] = connection
        command.upgrade(config, revision)
    return schema_status(engine).current or ""


@dataclass(frozen=True)
class SchemaStatus:
    """The database's schema revision and the newest this dresskit knows."""

    url: str
    current: str | None
    head: str

    @property
    def up_to_date(self) -> bool:
        """Whether the database is at the newest revision."""
        return self.current == self.head


def schema_status(engine: Engine) -> SchemaStatus:
    """Return the current and newest revisions (current ``None``: not initialised)."""
    head = ScriptDirectory.from_config(_config()).get_current_head() or ""
    file = sqlite_file(engine)
    if file is not None and not file.exists():
        current = None  # no file yet: nothing to open (and nothing is created)
    else:
        with engine.connect() as connection:
            current = MigrationContext.configure(connection).get_current_revision()
    return SchemaStatus(
        url=engine.url.render_as_string(hide_password=True), current=current, head=head
    )
