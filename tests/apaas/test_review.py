"""Defects found trying lark.apaas from outside (review of issue 16), one test each."""

from __future__ import annotations

import math

import pytest

from lark_async.core.errors import Conflict, InvalidParameter, NotFound, OutcomeUnknown
from tests.apaas.conftest import WS, Env

RECORDS = f"/open-apis/apaas/v1/workspaces/{WS}/tables/orders/records"
FLOW = "/open-apis/apaas/v1/applications/app_ns/flows/flow_1/execute"


def seed(env: Env, n: int = 1) -> list[str]:
    env.apaas.add_table(WS, "orders", columns=["item", "qty"])
    return [env.apaas.add_record(WS, "orders", {"item": f"item {i}", "qty": i}) for i in range(n)]


async def test_reusing_a_key_after_a_lost_answer_is_outcome_unknown(env: Env) -> None:
    # The caller got OutcomeUnknown, then retries with the same key (what keys are for).
    env.apaas.add_flow("app_ns", "flow_1")
    env.fake.faults.drop(f"POST {FLOW}", after_processing=True)
    flow = env.lark.apaas.trigger_workflow
    first = await flow("flow_1", {}, namespace="app_ns", operator="ou_x", idempotent_key="k-7")
    assert isinstance(first.error, OutcomeUnknown)
    again = await flow("flow_1", {}, namespace="app_ns", operator="ou_x", idempotent_key="k-7")
    assert isinstance(again.error, OutcomeUnknown), again.error
    assert again.error.idempotency_key == "k-7"
    assert "table" not in (again.error.hint or "")
    assert len(env.apaas.executions()) == 1


async def test_a_missing_flow_is_not_found_with_a_flow_hint(env: Env) -> None:
    resp = await env.lark.apaas.trigger_workflow(
        "nope", {}, namespace="app_ns", operator="ann@example.com"
    )
    assert isinstance(resp.error, NotFound), resp.error
    assert "table" not in (resp.error.hint or "") and "namespace" in (resp.error.hint or "")


async def test_an_async_run_status_says_the_api_has_no_status_query(env: Env) -> None:
    env.apaas.add_flow("app_ns", "flow_1")
    run = (
        await env.lark.apaas.trigger_workflow(
            "flow_1", None, namespace="app_ns", operator="ou_x", is_async=True
        )
    ).unwrap()
    status = (await env.lark.apaas.get_workflow_status(run.execution_id)).unwrap()
    assert status.status is None
    assert status.note is not None and "no status query" in status.note


async def test_is_async_must_be_a_bool(env: Env) -> None:
    env.apaas.add_flow("app_ns", "flow_1")
    with pytest.raises(InvalidParameter, match="is_async"):
        await env.lark.apaas.trigger_workflow(
            "flow_1",
            None,
            namespace="app_ns",
            operator="ou_x",
            is_async="no",  # type: ignore[arg-type]
        )
    assert env.calls("/flows/") == 0


@pytest.mark.parametrize("bad", ["", " ", 1.5, True])
async def test_a_malformed_expected_updated_at_is_refused(env: Env, bad: object) -> None:
    (rid,) = seed(env)
    with pytest.raises(InvalidParameter, match="expected_updated_at"):
        await env.lark.apaas.update_table_record(
            WS,
            "orders",
            rid,
            {"qty": 1},
            expected_updated_at=bad,
            as_user=env.user,  # type: ignore[arg-type]
        )
    assert env.calls("/apaas/") == 0


async def test_non_finite_numbers_are_refused_before_sending(env: Env) -> None:
    (rid,) = seed(env)
    apaas = env.lark.apaas
    for value in (math.nan, math.inf):
        with pytest.raises(InvalidParameter, match="conditions"):
            await apaas.query_table_records(WS, "orders", {"qty": value}, as_user=env.user)
        with pytest.raises(InvalidParameter, match="update_data"):
            await apaas.update_table_record(WS, "orders", rid, {"qty": value}, as_user=env.user)
        with pytest.raises(InvalidParameter, match="records"):
            await apaas.insert_table_records(WS, "orders", [{"qty": value}], as_user=env.user)
    assert env.calls("/apaas/") == 0


async def test_system_columns_in_update_data_are_refused(env: Env) -> None:
    (rid,) = seed(env)
    for column in ("_id", "_updated_at"):
        with pytest.raises(InvalidParameter, match="update_data"):
            await env.lark.apaas.update_table_record(
                WS, "orders", rid, {column: "x"}, as_user=env.user
            )
    assert env.calls("/apaas/") == 0


async def test_an_oversized_filter_or_odd_select_is_refused(env: Env) -> None:
    seed(env)
    apaas = env.lark.apaas
    with pytest.raises(InvalidParameter, match="conditions"):
        await apaas.query_table_records(WS, "orders", {"item": "x" * 10_000}, as_user=env.user)
    with pytest.raises(InvalidParameter, match="select"):
        await apaas.query_table_records(WS, "orders", select=["item,qty"], as_user=env.user)
    with pytest.raises(InvalidParameter, match="table_id"):
        await apaas.query_table_records(WS, "  ", as_user=env.user)
    assert env.calls("/apaas/") == 0


async def test_a_lost_conditional_update_says_how_to_check(env: Env) -> None:
    (rid,) = seed(env)
    row = env.apaas.records(WS, "orders")[0]
    env.fake.faults.drop(f"PATCH {RECORDS}", after_processing=True)
    resp = await env.lark.apaas.update_table_record(
        WS, "orders", rid, {"qty": 5}, expected_updated_at=row["_updated_at"], as_user=env.user
    )
    assert isinstance(resp.error, OutcomeUnknown)  # not a false Conflict
    hint = resp.error.hint or ""
    assert "Bitable" not in hint and "_updated_at" in hint


async def test_a_lost_insert_says_how_to_check(env: Env) -> None:
    seed(env, 0)
    env.fake.faults.drop(f"POST {RECORDS}", after_processing=True)
    resp = await env.lark.apaas.insert_table_records(
        WS, "orders", [{"item": "pen"}], as_user=env.user
    )
    assert isinstance(resp.error, OutcomeUnknown)
    hint = resp.error.hint or ""
    assert "Bitable" not in hint and "upsert" in hint
    assert len(env.apaas.records(WS, "orders")) == 1  # applied once, not resent


async def test_a_missing_table_names_at_most_twenty_in_its_message(env: Env) -> None:
    for i in range(30):
        env.apaas.add_table(WS, f"table_{i:02d}", columns=["x"])
    resp = await env.lark.apaas.query_table_records(WS, "nope", as_user=env.user)
    assert isinstance(resp.error, NotFound)
    assert len(resp.error.details["available_tables"]) == 30
    assert "table_19 and 10 more" in resp.error.message
    assert "table_20" not in resp.error.message


async def test_a_failed_aily_session_create_is_retried(env: Env) -> None:
    env.apaas.add_skill("spring_a__c", "s", output="yo")
    env.fake.faults.fail("POST /open-apis/aily/v1/sessions", status=500, code=1500)
    result = await env.lark.apaas.invoke_ai_capability("spring_a__c/s", "hi")
    assert result.unwrap().output == "yo"


async def test_a_lost_run_start_names_the_session(env: Env) -> None:
    env.apaas.add_skill("spring_a__c", "s", output="yo", delay=5)
    env.fake.faults.drop(
        "POST /open-apis/aily/v1/sessions/{aily_session_id}/runs", after_processing=True
    )
    resp = await env.lark.apaas.invoke_ai_capability("spring_a__c/s", "hi")
    assert isinstance(resp.error, OutcomeUnknown)
    assert resp.error.details["session_id"] and "Bitable" not in (resp.error.hint or "")
    assert len(env.apaas.runs()) == 1  # not started twice


async def test_ai_input_and_flow_parameters_errors_do_not_talk_of_columns(env: Env) -> None:
    for bad in (None, 5, [1], {}):
        with pytest.raises(InvalidParameter, match="input_data") as caught:
            await env.lark.apaas.invoke_ai_capability("spring_a__c/s", bad)  # type: ignore[arg-type]
        assert "column" not in caught.value.message
    for params in ([1], "x"):
        with pytest.raises(InvalidParameter, match="parameters") as caught:
            await env.lark.apaas.trigger_workflow(
                "f",
                params,
                namespace="ns",
                operator="ou_x",  # type: ignore[arg-type]
            )
        assert "column" not in caught.value.message
    assert env.calls("/apaas/") == env.calls("/aily/") == 0


async def test_a_lost_upsert_of_rows_without_their_key_is_not_resent(env: Env) -> None:
    # Rows without _id (or the on_conflict columns) are plain inserts even with upsert=True:
    # resending them after a lost answer would add them twice.
    seed(env, 0)
    env.fake.faults.drop(f"POST {RECORDS}", after_processing=True)
    resp = await env.lark.apaas.insert_table_records(
        WS, "orders", [{"item": "pen", "qty": 1}], upsert=True, as_user=env.user
    )
    assert isinstance(resp.error, OutcomeUnknown)
    assert len(env.apaas.records(WS, "orders")) == 1


async def test_a_lost_upsert_of_keyed_rows_is_resent(env: Env) -> None:
    (rid,) = seed(env)
    env.fake.faults.drop(f"POST {RECORDS}", after_processing=True)
    resp = await env.lark.apaas.insert_table_records(
        WS, "orders", [{"_id": rid, "qty": 9}], upsert=True, as_user=env.user
    )
    assert resp.unwrap() == [rid]
    assert [r["qty"] for r in env.apaas.records(WS, "orders")] == [9]


class BrokenStore:
    name = "broken"

    async def get(self, app_id: str, execution_id: str) -> str | None:
        raise OSError("store down")

    async def put(self, app_id: str, execution_id: str, data: str, started_at: float) -> None:
        raise OSError("store down")

    async def close(self) -> None:
        return None


async def test_a_store_failure_does_not_lose_a_started_execution(
    env: Env, caplog: pytest.LogCaptureFixture
) -> None:
    # The flow ran: its execution id must reach the caller, who would otherwise retry
    # and run it twice.
    env.apaas.add_flow("app_ns", "flow_1")
    env.lark.apaas._executions = BrokenStore()
    resp = await env.lark.apaas.trigger_workflow("flow_1", {}, namespace="app_ns", operator="ou_x")
    assert resp.unwrap().execution_id in env.apaas.executions()
    assert any("not recorded" in r.getMessage() for r in caplog.records)


async def test_the_emulator_refuses_unknown_columns_like_postgrest(env: Env) -> None:
    # A typo'd column must fail against the emulator as it would against the service,
    # not read as None or be written as a new column.
    (rid,) = seed(env)
    a = env.lark.apaas
    calls = [
        lambda: a.query_table_records(WS, "orders", {"qyt": 1}, as_user=env.user),
        lambda: a.query_table_records(WS, "orders", select=["qyt"], as_user=env.user),
        lambda: a.query_table_records(WS, "orders", order="qyt.desc", as_user=env.user),
        lambda: a.update_table_record(WS, "orders", rid, {"qyt": 2}, as_user=env.user),
        lambda: a.insert_table_records(WS, "orders", [{"qyt": 2}], as_user=env.user),
        lambda: a.delete_table_record(WS, "orders", rid, as_user=env.user),  # a known column
    ]
    for call in calls[:-1]:
        resp = await call()
        assert resp.error is not None and "qyt" in resp.error.message, resp
    assert env.apaas.records(WS, "orders") == [
        {"_id": rid, "item": "item 0", "qty": 0, "_updated_at": 1_700_000_000_000}
    ]
    with pytest.raises(ValueError, match="qyt"):
        env.apaas.add_record(WS, "orders", {"qyt": 1})
    (await calls[-1]()).unwrap()
    assert env.apaas.records(WS, "orders") == []


async def test_updated_at_in_inserted_rows_is_refused_before_sending(env: Env) -> None:
    seed(env, 0)
    with pytest.raises(InvalidParameter, match=r"records\[1\]"):
        await env.lark.apaas.insert_table_records(
            WS, "orders", [{"qty": 1}, {"qty": 2, "_updated_at": 5}], as_user=env.user
        )
    assert env.calls("/apaas/") == 0


async def test_expected_version_is_the_updated_at_under_the_issue_s_name(env: Env) -> None:
    (rid,) = seed(env)
    row = env.apaas.records(WS, "orders")[0]
    apaas = env.lark.apaas
    ok = await apaas.update_table_record(
        WS, "orders", rid, {"qty": 2}, expected_version=row["_updated_at"], as_user=env.user
    )
    assert ok.unwrap() == rid
    stale = await apaas.update_table_record(
        WS, "orders", rid, {"qty": 3}, expected_version=row["_updated_at"], as_user=env.user
    )
    assert isinstance(stale.error, Conflict) and "read the record again" in (stale.error.hint or "")


async def test_expected_version_and_expected_updated_at_together_are_refused(env: Env) -> None:
    (rid,) = seed(env)
    apaas = env.lark.apaas
    with pytest.raises(InvalidParameter, match="expected_version"):
        await apaas.update_table_record(
            WS,
            "orders",
            rid,
            {"qty": 1},
            expected_version=1,
            expected_updated_at=1,
            as_user=env.user,
        )
    with pytest.raises(InvalidParameter, match="expected_version"):
        await apaas.update_table_record(
            WS, "orders", rid, {"qty": 1}, expected_version=" ", as_user=env.user
        )
    assert env.calls("/apaas/") == 0
