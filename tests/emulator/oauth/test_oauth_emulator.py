"""The OAuth emulator over raw HTTP: authorisation page, code exchange, refresh, user info."""

from __future__ import annotations

import base64
import hashlib
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import aiohttp
import pytest

from lark_async.testing import FakeLark, ManualClock
from tests.emulator.helpers import APP_ID, APP_SECRET

REDIRECT = "https://app.example/cb#frag"
VERIFIER = "v" * 43
TOKEN = "/open-apis/authen/v2/oauth/token"


def page_url(fake: FakeLark, **extra: str) -> str:
    challenge = base64.urlsafe_b64encode(hashlib.sha256(VERIFIER.encode()).digest())
    query = {
        "client_id": APP_ID,
        "response_type": "code",
        "redirect_uri": REDIRECT,
        "scope": "docs:doc offline_access",
        "state": "st-1",
        "code_challenge": challenge.rstrip(b"=").decode(),
        "code_challenge_method": "S256",
        **extra,
    }
    return f"{fake.url}/open-apis/authen/v1/authorize?{urlencode(query)}"


def code_of(redirect: str) -> str:
    assert redirect.startswith("https://app.example/cb?") and redirect.endswith("#frag")
    query = parse_qs(urlsplit(redirect).query)
    assert query["state"] == ["st-1"]
    return query["code"][0]


async def post(
    session: aiohttp.ClientSession, fake: FakeLark, **body: Any
) -> tuple[int, dict[str, Any]]:
    body.setdefault("client_id", APP_ID)
    body.setdefault("client_secret", APP_SECRET)
    async with session.post(fake.url + TOKEN, json=body) as resp:
        return resp.status, await resp.json()


async def exchange(session: aiohttp.ClientSession, fake: FakeLark, code: str, **kw: Any) -> Any:
    kw.setdefault("redirect_uri", REDIRECT)
    kw.setdefault("code_verifier", VERIFIER)
    return await post(session, fake, grant_type="authorization_code", code=code, **kw)


async def test_the_page_the_exchange_and_user_info(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    async with session.get(page_url(fake)) as resp:
        assert resp.status == 200 and APP_ID in await resp.text()
    code = code_of(fake.oauth.approve(page_url(fake), "ou_ann"))
    status, body = await exchange(session, fake, code)
    assert status == 200 and body["code"] == 0, body
    assert body["token_type"] == "Bearer" and body["expires_in"] == 7200
    assert body["refresh_token_expires_in"] == 604800 and body["scope"] == "docs:doc"
    headers = {"Authorization": f"Bearer {body['access_token']}"}
    async with session.get(fake.url + "/open-apis/authen/v1/user_info", headers=headers) as resp:
        info = (await resp.json())["data"]
    assert info["open_id"] == "ou_ann" and info["union_id"].startswith("on_")
    status, again = await exchange(session, fake, code)
    assert (status, again["code"], again["error"]) == (400, 20065, "invalid_grant")


@pytest.mark.parametrize(
    ("change", "code"),
    [
        ({"code_verifier": "w" * 43}, 20049),
        ({"redirect_uri": "https://evil.example/cb"}, 20071),
        ({"client_secret": "wrong"}, 20002),
        ({"code": "nope"}, 20003),
        ({"grant_type": "password"}, 20036),
    ],
)
async def test_exchange_refusals(
    fake: FakeLark, session: aiohttp.ClientSession, change: dict[str, str], code: int
) -> None:
    real = code_of(fake.oauth.approve(page_url(fake), "ou_ann"))
    body = {"grant_type": "authorization_code", "code": real, "redirect_uri": REDIRECT,
            "code_verifier": VERIFIER, **change}  # fmt: skip
    status, answer = await post(session, fake, **body)
    assert status == 400 and answer["code"] == code and answer["error_description"]


async def test_codes_expire_after_five_minutes(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    code = code_of(fake.oauth.approve(page_url(fake), "ou_ann"))
    clock.advance(301)
    status, body = await exchange(session, fake, code)
    assert (status, body["code"]) == (400, 20004)


async def test_refresh_tokens_are_single_use_and_revocable(
    fake: FakeLark, session: aiohttp.ClientSession, clock: ManualClock
) -> None:
    code = code_of(fake.oauth.approve(page_url(fake), "ou_ann"))
    _, first = await exchange(session, fake, code)
    _, second = await post(session, fake, grant_type="refresh_token",
                           refresh_token=first["refresh_token"])  # fmt: skip
    assert second["code"] == 0 and second["refresh_token"] != first["refresh_token"]
    status, reused = await post(session, fake, grant_type="refresh_token",
                                refresh_token=first["refresh_token"])  # fmt: skip
    assert (status, reused["code"]) == (400, 20073)
    assert fake.oauth.refreshes() == 1 and fake.oauth.reuses() == 1
    # the previous access token keeps a one-minute grace
    old = fake.apps.lookup(first["access_token"])
    assert old is not None and old.expires_at <= clock() + 60
    fake.oauth.revoke("ou_ann")
    status, revoked = await post(session, fake, grant_type="refresh_token",
                                 refresh_token=second["refresh_token"])  # fmt: skip
    assert (status, revoked["code"]) == (400, 20064)
    _, unknown = await post(session, fake, grant_type="refresh_token", refresh_token="u-x")
    assert unknown["code"] == 20026


async def test_no_refresh_token_without_offline_access(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    code = code_of(fake.oauth.approve(page_url(fake), "ou_ann", scopes=["docs:doc"]))
    _, body = await exchange(session, fake, code)
    assert body["code"] == 0 and "refresh_token" not in body


def test_approve_and_deny_check_the_page_url(fake: FakeLark) -> None:
    denied = fake.oauth.deny(page_url(fake))
    assert "error=access_denied" in denied and "state=st-1" in denied
    with pytest.raises(ValueError, match="client_id"):
        fake.oauth.approve(page_url(fake, client_id="cli_unknown"), "ou_ann")
    with pytest.raises(ValueError, match="authorisation page"):
        fake.oauth.approve(fake.url + "/somewhere", "ou_ann")
