"""``lark.messaging``: every public method, one bad argument at a time.

Each argument of each public method (found with ``dir``) is replaced by a bad
value while the others stay valid; the call must work or raise a ``LarkError``
naming that argument, and a call that raises must have sent nothing.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import example, given

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.messaging import Card, Markdown, Messaging, RichText
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator
from tests.fuzz.service_surface import (
    NASTIES,
    bad_values,
    base_kwargs,
    cases,
    missing_bases,
    public_methods,
    run,
)
from tests.helpers import client_for, emulator
from tests.messaging.media import PNG

METHODS = public_methods(Messaging)


@dataclass
class Env:
    fake: FakeLark
    lark: LarkClient
    user: str
    chat: str
    message_id: str

    @property
    def messaging(self) -> Messaging:
        service = self.lark.messaging
        assert isinstance(service, Messaging)
        return service


@pytest.fixture
async def env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Env]:
    # A string that happens to be a path is written to (downloads) or read: keep it here.
    monkeypatch.chdir(tmp_path)
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        im = ImEmulator.of(fake)
        user = im.add_user(name="Ann")["open_id"]
        chat = im.add_chat(members=[user])
        sent = await lark.messaging.send_text_message(user, "seed")
        assert sent.data is not None
        fake.journal.clear()
        yield Env(fake, lark, user, chat, sent.data.message_id)


def bases(env: Env) -> dict[str, Any]:
    """A valid value for each argument name."""
    return {
        "receive_id": env.user,
        "content": "hello",
        "text": "hello",
        "post": RichText("title").paragraph("body"),
        "card": Card(Markdown("**hi**")),
        "image": PNG,
        "file": b"plain file",
        "audio": "file_v2_audio",
        "video": "file_v2_video",
        "file_key": "file_v2_key",
        "image_key": "img_v2_key",
        "chat_id": env.chat,
        "open_id": env.user,
        "receivers": [env.user],
        "message_id": env.message_id,
        "token": "c-token",
        "dest": "download.bin",
        "resource_type": "file",
    }


def overrides(env: Env) -> dict[str, dict[str, Any]]:
    """Per-method bases where the name alone is not enough."""
    return {
        # batch_send needs at least one list: two, so a bad value in one leaves the other
        "batch_send": {"open_ids": [env.user], "user_ids": ["u_1"]},
    }


def test_every_required_argument_has_a_valid_base() -> None:
    dummy = Env(None, None, "ou_x", "oc_x", "om_x")  # type: ignore[arg-type]
    assert missing_bases(METHODS, bases(dummy), overrides(dummy)) == []


def _nasty_examples(test: Any) -> Any:
    for value in reversed(NASTIES):
        test = example(bad=value)(test)
    return test


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # configure_pacing(app_windows=)
@pytest.mark.parametrize(("method", "arg"), cases(METHODS))
@_nasty_examples
@given(bad=bad_values)
async def test_bad_argument_is_refused_before_sending(
    env: Env, method: str, arg: str, bad: Any
) -> None:
    service = env.messaging
    kwargs = base_kwargs(METHODS[method], bases(env), overrides(env).get(method, {}))
    kwargs[arg] = bad
    try:
        await run(lambda: getattr(service, method)(**kwargs), env.fake.journal, arg)
    finally:
        service.configure_pacing()  # a bad value that was accepted must not slow later sends


async def test_a_text_mode_file_is_refused_as_download_dest(env: Env) -> None:
    import io

    from lark_async.core.errors import InvalidParameter

    with pytest.raises(InvalidParameter, match="dest"):
        await env.messaging.download_file("file_v2_key", io.StringIO())
    assert len(env.fake.journal) == 0
