"""Registered self-built apps and the tokens issued to them (Feishu authentication docs)."""

from __future__ import annotations

import secrets
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field

from lark_async.testing.server.routing import TokenKind

#: A fetch returns the current token while at least this many seconds remain.
REISSUE_THRESHOLD = 1800.0

_PREFIX: dict[TokenKind, str] = {"tenant": "t-", "user": "u-", "app": "a-"}


@dataclass
class FakeApp:
    """A self-built app. The secret is kept out of ``repr``."""

    app_id: str
    app_secret: str = field(repr=False)
    tenant_key: str
    token_lifetime: int | None = None
    enabled: bool = True


@dataclass
class IssuedToken:
    """One issued token; ``value`` is the bearer string and never shown in ``repr``."""

    value: str = field(repr=False)
    kind: TokenKind
    app_id: str
    tenant_key: str
    issued_at: float
    expires_at: float
    subject: str | None = None
    revoked: bool = False

    def remaining(self, now: float) -> float:
        return self.expires_at - now

    def valid(self, now: float) -> bool:
        return not self.revoked and now < self.expires_at


def token_kind_of(token: str) -> TokenKind | None:
    """The kind a bearer string claims by its prefix; v2 user tokens are JWTs (``eyJ``)."""
    for kind, prefix in _PREFIX.items():
        if token.startswith(prefix):
            return kind
    if token.startswith("eyJ"):
        return "user"
    return None


class AppRegistry:
    """Apps, their tokens and how often each app asked for one."""

    def __init__(self, default_lifetime: int, time_func: Callable[[], float]) -> None:
        self.default_lifetime = default_lifetime
        self._now = time_func
        self._apps: dict[str, FakeApp] = {}
        self._tokens: dict[str, IssuedToken] = {}
        # the token a credential fetch hands out again while it has >= 30 min left
        self._current: dict[tuple[str, TokenKind], IssuedToken] = {}
        self.fetches: Counter[str] = Counter()

    # --- apps -----------------------------------------------------------------
    def add(
        self,
        app_id: str,
        app_secret: str,
        *,
        tenant_key: str | None = None,
        token_lifetime: int | None = None,
    ) -> FakeApp:
        if not app_id or not app_secret:
            raise ValueError("app_id and app_secret must be non-empty")
        app = FakeApp(
            app_id=app_id,
            app_secret=app_secret,
            tenant_key=tenant_key or f"tk_{secrets.token_hex(8)}",
            token_lifetime=token_lifetime,
        )
        self._apps[app_id] = app
        return app

    def get(self, app_id: str) -> FakeApp | None:
        return self._apps.get(app_id)

    def remove(self, app_id: str) -> None:
        self._require(app_id)
        del self._apps[app_id]
        # its tokens become unknown, as on a real server after the app is deleted
        self._tokens = {k: t for k, t in self._tokens.items() if t.app_id != app_id}
        self._current = {k: t for k, t in self._current.items() if k[0] != app_id}

    def set_enabled(self, app_id: str, enabled: bool) -> None:
        self._require(app_id).enabled = enabled

    def revoke(self, app_id: str) -> int:
        """Invalidate every token of the app; returns how many were still valid."""
        self._require(app_id)
        now = self._now()
        count = 0
        for token in self._tokens.values():
            if token.app_id == app_id and not token.revoked:
                count += token.valid(now)
                token.revoked = True
        self._current = {k: t for k, t in self._current.items() if k[0] != app_id}
        return count

    @property
    def apps(self) -> list[FakeApp]:
        return list(self._apps.values())

    def _require(self, app_id: str) -> FakeApp:
        app = self._apps.get(app_id)
        if app is None:
            raise KeyError(f"no app {app_id!r} registered")
        return app

    # --- tokens ---------------------------------------------------------------
    def issue(
        self,
        app_id: str,
        kind: TokenKind = "tenant",
        *,
        lifetime: float | None = None,
        subject: str | None = None,
        now: float | None = None,
    ) -> IssuedToken:
        """A brand-new token (does not touch the one credential fetches return)."""
        app = self._require(app_id)
        now = self._now() if now is None else now
        life = lifetime if lifetime is not None else self._lifetime(app)
        token = IssuedToken(
            value=_PREFIX[kind] + secrets.token_urlsafe(30),
            kind=kind,
            app_id=app_id,
            tenant_key=app.tenant_key,
            issued_at=now,
            expires_at=now + life,
            subject=subject,
        )
        self._tokens[token.value] = token
        return token

    def fetch(self, app_id: str, kind: TokenKind, now: float) -> IssuedToken:
        """The credential-endpoint rule: same token while >= 30 min remain, else a new one."""
        current = self._current.get((app_id, kind))
        if current is not None and current.valid(now):
            fresh_enough = current.remaining(now) >= REISSUE_THRESHOLD
            if fresh_enough:
                return current
        token = self.issue(app_id, kind, now=now)
        self._current[(app_id, kind)] = token
        return token

    def lookup(self, value: str) -> IssuedToken | None:
        return self._tokens.get(value)

    def tokens(self, app_id: str | None = None, kind: TokenKind | None = None) -> list[IssuedToken]:
        return [
            t
            for t in self._tokens.values()
            if (app_id is None or t.app_id == app_id) and (kind is None or t.kind == kind)
        ]

    def _lifetime(self, app: FakeApp) -> int:
        return app.token_lifetime if app.token_lifetime is not None else self.default_lifetime
