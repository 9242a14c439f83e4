"""The link and card flows end to end, and states that must be refused."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from lark_async import InvalidParameter
from lark_async.testing import ImEmulator
from lark_async.user_auth import AuthSessionInvalid, card_url
from tests.user_auth.conftest import ECHO, REDIRECT, Env, authorise, code_and_state


async def test_link_flow_end_to_end(env: Env) -> None:
    session = await env.lark.user_auth.start_session(
        method="link", redirect_uri=REDIRECT, scopes=["docs:doc"]
    )
    assert session.status == "pending" and session.method == "link"
    assert session.expires_at == env.clock.time() + 600
    page = urlsplit(session.url)
    query = {k: v[0] for k, v in parse_qs(page.query).items()}
    assert f"{page.scheme}://{page.netloc}" == env.fake.url  # the emulator is the accounts host
    assert page.path == "/open-apis/authen/v1/authorize"
    assert query["client_id"] == env.lark.default_app.app_id
    assert query["scope"] == "docs:doc offline_access"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["redirect_uri"] == REDIRECT and query["state"]

    redirect = env.fake.oauth.approve(session.url, env.user)
    assert redirect.startswith(REDIRECT + "?code=")
    done = await env.lark.user_auth.complete(*code_and_state(redirect))
    assert done.status == "completed" and done.open_id == env.user
    assert (await env.lark.user_auth.session(session.session_id)).status == "completed"  # type: ignore[union-attr]

    resp = await env.lark.request("GET", ECHO, as_user=env.user)
    assert resp.ok, resp.error
    assert env.fake.journal.entries[-1].token_kind == "user"
    grant = await env.lark.user_auth.grant(env.user)
    assert grant is not None and grant.refresh_token and "docs:doc" in grant.scope


async def test_card_flow_end_to_end(env: Env) -> None:
    session = await env.lark.user_auth.start_session(env.user, redirect_uri=REDIRECT)
    assert session.method == "card" and session.message_id
    (card,) = ImEmulator.of(env.fake).messages(receive_id=env.user)
    assert card["msg_type"] == "interactive" and card["uuid"] == session.session_id
    url = card_url(card["body"]["content"])
    assert url == session.url
    redirect = env.fake.oauth.approve(url, env.user)
    done = await env.lark.user_auth.complete(*code_and_state(redirect))
    assert done.open_id == env.user
    assert (await env.lark.request("GET", ECHO, as_user=env.user)).ok


async def test_card_without_user_is_refused_before_any_request(env: Env) -> None:
    sent = len(env.fake.journal)
    with pytest.raises(InvalidParameter, match="user_id"):
        await env.lark.user_auth.start_session(method="card", redirect_uri=REDIRECT)
    assert len(env.fake.journal) == sent


async def test_replayed_state_is_refused(env: Env) -> None:
    session = await env.lark.user_auth.start_session(method="link", redirect_uri=REDIRECT)
    code, state = code_and_state(env.fake.oauth.approve(session.url, env.user))
    await env.lark.user_auth.complete(code, state)
    with pytest.raises(AuthSessionInvalid) as err:
        await env.lark.user_auth.complete(code, state)
    assert err.value.reason == "used" and "start_session" in (err.value.hint or "")


async def test_expired_state_is_refused_and_cleaned_up(env: Env) -> None:
    session = await env.lark.user_auth.start_session(method="link", redirect_uri=REDIRECT)
    code, state = code_and_state(env.fake.oauth.approve(session.url, env.user))
    env.clock.advance(601)
    assert (await env.lark.user_auth.session(session.session_id)).status == "expired"  # type: ignore[union-attr]
    exchanges = env.fake.oauth.exchanges()
    with pytest.raises(AuthSessionInvalid) as err:
        await env.lark.user_auth.complete(code, state)
    assert err.value.reason == "expired"
    assert env.fake.oauth.exchanges() == exchanges  # the code was never sent
    assert await env.lark.user_auth.session(session.session_id) is None  # cleaned up


async def test_forged_and_unknown_states_are_refused(env: Env) -> None:
    session = await env.lark.user_auth.start_session(method="link", redirect_uri=REDIRECT)
    code, state = code_and_state(env.fake.oauth.approve(session.url, env.user))
    payload, _, sig = state.partition(".")
    for bad, reason in (
        (payload + "." + sig[::-1], "forged"),
        ("not-a-state", "malformed"),
        ("", "malformed"),
    ):
        with pytest.raises(AuthSessionInvalid) as err:
            await env.lark.user_auth.complete(code, bad)
        assert err.value.reason == reason
    # still usable after the bad attempts
    assert (await env.lark.user_auth.complete(code, state)).open_id == env.user


async def test_a_second_authorisation_replaces_the_grant(env: Env) -> None:
    await authorise(env)
    first = await env.lark.user_auth.grant(env.user)
    await authorise(env)
    second = await env.lark.user_auth.grant(env.user)
    assert first is not None and second is not None
    assert first.access_token != second.access_token
