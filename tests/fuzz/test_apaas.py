"""Bad input to lark.apaas gets an InvalidParameter naming the argument, before any request."""

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
from lark_async.testing import ApaasEmulator, FakeLark, ImEmulator
from tests.apaas.conftest import WS, authorise
from tests.fuzz.checks import typed_or_ok_async
from tests.helpers import client_for, emulator

anything = st.one_of(
    st.none(),
    st.integers(),
    st.floats(allow_nan=True),
    st.binary(max_size=20),
    st.text(max_size=80),
    st.from_regex(r"[A-Za-z0-9_./?#&,=%-]{0,30}", fullmatch=True),
    st.lists(st.one_of(st.text(max_size=20), st.integers()), max_size=5),
    st.dictionaries(st.text(max_size=10), st.one_of(st.integers(), st.text(max_size=10))),
)


@pytest.fixture
async def world() -> AsyncIterator[tuple[FakeLark, LarkClient, str]]:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        user = ImEmulator.of(fake).add_user(name="Ann")["open_id"]
        await authorise(lark, fake, user)
        apaas = ApaasEmulator.of(fake)
        apaas.add_table(WS, "orders", columns=["qty"])
        apaas.add_record(WS, "orders", {"qty": 1})
        apaas.add_flow("ns", "flow")
        apaas.add_skill("spring_a__c", "skill")
        yield fake, lark, user
        assert fake.handler_errors == []


async def _check(fake: FakeLark, call: Any, arg: str) -> None:
    before = len(fake.journal.entries)
    result = await typed_or_ok_async(call, arg)
    if isinstance(result, InvalidParameter):
        assert len(fake.journal.entries) == before, "a request was sent before the check"
    elif isinstance(result, LarkResponse):
        assert result.ok or isinstance(result.error, LarkError)
    else:
        assert isinstance(result, LarkError)


@given(value=anything)
async def test_table_calls(world: tuple[FakeLark, LarkClient, str], value: Any) -> None:
    fake, lark, user = world
    a = lark.apaas
    await _check(fake, lambda: a.list_workspace_tables(value, as_user=user), "workspace_id")
    await _check(fake, lambda: a.query_table_records(WS, value, as_user=user), "table_id")
    await _check(fake, lambda: a.query_table_records(WS, "orders", value, as_user=user), "condit")
    await _check(
        fake, lambda: a.query_table_records(WS, "orders", order=value, as_user=user), "order"
    )
    await _check(
        fake,
        lambda: a.query_table_records(WS, "orders", page_size=value, as_user=user),
        "page_size",
    )
    await _check(
        fake,
        lambda: a.update_table_record(WS, "orders", value, {"qty": 2}, as_user=user),
        "record_id",
    )
    await _check(
        fake, lambda: a.update_table_record(WS, "orders", "x", value, as_user=user), "update_data"
    )
    await _check(
        fake, lambda: a.delete_table_record(WS, "orders", value, as_user=user), "record_id"
    )
    await _check(
        fake,
        lambda: a.update_table_record(
            WS, "orders", "x", {"qty": 2}, expected_updated_at=value, as_user=user
        ),
        "expected_updated_at",
    )


@given(value=anything)
async def test_insert_calls(world: tuple[FakeLark, LarkClient, str], value: Any) -> None:
    fake, lark, user = world
    a = lark.apaas
    await _check(
        fake,
        lambda: a.insert_table_records(value, "orders", [{"qty": 2}], as_user=user),
        "workspace_id",
    )
    await _check(
        fake, lambda: a.insert_table_records(WS, value, [{"qty": 2}], as_user=user), "table_id"
    )
    await _check(fake, lambda: a.insert_table_records(WS, "orders", value, as_user=user), "records")
    await _check(
        fake,
        lambda: a.insert_table_records(WS, "orders", [value], as_user=user),
        "records[0]",
    )
    await _check(
        fake,
        lambda: a.insert_table_records(WS, "orders", [{"qty": 2}], upsert=value, as_user=user),
        "upsert",
    )
    await _check(
        fake,
        lambda: a.insert_table_records(
            WS, "orders", [{"qty": 2}], upsert=True, on_conflict=value, as_user=user
        ),
        "on_conflict",
    )


@given(value=anything)
async def test_workflow_and_ai_calls(world: tuple[FakeLark, LarkClient, str], value: Any) -> None:
    fake, lark, _user = world
    a = lark.apaas
    await _check(
        fake, lambda: a.trigger_workflow(value, {}, namespace="ns", operator="u"), "workflow_id"
    )
    await _check(
        fake, lambda: a.trigger_workflow("flow", value, namespace="ns", operator="u"), "parameters"
    )
    await _check(
        fake, lambda: a.trigger_workflow("flow", {}, namespace="ns", operator=value), "operator"
    )
    await _check(fake, lambda: a.get_workflow_status(value), "execution_id")
    await _check(fake, lambda: a.invoke_ai_capability(value, "x"), "capability_id")
    await _check(fake, lambda: a.invoke_ai_capability("spring_a__c/skill", value), "input_data")
    await _check(
        fake, lambda: a.invoke_ai_capability("spring_a__c/skill", "x", timeout=value), "timeout"
    )
