"""Edge cases of the pipeline: user tokens, connect timeouts, gateway 429 pages, trace ids."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest
from aiohttp import web

from lark_async import ConfigError, LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import LarkTimeout, OutcomeUnknown, TokenInvalid
from lark_async.core.logging import configure_logging
from lark_async.testing import FakeRequest
from tests.helpers import APP_ID, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"
ITEMS = "/open-apis/emulator/v1/items"


async def test_rejected_user_token_ends_at_once_not_retried() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.fail(
            f"GET {ECHO}", times=None, status=400, code=99991668, msg="invalid user token"
        )
        resp = await lark.request("GET", ECHO, auth="user", user_access_token="u-" + "x" * 30)
        assert isinstance(resp.error, TokenInvalid) and not resp.error.retryable
        assert "refresh_token" in (resp.error.hint or "")
        assert resp.attempts == 1 and clock.sleeps == []


async def test_authen_20005_on_a_tenant_call_refetches_the_token() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        await lark.request("GET", ECHO)
        fake.faults.fail(f"GET {ECHO}", times=1, status=400, code=20005, msg="invalid access_token")
        resp = await lark.request("GET", ECHO)
        assert resp.ok and fake.token_fetches(APP_ID) == 2


class _TimeoutSession:
    """Stands in for aiohttp's session where a connect timeout can't be made on loopback."""

    closed = False

    def request(self, *args: Any, **kwargs: Any) -> Any:
        raise aiohttp.ConnectionTimeoutError("connect timed out")

    async def close(self) -> None:
        pass


async def test_connect_timeout_means_nothing_was_sent_so_writes_are_retried() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        await lark.request("GET", ECHO)  # token in hand
        wire = lark._transport.wire

        async def timeout_session() -> Any:
            return _TimeoutSession()

        wire.session = timeout_session  # type: ignore[method-assign]
        try:
            resp = await lark.request("POST", ITEMS, json={"name": "a"})
        finally:
            del wire.session
        assert isinstance(resp.error, LarkTimeout)
        assert not isinstance(resp.error, OutcomeUnknown)  # retried, not "unknown"
        assert resp.attempts == 4 and "connect" in resp.error.message


async def test_non_json_429_page_waits_and_retries_even_a_keyless_write() -> None:
    clock = FakeClock()
    calls = {"n": 0}
    async with emulator(clock) as fake, client_for(fake, clock) as lark:

        @fake.route("POST", "/open-apis/emulator/v1/throttled")
        async def throttled(req: FakeRequest) -> Any:
            calls["n"] += 1
            if calls["n"] == 1:
                return web.Response(
                    status=429,
                    text="<html>Too Many Requests</html>",
                    content_type="text/html",
                    headers={"x-ogw-ratelimit-reset": "3"},
                )
            return {"ok": True}

        resp = await lark.request("POST", "/open-apis/emulator/v1/throttled", json={})
        assert resp.ok and resp.attempts == 2 and clock.sleeps == [3.0]


async def test_caller_request_id_is_used_end_to_end() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        resp = await lark.request("GET", ECHO, headers={"x-request-id": "trace-abc-123"})
        assert resp.request_id == "trace-abc-123"
        assert fake.journal.filter(path=ECHO)[-1].request_id == "trace-abc-123"


async def test_from_env_leaves_logging_alone_unless_asked(
    monkeypatch: pytest.MonkeyPatch, log_lines: list[str]
) -> None:
    async with emulator() as fake:
        monkeypatch.setenv("LARK_ASYNC_APP_ID", APP_ID)
        monkeypatch.setenv("LARK_ASYNC_APP_SECRET", "x")
        monkeypatch.setenv("LARK_ASYNC_DOMAIN", fake.url)
        async with LarkClient.from_env() as lark:
            await lark.request("GET", ECHO)
    assert any("lark.request" in line for line in log_lines)  # still our test stream


def test_bad_log_settings_are_config_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LARK_ASYNC_APP_ID", APP_ID)
    monkeypatch.setenv("LARK_ASYNC_APP_SECRET", "x")
    monkeypatch.setenv("LARK_ASYNC_LOG_FORMAT", "xml")
    with pytest.raises(ConfigError, match="LARK_ASYNC_LOG_FORMAT"):
        LarkClient.from_env()
    with pytest.raises(ConfigError):
        LarkClient(APP_ID, "x", log_level="LOUD")
    configure_logging("DEBUG", "json")


def test_import_lark_async_stays_light() -> None:
    # Structural, not timed: the heavy libraries load on first use, not at import.
    import subprocess
    import sys

    code = (
        "import sys; from lark_async import LarkClient, FEISHU, LARK; "
        "heavy = [m for m in ('aiohttp', 'pydantic', 'structlog', 'cryptography', 'aiosqlite', "
        "'asyncpg', 'aio_pika', 'sqlalchemy', 'rich', 'typer') if m in sys.modules]; "
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == ""
