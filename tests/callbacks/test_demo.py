"""The `make demo` part for callbacks runs end to end against the emulator."""

from __future__ import annotations

import io

from rich.console import Console

from lark_async import LarkClient
from lark_async.demos.callbacks import demo
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator

from .conftest import APP

SECRET = "demo-test-secret-0001"


async def test_demo_turns_the_card_from_pending_to_approved() -> None:
    out = io.StringIO()
    async with FakeLark() as fake:
        fake.add_app(APP, SECRET)
        async with LarkClient(APP, SECRET, domain=fake.url, client_rate_limit=False) as lark:
            im = ImEmulator.of(fake)
            first = im.add_chat(name="报销审批群")
            summary = await demo(fake, lark, Console(file=out, width=120), chat_id=first)
            [message] = im.messages()
            assert len(im.card_updates) == 1  # through the card token, once
            chat = im.add_chat(name="given")
            again = await demo(fake, lark, Console(file=io.StringIO()), chat_id=chat)
    assert summary["card callback"].startswith("审批中 → 已通过")
    assert summary["forged callback"].startswith("rejected, HTTP 401")
    assert summary["callback answer"].startswith("HTTP 200")
    assert "已通过" in message["body"]["content"]
    assert "已通过" in out.getvalue() and "审批中" in out.getvalue()
    assert again["card callback"].startswith("审批中 → 已通过")
