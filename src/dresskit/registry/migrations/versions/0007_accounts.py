"""Accounts, sites, sessions, API tokens and report jobs of the web application.

Every existing patient is put in the site ``main`` ("Main site"), created here, so that a
registry written before sites keeps all its patients visible to the users granted ``main``.
No account is created: the first admin comes from ``dresskit user add`` or the one-time
setup link that ``dresskit serve`` prints (there are no default passwords).

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 18:00:00.000000
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ZONED = sa.DateTime(timezone=True)


def upgrade() -> None:
    """Apply this revision."""
    sites = op.create_table(
        "sites",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("created_at", _ZONED, nullable=False),
    )
    op.create_table(
        "patient_sites",
        sa.Column(
            "patient_id",
            sa.String(200),
            sa.ForeignKey("patients.patient_id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("site", sa.String(64), sa.ForeignKey("sites.name"), nullable=False),
    )
    op.create_index("ix_patient_sites_site", "patient_sites", ["site"])
    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=True),
        sa.Column("setup_token_hash", sa.String(64), nullable=True),
        sa.Column("setup_expires_at", _ZONED, nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False),
        sa.Column("locked_until", _ZONED, nullable=True),
        sa.Column("created_at", _ZONED, nullable=False),
        sa.Column("password_changed_at", _ZONED, nullable=True),
    )
    op.create_table(
        "user_sites",
        sa.Column(
            "username",
            sa.String(64),
            sa.ForeignKey("users.username", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column(
            "site",
            sa.String(64),
            sa.ForeignKey("sites.name", ondelete="CASCADE"),
            primary_key=True,
        ),
    )
    op.create_table(
        "web_sessions",
        sa.Column("token_hash", sa.String(64), primary_key=True),
        sa.Column(
            "username",
            sa.String(64),
            sa.ForeignKey("users.username", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _ZONED, nullable=False),
        sa.Column("expires_at", _ZONED, nullable=False),
    )
    op.create_index("ix_web_sessions_username", "web_sessions", ["username"])
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column(
            "username",
            sa.String(64),
            sa.ForeignKey("users.username", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("created_at", _ZONED, nullable=False),
        sa.Column("last_used_at", _ZONED, nullable=True),
        sa.Column("revoked_at", _ZONED, nullable=True),
    )
    op.create_table(
        "app_secrets",
        sa.Column("name", sa.String(64), primary_key=True),
        sa.Column("value", sa.String(200), nullable=False),
    )
    op.create_table(
        "report_jobs",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("progress", sa.Text(), nullable=False),
        sa.Column("parameters", sa.Text(), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.Column("created_at", _ZONED, nullable=False),
        sa.Column("finished_at", _ZONED, nullable=True),
    )
    op.bulk_insert(sites, [{"name": "main", "title": "Main site", "created_at": datetime.now(UTC)}])
    op.execute(
        "INSERT INTO patient_sites (patient_id, site) SELECT patient_id, 'main' FROM patients"
    )


def downgrade() -> None:
    """Revert this revision."""
    for name in ("report_jobs", "app_secrets", "api_tokens", "web_sessions", "user_sites", "users"):
        op.drop_table(name)
    op.drop_index("ix_patient_sites_site", "patient_sites")
    op.drop_table("patient_sites")
    op.drop_table("sites")
