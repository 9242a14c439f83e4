"""Closing a client with calls in flight (hardening, item 7).

New calls are refused at once; calls in flight get a grace period, then end
with an error returned to their callers: ``OutcomeUnknown`` for a write that
may have been applied (carrying its key), never an exception.
"""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from lark_async.core.errors import ConfigError, ErrorKind, OutcomeUnknown
from lark_async.testing import FakeLark, FakeRequest
from lark_async.testing.im import ImEmulator
from tests.helpers import client_for, emulator

SLOW = "/open-apis/emulator/v1/slow"
MESSAGES = "POST /open-apis/im/v1/messages"


class Gate:
    """A route that answers only when released; ``arrived`` counts requests that reached it."""

    def __init__(self, fake: FakeLark) -> None:
        self.arrived = 0
        self.release = asyncio.Event()
        self._arrival = asyncio.Event()

        @fake.route("GET", SLOW)
        async def slow(req: FakeRequest) -> Any:
            self.arrived += 1
            self._arrival.set()
            await self.release.wait()
            return {"code": 0, "msg": "ok", "data": {}}

        @fake.route("POST", SLOW)
        async def slow_write(req: FakeRequest) -> Any:
            return await slow(req)

    async def wait_arrivals(self, n: int) -> None:
        while self.arrived < n:
            self._arrival.clear()
            await asyncio.wait_for(self._arrival.wait(), 10)


async def test_slow_read_ends_with_an_error_after_the_grace() -> None:
    async with emulator() as fake:
        gate = Gate(fake)
        lark = client_for(fake)
        call = asyncio.create_task(lark.request("GET", SLOW))
        await gate.wait_arrivals(1)
        await lark.aclose(grace=0.05)
        resp = await asyncio.wait_for(call, 5)
        gate.release.set()
        assert not resp.ok and resp.error is not None
        assert resp.error.kind is ErrorKind.CONFIG_ERROR and "closed" in resp.error.message
        assert not isinstance(resp.error, OutcomeUnknown)


async def test_keyless_write_on_the_wire_ends_as_unknown() -> None:
    async with emulator() as fake:
        gate = Gate(fake)
        lark = client_for(fake)
        call = asyncio.create_task(lark.request("POST", SLOW, json={"a": 1}))
        await gate.wait_arrivals(1)
        await lark.aclose(grace=0.05)
        resp = await asyncio.wait_for(call, 5)
        gate.release.set()
        assert isinstance(resp.error, OutcomeUnknown) and not resp.error.retryable


async def test_keyed_write_on_the_wire_ends_as_unknown_with_its_key() -> None:
    async with emulator() as fake:
        lark = client_for(fake)
        im = ImEmulator.of(fake)
        user = im.add_user(name="Ann")["open_id"]
        fake.faults.delay(MESSAGES, 30.0, after_processing=True)
        call = asyncio.create_task(lark.messaging.send_text_message(user, "hi"))
        while not im.messages(receive_id=user):  # applied; its answer is held back
            await asyncio.sleep(0.001)
        await lark.aclose(grace=0.05)
        resp = await asyncio.wait_for(call, 5)
        assert isinstance(resp.error, OutcomeUnknown)
        assert resp.error.retryable and resp.error.idempotency_key == resp.idempotency_key
        assert f"uuid={resp.idempotency_key!r}" in (resp.error.hint or "")


async def test_calls_that_finish_within_the_grace_succeed() -> None:
    async with emulator() as fake:
        gate = Gate(fake)
        lark = client_for(fake)
        calls = [asyncio.create_task(lark.request("GET", SLOW)) for _ in range(3)]
        await gate.wait_arrivals(3)
        closing = asyncio.create_task(lark.aclose(grace=30.0))
        await asyncio.sleep(0)  # aclose is now waiting for the calls
        gate.release.set()
        await asyncio.wait_for(closing, 10)
        assert all([(await c).ok for c in calls])


async def test_new_calls_after_close_are_refused() -> None:
    async with emulator() as fake:
        lark = client_for(fake)
        await lark.aclose()
        with pytest.raises(ConfigError, match="closed"):
            await lark.request("GET", SLOW)


async def test_the_caller_task_lives_on_after_its_call_was_ended() -> None:
    async with emulator() as fake:
        gate = Gate(fake)
        lark = client_for(fake)
        steps: list[str] = []

        async def job() -> None:
            resp = await lark.request("GET", SLOW)
            steps.append("answered" if not resp.ok else "ok")
            await asyncio.sleep(0)  # the task was not left cancelled
            steps.append("went on")

        task = asyncio.create_task(job())
        await gate.wait_arrivals(1)
        await lark.aclose(grace=0.01)
        await asyncio.wait_for(task, 5)
        gate.release.set()
        assert steps == ["answered", "went on"]
