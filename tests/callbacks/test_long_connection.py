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


async def test_card_answer_is_sent_within_the_budget_even_when_the_handler_is_slow(
    lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    callbacks = Callbacks()
    release = asyncio.Event()

    @callbacks.card_action("slow", sync=True, budget=0.3)
    async def slow(event: CallbackEvent) -> Toast:
        await release.wait()
        return Toast("too late for the answer")

    @callbacks.card_action("fast", sync=True)
    async def fast(event: CallbackEvent) -> CardUpdate:
        return CardUpdate({"elements": [{"tag": "markdown", "content": "done"}]})

    async with callbacks.long_connection(lark):
        await ws.wait_connected()
        slow_msg = await ws.push_card({"action": "slow"})
        fast_msg = await ws.push_card({"action": "fast"}, message_id="om_fast")
        slow_answer = await ws.wait_answer(slow_msg)
        fast_answer = await ws.wait_answer(fast_msg)
        release.set()
    # The slow one is acknowledged when its budget runs out, well inside 3 s.
    assert slow_answer.code == 200 and slow_answer.elapsed < 2.9
    assert slow_answer.body is None
    assert fast_answer.body == {
        "card": {"type": "raw", "data": {"elements": [{"tag": "markdown", "content": "done"}]}}
    }


@pytest.mark.parametrize("reverse", [False, True])
async def test_multi_part_payloads_are_joined(
    lark: LarkClient, ws: LongConnectionEmulator, reverse: bool
) -> None:
    callbacks = Callbacks()
    texts: list[str] = []

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        texts.append(event.payload["event"]["message"]["text"])

    @callbacks.card_action("approve", sync=True)
    async def approve(event: CallbackEvent) -> Toast:
        assert event.action is not None
        return Toast(f"approved {event.action.value['n']}")

    long_text = "长消息" * 2000
    async with callbacks.long_connection(lark) as conn:
        await ws.wait_connected()
        event_msg = await ws.push_event(
            "im.message.receive_v1", {"message": {"text": long_text}}, parts=4, reverse=reverse
        )
        card_msg = await ws.push_card({"action": "approve", "n": 7}, parts=3, reverse=reverse)
        assert (await ws.wait_answer(event_msg)).code == 200
        assert (await ws.wait_answer(card_msg)).body == {
            "toast": {"type": "info", "content": "approved 7"}
        }
        await wait_for(lambda: texts == [long_text])
        assert conn.stats.received == 2 and conn.stats.bad_frames == 0
    # Only the frame completing a message is answered, once per message.
    assert len(ws.answers(event_msg)) == 1 and len(ws.answers(card_msg)) == 1


async def test_a_dropped_connection_reconnects_and_misses_nothing_without_duplicates(
    lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    callbacks = Callbacks()
    handled: list[str] = []

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        handled.append(event.payload["event"]["n"])

    @callbacks.card_action("approve", sync=True)
    async def approve(event: CallbackEvent) -> Toast:
        assert event.action is not None
        handled.append(f"card-{event.action.value['n']}")
        return Toast("ok")

    async with callbacks.long_connection(lark) as conn:
        await ws.wait_connected()
        first = [await ws.push_event("im.message.receive_v1", {"n": f"a{i}"}) for i in range(3)]
        for message_id in first:
            await ws.wait_answer(message_id)
        # Handled, but the answers are lost with the connection: Feishu re-sends them.
        ws.lose_answers(2)
        lost_event = await ws.push_event("im.message.receive_v1", {"n": "lost"})
        lost_card = await ws.push_card({"action": "approve", "n": 1})
        await wait_for(lambda: "lost" in handled and "card-1" in handled)
        await ws.wait_until(lambda: ws.pending() == [lost_event, lost_card] or False)
        assert ws.drop() == 1
        # Sent while nobody is connected: delivered on the next connection.
        while_down = [
            await ws.push_event("im.message.receive_v1", {"n": f"b{i}"}) for i in range(3)
        ]
        await ws.wait_connected(handshakes=2)
        for message_id in [lost_event, lost_card, *while_down]:
            answer = await ws.wait_answer(message_id)
            assert answer.code == 200
        await wait_for(lambda: len(handled) == 8)
        assert ws.pending() == []
        assert ws.sends(lost_event) == -1  # answered, so no longer pending
        assert conn.stats.connects == 2 and conn.stats.disconnects == 1
        assert conn.stats.duplicates == 2
    # Every event handled exactly once; the re-sent card got its first answer again.
    assert sorted(handled) == sorted(["a0", "a1", "a2", "lost", "card-1", "b0", "b1", "b2"])
    assert ws.answers(lost_card)[0].body == {"toast": {"type": "info", "content": "ok"}}


async def test_pongs_carry_new_settings_and_state_changes_log_one_line_each(
    lark: LarkClient, ws: LongConnectionEmulator, log_lines: list[str], fake_lark: FakeLark
) -> None:
    callbacks = Callbacks()

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        return None

    async with callbacks.long_connection(lark) as conn:
        await ws.wait_until(lambda: ws.pings() >= 1)
        await wait_for(lambda: conn.stats.pongs >= 1)
        assert conn.config.ping_interval == 30 and conn.config.reconnect_nonce == 0
        ws.drop()
        await ws.wait_connected(handshakes=2)
        await wait_for(lambda: conn.state == "connected")
    states = [line for line in log_lines if "lark.long_connection." in line]
    names = [
        next(w for w in line.split('"') if w.startswith("lark.long_connection.")) for line in states
    ]
    assert names == [
        "lark.long_connection.connected",
        "lark.long_connection.disconnected",
        "lark.long_connection.connected",
        "lark.long_connection.stopped",
    ]
    assert not any(fake_lark.app_secret in line for line in log_lines)
    assert not any("ticket=" in line for line in log_lines)  # the URL's one-time credentials


async def test_queued_handlers_with_keys_share_the_http_ingress_delivery(
    lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    from lark_async.callbacks import AppKeys

    callbacks = Callbacks({lark.default_app.app_id: AppKeys(verification_token="vt-1")})
    handled = asyncio.Event()

    @callbacks.card_action("later", ack=Toast("queued"))
    async def later(event: CallbackEvent) -> None:
        handled.set()

    conn = callbacks.long_connection(lark)
    assert callbacks.ingress is not None and conn.delivery is callbacks.ingress.delivery
    async with conn:
        answer = await ws.wait_answer(await ws.push_card({"action": "later"}))
        await asyncio.wait_for(handled.wait(), 10)
    assert answer.body == {"toast": {"type": "info", "content": "queued"}}
    assert callbacks.ingress.stats.published == 1


async def test_a_refused_app_secret_fails_start_with_a_typed_error(
    fake_lark: FakeLark, ws: LongConnectionEmulator
) -> None:
    callbacks = Callbacks()
    async with LarkClient(
        fake_lark.app_id, "wrong-secret", domain=fake_lark.url, client_rate_limit=False
    ) as lark:
        conn = callbacks.long_connection(lark)
        with pytest.raises(LongConnectionRefused) as caught:
            await conn.start()
    assert caught.value.code == 10014 and "wrong-secret" not in str(caught.value)
    assert conn.state == "stopped" and ws.handshakes() == 0


async def test_refused_handshakes_are_retried_with_backoff(
    lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    ws.refuse_handshakes(2)
    delays: list[float] = []

    class Clock:  # the backoff's waits, recorded instead of slept
        def time(self) -> float:
            return 1_700_000_000.0

        def monotonic(self) -> float:
            return asyncio.get_running_loop().time()

        async def sleep(self, seconds: float) -> None:
            delays.append(seconds)
            await asyncio.sleep(0)

    conn = LongConnection(Callbacks(), lark, rng=lambda: 0.0, clock=Clock())
    async with conn:
        await ws.wait_connected()
    assert ws.handshakes() == 1 and conn.stats.failed_attempts == 2
    # Doubling from 1 s, capped by ReconnectInterval (1 s here), half of it random.
    assert delays[:2] == [0.5, 0.5]


async def test_giving_up_after_the_servers_reconnect_count(
    lark: LarkClient, ws: LongConnectionEmulator, fake_lark: FakeLark
) -> None:
    from lark_async.callbacks import LongConnectionFailed

    ws.configure(ReconnectCount=2)
    callbacks = Callbacks()
    async with callbacks.long_connection(lark) as conn:
        await ws.wait_connected()
        ws.refuse_handshakes(10)
        ws.drop()
        with pytest.raises(LongConnectionFailed):
            await asyncio.wait_for(conn.run(), 20)
    assert conn.stats.failed_attempts == 3


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"lark": object()}, "lark"),
        ({"app_id": "not-an-app"}, "app_id"),
        ({"app_id": 5}, "app_id"),
        ({"worker": "yes"}, "worker"),
    ],
)
async def test_bad_input_to_the_constructor_is_a_typed_error(
    lark: LarkClient, kwargs: dict[str, Any], argument: str
) -> None:
    from lark_async.core.errors import LarkError

    callbacks = Callbacks()
    client = kwargs.pop("lark", lark)
    with pytest.raises(LarkError, match=argument):
        callbacks.long_connection(client, **kwargs)


@pytest.mark.parametrize(
    ("kwargs", "argument"),
    [
        ({"callbacks": "not callbacks"}, "callbacks"),
        ({"answer_budget": 0}, "answer_budget"),
        ({"max_payload_bytes": 0}, "max_payload_bytes"),
        ({"rng": 0.5}, "rng"),
        ({"app_secret": "plain"}, "app_secret"),
    ],
)
async def test_bad_input_to_long_connection_is_named(
    lark: LarkClient, kwargs: dict[str, Any], argument: str
) -> None:
    from lark_async.core.errors import InvalidParameter

    callbacks = kwargs.pop("callbacks", Callbacks())
    with pytest.raises(InvalidParameter, match=argument):
        LongConnection(callbacks, lark, **kwargs)


async def test_bad_frames_are_counted_and_answered_without_handling(
    lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    callbacks = Callbacks()

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        raise AssertionError("never called")

    async with callbacks.long_connection(lark) as conn:
        await ws.wait_connected()
        not_json = await ws.push_payload(b"\xff not json")
        other_app = {
            "schema": "2.0",
            "header": {"event_type": "x", "event_id": "e1", "app_id": "cli_other0000001"},
        }
        mismatch = await ws.push_payload(other_app)
        assert (await ws.wait_answer(not_json)).code == 400
        assert (await ws.wait_answer(mismatch)).code == 400
        assert conn.stats.bad_frames == 2 and conn.stats.received == 2


async def test_drops_under_load_lose_nothing_and_handle_everything_once(
    lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    callbacks = Callbacks()
    counts: dict[str, int] = {}

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        counts[event.event_id] = counts.get(event.event_id, 0) + 1

    @callbacks.card_action("approve", sync=True)
    async def approve(event: CallbackEvent) -> Toast:
        counts[event.event_id] = counts.get(event.event_id, 0) + 1
        return Toast("ok")

    sent: list[str] = []
    async with callbacks.long_connection(lark) as conn:
        await ws.wait_connected()
        for round_ in range(4):
            ws.lose_answers(5)  # handled here, but the acknowledgements are lost
            for i in range(60):
                event_id = f"ev{round_}-{i}"
                sent.append(event_id)
                if i % 10 == 0:
                    await ws.push_card({"action": "approve"}, event_id=event_id, parts=2)
                else:
                    await ws.push_event("im.message.receive_v1", {"i": i}, event_id=event_id)
            await wait_for(lambda: all(event_id in counts for event_id in sent), timeout=30)
            await ws.wait_until(lambda: len(ws.pending()) == 5, timeout=30)
            for i in range(10):  # in flight when the connection drops
                sent.append(f"late{round_}-{i}")
                await ws.push_event("im.message.receive_v1", {}, event_id=sent[-1])
            ws.drop()  # everything unacknowledged is re-sent on the next connection
            await ws.wait_connected(handshakes=round_ + 2)
        await ws.wait_until(lambda: ws.pending() == [], timeout=30)
        await wait_for(lambda: len(counts) == len(sent), timeout=30)
        assert conn.stats.connects == 5 and conn.stats.duplicates >= 20
    assert sorted(counts) == sorted(sent)
    assert set(counts.values()) == {1}  # nothing handled twice, though some were re-sent


async def test_stop_leaves_a_callbacks_started_by_its_owner_running(
    lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    from lark_async.callbacks import AppKeys

    callbacks = Callbacks({lark.default_app.app_id: AppKeys(verification_token="vt-2")})

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        return None

    async with callbacks:  # e.g. serving HTTP as well
        async with callbacks.long_connection(lark):
            await ws.wait_connected()
        await ws.wait_until(lambda: ws.connected() == 0)
        assert callbacks.running
    assert not callbacks.running


async def test_the_secret_can_come_from_a_function(
    fake_lark: FakeLark, ws: LongConnectionEmulator
) -> None:
    class OnlyApp:  # anything with .app(app_id).request: no token manager to read from
        def __init__(self, lark: LarkClient) -> None:
            self._lark = lark

        def app(self, app_id: str) -> Any:
            return self._lark.app(app_id)

    async def secret_of(app_id: str) -> str:
        return fake_lark.app_secret

    async with LarkClient(
        fake_lark.app_id, fake_lark.app_secret, domain=fake_lark.url, client_rate_limit=False
    ) as lark:
        conn = LongConnection(
            Callbacks(), OnlyApp(lark), app_id=fake_lark.app_id, app_secret=secret_of
        )
        async with conn:
            await ws.wait_connected()
            assert conn.connected and "secret" not in repr(conn)


async def test_no_app_secret_fails_start_instead_of_retrying_forever(
    fake_lark: FakeLark, lark: LarkClient, ws: LongConnectionEmulator
) -> None:
    from lark_async.core.errors import ConfigError

    conn = LongConnection(Callbacks(), lark, app_id=fake_lark.app_id, app_secret=lambda _: "")
    with pytest.raises(ConfigError, match="no app secret"):
        await conn.start()
    assert conn.state == "stopped" and conn.stats.failed_attempts == 0
    assert ws.handshakes() == 0


async def _silent_websocket_host() -> tuple[asyncio.Server, str]:
    """A host that accepts TCP and never answers the WebSocket handshake (a blackhole)."""

    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()  # until the client gives up
        writer.close()

    server = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    return server, f"ws://127.0.0.1:{port}/ws?device_id=d1&service_id=7"


def _endpoint_at(monkeypatch: pytest.MonkeyPatch, url: str) -> list[int]:
    from lark_async.callbacks.longconn import client as client_module
    from lark_async.callbacks.longconn.endpoint import Endpoint

    calls: list[int] = []

    async def fetch(request: Any, app_id: str, secret: str, config: Any) -> Endpoint:
        calls.append(1)
        return Endpoint(url=url, device_id="d1", service_id=7, config=config)

    monkeypatch.setattr(client_module, "fetch_endpoint", fetch)
    return calls


async def test_a_handshake_that_never_answers_times_out_and_is_retried(
    lark: LarkClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lark_async.callbacks.longconn import client as client_module

    server, url = await _silent_websocket_host()
    calls = _endpoint_at(monkeypatch, url)
    monkeypatch.setattr(client_module, "CONNECT_TIMEOUT", 0.3)
    conn = Callbacks().long_connection(lark, worker=False)
    try:
        async with asyncio.timeout(10):  # the first attempt gives up after CONNECT_TIMEOUT
            await conn.start()
        assert conn.state == "reconnecting" and conn.stats.failed_attempts == 1
        assert calls == [1]
    finally:
        await conn.stop()
        server.close()


async def test_run_cancelled_while_connecting_stops_everything(
    lark: LarkClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    server, url = await _silent_websocket_host()
    calls = _endpoint_at(monkeypatch, url)
    callbacks = Callbacks()

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        return None

    conn = callbacks.long_connection(lark)
    running = asyncio.create_task(conn.run())
    try:
        await wait_for(lambda: calls and callbacks.running)
        running.cancel()
        with pytest.raises(asyncio.CancelledError):
            await running
        # nothing left behind: no connection loop, the callbacks it started closed
        assert conn._task is None and conn.state == "stopped"
        assert not callbacks.running
    finally:
        await conn.stop()
        server.close()


@pytest.mark.parametrize("keys", [False, True])
async def test_stopping_one_of_two_apps_connections_leaves_the_other_working(
    fake_lark: FakeLark, lark: LarkClient, ws: LongConnectionEmulator, keys: bool
) -> None:
    from lark_async.callbacks import AppKeys

    other = "cli_other000000002"
    fake_lark.add_app(other, "other-secret")
    secrets = {fake_lark.app_id: fake_lark.app_secret, other: "other-secret"}
    callbacks = Callbacks({fake_lark.app_id: AppKeys(verification_token="vt")} if keys else None)
    seen: list[str] = []

    @callbacks.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None:
        seen.append(event.app_id)

    first = LongConnection(callbacks, lark, app_id=fake_lark.app_id, app_secret=secrets.get)
    second = LongConnection(callbacks, lark, app_id=other, app_secret=secrets.get)
    # either one may stop first: the first started, or the last started
    for stopping, staying in ((second, first), (first, second)):
        seen.clear()
        await first.start()
        await second.start()
        await stopping.stop()
        message = await ws.push_event(
            "im.message.receive_v1", {"message": {}}, app_id=staying.app_id
        )
        assert (await ws.wait_answer(message)).code == 200
        expected = [staying.app_id]
        await wait_for(lambda: seen == expected)  # noqa: B023 (awaited in this turn)
        assert callbacks.running and callbacks.broker.available
        assert staying.delivery.stats.degraded == 0  # queued, not handled in degraded mode
        await staying.stop()
        assert not callbacks.running  # the last one out closed what they started
