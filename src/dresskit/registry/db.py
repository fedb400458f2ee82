"""Where the registry lives: the database URL and the engine.

The default is an embedded SQLite file, created on first use under the user's data folder
(``platformdirs.user_data_dir("dresskit")/registry.sqlite3``), so a newcomer needs no server.
``DRESSKIT_DATABASE_URL`` (or ``--db`` on the command line) names another database, for
example ``postgresql+psycopg://user@127.0.0.1:5432/dresskit``.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import platformdirs
from sqlalchemy import Engine, create_engine, event

__all__ = ["DEFAULT_FILE_NAME", "database_url", "engine_for"]

DEFAULT_FILE_NAME = "registry.sqlite3"


def database_url(url: str | None = None) -> str:
    """Return ``url``, else ``DRESSKIT_DATABASE_URL``, else the default SQLite file's URL.

    A bare file path (``registry.sqlite3``, ``/data/dk.db``) is read as a SQLite file.
    """
    chosen = url or os.environ.get("DRESSKIT_DATABASE_URL")
    if chosen and "://" in chosen:
        return chosen
    if chosen:
        return f"sqlite:///{Path(chosen).expanduser().resolve()}"
    folder = Path(platformdirs.user_data_dir("dresskit"))
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / DEFAULT_FILE_NAME}"


def _sqlite_pragmas(connection: Any, _: object) -> None:
    cursor = connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets readers work while one writer writes.
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB of page cache for bulk work
    cursor.close()


def engine_for(url: str | None = None) -> Engine:
    """Create the engine for ``url`` (see :func:`database_url`)."""
    resolved = database_url(url)
    engine = create_engine(resolved, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    return engine
