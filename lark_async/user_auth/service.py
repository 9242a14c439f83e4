"""``lark.user_auth``: one app's user authorisation (card and link flows, user tokens)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any, Protocol

from lark_async.auth.user_models import SessionMethod, UserAuthSession, UserGrant
from lark_async.core.errors import InvalidParameter, LarkError
from lark_async.core.logging import get_logger
from lark_async.user_auth.card import card_content, receive_id_type

if TYPE_CHECKING:
    from lark_async.auth.user_sessions import UserAuthSessions
    from lark_async.core.response import LarkResponse

MESSAGES_PATH = "/open-apis/im/v1/messages"


class AppContext(Protocol):
    """What UserAuth needs of ``lark.app(app_id)``: its id and ``request``."""

    @property
    def app_id(self) -> str: ...

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
        idempotency_key: str | None = ...,
    ) -> LarkResponse[dict[str, Any]]: ...


class UserAuth:
    """User authorisation for one app: ``lark.user_auth`` or ``lark.app(app_id).user_auth``.

    - ``start_session(user_id=None, *, method="card" | "link", redirect_uri=..., scopes=...)``
    - ``complete(code, state)``: what the redirect handler calls
    - ``token(open_id)``: a valid user access token (refreshed once, stored encrypted)

    Calls then act as the user with ``lark.request(..., as_user=open_id)``.
    """

    def __init__(self, app: AppContext, sessions: UserAuthSessions) -> None:
        self._app = app
        self._sessions = sessions

    @property
    def app_id(self) -> str:
        return self._app.app_id

    def configure(
        self, *, redirect_uri: str | None = None, scopes: Iterable[str] | None = None
    ) -> None:
        """Defaults for sessions (and for the fresh link of a re-authorisation error)."""
        from lark_async.auth.user_sessions import check_redirect_uri, check_scopes

        if redirect_uri is not None:
            self._sessions.default_redirect_uri = check_redirect_uri(redirect_uri)
        if scopes is not None:
            check_scopes(scopes)
            self._sessions.default_scopes = tuple(scopes)

    async def start_session(
        self,
        user_id: str | None = None,
        *,
        method: SessionMethod = "card",
        redirect_uri: str | None = None,
        scopes: Iterable[str] | None = None,
    ) -> UserAuthSession:
        """Start an authorisation: a link, or (``method="card"``) a card sent to ``user_id``.

        The session lasts 10 minutes. ``offline_access`` is added to ``scopes`` so
        that Feishu issues a refresh token. A card needs ``user_id`` (an open_id,
        union_id, user_id or email) and is refused without one before any request.
        """
        session = await self._sessions.start(
            self.app_id, user_id, method=method, redirect_uri=redirect_uri, scopes=scopes
        )
        if method == "card":
            assert user_id is not None  # checked by start()
            session = await self._send_card(session, user_id)
        return session

    async def _send_card(self, session: UserAuthSession, user_id: str) -> UserAuthSession:
        resp = await self._app.request(
            "POST",
            MESSAGES_PATH,
            params={"receive_id_type": receive_id_type(user_id)},
            json={
                "receive_id": user_id,
                "msg_type": "interactive",
                "content": card_content(session.url),
                "uuid": session.session_id,  # Feishu de-duplicates a resent card on it
            },
            idempotency_key=session.session_id,
        )
        if not resp.ok:
            err = resp.error or LarkError("the authorisation card was not sent")
            get_logger().warning(
                "lark.user_auth.session",
                app_id=self.app_id,
                session_id=session.session_id,
                outcome="card not sent",
                code=err.code,
            )
            raise err
        message_id = (resp.data or {}).get("message_id")
        session = dataclasses.replace(
            session, message_id=message_id if isinstance(message_id, str) else None
        )
        await self._sessions.save(session)
        return session

    async def complete(self, code: str, state: str) -> UserAuthSession:
        """Finish an authorisation from the redirect's ``code`` and ``state``.

        Returns the completed session (``open_id`` says who authorised). An
        unknown, forged, replayed or expired state is an ``AuthSessionInvalid``.
        """
        return await self._sessions.complete(self.app_id, code, state)

    async def session(self, session_id: str) -> UserAuthSession | None:
        """A session's current status (``pending``, ``completed``, ``expired``), or None."""
        if not isinstance(session_id, str) or not session_id:
            raise InvalidParameter("session_id must be a non-empty string")
        return await self._sessions.get(self.app_id, session_id)

    async def token(self, open_id: str) -> str:
        """A valid user access token for ``open_id``, refreshed ahead of expiry.

        ``ReauthorizationRequired`` (with ``auth_url``) if the user has no usable
        grant; ``UserTokenStoreError`` if the store cannot keep a rotated token.
        """
        _check_open_id(open_id)
        return await self._sessions.tokens.token(self.app_id, open_id)

    async def grant(self, open_id: str) -> UserGrant | None:
        """The stored grant of ``open_id`` (scope, expiry ...), or None."""
        _check_open_id(open_id)
        return await self._sessions.tokens.grant(self.app_id, open_id)

    async def forget(self, open_id: str) -> None:
        """Delete the user's grant (they signed out or asked to be forgotten)."""
        _check_open_id(open_id)
        await self._sessions.tokens.forget(self.app_id, open_id)

    def __repr__(self) -> str:
        return f"UserAuth(app_id={self.app_id!r})"


def _check_open_id(open_id: object) -> None:
    if not isinstance(open_id, str) or not open_id or any(c.isspace() for c in open_id):
        raise InvalidParameter("open_id must be the user's open_id (ou_...)")
