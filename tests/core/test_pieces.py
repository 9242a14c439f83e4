from __future__ import annotations

import random

import pytest

from lark_async.core.clock import FakeClock
from lark_async.core.errors import NotFound
from lark_async.core.logging import redact, redact_text
from lark_async.core.ratelimit import ClientRateLimiter, Limit, family_of
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


@pytest.mark.parametrize(
    ("method", "path", "family"),
    [
        ("POST", "/open-apis/im/v1/messages", "im"),
        ("GET", "/open-apis/im/v1/chats/oc_1", "im.chat"),
        ("POST", "/open-apis/bitable/v1/apps/a/tables/t/records/batch_create", "bitable.write"),
        ("POST", "/open-apis/bitable/v1/apps/a/tables/t/records/search", "bitable.read"),
        ("GET", "/open-apis/bitable/v1/apps/a/tables/t/records", "bitable.read"),
        ("GET", "/open-apis/bitable/v1/apps/a/tables", "bitable.read"),
        ("POST", "/open-apis/docx/v1/documents", "docx.write"),
        ("GET", "/open-apis/docx/v1/documents/d", "docx.read"),
        ("PUT", "/open-apis/sheets/v2/spreadsheets/s/values", "sheets"),
        ("GET", "/open-apis/contact/v3/users/u", "contact"),
        ("POST", "/open-apis/auth/v3/tenant_access_token/internal", "auth"),
        ("GET", "/open-apis/calendar/v4/calendars", "default"),
        ("POST", "/open-apis/sheets/v3/spreadsheets", "sheets.v3.write"),
        ("GET", "/open-apis/sheets/v3/spreadsheets/s/sheets/query", "sheets.v3"),
    ],
)
def test_family_of(method: str, path: str, family: str) -> None:
    assert family_of(method, path) == family


async def test_client_limiter_is_per_app_and_family() -> None:
    lim = ClientRateLimiter({"im": Limit(2, 60)})
    await lim.acquire("a", "im")
    # a second in the same window would wait; other apps and families are not affected
    await lim.acquire("b", "im")
    await lim.acquire("a", "contact")
    assert lim._bucket("a", "im").has_capacity() is False
    assert lim._bucket("c", "im").has_capacity() is True


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


def test_limit_specs_accept_limits_tuples_and_sequences() -> None:
    lim = ClientRateLimiter({"a": (10, 1), "b": Limit(5), "c": [(50, 1), (1000, 60)]})
    assert lim.limits["a"] == (Limit(10, 1),)
    assert lim.limits["b"] == (Limit(5),)
    assert lim.limits["c"] == (Limit(50, 1), Limit(1000, 60))
    assert lim.limits["im"] == (Limit(50), Limit(1000, 60.0))  # documented default
    for bad in ((0, 1), ("x", 1), []):
        with pytest.raises(ValueError):
            ClientRateLimiter({"x": bad})  # type: ignore[dict-item]


async def test_sliding_window_caps_calls_in_any_window() -> None:
    import asyncio

    lim = ClientRateLimiter({"f": [(1000, 1), (10, 0.3)]}, headroom=1.0)
    loop = asyncio.get_running_loop()
    start = loop.time()
    stamps = []
    for _ in range(25):
        await lim.acquire("app", "f")
        stamps.append(loop.time() - start)
    # never more than 10 in any 0.3 s stretch, so 25 calls need > 0.6 s
    for i in range(len(stamps) - 10):
        assert stamps[i + 10] - stamps[i] >= 0.3 - 1e-3
    assert stamps[-1] >= 0.6


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
