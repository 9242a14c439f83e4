"""lark.apaas: workspace tables, workflows and Aily skills against the emulator."""

from __future__ import annotations

import asyncio

import pytest

from lark_async.apaas import RecordPage, WorkspaceTable
from lark_async.core.errors import (
    Conflict,
    InvalidParameter,
    LarkTimeout,
    NotFound,
    OutcomeUnknown,
    PermissionDenied,
)
from lark_async.testing import ImEmulator
from tests.apaas.conftest import WS, Env, authorise

RECORDS = "/tables/orders/records"


def seed(env: Env, n: int = 0) -> list[str]:
    env.apaas.add_table(WS, "orders", columns=["item", "qty"], description="Orders")
    return [env.apaas.add_record(WS, "orders", {"item": f"item {i}", "qty": i}) for i in range(n)]


async def test_tables_are_listed_with_their_columns(env: Env) -> None:
    seed(env)
    env.apaas.add_table(WS, "customers", columns=["name"])
    tables = (await env.lark.apaas.list_workspace_tables(WS, as_user=env.user)).unwrap()
    assert [t.name for t in tables] == ["orders", "customers"]
    assert isinstance(tables[0], WorkspaceTable) and tables[0].description == "Orders"
    assert [c.name for c in tables[0].columns] == ["_id", "_updated_at", "item", "qty"]
    assert tables[0].columns[0].is_primary_key


async def test_query_filters_sorts_selects_and_pages(env: Env) -> None:
    seed(env, 25)
    page = (
        await env.lark.apaas.query_table_records(
            WS,
            "orders",
            {"qty": ("gte", 5)},
            order="qty.desc",
            select=["_id", "qty"],
            page_size=10,
            as_user=env.user,
        )
    ).unwrap()
    assert isinstance(page, RecordPage)
    assert page.total == 20 and page.has_more and page.page_token
    assert [r["qty"] for r in page.records] == list(range(24, 14, -1))
    assert set(page.records[0]) == {"_id", "qty"}
    streamed = [
        r
        async for r in env.lark.apaas.iter_table_records(
            WS, "orders", {"qty": ("lt", 12)}, page_size=5, as_user=env.user
        )
    ]
    assert sorted(r["qty"] for r in streamed) == list(range(12))
    assert env.calls(RECORDS) == 1 + 3


async def test_update_and_delete_by_id(env: Env) -> None:
    ids = seed(env, 3)
    resp = await env.lark.apaas.update_table_record(
        WS, "orders", ids[1], {"qty": 99}, as_user=env.user
    )
    assert resp.unwrap() == ids[1]
    rows = {r["_id"]: r for r in env.apaas.records(WS, "orders")}
    assert rows[ids[1]]["qty"] == 99 and rows[ids[0]]["qty"] == 0
    (await env.lark.apaas.delete_table_record(WS, "orders", ids[0], as_user=env.user)).unwrap()
    assert [r["_id"] for r in env.apaas.records(WS, "orders")] == ids[1:]
    missing = await env.lark.apaas.update_table_record(
        WS, "orders", ids[0], {"qty": 1}, as_user=env.user
    )
    assert isinstance(missing.error, NotFound)


async def test_concurrent_conditional_updates_give_one_conflict(env: Env) -> None:
    (rid,) = seed(env, 1)
    page = (
        await env.lark.apaas.query_table_records(WS, "orders", {"_id": rid}, as_user=env.user)
    ).unwrap()
    seen = page.records[0]["_updated_at"]
    results = await asyncio.gather(
        *(
            env.lark.apaas.update_table_record(
                WS, "orders", rid, {"qty": q}, expected_updated_at=seen, as_user=env.user
            )
            for q in (1, 2)
        )
    )
    assert sum(r.ok for r in results) == 1
    (failed,) = [r for r in results if not r.ok]
    assert isinstance(failed.error, Conflict) and "read" in (failed.error.hint or "")


async def test_missing_table_is_not_found(env: Env) -> None:
    seed(env)
    resp = await env.lark.apaas.query_table_records(WS, "nope", as_user=env.user)
    assert isinstance(resp.error, NotFound) and "list_workspace_tables" in (resp.error.hint or "")
    assert resp.error.details["available_tables"] == ["orders"]
    assert "the workspace has: orders" in resp.error.message
    gone = await env.lark.apaas.list_workspace_tables("workspace_nope", as_user=env.user)
    assert isinstance(gone.error, NotFound)


async def test_no_user_token_is_refused_before_sending(env: Env) -> None:
    seed(env, 1)
    with pytest.raises(PermissionDenied) as caught:
        await env.lark.apaas.query_table_records(WS, "orders")
    assert "as_user" in caught.value.message and "user_access_token" in caught.value.message
    assert "app_engine:workspace.table.record:read" in (caught.value.hint or "")
    assert env.calls("/apaas/") == 0


async def test_the_emulator_refuses_tenant_tokens_on_tables(env: Env) -> None:
    seed(env)
    resp = await env.lark.request("GET", f"/open-apis/apaas/v1/workspaces/{WS}/tables")
    assert not resp.ok


async def test_bad_arguments_are_refused_before_sending(env: Env) -> None:
    with pytest.raises(InvalidParameter):
        await env.lark.apaas.query_table_records(WS, "a/b", as_user=env.user)
    with pytest.raises(InvalidParameter):
        await env.lark.apaas.query_table_records(WS, "t", {"x": ("like", 1)}, as_user=env.user)
    with pytest.raises(InvalidParameter):
        await env.lark.apaas.invoke_ai_capability("no-slash", {"q": 1})
    assert env.calls("/open-apis/apaas/") == 0


async def test_workflow_triggered_and_status_read_back(env: Env) -> None:
    env.apaas.add_flow("app_ns", "flow_1", outputs={"approved": True})
    run = (
        await env.lark.apaas.trigger_workflow(
            "flow_1", {"amount": 5}, namespace="app_ns", operator="ann@example.com"
        )
    ).unwrap()
    assert run.status == "end" and run.idempotent_key
    assert env.apaas.executions()[run.execution_id]["params"] == {"amount": 5}
    status = (await env.lark.apaas.get_workflow_status(run.execution_id)).unwrap()
    assert status == run
    later = (
        await env.lark.apaas.trigger_workflow(
            "flow_1", None, namespace="app_ns", operator="ou_x", is_async=True
        )
    ).unwrap()
    assert later.is_async and later.status is None
    unknown = await env.lark.apaas.get_workflow_status("nope")
    assert isinstance(unknown.error, NotFound) and "no execution query" in (
        unknown.error.hint or ""
    )


async def test_lost_trigger_answer_is_outcome_unknown_with_the_key(env: Env) -> None:
    env.apaas.add_flow("app_ns", "flow_1")
    env.fake.faults.drop(
        "POST /open-apis/apaas/v1/applications/app_ns/flows/flow_1/execute", after_processing=True
    )
    resp = await env.lark.apaas.trigger_workflow(
        "flow_1", {}, namespace="app_ns", operator="ou_x", idempotent_key="key-1"
    )
    assert isinstance(resp.error, OutcomeUnknown)
    assert resp.error.idempotency_key == "key-1"
    assert len(env.apaas.executions()) == 1  # it did run, once


async def test_ai_skill_answers(env: Env) -> None:
    env.apaas.add_skill("spring_a__c", "skill_1", output='{"answer": 42}')
    result = (
        await env.lark.apaas.invoke_ai_capability("spring_a__c/skill_1", {"q": "life"})
    ).unwrap()
    assert result.output == '{"answer": 42}'


async def test_ai_skill_timeout_is_typed(env: Env) -> None:
    env.apaas.add_skill("spring_a__c", "slow", delay=30)
    resp = await env.lark.apaas.invoke_ai_capability("spring_a__c/slow", "hi", timeout=0.2)
    assert isinstance(resp.error, LarkTimeout)


async def test_a_user_token_missing_a_scope_names_it(env: Env) -> None:
    seed(env, 1)
    bob = ImEmulator.of(env.fake).add_user(name="Bob")["open_id"]
    await authorise(env.lark, env.fake, bob, granted=["app_engine:workspace.table.record:read"])
    assert (await env.lark.apaas.query_table_records(WS, "orders", as_user=bob)).ok
    resp = await env.lark.apaas.delete_table_record(WS, "orders", "x", as_user=bob)
    assert isinstance(resp.error, PermissionDenied)
    assert "app_engine:workspace.table.record:write" in resp.error.missing_scopes


async def test_several_conditions_are_one_postgrest_and_tree(env: Env) -> None:
    seed(env, 10)
    env.apaas.add_record(WS, "orders", {"item": 'a,b (c) "d"', "qty": 3})
    resp = await env.lark.apaas.query_table_records(
        WS, "orders", {"qty": ("gte", 3), "item": 'a,b (c) "d"'}, as_user=env.user
    )
    assert [r["item"] for r in resp.unwrap().records] == ['a,b (c) "d"']
    (sent,) = [e for e in env.fake.journal.entries if e.path.endswith(RECORDS)]
    assert sent.query["filter"] == 'and=(qty.gte.3,item.eq."a,b (c) \\"d\\"")'
    both = await env.lark.apaas.query_table_records(
        WS, "orders", {"qty": ("lt", 5), "item": ("neq", "item 0")}, as_user=env.user
    )
    assert sorted(r["qty"] for r in both.unwrap().records) == [1, 2, 3, 3, 4]
    nulls = await env.lark.apaas.query_table_records(
        WS, "orders", {"item": ("neq", None)}, as_user=env.user
    )
    assert nulls.unwrap().total == 11


async def test_the_emulator_refuses_conditions_joined_with_ampersand(env: Env) -> None:
    seed(env, 3)
    resp = await env.lark.apaas.query_table_records(
        WS, "orders", "qty=gt.0&item=eq.item 1", as_user=env.user
    )
    assert resp.error is not None and resp.error.code == 2320001
    assert "and=(" in resp.error.message


async def test_conditional_update_sends_an_and_tree(env: Env) -> None:
    (rid,) = seed(env, 1)
    row = env.apaas.records(WS, "orders")[0]
    resp = await env.lark.apaas.update_table_record(
        WS, "orders", rid, {"qty": 5}, expected_updated_at=row["_updated_at"], as_user=env.user
    )
    assert resp.unwrap() == rid
    (sent,) = [e for e in env.fake.journal.entries if e.method == "PATCH"]
    assert sent.query["filter"] == f"and=(_id.eq.{rid},_updated_at.eq.{row['_updated_at']})"


async def test_records_are_inserted_and_upserted(env: Env) -> None:
    seed(env)
    ids = (
        await env.lark.apaas.insert_table_records(
            WS, "orders", [{"item": "pen", "qty": 1}, {"item": "ink", "qty": 2}], as_user=env.user
        )
    ).unwrap()
    rows = env.apaas.records(WS, "orders")
    assert [r["_id"] for r in rows] == ids and [r["item"] for r in rows] == ["pen", "ink"]
    assert all(r["_updated_at"] for r in rows)
    again = await env.lark.apaas.insert_table_records(
        WS, "orders", [{"_id": ids[0], "qty": 9}], as_user=env.user
    )
    assert again.error is not None and "duplicate" in again.error.message
    merged = await env.lark.apaas.insert_table_records(
        WS,
        "orders",
        [{"_id": ids[0], "qty": 9}, {"item": "cap", "qty": 3}],
        upsert=True,
        as_user=env.user,
    )
    assert merged.unwrap()[0] == ids[0] and len(env.apaas.records(WS, "orders")) == 3
    first = env.apaas.records(WS, "orders")[0]
    assert first["item"] == "pen" and first["qty"] == 9  # merged: other columns kept
    assert first["_updated_at"] > rows[0]["_updated_at"]
    by_item = await env.lark.apaas.insert_table_records(
        WS,
        "orders",
        [{"item": "cap", "qty": 4}],
        upsert=True,
        on_conflict=["item"],
        as_user=env.user,
    )
    assert [r["qty"] for r in env.apaas.records(WS, "orders") if r["item"] == "cap"] == [4]
    assert by_item.ok


async def test_insert_needs_a_user_token_and_good_rows(env: Env) -> None:
    seed(env)
    with pytest.raises(PermissionDenied, match="as_user"):
        await env.lark.apaas.insert_table_records(WS, "orders", [{"qty": 1}])
    for bad in ([], {"qty": 1}, "rows", [{}], [1], [{"qty": 1}] * 501):
        with pytest.raises(InvalidParameter, match="records"):
            await env.lark.apaas.insert_table_records(WS, "orders", bad, as_user=env.user)
    with pytest.raises(InvalidParameter, match="on_conflict"):
        await env.lark.apaas.insert_table_records(
            WS, "orders", [{"qty": 1}], on_conflict=["item"], as_user=env.user
        )
    assert env.calls("/apaas/") == 0
