"""Observations keyed by episode and row number, without a surrogate id (issue 11: speed).

``observations`` loses its ``id`` column (and the sequence behind it) and its separate
episode index. Its primary key becomes ``(episode_id, row_in_episode)``: the row's position
within its episode (1, 2, ...), which the import supplies. That key's index also finds an
episode's rows, so a bulk import rebuilds one index on the largest table instead of two, and
the ``COPY`` asks no sequence for ids (on 10.8 million rows about 2 s less per import on
PostgreSQL, docs/benchmarks.md). An existing registry keeps every row: each episode's rows
are numbered in their ``id`` order, the order they were imported in, so they load back in
the same order within each episode. Rows are now read back by this key (grouped by episode),
no longer in one order across episodes.

The table is rebuilt (created anew, filled, renamed), the only way SQLite changes a primary
key, and on PostgreSQL cheaper than rewriting every row in place; the foreign key to
``episodes`` (``ON DELETE CASCADE``) and, on PostgreSQL, the episode id's "C" collation
(revision 0005) are kept, under PostgreSQL's default constraint names that the import uses.

Downgrading gives the rows new ids in key order (episode by episode): the order across
episodes the ids once recorded is not kept.

References: PostgreSQL 15 documentation, §14.4 "Populating a Database" (load, then build
indexes and foreign keys); SQLite documentation, "ALTER TABLE", §7 "Making Other Kinds Of
Table Schema Changes" (create, copy, drop, rename).

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

#: The bundle columns of ``observations`` after its key (as revision 0001 created them).
_VALUES: Final = ("date", "time", "code", "value", "unit", "text")
#: Ids of ``observations.id`` a PostgreSQL session takes at a time (revision 0005).
_ID_CACHE: Final = 100


def _value_columns() -> list[sa.Column[object]]:
    return [
        sa.Column("date", sa.Date(), nullable=False),
        sa.Column("time", sa.String(length=5), nullable=True),
        sa.Column("code", sa.String(), nullable=False),
        sa.Column("value", sa.Float(), nullable=True),
        sa.Column("unit", sa.Text(), nullable=True),
        sa.Column("text", sa.Text(), nullable=True),
    ]


def _episode_id(postgres: bool) -> sa.Column[object]:
    kind = sa.String(length=200, collation="C") if postgres else sa.String(length=200)
    return sa.Column("episode_id", kind, nullable=False)


def _constraints(postgres: bool, key: list[str]) -> list[sa.Constraint]:
    """Return the new table's constraints (PostgreSQL's are added or renamed after the swap).

    PostgreSQL makes ``id`` a ``SERIAL`` only as part of the primary key given here, under a
    name of its own until the old table (and its ``observations_pkey``) is gone.
    """
    if postgres:
        return (
            [sa.PrimaryKeyConstraint("id", name="observations_new_pkey")] if key == ["id"] else []
        )
    return [
        sa.ForeignKeyConstraint(["episode_id"], ["episodes.episode_id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint(*key),
    ]


def _swap(postgres: bool, key: list[str]) -> None:
    """Replace ``observations`` by the filled ``observations_new``; name its constraints."""
    op.drop_table("observations")
    op.rename_table("observations_new", "observations")
    if not postgres:
        return
    if key == ["id"]:
        op.execute(
            "ALTER TABLE observations RENAME CONSTRAINT observations_new_pkey TO observations_pkey"
        )
    else:
        columns = ", ".join(key)
        op.execute(
            f"ALTER TABLE observations ADD CONSTRAINT observations_pkey PRIMARY KEY ({columns})"
        )
    op.execute(
        "ALTER TABLE observations ADD CONSTRAINT observations_episode_id_fkey "
        "FOREIGN KEY (episode_id) REFERENCES episodes (episode_id) ON DELETE CASCADE"
    )


def upgrade() -> None:
    """Apply this revision."""
    postgres = op.get_bind().dialect.name == "postgresql"
    key = ["episode_id", "row_in_episode"]
    op.create_table(
        "observations_new",
        _episode_id(postgres),
        sa.Column("row_in_episode", sa.Integer(), autoincrement=False, nullable=False),
        *_value_columns(),
        *_constraints(postgres, key),
    )
    values = ", ".join(_VALUES)
    op.execute(
        f"INSERT INTO observations_new (episode_id, row_in_episode, {values}) "
        "SELECT episode_id, row_number() OVER (PARTITION BY episode_id ORDER BY id), "
        f"{values} FROM observations"
    )
    op.drop_index("ix_observations_episode_id", table_name="observations")
    _swap(postgres, key)


def downgrade() -> None:
    """Revert this revision (rows get new ids, episode by episode, in key order)."""
    postgres = op.get_bind().dialect.name == "postgresql"
    op.create_table(
        "observations_new",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        _episode_id(postgres),
        *_value_columns(),
        *_constraints(postgres, ["id"]),
    )
    values = ", ".join(_VALUES)
    op.execute(
        f"INSERT INTO observations_new (episode_id, {values}) "
        f"SELECT episode_id, {values} FROM observations ORDER BY episode_id, row_in_episode"
    )
    _swap(postgres, ["id"])
    op.create_index("ix_observations_episode_id", "observations", ["episode_id"], unique=False)
    if postgres:
        # The sequence keeps the name it was made with; give it the table's name back.
        op.execute("ALTER SEQUENCE observations_new_id_seq RENAME TO observations_id_seq")
        op.execute(f"ALTER SEQUENCE observations_id_seq CACHE {_ID_CACHE}")
