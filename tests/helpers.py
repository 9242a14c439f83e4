"""Shared builders for client-against-emulator tests."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.testing import FakeLark

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


class ThreadedEmulator:
    """The emulator on its own event loop in a thread, for tests that run loops themselves."""

    def __init__(self, **kwargs: Any) -> None:
        import asyncio
        import threading

        self._kwargs = kwargs
        self._ready = threading.Event()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self.fake: FakeLark | None = None
        self.url = ""

    def _run(self) -> None:
        import asyncio

        asyncio.set_event_loop(self._loop)
        self._loop.run_until_complete(self._start())
        self._ready.set()
        self._loop.run_forever()
        self._loop.run_until_complete(self._stop())
        self._loop.close()

    async def _start(self) -> None:
        self.fake = FakeLark(**self._kwargs)
        await self.fake.__aenter__()
        self.fake.add_app(APP_ID, APP_SECRET)
        self.url = self.fake.url

    async def _stop(self) -> None:
        assert self.fake is not None
        await self.fake.__aexit__(None, None, None)

    def __enter__(self) -> ThreadedEmulator:
        self._thread.start()
        if not self._ready.wait(30):
            raise RuntimeError("the emulator did not start")
        return self

    def __exit__(self, *exc: object) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(30)

    def token_fetches(self) -> int:
        assert self.fake is not None
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
