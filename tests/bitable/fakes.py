"""An in-memory stand-in for the Bitable record endpoints, at the request-function level.

It lets the bulk engine's logic (chunking, retries, splitting, slots, reports) be
tested with hundreds of thousands of rows in well under a second, and lets a test
script exactly which call fails how. Integration tests use the real emulator.
"""

from __future__ import annotations

import asyncio
import itertools
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from lark_async.core.errors import LarkError, LarkTimeout
from lark_async.core.response import LarkResponse
from lark_async.services import catalog

build_error = catalog().codes.build_error  # the client's table: Bitable's codes included

Hook = Callable[[str, dict[str, Any]], LarkError | None]


def err(code: int, status: int = 200, msg: str = "error") -> LarkError:
    return build_error(code, msg, http_status=status)


def timeout() -> LarkError:
    return LarkTimeout("no answer within the timeout", retryable=True)


@dataclass
class FakeTable:
    fields: dict[str, int]  # name -> type
    records: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class Call:
    method: str
    path: str
    params: dict[str, Any]
    json: Any
    idempotency_key: str | None
    idempotent: bool
    max_retries: int | None


class FakeBase:
    """One base holding tables; ``before``/``after`` hooks inject failures per call."""

    def __init__(self, *, latency: float = 0.0, max_cell: int = 10_000) -> None:
        self.tables: dict[str, FakeTable] = {}
        self.calls: list[Call] = []
        self.before: Hook | None = None  # refuse before applying
        self.after: Hook | None = None  # apply, then lose the answer
        self.latency = latency
        self.max_cell = max_cell
        self.in_flight: dict[str, int] = {}
        self.max_in_flight: dict[str, int] = {}
        self.total_in_flight = 0
        self.max_total_in_flight = 0
        self.conflicts = 0
        self.tokens: dict[str, list[dict[str, Any]]] = {}
        self._ids = itertools.count(1)

    def add_table(self, table_id: str, fields: dict[str, int]) -> FakeTable:
        table = self.tables[table_id] = FakeTable(fields)
        return table

    def rows(self, table_id: str) -> list[dict[str, Any]]:
        return [r["fields"] for r in self.tables[table_id].records.values()]

    def writes(self, kind: str | None = None) -> list[Call]:
        return [
            c
            for c in self.calls
            if c.method == "POST"
            and c.path.rsplit("/", 1)[-1].startswith("batch_")
            and c.path.rsplit("/", 1)[-1] != "batch_get"
            and (kind is None or c.path.endswith(kind))
        ]

    async def request(self, method: str, path: str, **kw: Any) -> LarkResponse[dict[str, Any]]:
        slot = kw.pop("slot", None)  # as the client's request: held around the attempt
        if slot is None:
            return await self._request(method, path, **kw)
        async with slot():
            return await self._request(method, path, **kw)

    async def _request(self, method: str, path: str, **kw: Any) -> LarkResponse[dict[str, Any]]:
        call = Call(
            method,
            path,
            dict(kw.get("params") or {}),
            kw.get("json"),
            kw.get("idempotency_key"),
            bool(kw.get("idempotent")),
            kw.get("max_retries"),
        )
        self.calls.append(call)
        parts = path.split("/")
        table_id = parts[7]
        action = parts[-1]
        table = self.tables.get(table_id)
        if table is None:
            return _fail(err(1254041, 200, "TableIdNotFound"))
        if method == "GET" and action == "fields":
            items = [
                {"field_id": f"fld{i}", "field_name": n, "type": t, "is_primary": i == 0}
                for i, (n, t) in enumerate(table.fields.items())
            ]
            return _ok({"items": items, "has_more": False, "total": len(items)})
        body = dict(call.json or {})
        if action == "search":
            return _ok(self._search(table, body, call.params))
        if action == "batch_get":
            ids = body["record_ids"]
            found = [table.records[i] for i in ids if i in table.records]
            absent = [i for i in ids if i not in table.records]
            return _ok({"records": found, "absent_record_ids": absent})
        # a write
        self.in_flight[table_id] = self.in_flight.get(table_id, 0) + 1
        self.total_in_flight += 1
        try:
            self.max_in_flight[table_id] = max(
                self.max_in_flight.get(table_id, 0), self.in_flight[table_id]
            )
            self.max_total_in_flight = max(self.max_total_in_flight, self.total_in_flight)
            if self.in_flight[table_id] > 1:
                self.conflicts += 1
                return _fail(err(1254291, 200, "Write conflict"))
            await asyncio.sleep(self.latency)
            if self.before is not None and (e := self.before(action, body)) is not None:
                return _fail(e)
            answer = self._write(table, action, body, call.params)
            if isinstance(answer, LarkError):
                return _fail(answer)
            if self.after is not None and (e := self.after(action, body)) is not None:
                return _fail(e)
            return _ok(answer)
        finally:
            self.in_flight[table_id] -= 1
            self.total_in_flight -= 1

    def _write(
        self, table: FakeTable, action: str, body: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any] | LarkError:
        records = body["records"]
        if action == "batch_delete":
            if len(records) > 500:
                return err(1254104, 200, "RecordAddOnceExceedLimit")
            missing = [r for r in records if r not in table.records]
            if missing:
                return err(1254043, 200, "RecordIdNotFound")
            for rid in records:
                del table.records[rid]
            return {"records": [{"record_id": r, "deleted": True} for r in records]}
        if len(records) > 1000:
            return err(1254104, 200, "RecordAddOnceExceedLimit")
        for rec in records:
            for name, value in rec["fields"].items():
                if name not in table.fields:
                    return err(1254045, 200, "FieldNameNotFound")
                if isinstance(value, str) and len(value) > self.max_cell:
                    return err(1254130, 200, "TooLargeCell")
        if action == "batch_create":
            token = params.get("client_token")
            if token and token in self.tokens:
                return {"records": self.tokens[token]}
            out = []
            for rec in records:
                rid = f"rec{next(self._ids):08d}"
                table.records[rid] = {"record_id": rid, "fields": dict(rec["fields"])}
                out.append(table.records[rid])
            if token:
                self.tokens[token] = out
            return {"records": out}
        # batch_update
        if any(r["record_id"] not in table.records for r in records):
            return err(1254043, 200, "RecordIdNotFound")
        for rec in records:
            table.records[rec["record_id"]]["fields"].update(rec["fields"])
        return {"records": [table.records[r["record_id"]] for r in records]}

    def _search(
        self, table: FakeTable, body: dict[str, Any], params: dict[str, Any]
    ) -> dict[str, Any]:
        items = list(table.records.values())
        flt = body.get("filter")
        if flt:
            wanted = {(c["field_name"], c["value"][0]) for c in flt["conditions"]}
            items = [r for r in items if any(str(r["fields"].get(f)) == v for f, v in wanted)]
        size = int(params.get("page_size") or 20)
        start = int(params.get("page_token") or 0)
        page = items[start : start + size]
        more = start + size < len(items)
        data: dict[str, Any] = {"items": page, "has_more": more, "total": len(items)}
        if more:
            data["page_token"] = str(start + size)
        return data


def _ok(data: dict[str, Any]) -> LarkResponse[dict[str, Any]]:
    return LarkResponse(ok=True, code=0, msg="success", request_id=uuid.uuid4().hex, data=data)


def _fail(error: LarkError) -> LarkResponse[dict[str, Any]]:
    return LarkResponse.failure(error, request_id=uuid.uuid4().hex)
