"""The contact demo runs end to end against the emulator."""

from __future__ import annotations

import io

from rich.console import Console

from lark_async.core.clock import FakeClock
from lark_async.demos.contact import demo
from lark_async.demos.runner import SERVICE_DEMOS
from lark_async.testing import ImEmulator
from tests.helpers import client_for, emulator


async def test_the_contact_demo_tells_its_story() -> None:
    clock = FakeClock()
    out = io.StringIO()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        ImEmulator.of(fake).seed_users(50)  # the earlier demos' people are there too
        summary = await demo(fake, lark, Console(file=out, width=120))
        assert fake.handler_errors == []
    assert "120 of 120" in summary["contact: batch"]
    assert summary["contact: tree"] == "6 departments under the root"
    assert "refreshed after 24 h: 1" in summary["contact: TTL"]
    assert "afterwards cost 0 requests" in out.getvalue()
    assert any(fn is demo for _, fn in SERVICE_DEMOS)
