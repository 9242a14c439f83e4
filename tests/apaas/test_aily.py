"""invoke_ai_capability: an Aily run started, polled with backoff on the client's clock."""

from __future__ import annotations

import asyncio

import pytest

from lark_async.apaas import SkillResult
from lark_async.core.errors import InvalidParameter, LarkTimeout, ServerError
from tests.apaas.conftest import Env

APP = "spring_a__c"
RUNS = "/open-apis/aily/v1/sessions/"


def polls(env: Env) -> int:
    return sum(
        1
        for e in env.fake.journal.entries
        if e.method == "GET" and RUNS in e.path and "/runs/" in e.path
    )


async def test_the_answer_comes_after_several_polls(env: Env) -> None:
    env.apaas.add_skill(APP, "summary", output='{"answer": 42}', delay=3.0)
    result = (await env.lark.apaas.invoke_ai_capability(f"{APP}/summary", {"q": "life"})).unwrap()
    assert isinstance(result, SkillResult)
    assert result.output == '{"answer": 42}' and result.status == "COMPLETED"
    assert result.run_id in env.apaas.runs() and result.session_id
    assert polls(env) >= 3
    # The client waited on its clock: growing waits, capped, together about the delay.
    waits = env.clock.sleeps
    assert waits[0] < waits[1] < waits[2] and max(waits) <= 2.0 * 1.1
    assert 3.0 <= sum(waits) < 3.0 + 2.2
    # The input went in as the session's message, the skill's answer came out of it.
    sent = [e for e in env.fake.journal.entries if e.path.endswith("/messages")]
    assert sent[0].method == "POST" and sent[-1].method == "GET"


async def test_a_failed_run_is_a_typed_error(env: Env) -> None:
    env.apaas.add_skill(APP, "broken", delay=1.0, outcome="FAILED", error="model overloaded")
    resp = await env.lark.apaas.invoke_ai_capability(f"{APP}/broken", "hi")
    assert isinstance(resp.error, ServerError)
    assert "FAILED" in resp.error.message and "model overloaded" in resp.error.message
    assert resp.error.details["status"] == "FAILED" and resp.error.details["run_id"]


async def test_an_expired_run_is_a_timeout(env: Env) -> None:
    env.apaas.add_skill(APP, "stale", delay=0.5, outcome="EXPIRED")
    resp = await env.lark.apaas.invoke_ai_capability(f"{APP}/stale", "hi")
    assert isinstance(resp.error, LarkTimeout) and "expired" in resp.error.message


async def test_the_timeout_is_typed_and_cancels_the_run(env: Env) -> None:
    env.apaas.add_skill(APP, "slow", delay=600)
    resp = await env.lark.apaas.invoke_ai_capability(f"{APP}/slow", "hi", timeout=2.5)
    assert isinstance(resp.error, LarkTimeout) and "2.5 s" in resp.error.message
    run_id = resp.error.details["run_id"]
    assert env.apaas.runs()[run_id] == "CANCELLED"
    # It gave up at the deadline of the client's clock, not later.
    assert sum(env.clock.sleeps) == pytest.approx(2.5)


async def test_a_cancelled_caller_leaves_no_task_behind(env: Env) -> None:
    env.apaas.add_skill(APP, "slow", delay=600)
    gate = asyncio.Event()
    real_sleep = env.clock.sleep

    async def held_sleep(seconds: float) -> None:
        gate.set()
        await asyncio.Event().wait()  # the poll's wait never ends by itself
        await real_sleep(seconds)

    env.clock.sleep = held_sleep  # type: ignore[method-assign]
    before = asyncio.all_tasks()
    call = asyncio.create_task(env.lark.apaas.invoke_ai_capability(f"{APP}/slow", "hi"))
    await asyncio.wait_for(gate.wait(), 10)
    assert list(env.apaas.runs().values()) == ["QUEUED"]
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert asyncio.all_tasks() - before == set()
    env.clock.sleep = real_sleep  # type: ignore[method-assign]
    # The client is still usable.
    env.apaas.add_skill(APP, "quick", output="done")
    assert (await env.lark.apaas.invoke_ai_capability(f"{APP}/quick", "x")).unwrap().output == (
        "done"
    )


async def test_unknown_skill_and_bad_arguments(env: Env) -> None:
    resp = await env.lark.apaas.invoke_ai_capability(f"{APP}/nope", "hi")
    assert resp.error is not None and resp.error.code == 2700001
    for bad in ("no-slash", "a/b/c", "/x", "x/"):
        with pytest.raises(InvalidParameter, match="capability_id"):
            await env.lark.apaas.invoke_ai_capability(bad, "hi")
    with pytest.raises(InvalidParameter, match="timeout"):
        await env.lark.apaas.invoke_ai_capability(f"{APP}/x", "hi", timeout=0)
    with pytest.raises(InvalidParameter, match="input_data"):
        await env.lark.apaas.invoke_ai_capability(f"{APP}/x", "x" * 61_441)


async def test_a_hung_request_still_ends_at_the_timeout(env: Env) -> None:
    """The poll never answers (real time): the call still ends soon after ``timeout``."""
    env.apaas.add_skill(APP, "slow", delay=600)
    env.fake.faults.delay(
        "GET /open-apis/aily/v1/sessions/{session_id}/runs/{run_id}", 30, times=None
    )
    loop = asyncio.get_running_loop()
    start = loop.time()
    resp = await env.lark.apaas.invoke_ai_capability(f"{APP}/slow", "hi", timeout=0.3)
    assert isinstance(resp.error, LarkTimeout) and resp.error.details["run_id"]
    assert loop.time() - start < 10  # not the 30 s the emulator holds the poll
    assert list(env.apaas.runs().values()) == ["CANCELLED"]
