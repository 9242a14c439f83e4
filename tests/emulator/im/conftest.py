"""Fixtures of the IM emulator tests: the IM state, raw requests with a token, one user."""

from __future__ import annotations

import aiohttp
import pytest

from lark_async.testing import FakeLark, ImEmulator
from tests.emulator.helpers import APP_ID, tenant_token
from tests.emulator.im.helpers import Api


@pytest.fixture
def im(fake: FakeLark) -> ImEmulator:
    return ImEmulator.of(fake)


@pytest.fixture
async def api(fake: FakeLark, session: aiohttp.ClientSession) -> Api:
    return Api(fake, session, await tenant_token(session, fake))


@pytest.fixture
def user(im: ImEmulator) -> str:
    """A user of the test app, named Ann."""
    return im.add_user(name="Ann", app_id=APP_ID)["open_id"]
