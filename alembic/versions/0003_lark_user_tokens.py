"""Users' grants (encrypted tokens) and authorisation sessions (lark_user_tokens, ...).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def _schema() -> str | None:
    # env.py puts the version table in the target schema; the tables follow it.
    return op.get_context().version_table_schema


def upgrade() -> None:
    op.create_table(
        "lark_user_tokens",
        # Per app: the same person has a different open_id in each app.
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("open_id", sa.Text(), nullable=False),
        sa.Column("access_enc", sa.Text(), nullable=False),  # Fernet ciphertext
        sa.Column("refresh_enc", sa.Text(), nullable=False),  # Fernet ciphertext, "" if none
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("lifetime", sa.Double(), nullable=False),
        sa.Column("refresh_expires_at", sa.Double(), nullable=False),
        sa.Column("fetched_at", sa.Double(), nullable=False),
        sa.Column("scope", sa.Text(), nullable=False),
        sa.Column("redirect_uri", sa.Text(), nullable=False),
        sa.Column("generation", sa.BigInteger(), nullable=False),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("app_id", "open_id", name="lark_user_tokens_pkey"),
        schema=_schema(),
    )
    op.create_table(
        "lark_user_auth_sessions",
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("session_id", sa.Text(), nullable=False),
        sa.Column("status", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),  # JSON, no secret in it
        sa.PrimaryKeyConstraint("app_id", "session_id", name="lark_user_auth_sessions_pkey"),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_table("lark_user_auth_sessions", schema=_schema())
    op.drop_table("lark_user_tokens", schema=_schema())
