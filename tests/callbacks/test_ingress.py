"""The HTTP ingress with the embedded (in-process) queue: verify, route, answer, update cards."""

from __future__ import annotations

import asyncio
import json
import time
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from lark_async.callbacks import (
    AppKeys,
    CallbackEvent,
    CallbackIngress,
    Callbacks,
    CardUpdate,
    HandlerRetry,
    MemoryBroker,
    Reply,
    Toast,
)
from lark_async.callbacks.ingress import DEGRADED_BODY
from lark_async.core.errors import InvalidParameter
from lark_async.testing import signing
from lark_async.testing.callbacks import CallbackSender

from .conftest import APP, EK, KEYS, OPEN_ID, OTHER_APP, VT, GatedClock, card, serve
from .stack import APP_SECRET, SERVERS, Stack, consume_all, stack


def approve_handler(callbacks: Callbacks, calls: list[str]) -> None:
    @callbacks.card_action("approve")
    async def approve(event: CallbackEvent) -> CardUpdate:
        calls.append(event.event_id)
        return CardUpdate(card("已通过"))


async def click(s: Stack, message_id: str, value: Any = None, **kwargs: Any) -> Any:
    return await s.sender.card_action(
        open_id=OPEN_ID,
        value=value if value is not None else {"action": "approve"},
        message_id=message_id,
        token=s.token_for(message_id),
        **kwargs,
    )


# -- url verification ---------------------------------------------------------------------


@pytest.mark.parametrize("server", SERVERS)
async def test_url_verification_on_both_endpoints(server: str) -> None:
    async with stack(server=server) as s:
        events = await s.sender.url_verification(challenge="ch-1")
        assert (events.status, events.body) == (200, {"challenge": "ch-1"})
        legacy = await s.sender.url_verification(challenge="ch-2", legacy=True)
        assert (legacy.status, legacy.body) == (200, {"challenge": "ch-2"})
        # unsigned (Feishu may send it so) but with the right token: accepted
        raw = json.dumps(signing.url_verification("ch-3", VT)).encode()
        plain = await s.sender.post(f"{s.base}/lark/{APP}/cards", {}, raw)
        assert plain.body == {"challenge": "ch-3"}
        wrong = json.dumps(signing.url_verification("ch-4", "not-the-token")).encode()
        refused = await s.sender.post(f"{s.base}/lark/{APP}/events", {}, wrong)
        assert refused.status == 401 and "ch-4" not in json.dumps(refused.body)
        assert s.callbacks.ingress is not None
        assert s.callbacks.ingress.stats.url_verifications == 3


# -- the happy path -----------------------------------------------------------------------


@pytest.mark.parametrize("server", SERVERS)
async def test_click_updates_the_card_through_the_token_after_the_answer(
    log_lines: list[str],
    server: str,
) -> None:
    async with stack(register=approve_handler, server=server) as s:
        message_id = await s.send_card("审批中")
        token = s.token_for(message_id)
        delivery = await s.sender.card_action(
            open_id=OPEN_ID, value={"action": "approve"}, message_id=message_id, token=token
        )
        assert (delivery.status, delivery.body) == (200, {})
        assert delivery.elapsed < 1.0
        await s.callbacks.drain()
        assert s.card_state(message_id) == "已通过"
        assert len(s.calls) == 1
        [update] = s.im.card_updates
        assert update["message_id"] == message_id and update["app_id"] == APP
        journal = s.fake.journal.filter(path="/open-apis/interactive/v1/card/update")
        assert len(journal) == 1 and journal[0].status == 200
    assert any("lark.callback.card_updated" in line for line in log_lines)
    for secret in (EK, VT, token, APP_SECRET):
        assert not any(secret in line for line in log_lines), "a secret reached the logs"


async def test_ack_toast_for_an_asynchronous_handler() -> None:
    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve", ack=Toast("已收到，处理中", "info"))
        async def approve(event: CallbackEvent) -> None:
            calls.append(event.event_id)

    async with stack(register=register) as s:
        delivery = await click(s, await s.send_card())
        assert delivery.body == {"toast": {"type": "info", "content": "已收到，处理中"}}
        await s.callbacks.drain()
        assert len(s.calls) == 1


@pytest.mark.parametrize("server", SERVERS)
async def test_synchronous_handler_answers_inline(server: str) -> None:
    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve", sync=True, budget=1.0)
        async def approve(event: CallbackEvent) -> Reply:
            calls.append(event.event_id)
            return Reply(Toast("已通过", "success"), CardUpdate(card("已通过")))

    async with stack(register=register, server=server) as s:
        delivery = await click(s, await s.send_card())
        assert delivery.status == 200
        assert delivery.body["toast"] == {"type": "success", "content": "已通过"}
        assert delivery.body["card"] == {"type": "raw", "data": card("已通过")}
        await s.callbacks.drain()
        assert s.im.card_updates == []  # answered inline: no API call
        assert len(s.calls) == 1
        assert s.callbacks.ingress is not None and s.callbacks.ingress.stats.inline == 1


async def test_synchronous_handler_over_budget_updates_the_card_later(
    log_lines: list[str],
) -> None:
    clock = GatedClock()
    release = asyncio.Event()

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve", sync=True, budget=0.5)
        async def approve(event: CallbackEvent) -> Reply:
            await release.wait()
            calls.append(event.event_id)
            return Reply(Toast("too late to show"), CardUpdate(card("已通过")))

    async with stack(register=register, clock=clock) as s:
        message_id = await s.send_card()
        clicking = asyncio.create_task(click(s, message_id))
        while 0.5 not in clock.sleeps:  # the ingress is now waiting on its budget
            await asyncio.sleep(0.001)
        clock.gate.set()  # ... which runs out
        delivery = await clicking
        assert (delivery.status, delivery.body) == (200, {})
        assert s.im.card_updates == []
        release.set()
        for _ in range(200):
            if s.im.card_updates:
                break
            await asyncio.sleep(0.005)
        assert s.card_state(message_id) == "已通过"
    assert any("lark.callback.handler_overran" in line for line in log_lines)


@pytest.mark.parametrize("server", SERVERS)
async def test_legacy_card_callback_on_the_cards_endpoint(server: str) -> None:
    seen: list[CallbackEvent] = []

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve")
        async def approve(event: CallbackEvent) -> CardUpdate:
            seen.append(event)
            return CardUpdate(card("已通过"))

    async with stack(register=register, server=server) as s:
        message_id = await s.send_card()
        delivery = await click(s, message_id, legacy=True)
        assert (delivery.status, delivery.body) == (200, {})
        await s.callbacks.drain()
        assert seen[0].legacy and seen[0].verified_by == "signature"
        assert seen[0].message_id == message_id and seen[0].event_id.startswith("v1-")
        assert s.card_state(message_id) == "已通过"


@pytest.mark.parametrize("server", SERVERS)
async def test_event_retries_reach_the_handler_once(server: str) -> None:
    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.event("im.message.receive_v1")
        async def on_message(event: CallbackEvent) -> None:
            calls.append(event.event_id)

    async with stack(register=register, server=server) as s:
        body = s.sender.message_body("hello")
        first = await s.sender.event(body)
        again = await s.sender.event(body)  # Feishu's retry of the same event id
        assert first.delivered and again.delivered
        await s.callbacks.drain()
        assert s.calls == [body["header"]["event_id"]]
        assert s.callbacks.ingress is not None and s.callbacks.ingress.stats.duplicates == 1


async def test_duplicate_queue_delivery_reaches_the_handler_once() -> None:
    async with stack(register=approve_handler, worker=False) as s:
        await click(s, await s.send_card())
        broker = s.callbacks.broker
        assert isinstance(broker, MemoryBroker)
        [envelope] = list(broker._st().queue._queue)  # type: ignore[attr-defined]
        await broker.publish(envelope, timeout=1)  # a redelivery of the same message
        decisions = await consume_all(s.callbacks)
        assert [d.action for d in decisions] == ["ack", "ack"]
        assert len(s.calls) == 1


async def test_mounted_in_an_existing_app_with_single_app_routes() -> None:
    callbacks = Callbacks(KEYS, default_app_id=APP)
    seen: list[str] = []

    @callbacks.event()
    async def anything(event: CallbackEvent) -> None:
        seen.append(event.event_type)

    async def health(_: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    async def startup(_: web.Application) -> None:
        await callbacks.start()

    async def cleanup(_: web.Application) -> None:
        await callbacks.close()

    existing = web.Application()
    existing.router.add_get("/health", health)
    callbacks.add_routes(existing, prefix="/feishu")
    existing.on_startup.append(startup)
    existing.on_cleanup.append(cleanup)
    async with serve(existing) as base:
        async with signing_sender(f"{base}/feishu/events") as sender:
            delivery = await sender.event(sender.message_body("hi"))
            assert delivery.delivered
        async with aiohttp.ClientSession() as http, http.get(f"{base}/health") as resp:
            assert resp.status == 200
        await callbacks.drain()
    assert seen == ["im.message.receive_v1"]


def signing_sender(events_url: str) -> CallbackSender:
    return CallbackSender(APP, encrypt_key=EK, verification_token=VT, events_url=events_url)


async def test_handler_that_raises_is_retried_then_dead_lettered() -> None:
    attempts: list[int] = []

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.card_action("approve")
        async def approve(event: CallbackEvent) -> None:
            attempts.append(1)
            raise RuntimeError("database down")

    retry = HandlerRetry(max_attempts=3, delays=(0.001, 0.002))
    async with stack(register=register, retry=retry) as s:
        await click(s, await s.send_card())
        await s.callbacks.drain()
        broker = s.callbacks.broker
        assert isinstance(broker, MemoryBroker)
        assert len(attempts) == 3
        [dead] = broker.dead
        assert dead.reason == "handler_failed" and dead.envelope.attempt == 3
        assert dead.envelope.last_error == "RuntimeError: database down"


# -- rejections ---------------------------------------------------------------------------


def _tamper(raw: bytes) -> bytes:
    # Change the last ciphertext character to a *different* one.
    last = raw[-3:-2]
    return raw[:-3] + (b"Y" if last == b"X" else b"X") + b'"}'


@pytest.mark.parametrize("server", SERVERS)
@pytest.mark.parametrize(
    ("case", "status", "reason"),
    [
        ("forged_signature", 401, "bad_signature"),
        ("stale_timestamp", 401, "stale_timestamp"),
        ("future_timestamp", 401, "future_timestamp"),
        ("replayed_nonce", 401, "replayed_nonce"),
        ("wrong_token", 401, "bad_token"),
        ("bad_ciphertext", 400, "bad_ciphertext"),
        ("malformed_json", 400, "malformed_json"),
        ("not_an_object", 400, "malformed_json"),
        ("plaintext", 403, "encryption_required"),
        ("missing_headers", 401, "missing_headers"),
        ("oversized", 413, "too_large"),
        ("oversized_chunked", 413, "too_large"),
        ("unknown_app", 404, "unknown_app"),
        ("bad_app_id", 404, "unknown_app"),
        ("app_mismatch", 400, "app_mismatch"),
        ("unknown_envelope", 400, "unknown_envelope"),
    ],
)
async def test_rejections(
    case: str, status: int, reason: str, server: str, log_lines: list[str]
) -> None:
    async with stack(register=approve_handler, max_body_bytes=64 * 1024, server=server) as s:
        message_id = await s.send_card()
        url = f"{s.base}/lark/{APP}/cards"
        body = s.sender.card_action_body(
            open_id=OPEN_ID, value={"action": "approve"}, message_id=message_id
        )
        headers, raw = s.sender.sign(body)
        now = int(time.time())
        if case == "forged_signature":
            raw = _tamper(raw)
        elif case == "stale_timestamp":
            headers, raw = s.sender.sign(body, timestamp=str(now - 301))
        elif case == "future_timestamp":
            headers, raw = s.sender.sign(body, timestamp=str(now + 400))
        elif case == "replayed_nonce":
            first = await s.sender.post(url, headers, raw)
            assert first.status == 200
        elif case == "wrong_token":
            body["header"]["token"] = "someone-elses-token"
            headers, raw = s.sender.sign(body)
        elif case == "bad_ciphertext":
            raw = json.dumps({"encrypt": "bm90IGEgcmVhbCBjaXBoZXJ0ZXh0IGF0IGFsbA=="}).encode()
            headers = dict(headers, **_sig(headers, raw))
        elif case in ("malformed_json", "not_an_object", "plaintext", "unknown_envelope"):
            plain = {
                "malformed_json": b'{"encrypt": ',
                "not_an_object": b"[1, 2]",
                "plaintext": json.dumps(body).encode(),
                "unknown_envelope": b"",
            }[case]
            if case == "unknown_envelope":
                plain_body = json.dumps({"hello": "world"}).encode()
                headers, raw = s.sender.sign(plain_body)
            else:
                raw = plain
                headers = dict(headers, **_sig(headers, raw))
        elif case == "missing_headers":
            headers = {}
        elif case == "oversized":
            raw = b'{"encrypt": "' + b"A" * (65 * 1024) + b'"}'
        elif case == "oversized_chunked":

            async def chunks() -> Any:
                for _ in range(40):
                    yield b"A" * 4096

            raw = chunks()  # type: ignore[assignment]
        elif case == "unknown_app":
            url = f"{s.base}/lark/{OTHER_APP}/cards"
        elif case == "bad_app_id":
            url = f"{s.base}/lark/..%2Fetc/cards"
        elif case == "app_mismatch":
            body["header"]["app_id"] = OTHER_APP
            headers, raw = s.sender.sign(body)
        delivery = await s.sender.post(url, headers, raw)  # type: ignore[arg-type]
        assert delivery.status == status, delivery.body
        # A bare status: nothing about why, nothing from the request.
        assert set(delivery.body) == {"msg"} and reason not in delivery.body["msg"]
        await s.callbacks.drain()
        # nothing reached a handler (the replay's original did, once)
        assert len(s.calls) == (1 if case == "replayed_nonce" else 0)
        assert s.callbacks.ingress is not None
        assert s.callbacks.ingress.stats.rejected[reason] == 1
    rejected = [json.loads(line) for line in log_lines if "lark.callback.rejected" in line]
    assert [r["reason"] for r in rejected] == [reason]
    assert all(EK not in line and VT not in line for line in log_lines)


def _sig(headers: dict[str, str], raw: bytes) -> dict[str, str]:
    """Re-sign tampered bytes correctly, so the check under test is the one after the signature."""
    ts, nonce = headers[signing.TIMESTAMP_HEADER], headers[signing.NONCE_HEADER]
    return {signing.SIGNATURE_HEADER: signing.sign_event(ts, nonce, EK, raw)}


@pytest.mark.parametrize("server", SERVERS)
async def test_token_only_app_checks_the_body_token(server: str) -> None:
    keys = {APP: AppKeys(verification_token=VT)}
    async with stack(register=approve_handler, keys=keys, server=server) as s:
        message_id = await s.send_card()
        body = s.sender.card_action_body(open_id=OPEN_ID, value={"action": "approve"})
        raw = json.dumps(body).encode()
        ok = await s.sender.post(f"{s.base}/lark/{APP}/cards", {}, raw)
        assert ok.status == 200
        body = s.sender.card_action_body(open_id=OPEN_ID, value={"action": "approve"})
        body["header"]["token"] = "wrong"
        bad = await s.sender.post(f"{s.base}/lark/{APP}/cards", {}, json.dumps(body).encode())
        assert bad.status == 401
        await s.callbacks.drain()
        assert len(s.calls) == 1
        assert message_id


@pytest.mark.parametrize("server", SERVERS)
async def test_broken_key_source_answers_503(server: str) -> None:
    class Broken:
        async def keys_for(self, app_id: str) -> AppKeys | None:
            raise OSError("registry file unreadable")

    async with stack(register=approve_handler, keys=Broken(), server=server) as s:
        delivery = await click(s, await s.send_card())
        assert (delivery.status, delivery.body) == (503, DEGRADED_BODY)


def test_ingress_settings_are_validated() -> None:
    broker = MemoryBroker()
    with pytest.raises(InvalidParameter, match="answer_budget"):
        CallbackIngress(KEYS, broker=broker, answer_budget=3.0)
    with pytest.raises(InvalidParameter, match="publish_timeout"):
        CallbackIngress(KEYS, broker=broker, publish_timeout=2.6)
    with pytest.raises(InvalidParameter, match="app_id"):
        CallbackIngress(KEYS, broker=broker, default_app_id="nope")
    ingress = CallbackIngress(KEYS, broker=broker)
    assert EK not in repr(ingress) and VT not in repr(ingress)


async def test_event_ids_are_remembered_across_key_rotation() -> None:
    class Rotating:
        def __init__(self) -> None:
            self.keys = AppKeys(encrypt_key=EK, verification_token=VT)

        async def keys_for(self, app_id: str) -> AppKeys | None:
            return self.keys if app_id == APP else None

    source = Rotating()

    def register(callbacks: Callbacks, calls: list[str]) -> None:
        @callbacks.event()
        async def anything(event: CallbackEvent) -> None:
            calls.append(event.event_id)

    async with stack(register=register, keys=source) as s:
        body = s.sender.message_body("before rotation")
        assert (await s.sender.event(body)).delivered
        source.keys = AppKeys(encrypt_key="rotated-key-0002", verification_token=VT)
        async with CallbackSender(
            APP,
            encrypt_key="rotated-key-0002",
            verification_token=VT,
            events_url=s.sender.events_url,
            retry_schedule=(),
        ) as rotated:
            again = await rotated.event(body)  # Feishu's retry, signed with the new key
            assert again.delivered
            old = await s.sender.event(s.sender.message_body("old key"))
            assert old.attempts[0].status == 401  # the old key no longer verifies
        await s.callbacks.drain()
        assert s.calls == [body["header"]["event_id"]]


async def test_callbacks_facade_guards() -> None:
    from lark_async.core.errors import ConfigError

    with pytest.raises(ConfigError, match="needs keys"):
        Callbacks(default_app_id="cli_guard0000001")
    assert Callbacks(spool="x.sqlite3").spool is not None  # the long connection's spool
    worker_only = Callbacks()
    with pytest.raises(ConfigError, match="no handlers"):
        await worker_only.start(ingress=False)
    with pytest.raises(ConfigError, match="no keys"):
        worker_only.web_app()
    with pytest.raises(InvalidParameter):
        await worker_only.start(ingress=False, worker=False)
    from lark_async.callbacks import RabbitBroker

    rabbit = Callbacks(KEYS, broker=RabbitBroker("amqp://127.0.0.1:1/"))
    with pytest.raises(ConfigError, match="in-process"):
        await rabbit.drain()
    assert "RabbitBroker" in repr(rabbit)


def test_the_old_ingress_module_still_exports_its_names() -> None:
    from lark_async.callbacks import delivery, http, inbound, ingress

    assert ingress.CallbackIngress is http.CallbackIngress is CallbackIngress
    assert ingress.IngressStats is inbound.IngressStats
    assert ingress.DEGRADED_BODY is inbound.DEGRADED_BODY
    assert ingress.DEFAULT_PUBLISH_TIMEOUT == delivery.DEFAULT_PUBLISH_TIMEOUT
    assert (ingress.DEFAULT_PREFIX, ingress.FEISHU_DEADLINE) == ("/lark", 3.0)


async def test_routes_on_an_app_that_never_started_the_callbacks_answer_503(
    log_lines: list[str],
) -> None:
    # add_routes() on the user's own aiohttp app, and no start(): a 200 would queue
    # into a broker nobody consumes; 503 makes Feishu retry and the log says why.
    from aiohttp.test_utils import TestClient, TestServer

    callbacks = Callbacks(KEYS)
    seen: list[str] = []

    @callbacks.event()
    async def anything(event: Any) -> None:
        seen.append(event.event_id)

    app = web.Application()
    callbacks.add_routes(app)
    async with TestClient(TestServer(app)) as client:
        url = str(client.make_url(f"/lark/{APP}/events"))
        async with CallbackSender(
            APP, encrypt_key=EK, verification_token=VT, events_url=url, retry_schedule=()
        ) as sender:
            delivery = await sender.event(sender.message_body("hi"))
    assert [(a.status, a.body) for a in delivery.attempts] == [
        (503, {"code": 503, "msg": "callbacks not started"})
    ]
    assert any("lark.callback.not_started" in line for line in log_lines)
    assert seen == [] and callbacks.ingress is not None
    assert callbacks.ingress.stats.published == 0
