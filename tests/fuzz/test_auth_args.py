"""lark_async.auth's public API over generated bad values: the registry, stores, SecretBox, AppConfig."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import Fernet
from hypothesis import given
from hypothesis import strategies as st

from lark_async.auth.crypto import SECRET_KEY_ENV, SecretBox
from lark_async.auth.models import AppConfig
from lark_async.auth.registry import AppRegistry, check_app_id
from lark_async.auth.stores import MemoryTokenStore, store_from_url
from lark_async.auth.stores.postgres import PostgresTokenStore
from lark_async.auth.stores.sqlite import SQLiteTokenStore
from lark_async.core.errors import ConfigError, LarkError
from lark_async.core.secret import Secret
from tests.fuzz.checks import typed_or_ok, typed_or_ok_async
from tests.fuzz.values import anything, strings

KEY = Fernet.generate_key().decode()
BOX = SecretBox(KEY)
APP = "cli_fuzz0000000001"


# -- SecretBox ------------------------------------------------------------------


@given(keys=anything())
def test_secret_box_keys(keys: Any) -> None:
    made = typed_or_ok(lambda: SecretBox(keys))
    if isinstance(made, LarkError):
        assert isinstance(made, ConfigError)
        assert "keys" in str(made) or SECRET_KEY_ENV in str(made)


@given(env=st.one_of(anything(), st.dictionaries(st.just(SECRET_KEY_ENV), strings())))
def test_secret_box_from_env(env: Any) -> None:
    made = typed_or_ok(lambda: SecretBox.from_env(env))
    if isinstance(made, LarkError):
        assert "env" in str(made) or SECRET_KEY_ENV in str(made) or "keys" in str(made)


@pytest.mark.parametrize("method", ["encrypt", "decrypt", "rotate"])
@given(value=anything())
def test_secret_box_methods(method: str, value: Any) -> None:
    name = "plaintext" if method == "encrypt" else "ciphertext"
    out = typed_or_ok(lambda: getattr(BOX, method)(value))
    if isinstance(out, LarkError):
        assert name in str(out) or "decrypted" in str(out), str(out)
    elif method == "encrypt":
        assert BOX.decrypt(out) == value


# -- AppConfig and check_app_id --------------------------------------------------

APP_CONFIG_ARGS = [
    "app_id",
    "app_secret",
    "encrypt_key",
    "verification_token",
    "name",
    "description",
    "status",
    "created_by",
    "created_at",
    "updated_at",
]


@pytest.mark.parametrize("arg", APP_CONFIG_ARGS)
@given(value=anything())
def test_app_config(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"app_id": APP, "app_secret": Secret("s"), arg: value}
    typed_or_ok(lambda: AppConfig(**kwargs), arg)


@given(app_id=st.one_of(anything(), st.builds(lambda t: "cli_" + t, strings())))
def test_check_app_id(app_id: Any) -> None:
    typed_or_ok(lambda: check_app_id(app_id), "app_id")


# -- token stores ----------------------------------------------------------------


@given(
    url=st.one_of(
        anything(),
        st.builds(
            lambda s, t: s + t,
            st.sampled_from(
                [
                    "memory",
                    "sqlite:///",
                    "sqlite:",
                    "postgresql://",
                    "postgres://u:p@h/db?schema=",
                    "redis://",
                ]
            ),
            strings(),
        ),
    ),
    box=st.one_of(st.none(), st.just(BOX), anything()),
)
def test_store_from_url(url: Any, box: Any, scratch: Path) -> None:
    store = typed_or_ok(lambda: store_from_url(url, box))
    if isinstance(store, LarkError):
        assert isinstance(store, ConfigError)
        assert "token_store" in str(store) or "box" in str(store), str(store)
    assert not any(scratch.iterdir()), "building a store touched the disk"


@pytest.mark.parametrize("arg", ["path", "box", "busy_timeout"])
@given(value=anything())
def test_sqlite_store_constructor(arg: str, value: Any, scratch: Path) -> None:
    kwargs: dict[str, Any] = {"path": "tokens.db", "box": BOX, arg: value}
    typed_or_ok(lambda: SQLiteTokenStore(**kwargs), arg)
    assert not any(scratch.iterdir())


PG_ARGS = [
    "dsn",
    "box",
    "schema",
    "min_size",
    "max_size",
    "connect_timeout",
    "command_timeout",
    "retry_interval",
]


@pytest.mark.parametrize("arg", PG_ARGS)
@given(value=anything())
def test_postgres_store_constructor(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"dsn": "postgresql://u@127.0.0.1:1/db", "box": BOX, arg: value}
    typed_or_ok(lambda: PostgresTokenStore(**kwargs), arg)


def test_memory_store_takes_nothing() -> None:
    assert repr(MemoryTokenStore()).startswith("MemoryTokenStore")


# -- the app registry ----------------------------------------------------------------


@pytest.mark.parametrize("arg", ["path", "box", "clock", "busy_timeout"])
@given(value=anything())
def test_registry_constructor(arg: str, value: Any, scratch: Path) -> None:
    kwargs: dict[str, Any] = {"path": "apps.sqlite3", "box": BOX, arg: value}
    typed_or_ok(lambda: AppRegistry(**kwargs), arg)
    assert not any(scratch.iterdir())


@given(
    env=st.one_of(
        anything(),
        st.dictionaries(st.sampled_from([SECRET_KEY_ENV, "LARK_ASYNC_REGISTRY_PATH"]), strings()),
    )
)
def test_registry_from_env(env: Any) -> None:
    made = typed_or_ok(lambda: AppRegistry.from_env(env))
    if isinstance(made, LarkError):
        text = str(made)
        assert "env" in text or "LARK_ASYNC_" in text or "path" in text or "keys" in text, text


@pytest.fixture
async def registry(tmp_path: Path) -> AsyncIterator[AppRegistry]:
    async with AppRegistry(tmp_path / "apps.sqlite3", BOX) as reg:
        await reg.add(APP, "fuzz-app-secret", created_by="fuzz")
        yield reg


ADD_ARGS = [
    "app_id",
    "app_secret",
    "encrypt_key",
    "verification_token",
    "name",
    "description",
    "created_by",
]


@pytest.mark.parametrize("arg", ADD_ARGS)
@given(value=anything())
async def test_registry_add(arg: str, value: Any, registry: AppRegistry) -> None:
    kwargs: dict[str, Any] = {
        "app_id": "cli_fuzz0000000002",
        "app_secret": "s",
        "created_by": "fuzz",
    }
    kwargs[arg] = value
    name = "created_by" if arg == "created_by" else arg
    added = await typed_or_ok_async(lambda: registry.add(**kwargs), name)
    if not isinstance(added, LarkError):
        await registry.remove(added.app_id, by="fuzz")


UPDATE_ARGS = [
    "app_id",
    "by",
    "app_secret",
    "encrypt_key",
    "verification_token",
    "name",
    "description",
]


@pytest.mark.parametrize("arg", UPDATE_ARGS)
@given(value=anything())
async def test_registry_update(arg: str, value: Any, registry: AppRegistry) -> None:
    kwargs: dict[str, Any] = {"app_id": APP, "by": "fuzz", "name": "n"}
    kwargs[arg] = value
    await typed_or_ok_async(lambda: registry.update(**kwargs), arg)


@pytest.mark.parametrize("method", ["find", "get", "current", "audit"])
@given(app_id=anything())
async def test_registry_reads(method: str, app_id: Any, registry: AppRegistry) -> None:
    out = await typed_or_ok_async(lambda: getattr(registry, method)(app_id))
    if isinstance(out, LarkError):
        assert "app_id" in str(out) or "not registered" in str(out), str(out)


@pytest.mark.parametrize("method", ["enable", "disable", "remove"])
@given(app_id=anything(), by=anything())
async def test_registry_status_changes(
    method: str, app_id: Any, by: Any, registry: AppRegistry
) -> None:
    out = await typed_or_ok_async(lambda: getattr(registry, method)(app_id, by=by))
    if isinstance(out, LarkError):
        text = str(out)
        assert "app_id" in text or "by" in text or "not registered" in text, text
    if method == "remove" and not isinstance(out, LarkError):
        await registry.add(APP, "fuzz-app-secret", created_by="fuzz")


@given(by=anything())
async def test_registry_rotate_key(by: Any, registry: AppRegistry) -> None:
    await typed_or_ok_async(lambda: registry.rotate_key(by=by), "by")


async def test_a_closed_registry_is_a_typed_error(tmp_path: Path) -> None:
    reg = AppRegistry(tmp_path / "apps.sqlite3", BOX)
    with pytest.raises(ConfigError, match="not open"):
        await reg.list()


@pytest.mark.parametrize(
    "url", ["postgresql://[", "POSTGRESQL://u:p@[::1/db", "sqlite:///", "nope://x", " "]
)
def test_store_urls_that_are_not_ones(url: str) -> None:
    with pytest.raises(ConfigError, match="token_store"):
        store_from_url(url, BOX)


def test_huge_busy_timeouts_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="busy_timeout"):
        SQLiteTokenStore(tmp_path / "t.db", BOX, busy_timeout=1e308)
    with pytest.raises(ConfigError, match="busy_timeout"):
        AppRegistry(tmp_path / "a.db", BOX, busy_timeout=1e308)
