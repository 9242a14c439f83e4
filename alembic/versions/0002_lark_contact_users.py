"""The contact service's user cache: lark_contact_users.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def _schema() -> str | None:
    # env.py puts the version table in the target schema; the tables follow it.
    return op.get_context().version_table_schema


def upgrade() -> None:
    op.create_table(
        "lark_contact_users",
        # Per app: the same person has a different open_id in each app.
        sa.Column("app_id", sa.Text(), nullable=False),
        # How the person was looked up: "email:...", "mobile:...", "open_id:...".
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),  # the user as JSON
        sa.Column("fetched_at", sa.Double(), nullable=False),  # client clock, epoch seconds
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("app_id", "key", name="lark_contact_users_pkey"),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_table("lark_contact_users", schema=_schema())
