"""Observations without a surrogate key: ordered within their episode by ``row_order``.

``observations`` loses its primary key and the sequence behind ``id``; the column becomes
``row_order``, which orders an episode's rows. An import supplies it (each row's position in
the import, 0, 1, ...); an existing registry keeps its ids as the order, so every episode's
rows load back in the order they were imported, as before. Rows are read back grouped by
episode (episode ids in byte order), no longer in one order across episodes. The episode
index and the foreign key to ``episodes`` (``ON DELETE CASCADE``) stay, and on PostgreSQL the
episode id's "C" collation (revision 0005).

Why (issue 11: speed): a bulk import into the table rebuilt two indexes over tens of millions
of rows, the primary key on ``id`` and the episode index, and asked a sequence for every id.
The primary key guarded nothing of the data (a number the database made up); the episode
index, deduplicated by the btree (one entry per episode id, PostgreSQL 13+), is 78 MB against
325 MB for a key on (episode id, row) over 10.8 million rows, and builds in about half its
time (docs/benchmarks.md). What an observation is stays guarded: not null columns, the
foreign key to its episode, and validation of every bundle before it is written.

On PostgreSQL nothing is rewritten: the key and the sequence are dropped, the column renamed.
SQLite cannot drop a primary key in place: the table is rebuilt (created anew, filled,
renamed). Downgrading gives the rows new ids in (episode, row order) order.

References: PostgreSQL 15 documentation, §14.4 "Populating a Database" (load, then build
indexes and foreign keys), §67.4.3 "Deduplication" (B-tree); SQLite documentation, "ALTER
TABLE", §7 "Making Other Kinds Of Table Schema Changes" (create, copy, drop, rename).

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 17:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Final

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The bundle columns of ``observations`` after its episode id (as revision 0001 made them).
_VALUES: Final = ("date", "time", "code", "value", "unit", "text")
#: Ids of ``observations.id`` a PostgreSQL session takes at a time (revision 0005).
_ID_CACHE: Final = 100
_INDEX: Final = "ix_observations_episode_id"


def _value_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
    ]


def _foreign_key() -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["episode_id"],
        ["episodes.episode_id"],
        name="observations_episode_id_fkey",
        ondelete="CASCADE",
    )


def upgrade() -> None:
    """Apply this revision."""
    if op.get_bind().dialect.name == "postgresql":
        sequence = op.get_bind().execute(
            sa.text("SELECT pg_get_serial_sequence('observations', 'id')")
        )
        name = sequence.scalar_one()
        op.execute("ALTER TABLE observations DROP CONSTRAINT observations_pkey")
        op.execute("ALTER TABLE observations ALTER COLUMN id DROP DEFAULT")
        op.execute(f"DROP SEQUENCE {name}")
        op.execute("ALTER TABLE observations RENAME COLUMN id TO row_order")
        return
    op.create_table(
        "observations_new",
        sa.Column("episode_id", sa.String(length=200), nullable=False),
        sa.Column("row_order", sa.Integer(), nullable=False),
        *_value_columns(),
        _foreign_key(),
    )
    values = ", ".join(_VALUES)
    op.execute(
        f"INSERT INTO observations_new (episode_id, row_order, {values}) "
        f"SELECT episode_id, id, {values} FROM observations"
    )
    op.drop_index(_INDEX, table_name="observations")
    op.drop_table("observations")
    op.rename_table("observations_new", "observations")
    op.create_index(_INDEX, "observations", ["episode_id"], unique=False)


def downgrade() -> None:
    """Revert this revision (rows get new ids in (episode, row order) order)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    episode_id = sa.String(length=200, collation="C") if postgres else sa.String(length=200)
    op.create_table(
        "observations_old",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("episode_id", episode_id, nullable=False),
        *_value_columns(),
        *([] if postgres else [_foreign_key()]),
        # Named apart until the new table's own is dropped (PostgreSQL index names are global).
        sa.PrimaryKeyConstraint("id", name="observations_old_pkey"),
    )
    values = ", ".join(_VALUES)
    op.execute(
        f"INSERT INTO observations_old (episode_id, {values}) "
        f"SELECT episode_id, {values} FROM observations ORDER BY episode_id, row_order"
    )
    op.drop_index(_INDEX, table_name="observations")
    op.drop_table("observations")
    op.rename_table("observations_old", "observations")
    op.create_index(_INDEX, "observations", ["episode_id"], unique=False)
    if postgres:
        op.execute(
            "ALTER TABLE observations RENAME CONSTRAINT observations_old_pkey TO observations_pkey"
        )
        op.execute(
            "ALTER TABLE observations ADD CONSTRAINT observations_episode_id_fkey "
            "FOREIGN KEY (episode_id) REFERENCES episodes (episode_id) ON DELETE CASCADE"
        )
        # The sequence keeps the name it was made with; give it the table's name back.
        op.execute("ALTER SEQUENCE observations_old_id_seq RENAME TO observations_id_seq")
        op.execute(f"ALTER SEQUENCE observations_id_seq CACHE {_ID_CACHE}")
