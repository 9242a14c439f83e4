"""OAuthEmulator: a test plays the user on the authorisation page, and revokes grants."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any
from urllib.parse import parse_qs, urlsplit

from lark_async.testing.oauth.routes import AUTHORIZE_PATH, new_code, redirect_with
from lark_async.testing.oauth.state import OAuthState

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark


class OAuthEmulator:
    """User authorisation of one emulator: ``OAuthEmulator.of(fake)`` (or ``fake.oauth``).

    ``approve(url, user)`` is what the user's browser does on the authorisation
    page: it returns the redirect (``redirect_uri?code=...&state=...``) that
    the app's redirect handler receives.
    """

    def __init__(self, fake: FakeLark) -> None:
        self._fake = fake
        self.state = fake.state(OAuthState)

    @classmethod
    def of(cls, fake: FakeLark) -> OAuthEmulator:
        return cls(fake)

    def approve(
        self, url: str, user: str | Mapping[str, Any], *, scopes: list[str] | None = None
    ) -> str:
        """The user ``user`` (an open_id, or a user from ``ImEmulator.add_user``) says yes.

        Returns the redirect URL with ``code`` and ``state``. ``scopes`` narrows
        what the user grants (default: everything the page asked for).
        """
        open_id = user if isinstance(user, str) else str(user["open_id"])
        query = self._page(url)
        asked = tuple(query.get("scope", "").split())
        granted = tuple(scopes) if scopes is not None else asked
        code = new_code(
            self.state,
            app_id=query["client_id"],
            open_id=open_id,
            redirect_uri=query["redirect_uri"],
            scopes=granted,
            challenge=query.get("code_challenge"),
            challenge_method=query.get("code_challenge_method", "plain"),
            now=self._fake.now(),
        )
        params = {"code": code}
        if "state" in query:
            params["state"] = query["state"]
        return redirect_with(query["redirect_uri"], params)

    def deny(self, url: str) -> str:
        """The user refuses: ``redirect_uri?error=access_denied&state=...``."""
        query = self._page(url)
        params = {"error": "access_denied"}
        if "state" in query:
            params["state"] = query["state"]
        return redirect_with(query["redirect_uri"], params)

    def revoke(self, open_id: str, app_id: str | None = None) -> int:
        """The user (or an admin) revokes their grants: refreshes get 20064, access tokens die."""
        count = 0
        for grant in self.state.grants.values():
            if grant.open_id == open_id and (app_id is None or grant.app_id == app_id):
                if not grant.revoked:
                    count += 1
                grant.revoked = True
                for access, grant_id in self.state.access_of.items():
                    if grant_id == grant.grant_id:
                        issued = self._fake.apps.lookup(access)
                        if issued is not None:
                            issued.revoked = True
        return count

    def set_lifetimes(self, *, access: int | None = None, refresh: int | None = None) -> None:
        """Seconds the next issued user access / refresh tokens live."""
        if access is not None:
            self.state.access_lifetime = access
        if refresh is not None:
            self.state.refresh_lifetime = refresh

    def refreshes(self, app_id: str | None = None) -> int:
        """Successful refreshes (each spends one refresh token)."""
        c = self.state.refreshes
        return c.total() if app_id is None else c[app_id]

    def exchanges(self, app_id: str | None = None) -> int:
        c = self.state.exchanges
        return c.total() if app_id is None else c[app_id]

    def reuses(self, app_id: str | None = None) -> int:
        """Refresh requests that presented an already used refresh token (20073)."""
        c = self.state.reuses
        return c.total() if app_id is None else c[app_id]

    def _page(self, url: str) -> dict[str, str]:
        parts = urlsplit(url)
        if parts.path != AUTHORIZE_PATH:
            raise ValueError(f"not an authorisation page URL: {parts.path!r}")
        query = {k: v[0] for k, v in parse_qs(parts.query, keep_blank_values=True).items()}
        client_id = query.get("client_id") or query.get("app_id")
        if not client_id or self._fake.apps.get(client_id) is None:
            raise ValueError("the authorisation URL names no registered app (client_id)")
        if query.get("response_type", "code") != "code":
            raise ValueError("response_type must be 'code'")
        if not query.get("redirect_uri"):
            raise ValueError("the authorisation URL has no redirect_uri")
        query["client_id"] = client_id
        return query
