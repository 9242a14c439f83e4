"""Where ``lark.apaas`` records the workflow executions it starts.

The API offers no execution query, so this record is the only source of
``get_workflow_status``. Memory only for now: a restart loses the records.
"""

from __future__ import annotations

from collections import OrderedDict

from lark_async.apaas.models import WorkflowExecution

MAX_EXECUTIONS = 10_000  # oldest dropped first, so a long-lived client stays bounded


class MemoryWorkflowStore:
    """Executions by id, in memory, the newest ``limit`` kept."""

    def __init__(self, limit: int = MAX_EXECUTIONS) -> None:
        self._limit = limit
        self._items: OrderedDict[str, WorkflowExecution] = OrderedDict()

    def put(self, execution: WorkflowExecution) -> None:
        self._items[execution.execution_id] = execution
        self._items.move_to_end(execution.execution_id)
        while len(self._items) > self._limit:
            self._items.popitem(last=False)

    def get(self, execution_id: str) -> WorkflowExecution | None:
        return self._items.get(execution_id)

    def __len__(self) -> int:
        return len(self._items)
