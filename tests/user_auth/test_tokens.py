"""token(open_id): refreshed once, single-use refresh tokens, re-authorisation, fail closed."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

from lark_async import LarkClient, TokenInvalid
from lark_async.auth.stores.user_memory import MemoryUserTokenStore
from lark_async.auth.user_models import UserGrant
from lark_async.user_auth import ReauthorizationRequired, UserTokenStoreError
from tests.helpers import APP_ID, APP_SECRET
from tests.user_auth.conftest import ECHO, REDIRECT, Env, authorise, code_and_state


async def test_fifty_callers_at_expiry_share_one_refresh(env: Env) -> None:
    await authorise(env)
    first = await env.lark.user_auth.token(env.user)
    env.clock.advance(7200)  # expired
    tokens = await asyncio.gather(*(env.lark.user_auth.token(env.user) for _ in range(50)))
    assert len(set(tokens)) == 1 and tokens[0] != first
    assert env.fake.oauth.refreshes() == 1
    assert env.fake.oauth.reuses() == 0
    # and once more, with the rotated refresh token
    env.clock.advance(7200)
    await asyncio.gather(*(env.lark.user_auth.token(env.user) for _ in range(50)))
    assert env.fake.oauth.refreshes() == 2 and env.fake.oauth.reuses() == 0


async def test_refresh_ahead_keeps_serving_the_current_token(env: Env) -> None:
    await authorise(env)
    first = await env.lark.user_auth.token(env.user)
    env.clock.advance(7200 - 600)  # less than 10% left
    assert await env.lark.user_auth.token(env.user) == first  # nobody waits
    for _ in range(20):
        if env.fake.oauth.refreshes() == 1:
            break
        await asyncio.sleep(0.01)
    assert env.fake.oauth.refreshes() == 1
    for _ in range(20):
        if await env.lark.user_auth.token(env.user) != first:
            break
        await asyncio.sleep(0.01)
    assert await env.lark.user_auth.token(env.user) != first


async def test_rejected_user_token_is_refreshed_and_the_call_replayed_once(env: Env) -> None:
    await authorise(env)
    token = await env.lark.user_auth.token(env.user)
    env.fake.apps.lookup(token).revoked = True  # type: ignore[union-attr]
    resp = await env.lark.request("GET", ECHO, as_user=env.user)
    assert resp.ok and resp.attempts == 2
    assert env.fake.oauth.refreshes() == 1

    env.fake.faults.fail(
        f"GET {ECHO}", times=None, status=400, code=99991668, msg="Invalid access token"
    )
    resp = await env.lark.request("GET", ECHO, as_user=env.user)
    assert isinstance(resp.error, TokenInvalid) and resp.attempts == 2  # one replay only
    assert env.fake.oauth.refreshes() == 2


async def test_a_raw_user_token_is_not_refreshed(env: Env) -> None:
    resp = await env.lark.request("GET", ECHO, user_access_token="u-" + "x" * 40)
    assert isinstance(resp.error, TokenInvalid) and resp.attempts == 1
    assert env.fake.oauth.refreshes() == 0


async def test_revoked_grant_is_a_reauthorise_error_with_a_fresh_link(env: Env) -> None:
    await authorise(env)
    env.fake.oauth.revoke(env.user)
    env.clock.advance(7200)
    with pytest.raises(ReauthorizationRequired) as err:
        await env.lark.user_auth.token(env.user)
    assert err.value.code == 20064 and err.value.open_id == env.user
    assert err.value.auth_url and REDIRECT.split("/")[2] in err.value.auth_url
    assert await env.lark.user_auth.grant(env.user) is None  # the stored grant is ended
    # the same through a call
    resp = await env.lark.request("GET", ECHO, as_user=env.user)
    assert isinstance(resp.error, ReauthorizationRequired)
    # the fresh link works
    redirect = env.fake.oauth.approve(err.value.auth_url, env.user)
    await env.lark.user_auth.complete(*code_and_state(redirect))
    assert (await env.lark.request("GET", ECHO, as_user=env.user)).ok


async def test_unknown_user_needs_authorisation(env: Env) -> None:
    with pytest.raises(ReauthorizationRequired) as err:
        await env.lark.user_auth.token("ou_nobody")
    assert err.value.auth_url is None  # no redirect URI known yet
    env.lark.user_auth.configure(redirect_uri=REDIRECT, scopes=["docs:doc"])
    with pytest.raises(ReauthorizationRequired) as err:
        await env.lark.user_auth.token("ou_nobody")
    assert err.value.auth_url and "docs%3Adoc" in err.value.auth_url


class FlakyStore(MemoryUserTokenStore):
    """A user store whose writes (or reads) can be switched off."""

    def __init__(self) -> None:
        super().__init__()
        self.writable = True
        self.fail_after_writes: int | None = None

    async def put_grant(self, grant: UserGrant) -> None:
        if self.fail_after_writes is not None:
            if self.fail_after_writes == 0:
                raise OSError("disk full")
            self.fail_after_writes -= 1
        if not self.writable:
            raise OSError("read-only file system")
        await super().put_grant(grant)


async def test_store_that_cannot_be_written_fails_closed_and_keeps_the_grant(env: Env) -> None:
    store = FlakyStore()
    env.lark.user_tokens.store = store
    await authorise(env)
    env.clock.advance(7200)
    store.writable = False
    with pytest.raises(UserTokenStoreError) as err:
        await env.lark.user_auth.token(env.user)
    assert err.value.retryable
    assert env.fake.oauth.refreshes() == 0  # the single-use refresh token was not spent
    resp = await env.lark.request("GET", ECHO, as_user=env.user)
    assert isinstance(resp.error, UserTokenStoreError)
    store.writable = True
    assert (await env.lark.request("GET", ECHO, as_user=env.user)).ok  # still usable
    assert env.fake.oauth.refreshes() == 1 and env.fake.oauth.reuses() == 0


async def test_store_failing_after_the_refresh_keeps_the_rotated_grant(env: Env) -> None:
    store = FlakyStore()
    env.lark.user_tokens.store = store
    await authorise(env)
    env.clock.advance(7200)
    store.fail_after_writes = 1  # the probe write passes, the rotated grant's fails
    with pytest.raises(UserTokenStoreError):
        await env.lark.user_auth.token(env.user)
    assert env.fake.oauth.refreshes() == 1
    stored = await store.get_grant(env.lark.default_app.app_id, env.user)
    assert stored is not None and stored.generation == 0  # the store still has the old one
    store.fail_after_writes = None
    token = await env.lark.user_auth.token(env.user)  # stored first, then used
    stored = await store.get_grant(env.lark.default_app.app_id, env.user)
    assert stored is not None and stored.generation == 1 and stored.access_token == token
    assert env.fake.oauth.refreshes() == 1 and env.fake.oauth.reuses() == 0
    env.clock.advance(7200)
    await env.lark.user_auth.token(env.user)
    assert env.fake.oauth.refreshes() == 2 and env.fake.oauth.reuses() == 0


async def test_no_token_in_any_log_line(env: Env, log_lines: list[str], remember_secret) -> None:  # type: ignore[no-untyped-def]
    await authorise(env)
    env.clock.advance(7200)
    await env.lark.request("GET", ECHO, as_user=env.user)
    grant = await env.lark.user_auth.grant(env.user)
    assert grant is not None
    secrets = [remember_secret(grant.access_token), remember_secret(grant.refresh_token)]
    assert log_lines
    text = "\n".join(log_lines)
    assert not any(s in text for s in secrets)
    events = [json.loads(line).get("event") for line in log_lines]
    assert "lark.user_token.refresh" in events and "lark.user_auth.session" in events


async def test_grants_are_per_app_and_can_be_forgotten(
    env: Env, tmp_path: Path, secret_key: str
) -> None:
    other_app, other_secret = "cli_unit0000000002", "unit-app-secret-0002"
    env.fake.add_app(other_app, other_secret)
    store = f"sqlite:///{tmp_path / 'tokens.db'}"  # one store for both apps
    kw: dict[str, Any] = {"domain": env.fake.url, "clock": env.clock, "token_store": store,
                          "secret_key": secret_key, "client_rate_limit": False}  # fmt: skip
    async with (
        LarkClient(APP_ID, APP_SECRET, **kw) as a,
        LarkClient(other_app, other_secret, **kw) as b,
    ):
        await authorise(Env(env.fake, a, env.clock, env.user))
        assert (await a.request("GET", ECHO, as_user=env.user)).ok
        resp = await b.request("GET", ECHO, as_user=env.user)
        assert isinstance(resp.error, ReauthorizationRequired)  # app A was authorised, not B
        await a.user_auth.forget(env.user)
        assert await a.user_auth.grant(env.user) is None
        with pytest.raises(ReauthorizationRequired):
            await a.user_auth.token(env.user)
