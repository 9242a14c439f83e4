"""Authorisation sessions: start one (a link with a signed state and PKCE), complete it.

A session lives 10 minutes. ``complete(code, state)`` checks the state's
signature and expiry, then takes the session in one atomic store step (so a
replayed state fails, across processes too), exchanges the code (OAuth v2,
with the PKCE verifier), asks the user-info endpoint who the user is (the token
answer does not say), and stores the grant encrypted per (app_id, open_id).
Expired sessions are deleted whenever a new one starts.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from lark_async.auth.oauth import (
    CODE_SPENT,
    MAX_SCOPES,
    TOKEN_PATH,
    USER_INFO_PATH,
    StateClaims,
    authorize_url,
    code_challenge,
    code_verifier,
    new_session_id,
    sign_state,
    verify_state,
    with_offline_access,
)
from lark_async.auth.user_models import (
    SESSION_LIFETIME,
    AuthSessionInvalid,
    SessionMethod,
    UserAuthSession,
    UserTokenStoreError,
)
from lark_async.auth.user_tokens import UserTokenManager, grant_from_answer
from lark_async.core.errors import ConfigError, InvalidParameter, LarkError
from lark_async.core.logging import get_logger
from lark_async.core.options import RequestOptions

if TYPE_CHECKING:
    from lark_async.core.transport import Transport

_METHODS = ("card", "link")


class UserAuthSessions:
    """Sessions of every app of a client; ``lark.user_auth`` is one app's view of it."""

    def __init__(
        self,
        transport: Transport,
        tokens: UserTokenManager,
        *,
        accounts_url: str,
        redirect_uri: str | None = None,
        scopes: Iterable[str] = (),
    ) -> None:
        self._transport = transport
        self.tokens = tokens
        self.accounts_url = accounts_url.rstrip("/")
        self.default_redirect_uri = redirect_uri
        self.default_scopes: tuple[str, ...] = tuple(scopes)
        tokens.link_factory = self._relink

    async def start(
        self,
        app_id: str,
        user_id: str | None,
        *,
        method: SessionMethod,
        redirect_uri: str | None,
        scopes: Iterable[str] | None,
    ) -> UserAuthSession:
        """A new pending session and its authorisation URL (nothing is sent here)."""
        if method not in _METHODS:
            raise InvalidParameter(f"method must be 'card' or 'link', not {method!r}")
        if user_id is not None and (not isinstance(user_id, str) or not user_id.strip()):
            raise InvalidParameter("user_id must be a non-empty string (an open_id, ...)")
        if method == "card" and user_id is None:
            raise InvalidParameter(
                "method='card' needs user_id: the card is sent to that user",
                hint="pass user_id=open_id, or use method='link' and deliver the URL yourself",
            )
        redirect = check_redirect_uri(redirect_uri or self.default_redirect_uri)
        wanted = check_scopes(self.default_scopes if scopes is None else scopes)
        tokens = self.tokens
        config = await tokens.apps.current(app_id)
        secret = config.app_secret.get_secret_value()
        now = tokens.clock.time()
        session_id = new_session_id()
        expires_at = now + SESSION_LIFETIME
        state = sign_state(secret, StateClaims(app_id, session_id, expires_at))
        url = authorize_url(
            self.accounts_url,
            app_id=app_id,
            redirect_uri=redirect,
            scopes=wanted,
            state=state,
            challenge=code_challenge(code_verifier(secret, session_id)),
        )
        session = UserAuthSession(
            session_id=session_id,
            app_id=app_id,
            user_id=user_id,
            method=method,
            status="pending",
            url=url,
            expires_at=expires_at,
            redirect_uri=redirect,
            scopes=wanted,
            created_at=now,
        )
        store = tokens.store
        try:
            await store.purge_sessions(now)  # expired sessions are cleaned up here
            await store.put_session(session)
        except ConfigError:
            raise
        except Exception as exc:
            raise UserTokenStoreError(
                f"the authorisation session could not be stored: {type(exc).__name__}"
            ) from None
        get_logger().info(
            "lark.user_auth.session",
            app_id=app_id,
            session_id=session_id,
            method=method,
            user_id=user_id,
            outcome="started",
        )
        return session

    async def save(self, session: UserAuthSession) -> None:
        await self.tokens.store.put_session(session)

    async def get(self, app_id: str, session_id: str) -> UserAuthSession | None:
        """A session as stored; a pending one past its expiry reads as ``expired``."""
        found = await self.tokens.store.get_session(app_id, session_id)
        now = self.tokens.clock.time()
        if found is not None and found.status == "pending" and found.expires_at <= now:
            found.status = "expired"
        return found

    async def complete(self, app_id: str, code: str, state: str) -> UserAuthSession:
        """Exchange ``code``, learn the user's open_id, store the grant; the completed session."""
        tokens = self.tokens
        config = await tokens.apps.current(app_id)
        secret = config.app_secret.get_secret_value()
        claims = verify_state(secret, state)
        if claims.app_id != app_id:
            raise AuthSessionInvalid("the state belongs to another app", reason="forged")
        if not isinstance(code, str) or not code or len(code) > 1024:
            raise AuthSessionInvalid("the authorisation code is missing", reason="no code")
        now = tokens.clock.time()
        store = tokens.store
        if claims.expires_at <= now:
            await store.finish_session(app_id, claims.session_id, "expired", None, -1.0)
            await store.purge_sessions(now)
            raise AuthSessionInvalid(
                "the authorisation session expired (10 minutes)", reason="expired"
            )
        session = await store.finish_session(app_id, claims.session_id, "completed", None, now)
        if session is None:
            known = await store.get_session(app_id, claims.session_id)
            reason = "used" if known is not None and known.status == "completed" else "unknown"
            what = "already completed" if reason == "used" else "unknown"
            raise AuthSessionInvalid(f"the authorisation session is {what}", reason=reason)
        body = {
            "grant_type": "authorization_code",
            "client_id": app_id,
            "client_secret": secret,
            "code": code,
            "redirect_uri": session.redirect_uri,
            "code_verifier": code_verifier(secret, session.session_id),
        }
        opts = RequestOptions.build("POST", TOKEN_PATH, json=body, auth="none")
        resp = await self._transport.request(opts, app_id=app_id)
        if not resp.ok or not resp.data:
            err = resp.error or LarkError("empty answer from the OAuth token endpoint")
            if err.code in CODE_SPENT:
                raise AuthSessionInvalid(
                    f"the authorisation code was refused: {err.message}", reason="code"
                )
            raise err
        access = resp.data.get("access_token")
        if not isinstance(access, str) or not access:
            raise LarkError("the OAuth token endpoint answered without an access token")
        info = await self._transport.request(
            RequestOptions.build("GET", USER_INFO_PATH, auth="user", user_access_token=access),
            app_id=app_id,
            auth=_GIVEN,
        )
        if not info.ok or not info.data:
            raise info.error or LarkError("the user-info endpoint answered without data")
        open_id = info.data.get("open_id")
        if not isinstance(open_id, str) or not open_id:
            raise LarkError("the user-info endpoint answered without an open_id")
        grant = grant_from_answer(
            resp.data,
            app_id=app_id,
            open_id=open_id,
            now=tokens.clock.time(),
            redirect_uri=session.redirect_uri,
            generation=0,
            scope=" ".join(session.scopes),
        )
        await tokens.authorised(grant)
        done = dataclasses.replace(session, status="completed", open_id=open_id)
        try:
            await store.put_session(done)
        except Exception:  # the grant is stored; the session row is only bookkeeping
            get_logger().warning("lark.user_auth.session", app_id=app_id, outcome="not saved")
        get_logger().info(
            "lark.user_auth.session",
            app_id=app_id,
            session_id=session.session_id,
            open_id=open_id,
            outcome="completed",
        )
        return done

    async def _relink(self, app_id: str, open_id: str, redirect_uri: str, scope: str) -> str | None:
        redirect = redirect_uri or self.default_redirect_uri
        if not redirect:
            return None
        scopes = tuple(scope.split()) if scope else self.default_scopes
        session = await self.start(
            app_id, open_id, method="link", redirect_uri=redirect, scopes=scopes
        )
        return session.url


class _GivenToken:
    """The auth step of the user-info call: the token just issued, as is."""

    async def token(self, app_id: str, opts: RequestOptions) -> str | None:
        return opts.user_access_token

    async def rejected(self, app_id: str, opts: RequestOptions, token: str) -> None:
        return None


_GIVEN = _GivenToken()


def check_redirect_uri(value: object) -> str:
    if value is None:
        raise InvalidParameter(
            "redirect_uri is required",
            hint="pass redirect_uri= (on the app's redirect allow-list), or "
            "lark.user_auth.configure(redirect_uri=...)",
        )
    if not isinstance(value, str) or len(value) > 2048:
        raise InvalidParameter("redirect_uri must be an http(s) URL string")
    try:
        parts = urlsplit(value)
    except ValueError:
        raise InvalidParameter("redirect_uri must be an http(s) URL") from None
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise InvalidParameter("redirect_uri must be an http(s) URL")
    if any(ord(c) < 33 or ord(c) == 127 for c in value):
        raise InvalidParameter("redirect_uri must not contain spaces or control characters")
    return value


def check_scopes(scopes: object) -> tuple[str, ...]:
    if isinstance(scopes, str):
        scopes = scopes.split()
    if not isinstance(scopes, Iterable):
        raise InvalidParameter("scopes must be a list of scope names")
    out = []
    for scope in scopes:
        if (
            not isinstance(scope, str)
            or not scope
            or len(scope) > 200
            or any(c.isspace() or ord(c) < 32 for c in scope)
        ):
            raise InvalidParameter(f"scopes: not a scope name: {str(scope)[:60]!r}")
        out.append(scope)
    wanted = with_offline_access(tuple(out))
    if len(wanted) > MAX_SCOPES:
        raise InvalidParameter(
            f"scopes: at most {MAX_SCOPES} per request (offline_access included)"
        )
    return wanted
