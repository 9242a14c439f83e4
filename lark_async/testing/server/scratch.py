"""Scratch endpoints under ``/open-apis/emulator/v1`` for testing a client's transport.

They are not Feishu APIs. ``items`` behaves like a typical Feishu resource:
create with an optional ``client_token`` (idempotent for an hour per app, like
Bitable), list with ``page_size``/``page_token``/``has_more`` (Feishu pagination docs),
get and delete. A missing item answers HTTP 400 code 1254043 (Bitable's
"record not found"), a bad parameter HTTP 400 code 99992402 with
``field_violations``. No rate limit applies unless a test sets one
(``fake.rate_limits.assign("* /open-apis/emulator/v1/items", "bitable.write")``).
"""

from __future__ import annotations

import base64
import binascii
import secrets
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import RouteTable

PREFIX = "/open-apis/emulator/v1"
ITEM_NOT_FOUND = 1254043
INVALID_PARAM = 99992402
IDEMPOTENCY_WINDOW = 3600.0
MAX_PAGE_SIZE = 100
DEFAULT_PAGE_SIZE = 20

# Headers echo leaves out: they carry credentials.
_SECRET_HEADERS = frozenset({"authorization", "proxy-authorization", "cookie"})

GATEWAY_HTML = (
    "<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    "<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>nginx</center>\r\n"
    "</body>\r\n</html>\r\n"
)

routes = RouteTable("emulator")


@dataclass
class ItemsState:
    """Items per app (insertion-ordered) and the client tokens seen recently."""

    items: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    client_tokens: dict[tuple[str, str], tuple[str, float]] = field(default_factory=dict)


def _invalid(field_name: str, value: Any, description: str) -> FakeError:
    return FakeError(
        INVALID_PARAM,
        f"field validation failed: {field_name}",
        error={
            "field_violations": [
                {"field": field_name, "value": str(value), "description": description}
            ]
        },
    )


@routes.route("GET", f"{PREFIX}/echo")
@routes.route("POST", f"{PREFIX}/echo")
def echo(req: FakeRequest) -> dict[str, Any]:
    """Reflect what arrived, minus credentials, so a test can see what the client sent."""
    headers = {k: v for k, v in req.headers.items() if k.lower() not in _SECRET_HEADERS}
    return {
        "method": req.method,
        "query": req.query,
        "json": req.json,
        "headers": headers,
        "app_id": req.app_id,
        "token_kind": req.token_kind,
    }


@routes.post(f"{PREFIX}/items")
def create_item(req: FakeRequest) -> dict[str, Any]:
    body = req.json_object()
    name = body.get("name")
    if not isinstance(name, str) or not name:
        raise _invalid("name", name, "name is required and must be a non-empty string")
    state = req.state(ItemsState)
    app_id = req.app_id or ""
    now = req.now()
    client_token = req.query.get("client_token")
    if client_token:
        seen = state.client_tokens.get((app_id, client_token))
        if seen is not None and now - seen[1] < IDEMPOTENCY_WINDOW:
            existing = state.items.get(app_id, {}).get(seen[0])
            if existing is not None:
                return {"item": dict(existing)}
    item = {
        "item_id": f"itm_{secrets.token_hex(8)}",
        "name": name,
        "created_time": str(int(now * 1000)),  # ms string, as IM timestamps are
    }
    state.items.setdefault(app_id, {})[item["item_id"]] = item
    if client_token:
        state.client_tokens[(app_id, client_token)] = (item["item_id"], now)
    return {"item": dict(item)}


@routes.get(f"{PREFIX}/items")
def list_items(req: FakeRequest) -> dict[str, Any]:
    page_size = _page_size(req.query.get("page_size"))
    start = _offset(req.query.get("page_token"))
    items = list(req.state(ItemsState).items.get(req.app_id or "", {}).values())
    page = items[start : start + page_size]
    has_more = start + page_size < len(items)
    data: dict[str, Any] = {
        "items": [dict(i) for i in page],
        "has_more": has_more,
        "total": len(items),
    }
    if has_more:  # Feishu omits page_token on the last page
        data["page_token"] = _token(start + page_size)
    return data


@routes.get(f"{PREFIX}/items/{{item_id}}")
def get_item(req: FakeRequest) -> dict[str, Any]:
    return {"item": dict(_find(req))}


@routes.delete(f"{PREFIX}/items/{{item_id}}")
def delete_item(req: FakeRequest) -> dict[str, Any]:
    item = _find(req)
    del req.state(ItemsState).items[req.app_id or ""][item["item_id"]]
    return {"item_id": item["item_id"], "deleted": True}


@routes.get(f"{PREFIX}/html_error")
def html_error(req: FakeRequest) -> web.Response:
    """What a proxy in front of Feishu sends when the backend is down: HTML, not JSON."""
    return web.Response(status=502, text=GATEWAY_HTML, content_type="text/html")


def _find(req: FakeRequest) -> dict[str, Any]:
    item_id = req.params["item_id"]
    item = req.state(ItemsState).items.get(req.app_id or "", {}).get(item_id)
    if item is None:
        raise FakeError(ITEM_NOT_FOUND, f"item not found: {item_id}")
    return item


def _page_size(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_PAGE_SIZE
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_PAGE_SIZE:
        raise _invalid("page_size", raw, f"page_size must be 1..{MAX_PAGE_SIZE}")
    return int(raw)


def _token(offset: int) -> str:
    # opaque to clients, like Feishu's; only this module decodes it
    return base64.urlsafe_b64encode(f"itm:{offset}".encode()).decode().rstrip("=")


def _offset(raw: str | None) -> int:
    if not raw:
        return 0
    try:
        decoded = base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        decoded = ""
    prefix, _, number = decoded.partition(":")
    if prefix != "itm" or not number.isdigit():
        raise _invalid("page_token", raw, "page_token is not one this API returned")
    return int(number)


def items_of(state: ItemsState, app_id: str) -> list[dict[str, Any]]:
    """Copies of an app's items, oldest first."""
    return [dict(i) for i in state.items.get(app_id, {}).values()]
