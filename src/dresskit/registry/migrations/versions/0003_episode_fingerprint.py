"""Each episode's content fingerprint, so that re-importing identical data writes nothing.

``episodes.content_hash`` holds :func:`dresskit.bundle.fingerprints.episode_fingerprints` of
the episode as last written. Existing episodes get none (NULL): the next import of each
writes it once (a NULL never equals a fingerprint), and is then idempotent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 12:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("episodes") as batch:
        batch.add_column(sa.Column("content_hash", sa.String(length=80), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("episodes") as batch:
        batch.drop_column("content_hash")
