"""User authorisation data: a user's grant (tokens), an authorisation session, their errors."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from lark_async.core.errors import ErrorKind, InvalidParameter, LarkError, TokenInvalid

SessionMethod = Literal["card", "link"]
SessionStatus = Literal["pending", "completed", "expired"]

#: An authorisation session lives 10 minutes (spec: user authentication timeout).
SESSION_LIFETIME = 600.0


@dataclass(slots=True)
class UserGrant:
    """A user's tokens for one app. Token values never appear in ``repr``.

    ``refresh_token`` is single use: each refresh returns a new one, which must
    be stored before the new access token is used. ``generation`` counts the
    refreshes, so a delete can name the grant it means.
    """

    app_id: str
    open_id: str
    access_token: str = field(repr=False)
    refresh_token: str = field(repr=False)  # "" when Feishu issued none
    expires_at: float  # epoch seconds
    lifetime: float  # seconds the access token was granted for
    refresh_expires_at: float  # epoch seconds; 0 when unknown
    fetched_at: float
    scope: str = ""
    redirect_uri: str = ""  # where this grant was authorised: a fresh link uses it again
    generation: int = 0

    def remaining(self, now: float) -> float:
        return self.expires_at - now

    def expired(self, now: float, skew: float) -> bool:
        return self.remaining(now) <= skew

    def needs_refresh(self, now: float, fraction: float) -> bool:
        return self.remaining(now) < self.lifetime * fraction


@dataclass(slots=True)
class UserAuthSession:
    """One authorisation request: the link (or card) a user follows, valid 10 minutes."""

    session_id: str
    app_id: str
    user_id: str | None
    method: SessionMethod
    status: SessionStatus
    url: str
    expires_at: float
    redirect_uri: str
    scopes: tuple[str, ...]
    created_at: float
    open_id: str | None = None  # who completed it
    message_id: str | None = None  # the card sent for it (method="card")


class ReauthorizationRequired(TokenInvalid):
    """The user's grant is gone (revoked, expired, never given): they must authorise again.

    ``auth_url`` is a fresh authorisation link (None when no redirect URI is
    known for this user: start one with ``lark.user_auth.start_session``).
    """

    def __init__(
        self, message: str, *, open_id: str, auth_url: str | None = None, **kw: object
    ) -> None:
        kw.setdefault("retryable", False)
        kw.setdefault(
            "hint",
            "ask the user to authorise again: send them err.auth_url, or "
            "lark.user_auth.start_session(open_id, method='card')",
        )
        super().__init__(message, **kw)  # type: ignore[arg-type]
        self.open_id = open_id
        self.auth_url = auth_url


class AuthSessionInvalid(InvalidParameter):
    """``complete(code, state)`` got a state that is unknown, forged, used or expired.

    ``reason`` says which; the user should start again from a new link.
    """

    def __init__(self, message: str, *, reason: str) -> None:
        super().__init__(
            message,
            hint="the authorisation link is no longer valid: start again with "
            "lark.user_auth.start_session(...) and use the new link",
        )
        self.reason = reason


class UserTokenStoreError(LarkError):
    """The token store could not read or write a user's grant; nothing was lost.

    User tokens fail closed: a rotated refresh token that cannot be stored would
    lose the user's grant, so the call fails instead, and the grant stays
    usable (its refresh token unspent, or the new one kept until it is stored).
    """

    def __init__(self, message: str, **kw: object) -> None:
        kw.setdefault("kind", ErrorKind.SERVER)
        kw.setdefault("retryable", True)
        kw.setdefault(
            "hint",
            "the token store cannot be written or read: fix it (database up, writable, "
            "migrated with lark-async db upgrade) and retry; the user's grant is kept",
        )
        super().__init__(message, **kw)  # type: ignore[arg-type]
