"""The aPaaS demo runs end to end against the emulator."""

from __future__ import annotations

import io

from rich.console import Console

from lark_async.core.clock import FakeClock
from lark_async.demos.apaas import demo
from lark_async.demos.runner import SERVICE_DEMOS
from tests.helpers import client_for, emulator


async def test_the_apaas_demo_tells_its_story() -> None:
    clock = FakeClock()
    out = io.StringIO()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        summary = await demo(fake, lark, Console(file=out, width=120))
        assert fake.handler_errors == []
    assert summary["apaas: tables"] == "1 table, 40 records read in pages of 20"
    assert summary["apaas: conflict"] == "first ok, second Conflict: True"
    assert summary["apaas: workflow + AI"] == "workflow end, skill COMPLETED"
    assert "PermissionDenied" in out.getvalue()
    assert any(fn is demo for _, fn in SERVICE_DEMOS)
