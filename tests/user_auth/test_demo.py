"""The user-authorisation demo runs end to end against the emulator."""

from __future__ import annotations

import io

from rich.console import Console

from lark_async.core.clock import FakeClock
from lark_async.demos.runner import SERVICE_DEMOS
from lark_async.demos.user_auth import demo
from tests.helpers import client_for, emulator


async def test_the_user_auth_demo_tells_its_story() -> None:
    clock = FakeClock()
    out = io.StringIO()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        summary = await demo(fake, lark, Console(file=out, width=120))
        assert fake.handler_errors == []
    assert summary["user_auth: card flow"] == "HTTP 200, session completed"
    assert summary["user_auth: as_user"] == "20/20 ok, 1 refresh"
    assert summary["user_auth: revoked"] == "ReauthorizationRequired, fresh link: True"
    assert any(fn is demo for _, fn in SERVICE_DEMOS)
