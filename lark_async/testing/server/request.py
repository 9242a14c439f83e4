"""What a route handler receives: the parsed request plus who is calling."""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, TypeVar

from aiohttp import web
from multidict import CIMultiDictProxy, MultiDictProxy, MultiMapping

from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.routing import Route, TokenKind

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark

T = TypeVar("T")

FormData = MultiDictProxy[str | bytes | bytearray | web.FileField]


@dataclass(eq=False)
class FakeRequest:
    """One request as a handler sees it.

    ``app_id``/``tenant_key``/``token_kind``/``subject`` come from the verified
    token. Handlers of routes without a token may set ``app_id`` themselves so
    the journal attributes the call. ``form`` is set for multipart or urlencoded
    bodies (then ``body`` is empty, since the stream was read as a form).
    """

    fake: FakeLark
    raw: web.Request = field(repr=False)
    route: Route
    params: dict[str, str]
    query: dict[str, str]
    body: bytes = field(repr=False)
    json: Any = field(repr=False)  # may hold credentials (token requests)
    json_invalid: bool
    form: FormData | None = field(repr=False)
    log_id: str
    request_id: str | None
    token_kind: TokenKind | None = None
    app_id: str | None = None
    tenant_key: str | None = None
    subject: str | None = None

    @property
    def method(self) -> str:
        return self.raw.method

    @property
    def path(self) -> str:
        return self.raw.path

    @property
    def headers(self) -> CIMultiDictProxy[str]:
        return self.raw.headers

    def query_all(self, name: str) -> list[str]:
        """Every value of a repeated query parameter (Feishu repeats e.g. ``user_ids``)."""
        return list(self.raw.query.getall(name, []))

    def now(self) -> float:
        """The emulator's current time (its ``time_func``)."""
        return self.fake.now()

    def state(self, kind: type[T]) -> T:
        """The emulator's single instance of ``kind`` (made with ``kind()`` on first use)."""
        return self.fake.state(kind)

    def json_object(self) -> dict[str, Any]:
        """The body as a JSON object ({} when empty); HTTP 400 code 9499 otherwise."""
        if self.json_invalid:
            raise FakeError(9499, "Bad Request: body is not valid JSON")
        if self.json is None:
            return {}
        if not isinstance(self.json, dict):
            raise FakeError(9499, "Bad Request: body must be a JSON object")
        return self.json


def parse_json(body: bytes) -> tuple[Any, bool]:
    """(parsed body or None, whether the body was present but not JSON)."""
    if not body.strip():
        return None, False
    try:
        return json.loads(body), False
    except ValueError:
        return None, True


def first_values(query: Mapping[str, str]) -> dict[str, str]:
    """A plain dict of the first value of each query parameter."""
    out: dict[str, str] = {}
    for key, value in query.items():
        out.setdefault(key, value)
    return out


def all_values(query: MultiMapping[str]) -> dict[str, str | list[str]]:
    """Query parameters as a dict; a repeated parameter becomes a list."""
    out: dict[str, str | list[str]] = {}
    for key in query:
        if key not in out:
            values = query.getall(key)
            out[key] = values[0] if len(values) == 1 else list(values)
    return out
