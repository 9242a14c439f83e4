"""State shared by every process: rate-limit lanes and the callback memories.

lark_rate_lanes: per (app, family), when the next call slot is free (the
database's clock); processes lease slices of slots from it.
lark_callback_replay: the ingress's replay memory (nonces, event ids) until
it expires (the signature window).
lark_callback_events: the workers' processed-event memory: a claim with a
lease while a handler runs, done after.

Revision ID: 0004
Revises: 0002 (0003 once the user-token revision lands)
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0004"
# The user-token revision 0003 is being written in parallel: the chain becomes
# 0002 -> 0003 -> 0004 when it lands (then this says "0003").
down_revision: str | None = "0003"
branch_labels: str | None = None
depends_on: str | None = None


def _schema() -> str | None:
    # env.py puts the version table in the target schema; the tables follow it.
    return op.get_context().version_table_schema


def _updated_at() -> sa.Column[object]:
    return sa.Column(
        "updated_at", sa.TIMESTAMP(timezone=True), server_default=sa.func.now(), nullable=False
    )


def upgrade() -> None:
    schema = _schema()
    op.create_table(
        "lark_rate_lanes",
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("family", sa.Text(), nullable=False),
        sa.Column("next_free", sa.Double(), nullable=False),  # epoch seconds, database clock
        _updated_at(),
        sa.PrimaryKeyConstraint("app_id", "family", name="lark_rate_lanes_pkey"),
        schema=schema,
    )
    op.create_table(
        "lark_callback_replay",
        # "nonce:<app>:<nonce>" or "event:<app>:<event_id>"
        sa.Column("key", sa.Text(), nullable=False),
        sa.Column("expires_at", sa.Double(), nullable=False),  # epoch seconds, database clock
        sa.PrimaryKeyConstraint("key", name="lark_callback_replay_pkey"),
        schema=schema,
    )
    op.create_index(
        "lark_callback_replay_expires", "lark_callback_replay", ["expires_at"], schema=schema
    )
    op.create_table(
        "lark_callback_events",
        sa.Column("event_id", sa.Text(), nullable=False),
        sa.Column("state", sa.Text(), nullable=False),  # 'claimed' or 'done'
        sa.Column("claimed_by", sa.Text(), nullable=True),
        sa.Column("lease_until", sa.Double(), nullable=False),  # epoch seconds
        sa.Column("claims", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("expires_at", sa.Double(), nullable=False),  # forgotten after (epoch)
        _updated_at(),
        sa.PrimaryKeyConstraint("event_id", name="lark_callback_events_pkey"),
        schema=schema,
    )
    op.create_index(
        "lark_callback_events_expires", "lark_callback_events", ["expires_at"], schema=schema
    )


def downgrade() -> None:
    schema = _schema()
    op.drop_table("lark_callback_events", schema=schema)
    op.drop_table("lark_callback_replay", schema=schema)
    op.drop_table("lark_rate_lanes", schema=schema)
