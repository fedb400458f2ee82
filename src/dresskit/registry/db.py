"""Where the registry lives, how its transactions lock, and what a database failure means.

**The database.** The default is an embedded SQLite file in the user's data folder
(``platformdirs.user_data_dir("dresskit")/registry.sqlite3``), so a newcomer needs no server.
``DRESSKIT_DATABASE_URL`` (or ``--db`` on the command line) names another: a SQLite file path,
``sqlite:///path``, or ``postgresql[+psycopg]://user@host:port/database``.
Anything else (``mysql://``, ``http://``, a typo such as ``postgres:/x``) is refused, saying
what is accepted; a password in a URL is never shown (``***``). Engines open an existing
SQLite file only: :func:`dresskit.registry.migrate.upgrade` (``dresskit db init``) creates it,
so a mistyped path is reported, not left behind as an empty database.

**Locking.** On SQLite, dresskit emits ``BEGIN`` itself instead of letting the ``sqlite3``
driver do it (SQLAlchemy documentation, "Transactions with SQLite and the sqlite3 driver",
the ``begin`` event recipe): reads run in one deferred transaction (one snapshot), and a
transaction started from :func:`writing` begins with ``BEGIN IMMEDIATE``, taking the write
lock before it reads anything, so two writers never read the same state (such as the audit
trail's newest record) and then both write. A writer that finds the lock taken waits up to
the busy timeout (:data:`DEFAULT_BUSY_TIMEOUT_SECONDS`, or ``DRESSKIT_BUSY_TIMEOUT`` in
seconds), then fails with :class:`RegistryLockedError`. On PostgreSQL the same timeout is the
session's ``lock_timeout`` (a writer waiting for another's lock), and connecting gives up after
:data:`DEFAULT_CONNECT_TIMEOUT_SECONDS` (``connect_timeout=N`` in the URL to change it); the
audit trail serialises its appends with an advisory lock (:mod:`.audit`).

**Failures.** A database that cannot be reached, opened, written or used (server down, not a
database file, missing folder, read-only file, locked, disk full, tables not created) becomes
a :class:`RegistryUnavailableError` with one line saying which and what to do, raised in place
of the driver's exception (SQLAlchemy's ``handle_error`` event) by every engine from
:func:`engine_for`. :func:`database_failure` does the same for an exception met elsewhere (a
driver cursor used directly, as the bulk paths do), so the command line shows one line, never
a traceback. PostgreSQL needs the ``psycopg`` driver, the ``[postgres]`` extra: without it,
:func:`engine_for` says what to install (the SQLite default needs nothing more).

References
----------
.. [1] SQLite documentation, "Transaction" (``BEGIN IMMEDIATE``), "Write-Ahead Logging", and
   ``sqlite3_busy_timeout``; "Result and Error Codes".
.. [2] PostgreSQL 15 documentation, "Client Connection Defaults" (``lock_timeout``),
   "Database Connection Control Functions" (``connect_timeout``), Appendix A "PostgreSQL
   Error Codes".
.. [3] OWASP Logging Cheat Sheet / CWE-532 (no secrets such as passwords in messages).
"""

from __future__ import annotations

import os
import re
import sqlite3
import time
import weakref
from functools import partial
from pathlib import Path
from typing import Any, Final

import platformdirs
from sqlalchemy import Connection, Engine, create_engine, event
from sqlalchemy.engine import URL, ExceptionContext, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.pool import Pool

from dresskit.errors import DresskitError, InputError

__all__ = [
    "ACCEPTED_URLS",
    "BUSY_TIMEOUT_VARIABLE",
    "DEFAULT_BUSY_TIMEOUT_SECONDS",
    "DEFAULT_CONNECT_TIMEOUT_SECONDS",
    "DEFAULT_FILE_NAME",
    "POSTGRES_EXTRA_HINT",
    "NotInitialisedError",
    "RegistryLockedError",
    "RegistryUnavailableError",
    "busy_timeout",
    "database_failure",
    "database_url",
    "engine_for",
    "safe_url",
    "sqlite_file",
    "writing",
]

DEFAULT_FILE_NAME = "registry.sqlite3"

#: What ``--db`` and ``DRESSKIT_DATABASE_URL`` accept, as said in the error for anything else.
ACCEPTED_URLS: Final = (
    "a SQLite file path, sqlite:///path, or postgresql[+psycopg]://user@host:port/database"
)

#: How long a writer waits for another writer's lock before giving up (seconds): long enough
#: for an edit or a small import to finish, short enough that a stuck writer is reported.
DEFAULT_BUSY_TIMEOUT_SECONDS: Final = 30.0
#: The environment variable that sets the busy timeout, in seconds.
BUSY_TIMEOUT_VARIABLE: Final = "DRESSKIT_BUSY_TIMEOUT"
#: How long connecting to PostgreSQL may take (seconds; libpq's ``connect_timeout``), unless
#: the URL says ``connect_timeout=N``.
DEFAULT_CONNECT_TIMEOUT_SECONDS: Final = 5

#: What to install for a PostgreSQL registry, said when the driver is missing.
POSTGRES_EXTRA_HINT: Final = (
    "PostgreSQL needs the psycopg driver, which is not installed: pip install 'dresskit[postgres]'"
    " (from a clone: pip install -e '.[postgres]'); the default SQLite registry needs nothing more"
)

#: The execution option that marks a writer's transactions (see :func:`writing`).
_WRITE_OPTION: Final = "dresskit_write"
_SQLITE_HEADER: Final = b"SQLite format 3\x00"
#: SQLITE_BUSY_SNAPSHOT (SQLite, "Result and Error Codes"): not in Python 3.11's sqlite3.
_SQLITE_BUSY_SNAPSHOT: Final = 517
_SCHEME = re.compile(r"^([A-Za-z][A-Za-z0-9+.-]+):")
_PASSWORD = re.compile(r"(//[^/@:]*:)[^@/]*@")


class RegistryUnavailableError(DresskitError):
    """The registry database cannot be reached, opened, written or used as it is.

    The message says which (server down, not a database, read-only, tables not created, disk
    full) and what to do; the transaction in progress, if any, was rolled back.
    """


class RegistryLockedError(RegistryUnavailableError):
    """Another writer held the registry's lock for longer than the busy timeout."""


class NotInitialisedError(RegistryUnavailableError):
    """The database has no registry (tables), or not all of this dresskit's: run ``db init``."""


def _masked(text: str) -> str:
    """Hide a password in a URL that could not be parsed (``//user:***@host``)."""
    return _PASSWORD.sub(r"\1***@", text)


def safe_url(url: str | URL) -> str:
    """Return ``url`` as text with any password replaced by ``***`` (CWE-532).

    Examples
    --------
    >>> safe_url("postgresql+psycopg://alice:secret@db.example/registry")
    'postgresql+psycopg://alice:***@db.example/registry'
    """
    if isinstance(url, URL):
        return url.render_as_string(hide_password=True)
    try:
        return make_url(url).render_as_string(hide_password=True)
    except (ArgumentError, ValueError):
        return _masked(url)


def database_url(url: str | None = None) -> str:
    """Return ``url``, else ``DRESSKIT_DATABASE_URL``, else the default SQLite file's URL.

    A bare file path (``registry.sqlite3``, ``/data/dk.db``) is read as a SQLite file;
    ``postgresql://`` is read as ``postgresql+psycopg://`` (the driver dresskit ships with).

    Raises
    ------
    InputError
        For a URL of another kind (``mysql://``, ``http://``, ``postgres:/x``): the error says
        what is accepted, with any password hidden.
    """
    origin = "--db" if url else "DRESSKIT_DATABASE_URL"
    chosen = url or os.environ.get("DRESSKIT_DATABASE_URL")
    if not chosen:
        folder = Path(platformdirs.user_data_dir("dresskit"))
        folder.mkdir(parents=True, exist_ok=True)
        return f"sqlite:///{folder / DEFAULT_FILE_NAME}"
    scheme = _SCHEME.match(chosen)
    if scheme is None:  # a file path (a one-letter "scheme" is a Windows drive)
        return f"sqlite:///{Path(chosen).expanduser().resolve()}"
    name = scheme.group(1).lower()
    if not chosen[scheme.end() :].startswith("//"):
        raise InputError("database URL", _masked(chosen), ACCEPTED_URLS, source=origin)
    if name in ("sqlite", "sqlite+pysqlite", "postgresql+psycopg"):
        return chosen
    if name == "postgresql":
        return "postgresql+psycopg" + chosen[scheme.end() - 1 :]
    raise InputError("database URL", safe_url(chosen), ACCEPTED_URLS, source=origin)


def busy_timeout() -> float:
    """Return the busy timeout in seconds: ``DRESSKIT_BUSY_TIMEOUT``, else the default.

    Raises
    ------
    InputError
        When the variable is not a number of seconds, 0 or more.
    """
    text = os.environ.get(BUSY_TIMEOUT_VARIABLE, "").strip()
    if not text:
        return DEFAULT_BUSY_TIMEOUT_SECONDS
    try:
        seconds = float(text)
    except ValueError:
        seconds = -1.0
    if not 0 <= seconds < 86_400:
        raise InputError(
            BUSY_TIMEOUT_VARIABLE, text, "a number of seconds from 0 to 86399", source="environment"
        )
    return seconds


def writing(engine: Engine) -> Engine:
    """Return ``engine`` whose transactions take the write lock when they begin.

    Use it for every transaction that writes, from its first statement (an import, a change,
    an audit record): on SQLite the transaction begins with ``BEGIN IMMEDIATE``, so no other
    writer can commit between what it reads and what it writes; on PostgreSQL nothing changes
    (row locks and the audit trail's advisory lock serialise what must be).

    Examples
    --------
    >>> engine = engine_for("sqlite://")
    >>> with writing(engine).begin() as connection:
    ...     connection.exec_driver_sql("CREATE TABLE t (x INTEGER)").rowcount
    -1
    """
    return engine.execution_options(**{_WRITE_OPTION: True})


def _sqlite_connect(connection: Any, _: object) -> None:
    # Take over BEGIN from the sqlite3 driver (it begins only before INSERT/UPDATE/DELETE,
    # so reads before the first write ran outside the transaction): see _sqlite_begin.
    connection.isolation_level = None
    cursor = connection.cursor()
    # Foreign keys are off by default in SQLite; WAL lets readers work while one writer writes.
    cursor.execute("PRAGMA foreign_keys = ON")
    cursor.execute("PRAGMA journal_mode = WAL")
    cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.execute("PRAGMA cache_size = -65536")  # 64 MiB of page cache for bulk work
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    # A reader's transaction is deferred (one snapshot, no lock); a writer's takes the write
    # lock at once, waiting up to the busy timeout for the writer holding it.
    write = bool(connection.get_execution_options().get(_WRITE_OPTION, False))
    started = time.monotonic()
    try:
        connection.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
    except RegistryLockedError as locked:
        waited = time.monotonic() - started
        raise RegistryLockedError(
            _locked_message(_shown(connection.engine.url), f"waiting {waited:.1f} s")
        ) from locked.__cause__


def _sqlite_path(url: URL) -> Path | None:
    """Return the file of a SQLite URL; ``None`` for an in-memory database or a URI filename."""
    database = url.database
    if not database or database == ":memory:" or url.query.get("uri") or database[:5] == "file:":
        return None
    return Path(database).expanduser().resolve()


def sqlite_file(engine: Engine) -> Path | None:
    """Return the file of a SQLite registry; ``None`` for PostgreSQL or an in-memory database.

    Engines from :func:`engine_for` open an existing file only (a mistyped path must not leave
    an empty database behind); :func:`dresskit.registry.migrate.upgrade` creates it.
    """
    if engine.dialect.name != "sqlite":
        return None
    return _sqlite_path(engine.url)


def _sqlite_open_existing(
    path: Path, _dialect: object, _record: object, cargs: list[Any], cparams: dict[str, Any]
) -> None:
    # ``do_connect``: open the file read-write, never create it (SQLite URI "mode=rw").
    cargs[:] = [path.as_uri() + "?mode=rw"]
    cparams["uri"] = True


def _check_sqlite_file(path: Path) -> None:
    """Refuse, before connecting, a path SQLite could not use as a registry file."""
    shown = str(path)
    if not path.parent.is_dir():
        raise RegistryUnavailableError(
            f"cannot use {shown} as the registry: its folder {path.parent} does not exist "
            "(create the folder first, or give another --db path)"
        )
    if path.is_dir():
        raise RegistryUnavailableError(
            f"cannot use {shown} as the registry: it is a folder, not a SQLite database file"
        )
    if not path.exists():
        return  # a new registry (``dresskit db init`` creates its tables)
    try:
        with path.open("rb") as file:
            header = file.read(len(_SQLITE_HEADER))
    except OSError as error:
        raise RegistryUnavailableError(
            f"cannot read the registry file {shown}: {error.strerror or error}"
        ) from None
    if header and header != _SQLITE_HEADER:
        raise RegistryUnavailableError(
            f"{shown} is not a SQLite database (it does not start with the SQLite header), "
            f"give a registry made by `dresskit db init`, as {ACCEPTED_URLS}"
        )


def engine_for(url: str | None = None) -> Engine:
    """Create the engine for ``url`` (see :func:`database_url`), with locking and timeouts.

    Parameters
    ----------
    url
        A database URL or SQLite file path; ``None`` for ``DRESSKIT_DATABASE_URL`` or the
        default registry file.

    Returns
    -------
    Engine
        An engine whose database errors that mean "unavailable" are raised as
        :class:`RegistryUnavailableError` (see the module documentation).

    Raises
    ------
    InputError
        For an unsupported URL, or a busy timeout that is not a number of seconds.
    RegistryUnavailableError
        For a SQLite path whose folder does not exist, a folder, a file that is not a SQLite
        database, or a file that cannot be read; for a PostgreSQL URL when the ``psycopg``
        driver is not installed (:data:`POSTGRES_EXTRA_HINT`).

    References
    ----------
    .. [1] SQLAlchemy 2.0 documentation, "Transactions with SQLite and the sqlite3 driver"
       (the ``begin`` event recipe) and ``DialectEvents.handle_error``.
    """
    parsed = make_url(database_url(url))
    timeout = busy_timeout()
    connect_args: dict[str, Any] = {}
    if parsed.get_backend_name() == "sqlite":
        file = _sqlite_path(parsed)
        if file is not None:
            _check_sqlite_file(file)
        connect_args["timeout"] = timeout
    else:
        try:
            import psycopg  # noqa: F401 - only to say what to install when it is missing
        except ImportError as error:  # not installed, or no libpq it can load
            raise RegistryUnavailableError(f"{POSTGRES_EXTRA_HINT} ({error})") from error
        if "connect_timeout" not in parsed.query:
            connect_args["connect_timeout"] = DEFAULT_CONNECT_TIMEOUT_SECONDS
        if "options" not in parsed.query:
            connect_args["options"] = f"-c lock_timeout={round(timeout * 1000)}"
    engine = create_engine(parsed, connect_args=connect_args)
    path = _sqlite_path(parsed) if engine.dialect.name == "sqlite" else None
    if path is not None:
        event.listen(engine, "do_connect", partial(_sqlite_open_existing, path))
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
    translate = partial(_translate, shown=_shown(parsed), timeout=timeout, path=path)
    event.listen(engine, "handle_error", translate)
    _close_when_dropped(engine)
    return engine


def _close_when_dropped(engine: Engine) -> None:
    """Close the engine's idle connections when it is garbage-collected, or at exit.

    A command creates an engine and lets it go; its pooled connections would otherwise be
    closed by the garbage collector (psycopg warns: ResourceWarning) or cut at exit.
    """
    pools = [engine.pool]
    # Engine.dispose() replaces the pool: close the new one too.
    event.listen(engine, "engine_disposed", lambda disposed: pools.append(disposed.pool))
    weakref.finalize(engine, _dispose_pools, pools)


def _dispose_pools(pools: list[Pool]) -> None:
    for pool in pools:
        pool.dispose()


def _shown(url: URL) -> str:
    """How messages name a registry: its file, or its URL without the password."""
    path = _sqlite_path(url) if url.get_backend_name() == "sqlite" else None
    return f"the registry {path if path is not None else safe_url(url)}"


def _locked_message(shown: str, waited: str) -> str:
    return (
        f"{shown} is locked by another writer (an import or a change in progress): gave up "
        f"after {waited}; try again when it has finished, or wait longer with "
        f"{BUSY_TIMEOUT_VARIABLE}=SECONDS"
    )


def _translate(context: ExceptionContext, *, shown: str, timeout: float, path: Path | None) -> None:
    """``handle_error``: raise the registry's own error in place of one that means unavailable."""
    if path is not None and not path.exists():
        raise NotInitialisedError(
            f"there is no registry file {path}: run `dresskit db init` to create it (or check "
            "the path)"
        ) from context.original_exception
    failure = _unavailable(context.original_exception, shown=shown, timeout=timeout)
    if failure is not None:
        raise failure from context.original_exception


def database_failure(error: BaseException) -> DresskitError | None:
    """Return the one-line error that explains a database exception; ``None`` for any other.

    For exceptions that did not go through an engine's translation (a driver cursor used
    directly, or a failure that does not mean "unavailable", such as a broken constraint).

    Parameters
    ----------
    error
        Any exception.

    Returns
    -------
    DresskitError or None
        A :class:`RegistryUnavailableError` (or :class:`RegistryLockedError`) when the
        database could not be reached, opened, written or used; a plain
        :class:`~dresskit.errors.DresskitError` with the database's reason for another
        database error; ``None`` when ``error`` is not a database error.
    """
    original: BaseException = error
    if isinstance(error, DBAPIError) and error.orig is not None:
        original = error.orig
    if not isinstance(error, DBAPIError) and not _is_driver_error(error):
        return None
    try:
        timeout = busy_timeout()
    except InputError:
        timeout = DEFAULT_BUSY_TIMEOUT_SECONDS
    known = _unavailable(original, shown="the registry", timeout=timeout)
    if known is not None:
        return known
    return DresskitError(
        "the registry database failed, and the change in progress was rolled back: "
        + _reason(original)
    )


def _is_driver_error(error: BaseException) -> bool:
    if isinstance(error, sqlite3.Error):
        return True
    try:
        import psycopg
    except ImportError:  # no PostgreSQL driver (the [postgres] extra), so not its error
        return False
    return isinstance(error, psycopg.Error)


def _reason(error: BaseException) -> str:
    """Return the driver's message on one line (libpq adds hints on indented lines)."""
    lines = [line.strip() for line in str(error).splitlines() if line.strip()]
    text = "; ".join(lines) or type(error).__name__
    return text.removeprefix("connection failed: ")


def _unavailable(error: BaseException, *, shown: str, timeout: float) -> DresskitError | None:
    if isinstance(error, sqlite3.Error):
        return _sqlite_unavailable(error, shown=shown, timeout=timeout)
    return _postgres_unavailable(error, shown=shown, timeout=timeout)


_NOT_INITIALISED: Final = (
    "run `dresskit db init` for a new registry, or `dresskit db upgrade` if it was made by an "
    "older dresskit"
)


_OLDER_SCHEMA: Final = "run `dresskit db upgrade` (it was made by an older dresskit)"


def _sqlite_unavailable(
    error: sqlite3.Error, *, shown: str, timeout: float
) -> DresskitError | None:
    extended = getattr(error, "sqlite_errorcode", 0)
    code = extended & 0xFF  # the primary result code
    message = str(error)
    if extended == _SQLITE_BUSY_SNAPSHOT:
        # A transaction that read before it wrote, and another writer committed in between
        # (a writer that did not take the lock at BEGIN): SQLite refuses at once.
        return RegistryLockedError(
            f"another writer changed {shown} after this change began reading it: this change "
            "was rolled back (nothing was written); try again"
        )
    if code in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED):
        return RegistryLockedError(_locked_message(shown, f"the busy timeout of {timeout:g} s"))
    if code == sqlite3.SQLITE_READONLY:
        return RegistryUnavailableError(
            f"{shown} is read-only: dresskit cannot write to it (check the file's and its "
            f"folder's permissions) - {message}"
        )
    if code == sqlite3.SQLITE_FULL:
        return RegistryUnavailableError(
            f"the disk holding {shown} is full: nothing of the change in progress was written"
        )
    if code == sqlite3.SQLITE_NOTADB:
        return RegistryUnavailableError(
            f"{shown} is not a SQLite database: give a registry made by `dresskit db init`"
        )
    if code == sqlite3.SQLITE_CORRUPT:
        return RegistryUnavailableError(f"{shown} is damaged ({message}): restore it from a backup")
    if code in (sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_PERM, sqlite3.SQLITE_IOERR):
        return RegistryUnavailableError(
            f"cannot open {shown}: {message} (check the path, its folder and permissions)"
        )
    if message.startswith("no such table:"):
        return NotInitialisedError(
            f"{shown} has no registry tables ({message}): {_NOT_INITIALISED}"
        )
    if message.startswith("no such column:"):
        return NotInitialisedError(f"{shown} has an older schema ({message}): {_OLDER_SCHEMA}")
    return None


def _postgres_unavailable(
    error: BaseException, *, shown: str, timeout: float
) -> DresskitError | None:
    try:
        import psycopg
    except ImportError:  # no PostgreSQL driver (the [postgres] extra), so not its error
        return None
    if not isinstance(error, psycopg.Error):
        return None
    state = error.sqlstate or ""
    reason = _reason(error)
    if state == "55P03":  # lock_not_available: lock_timeout expired
        return RegistryLockedError(_locked_message(shown, f"waiting {timeout:g} s (lock_timeout)"))
    if state in ("40001", "40P01"):  # serialization failure, deadlock
        return RegistryLockedError(
            f"a concurrent change to {shown} conflicted with this one, which was rolled back "
            f"(nothing was written): try again - {reason}"
        )
    if state == "42P01":  # undefined_table
        return NotInitialisedError(f"{shown} has no registry tables ({reason}): {_NOT_INITIALISED}")
    if state == "42703":  # undefined_column: made by an older dresskit
        return NotInitialisedError(f"{shown} has an older schema ({reason}): {_OLDER_SCHEMA}")
    if state.startswith("53"):  # insufficient resources: disk full, out of memory
        return RegistryUnavailableError(
            f"the PostgreSQL server of {shown} ran out of resources, and the change in "
            f"progress was rolled back: {reason}"
        )
    if state == "25006":  # read_only_sql_transaction (a standby, or a read-only default)
        return RegistryUnavailableError(f"{shown} is read-only: {reason}")
    if state == "42501":  # insufficient_privilege
        return RegistryUnavailableError(f"the database user may not do this on {shown}: {reason}")
    if state.startswith(("08", "28", "3D", "57P")) or (
        not state and isinstance(error, psycopg.OperationalError)
    ):
        hint = ""
        if "timeout" in reason.lower():
            hint = (
                " (connecting gives up after connect_timeout seconds, "
                f"{DEFAULT_CONNECT_TIMEOUT_SECONDS} by default; set connect_timeout=SECONDS in "
                "the URL to wait longer)"
            )
        return RegistryUnavailableError(f"cannot reach {shown}: {reason}{hint}")
    return None
