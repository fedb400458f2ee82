"""The registry's tables (SQLAlchemy Core; mapped as ORM classes in :mod:`.records`).

One table per bundle table, with the bundle's columns (declared once in
:mod:`dresskit.bundle.schema`) plus what a registry needs: surrogate keys (none on observations:
their episode and their order within it), foreign keys with cascading deletes from an
episode to its rows, a ``version`` on patients and episodes for optimistic locking, creation
and update times, and the append-only, hash-chained ``audit_log`` with its recorded head
(``audit_head``). Alembic migrations (``registry/migrations``) create these tables; a test
checks that the migrated database and this metadata agree.

Values are stored as the bundle holds them after validation: canonical units, codes as text,
dates as dates, times as ``HH:MM`` text (so both SQLite and PostgreSQL keep them exactly).
"""

from __future__ import annotations

from typing import Any, Final

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeEngine

from dresskit.bundle.schema import TABLES

__all__ = ["CHILD_TABLES", "ROW_ORDER", "load_order", "metadata", "table"]

metadata: Final = MetaData()


def _sql_type(kind: str) -> TypeEngine[Any]:
    """Return the column type for a bundle column kind (times stay "HH:MM" text)."""
    types: dict[str, TypeEngine[Any]] = {
        "text": Text(),
        "id": String(200),
        "code": String(),
        "date": Date(),
        "time": String(5),
        "number": Float(),
        "integer": Integer(),
    }
    return types[kind]


#: Tables whose rows belong to one episode (replaced as a whole when an episode is imported).
CHILD_TABLES: Final = (
    "drug_exposures",
    "drug_assessments",
    "observations",
    "findings",
    "treatments",
)


def _columns(name: str, *, skip: tuple[str, ...] = ()) -> list[Column[object]]:
    columns: list[Column[object]] = []
    for declared in TABLES[name]:
        if declared.name in skip:
            continue
        columns.append(
            Column(declared.name, _sql_type(declared.kind), nullable=not declared.required)
        )
    return columns


def _timestamps() -> list[Column[object]]:
    return [
        Column("created_at", DateTime(timezone=True), nullable=False),
        Column("updated_at", DateTime(timezone=True), nullable=False),
    ]


Table(
    "manifest",
    metadata,
    Column("key", String(200), primary_key=True),
    Column("value", Text, nullable=False),
)

Table(
    "patients",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("patient_id", String(200), nullable=False, unique=True),
    *_columns("patients", skip=("patient_id",)),
    Column("version", Integer, nullable=False, default=1),
    *_timestamps(),
)

Table(
    "episodes",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("episode_id", String(200), nullable=False, unique=True),
    Column(
        "patient_id",
        String(200),
        ForeignKey("patients.patient_id", ondelete="RESTRICT"),
        nullable=False,
    ),
    *_columns("episodes", skip=("episode_id", "patient_id")),
    Column("version", Integer, nullable=False, default=1),
    # The fingerprint of the episode's content as last written (dresskit.bundle.fingerprints),
    # so that an identical re-import changes nothing; NULL until the episode is next written.
    Column("content_hash", String(80), nullable=True),
    *_timestamps(),
)

#: The observations' episode id compares byte by byte on PostgreSQL (``COLLATE "C"``,
#: migration 0005): its index (tens of millions of rows) is built and searched with plain
#: byte comparisons instead of the locale's rules (about 1.25x faster, docs/benchmarks.md),
#: and ids are opaque codes whose order means nothing (PostgreSQL 15 documentation §24.2
#: "Collation Support", §14.4 "Populating a Database"). SQLite compares text bytewise
#: already (BINARY).
_OBSERVATION_EPISODE_ID: Final = String(200).with_variant(String(200, collation="C"), "postgresql")

#: The column that orders an observation within its episode: the row's position in the
#: import that wrote the episode (0, 1, ...), supplied by the import itself (migration 0006).
#: Only its order among one episode's rows means something.
ROW_ORDER: Final = "row_order"

for _name in CHILD_TABLES:
    if _name == "observations":
        # No surrogate key and no primary key (migration 0006): an observation is one of its
        # episode's rows, found by the episode index and ordered by ``row_order``. A bulk
        # import then builds one index on the largest table (the episode index, small
        # because btree deduplication stores each episode id once) instead of two, and no
        # sequence hands out ids row by row.
        Table(
            _name,
            metadata,
            Column(
                "episode_id",
                _OBSERVATION_EPISODE_ID,
                ForeignKey("episodes.episode_id", ondelete="CASCADE"),
                nullable=False,
            ),
            Column(ROW_ORDER, Integer, nullable=False),
            *_columns(_name, skip=("episode_id",)),
            Index(f"ix_{_name}_episode_id", "episode_id"),
        )
        continue
    Table(
        _name,
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=True),
        Column(
            "episode_id",
            String(200),
            ForeignKey("episodes.episode_id", ondelete="CASCADE"),
            nullable=False,
        ),
        *_columns(_name, skip=("episode_id",)),
        Index(f"ix_{_name}_episode_id", "episode_id"),
    )

Table(
    "audit_log",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("at", DateTime(timezone=True), nullable=False),
    Column("actor", String(200), nullable=False),
    Column("action", String(20), nullable=False),
    Column("entity", String(50), nullable=False),
    Column("entity_id", String(200), nullable=True),
    Column("before", Text, nullable=True),
    Column("after", Text, nullable=True),
    Column("previous_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
    UniqueConstraint("hash", name="uq_audit_log_hash"),
)


#: The audit trail's recorded head: one row (id 1) holding how many records the log has and
#: the newest one's hash, updated in the same transaction as every append, so a log cut short,
#: emptied or replaced no longer matches it (:func:`dresskit.registry.audit.verify`).
Table(
    "audit_head",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=False),
    Column("records", Integer, nullable=False),
    Column("hash", String(64), nullable=False),
    CheckConstraint("id = 1", name="ck_audit_head_single_row"),
)


#: Sites (hospitals or units) work like REDCap data access groups: every patient belongs to
#: one site, and a user sees only the patients of the sites granted (docs/security.md).
Table(
    "sites",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("title", String(200), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
)

#: The site of each patient (a registry fact, not part of the bundle format).
Table(
    "patient_sites",
    metadata,
    Column(
        "patient_id",
        String(200),
        ForeignKey("patients.patient_id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("site", String(64), ForeignKey("sites.name"), nullable=False),
    Index("ix_patient_sites_site", "site"),
)

#: Accounts of the web application and API. ``password_hash`` is argon2id (PHC string) or
#: NULL until the one-time setup link is used; ``setup_token_hash`` is the SHA-256 of that
#: link's token. ``failed_sign_ins`` and ``locked_until`` throttle guessing.
Table(
    "users",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column("username", String(64), nullable=False, unique=True),
    Column("role", String(20), nullable=False),
    Column("password_hash", String(200), nullable=True),
    Column("setup_token_hash", String(64), nullable=True),
    Column("setup_expires_at", DateTime(timezone=True), nullable=True),
    Column("active", Boolean, nullable=False),
    Column("failed_sign_ins", Integer, nullable=False),
    Column("locked_until", DateTime(timezone=True), nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("password_changed_at", DateTime(timezone=True), nullable=True),
)

#: The sites each user may see.
Table(
    "user_sites",
    metadata,
    Column(
        "username",
        String(64),
        ForeignKey("users.username", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column("site", String(64), ForeignKey("sites.name", ondelete="CASCADE"), primary_key=True),
)

#: Signed-in browser sessions: only the SHA-256 of the cookie's random value is stored.
Table(
    "web_sessions",
    metadata,
    Column("token_hash", String(64), primary_key=True),
    Column(
        "username",
        String(64),
        ForeignKey("users.username", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("csrf_token", String(64), nullable=False),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("expires_at", DateTime(timezone=True), nullable=False),
    Index("ix_web_sessions_username", "username"),
)

#: Personal API tokens: the SHA-256 of the token is stored, never the token.
Table(
    "api_tokens",
    metadata,
    Column("id", Integer, primary_key=True, autoincrement=True),
    Column(
        "username",
        String(64),
        ForeignKey("users.username", ondelete="CASCADE"),
        nullable=False,
    ),
    Column("name", String(100), nullable=False),
    Column("token_hash", String(64), nullable=False, unique=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("last_used_at", DateTime(timezone=True), nullable=True),
    Column("revoked_at", DateTime(timezone=True), nullable=True),
)

#: Secrets the application generates for itself (the key of researchers' pseudonyms).
Table(
    "app_secrets",
    metadata,
    Column("name", String(64), primary_key=True),
    Column("value", String(200), nullable=False),
)

#: Cohort report jobs built in the background (the web application and the API).
Table(
    "report_jobs",
    metadata,
    Column("id", String(32), primary_key=True),
    Column("username", String(64), nullable=False),
    Column("state", String(20), nullable=False),
    Column("progress", Text, nullable=False),
    Column("parameters", Text, nullable=False),
    Column("error", Text, nullable=True),
    Column("created_at", DateTime(timezone=True), nullable=False),
    Column("finished_at", DateTime(timezone=True), nullable=True),
)


def table(name: str) -> Table:
    """Return the registry table ``name``."""
    return metadata.tables[name]


def load_order(name: str) -> list[str]:
    """Return the columns table ``name`` is read back in order of.

    ``id`` (insertion order) for most tables; ``key`` for the manifest; ``(episode_id,
    row_order)`` for observations (by episode, then as imported).
    """
    if name == "observations":
        return ["episode_id", ROW_ORDER]
    return [column.name for column in table(name).primary_key.columns]
