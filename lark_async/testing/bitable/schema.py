"""Schema endpoints of the Bitable emulator: list tables, list fields (Feishu Bitable docs).

Both are reads (``bitable.read``, 20/s per app), page with ``page_size``
(1..100, default 20) and an opaque ``page_token``, and answer ``total``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from lark_async.testing.bitable.state import (
    BASE_PATH,
    MAX_SCHEMA_PAGE,
    TABLE_PATH,
    check_view,
    decode_page_token,
    encode_page_token,
    find_base,
    find_table,
    flag,
    page_size,
    routes,
)
from lark_async.testing.bitable.values import field_json
from lark_async.testing.server.request import FakeRequest


def _paged(req: FakeRequest, items: Sequence[dict[str, Any]], scope: str) -> dict[str, Any]:
    size = page_size(req.query.get("page_size"), MAX_SCHEMA_PAGE)
    position = decode_page_token(req.query.get("page_token"), scope)
    start = position[1] if position else 0
    has_more = start + size < len(items)
    data: dict[str, Any] = {
        "items": list(items[start : start + size]),
        "has_more": has_more,
        "total": len(items),
    }
    if has_more:
        data["page_token"] = encode_page_token(scope, "o", start + size)
    return data


@routes.get(BASE_PATH + "/tables")
def list_tables(req: FakeRequest) -> dict[str, Any]:
    base = find_base(req)
    items = [
        {"table_id": t.table_id, "revision": t.revision, "name": t.name}
        for t in base.tables.values()
    ]
    return _paged(req, items, f"{base.app_token}.tables")


@routes.get(TABLE_PATH + "/fields")
def list_fields(req: FakeRequest) -> dict[str, Any]:
    table = find_table(req)
    check_view(table, req.query.get("view_id"))
    flag(req, "text_field_as_array")
    items = [field_json(f) for f in table.fields.values()]
    return _paged(req, items, f"{table.table_id}.fields")
