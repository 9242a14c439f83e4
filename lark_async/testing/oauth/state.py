"""What the OAuth emulator keeps: codes, grants, refresh tokens (Feishu authentication docs)."""

from __future__ import annotations

import secrets
from collections import Counter
from dataclasses import dataclass, field

from lark_async.testing.server.routing import RouteTable

routes = RouteTable("oauth", auth=None, family="auth")

CODE_LIFETIME = 300.0  # an authorisation code lives 5 minutes, single use
ACCESS_LIFETIME = 7200
REFRESH_LIFETIME = 604800
GRANT_HARD_STOP = 365 * 86400.0  # refresh stops working a year after authorisation
OLD_ACCESS_GRACE = 60.0  # the previous access token keeps working 1 minute after a refresh


@dataclass
class AuthCode:
    app_id: str
    open_id: str
    redirect_uri: str
    scopes: tuple[str, ...]
    challenge: str | None
    challenge_method: str
    issued_at: float
    used: bool = False


@dataclass
class Grant:
    """One user's authorisation of one app; its refresh tokens chain from it."""

    grant_id: str
    app_id: str
    open_id: str
    scopes: tuple[str, ...]
    authorized_at: float
    revoked: bool = False


@dataclass
class RefreshToken:
    value: str = field(repr=False)
    grant_id: str
    issued_at: float
    expires_at: float
    used: bool = False


@dataclass
class OAuthState:
    codes: dict[str, AuthCode] = field(default_factory=dict)
    grants: dict[str, Grant] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshToken] = field(default_factory=dict)
    # access token value -> grant id, to expire the previous one after a refresh
    access_of: dict[str, str] = field(default_factory=dict)
    access_lifetime: int = ACCESS_LIFETIME
    refresh_lifetime: int = REFRESH_LIFETIME
    #: counts per app: code exchanges, successful refreshes, reused refresh tokens
    exchanges: Counter[str] = field(default_factory=Counter)
    refreshes: Counter[str] = field(default_factory=Counter)
    reuses: Counter[str] = field(default_factory=Counter)

    def new_code(self) -> str:
        return secrets.token_urlsafe(48)[:64]

    def new_refresh(self) -> str:
        # token-shaped like the access tokens, so the test suite's log scan finds a leak
        return "u-" + secrets.token_urlsafe(30)
