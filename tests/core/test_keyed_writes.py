"""A caller's natural retry never duplicates a keyed write (issue: hardening, item 1).

When the answer to a keyed write is lost until the retries run out, the error
is an ``OutcomeUnknown`` that carries the key; retrying with that key is
de-duplicated by Feishu. Keyless writes through ``lark.request`` are never
resent and end as a non-retryable ``OutcomeUnknown``.
"""

from __future__ import annotations

from lark_async.core.clock import FakeClock
from lark_async.core.errors import ErrorKind, OutcomeUnknown
from lark_async.testing.bitable import BitableEmulator
from lark_async.testing.im import ImEmulator
from tests.helpers import client_for, emulator

MESSAGES = "POST /open-apis/im/v1/messages"


async def test_lost_answers_then_retry_with_the_key_delivers_once() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        im = ImEmulator.of(fake)
        user = im.add_user(name="Ann")["open_id"]
        fake.faults.drop(MESSAGES, times=4, after_processing=True)
        first = await lark.messaging.send_text_message(user, "pay day")
        err = first.error
        assert isinstance(err, OutcomeUnknown), err
        assert err.kind is ErrorKind.NETWORK and err.retryable
        key = err.idempotency_key
        assert key and first.idempotency_key == key
        assert f"uuid={key!r}" in (err.hint or "")
        again = await lark.messaging.send_text_message(user, "pay day", uuid=key)
        assert again.ok and again.idempotency_key == key
        assert len(im.messages(receive_id=user)) == 1  # delivered once, not twice


async def test_every_response_of_a_keyed_call_carries_its_key() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        user = ImEmulator.of(fake).add_user(name="Bo")["open_id"]
        ok = await lark.messaging.send_text_message(user, "hi")
        assert ok.ok and ok.idempotency_key and len(ok.idempotency_key) >= 16
        given = await lark.messaging.send_text_message(user, "hi", uuid="my-key-0001")
        assert given.idempotency_key == "my-key-0001"
        plain = await lark.request("GET", "/open-apis/emulator/v1/echo")
        assert plain.idempotency_key is None


async def test_create_record_lost_answers_then_retry_with_client_token() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        bt = BitableEmulator.of(fake)
        app = bt.create_app(name="Base")
        table = bt.create_table(app, name="T", fields=[{"field_name": "Name", "type": 1}])
        path = f"POST /open-apis/bitable/v1/apps/{app}/tables/{table}/records"
        fake.faults.drop(path, times=4, after_processing=True)
        first = await lark.bitable.create_record(app, table, {"Name": "Ann"})
        err = first.error
        assert isinstance(err, OutcomeUnknown) and err.retryable
        assert err.idempotency_key and f"client_token={err.idempotency_key!r}" in (err.hint or "")
        again = await lark.bitable.create_record(
            app, table, {"Name": "Ann"}, client_token=err.idempotency_key
        )
        assert again.ok
        assert len(bt.records(app, table)) == 1


async def test_keyless_write_is_sent_once_and_unknown() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.drop("POST /open-apis/emulator/v1/items", times=1, after_processing=True)
        resp = await lark.request("POST", "/open-apis/emulator/v1/items", json={"name": "a"})
        assert isinstance(resp.error, OutcomeUnknown) and not resp.error.retryable
        assert resp.attempts == 1 and resp.error.idempotency_key is None


async def test_keyed_write_definitely_refused_is_not_unknown() -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        fake.faults.fail(MESSAGES, times=None, status=400, code=230001, msg="bad content")
        user = ImEmulator.of(fake).add_user(name="Cy")["open_id"]
        resp = await lark.messaging.send_text_message(user, "x")
        assert resp.error is not None and not isinstance(resp.error, OutcomeUnknown)
        assert resp.error.idempotency_key == resp.idempotency_key is not None
