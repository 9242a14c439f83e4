"""Fixtures for user authorisation: the emulator, a client, a user, and helpers to authorise."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.testing import FakeLark, ImEmulator
from lark_async.user_auth import UserAuthSession
from tests.helpers import client_for, emulator

REDIRECT = "https://app.example/lark/oauth"
ECHO = "/open-apis/emulator/v1/echo"


@dataclass
class Env:
    fake: FakeLark
    lark: LarkClient
    clock: FakeClock
    user: str  # an open_id


def code_and_state(redirect: str) -> tuple[str, str]:
    query = parse_qs(urlsplit(redirect).query)
    return query["code"][0], query["state"][0]


async def authorise(env: Env, user: str | None = None, **kw: object) -> UserAuthSession:
    """The link flow end to end: start, the user approves, complete."""
    user = user or env.user
    session = await env.lark.user_auth.start_session(
        method="link",
        redirect_uri=REDIRECT,
        **kw,  # type: ignore[arg-type]
    )
    code, state = code_and_state(env.fake.oauth.approve(session.url, user))
    return await env.lark.user_auth.complete(code, state)


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeClock()
    async with emulator(clock) as fake:
        user = ImEmulator.of(fake).add_user(name="Ann")["open_id"]
        async with client_for(fake, clock) as lark:
            yield Env(fake, lark, clock, user)
