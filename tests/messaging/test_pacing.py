"""Per-recipient spacing: each send carries a Pace the client's limiter checks.

The limiter itself (the app's IM windows, and a pace checked at the same moment)
is tested on virtual time in tests/core/test_ratelimit.py; the emulator's
enforcement of both in test_fanout.py and test_send.py.
"""

from __future__ import annotations

import pytest

from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter
from lark_async.core.ratelimit import Pace
from lark_async.messaging import Messaging, Receiver
from lark_async.messaging.pacing import RecipientPacing
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator

SEND = "/open-apis/im/v1/messages"


def test_a_pace_per_recipient() -> None:
    pacing = RecipientPacing(5.0, margin=0.05)
    assert pacing.interval == pytest.approx(0.21)
    assert pacing.pace(Receiver("oc_1", "chat_id")) == Pace("im:chat_id:oc_1", pacing.interval)
    # the same id under another type is another recipient
    assert pacing.pace(Receiver("x1", "user_id")).key != pacing.pace(Receiver("x1", "open_id")).key
    assert RecipientPacing(5.0, margin=0.0).interval == pytest.approx(0.2)


def test_bad_settings_are_refused() -> None:
    for qps, margin in ((0, 0.05), (-1, 0.05), (5, 2), (5, -0.1)):
        with pytest.raises(ValueError):
            RecipientPacing(qps, margin=margin)


async def test_sends_to_one_recipient_are_spaced_on_the_clients_clock(
    msg: Messaging, im: ImEmulator, fake: FakeLark, clock: FakeClock
) -> None:
    chat = im.add_chat()
    for _ in range(6):
        assert (await msg.send_text_message(chat, "hi")).ok
    assert clock.sleeps == pytest.approx([0.21] * 5)  # the client's limiter is off here
    assert fake.journal.count("POST", SEND, code=230020) == 0


async def test_other_recipients_never_wait(
    msg: Messaging, im: ImEmulator, clock: FakeClock
) -> None:
    for user in im.seed_users(20):
        assert (await msg.send_text_message(user, "hi")).ok
    assert clock.sleeps == []


async def test_configure_pacing_refuses_bad_values(msg: Messaging) -> None:
    with pytest.raises(InvalidParameter, match="recipient_qps"):
        msg.configure_pacing(recipient_qps=-1)
    with pytest.raises(InvalidParameter, match="app_windows"):
        msg.configure_pacing(app_windows=[(0, 1.0)])
    with pytest.raises(InvalidParameter, match="margin"):
        msg.configure_pacing(margin=2)
    msg.configure_pacing(recipient_qps=None, app_windows=None)  # both off is allowed


async def test_app_windows_are_the_clients_limiter_now(msg: Messaging) -> None:
    with pytest.warns(DeprecationWarning, match="rate_limits=\\{'im'"):
        msg.configure_pacing(app_windows=((50, 1.0), (1000, 60.0)))


async def test_pacing_off_sends_at_once(msg: Messaging, im: ImEmulator, clock: FakeClock) -> None:
    msg.configure_pacing(recipient_qps=None)
    chat = im.add_chat()
    for _ in range(3):
        await msg.send_text_message(chat, "hi")
    assert clock.sleeps == []
