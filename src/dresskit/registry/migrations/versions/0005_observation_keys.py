"""Observations' keys made cheap to write on PostgreSQL (issue 11: import speed).

Two changes, both on PostgreSQL only (SQLite needs neither) and neither visible in the data:

- ``observations.episode_id`` is compared byte by byte (``COLLATE "C"``) instead of by the
  database's locale: an id is an opaque code whose order means nothing, and the episode
  index over tens of millions of observation rows is then built with plain byte comparisons
  (and abbreviated keys), 1.2-1.3x faster on every import that rebuilds it
  (docs/benchmarks.md). Equality, and so every lookup and the foreign key to ``episodes``,
  is unchanged: both collations are deterministic. PostgreSQL rebuilds the column's index
  and rechecks the foreign key once, when this revision runs. SQLite compares text
  bytewise already (BINARY).
- The sequence behind ``observations.id`` hands out :data:`OBSERVATION_ID_CACHE` values per
  call to each session (``CACHE``) instead of one: a ``COPY`` of millions of rows no longer
  updates the sequence row after row (the ``COPY`` of 10.8 million observation rows about
  1.3x faster, as fast as into a table without the column; docs/benchmarks.md). Ids stay
  unique and increase within each session, so the rows one import or edit writes keep their
  order; a session that ends returns nothing, so at most ``OBSERVATION_ID_CACHE - 1`` ids
  are skipped per session (gaps were already possible after a rollback), far from the 2^31
  of the column.

References: PostgreSQL 15 documentation, §24.2 "Collation Support" (the C collation: byte
order, deterministic); CREATE SEQUENCE, ``CACHE`` ("how many sequence numbers are to be
preallocated and stored in memory for faster access", and its Notes: values stay unique,
each session's increase, numbers a session does not use are lost); §14.4 "Populating a
Database".

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: Ids of ``observations.id`` a session takes from the sequence at a time (measured: 100
#: already gives a ``COPY`` as fast as one without the column; more only skips more ids).
OBSERVATION_ID_CACHE: Final = 100


def _id_sequence() -> str:
    """Return the sequence behind ``observations.id`` (quoted and qualified by PostgreSQL)."""
    name = op.get_bind().execute(sa.text("SELECT pg_get_serial_sequence('observations', 'id')"))
    return str(name.scalar_one())


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.alter_column(
        "observations",
        "episode_id",
        type_=sa.String(200, collation="C"),
        existing_type=sa.String(200),
        existing_nullable=False,
    )
    op.execute(f"ALTER SEQUENCE {_id_sequence()} CACHE {OBSERVATION_ID_CACHE}")


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(f"ALTER SEQUENCE {_id_sequence()} CACHE 1")
    op.alter_column(
        "observations",
        "episode_id",
        type_=sa.String(200),
        existing_type=sa.String(200, collation="C"),
        existing_nullable=False,
    )
