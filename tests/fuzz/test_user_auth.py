"""Bad input to lark.user_auth and as_user= gets our own typed error, before any request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter, LarkError
from lark_async.testing import FakeLark
from lark_async.user_auth import AuthSessionInvalid
from tests.fuzz.checks import typed_or_ok_async
from tests.helpers import client_for, emulator

REDIRECT = "https://app.example/oauth"
anything = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
    st.text(max_size=80),
    st.from_regex(r"(https?://|ou_|[a-z]+:)?[A-Za-z0-9_./?#%\[\]@: -]{0,40}", fullmatch=True),
    st.lists(st.one_of(st.text(max_size=20), st.integers(), st.none()), max_size=5),
)


@pytest.fixture
async def world() -> AsyncIterator[tuple[FakeLark, LarkClient]]:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        yield fake, lark
        assert fake.handler_errors == []


async def _check(fake: FakeLark, call: Any, arg: str | None) -> Any:
    before = len(fake.journal.entries)
    result = await typed_or_ok_async(call, arg)
    if isinstance(result, InvalidParameter):
        assert len(fake.journal.entries) == before, "a request was sent before the check"
    return result


@given(value=anything)
async def test_start_session_arguments(world: tuple[FakeLark, LarkClient], value: Any) -> None:
    fake, lark = world
    ua = lark.user_auth
    await _check(
        fake,
        lambda: ua.start_session(value, method="link", redirect_uri=REDIRECT),
        "user_id",
    )
    await _check(fake, lambda: ua.start_session(None, method=value, redirect_uri=REDIRECT), None)
    await _check(fake, lambda: ua.start_session(method="link", redirect_uri=value), "redirect_uri")
    await _check(
        fake,
        lambda: ua.start_session(method="link", redirect_uri=REDIRECT, scopes=value),
        "scope",
    )


@given(code=anything, state=anything)
async def test_complete_never_crashes(
    world: tuple[FakeLark, LarkClient], code: Any, state: Any
) -> None:
    fake, lark = world
    before = fake.oauth.exchanges()
    result = await typed_or_ok_async(lambda: lark.user_auth.complete(code, state))
    assert isinstance(result, AuthSessionInvalid)  # no state of ours: refused
    assert fake.oauth.exchanges() == before


@given(code=anything)
async def test_complete_with_a_real_state_and_a_bad_code(
    world: tuple[FakeLark, LarkClient], code: Any
) -> None:
    _fake, lark = world
    session = await lark.user_auth.start_session(method="link", redirect_uri=REDIRECT)
    state = session.url.split("state=")[1].split("&")[0]
    from urllib.parse import unquote

    result = await typed_or_ok_async(lambda: lark.user_auth.complete(code, unquote(state)))
    assert isinstance(result, LarkError)


@given(value=anything)
async def test_as_user_and_token(world: tuple[FakeLark, LarkClient], value: Any) -> None:
    fake, lark = world
    result = await _check(
        fake, lambda: lark.request("GET", "/open-apis/emulator/v1/echo", as_user=value), None
    )
    if not isinstance(result, LarkError):
        assert result.ok or isinstance(result.error, LarkError)
    await _check(fake, lambda: lark.user_auth.token(value), None)
