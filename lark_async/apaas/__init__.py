"""aPaaS workspace tables, workflows and Aily skills: ``lark.apaas`` (Feishu aPaaS docs).

    tables = (await lark.apaas.list_workspace_tables(ws, as_user=open_id)).unwrap()
    page = (await lark.apaas.query_table_records(ws, "orders", {"qty": ("gt", 1)},
                                                 as_user=open_id)).unwrap()
    run = (await lark.apaas.trigger_workflow("flow_1", {"x": 1}, namespace=ns,
                                             operator="ann@example.com")).unwrap()

Workspace tables need a user token. See docs/apaas.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark_async.core.lazy import lazy_exports

if TYPE_CHECKING:
    from lark_async.apaas.checks import SCOPES as SCOPES
    from lark_async.apaas.models import Column as Column
    from lark_async.apaas.models import RecordPage as RecordPage
    from lark_async.apaas.models import SkillResult as SkillResult
    from lark_async.apaas.models import WorkflowExecution as WorkflowExecution
    from lark_async.apaas.models import WorkspaceTable as WorkspaceTable
    from lark_async.apaas.service import APaaS as APaaS
    from lark_async.apaas.store import MemoryWorkflowStore as MemoryWorkflowStore
    from lark_async.apaas.store import WorkflowStore as WorkflowStore

# Loaded on first use, so importing the package (or its meta module) stays cheap.
_LAZY: dict[str, str] = {
    "SCOPES": "lark_async.apaas.checks",
    "Column": "lark_async.apaas.models",
    "RecordPage": "lark_async.apaas.models",
    "SkillResult": "lark_async.apaas.models",
    "WorkflowExecution": "lark_async.apaas.models",
    "WorkspaceTable": "lark_async.apaas.models",
    "APaaS": "lark_async.apaas.service",
    "MemoryWorkflowStore": "lark_async.apaas.store",
    "WorkflowStore": "lark_async.apaas.store",
}

__all__ = [
    "SCOPES",
    "APaaS",
    "Column",
    "MemoryWorkflowStore",
    "RecordPage",
    "SkillResult",
    "WorkflowExecution",
    "WorkflowStore",
    "WorkspaceTable",
]

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
