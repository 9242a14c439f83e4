"""Pytest plugin (entry point ``lark_async``): the emulator and a client wired to it.

- ``fake_lark``: a running :class:`FakeLark` with the default app, on the test's loop.
- ``lark_client``: a ``LarkClient`` for that app pointed at ``fake_lark``, closed after.
- ``fake_lark_threaded``: a :class:`ThreadedFakeLark` (own thread and loop) with the
  default app, for synchronous tests such as FastAPI's ``TestClient``.

Override ``fake_lark_options`` (FakeLark keyword arguments) or ``lark_client_options``
(LarkClient keyword arguments) in a conftest to change them. The async fixtures run
under pytest-asyncio (auto or strict mode) and under anyio's plugin
(``@pytest.mark.anyio``); each test gets the variant its runner drives. The emulator
and the client are imported inside the fixtures so loading the plugin stays cheap.
This module is the one part of ``lark_async.testing`` that imports the client.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from pytest_asyncio import fixture as async_fixture

    from lark_async.client import LarkClient
    from lark_async.testing.server.fake_lark import FakeLark
    from lark_async.testing.threaded import ThreadedFakeLark
else:
    try:  # strict-mode users need pytest-asyncio's decorator; auto mode accepts both
        from pytest_asyncio import fixture as async_fixture
    except ImportError:  # pragma: no cover - pytest-asyncio is a dev dependency
        async_fixture = pytest.fixture


@pytest.fixture
def fake_lark_options() -> dict[str, Any]:
    """Keyword arguments for the emulator fixtures (override to change them)."""
    return {}


@pytest.fixture
def lark_client_options() -> dict[str, Any]:
    """More keyword arguments for the ``lark_client`` fixture's ``LarkClient``."""
    return {}


def _variant(request: pytest.FixtureRequest, name: str) -> Any:
    # anyio's plugin drives async fixtures of tests that use ``anyio_backend``; pytest-asyncio
    # (in strict mode) only those made with its decorator. Each test asks for the variant
    # its runner drives, so the fixture's loop is the test's loop.
    runner = "anyio" if "anyio_backend" in request.fixturenames else "asyncio"
    if runner == "anyio" and _asyncio_mode(request.config) == "auto":
        # pytest-asyncio in auto mode runs every async fixture on its own loop, ours
        # included, while anyio runs the test on another: the emulator would never be
        # served and the test would hang until the client's timeouts ran out.
        pytest.fail(
            f"{name} in an anyio test needs pytest-asyncio in strict mode: in auto mode it "
            "runs the fixture on another event loop and the test would hang. Set "
            "asyncio_mode = strict (mark asyncio tests @pytest.mark.asyncio), or run "
            "pytest with -p no:asyncio",
            pytrace=False,
        )
    return request.getfixturevalue(f"_lark_async_{name}_{runner}")


def _asyncio_mode(config: pytest.Config) -> str | None:
    """pytest-asyncio's mode (``auto``/``strict``), or None when it is not active."""
    if not config.pluginmanager.has_plugin("asyncio"):
        return None
    try:
        mode = config.getoption("asyncio_mode", None) or config.getini("asyncio_mode")
    except ValueError:  # an older pytest-asyncio without the option
        return None
    return str(mode) if mode else None


# Each variant is a function of its own: pytest-asyncio's decorator marks the function
# object it is given, and the anyio variant must stay unmarked.


# --- fake_lark ---------------------------------------------------------------------------
@asynccontextmanager
async def _running_fake(fake_lark_options: dict[str, Any]) -> AsyncIterator[FakeLark]:
    from lark_async.testing.server.fake_lark import FakeLark

    fake = FakeLark(**fake_lark_options)
    fake.add_app(
        FakeLark.DEFAULT_APP_ID,
        FakeLark.DEFAULT_APP_SECRET,
        tenant_key=FakeLark.DEFAULT_TENANT_KEY,
    )
    async with fake:
        yield fake


@async_fixture(name="_lark_async_fake_lark_asyncio")
async def _fake_lark_asyncio(fake_lark_options: dict[str, Any]) -> AsyncIterator[FakeLark]:
    async with _running_fake(fake_lark_options) as fake:
        yield fake


@pytest.fixture(name="_lark_async_fake_lark_anyio")
async def _fake_lark_anyio(fake_lark_options: dict[str, Any]) -> AsyncIterator[FakeLark]:
    async with _running_fake(fake_lark_options) as fake:
        yield fake


@pytest.fixture
def fake_lark(request: pytest.FixtureRequest) -> FakeLark:
    """A running FakeLark with the default app (``fake_lark.app_id``/``app_secret``)."""
    fake: FakeLark = _variant(request, "fake_lark")
    return fake


# --- lark_client -------------------------------------------------------------------------
@asynccontextmanager
async def _open_client(
    fake_lark: FakeLark, lark_client_options: dict[str, Any]
) -> AsyncIterator[LarkClient]:
    from lark_async.client import LarkClient

    options: dict[str, Any] = {
        "app_id": fake_lark.app_id,
        "app_secret": fake_lark.app_secret,
        "domain": fake_lark.url,
        **lark_client_options,
    }
    async with LarkClient(**options) as lark:
        yield lark


@async_fixture(name="_lark_async_lark_client_asyncio")
async def _lark_client_asyncio(
    fake_lark: FakeLark, lark_client_options: dict[str, Any]
) -> AsyncIterator[LarkClient]:
    async with _open_client(fake_lark, lark_client_options) as lark:
        yield lark


@pytest.fixture(name="_lark_async_lark_client_anyio")
async def _lark_client_anyio(
    fake_lark: FakeLark, lark_client_options: dict[str, Any]
) -> AsyncIterator[LarkClient]:
    async with _open_client(fake_lark, lark_client_options) as lark:
        yield lark


@pytest.fixture
def lark_client(request: pytest.FixtureRequest) -> LarkClient:
    """A ``LarkClient`` for ``fake_lark``'s default app, pointed at it; closed after the test."""
    lark: LarkClient = _variant(request, "lark_client")
    return lark


# --- fake_lark_threaded ------------------------------------------------------------------
@pytest.fixture
def fake_lark_threaded(fake_lark_options: dict[str, Any]) -> Iterator[ThreadedFakeLark]:
    """A ThreadedFakeLark with the default app: usable from any thread and event loop."""
    from lark_async.testing.server.fake_lark import FakeLark
    from lark_async.testing.threaded import ThreadedFakeLark

    with ThreadedFakeLark(**fake_lark_options) as server:
        server.add_app(
            FakeLark.DEFAULT_APP_ID,
            FakeLark.DEFAULT_APP_SECRET,
            tenant_key=FakeLark.DEFAULT_TENANT_KEY,
        )
        yield server
