"""The OAuth endpoints: authorisation page, v2 token endpoint, user info (Feishu auth docs)."""

from __future__ import annotations

import base64
import hashlib
import html
import secrets
from typing import Any
from urllib.parse import urlencode

from aiohttp import web

from lark_async.testing.im.state import ImState
from lark_async.testing.oauth.state import (
    CODE_LIFETIME,
    GRANT_HARD_STOP,
    OLD_ACCESS_GRACE,
    AuthCode,
    Grant,
    OAuthState,
    RefreshToken,
    routes,
)
from lark_async.testing.server.envelope import json_response
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import USER_ONLY

AUTHORIZE_PATH = "/open-apis/authen/v1/authorize"
TOKEN_PATH = "/open-apis/authen/v2/oauth/token"
USER_INFO_PATH = "/open-apis/authen/v1/user_info"


class OAuthRefusal(Exception):
    """An RFC 6749-style error answer of the token endpoint."""

    def __init__(self, code: int, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.code, self.error, self.description, self.status = code, error, description, status

    def response(self) -> web.Response:
        body = {"code": self.code, "error": self.error, "error_description": self.description}
        return json_response(body, self.status)


def redirect_with(redirect_uri: str, params: dict[str, str]) -> str:
    """``redirect_uri`` with ``params`` added to its query; a ``#fragment`` goes after them."""
    base, hash_, fragment = redirect_uri.partition("#")
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}{urlencode(params)}{hash_}{fragment}"


def s256(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


@routes.get(AUTHORIZE_PATH)
def authorize_page(req: FakeRequest) -> web.Response:
    """The page a browser opens; a test picks the user with ``OAuthEmulator.approve``."""
    client_id = req.query.get("client_id") or req.query.get("app_id") or ""
    app = req.fake.apps.get(client_id)
    if app is None or not req.query.get("redirect_uri"):
        return web.Response(status=400, text="invalid authorisation request (20027)")
    req.app_id = client_id
    scopes = html.escape(req.query.get("scope", ""))
    return web.Response(
        text=f"<html><body><h1>Authorise {html.escape(client_id)}</h1>"
        f"<p>Scopes: {scopes}</p></body></html>",
        content_type="text/html",
    )


@routes.post(TOKEN_PATH)
def token(req: FakeRequest) -> web.Response:
    body = req.json if isinstance(req.json, dict) else {}
    state = req.state(OAuthState)
    try:
        app_id = _client(req, body)
        grant_type = body.get("grant_type")
        if grant_type == "authorization_code":
            answer = _exchange(req, state, app_id, body)
        elif grant_type == "refresh_token":
            answer = _refresh(req, state, app_id, body)
        else:
            raise OAuthRefusal(20036, "unsupported_grant_type", "grant_type is not supported")
    except OAuthRefusal as refusal:
        return refusal.response()
    return json_response(answer)


@routes.get(USER_INFO_PATH, auth=USER_ONLY)
def user_info(req: FakeRequest) -> dict[str, Any]:
    open_id = req.subject or ""
    user = req.state(ImState).user_by("open_id", open_id)
    name = user.name if user is not None and user.name else open_id
    union = (
        user.union_id
        if user is not None
        else "on_" + hashlib.sha256(open_id.encode()).hexdigest()[:32]
    )
    data: dict[str, Any] = {
        "name": name,
        "en_name": name,
        "avatar_url": "https://example.invalid/avatar.png",
        "open_id": open_id,
        "union_id": union,
        "tenant_key": req.tenant_key,
    }
    if user is not None:
        data["user_id"] = user.user_id
    return data


# --- pieces ------------------------------------------------------------------------------
def _client(req: FakeRequest, body: dict[str, Any]) -> str:
    client_id, secret = body.get("client_id"), body.get("client_secret")
    if not isinstance(client_id, str) or not isinstance(secret, str) or not client_id:
        raise OAuthRefusal(20001, "invalid_request", "client_id and client_secret are required")
    app = req.fake.apps.get(client_id)
    if app is None:
        raise OAuthRefusal(20048, "invalid_client", "the app does not exist")
    req.app_id = client_id
    if not secrets.compare_digest(secret.encode(), app.app_secret.encode()):
        raise OAuthRefusal(20002, "invalid_client", "client secret invalid")
    return client_id


def _exchange(
    req: FakeRequest, state: OAuthState, app_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    code_value = body.get("code")
    if not isinstance(code_value, str) or not code_value:
        raise OAuthRefusal(20001, "invalid_request", "code is required")
    code = state.codes.get(code_value)
    if code is None:
        raise OAuthRefusal(20003, "invalid_grant", "authorization code not found")
    if code.app_id != app_id:
        raise OAuthRefusal(20024, "invalid_grant", "the code belongs to another client_id")
    if code.used:
        raise OAuthRefusal(20065, "invalid_grant", "authorization code already used")
    now = req.now()
    if now - code.issued_at > CODE_LIFETIME:
        raise OAuthRefusal(20004, "invalid_grant", "authorization code expired")
    redirect_uri = body.get("redirect_uri")
    if redirect_uri is not None and redirect_uri != code.redirect_uri:
        raise OAuthRefusal(20071, "invalid_grant", "redirect_uri does not match")
    if code.challenge is not None:
        verifier = body.get("code_verifier")
        if not isinstance(verifier, str):
            raise OAuthRefusal(20049, "invalid_grant", "PKCE verification failed")
        expected = s256(verifier) if code.challenge_method == "S256" else verifier
        if not secrets.compare_digest(expected.encode(), code.challenge.encode()):
            raise OAuthRefusal(20049, "invalid_grant", "PKCE verification failed")
    code.used = True
    grant = Grant(secrets.token_hex(8), app_id, code.open_id, code.scopes, now)
    state.grants[grant.grant_id] = grant
    state.exchanges[app_id] += 1
    return _issue(req, state, grant, now)


def _refresh(
    req: FakeRequest, state: OAuthState, app_id: str, body: dict[str, Any]
) -> dict[str, Any]:
    value = body.get("refresh_token")
    if not isinstance(value, str) or not value:
        raise OAuthRefusal(20001, "invalid_request", "refresh_token is required")
    refresh = state.refresh_tokens.get(value)
    if refresh is None:
        raise OAuthRefusal(20026, "invalid_grant", "refresh token invalid")
    grant = state.grants[refresh.grant_id]
    if grant.app_id != app_id:
        raise OAuthRefusal(20024, "invalid_grant", "the refresh token belongs to another client_id")
    now = req.now()
    if grant.revoked:
        raise OAuthRefusal(20064, "invalid_grant", "refresh token revoked")
    if refresh.used:
        state.reuses[app_id] += 1
        raise OAuthRefusal(20073, "invalid_grant", "refresh token already used")
    if now >= refresh.expires_at or now - grant.authorized_at >= GRANT_HARD_STOP:
        raise OAuthRefusal(20037, "invalid_grant", "refresh token expired")
    refresh.used = True
    state.refreshes[app_id] += 1
    # The previous access token keeps a one-minute grace, then stops working.
    for access, grant_id in state.access_of.items():
        if grant_id == grant.grant_id:
            issued = req.fake.apps.lookup(access)
            if issued is not None:
                issued.expires_at = min(issued.expires_at, now + OLD_ACCESS_GRACE)
    return _issue(req, state, grant, now)


def _issue(req: FakeRequest, state: OAuthState, grant: Grant, now: float) -> dict[str, Any]:
    access = req.fake.apps.issue(
        grant.app_id, "user", lifetime=state.access_lifetime, subject=grant.open_id, now=now
    )
    state.access_of[access.value] = grant.grant_id
    answer: dict[str, Any] = {
        "code": 0,
        "access_token": access.value,
        "expires_in": state.access_lifetime,
        "token_type": "Bearer",
        "scope": " ".join(s for s in grant.scopes if s != "offline_access"),
    }
    if "offline_access" in grant.scopes:
        refresh = RefreshToken(
            state.new_refresh(), grant.grant_id, now, now + state.refresh_lifetime
        )
        state.refresh_tokens[refresh.value] = refresh
        answer["refresh_token"] = refresh.value
        answer["refresh_token_expires_in"] = state.refresh_lifetime
    return answer


def new_code(
    state: OAuthState,
    *,
    app_id: str,
    open_id: str,
    redirect_uri: str,
    scopes: tuple[str, ...],
    challenge: str | None,
    challenge_method: str,
    now: float,
) -> str:
    value = state.new_code()
    state.codes[value] = AuthCode(
        app_id, open_id, redirect_uri, scopes, challenge, challenge_method, now
    )
    return value
