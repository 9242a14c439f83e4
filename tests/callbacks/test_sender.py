"""The emulator's callback sender: signing, event retries, deadline, the click routes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from aiohttp import web

from lark_async import LarkClient
from lark_async.callbacks import CallbackVerifier
from lark_async.testing import FakeLark, signing
from lark_async.testing.callbacks import (
    EVENT_RETRY_SCHEDULE,
    CallbackSender,
    CallbacksState,
    click,
    sender_for,
    subscribe,
)
from lark_async.testing.im import ImEmulator
from lark_async.testing.im.state import ImState

from .conftest import APP, EK, OPEN_ID, VT, card, serve


class Receiver:
    """A bare callback endpoint: verifies like the real one, answers what the test says."""

    def __init__(self, statuses: list[int], delay: float = 0.0) -> None:
        self.statuses = statuses
        self.delay = delay
        self.seen: list[tuple[dict[str, str], bytes]] = []
        self.verifier = CallbackVerifier(encrypt_key=EK, verification_token=VT)

    async def handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        self.seen.append((dict(request.headers), raw))
        scheme = "card_v1" if b"encrypt" not in raw else "event"
        verified = self.verifier.verify(request.headers, raw, scheme=scheme)
        if self.delay:
            await asyncio.sleep(self.delay)
        status = self.statuses.pop(0) if self.statuses else 200
        if status != 200:
            self.verifier.release(verified)  # not accepted: let the retry through
        return web.json_response({"kind": verified.kind}, status=status)

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/cb", self.handle)
        return app


async def test_event_is_retried_on_feishus_schedule_with_fresh_signatures() -> None:
    receiver = Receiver([500, 503, 200])
    waits: list[float] = []

    async def sleep(seconds: float) -> None:
        waits.append(seconds)

    async with (
        serve(receiver.app()) as base,
        CallbackSender(
            APP, encrypt_key=EK, verification_token=VT, events_url=f"{base}/cb", sleep=sleep
        ) as sender,
    ):
        body = sender.message_body("hello")
        result = await sender.event(body)
    assert result.delivered and [a.status for a in result.attempts] == [500, 503, 200]
    assert waits == list(EVENT_RETRY_SCHEDULE[:2]) == [15.0, 300.0]
    assert result.event_id == body["header"]["event_id"]
    nonces = {headers[signing.NONCE_HEADER] for headers, _ in receiver.seen}
    assert len(nonces) == 3  # each retry is a new request with the same event id


async def test_event_gives_up_after_four_retries() -> None:
    receiver = Receiver([500] * 10)

    async def sleep(seconds: float) -> None:
        return None

    async with (
        serve(receiver.app()) as base,
        CallbackSender(
            APP, encrypt_key=EK, verification_token=VT, events_url=f"{base}/cb", sleep=sleep
        ) as sender,
    ):
        result = await sender.event(sender.message_body("x"))
    assert not result.delivered and len(result.attempts) == 5


async def test_answer_after_the_deadline_counts_as_none_and_clicks_are_not_retried() -> None:
    receiver = Receiver([200], delay=0.1)
    async with (
        serve(receiver.app()) as base,
        CallbackSender(
            APP, encrypt_key=EK, verification_token=VT, cards_url=f"{base}/cb", timeout=0.02
        ) as sender,
    ):
        delivery = await sender.card_action(open_id=OPEN_ID, value={"action": "go"})
    assert delivery.status is None and delivery.error is not None and not delivery.ok
    assert len(receiver.seen) == 1


async def test_legacy_and_new_callbacks_verify_on_the_receiving_side() -> None:
    receiver = Receiver([])
    async with (
        serve(receiver.app()) as base,
        CallbackSender(
            APP, encrypt_key=EK, verification_token=VT, cards_url=f"{base}/cb"
        ) as sender,
    ):
        new = await sender.card_action(open_id=OPEN_ID, value="go", name="btn")
        old = await sender.card_action(open_id=OPEN_ID, value="go", legacy=True)
        check = await sender.url_verification(challenge="c")
    assert new.body == old.body == {"kind": "card_action"} and check.body == {
        "kind": "url_verification"
    }
    assert new.payload is not None and new.payload["event"]["action"]["name"] == "btn"
    assert b"encrypt" in receiver.seen[0][1] and b"encrypt" not in receiver.seen[1][1]


async def test_click_through_the_emulator_issues_a_counted_card_token() -> None:
    async with FakeLark() as fake:
        fake.add_app(APP, "secret-0001")
        im = ImEmulator.of(fake)
        chat = im.add_chat()
        received: list[dict[str, Any]] = []

        async def cards(request: web.Request) -> web.Response:
            verifier = CallbackVerifier(encrypt_key=EK, verification_token=VT)
            received.append(
                verifier.verify(request.headers, await request.read(), scheme="event").payload
            )
            return web.json_response({"toast": {"type": "info", "content": "ok"}})

        app = web.Application()
        app.router.add_post("/cards", cards)
        async with serve(app) as base:
            with pytest.raises(LookupError):
                sender_for(fake, APP)
            with pytest.raises(ValueError, match="key"):
                subscribe(fake, APP, cards_url=f"{base}/cards")
            async with LarkClient(APP, "secret-0001", domain=fake.url) as lark:
                sent = await lark.request(
                    "POST",
                    "/open-apis/im/v1/messages",
                    params={"receive_id_type": "chat_id"},
                    json={
                        "receive_id": chat,
                        "msg_type": "interactive",
                        "content": json.dumps(card("审批中")),
                    },
                )
                message_id = sent.unwrap()["message_id"]
                route = "/open-apis/emulator/v1/callbacks"
                resp = await lark.request(
                    "POST",
                    f"{route}/subscription",
                    json={
                        "cards_url": f"{base}/cards",
                        "encrypt_key": EK,
                        "verification_token": VT,
                    },
                )
                assert resp.ok and resp.data == {
                    "app_id": APP,
                    "events_url": None,
                    "cards_url": f"{base}/cards",
                }
                answer = await lark.request(
                    "POST",
                    f"{route}/card_action",
                    json={"message_id": message_id, "open_id": OPEN_ID, "value": {"a": 1}},
                )
                assert answer.unwrap() == {
                    "status": 200,
                    "body": {"toast": {"type": "info", "content": "ok"}},
                    "error": None,
                }
                bad = await lark.request(
                    "POST", f"{route}/card_action", json={"message_id": message_id, "value": 1}
                )
                assert not bad.ok and bad.code == 99992402
            # the secrets are masked in the emulator's journal
            entry = fake.journal.filter(path=f"{route}/subscription")[0]
            assert entry.json["encrypt_key"] == "***" and entry.json["verification_token"] == "***"
        token = received[0]["event"]["token"]
        assert token in fake.state(ImState).card_tokens  # the IM emulator will count its uses
        assert received[0]["event"]["context"]["open_message_id"] == message_id
        assert len(fake.state(CallbacksState).deliveries) == 1
        again = await click(fake, APP, message_id=message_id, open_id=OPEN_ID, value="x")
        assert again.status is None  # the receiver is gone: no answer
