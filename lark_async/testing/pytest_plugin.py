"""Pytest plugin (entry point ``lark_async``): the ``fake_lark`` fixture.

Override ``fake_lark_options`` in a conftest to pass FakeLark keyword arguments.
The emulator is imported inside the fixture so loading the plugin stays cheap.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_asyncio import fixture as async_fixture

    from lark_async.testing.server.fake_lark import FakeLark
else:
    try:  # strict-mode users need pytest-asyncio's decorator; auto mode accepts both
        from pytest_asyncio import fixture as async_fixture
    except ImportError:  # pragma: no cover - pytest-asyncio is a dev dependency
        async_fixture = pytest.fixture


@pytest.fixture
def fake_lark_options() -> dict[str, Any]:
    """Keyword arguments for the ``fake_lark`` emulator (override to change them)."""
    return {}


@async_fixture
async def fake_lark(fake_lark_options: dict[str, Any]) -> AsyncIterator[FakeLark]:
    """A running FakeLark with the default app (``fake_lark.app_id``/``app_secret``)."""
    from lark_async.testing.server.fake_lark import FakeLark

    fake = FakeLark(**fake_lark_options)
    fake.add_app(
        FakeLark.DEFAULT_APP_ID,
        FakeLark.DEFAULT_APP_SECRET,
        tenant_key=FakeLark.DEFAULT_TENANT_KEY,
    )
    async with fake:
        yield fake
