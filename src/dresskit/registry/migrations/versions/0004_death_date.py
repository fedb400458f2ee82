"""Each episode's date of death (``episodes.death_date``, docs/data-format.md).

The bundle records a date of death when the outcome is ``died`` (required then, empty
otherwise, on or before the last follow-up). Existing episodes get NULL: nothing is invented
in the database. An existing ``died`` episode without a date keeps loading: the registry
reads its last follow-up date as the date of death and warns, naming the episode
(:func:`dresskit.registry.loading.legacy_deaths`), until a date is set with
``dresskit episode update`` or the episode is imported again.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 16:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(sa.Column("death_date", sa.Date(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("death_date")
