"""Bad input to lark.contact gets an InvalidParameter naming the argument, before any request."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import InvalidParameter, LarkError
from lark_async.core.response import LarkResponse
from lark_async.testing import ContactEmulator, FakeLark
from tests.fuzz.checks import typed_or_ok_async
from tests.helpers import client_for, emulator

anything = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
    st.text(max_size=80),
    st.emails(),
    st.from_regex(r"\+?[0-9 \-]{0,20}", fullmatch=True),
    st.from_regex(r"(ou_|on_|oc_|od-)?[A-Za-z0-9_./?#%-]{0,30}", fullmatch=True),
    st.lists(st.one_of(st.text(max_size=20), st.emails(), st.integers()), max_size=5),
)


@pytest.fixture
async def world() -> AsyncIterator[tuple[FakeLark, LarkClient]]:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        people = ContactEmulator.of(fake)
        people.seed_users(3)
        people.add_chat("ops")
        yield fake, lark
        assert fake.handler_errors == []


async def _check(fake: FakeLark, call: Any, arg: str) -> None:
    before = len(fake.journal.entries)
    result = await typed_or_ok_async(call, arg)
    if isinstance(result, InvalidParameter):
        assert len(fake.journal.entries) == before, "a request was sent before the check"
    elif isinstance(result, LarkResponse):
        assert result.ok or isinstance(result.error, LarkError)
    else:  # invalidate() answers how many rows went
        assert isinstance(result, LarkError | int)


@given(value=anything)
async def test_user_lookups(world: tuple[FakeLark, LarkClient], value: Any) -> None:
    fake, lark = world
    c = lark.contact
    await _check(fake, lambda: c.get_user_by_email(value), "email")
    await _check(fake, lambda: c.get_user_by_mobile(value), "mobile")
    await _check(fake, lambda: c.get_users_by_email(value), "emails")
    await _check(fake, lambda: c.get_users_by_mobile(value), "mobiles")
    await _check(fake, lambda: c.get_user(value), "user_id")


@given(value=anything, id_type=st.one_of(st.none(), st.text(max_size=12)))
async def test_ids_and_names(
    world: tuple[FakeLark, LarkClient], value: Any, id_type: str | None
) -> None:
    fake, lark = world
    c = lark.contact
    await _check(fake, lambda: c.get_user("ou_x", user_id_type=id_type), "user_id_type")
    await _check(fake, lambda: c.get_chat(value), "chat_id")
    await _check(fake, lambda: c.get_chat_by_name(value), "name")
    await _check(fake, lambda: c.search_chats(value), "query")
    await _check(fake, lambda: c.get_department_users(value), "department_id")
    await _check(fake, lambda: c.get_department_tree(value), "root")
    await _check(fake, lambda: c.invalidate(email=value), "email")
