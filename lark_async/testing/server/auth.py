"""``auth/v3`` credential endpoints for self-built apps (Feishu authentication and API-call docs).

They answer HTTP 200 with top-level fields, never a ``data`` object, even on
failure: 10003 for a missing/unknown app id, 10014 for a wrong secret, 99991662
for a disabled app (checked after the secret, so a wrong secret learns nothing).
"""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web

from lark_async.testing.server.apps import FakeApp
from lark_async.testing.server.envelope import json_response
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import RouteTable

TENANT_TOKEN_PATH = "/open-apis/auth/v3/tenant_access_token/internal"
APP_TOKEN_PATH = "/open-apis/auth/v3/app_access_token/internal"

INVALID_PARAM = 10003
SECRET_INVALID = 10014
APP_NOT_IN_USE = 99991662

routes = RouteTable("auth", auth=None)


class _Refused(Exception):
    def __init__(self, code: int, msg: str) -> None:
        super().__init__(msg)
        self.body = {"code": code, "msg": msg}


@routes.post(TENANT_TOKEN_PATH)
def tenant_access_token(req: FakeRequest) -> web.Response:
    try:
        app = _authenticate(req)
    except _Refused as refused:
        return json_response(refused.body)
    now = req.now()  # one reading, so a fresh token reports its full lifetime
    token = req.fake.apps.fetch(app.app_id, "tenant", now)
    return json_response(
        {
            "code": 0,
            "msg": "ok",
            "tenant_access_token": token.value,
            "expire": int(token.remaining(now)),
        }
    )


@routes.post(APP_TOKEN_PATH)
def app_access_token(req: FakeRequest) -> web.Response:
    try:
        app = _authenticate(req)
    except _Refused as refused:
        return json_response(refused.body)
    now = req.now()
    app_token = req.fake.apps.fetch(app.app_id, "app", now)
    tenant_token = req.fake.apps.fetch(app.app_id, "tenant", now)
    body: dict[str, Any] = {
        "code": 0,
        "msg": "ok",
        "app_access_token": app_token.value,
        "expire": int(app_token.remaining(now)),
        "tenant_access_token": tenant_token.value,
    }
    return json_response(body)


def _authenticate(req: FakeRequest) -> FakeApp:
    body = req.json if isinstance(req.json, dict) else {}
    app_id, secret = body.get("app_id"), body.get("app_secret")
    if isinstance(app_id, str) and app_id:
        req.fake.apps.fetches[app_id] += 1
    if not isinstance(app_id, str) or not isinstance(secret, str) or not app_id or not secret:
        raise _Refused(INVALID_PARAM, "invalid param")
    app = req.fake.apps.get(app_id)
    if app is None:
        raise _Refused(INVALID_PARAM, "invalid param")
    req.app_id = app_id  # lets the journal attribute the fetch to its app
    if not secrets.compare_digest(secret.encode(), app.app_secret.encode()):
        raise _Refused(SECRET_INVALID, "app secret invalid")
    if not app.enabled:
        raise _Refused(APP_NOT_IN_USE, "app not in use")
    return app
