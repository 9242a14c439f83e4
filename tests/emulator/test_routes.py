"""Adding routes: fake.route, RouteTable modules, handler results, matching rules."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from lark_async.testing import FakeError, FakeLark, FakeRequest, RouteTable
from lark_async.testing.server.routing import PathPattern, Router, RouteSpec
from tests.emulator.helpers import APP_ID, APP_SECRET, call, tenant_token

CAL = "/open-apis/calendar/v4/calendars"


async def test_custom_route_results(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    @fake.route("GET", f"{CAL}/{{calendar_id}}")
    def get_calendar(req: FakeRequest) -> dict[str, Any]:
        if req.params["calendar_id"] == "missing":
            raise FakeError(191002, "calendar not found", status=404, error={"helps": []})
        return {"calendar_id": req.params["calendar_id"], "app": req.app_id}

    @fake.route("POST", CAL)
    async def create_calendar(req: FakeRequest) -> web.Response:
        return web.json_response({"code": 0, "msg": "ok", "custom": req.json_object()})

    @fake.route("DELETE", f"{CAL}/{{calendar_id}}")
    def delete_calendar(req: FakeRequest) -> None:
        return None

    token = await tenant_token(session, fake)
    status, body, _ = await call(session, fake, "GET", f"{CAL}/cal_1", token=token)
    assert (status, body) == (
        200,
        {"code": 0, "msg": "success", "data": {"calendar_id": "cal_1", "app": APP_ID}},
    )
    status, body, headers = await call(session, fake, "GET", f"{CAL}/missing", token=token)
    assert (status, body["code"], body["msg"]) == (404, 191002, "calendar not found")
    assert body["error"]["helps"] == [] and body["error"]["log_id"] == headers["X-Tt-Logid"]
    status, body, headers = await call(session, fake, "POST", CAL, token=token, json={"x": 1})
    assert body == {"code": 0, "msg": "ok", "custom": {"x": 1}}
    assert headers["X-Tt-Logid"]  # added to handler-built responses too
    status, body, _ = await call(session, fake, "DELETE", f"{CAL}/cal_1", token=token)
    assert body == {"code": 0, "msg": "success", "data": {}}
    assert fake.journal.count(code=191002) == 1


async def test_unauthenticated_route(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    seen: list[str] = []

    @fake.route("POST", "/open-apis/authen/v2/oauth/token", auth=None)
    def oauth(req: FakeRequest) -> web.Response:
        seen.append(repr(req))
        req.app_id = req.json_object().get("client_id")
        return web.json_response({"code": 0, "access_token": "u-x"})

    body = {"client_id": APP_ID, "client_secret": APP_SECRET}
    status, _, _ = await call(session, fake, "POST", "/open-apis/authen/v2/oauth/token", json=body)
    assert status == 200
    assert APP_SECRET not in seen[0]
    entry = fake.journal.last
    assert entry is not None and entry.app_id == APP_ID


async def test_later_route_replaces_earlier(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    fake.route("GET", "/open-apis/emulator/v1/echo")(lambda req: {"replaced": True})
    token = await tenant_token(session, fake)
    _, body, _ = await call(session, fake, "GET", "/open-apis/emulator/v1/echo", token=token)
    assert body["data"] == {"replaced": True}


async def test_handler_bug_is_a_500(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    @fake.route("GET", "/open-apis/broken/v1/x")
    def broken(req: FakeRequest) -> dict[str, Any]:
        raise KeyError("oops")

    token = await tenant_token(session, fake)
    status, body, _ = await call(session, fake, "GET", "/open-apis/broken/v1/x", token=token)
    assert (status, body["code"]) == (500, 1500)
    assert isinstance(fake.handler_errors[0], KeyError)
    fake.handler_errors.clear()  # expected here; the conftest fails tests that crash a handler


async def test_forms_and_repeated_query(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    @fake.route("POST", "/open-apis/im/v1/images")
    async def upload(req: FakeRequest) -> dict[str, Any]:
        assert req.form is not None
        image = req.form["image"]
        assert isinstance(image, web.FileField)
        return {"size": len(image.file.read()), "type": req.form["image_type"]}

    @fake.route("GET", "/open-apis/contact/v3/users/batch")
    def batch(req: FakeRequest) -> dict[str, Any]:
        return {"ids": req.query_all("user_ids")}

    token = await tenant_token(session, fake)
    form = aiohttp.FormData()
    form.add_field("image_type", "message")
    form.add_field("image", b"\x89PNG....", filename="a.png", content_type="image/png")
    _, body, _ = await call(
        session, fake, "POST", "/open-apis/im/v1/images", token=token, data=form
    )
    assert body["data"] == {"size": 8, "type": "message"}
    entry = fake.journal.last
    assert entry is not None and entry.form == {"image_type": "message", "image": "<file a.png>"}
    _, body, _ = await call(
        session,
        fake,
        "GET",
        "/open-apis/contact/v3/users/batch",
        token=token,
        params=[("user_ids", "a"), ("user_ids", "b")],
    )
    assert body["data"] == {"ids": ["a", "b"]}
    entry = fake.journal.last
    assert entry is not None and entry.query == {"user_ids": ["a", "b"]}


# --- a module the way later emulator modules are written --------------------------

widgets = RouteTable("widgets", family="widgets")


@dataclass
class WidgetState:
    made: list[str] = field(default_factory=list)


@widgets.on_install
def _limits(fake: FakeLark) -> None:
    fake.rate_limits.set("widgets", (1, 1.0))


@widgets.post("/open-apis/widget/v1/widgets")
def make_widget(req: FakeRequest) -> dict[str, Any]:
    name = req.json_object()["name"]
    req.state(WidgetState).made.append(name)
    return {"name": name}


@widgets.get("/open-apis/widget/v1/widgets/special", family=None)
def special(req: FakeRequest) -> dict[str, Any]:
    return {"special": True}


@widgets.get("/open-apis/widget/v1/widgets/{widget_id}", family=None)
def get_widget(req: FakeRequest) -> dict[str, Any]:
    return {"widget_id": req.params["widget_id"]}


async def test_route_table_module(session: aiohttp.ClientSession) -> None:
    async with FakeLark(modules=[]) as bare:  # nothing installed, not even auth
        assert len(bare.router) == 0
    async with FakeLark(rate_limits={"widgets": (2, 60.0)}) as fake:
        fake.install(widgets)
        fake.install(widgets)  # installing twice is harmless
        fake.add_app(APP_ID, APP_SECRET)
        token = await tenant_token(session, fake)
        base = "/open-apis/widget/v1/widgets"
        for name in ("a", "b"):
            status, _, _ = await call(session, fake, "POST", base, token=token, json={"name": name})
            assert status == 200
        # the test's rate_limits beat the module's install hook: 2 per minute
        assert (await call(session, fake, "POST", base, token=token, json={"name": "c"}))[0] == 429
        assert fake.state(WidgetState).made == ["a", "b"]
        _, body, _ = await call(session, fake, "GET", f"{base}/special", token=token)
        assert body["data"] == {"special": True}  # literal segment beats {widget_id}
        for _ in range(3):  # family=None on the GET routes: unlimited
            _, body, _ = await call(session, fake, "GET", f"{base}/w1", token=token)
            assert body["data"] == {"widget_id": "w1"}


def test_path_pattern_and_spec() -> None:
    pattern = PathPattern("/a/{x}/c")
    assert pattern.match("/a/b/c") == {"x": "b"}
    assert pattern.match("/a//c") is None
    assert pattern.match("/a/b/c/d") is None
    assert pattern.match("a/b/c") is None
    assert RouteSpec("*").matches("DELETE", "/anything")
    assert RouteSpec("/a/{y}/c").matches("PUT", "/a/z/c")
    assert RouteSpec("get /a/{y}/c").matches("GET", "/a/z/c", "/a/{x}/c")
    assert not RouteSpec("GET /a/{y}/c").matches("POST", "/a/z/c")
    assert not RouteSpec("GET /a/{y}").matches("GET", "/a/special", "/a/special")
    assert RouteSpec("GET /a/special").matches("GET", "/a/special", "/a/{y}")
    with pytest.raises(ValueError):
        RouteSpec("GET")
    router = Router()
    assert router.resolve("GET", "/x").route is None


def test_repr_hides_secrets() -> None:
    fake = FakeLark()
    fake.add_app(APP_ID, APP_SECRET)
    assert APP_SECRET not in repr(fake) + repr(fake.apps.apps)
    assert fake.app_id == APP_ID and fake.app_secret == APP_SECRET
    with pytest.raises(LookupError):
        _ = FakeLark().app_id
    with pytest.raises(KeyError):
        fake.revoke_tokens("cli_unknown")
