"""apaas/v1 workspace tables: list, query, insert/upsert, update and delete by filter.

User tokens only (a tenant token is refused by the router). Record bodies
travel as JSON strings, as in the API.
"""

from __future__ import annotations

import json
from typing import Any

from lark_async.testing.apaas.state import (
    SCOPE_RECORD_READ,
    SCOPE_RECORD_WRITE,
    SCOPE_TABLE_READ,
    ApaasState,
    apaas_error,
    matcher,
    new_record_id,
    require_grant,
    routes,
    sort_rows,
)
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import USER_ONLY

WS = "/open-apis/apaas/v1/workspaces/{workspace_id}"
MAX_PAGE = 500
MAX_INSERT = 500  # rows per insert call


def _size(req: FakeRequest) -> int:
    raw = req.query.get("page_size") or "10"
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE:
        raise apaas_error(f"page_size: {raw}")
    return int(raw)


def _start(req: FakeRequest) -> int:
    raw = req.query.get("page_token") or "0"
    if not raw.isdigit():
        raise apaas_error(f"page_token: {raw}")
    return int(raw)


@routes.get(f"{WS}/tables", auth=USER_ONLY)
def list_tables(req: FakeRequest) -> dict[str, Any]:
    require_grant(req, SCOPE_TABLE_READ)
    state = req.state(ApaasState)
    tables = state.workspaces.get(req.params["workspace_id"])
    if tables is None:
        raise apaas_error(f"workspace not found: {req.params['workspace_id']}")
    size, start = _size(req), _start(req)
    chunk = list(tables.values())[start : start + size]
    more = start + size < len(tables)
    return {
        "items": [
            {"name": t.name, "description": t.description, "columns": t.columns} for t in chunk
        ],
        "has_more": more,
        "page_token": str(start + size) if more else "",
    }


@routes.get(f"{WS}/tables/{{table_name}}/records", auth=USER_ONLY)
def query_records(req: FakeRequest) -> dict[str, Any]:
    require_grant(req, SCOPE_RECORD_READ)
    table = req.state(ApaasState).table(req.params["workspace_id"], req.params["table_name"])
    match = matcher(req.query.get("filter"), table)
    select = req.query.get("select") or "*"
    cols = select.split(",") if select != "*" else []
    table.check(cols, "select")
    rows = sort_rows([r for r in table.rows if match(r)], req.query.get("order"), table)
    size, start = _size(req), _start(req)
    chunk = rows[start : start + size]
    if cols:
        chunk = [{c: r.get(c) for c in cols} for r in chunk]
    more = start + size < len(rows)
    return {
        "items": json.dumps(chunk, ensure_ascii=False),
        "has_more": more,
        "page_token": str(start + size) if more else "",
        "total": len(rows),
    }


def _record(req: FakeRequest) -> dict[str, Any]:
    raw = req.json_object().get("record")
    try:
        record = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        record = None
    if not isinstance(record, dict) or not record:
        raise apaas_error("record must be a JSON string of an object")
    if "_id" in record or "_updated_at" in record:
        raise apaas_error("record: _id and _updated_at are system columns")
    return record


@routes.post(f"{WS}/tables/{{table_name}}/records", auth=USER_ONLY)
def insert_records(req: FakeRequest) -> dict[str, Any]:
    """INSERT, or UPSERT with ``Prefer: resolution=merge-duplicates|ignore-conflicts``.

    ``on_conflict`` names the unique columns (default the primary key ``_id``);
    ``record_ids`` come back in input order.
    """
    require_grant(req, SCOPE_RECORD_WRITE)
    table = req.state(ApaasState).table(req.params["workspace_id"], req.params["table_name"])
    raw = req.json_object().get("records")
    try:
        rows = json.loads(raw) if isinstance(raw, str) else None
    except ValueError:
        rows = None
    if not isinstance(rows, list) or not rows or not all(isinstance(r, dict) for r in rows):
        raise apaas_error("records must be a JSON string of a non-empty array of objects")
    if len(rows) > MAX_INSERT:
        raise apaas_error(f"records: at most {MAX_INSERT} rows")
    prefer = {p.strip() for p in req.headers.get("Prefer", "").split(",") if p.strip()}
    keys = [c for c in (req.query.get("on_conflict") or "_id").split(",") if c]
    table.check(keys, "on_conflict")
    for row in rows:
        table.check(row, "records")
    ids: list[str] = []
    for row in rows:
        if "_updated_at" in row:
            raise apaas_error("records: _updated_at is a system column")
        existing = None
        if all(row.get(k) is not None for k in keys):
            existing = next((r for r in table.rows if all(r.get(k) == row[k] for k in keys)), None)
        if existing is not None:
            if "resolution=merge-duplicates" in prefer:
                existing.update(row)
                existing["_updated_at"] = table.stamp(req.now())
            elif "resolution=ignore-conflicts" not in prefer:
                raise apaas_error(f"duplicate key value violates unique constraint ({keys})")
            ids.append(str(existing["_id"]))
            continue
        new = {"_id": new_record_id(), **row, "_updated_at": table.stamp(req.now())}
        table.rows.append(new)
        ids.append(str(new["_id"]))
    return {"record_ids": ids}


@routes.patch(f"{WS}/tables/{{table_name}}/records", auth=USER_ONLY)
def update_records(req: FakeRequest) -> dict[str, Any]:
    require_grant(req, SCOPE_RECORD_WRITE)
    table = req.state(ApaasState).table(req.params["workspace_id"], req.params["table_name"])
    if not req.query.get("filter"):
        raise apaas_error("filter is required")
    match = matcher(req.query.get("filter"), table)
    record = _record(req)
    table.check(record, "record")
    ids = []
    for row in table.rows:
        if match(row):
            row.update(record)
            row["_updated_at"] = table.stamp(req.now())
            ids.append(row["_id"])
    return {"record_ids": ids}


@routes.delete(f"{WS}/tables/{{table_name}}/records", auth=USER_ONLY)
def delete_records(req: FakeRequest) -> dict[str, Any]:
    require_grant(req, SCOPE_RECORD_WRITE)
    table = req.state(ApaasState).table(req.params["workspace_id"], req.params["table_name"])
    if not req.query.get("filter"):
        raise apaas_error("filter is required")
    match = matcher(req.query.get("filter"), table)
    table.rows = [r for r in table.rows if not match(r)]
    return {}
