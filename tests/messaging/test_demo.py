"""The messaging demo runs end to end against the emulator."""

from __future__ import annotations

import io

from rich.console import Console

from lark_async import LarkClient
from lark_async.demos.messaging import demo
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator


async def test_demo_sends_everything_and_reports(fake: FakeLark, lark: LarkClient) -> None:
    out = io.StringIO()
    summary = await demo(fake, lark, Console(file=out, width=160))
    assert summary["message types"].startswith("13/13 sent")
    assert summary["fan-out (100)"] == "97 sent, 3 failed, each with its typed error"
    assert summary["batch_send (450)"] == "3 requests, 448 accepted, 2 invalid"
    text = out.getvalue()
    assert "PermissionDenied 230013" in text and "InvalidParameter" in text
    kinds = {m["msg_type"] for m in ImEmulator.of(fake).messages(include_recalled=True)}
    assert kinds >= {
        "text",
        "post",
        "image",
        "file",
        "audio",
        "media",
        "sticker",
        "interactive",
        "share_chat",
        "share_user",
        "system",
    }
    # (Zero 429s is shown in real time by benchmarks/messaging.py; on the shared
    # FakeClock concurrent sleeps move time for everyone, so it is not asserted here.)
