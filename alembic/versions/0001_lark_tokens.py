"""Access tokens shared by every process: lark_tokens.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None


def _schema() -> str | None:
    # env.py puts the version table in the target schema; the tables follow it.
    return op.get_context().version_table_schema


def upgrade() -> None:
    op.create_table(
        "lark_tokens",
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("kind", sa.Text(), nullable=False),
        # Fernet ciphertext (url-safe base64 text): never the token itself.
        sa.Column("value_enc", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),
        sa.Column("lifetime", sa.Double(), nullable=False),
        sa.Column("fetched_at", sa.Double(), nullable=False),
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("app_id", "kind", name="lark_tokens_pkey"),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_table("lark_tokens", schema=_schema())
