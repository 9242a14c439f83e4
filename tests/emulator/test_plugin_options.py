"""Overriding fake_lark_options changes how the fixture builds the emulator."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from lark_async.testing import FakeLark
from tests.emulator.helpers import TENANT_TOKEN_PATH, call


@pytest.fixture
def fake_lark_options() -> dict[str, Any]:
    return {"token_lifetime": 3000, "time_func": lambda: 1_700_000_000.0}


async def test_options_reach_the_emulator(
    fake_lark: FakeLark, session: aiohttp.ClientSession
) -> None:
    body = {"app_id": fake_lark.app_id, "app_secret": fake_lark.app_secret}
    _, data, _ = await call(session, fake_lark, "POST", TENANT_TOKEN_PATH, json=body)
    assert data["expire"] == 3000
