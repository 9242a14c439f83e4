"""A configured memory cap is never met by forgetting a live entry: 503 or a retry, and an ERROR."""

from __future__ import annotations

import json

from lark_async.callbacks import (
    CallbackEvent,
    CallbackRouter,
    Callbacks,
    Dispatcher,
    Envelope,
    MemoryProcessedStore,
)
from lark_async.testing.callbacks import CallbackSender

from .conftest import APP, EK, KEYS, VT, serve


async def test_full_replay_memory_answers_503_and_keeps_live_entries(
    log_lines: list[str],
) -> None:
    router = CallbackRouter()
    seen: list[str] = []

    @router.event("im.message.receive_v1")
    async def message(event: object) -> None:
        seen.append("x")

    # Each event takes two entries (its nonce and its id): room for one event.
    callbacks = Callbacks(KEYS, router=router, max_replay_entries=3)
    async with callbacks, serve(callbacks.web_app("/lark")) as base:
        url = f"{base}/lark/{APP}/events"
        async with CallbackSender(APP, encrypt_key=EK, verification_token=VT) as sender:
            first_body = sender.message_body("one")
            headers, raw = sender.sign(first_body)
            assert (await sender.post(url, headers, raw)).status == 200
            second = await sender.post(url, *sender.sign(sender.message_body("two")))
            assert second.status == 503  # Feishu retries it; nothing was forgotten
            again = await sender.post(url, headers, raw)  # the first, replayed
            assert again.status == 401
    errors = [json.loads(x) for x in log_lines if "replay_memory_full" in x]
    assert errors and errors[0]["level"] == "error" and errors[0]["cap"] == 3


async def test_full_processed_memory_puts_the_event_back(log_lines: list[str]) -> None:
    router = CallbackRouter()
    ran: list[str] = []

    @router.event("im.message.receive_v1")
    async def message(event: CallbackEvent) -> None:
        ran.append(event.event_id)

    def event(event_id: str) -> Envelope:
        return Envelope(
            CallbackEvent(
                event_id=event_id,
                app_id=APP,
                kind="event",
                event_type="im.message.receive_v1",
                received_at=0.0,
                verified_by="signature",
                payload={"event": {}},
            )
        )

    dispatcher = Dispatcher(router, processed=MemoryProcessedStore(max_entries=1))
    assert (await dispatcher.handle(event("ev-1"))).action == "ack"
    put_back = await dispatcher.handle(event("ev-2"))
    assert put_back.action == "retry" and put_back.envelope.attempt == 0  # no attempt used
    assert (await dispatcher.handle(event("ev-1"))).action == "ack"  # still remembered
    assert ran == ["ev-1"]
    assert any("lark.callback.processed_memory_full" in x and '"cap":1' in x for x in log_lines)
