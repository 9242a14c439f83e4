"""lark_async.fastapi: the lifespan, the dependency, the error answers; both test clients.

The async tests drive the app with ``httpx.AsyncClient(transport=ASGITransport(app))``
under ``asgi_lifespan.LifespanManager`` next to ``fake_lark`` (one loop). The sync
tests use FastAPI's ``TestClient``, which runs the app on a loop in another thread:
they use ``fake_lark_threaded``, which serves from its own thread.
"""

from __future__ import annotations

import importlib
import sys
from typing import Any

import httpx
import pytest
from asgi_lifespan import LifespanManager
from fastapi import FastAPI
from fastapi.testclient import TestClient

from lark_async import LarkClient
from lark_async.callbacks import CallbackEvent, Callbacks
from lark_async.core.errors import ConfigError, ErrorKind, LarkError, OutcomeUnknown, error_class
from lark_async.fastapi import (
    STATUS_BY_KIND,
    Lark,
    LarkApp,
    add_exception_handlers,
    error_body,
    get_lark,
    lifespan,
)
from lark_async.testing import (
    FakeLark,
    ImEmulator,
    ThreadedFakeLark,
    seed_table,
    seed_user,
)
from lark_async.testing.seed import NUMBER, TEXT

ECHO = "/open-apis/emulator/v1/echo"
SECRET_MARK = "s3cr3t-never-in-a-body"


def make_app(client: Any = None, **lifespan_options: Any) -> FastAPI:
    app = FastAPI(lifespan=lifespan(client, **lifespan_options))
    add_exception_handlers(app)

    @app.post("/greet/{email}")
    async def greet(email: str, lark: Lark) -> dict[str, Any]:
        resp = await lark.messaging.send_text_message(email, "hello", receive_id_type="email")
        return {"message_id": resp.unwrap().message_id}

    @app.get("/names/{app_token}/{table_id}")
    async def names(app_token: str, table_id: str, lark: Lark) -> list[str]:
        rows = await lark.bitable.search_records(app_token, table_id, sort="Score").to_list()
        return [r.fields["Name"][0]["text"] for r in rows]

    @app.get("/whoami")
    async def whoami(app_client: LarkApp) -> dict[str, str]:
        return {"app_id": app_client.app_id}

    @app.get("/fail/{kind}")
    async def fail(kind: str) -> None:
        raise error_class(ErrorKind(kind))(
            "it failed",
            code=1234,
            hint="do this",
            log_id="202401010000000000LOG",
            request_id="req-1",
        )

    return app


async def test_lifespan_owns_the_client_and_routes_use_it(fake_lark: FakeLark) -> None:
    ann = seed_user(fake_lark, "Ann", email="ann@example.com")
    app = make_app(app_id=fake_lark.app_id, app_secret=fake_lark.app_secret, domain=fake_lark.url)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            resp = await http.post("/greet/ann@example.com")
            assert resp.status_code == 200, resp.text
            assert resp.json()["message_id"].startswith("om_")
            assert (await http.get("/whoami")).json() == {"app_id": fake_lark.app_id}
        lark = app.state.lark
        assert isinstance(lark, LarkClient)
    sent = ImEmulator.of(fake_lark).messages(receive_id=ann.open_id)
    assert [m["message_id"] for m in sent] == [resp.json()["message_id"]]
    with pytest.raises(ConfigError, match="closed"):  # shut down with the app
        await lark.request("GET", ECHO)


async def test_a_feishu_failure_is_answered_with_its_status_and_log_id(
    fake_lark: FakeLark,
) -> None:
    table = seed_table(fake_lark, {"Name": TEXT, "Score": NUMBER}, [{"Name": "Ann", "Score": 1}])
    app = make_app(app_id=fake_lark.app_id, app_secret=fake_lark.app_secret, domain=fake_lark.url)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            ok = await http.get(f"/names/{table.app_token}/{table.table_id}")
            missing = await http.get(f"/names/{table.app_token}/tblMissing000000")
    assert ok.json() == ["Ann"]
    assert missing.status_code == 404, missing.text
    error = missing.json()["error"]
    assert error["kind"] == "NotFound"
    assert isinstance(error["code"], int) and error["log_id"]
    assert fake_lark.app_secret not in missing.text


@pytest.mark.parametrize("kind", list(ErrorKind), ids=lambda k: k.value)
async def test_each_error_kind_has_its_status_and_a_plain_body(kind: ErrorKind) -> None:
    app = FastAPI()
    add_exception_handlers(app)

    @app.get("/fail")
    async def fail() -> None:
        raise error_class(kind)(
            "it failed", code=1234, hint="do this", log_id="LOG1", request_id="req-1"
        )

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        resp = await http.get("/fail")
    assert resp.status_code == STATUS_BY_KIND[kind]
    assert resp.json() == {
        "error": {
            "kind": kind.value,
            "code": 1234,
            "message": "it failed",
            "hint": "do this",
            "retryable": False,
            "log_id": "LOG1",
            "request_id": "req-1",
        }
    }


def test_the_status_table_covers_every_kind() -> None:
    assert set(STATUS_BY_KIND) == set(ErrorKind)
    assert STATUS_BY_KIND[ErrorKind.RATE_LIMITED] == 429
    assert STATUS_BY_KIND[ErrorKind.PERMISSION_DENIED] == 403
    assert STATUS_BY_KIND[ErrorKind.TIMEOUT] == 504


def test_outcome_unknown_says_so_and_the_body_holds_no_secret() -> None:
    err = OutcomeUnknown(
        "no answer to the write", kind=ErrorKind.TIMEOUT, idempotency_key=SECRET_MARK
    )
    body = error_body(err)
    assert body["error"]["outcome_unknown"] is True
    assert body["error"]["kind"] == "Timeout"
    assert SECRET_MARK not in repr(body)
    assert set(body["error"]) == {
        "kind",
        "code",
        "message",
        "hint",
        "retryable",
        "log_id",
        "request_id",
        "outcome_unknown",
    }


async def test_statuses_override_some_kinds() -> None:
    app = FastAPI()
    add_exception_handlers(app, statuses={ErrorKind.TOKEN_INVALID: 401})

    @app.get("/fail/{kind}")
    async def fail(kind: str) -> None:
        raise error_class(ErrorKind(kind))("it failed")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        assert (await http.get("/fail/TokenInvalid")).status_code == 401
        assert (await http.get("/fail/NotFound")).status_code == 404


@pytest.mark.parametrize(
    "statuses",
    [{"TokenInvalid": 401}, {ErrorKind.TOKEN_INVALID: 200}, {ErrorKind.TOKEN_INVALID: True}],
)
def test_bad_statuses_are_a_config_error(statuses: Any) -> None:
    with pytest.raises(ConfigError) as info:
        add_exception_handlers(FastAPI(), statuses=statuses)
    assert info.value.details["argument"] == "statuses"


async def test_get_lark_without_the_lifespan_is_a_config_error_answer() -> None:
    app = FastAPI()
    add_exception_handlers(app)

    @app.get("/x")
    async def x(lark: Lark) -> None:
        raise AssertionError("not reached")

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
        resp = await http.get("/x")
    assert resp.status_code == 500
    assert resp.json()["error"]["kind"] == "ConfigError"
    assert "lifespan" in resp.json()["error"]["hint"]


@pytest.mark.parametrize(
    ("client", "options"),
    [(42, {}), (LarkClient("cli_a1234567890", "s"), {"domain": "http://127.0.0.1:1"})],
)
def test_bad_lifespan_arguments_are_config_errors(client: Any, options: dict[str, Any]) -> None:
    with pytest.raises(ConfigError) as info:
        lifespan(client, **options)
    assert info.value.details["argument"] == "client"


@pytest.mark.parametrize(
    ("call", "argument"),
    [
        (lambda: lifespan(app_secrett="s"), "app_secrett"),  # a typo: found at startup before
        (lambda: lifespan(close_client="no"), "close_client"),
        (lambda: add_exception_handlers(42), "app"),  # an AttributeError before
    ],
)
def test_bad_arguments_are_config_errors_when_called_not_at_startup(
    call: Any, argument: str
) -> None:
    with pytest.raises(ConfigError) as info:
        call()
    assert info.value.details["argument"] == argument


async def test_a_factory_returning_something_else_fails_at_startup() -> None:
    app = FastAPI(lifespan=lifespan(lambda: "not a client"))  # type: ignore[arg-type,return-value]
    with pytest.raises(ConfigError, match="returned a str"):
        async with LifespanManager(app):
            pass


async def test_an_app_client_is_served_and_its_client_closed(fake_lark: FakeLark) -> None:
    lark = LarkClient(fake_lark.app_id, fake_lark.app_secret, domain=fake_lark.url)
    app_client = lark.app(fake_lark.app_id)
    app = make_app(client=app_client)
    async with LifespanManager(app) as manager:
        transport = httpx.ASGITransport(app=manager.app)
        async with httpx.AsyncClient(transport=transport, base_url="http://app") as http:
            assert (await http.get("/whoami")).json() == {"app_id": fake_lark.app_id}
        assert app.state.lark is lark
    with pytest.raises(ConfigError, match="closed"):
        await lark.request("GET", ECHO)


async def test_close_client_false_leaves_a_given_client_open(fake_lark: FakeLark) -> None:
    async with LarkClient(fake_lark.app_id, fake_lark.app_secret, domain=fake_lark.url) as lark:
        app = make_app(client=lark, close_client=False)
        async with LifespanManager(app):
            pass
        assert (await lark.request("GET", ECHO)).ok


async def test_callbacks_start_with_the_app_and_close_before_the_client(
    fake_lark: FakeLark,
) -> None:
    callbacks = Callbacks()  # a consumer: handlers, no keys (the worker starts)
    order: list[str] = []

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        return None

    real_close = callbacks.close

    async def close() -> None:
        order.append("callbacks")
        await real_close()

    callbacks.close = close  # type: ignore[method-assign]
    app = make_app(
        lambda: LarkClient(fake_lark.app_id, fake_lark.app_secret, domain=fake_lark.url),
        callbacks=callbacks,
    )
    async with LifespanManager(app):
        assert callbacks._running == ["worker"]
        lark = app.state.lark
        real_aclose = lark.aclose

        async def aclose(grace: float = 5.0) -> None:
            order.append("client")
            await real_aclose(grace)

        lark.aclose = aclose
    assert order == ["callbacks", "client"]
    assert callbacks._running == []


class _StubCallbacks:
    """Records how the lifespan starts it: a Callbacks with keys and no handlers."""

    def __init__(self) -> None:
        self.ingress = object()
        self.router: list[object] = []
        self.calls: list[Any] = []

    async def start(self, *, ingress: bool = True, worker: bool = True) -> None:
        self.calls.append(("start", ingress, worker))

    async def close(self) -> None:
        self.calls.append("close")


async def test_callbacks_with_keys_only_start_their_http_side(fake_lark: FakeLark) -> None:
    stub = _StubCallbacks()
    app = make_app(
        lambda: LarkClient(fake_lark.app_id, fake_lark.app_secret, domain=fake_lark.url),
        callbacks=stub,
    )
    async with LifespanManager(app):
        assert stub.calls == [("start", True, False)]
    assert stub.calls == [("start", True, False), "close"]
    with pytest.raises(ConfigError) as info:
        lifespan(callbacks=object())  # type: ignore[arg-type]
    assert info.value.details["argument"] == "callbacks"


def test_callbacks_with_nothing_to_start_are_refused() -> None:
    app = make_app(lambda: LarkClient("cli_a1234567890", "s"), callbacks=Callbacks())
    with pytest.raises(ConfigError, match="nothing to start"), TestClient(app):
        pass


def test_missing_fastapi_is_a_config_error_naming_the_extra(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setitem(sys.modules, "fastapi", None)
    monkeypatch.delitem(sys.modules, "lark_async.fastapi")
    with pytest.raises(ConfigError) as info:
        importlib.import_module("lark_async.fastapi")
    assert "lark-async[fastapi]" in (info.value.hint or "")
    assert info.value.details["extra"] == "fastapi"


# --- FastAPI's TestClient: the app runs on another thread's loop --------------------------
def test_test_client_with_the_threaded_emulator(fake_lark_threaded: ThreadedFakeLark) -> None:
    server = fake_lark_threaded
    ann = seed_user(server, "Ann", email="ann@example.com")
    table = seed_table(
        server,
        {"Name": TEXT, "Score": NUMBER},
        [{"Name": "Bob", "Score": 2}, {"Name": "Ann", "Score": 1}],
    )
    app = make_app(
        lambda: LarkClient(server.app_id, server.app_secret, domain=server.url),
    )
    with TestClient(app) as http:
        greeted = http.post("/greet/ann@example.com")
        names = http.get(f"/names/{table.app_token}/{table.table_id}")
        failed = http.get("/fail/RateLimited")
    assert greeted.status_code == 200, greeted.text
    assert names.json() == ["Ann", "Bob"]
    assert failed.status_code == 429
    assert failed.json()["error"]["kind"] == "RateLimited"
    sent = server.call(lambda: ImEmulator.of(server.fake).messages(receive_id=ann.open_id))
    assert len(sent) == 1


def test_test_client_twice_with_a_factory(fake_lark_threaded: ThreadedFakeLark) -> None:
    server = fake_lark_threaded
    app = make_app(lambda: LarkClient(server.app_id, server.app_secret, domain=server.url))
    for _ in range(2):  # each start makes a fresh client on that run's loop
        with TestClient(app) as http:
            assert http.get("/whoami").json() == {"app_id": server.app_id}
    assert server.fake.token_fetches(server.app_id) == 0  # /whoami makes no call


def test_the_error_handler_answers_a_lark_error_subclass() -> None:
    class Custom(LarkError):
        default_kind = ErrorKind.CONFLICT

    app = FastAPI()
    add_exception_handlers(app)

    @app.get("/x")
    async def x() -> None:
        raise Custom("taken")

    with TestClient(app) as http:
        resp = http.get("/x")
    assert resp.status_code == 409
    assert resp.json()["error"]["message"] == "taken"


def test_get_lark_is_the_dependency_behind_lark() -> None:
    assert Lark.__metadata__[0].dependency is get_lark
