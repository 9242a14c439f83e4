"""The bulk engine over HTTP against the Bitable emulator (its limits, its faults)."""

from __future__ import annotations

import asyncio
import json
import random
from collections import Counter
from typing import Any

import pytest

from lark_async.bitable import plain_text
from lark_async.core.errors import ErrorKind
from tests.bitable.conftest import Env

BATCH_CREATE = "/open-apis/bitable/v1/apps/{a}/tables/{t}/records/batch_create"


def people(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"Name": f"p{i}", "Age": i % 90} for i in range(start, start + n)]


def names(env: Env, table_id: str | None = None) -> Counter[str]:
    return Counter(plain_text(r["fields"].get("Name")) for r in env.records(table_id))


def inject(
    env: Env,
    rng: random.Random,
    *,
    fail: float = 0.0,
    throttle: float = 0.0,
    stall: float = 0.0,
    lost: float = 0.0,
    slow: float = 0.0,
    late: float = 0.0,
) -> Counter[str]:
    """Wrap the emulator's batch_create with random faults; returns what fired.

    Before the write: ``fail`` (HTTP 500), ``throttle`` (429), ``stall`` (no answer
    within the client's timeout, nothing written). After it: ``lost`` (connection
    dropped), ``slow`` (504 1255040), ``late`` (answer after the client's timeout).
    """
    from aiohttp import web

    from lark_async.testing import FakeError

    fake = env.fake
    fired: Counter[str] = Counter()
    route = fake.router.resolve("POST", BATCH_CREATE.replace("{a}", "x").replace("{t}", "y")).route
    original = route.handler

    async def flaky(req: Any) -> Any:
        roll = rng.random()
        for kind, p in (("fail", fail), ("throttle", throttle), ("stall", stall)):
            if roll < p:
                fired[kind] += 1
                if kind == "fail":
                    raise FakeError(1255001, "internal error", status=500)
                if kind == "throttle":
                    return web.json_response(
                        {"code": 99991400, "msg": "request trigger frequency limit"},
                        status=429,
                        headers={"x-ogw-ratelimit-reset": "1"},
                    )
                await asyncio.sleep(3.0)  # the client gives up first; cancelled, never written
            roll -= p
        result = original(req)
        if asyncio.iscoroutine(result):
            result = await result
        for kind, p in (("lost", lost), ("slow", slow), ("late", late)):
            if roll < p:
                fired[kind] += 1
                if kind == "lost":
                    fake.faults.drop(f"POST {BATCH_CREATE}", after_processing=True)
                elif kind == "slow":
                    raise FakeError(1255040, "request timeout", status=504)
                else:
                    fake.faults.delay(f"POST {BATCH_CREATE}", 3.0, after_processing=True)
                break
            roll -= p
        return result

    fake.route("POST", route.template, family=route.family, auth=route.auth)(flaky)
    return fired


async def test_create_update_upsert_delete_over_http(env: Env) -> None:
    bt = env.lark.bitable
    created = await bt.bulk_create(
        env.app_token, env.table_id, people(2500), collect_record_ids=True
    )
    assert created.ok and created.written == 2500 and created.calls == 3
    for entry in env.fake.journal.filter("POST", BATCH_CREATE):
        assert "client_token" in entry.query
    ids = created.record_ids
    assert ids is not None

    updated = await bt.bulk_update(
        env.app_token, env.table_id, [(rid, {"Age": 99}) for rid in ids[:1500]]
    )
    assert updated.ok and updated.updated == 1500
    assert sum(1 for r in env.records() if r["fields"].get("Age") == 99) >= 1500

    upserted = await bt.bulk_upsert(
        env.app_token,
        env.table_id,
        [{"Name": "p0", "Age": 1}, {"Name": "new", "Age": 2}],
        key="Name",
    )
    assert upserted.ok and (upserted.created, upserted.updated) == (1, 1)
    assert names(env)["p0"] == 1 and names(env)["new"] == 1

    deleted = await bt.bulk_delete(env.app_token, env.table_id, ids)
    assert deleted.ok and deleted.deleted == 2500
    assert [
        c.json["records"].__len__()
        for c in env.fake.journal.filter(
            "POST", BATCH_CREATE.replace("batch_create", "batch_delete")
        )
    ] == [500] * 5
    assert set(names(env)) == {"new"}


async def test_oversize_and_bad_rows_are_isolated_over_http(env: Env) -> None:
    data = people(1000)
    data[10]["Note"] = "x" * 200_000
    data[700]["Age"] = "old"  # refused locally by the field check
    report = await env.lark.bitable.bulk_create(env.app_token, env.table_id, data)
    assert report.written == 998 and report.failed_count == 2
    by_index = {f.index: f.error for f in report.failed}
    assert by_index[700].kind is ErrorKind.INVALID_PARAMETER and "Age" in by_index[700].message
    assert by_index[10].code == 1254130 and report.chunks_split > 0
    assert len(env.records()) == 998


async def test_concurrent_runs_on_one_table_cause_no_write_conflicts(env: Env) -> None:
    env.bt.set_write_latency(0.002)
    other = env.table("Other")
    bt = env.lark.bitable
    reports = await asyncio.gather(
        bt.bulk_create(env.app_token, env.table_id, people(1500), chunk_size=300),
        bt.bulk_create(env.app_token, env.table_id, people(1500, 1500), chunk_size=300),
        bt.bulk_create(env.app_token, other, people(1500), chunk_size=300),
    )
    assert all(r.ok for r in reports)
    assert env.bt.write_conflicts == 0
    assert len(env.records()) == 3000 and len(env.records(other)) == 1500


@pytest.mark.slow
async def test_hundred_thousand_rows_with_faults_land_exactly_once(env: Env) -> None:
    rng = random.Random(22)  # a seed under which every kind of fault fires
    bad = set(rng.sample(range(100_000), 4))
    fired = inject(
        env, rng, fail=0.015, throttle=0.01, stall=0.005, lost=0.01, slow=0.005, late=0.005
    )

    def source() -> Any:
        for i in range(100_000):
            row: dict[str, Any] = {"Name": f"p{i}", "Age": i % 90}
            if i in bad:
                row["Note"] = "x" * 200_000  # too large a cell: 1254130
            yield row

    report = await env.lark.bitable.bulk_create(env.app_token, env.table_id, source(), timeout=1.0)
    assert report.rows_read == 100_000
    assert report.failed_count == len(bad) and {f.index for f in report.failed} == bad
    assert {f.error.code for f in report.failed} == {1254130}
    assert not report.unknown and report.skipped == 0
    assert report.written == 100_000 - len(bad)
    counts = names(env)
    assert len(counts) == 100_000 - len(bad)
    assert max(counts.values()) == 1  # nothing written twice
    assert not {f"p{i}" for i in bad} & set(counts)
    kinds = ("fail", "throttle", "stall", "lost", "slow", "late")
    assert all(fired[k] >= 1 for k in kinds), fired  # lost, slow, late: written, answer lost
    assert report.retries >= sum(fired.values())  # every fault cost a retry, none a row
    assert report.chunks_split > 0
    assert env.bt.write_conflicts == 0


async def test_a_run_is_logged_without_row_contents_or_secrets(
    env: Env, log_lines: list[str]
) -> None:
    from tests.helpers import APP_SECRET

    rows = [{"Name": f"private-name-{i}", "Age": i} for i in range(1500)]
    report = await env.lark.bitable.bulk_create(env.app_token, env.table_id, rows)
    assert report.ok
    bulk = [json.loads(line) for line in log_lines if '"lark.bitable.bulk"' in line]
    assert [b["outcome"] for b in bulk] == ["started", "ok"]
    assert bulk[-1]["written"] == 1500 and bulk[-1]["calls"] == 2
    assert not any("private-name" in line or APP_SECRET in line for line in log_lines)
    requests = [json.loads(line) for line in log_lines if '"lark.request"' in line]
    creates = [r for r in requests if r["path"].endswith("batch_create")]
    assert len(creates) == 2 and all(r["idempotency_key"] for r in creates)
