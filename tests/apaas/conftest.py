"""Fixtures for the aPaaS tests: the emulator, a client and an authorised user."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import pytest

from lark_async import LarkClient
from lark_async.apaas import SCOPES
from lark_async.core.clock import FakeClock
from lark_async.testing import ApaasEmulator, FakeLark, ImEmulator
from tests.helpers import client_for, emulator

REDIRECT = "https://app.example/lark/oauth"
WS = "workspace_aadimx5uzpsls"


@dataclass
class Env:
    fake: FakeLark
    lark: LarkClient
    apaas: ApaasEmulator
    clock: FakeClock
    user: str  # an authorised user's open_id

    def calls(self, path_part: str) -> int:
        return sum(1 for e in self.fake.journal.entries if path_part in e.path)


async def authorise(
    lark: LarkClient, fake: FakeLark, user: str, granted: list[str] | None = None
) -> None:
    """The link flow end to end, so ``as_user=user`` has a token with ``SCOPES``
    (or only ``granted``)."""
    session = await lark.user_auth.start_session(
        method="link", redirect_uri=REDIRECT, scopes=SCOPES
    )
    query = parse_qs(urlsplit(fake.oauth.approve(session.url, user, scopes=granted)).query)
    await lark.user_auth.complete(query["code"][0], query["state"][0])


@pytest.fixture
async def env() -> AsyncIterator[Env]:
    clock = FakeClock()
    async with emulator(clock) as fake:
        user = ImEmulator.of(fake).add_user(name="Ann")["open_id"]
        async with client_for(fake, clock) as lark:
            await authorise(lark, fake, user)
            yield Env(fake, lark, ApaasEmulator.of(fake), clock, user)
            assert fake.handler_errors == []
