"""Where ``lark.apaas`` records the workflow executions it starts.

The API offers no execution query, so this record is the only source of
``get_workflow_status``. A row is ``(app_id, execution_id) -> (data,
started_at)``: ``data`` is the :class:`~lark_async.apaas.models.WorkflowExecution`
as JSON text. :func:`store_for` picks the store from the client's state URL:
memory by default (a restart loses the records), SQLite (``sqlite:///path``,
the token store's file) or PostgreSQL (``postgresql://...``, table
``lark_apaas_executions`` from the alembic migrations), which outlive the
process and are shared by every process using them.
"""

from __future__ import annotations

from collections import OrderedDict
from typing import Protocol

from lark_async.core.state_url import state_store_kind

MAX_EXECUTIONS = 10_000  # memory: oldest dropped first, so a long-lived client stays bounded


class WorkflowStore(Protocol):
    """Storage for execution records; every method may raise on I/O failure."""

    name: str

    async def get(self, app_id: str, execution_id: str) -> str | None:
        """The execution's JSON text, or None."""

    async def put(self, app_id: str, execution_id: str, data: str, started_at: float) -> None:
        """Insert or replace one execution."""

    async def close(self) -> None: ...


class MemoryWorkflowStore:
    """Executions in a dict, the newest ``limit`` kept: one process, gone with it."""

    name = "memory"

    def __init__(self, limit: int = MAX_EXECUTIONS) -> None:
        self._limit = limit
        self._items: OrderedDict[tuple[str, str], str] = OrderedDict()

    async def get(self, app_id: str, execution_id: str) -> str | None:
        return self._items.get((app_id, execution_id))

    async def put(self, app_id: str, execution_id: str, data: str, started_at: float) -> None:
        key = (app_id, execution_id)
        self._items[key] = data
        self._items.move_to_end(key)
        while len(self._items) > self._limit:
            self._items.popitem(last=False)

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._items)


def store_for(url: str | None) -> WorkflowStore:
    """The store a state URL names (None or ``memory``: in this process)."""
    kind, arg = state_store_kind(url, what="the aPaaS execution records")
    if kind == "memory":
        return MemoryWorkflowStore()
    if kind == "sqlite":
        from lark_async.apaas.sqlite_store import SQLiteWorkflowStore

        return SQLiteWorkflowStore(arg)
    from lark_async.apaas.pg_store import PostgresWorkflowStore

    return PostgresWorkflowStore.from_url(arg)
