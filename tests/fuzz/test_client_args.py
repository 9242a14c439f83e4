"""LarkClient and its calls: any wrong argument is a LarkError naming it, before any request.

Each test feeds one argument generated wrong values, the others valid. A call
either works or raises the library's own typed error whose message names the
argument; when it raises, the emulator's journal shows nothing was sent.
"""

from __future__ import annotations

import asyncio
import io
import os
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import ConfigError, InvalidParameter, LarkError
from lark_async.core.logging import configure_logging
from lark_async.core.ratelimit import Limit, Pace
from lark_async.core.retry import RetryPolicy
from lark_async.testing import FakeLark
from tests.conftest import SUITE_LOG
from tests.fuzz.checks import typed_or_ok, typed_or_ok_async
from tests.fuzz.values import anything, strings
from tests.helpers import APP_ID, APP_SECRET, ThreadedEmulator, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"
UNREACHABLE = "http://127.0.0.1:9"  # for clients that must never send anything at all


@pytest.fixture(scope="module")
def listening() -> Iterator[ThreadedEmulator]:
    """An emulator that journals anything a constructor (or closing it) might send."""
    with ThreadedEmulator() as emu:
        yield emu


def _nothing_sent(emu: ThreadedEmulator) -> None:
    assert emu.fake is not None
    assert len(emu.fake.journal) == 0, emu.fake.journal.entries()


@pytest.fixture
def restore_logging() -> Iterator[None]:
    # log_level= / log_format= may configure logging; the suite's conftest set it up.
    yield
    configure_logging("DEBUG", "json", stream=SUITE_LOG)


def _close(client: LarkClient) -> None:
    asyncio.run(client.aclose())


# -- the constructor ------------------------------------------------------------

INIT_ARGS = [
    "app_id",
    "app_secret",
    "domain",
    "encrypt_key",
    "verification_token",
    "token_store",
    "registry",
    "secret_key",
    "timeout",
    "max_retries",
    "retry",
    "rate_limits",
    "client_rate_limit",
    "connector_limit",
    "clock",
    "lock_timeout",
    "refresh_fraction",
    "log_level",
    "log_format",
]


def _build(arg: str, value: Any, domain: str = UNREACHABLE) -> LarkClient:
    kwargs: dict[str, Any] = {
        "app_id": APP_ID,
        "app_secret": APP_SECRET,
        "domain": domain,
        "client_rate_limit": False,
    }
    kwargs[arg] = value
    return LarkClient(**kwargs)


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize("arg", INIT_ARGS)
@given(value=anything())
def test_constructor_refuses_bad_values_by_name(
    arg: str, value: Any, listening: ThreadedEmulator
) -> None:
    built = typed_or_ok(lambda: _build(arg, value, listening.url), arg)
    if isinstance(built, LarkClient):
        _close(built)  # closing what was built never fails either
    elif arg not in ("app_id", "app_secret"):  # an app without its secret is "no app"
        assert isinstance(built, ConfigError), repr(built)
    _nothing_sent(listening)


def _changed(policy: RetryPolicy, **fields: object) -> RetryPolicy:
    for name, value in fields.items():
        setattr(policy, name, value)
    return policy


# Values that look right but are not: each must be refused, naming the argument.
REFUSED = [
    ("max_retries", "3"),
    ("max_retries", -1),
    ("max_retries", 2.0),
    ("app_id", ["a"]),
    ("app_secret", 123),
    ("domain", 1.5),
    ("domain", "https://x?y="),
    ("domain", "http://u:p@h"),
    ("domain", "http://h#frag"),
    ("domain", "http://h:99999"),
    ("domain", "ftp://h"),
    ("domain", "http://h/path"),
    ("domain", "http://h\n"),
    ("secret_key", 5),
    ("token_store", 5),
    ("token_store", "nope://x"),
    ("token_store", "sqlite:///tokens.db"),  # without a key
    ("registry", 5),
    ("registry", b"apps.sqlite3"),
    ("timeout", "x"),
    ("timeout", 0),
    ("timeout", -1),
    ("timeout", float("nan")),
    ("timeout", float("inf")),
    ("timeout", True),
    ("retry", {"max_retries": 3}),
    ("retry", _changed(RetryPolicy(), max_retries="3")),  # changed after it was made
    ("retry", _changed(RetryPolicy(), jitter=float("nan"))),
    ("rate_limits", 5),
    ("rate_limits", {"im": "50/s"}),
    ("rate_limits", {"im": (float("inf"), 1)}),
    ("rate_limits", {"im": (1e30, 1)}),
    ("rate_limits", {5: Limit(5)}),
    ("client_rate_limit", "false"),
    ("connector_limit", -1),
    ("clock", 5),
    ("lock_timeout", 0),
    ("refresh_fraction", "0.1"),
    ("refresh_fraction", 1),
    ("log_level", 1.5),
    ("log_level", "LOUD"),
    ("log_format", "xml"),
]


@pytest.mark.usefixtures("restore_logging")
@pytest.mark.parametrize(("arg", "value"), REFUSED, ids=[f"{a}={v!r}"[:40] for a, v in REFUSED])
def test_constructor_refuses_known_gaps(
    arg: str, value: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)  # a store or registry file, if one were ever made, lands here
    with pytest.raises(ConfigError) as info:
        _build(arg, value)
    assert arg in str(info.value)
    assert str(info.value.details.get("argument", arg)).startswith(arg)


def test_a_store_that_is_not_one_fails_at_construction_not_at_aclose() -> None:
    with pytest.raises(ConfigError, match="token_store"):
        _build("token_store", object())


@pytest.mark.usefixtures("restore_logging")
def test_valid_values_still_work() -> None:
    for arg, value in [
        ("timeout", 2),
        ("timeout", 0.5),
        ("max_retries", 0),
        ("domain", "https://open.feishu.cn/"),
        ("domain", "http://127.0.0.1:8080"),
        ("rate_limits", {"im": (5, 1), "default": [Limit(50), (1000, 60)]}),
        ("clock", FakeClock()),
        ("log_level", "warning"),
        ("log_format", "stdlib"),
        ("registry", Path("apps.sqlite3")),
    ]:
        _close(_build(arg, value))


# -- from_env and app() ------------------------------------------------------------

ENV_NAMES = ["APP_ID", "APP_SECRET", "DOMAIN", "TIMEOUT", "MAX_RETRIES", "TOKEN_STORE"]


@given(name=st.sampled_from(ENV_NAMES), value=strings())
def test_from_env_refuses_bad_variables_by_name(name: str, value: str) -> None:
    try:
        os.fsencode(value)
    except UnicodeEncodeError:
        return  # an environment cannot hold it
    if "\x00" in value:
        return  # nor NUL
    env = {"LARK_ASYNC_APP_ID": APP_ID, "LARK_ASYNC_APP_SECRET": APP_SECRET}
    env[f"LARK_ASYNC_{name}"] = value
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        built = typed_or_ok(LarkClient.from_env)
    finally:
        os.environ.clear()
        os.environ.update(saved)
    if isinstance(built, LarkClient):
        _close(built)
    else:
        assert isinstance(built, ConfigError)
        assert name.lower() in str(built).lower(), str(built)


@given(key=st.text(min_size=1, max_size=12), value=anything())
def test_from_env_refuses_unknown_overrides(
    key: str, value: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LARK_ASYNC_APP_ID", APP_ID)
    monkeypatch.setenv("LARK_ASYNC_APP_SECRET", APP_SECRET)
    if key in INIT_ARGS or not key.isidentifier():
        return
    with pytest.raises(ConfigError) as info:
        LarkClient.from_env(**{key: value})
    assert info.value.details["argument"] == key


@given(app_id=anything())
def test_app_refuses_bad_ids(app_id: Any) -> None:
    lark = _build("domain", UNREACHABLE)
    handle = typed_or_ok(lambda: lark.app(app_id), "app_id")
    if not isinstance(handle, LarkError):
        assert handle.app_id == app_id
    _close(lark)


# -- request() and download() ------------------------------------------------------


@pytest.fixture
async def fake() -> AsyncIterator[FakeLark]:
    async with emulator() as running:
        yield running


@pytest.fixture
async def lark(fake: FakeLark) -> AsyncIterator[LarkClient]:
    client = client_for(fake)
    async with client:
        yield client


REQUEST_ARGS = [
    "method",
    "path",
    "params",
    "json",
    "data",
    "files",
    "headers",
    "timeout",
    "idempotency_key",
    "idempotent",
    "auth",
    "user_access_token",
    "family",
    "max_retries",
    "pace",
]

open_apis_paths = st.builds(lambda tail: "/open-apis/" + tail, strings())


def _value_for(arg: str) -> st.SearchStrategy[Any]:
    if arg == "path":
        return st.one_of(anything(), open_apis_paths)
    return anything()


async def _sent_nothing_if_refused(fake: FakeLark, outcome: Any) -> None:
    if isinstance(outcome, LarkError):
        assert len(fake.journal) == 0, f"refused, yet sent: {fake.journal.entries()}"


@pytest.mark.parametrize("arg", REQUEST_ARGS)
@given(data=st.data())
async def test_request_refuses_bad_values_by_name(
    arg: str, data: st.DataObject, fake: FakeLark, lark: LarkClient
) -> None:
    value = data.draw(_value_for(arg), label=arg)
    kwargs: dict[str, Any] = {"method": "POST", "path": ECHO, arg: value}
    fake.journal.clear()
    outcome = await typed_or_ok_async(lambda: lark.request(**kwargs), arg)
    await _sent_nothing_if_refused(fake, outcome)


DOWNLOAD_ARGS = [
    "dest",
    "chunk_size",
    "params",
    "headers",
    "timeout",
    "max_retries",
    "path",
    "resume",
]


@pytest.mark.parametrize("arg", DOWNLOAD_ARGS)
@given(data=st.data())
async def test_download_refuses_bad_values_by_name(
    arg: str, data: st.DataObject, fake: FakeLark, lark: LarkClient
) -> None:
    value = data.draw(_value_for(arg), label=arg)
    kwargs: dict[str, Any] = {"method": "GET", "path": ECHO, "dest": io.BytesIO(), arg: value}
    fake.journal.clear()
    outcome = await typed_or_ok_async(lambda: lark.download(**kwargs), arg)
    await _sent_nothing_if_refused(fake, outcome)


KNOWN_BAD_CALLS = [
    ("json", {"a": {1, 2}}),
    ("json", {"a": object()}),
    ("json", {1: "non-str key"}),
    ("json", {"text": "lone \ud800 surrogate"}),
    ("json", {"n": 2**70}),
    ("params", {"a": ["list"]}),
    ("params", {"a": float("nan")}),
    ("params", {"a": "\udfff"}),
    ("params", "a=1"),
    ("headers", {"X-A": "line\nbreak"}),
    ("headers", {"X-A": 5}),
    ("headers", {"Bad Name": "v"}),
    ("data", 5),
    ("data", "text"),
    ("files", {"f": ("a.txt", "text, not bytes", None)}),
    ("files", {"f": ("a.txt", Path("/nonexistent/file"), None)}),
    ("files", {"f": b"bytes"}),
    ("timeout", 0),
    ("timeout", float("inf")),
    ("idempotency_key", ""),
    ("idempotency_key", 5),
    ("idempotent", "yes"),
    ("max_retries", True),
    ("pace", Pace("k", 1.0).key),
    ("user_access_token", "u-a\nb"),
    ("family", 5),
]


@pytest.mark.parametrize(
    ("arg", "value"), KNOWN_BAD_CALLS, ids=[f"{a}-{i}" for i, (a, _) in enumerate(KNOWN_BAD_CALLS)]
)
async def test_request_refuses_known_bad_values(
    arg: str, value: Any, fake: FakeLark, lark: LarkClient
) -> None:
    fake.journal.clear()
    kwargs: dict[str, Any] = {"method": "POST", "path": ECHO, arg: value}
    if arg in ("data", "files"):
        kwargs.pop("json", None)
    with pytest.raises(LarkError) as info:
        await lark.request(**kwargs)
    assert arg in str(info.value)
    assert len(fake.journal) == 0


async def test_download_refuses_a_text_stream_and_a_str_path(
    fake: FakeLark, lark: LarkClient
) -> None:
    fake.journal.clear()
    for dest in (io.StringIO(), "out.bin", None):
        with pytest.raises(LarkError, match="dest"):
            await lark.download("GET", ECHO, dest)  # type: ignore[arg-type]
    assert len(fake.journal) == 0


@pytest.mark.parametrize("arg", ["client", "app_id"])
@given(value=anything())
def test_app_client_constructor(arg: str, value: Any) -> None:
    from lark_async import AppClient

    lark = _build("domain", UNREACHABLE)
    kwargs: dict[str, Any] = {"client": lark, "app_id": APP_ID, arg: value}
    typed_or_ok(lambda: AppClient(**kwargs), arg)
    _close(lark)


@pytest.mark.parametrize(
    ("field", "value"),
    [("max_retries", "3"), ("max_retries", -1), ("jitter", float("nan")), ("backoff_max", -1.0)],
)
def test_retry_policy_refuses_bad_fields_naming_them(field: str, value: object) -> None:
    with pytest.raises(InvalidParameter, match=field):
        RetryPolicy(**{field: value})  # type: ignore[arg-type]
