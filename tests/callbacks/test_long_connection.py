"""Long-connection mode against the emulator's WebSocket side (FakeLark + LongConnectionEmulator)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest

from lark_async import LarkClient
from lark_async.callbacks import (
    CallbackEvent,
    Callbacks,
    CardUpdate,
    LongConnection,
    LongConnectionRefused,
    Toast,
)
from lark_async.testing import FakeLark
from lark_async.testing.callbacks.longconn import LongConnectionEmulator

FAST = {"ReconnectNonce": 0, "ReconnectInterval": 1, "PingInterval": 30}


@pytest.fixture
async def lark(fake_lark: FakeLark) -> AsyncIterator[LarkClient]:
    async with LarkClient(
        fake_lark.app_id, fake_lark.app_secret, domain=fake_lark.url, client_rate_limit=False
    ) as client:
        yield client


@pytest.fixture
def ws(fake_lark: FakeLark) -> LongConnectionEmulator:
    emulator = LongConnectionEmulator.of(fake_lark)
    emulator.configure(**FAST)
    return emulator


async def wait_for(predicate: Any, timeout: float = 10.0) -> None:
    async with asyncio.timeout(timeout):
        while not predicate():
            await asyncio.sleep(0.01)


async def test_events_and_card_callbacks_reach_the_handlers(
    lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    callbacks = Callbacks()
    seen: list[CallbackEvent] = []

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        seen.append(event)

    @callbacks.card_action("approve", sync=True)
    async def approve(event: CallbackEvent) -> Toast:
        seen.append(event)
        return Toast("approved", type="success")

    async with callbacks.long_connection(lark) as conn:
        assert isinstance(conn, LongConnection) and conn.connected
        await ws.wait_connected()
        event_msg = await ws.push_event("im.message.receive_v1", {"message": {"text": "hi"}})
        card_msg = await ws.push_card({"action": "approve"})
        event_answer = await ws.wait_answer(event_msg)
        card_answer = await ws.wait_answer(card_msg)
        await wait_for(lambda: len(seen) == 2)
    assert event_answer.code == 200 and event_answer.body is None
    assert card_answer.code == 200
    assert card_answer.body == {"toast": {"type": "success", "content": "approved"}}
    assert card_answer.elapsed < 3.0 and card_answer.biz_rt is not None
    kinds = {event.event_type: event for event in seen}
    assert kinds["card.action.trigger"].verified_by == "connection"
    assert kinds["card.action.trigger"].message_id == "om_longconn_card"
    assert kinds["im.message.receive_v1"].payload["event"]["message"]["text"] == "hi"
    assert ws.pending() == []
