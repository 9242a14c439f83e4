"""Shared builders for client-against-emulator tests."""

from __future__ import annotations

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
