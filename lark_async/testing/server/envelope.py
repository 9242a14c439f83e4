"""Response bodies in the shape Feishu uses (Feishu API-call docs), and the error handlers raise."""

from __future__ import annotations

import json
import secrets
import time
from collections.abc import Mapping
from typing import Any

from aiohttp import web

TROUBLESHOOTER_PREFIX = "排查建议查看（Troubleshooting suggestions）："
JSON_CONTENT_TYPE = "application/json"


def new_log_id(now: float) -> str:
    """A fresh log id like Feishu's: UTC timestamp then 20 upper-case hex digits."""
    stamp = time.strftime("%Y%m%d%H%M%S", time.gmtime(max(now, 0.0)))
    return stamp + secrets.token_hex(10).upper()


def troubleshooter(log_id: str, code: int) -> str:
    return (
        f"{TROUBLESHOOTER_PREFIX}https://open.feishu.cn/search?from=openapi"
        f"&log_id={log_id}&code={code}"
    )


def success_body(data: Mapping[str, Any] | None = None, msg: str = "success") -> dict[str, Any]:
    return {"code": 0, "msg": msg, "data": dict(data) if data is not None else {}}


def error_body(
    code: int, msg: str, log_id: str, error: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """``{code, msg, error:{message, log_id, troubleshooter, ...extra}}``."""
    detail: dict[str, Any] = {
        "message": msg,
        "log_id": log_id,
        "troubleshooter": troubleshooter(log_id, code),
    }
    if error:
        detail.update(error)
    return {"code": code, "msg": msg, "error": detail}


def json_response(
    body: Mapping[str, Any], status: int = 200, headers: Mapping[str, str] | None = None
) -> web.Response:
    """A JSON response with the charset Feishu declares."""
    return web.Response(
        text=json.dumps(body, ensure_ascii=False),
        status=status,
        content_type=JSON_CONTENT_TYPE,
        charset="utf-8",
        headers=dict(headers) if headers else None,
    )


class FakeError(Exception):
    """Raise from a route handler to answer with a Feishu error envelope.

    ``status`` is the HTTP status (Feishu uses 400 for most business errors but
    200 on some older endpoints); ``error`` adds fields to the ``error`` object,
    e.g. ``{"field_violations": [...]}``.
    """

    def __init__(
        self,
        code: int,
        msg: str,
        status: int = 400,
        error: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(f"{code}: {msg}")
        self.code = code
        self.msg = msg
        self.status = status
        self.error = dict(error) if error else None
        self.headers = dict(headers) if headers else None

    def __repr__(self) -> str:
        return f"FakeError(code={self.code}, msg={self.msg!r}, status={self.status})"

    def to_response(self, log_id: str) -> web.Response:
        return json_response(
            error_body(self.code, self.msg, log_id, self.error), self.status, self.headers
        )


def response_code(response: web.StreamResponse) -> int | None:
    """The envelope ``code`` of a JSON response built in memory, else None."""
    if not isinstance(response, web.Response) or response.content_type != JSON_CONTENT_TYPE:
        return None
    body = response.body
    if not isinstance(body, bytes | bytearray):
        return None
    try:
        parsed = json.loads(body)
    except ValueError:
        return None
    code = parsed.get("code") if isinstance(parsed, dict) else None
    return code if isinstance(code, int) else None
