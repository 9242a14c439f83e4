from __future__ import annotations

import random

import pytest

from lark_async.core.clock import FakeClock
from lark_async.core.errors import NotFound
from lark_async.core.logging import redact, redact_text
from lark_async.core.response import LarkResponse
from lark_async.core.transport import RetryPolicy


def test_backoff_doubles_with_bounded_jitter() -> None:
    policy = RetryPolicy(jitter=0.2)
    rng = random.Random(1)
    for i, base in enumerate([1.0, 2.0, 4.0]):
        for _ in range(50):
            d = policy.backoff(i, rng)
            assert base * 0.8 <= d <= base * 1.2


def test_backoff_capped() -> None:
    policy = RetryPolicy(jitter=0.0, backoff_max=5)
    assert policy.backoff(10, random.Random()) == 5


def test_rate_limit_wait_uses_header_else_default_and_is_capped() -> None:
    p = RetryPolicy(rate_limit_default_wait=30, rate_limit_max_wait=60)
    assert p.rate_limit_wait("7") == 7
    assert p.rate_limit_wait(None) == 30
    assert p.rate_limit_wait("garbage") == 30
    assert p.rate_limit_wait("600") == 60


def test_redact_masks_secret_keys_and_token_shapes() -> None:
    value = {
        "app_secret": "s3cr3t",
        "nested": {"Authorization": "Bearer t-abcdefghijklmnopqrstuvwxyz"},
        "note": "token t-g1044ghJRUIJJ5ELSPPKXBDLCJWPXIQZIBJQRT here",
        "list": ["u-abcdefghijklmnopqrstu", "plain"],
        "count": 3,
    }
    out = redact(value)
    text = str(out)
    assert "s3cr3t" not in text
    assert "t-abcdefghijklmnop" not in text
    assert "t-g1044" not in text
    assert "u-abcdefghij" not in text
    assert out["count"] == 3 and out["list"][1] == "plain"
    assert value["app_secret"] == "s3cr3t"  # input untouched


def test_redact_text_leaves_ordinary_text() -> None:
    assert redact_text("user ou_123 sent om_456") == "user ou_123 sent om_456"


def test_response_unwrap() -> None:
    ok: LarkResponse[dict[str, int]] = LarkResponse(
        ok=True, code=0, msg="ok", request_id="r", data={"a": 1}
    )
    assert ok.unwrap() == {"a": 1}
    empty: LarkResponse[dict[str, int]] = LarkResponse(ok=True, code=0, msg="ok", request_id="r")
    assert empty.unwrap() == {}
    failed = LarkResponse.failure(NotFound("gone", code=1), request_id="r2")
    assert not failed.ok and failed.code == 1 and failed.error is not None
    assert failed.error.request_id == "r2"
    with pytest.raises(NotFound):
        failed.unwrap()


async def test_fake_clock_sleep_advances_and_records() -> None:
    clock = FakeClock()
    t0 = clock.time()
    await clock.sleep(2.5)
    assert clock.time() == t0 + 2.5
    assert clock.sleeps == [2.5]


def test_request_ids_are_unique_32_hex() -> None:
    from lark_async.core.transport import new_request_id

    ids = {new_request_id() for _ in range(10_000)}
    assert len(ids) == 10_000
    assert all(len(i) == 32 and int(i, 16) >= 0 for i in ids)


def test_forked_child_gets_fresh_request_ids() -> None:
    import multiprocessing as mp

    from lark_async.core.transport import new_request_id

    ctx = mp.get_context("fork")
    with ctx.Pool(1) as pool:
        child = pool.apply(new_request_id)
    assert child[:16] != new_request_id()[:16]


def test_run_uses_uvloop_when_available_and_can_be_disabled(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import asyncio

    from lark_async.core.loop import loop_factory, run

    async def loop_name() -> str:
        return type(asyncio.get_running_loop()).__module__

    uvloop_installed = loop_factory() is not None
    assert run(loop_name()).startswith("uvloop") == uvloop_installed
    monkeypatch.setenv("LARK_ASYNC_UVLOOP", "0")
    assert loop_factory() is None
    assert run(loop_name()).startswith("asyncio")


def test_retry_reasons_are_scanned_for_tokens() -> None:
    import io
    import json

    from lark_async.core.logging import configure_logging, get_logger

    buf = io.StringIO()
    configure_logging("DEBUG", "json", stream=buf)
    get_logger().warning("lark.retry", reason="Server: bad token t-" + "Z" * 30)
    line = json.loads(buf.getvalue())
    assert "ZZZZ" not in line["reason"] and "***" in line["reason"]
    configure_logging("DEBUG", "json")
