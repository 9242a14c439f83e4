"""Gateway checks every OpenAPI call passes before its handler (Feishu API-call docs).

All token errors answer HTTP 400.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from lark_async.testing.server.apps import AppRegistry, IssuedToken, token_kind_of
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.routing import TokenKind

NEED_TOKEN = 99991661
APP_NOT_IN_USE = 99991662
INVALID_TENANT_TOKEN = 99991663
INVALID_APP_TOKEN = 99991664
INVALID_USER_TOKEN = 99991668
BAD_TOKEN_FORMAT = 99991671
NOT_FOUND = 99991201
METHOD_MISMATCH = 99991301
RATE_LIMITED = 99991400

_INVALID_MSG = "Invalid access token for authorization. Please make a request with token attached."
_INVALID: dict[TokenKind, tuple[int, str]] = {
    "tenant": (INVALID_TENANT_TOKEN, _INVALID_MSG),
    "user": (INVALID_USER_TOKEN, _INVALID_MSG),
    "app": (INVALID_APP_TOKEN, "invalid app token"),
}
_NOT_SUPPORTED: dict[TokenKind, tuple[int, str]] = {
    "tenant": (INVALID_TENANT_TOKEN, "tenant access token not support"),
    "user": (INVALID_USER_TOKEN, "user access token not support"),
    "app": (INVALID_APP_TOKEN, "app access token not support"),
}


@dataclass(frozen=True)
class Identity:
    """Who a verified token speaks for."""

    kind: TokenKind
    app_id: str
    tenant_key: str
    subject: str | None


def bearer_token(headers: Mapping[str, str]) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header, or None."""
    value = headers.get("Authorization", "")
    scheme, _, token = value.strip().partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token or " " in token:
        return None
    return token


def authorization_label(headers: Mapping[str, str]) -> str | None:
    """What the journal keeps of the Authorization header: its shape, never the token."""
    if "Authorization" not in headers:
        return None
    token = bearer_token(headers)
    if token is None:
        return "malformed"
    return f"Bearer *** ({token_kind_of(token) or 'unknown'})"


def authorize(
    headers: Mapping[str, str],
    accepted: frozenset[TokenKind],
    registry: AppRegistry,
    now: float,
) -> Identity:
    """Check the bearer token for a route; raise the gateway's FakeError when it fails."""
    token = bearer_token(headers)
    if token is None:
        raise FakeError(NEED_TOKEN, "Need a token")
    kind = token_kind_of(token)
    if kind is None:
        raise FakeError(BAD_TOKEN_FORMAT, "Invalid token: must start with t-/u-")
    if kind not in accepted:
        raise FakeError(*_NOT_SUPPORTED[kind])
    issued = registry.lookup(token)
    if issued is None or issued.kind != kind or not issued.valid(now):
        raise FakeError(*_INVALID[kind])
    app = registry.get(issued.app_id)
    if app is not None and not app.enabled:
        raise FakeError(APP_NOT_IN_USE, "app not in use")
    return Identity(kind, issued.app_id, issued.tenant_key, issued.subject)


def known_token(headers: Mapping[str, str], registry: AppRegistry) -> IssuedToken | None:
    """The issued token a request carries, valid or not (to attribute it in the journal)."""
    token = bearer_token(headers)
    return registry.lookup(token) if token else None
