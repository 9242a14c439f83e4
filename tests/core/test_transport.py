"""The request pipeline against the emulator: retries, limits, idempotency, errors."""

from __future__ import annotations

import asyncio
import json
import socket

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import (
    ErrorKind,
    InvalidParameter,
    NetworkError,
    OutcomeUnknown,
    PermissionDenied,
    ServerError,
    UnknownError,
)
from lark_async.testing import FakeLark
from tests.helpers import APP_ID, APP_SECRET, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"
ITEMS = "/open-apis/emulator/v1/items"


async def test_request_returns_data_ids_and_sends_request_id() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        resp = await lark.request("GET", ECHO, params={"q": "x", "none": None, "flag": True})
        assert resp.ok and resp.code == 0
        assert resp.data is not None and resp.data["query"] == {"q": "x", "flag": "true"}
        assert len(resp.request_id) == 32
        assert resp.log_id
        entry = fake.journal.filter(path=ECHO)[-1]
        assert entry.request_id == resp.request_id


async def test_token_is_lazy_and_fetched_once_for_concurrent_first_calls() -> None:
    async with emulator() as fake:
        lark = client_for(fake)
        async with lark:
            assert fake.token_fetches(APP_ID) == 0  # nothing at start-up
            results = await asyncio.gather(*(lark.request("GET", ECHO) for _ in range(50)))
            assert all(r.ok for r in results)
            assert fake.token_fetches(APP_ID) == 1


async def test_5xx_retried_with_exponential_backoff_then_success() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.fail(f"GET {ECHO}", times=2, status=500, code=1500, msg="internal")
        resp = await lark.request("GET", ECHO)
        assert resp.ok and resp.attempts == 3
        assert len(clock.sleeps) == 2
        assert 0.8 <= clock.sleeps[0] <= 1.2 and 1.6 <= clock.sleeps[1] <= 2.4


async def test_retries_stop_after_three(log_lines: list[str]) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.fail(f"GET {ECHO}", times=None, status=503, code=1503, msg="busy")
        resp = await lark.request("GET", ECHO)
        assert not resp.ok and resp.attempts == 4
        assert isinstance(resp.error, ServerError) and resp.error.retryable
        assert len(clock.sleeps) == 3
        assert resp.error.request_id == resp.request_id
    events = [json.loads(line) for line in log_lines]
    retries = [e for e in events if e["event"] == "lark.retry"]
    assert [r["attempt"] for r in retries] == [1, 2, 3]
    assert all({"reason", "delay", "outcome"} <= r.keys() for r in retries)
    final = [e for e in events if e["event"] == "lark.request"][-1]
    assert final["level"] == "error" and final["attempt"] == 4


async def test_rate_limit_waits_reset_header() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.rate_limit(f"GET {ECHO}", times=1, reset=7)
        resp = await lark.request("GET", ECHO)
        assert resp.ok
        assert clock.sleeps == [7.0]


async def test_rate_limit_without_header_waits_default_capped() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.fail(f"GET {ECHO}", times=1, status=429, code=99991400, msg="limit")
        resp = await lark.request("GET", ECHO)
        assert resp.ok and clock.sleeps == [30.0]


async def test_timeout_is_retried_for_reads_and_per_call_override() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        fake.faults.delay(f"GET {ECHO}", seconds=0.6, times=1)
        resp = await lark.request("GET", ECHO, timeout=0.2)
        assert resp.ok and resp.attempts == 2


async def test_dropped_connection_retried_for_reads() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        fake.faults.drop(f"GET {ECHO}", times=1)
        resp = await lark.request("GET", ECHO)
        # aiohttp itself resends an idempotent request once on a reused connection
        # that was dropped; either way the caller sees success.
        assert resp.ok and resp.attempts in (1, 2)
        assert fake.faults.rules == []


async def test_write_without_key_dropped_after_apply_is_outcome_unknown() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        fake.faults.drop(f"POST {ITEMS}", times=1, after_processing=True)
        resp = await lark.request("POST", ITEMS, json={"name": "a"})
        assert not resp.ok
        assert isinstance(resp.error, OutcomeUnknown)
        assert resp.error.kind is ErrorKind.NETWORK
        assert "idempotency" in (resp.error.hint or "")
        assert resp.attempts == 1  # never blindly resent
        assert len(fake.items(APP_ID)) == 1


async def test_write_with_key_is_retried_and_applied_once() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        fake.faults.drop(f"POST {ITEMS}", times=2, after_processing=True)
        key = "5f0e5c1e-0d5e-4a39-9a3e-8c0e6f1d2b3a"
        resp = await lark.request(
            "POST", ITEMS, params={"client_token": key}, json={"name": "a"}, idempotency_key=key
        )
        assert resp.ok and resp.attempts == 3
        assert len(fake.items(APP_ID)) == 1
        assert {e.query.get("client_token") for e in fake.journal.filter(path=ITEMS)} == {key}


async def test_write_without_key_is_retried_when_rate_limited() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.rate_limit(f"POST {ITEMS}", times=1, reset=1)
        resp = await lark.request("POST", ITEMS, json={"name": "a"})
        assert resp.ok and resp.attempts == 2
        assert len(fake.items(APP_ID)) == 1


async def test_write_without_key_5xx_is_outcome_unknown() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        fake.faults.fail(f"POST {ITEMS}", times=1, status=500, code=1500, msg="internal")
        resp = await lark.request("POST", ITEMS, json={"name": "a"})
        assert isinstance(resp.error, OutcomeUnknown) and resp.error.kind is ErrorKind.SERVER


async def test_connection_refused_is_network_error_after_retries() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    clock = FakeClock()
    lark = LarkClient(APP_ID, APP_SECRET, domain=f"http://127.0.0.1:{port}", clock=clock)
    async with lark:
        resp = await lark.request("POST", ITEMS, json={"name": "a"})
        # the connection never opened, so the token fetch (and nothing else) was retried
        assert isinstance(resp.error, NetworkError)
        assert not isinstance(resp.error, OutcomeUnknown)
        assert len(clock.sleeps) == 3


async def test_non_json_gateway_page_is_server_error_with_snippet() -> None:
    async with emulator() as fake, client_for(fake, max_retries=0) as lark:
        resp = await lark.request("GET", "/open-apis/emulator/v1/html_error")
        assert isinstance(resp.error, ServerError)
        assert resp.error.http_status == 502
        assert "non-JSON" in resp.error.message and "<" in resp.error.message


async def test_permission_denied_names_missing_scope() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        fake.faults.fail(
            f"GET {ECHO}",
            times=1,
            status=400,
            code=99991672,
            msg="Access denied. One of the following scopes is required: [im:message]",
            error={
                "permission_violations": [
                    {"type": "action_scope_required", "subject": "im:message"}
                ]
            },
        )
        resp = await lark.request("GET", ECHO)
        assert isinstance(resp.error, PermissionDenied)
        assert resp.error.missing_scopes == ["im:message"]
        assert resp.attempts == 1
        with pytest.raises(PermissionDenied):
            resp.unwrap()


async def test_unknown_code_becomes_unknown() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        fake.faults.fail(f"GET {ECHO}", times=1, status=400, code=77777777, msg="new")
        resp = await lark.request("GET", ECHO)
        assert isinstance(resp.error, UnknownError) and resp.code == 77777777


async def test_bad_arguments_raise_before_any_request() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        with pytest.raises(InvalidParameter):
            await lark.request("GET", "https://evil.example/open-apis/x")
        with pytest.raises(InvalidParameter):
            await lark.request("FETCH", ECHO)
        with pytest.raises(InvalidParameter):
            await lark.request("POST", ECHO, json={}, data={"a": "b"})
        with pytest.raises(InvalidParameter):
            await lark.request("GET", ECHO, timeout=-1)
        with pytest.raises(InvalidParameter):
            await lark.request("GET", ECHO, auth="user")
        assert len(fake.journal) == 0


async def test_request_log_line_has_the_fields(log_lines: list[str]) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        resp = await lark.request("GET", ECHO, params={"page_size": 10})
    events = [json.loads(line) for line in log_lines]
    line = next(e for e in events if e["event"] == "lark.request" and e["path"] == ECHO)
    for field in (
        "request_id",
        "app_id",
        "method",
        "path",
        "status",
        "code",
        "log_id",
        "attempt",
        "latency_ms",
    ):
        assert field in line, field
    assert line["request_id"] == resp.request_id and line["params"] == {"page_size": "10"}
    assert APP_SECRET not in "".join(log_lines)


async def test_closed_client_refuses_calls() -> None:
    async with emulator() as fake:
        lark = client_for(fake)
        async with lark:
            pass
        with pytest.raises(Exception, match="closed"):
            await lark.request("GET", ECHO)


async def test_files_are_sent_as_multipart(tmp_path) -> None:  # type: ignore[no-untyped-def]
    async with emulator() as fake, client_for(fake) as lark:
        path = tmp_path / "a.bin"
        path.write_bytes(b"x" * 1000)
        resp = await lark.request(
            "POST", ECHO, data={"kind": "file"}, files={"file": ("a.bin", path, None)}
        )
        assert resp.ok


async def test_client_side_limiter_keeps_a_burst_under_the_server_limit() -> None:
    # Server: 40 calls per fixed 1 s window on the echo route. Client: the same
    # documented limit. 100 concurrent calls must see no 429 at all.
    # Real time on both sides: the point is how calls spread over real windows.
    async with FakeLark(rate_limits={"echo": (40, 1.0)}) as fake:
        fake.add_app(APP_ID, APP_SECRET)
        fake.rate_limits.assign(f"GET {ECHO}", "echo")
        lark = LarkClient(APP_ID, APP_SECRET, domain=fake.url, rate_limits={"default": (40, 1.0)})
        async with lark:
            results = await asyncio.gather(*(lark.request("GET", ECHO) for _ in range(100)))
        assert all(r.ok and r.attempts == 1 for r in results)
        assert fake.rate_limited_count() == 0
