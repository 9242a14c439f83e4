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


class FlowAnswer(_Model):
    status: str | None = None
    out_params: str | None = None
    execution_id: str | None = None
    error_msg: str | None = None
    code: str | int | None = None


class SkillResult(_Model):
    """An Aily skill's answer: ``output`` (often a JSON string) and ``status``."""

    output: str | None = None
    status: str | None = None
