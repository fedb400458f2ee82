"""The audit trail's recorded head: one row with the number of records and the newest hash.

Back-filled from the log as it is when the migration runs (an empty log: 0 records and the
genesis hash), so ``dresskit audit verify`` can tell a log cut short, emptied or replaced.
On PostgreSQL the log is locked against new records meanwhile, so none slips in between the
count and the hash.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-02 09:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

#: The "previous hash" of the first record (dresskit.registry.audit.GENESIS), written out:
#: a migration stays as it was written even if the code changes later.
_GENESIS = "0" * 64


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "audit_head",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("records", sa.Integer(), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.CheckConstraint("id = 1", name="ck_audit_head_single_row"),
        sa.PrimaryKeyConstraint("id"),
    )
    if op.get_bind().dialect.name == "postgresql":
        # SHARE mode: readers go on, writers of the log wait until this commits.
        op.execute("LOCK TABLE audit_log IN SHARE MODE")
    op.execute(
        sa.text(
            "INSERT INTO audit_head (id, records, hash) SELECT 1, "
            "(SELECT COUNT(*) FROM audit_log), "
            "COALESCE((SELECT hash FROM audit_log ORDER BY id DESC LIMIT 1), :genesis)"
        ).bindparams(genesis=_GENESIS)
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("audit_head")
