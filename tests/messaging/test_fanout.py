"""send_to_many: per-recipient results, order, pacing, concurrency and re-runs."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest

from lark_async.core.clock import FakeClock
from lark_async.core.errors import ConfigError, InvalidParameter, NotFound, PermissionDenied
from lark_async.messaging import Card, Markdown, Messaging, Receiver, RecipientResult
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator
from tests.helpers import client_for

SEND = "/open-apis/im/v1/messages"


async def test_results_in_input_order_with_typed_failures(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    ok = im.seed_users(3)
    unreachable = im.add_user(reachable=False)["open_id"]
    dissolved = im.add_chat()
    im.dissolve_chat(dissolved)
    receivers = [ok[0], "ou_ghost", ok[1], "no shape", unreachable, dissolved, ok[2]]
    report = await msg.send_to_many(receivers, "maintenance at 22:00", concurrency=3)
    assert [r.receiver for r in report] == receivers
    assert [r.status for r in report] == [
        "sent",
        "failed",
        "sent",
        "failed",
        "failed",
        "failed",
        "sent",
    ]
    assert isinstance(report[1].error, NotFound)
    assert isinstance(report[3].error, InvalidParameter)  # never sent
    assert isinstance(report[4].error, PermissionDenied)
    assert report[5].error is not None and report[5].error.code == 232009
    assert all(r.message_id and r.message_id.startswith("om_") for r in report.sent)
    assert report.summary() == {
        "sent": 3,
        "failed": 4,
        "failed.NotFound": 2,
        "failed.InvalidParameter": 1,
        "failed.PermissionDenied": 1,
    }
    assert not report.all_sent and len(report) == 7
    assert fake.journal.count("POST", SEND) == 6  # the shapeless id cost no request


async def test_any_message_type_and_receiver_objects(msg: Messaging, im: ImEmulator) -> None:
    u = im.add_user(user_id="emp001")
    chat = im.add_chat()
    report = await msg.send_to_many(
        [Receiver("emp001", "user_id"), chat], Card(Markdown("**deploy** finished"))
    )
    assert report.all_sent
    assert [m["msg_type"] for m in im.messages(receive_id=u["open_id"])] == ["interactive"]
    typed = await msg.send_to_many(["emp001"], "hi", receive_id_type="user_id")
    assert typed.all_sent and typed[0].receive_id_type == "user_id"


async def test_bad_content_or_arguments_raise_before_any_send(
    msg: Messaging, fake: FakeLark, user: str
) -> None:
    with pytest.raises(InvalidParameter, match="150 KB"):
        await msg.send_to_many([user], "x" * 200_000)
    with pytest.raises(InvalidParameter, match="single recipient"):
        await msg.send_to_many(user, "hi")
    with pytest.raises(InvalidParameter, match="concurrency"):
        await msg.send_to_many([user], "hi", concurrency=0)
    with pytest.raises(InvalidParameter, match="dedupe_key"):
        await msg.send_to_many([user], "hi", dedupe_key="")
    assert fake.journal.count("POST", SEND) == 0


async def test_a_generator_is_read_lazily_with_bounded_concurrency(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    users = im.seed_users(40)
    pulled = 0
    in_flight = 0
    peak = 0

    def receivers() -> Iterator[str]:
        nonlocal pulled
        for u in users:
            pulled += 1
            yield u

    original = msg._send

    async def counting(*args, **kwargs):  # type: ignore[no-untyped-def]
        nonlocal in_flight, peak
        in_flight += 1
        peak = max(peak, in_flight)
        try:
            return await original(*args, **kwargs)
        finally:
            in_flight -= 1

    msg._send = counting  # type: ignore[method-assign]
    seen: list[RecipientResult] = []
    report = await msg.send_to_many(receivers(), "hello", concurrency=4, on_result=seen.append)
    assert report.all_sent and len(report) == 40
    assert 1 < peak <= 4
    assert pulled == 40
    assert sorted(r.receiver for r in seen) == sorted(users)


async def test_respects_per_recipient_and_app_limits_without_any_429(
    im: ImEmulator, fake: FakeLark, clock: FakeClock
) -> None:
    users = im.seed_users(60)
    # 60 users, plus 8 more to the first user: the app window (50/s, the client's
    # rate limiter) and the per-recipient 5 QPS (messaging's spacing) both bite;
    # the emulator enforces both. One worker: FakeClock jumps whenever any task
    # sleeps, so with several workers the emulator could see a request "arrive"
    # long after it was paced. (The concurrent case is covered in test_pacing,
    # tests/core/test_ratelimit.py and, in real time, by the benchmark.)
    async with client_for(fake, clock, client_rate_limit=True) as lark:
        msg = lark.messaging
        receivers = users + [users[0]] * 8
        report = await msg.send_to_many(receivers, "paced", concurrency=1)
    assert report.all_sent, report.summary()
    assert fake.rate_limited_count() == 0
    assert fake.journal.count("POST", SEND, code=230020) == 0
    assert fake.journal.count("POST", SEND) == len(receivers)  # no retries were needed
    assert clock.monotonic() >= 1.0  # 68 sends cannot fit in the first second


async def test_without_the_clients_limiter_the_app_window_is_hit(
    im: ImEmulator, fake: FakeLark, lark: object
) -> None:
    """Messaging no longer paces the app's windows itself: the client's limiter does."""
    users = im.seed_users(60)
    msg = lark.messaging  # type: ignore[attr-defined]
    report = await msg.send_to_many(users, "unpaced", concurrency=1)
    assert report.all_sent  # the 429s were waited out and retried
    assert fake.rate_limited_count() > 0


async def test_dedupe_key_makes_a_rerun_skip_what_was_sent(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    users = im.seed_users(5)
    first = await msg.send_to_many(users[:3], "payslip ready", dedupe_key="payroll-2024-06")
    assert first.all_sent
    rerun = await msg.send_to_many(users, "payslip ready", dedupe_key="payroll-2024-06")
    assert rerun.all_sent
    assert [r.uuid for r in rerun[:3]] == [r.uuid for r in first]
    assert [r.message_id for r in rerun[:3]] == [r.message_id for r in first]
    assert sum(len(im.messages(receive_id=u)) for u in users) == 5  # nobody got it twice
    other_job = await msg.send_to_many(users[:1], "payslip ready", dedupe_key="payroll-2024-07")
    assert other_job[0].uuid != first[0].uuid


async def test_a_dropped_answer_mid_fan_out_still_delivers_once(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    users = im.seed_users(10)
    fake.faults.drop(f"POST {SEND}", times=3, after_processing=True)
    report = await msg.send_to_many(users, "once each", concurrency=5)
    assert report.all_sent
    assert all(len(im.messages(receive_id=u)) == 1 for u in users)


async def test_a_closed_client_fails_each_recipient_instead_of_raising(
    msg: Messaging, lark: object, user: str
) -> None:
    await lark.aclose()  # type: ignore[attr-defined]
    report = await msg.send_to_many([user, user], "late")
    assert [type(r.error) for r in report] == [ConfigError, ConfigError]


async def test_unexpected_errors_propagate_and_stop_the_workers(
    msg: Messaging, im: ImEmulator
) -> None:
    users = im.seed_users(3)

    def broken() -> Iterator[str]:
        yield users[0]
        raise RuntimeError("source failed")

    with pytest.raises(ExceptionGroup) as exc:
        await msg.send_to_many(broken(), "x", concurrency=2)
    assert exc.group_contains(RuntimeError)
    await asyncio.sleep(0)
