"""Token lifecycle against the emulator: lazy, refresh-ahead, invalidation, stores."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from lark_async import LarkClient
from lark_async.auth.models import StoredToken, TokenKind
from lark_async.auth.stores.sqlite import SQLiteTokenStore
from lark_async.core.clock import FakeClock
from lark_async.core.errors import ConfigError, TokenInvalid
from tests.helpers import APP_ID, APP_SECRET, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"


async def _settle() -> None:
    for _ in range(20):
        await asyncio.sleep(0.01)


async def test_refresh_ahead_keeps_serving_and_refreshes_once(log_lines: list[str]) -> None:
    clock = FakeClock()
    async with emulator(clock, token_lifetime=7200) as fake, client_for(fake, clock) as lark:
        assert (await lark.request("GET", ECHO)).ok
        first = lark.tokens._mem[(APP_ID, TokenKind.TENANT)].value
        clock.advance(7200 - 700)  # 700 s left < 10% of 7200: refresh ahead
        results = await asyncio.gather(*(lark.request("GET", ECHO) for _ in range(30)))
        assert all(r.ok for r in results)
        await _settle()
        assert fake.token_fetches(APP_ID) == 2  # exactly one background refresh
        second = lark.tokens._mem[(APP_ID, TokenKind.TENANT)].value
        assert second != first
    events = [json.loads(x) for x in log_lines if "lark.token.refresh" in x]
    assert [e["reason"] for e in events] == ["first use", "refresh-ahead"]
    assert all(e["outcome"] == "ok" and "duration_ms" in e for e in events)


async def test_server_returns_same_token_while_more_than_30_minutes_left() -> None:
    clock = FakeClock()
    async with emulator(clock, token_lifetime=7200) as fake, client_for(fake, clock) as lark:
        await lark.request("GET", ECHO)
        tok = lark.tokens._mem[(APP_ID, TokenKind.TENANT)]
        # Force a fetch with plenty of time left: Feishu hands back the same token.
        lark.tokens.forget(APP_ID)
        clock.advance(60)
        await lark.request("GET", ECHO)
        again = lark.tokens._mem[(APP_ID, TokenKind.TENANT)]
        assert again.value == tok.value
        assert again.expires_at == tok.expires_at


async def test_expired_token_refreshed_once_for_many_callers() -> None:
    clock = FakeClock()
    async with emulator(clock, token_lifetime=3600) as fake, client_for(fake, clock) as lark:
        await lark.request("GET", ECHO)
        clock.advance(4000)
        results = await asyncio.gather(*(lark.request("GET", ECHO) for _ in range(100)))
        assert all(r.ok for r in results)
        assert fake.token_fetches(APP_ID) == 2


async def test_revoked_token_is_dropped_refetched_and_call_replayed(log_lines: list[str]) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        await lark.request("GET", ECHO)
        fake.revoke_tokens(APP_ID)
        resp = await lark.request("GET", ECHO)
        assert resp.ok
        assert fake.token_fetches(APP_ID) == 2
    reasons = [json.loads(x).get("reason") for x in log_lines if "lark.token.refresh" in x]
    assert reasons == ["first use", "invalidated"]


async def test_token_rejected_every_time_ends_in_non_retryable_token_invalid() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        fake.faults.fail(
            f"GET {ECHO}", times=None, status=400, code=99991663, msg="Invalid access token"
        )
        resp = await lark.request("GET", ECHO)
        assert isinstance(resp.error, TokenInvalid)
        assert not resp.error.retryable
        assert fake.token_fetches(APP_ID) == 3  # first + 2 refetches
        assert len(fake.journal.filter(path=ECHO)) == 3


async def test_wrong_secret_is_config_error_and_never_retried() -> None:
    async with emulator() as fake:
        lark = LarkClient(APP_ID, "wrong-secret-value", domain=fake.url, clock=FakeClock())
        async with lark:
            resp = await lark.request("GET", ECHO)
        assert isinstance(resp.error, ConfigError)
        assert resp.error.code == 10014
        assert "app_secret" in (resp.error.hint or "")
        assert fake.token_fetches(APP_ID) == 1
        assert len(fake.journal.filter(path=ECHO)) == 0


async def test_unknown_app_id_is_config_error() -> None:
    async with emulator() as fake:
        lark = LarkClient("cli_nosuchapp00001", APP_SECRET, domain=fake.url, clock=FakeClock())
        async with lark:
            resp = await lark.request("GET", ECHO)
        assert isinstance(resp.error, ConfigError) and resp.error.code == 10003


async def test_tokens_survive_a_restart_in_sqlite(tmp_path: Path, secret_key: str) -> None:
    store_url = f"sqlite:///{tmp_path / 'tokens.db'}"
    async with emulator() as fake:
        for _ in range(2):
            lark = client_for(fake, token_store=store_url, secret_key=secret_key)
            async with lark:
                assert (await lark.request("GET", ECHO)).ok
        assert fake.token_fetches(APP_ID) == 1  # second client reused the stored token


async def test_corrupt_stored_token_is_refetched(tmp_path: Path, secret_key: str) -> None:
    from lark_async.auth.crypto import SecretBox

    path = tmp_path / "tokens.db"
    store = SQLiteTokenStore(path, SecretBox(secret_key))
    await store.put(StoredToken(APP_ID, TokenKind.TENANT, "t-old", 1e12, 7200, 0))
    await store.close()
    import sqlite3

    with sqlite3.connect(path) as db:
        db.execute("UPDATE lark_tokens SET value_enc = 'garbage'")
    async with emulator() as fake:
        lark = client_for(fake, token_store=f"sqlite:///{path}", secret_key=secret_key)
        async with lark:
            assert (await lark.request("GET", ECHO)).ok
        assert fake.token_fetches(APP_ID) == 1


async def test_store_down_is_a_miss_and_logged_once(log_lines: list[str], secret_key: str) -> None:
    async with emulator() as fake:
        lark = client_for(
            fake,
            token_store="postgresql://postgres:pw-not-logged@127.0.0.1:1/test",
            secret_key=secret_key,
        )
        async with lark:
            results = [await lark.request("GET", ECHO) for _ in range(5)]
            assert all(r.ok for r in results)
            assert fake.token_fetches(APP_ID) == 1  # kept in memory
    errors = [json.loads(x) for x in log_lines if "lark.token.store_unavailable" in x]
    assert len(errors) == 1
    assert errors[0]["level"] == "error"
    assert "pw-not-logged" not in "".join(log_lines)


async def test_disabled_app_in_registry_refuses_at_next_call(
    tmp_path: Path, secret_key: str
) -> None:
    from lark_async.auth.crypto import SecretBox
    from lark_async.auth.registry import AppRegistry

    path = tmp_path / "apps.db"
    async with AppRegistry(path, SecretBox(secret_key)) as reg:
        await reg.add(APP_ID, APP_SECRET, created_by="test")
    async with emulator() as fake:
        lark = LarkClient(registry=path, secret_key=secret_key, domain=fake.url, clock=FakeClock())
        async with lark:
            app = lark.app(APP_ID)
            assert (await app.request("GET", ECHO)).ok
            # another process (the CLI) disables it
            async with AppRegistry(path, SecretBox(secret_key)) as other:
                await other.disable(APP_ID, by="ops")
            resp = await app.request("GET", ECHO)
            assert isinstance(resp.error, ConfigError)
            assert "enable" in (resp.error.hint or "")
            async with AppRegistry(path, SecretBox(secret_key)) as other:
                await other.enable(APP_ID, by="ops")
            assert (await app.request("GET", ECHO)).ok


async def test_store_outage_then_recovery_resumes_writes(
    pg_dsn: str, pg_schema: str, secret_key: str, log_lines: list[str]
) -> None:
    from lark_async.auth.crypto import SecretBox
    from lark_async.auth.migrations import upgrade
    from lark_async.auth.stores.postgres import PostgresTokenStore
    from tests.tcp_proxy import Proxy

    await upgrade(pg_dsn, schema=pg_schema)
    proxy = Proxy()  # not started: the database is "down"
    dsn = pg_dsn.replace("127.0.0.1:5432", f"127.0.0.1:{proxy.port}")
    store = PostgresTokenStore(dsn, SecretBox(secret_key), schema=pg_schema, retry_interval=0)
    try:
        async with emulator() as fake, client_for(fake, token_store=store) as lark:
            assert (await lark.request("GET", ECHO)).ok  # served from memory
            assert any("lark.token.store_unavailable" in x for x in log_lines)
            await proxy.start()  # the database comes back
            fake.revoke_tokens(APP_ID)  # force a refresh
            assert (await lark.request("GET", ECHO)).ok
            stored = await store.get(APP_ID, TokenKind.TENANT)
            assert stored is not None  # the refreshed token reached the store
            assert stored.value == lark.tokens._mem[(APP_ID, TokenKind.TENANT)].value
    finally:
        await proxy.stop()
