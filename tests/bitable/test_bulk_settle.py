"""Lost answers are settled by reading the keys back (issue #10, item 11).

A chunk whose answer is still lost after its last attempt used to be reported as
"unknown". When its rows carry a key (an upsert, or a create with ``key_field``)
the engine reads the keys back: rows found count as written, the others are sent
again. Without a key the report stays as before.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from typing import Any, Literal

from lark_async.bitable import plain_text
from lark_async.core.errors import ErrorKind, InvalidParameter
from tests.bitable.conftest import Env

RECORDS = "/open-apis/bitable/v1/apps/{a}/tables/{t}/records"
Loss = Literal["before", "after"]


def lose(env: Env, action: str, plan: Mapping[int, Loss]) -> Counter[str]:
    """Lose the connection on chosen calls (1-based) of ``records/<action>``.

    ``"before"``: the request is not applied; ``"after"``: it is applied and its
    answer lost. Returns what happened per kind.
    """
    fake = env.fake
    spec = f"POST {RECORDS}/{action}"
    route = fake.router.resolve("POST", f"{RECORDS}/{action}".format(a="x", t="y")).route
    original = route.handler
    seen: Counter[str] = Counter()

    async def flaky(req: Any) -> Any:
        seen["calls"] += 1
        loss = plan.get(seen["calls"])
        if loss is not None:
            seen[loss] += 1
            fake.faults.drop(spec, after_processing=True)  # fires for this very request
            if loss == "before":
                return {}  # never applied
        result = original(req)
        if asyncio.iscoroutine(result):
            result = await result
        return result

    fake.route("POST", route.template, family=route.family, auth=route.auth)(flaky)
    return seen


def names(env: Env) -> Counter[str]:
    return Counter(plain_text(r["fields"].get("Name")) for r in env.records())


def people(n: int, start: int = 0, age: int = 1) -> list[dict[str, Any]]:
    return [{"Name": f"p{i}", "Age": age} for i in range(start, start + n)]


async def test_a_create_with_a_key_field_settles_every_lost_answer(env: Env) -> None:
    # Five chunks of ten, two attempts each; the answers of chunks 2-5 are lost on
    # every attempt, before or after the write was applied.
    seen = lose(
        env,
        "batch_create",
        {2: "after", 3: "after", 4: "before", 5: "before", 7: "after", 8: "before"}
        | {9: "before", 10: "after"},
    )
    report = await env.lark.bitable.bulk_create(
        env.app_token,
        env.table_id,
        people(50),
        key_field="Name",
        chunk_size=10,
        max_attempts=2,
        collect_record_ids=True,
    )
    assert seen == Counter(calls=10, after=4, before=4)
    assert report.ok, report.summary()
    assert report.unknown == [] and report.unknown_rows == 0 and report.failed_count == 0
    assert report.written == report.created == 50
    assert (report.settled_written, report.settled_not_written) == (30, 10)
    counts = names(env)
    assert set(counts) == {f"p{i}" for i in range(50)}  # none missing
    assert max(counts.values()) == 1  # none twice
    ids = report.record_ids
    assert ids is not None and sorted(ids) == sorted(r["record_id"] for r in env.records())
    assert "settled by reading back (30 written, 10 not)" in report.summary()


async def test_rows_found_not_written_fail_as_not_applied_when_rounds_run_out(env: Env) -> None:
    lose(env, "batch_create", {1: "before", 2: "before"})
    report = await env.lark.bitable.bulk_create(
        env.app_token,
        env.table_id,
        people(15),
        key_field="Name",
        chunk_size=10,
        max_attempts=2,
        settle_rounds=0,
    )
    assert report.unknown == [] and report.failed_count == 10 and report.written == 5
    assert {f.index for f in report.failed} == set(range(10))
    error = report.failed[0].error
    assert error.kind is ErrorKind.NETWORK and error.details["settled"] == "not written"
    assert report.settled_not_written == 10
    assert set(names(env)) == {f"p{i}" for i in range(10, 15)}


async def test_an_upsert_settles_lost_creates_and_updates(env: Env) -> None:
    bt = env.lark.bitable
    seeded = await bt.bulk_create(env.app_token, env.table_id, people(20, age=0))
    assert seeded.ok
    # chunk 1 = 20 updates (applied, answers lost), chunk 2 = 20 creates (not applied);
    # chunk 3: updates lost before applying, so the read-back sees the old values.
    updates = lose(env, "batch_update", {1: "after", 2: "after", 3: "before", 4: "before"})
    creates = lose(env, "batch_create", {1: "before", 2: "before"})
    rows = people(40, age=7) + [{"Name": f"p{i}", "Age": 8} for i in range(10)]
    report = await bt.bulk_upsert(
        env.app_token, env.table_id, rows, key="Name", chunk_size=20, max_attempts=2
    )
    assert report.ok, report.summary()
    assert report.unknown == [] and report.failed_count == 0
    assert (report.created, report.updated) == (20, 30)
    assert (report.settled_written, report.settled_not_written) == (20, 30)
    assert updates["after"] == 2 and updates["before"] == 2 and creates["before"] == 2
    counts = names(env)
    assert len(counts) == 40 and max(counts.values()) == 1
    ages = {plain_text(r["fields"]["Name"]): r["fields"]["Age"] for r in env.records()}
    assert ages == {f"p{i}": (8 if i < 10 else 7) for i in range(40)}


async def test_without_a_key_a_lost_answer_is_reported_unknown_as_before(env: Env) -> None:
    lose(env, "batch_create", {2: "after", 3: "after"})
    report = await env.lark.bitable.bulk_create(
        env.app_token, env.table_id, people(20), chunk_size=10, max_attempts=2
    )
    assert not report.ok and report.written == 10 and report.unknown_rows == 10
    [unknown] = report.unknown
    assert unknown.indexes == tuple(range(10, 20)) and unknown.client_token
    assert unknown.error.kind is ErrorKind.NETWORK
    assert (report.settled_written, report.settled_not_written) == (0, 0)
    assert len(env.records()) == 20  # it was written: the report says "unknown", not "failed"
    assert not any(e.path.endswith("/search") for e in env.fake.journal.entries)


async def test_a_failed_read_back_leaves_the_chunk_unknown(env: Env) -> None:
    lose(env, "batch_create", {1: "after", 2: "after"})
    env.fake.faults.fail(f"POST {RECORDS}/search", times=None, status=403, code=91403)
    report = await env.lark.bitable.bulk_create(
        env.app_token, env.table_id, people(5), key_field="Name", max_attempts=2
    )
    assert report.unknown_rows == 5 and report.written == 0 and report.failed_count == 0
    assert report.unknown[0].error.kind is ErrorKind.NETWORK  # the lost answer's error
    assert len(env.records()) == 5


async def test_key_field_rows_must_carry_unique_keys(env: Env) -> None:
    bt = env.lark.bitable
    rows: list[dict[str, Any]] = [{"Name": "a"}, {"Age": 3}, {"Name": "b"}, {"Name": "a"}]
    report = await bt.bulk_create(env.app_token, env.table_id, rows, key_field="Name")
    assert report.written == 2 and {f.index for f in report.failed} == {1, 3}
    assert "no value for the key field" in report.failed[0].error.message
    assert "repeats" in report.failed[1].error.message
    missing = await bt.bulk_create(env.app_token, env.table_id, rows[:1], key_field="Email")
    assert missing.aborted is not None and "Email" in missing.aborted.message


async def test_key_field_is_an_option_of_create_only(env: Env) -> None:
    bt = env.lark.bitable
    for call in (
        bt.bulk_update(env.app_token, env.table_id, [], key_field="Name"),
        bt.bulk_upsert(env.app_token, env.table_id, [], key="Name", key_field="Name"),
        bt.bulk_delete(env.app_token, env.table_id, [], key_field="Name"),
        bt.bulk_create(env.app_token, env.table_id, [], key_field=""),
        bt.bulk_create(env.app_token, env.table_id, [], settle_rounds=-1),
    ):
        try:
            await call
        except InvalidParameter:
            continue
        raise AssertionError("accepted")
