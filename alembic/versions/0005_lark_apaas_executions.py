"""The aPaaS service's workflow execution records: lark_apaas_executions.

The API has no endpoint that queries an execution, so the client records each
one it starts; get_workflow_status reads the record back, from any process.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa

from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | None = None
depends_on: str | None = None


def _schema() -> str | None:
    # env.py puts the version table in the target schema; the tables follow it.
    return op.get_context().version_table_schema


def upgrade() -> None:
    op.create_table(
        "lark_apaas_executions",
        sa.Column("app_id", sa.Text(), nullable=False),
        sa.Column("execution_id", sa.Text(), nullable=False),
        sa.Column("data", sa.Text(), nullable=False),  # the WorkflowExecution as JSON
        sa.Column("started_at", sa.Double(), nullable=False),  # client clock, epoch seconds
        sa.Column(
            "updated_at",
            sa.TIMESTAMP(timezone=True),
            server_default=sa.func.now(),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("app_id", "execution_id", name="lark_apaas_executions_pkey"),
        schema=_schema(),
    )


def downgrade() -> None:
    op.drop_table("lark_apaas_executions", schema=_schema())
