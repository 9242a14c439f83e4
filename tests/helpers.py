"""Shared builders for client-against-emulator tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.testing import FakeLark, ThreadedFakeLark

APP_ID = "cli_unit0000000001"
APP_SECRET = "unit-app-secret-0001"


@asynccontextmanager
async def emulator(clock: FakeClock | None = None, **kwargs: Any) -> AsyncIterator[FakeLark]:
    fake = FakeLark(time_func=(clock or FakeClock()).time, **kwargs)
    async with fake:
        fake.add_app(APP_ID, APP_SECRET)
        yield fake


def client_for(fake: FakeLark, clock: FakeClock | None = None, **kwargs: Any) -> LarkClient:
    kwargs.setdefault("client_rate_limit", False)
    return LarkClient(APP_ID, APP_SECRET, domain=fake.url, clock=clock or FakeClock(), **kwargs)


class ThreadedEmulator(ThreadedFakeLark):
    """The emulator on its own event loop in a thread, with the unit-test app added."""

    def start(self) -> None:
        super().start()
        self.add_app(APP_ID, APP_SECRET)

    def token_fetches(self) -> int:
        return self.fake.token_fetches(APP_ID)


class ParkingClock(FakeClock):
    """A FakeClock whose sleeps of ``park_at`` seconds or more wait for ``release``.

    It also notes the rule the write-slot tests check: a task that holds a write
    slot (``holders``) never sleeps.
    """

    def __init__(self, park_at: float = 10.0) -> None:
        super().__init__()
        self.park_at = park_at
        self.parked = asyncio.Event()
        self.release = asyncio.Event()
        self.holders: set[asyncio.Task[Any]] = set()
        self.slept_holding: list[float] = []

    async def sleep(self, seconds: float) -> None:
        if asyncio.current_task() in self.holders:
            self.slept_holding.append(seconds)
        if seconds >= self.park_at:
            self.parked.set()
            await self.release.wait()
        await super().sleep(seconds)
