"""The dispatcher and the card updater: retries, dead letters, token and PATCH updates.

Time is a FakeClock shared by the client, the emulator and the dispatcher, so the
backoff waits are asserted, not slept.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import pytest

from lark_async import LarkClient
from lark_async.callbacks import (
    CallbackEvent,
    CallbackRouter,
    CardUpdate,
    Dispatcher,
    Envelope,
    HandlerRetry,
    MemoryBroker,
    MemoryProcessedStore,
    Toast,
    Worker,
)
from lark_async.callbacks.cards import CardUpdater
from lark_async.callbacks.dedupe import ProcessedMemoryFull
from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator

from .conftest import APP, OPEN_ID, card, card_text

SECRET = "dispatch-app-secret-0001"
UPDATE = "/open-apis/interactive/v1/card/update"


@dataclass
class World:
    fake: FakeLark
    im: ImEmulator
    lark: LarkClient
    clock: FakeClock
    chat_id: str

    async def send_card(self, state: str = "审批中", *, shared: bool = True) -> str:
        content = card(state)
        if not shared:
            content["config"] = {"update_multi": False}
        resp = await self.lark.request(
            "POST",
            "/open-apis/im/v1/messages",
            params={"receive_id_type": "chat_id"},
            json={
                "receive_id": self.chat_id,
                "msg_type": "interactive",
                "content": json.dumps(content, ensure_ascii=False),
            },
        )
        return str(resp.unwrap()["message_id"])

    def event(self, message_id: str, action: str = "approve", **kw: Any) -> CallbackEvent:
        token = kw.pop("card_token", None) or self.im.issue_card_token(message_id)
        raw = CallbackEvent(
            event_id=kw.pop("event_id", f"ev-{message_id}-{action}"),
            app_id=APP,
            kind="card_action",
            event_type="card.action.trigger",
            received_at=kw.pop("received_at", self.clock.time()),
            verified_by="signature",
            create_time=self.clock.time(),
            message_id=message_id,
            operator_id=OPEN_ID,
            card_token=token,
            payload={"event": {"action": {"value": {"action": action}, "tag": "button"}}},
        )
        return CallbackEvent.from_dict(raw.to_dict())

    def state_of(self, message_id: str) -> str:
        return card_text(self.im.message(message_id))


@asynccontextmanager
async def world() -> AsyncIterator[World]:
    clock = FakeClock()
    async with FakeLark(time_func=clock.time) as fake:
        fake.add_app(APP, SECRET)
        im = ImEmulator.of(fake)
        chat_id = im.add_chat()
        async with LarkClient(
            APP, SECRET, domain=fake.url, clock=clock, client_rate_limit=False
        ) as lark:
            yield World(fake, im, lark, clock, chat_id)


def approve_router(calls: list[str], result: Any = None) -> CallbackRouter:
    router = CallbackRouter()

    @router.card_action("approve")
    async def approve(event: CallbackEvent) -> Any:
        calls.append(event.event_id)
        return result if result is not None else CardUpdate(card("已通过"))

    return router


async def test_update_waits_for_the_answer_grace_then_uses_the_token() -> None:
    async with world() as w:
        message_id = await w.send_card()
        calls: list[str] = []
        dispatcher = Dispatcher(approve_router(calls), lark=w.lark, clock=w.clock)
        decision = await dispatcher.handle(Envelope(w.event(message_id)))
        assert decision.action == "ack" and calls == [f"ev-{message_id}-approve"]
        assert w.clock.sleeps[0] == pytest.approx(0.5)  # default answer_grace
        assert w.state_of(message_id) == "已通过"
        assert w.im.card_updates[-1]["message_id"] == message_id


async def test_update_waits_for_the_answered_event() -> None:
    async with world() as w:
        message_id = await w.send_card()
        dispatcher = Dispatcher(approve_router([]), lark=w.lark, clock=w.clock)
        answered = asyncio.Event()
        task = asyncio.create_task(
            dispatcher.handle(Envelope(w.event(message_id)), answered=answered)
        )
        for _ in range(20):
            await asyncio.sleep(0)
        assert not task.done() and w.im.card_updates == []
        answered.set()
        assert (await task).action == "ack"
        assert w.state_of(message_id) == "已通过"


async def test_spent_token_falls_back_to_patch() -> None:
    async with world() as w:
        message_id = await w.send_card()
        event = w.event(message_id)
        for state in ("a", "b"):  # someone else used both uses
            resp = await w.lark.request(
                "POST", UPDATE, json={"token": event.card_token, "card": card(state)}
            )
            assert resp.ok
        result = await CardUpdater(w.lark, clock=w.clock).apply(event, CardUpdate(card("已通过")))
        assert result.ok and result.via == "patch" and result.token_uses == 2
        assert w.state_of(message_id) == "已通过"
        journal = w.fake.journal.filter(method="PATCH")
        assert len(journal) == 1 and journal[0].status == 200


async def test_expired_token_goes_straight_to_patch_and_via_token_refuses() -> None:
    async with world() as w:
        message_id = await w.send_card()
        event = w.event(message_id)
        w.clock.advance(31 * 60)  # the token lived 30 minutes
        updater = CardUpdater(w.lark, clock=w.clock)
        refused = await updater.apply(event, CardUpdate(card("x"), via="token"))
        assert not refused.ok and isinstance(refused.error, InvalidParameter)
        assert "expired" in refused.error.message
        result = await updater.apply(event, CardUpdate(card("已通过")))
        assert result.ok and result.via == "patch"
        assert w.fake.journal.count(path=UPDATE) == 0  # no request with a dead token


async def test_non_shared_card_update_needs_open_ids() -> None:
    async with world() as w:
        user = w.im.add_user(name="Ann")["open_id"]
        message_id = await w.send_card(shared=False)
        updater = CardUpdater(w.lark, clock=w.clock)
        plain = card("已通过")
        plain["config"] = {"update_multi": False}
        missing = await updater.apply(w.event(message_id), CardUpdate(plain, via="token"))
        assert not missing.ok and missing.error is not None and missing.error.code == 300090
        assert missing.error.hint and "open_ids" in missing.error.hint
        result = await updater.apply(
            w.event(message_id), CardUpdate(plain, via="token", open_ids=[user])
        )
        assert result.ok
        assert w.im.card_updates[-1]["open_ids"] == [user]


async def test_patch_needs_a_message_id() -> None:
    async with world() as w:
        message_id = await w.send_card()
        event = w.event(message_id)
        object.__setattr__(event, "message_id", "../../etc")
        result = await CardUpdater(w.lark, clock=w.clock).apply(
            event, CardUpdate(card("x"), via="patch")
        )
        assert not result.ok and isinstance(result.error, InvalidParameter)
        assert w.fake.journal.count(method="PATCH") == 0


async def test_handler_failures_back_off_then_dead_letter() -> None:
    async with world() as w:
        message_id = await w.send_card()
        attempts: list[int] = []
        router = CallbackRouter()

        @router.card_action("approve")
        async def approve(event: CallbackEvent) -> CardUpdate:
            attempts.append(1)
            raise TimeoutError("slow downstream")

        broker = MemoryBroker(clock=w.clock)
        dispatcher = Dispatcher(
            router, lark=w.lark, clock=w.clock, retry=HandlerRetry(4, (1.0, 5.0, 30.0))
        )
        async with Worker(broker, dispatcher, concurrency=2):
            await broker.publish(Envelope(w.event(message_id)), timeout=1)
            await broker.drain()
        assert len(attempts) == 4
        assert w.clock.sleeps == [1.0, 5.0, 30.0]
        [dead] = broker.dead
        assert (dead.reason, dead.envelope.attempt) == ("handler_failed", 4)
        assert w.state_of(message_id) == "审批中"


async def test_failed_update_is_retried_without_running_the_handler_again() -> None:
    async with world() as w:
        message_id = await w.send_card()
        calls: list[str] = []
        broker = MemoryBroker(clock=w.clock)
        dispatcher = Dispatcher(
            approve_router(calls), lark=w.lark, clock=w.clock, retry=HandlerRetry(3, (2.0,))
        )
        # four 500s: the transport's own three retries, then the dispatcher's
        w.fake.faults.fail(f"POST {UPDATE}", times=4, status=500, code=1500, msg="internal")
        async with Worker(broker, dispatcher):
            await broker.publish(Envelope(w.event(message_id)), timeout=1)
            await broker.drain()
        assert len(calls) == 1  # the handler ran once
        assert w.state_of(message_id) == "已通过"
        assert 2.0 in w.clock.sleeps


async def test_dead_letter_reasons() -> None:
    async with world() as w:
        message_id = await w.send_card()
        calls: list[str] = []
        bad = Dispatcher(approve_router(calls, result={"card": "?"}), lark=w.lark, clock=w.clock)
        decision = await bad.handle(Envelope(w.event(message_id)))
        assert (decision.action, decision.reason) == ("dead", "bad_reply")
        assert "returned dict" in (decision.envelope.last_error or "")
        none = Dispatcher(CallbackRouter(), lark=w.lark, clock=w.clock)
        assert (await none.handle(Envelope(w.event(message_id)))).reason == "no_handler"
        no_client = Dispatcher(approve_router([]), clock=w.clock)
        decision = await no_client.handle(Envelope(w.event(message_id, event_id="e2")))
        assert decision.reason == "no_client" and decision.envelope.pending is not None
        wrong_card = Dispatcher(
            approve_router([], CardUpdate({"schema": "2.0", "body": "not a card"})),
            lark=w.lark,
            clock=w.clock,
        )
        decision = await wrong_card.handle(Envelope(w.event(message_id, event_id="e3")))
        assert decision.reason == "card_update_failed"


async def test_toast_from_an_async_handler_is_logged_not_lost_silently(
    log_lines: list[str],
) -> None:
    async with world() as w:
        message_id = await w.send_card()
        dispatcher = Dispatcher(approve_router([], Toast("hi")), lark=w.lark, clock=w.clock)
        assert (await dispatcher.handle(Envelope(w.event(message_id)))).action == "ack"
    assert any("lark.callback.toast_dropped" in line for line in log_lines)


async def test_processed_store_claims() -> None:
    clock = FakeClock()
    store = MemoryProcessedStore(ttl=10, max_entries=2, now=clock.time)
    assert await store.claim("a") and not await store.claim("a")  # running
    await store.release("a")
    assert await store.claim("a")
    await store.done("a")
    assert not await store.claim("a")  # done
    clock.advance(11)
    assert await store.claim("a")  # forgotten after the TTL
    for key in ("b",):
        await store.claim(key)
        await store.done(key)
    with pytest.raises(ProcessedMemoryFull):  # a live id is never forgotten to make room
        await store.claim("c")
    assert len(store) == 1 and not await store.claim("b")  # "a" running, "b" done
    with pytest.raises(InvalidParameter):
        MemoryProcessedStore(ttl=0)
    with pytest.raises(InvalidParameter):
        HandlerRetry(0)
    with pytest.raises(InvalidParameter):
        HandlerRetry(3, ())
    with pytest.raises(InvalidParameter):
        Worker(MemoryBroker(), Dispatcher(CallbackRouter()), concurrency=0)


async def test_memory_broker_parks_on_a_consume_bug_and_reports_full() -> None:
    from lark_async.callbacks import QueueUnavailable

    async with world() as w:
        broker = MemoryBroker(clock=w.clock, maxsize=1)
        envelope = Envelope(w.event(await w.send_card()))
        await broker.publish(envelope, timeout=1)
        assert not broker.available
        with pytest.raises(QueueUnavailable, match="full"):
            await broker.publish(envelope, timeout=1)

        async def broken(_: Envelope) -> Any:
            raise KeyError("bug")

        consuming = asyncio.create_task(broker.consume(broken, concurrency=1))
        await broker.drain()
        consuming.cancel()
        await asyncio.gather(consuming, return_exceptions=True)
        assert [d.reason for d in broker.dead] == ["consumer_error"]
        await broker.close()
        with pytest.raises(QueueUnavailable, match="closed"):
            await broker.publish(envelope, timeout=1)


def test_handler_retry_delays_follow_the_schedule_with_optional_jitter() -> None:
    import random

    retry = HandlerRetry(5, (1, 5, 30))
    assert [retry.delay(n) for n in range(1, 6)] == [1.0, 5.0, 30.0, 30.0, 30.0]
    spread = HandlerRetry(5, (10.0,), jitter=0.1)
    rng = random.Random(3)
    delays = [spread.delay(1, rng) for _ in range(200)]
    assert all(9.0 <= d <= 11.0 for d in delays)
    assert len(set(delays)) > 1
    with pytest.raises(InvalidParameter):
        HandlerRetry(3, (1.0,), jitter=1.5)
    # RabbitMQ declares one retry queue per distinct delay: no jitter there.
    from lark_async.callbacks import Callbacks
    from lark_async.core.errors import ConfigError

    with pytest.raises(ConfigError, match="jitter"):
        Callbacks(amqp_url="amqp://guest:guest@127.0.0.1:5672/", retry=spread)


def test_the_old_name_retry_policy_still_works_with_a_deprecation_warning() -> None:
    import lark_async.callbacks
    import lark_async.callbacks.dispatch

    with pytest.warns(DeprecationWarning, match="HandlerRetry"):
        from lark_async.callbacks import RetryPolicy
    assert RetryPolicy is HandlerRetry
    with pytest.warns(DeprecationWarning, match="HandlerRetry"):
        assert lark_async.callbacks.dispatch.RetryPolicy is HandlerRetry
    with pytest.raises(AttributeError):
        lark_async.callbacks.NoSuchThing  # type: ignore[attr-defined]  # noqa: B018
