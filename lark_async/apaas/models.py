"""Typed answers of ``lark.apaas``: workspace tables, record pages, workflow runs, skill results."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class _Model(BaseModel):
    # Built on first use, so importing the service stays cheap.
    model_config = ConfigDict(extra="ignore", defer_build=True)


class Column(_Model):
    """One column of a workspace table (``data_type`` is the database type, e.g. varchar)."""

    name: str
    description: str | None = ""
    data_type: str = ""
    is_primary_key: bool = False
    is_unique: bool = False
    is_auto_increment: bool = False
    is_array: bool = False
    is_allow_null: bool = True
    default_value: str | None = None


class WorkspaceTable(_Model):
    """A table of a data-platform workspace; the API addresses it by ``name``."""

    name: str
    description: str | None = ""
    columns: list[Column] = Field(default_factory=list)


class TablePage(_Model):
    items: list[WorkspaceTable] = Field(default_factory=list)
    has_more: bool = False
    page_token: str | None = None


class RecordPage(_Model):
    """One page of records; ``records`` are the decoded rows (the API sends a JSON string)."""

    records: list[dict[str, Any]] = Field(default_factory=list)
    has_more: bool = False
    page_token: str | None = None
    total: int | None = None


class RawRecordPage(_Model):
    items: str | list[dict[str, Any]] | None = None
    has_more: bool = False
    page_token: str | None = None
    total: int | None = None


class RecordIds(_Model):
    record_ids: list[str] = Field(default_factory=list)


class WorkflowExecution(_Model):
    """What the library knows of a workflow execution it started.

    ``status`` is the synchronous answer's (e.g. ``"end"``); an asynchronous run
    has none the API can report later (there is no status query endpoint).
    """

    execution_id: str
    workflow_id: str
    namespace: str
    is_async: bool = False
    status: str | None = None
    out_params: Any = None
    error_msg: str | None = None
    idempotent_key: str | None = None
    started_at: float = 0.0
    #: Why ``status`` is unknown, for an asynchronous run.
    note: str | None = None


class FlowAnswer(_Model):
    status: str | None = None
    out_params: str | None = None
    execution_id: str | None = None
    error_msg: str | None = None
    code: str | int | None = None


class SkillResult(_Model):
    """An Aily skill's answer: ``output`` (the run's last assistant message, often
    a JSON string), the run's final ``status`` and where it ran."""

    output: str | None = None
    status: str | None = None
    run_id: str | None = None
    session_id: str | None = None


class AilyId(_Model):
    id: str


class SessionAnswer(_Model):
    session: AilyId


class RunError(_Model):
    code: str | int | None = None
    message: str | None = None


class AilyRun(_Model):
    id: str
    status: str = ""
    error: RunError | None = None


class RunAnswer(_Model):
    run: AilyRun


class AilySender(_Model):
    sender_type: str | None = None


class AilyMessage(_Model):
    id: str | None = None
    run_id: str | None = None
    content: str | None = None
    sender: AilySender | None = None


class MessagePage(_Model):
    messages: list[AilyMessage] = Field(default_factory=list)
    has_more: bool = False
    page_token: str | None = None
