"""Asking Feishu where to open the long connection, and the settings it sends.

``POST /callback/ws/endpoint`` with ``{"AppID": …, "AppSecret": …}`` and no token
(as the official SDKs do, e.g. lark-oapi ``ws/client.py``) answers
``{"code": 0, "data": {"URL": "wss://…?device_id=…&service_id=…", "ClientConfig": {…}}}``.
``ClientConfig`` (also carried by every pong) holds the reconnect policy and the
ping interval, in seconds.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

from lark_async.core.errors import ConfigError, LarkError, ServerError
from lark_async.core.response import LarkResponse

ENDPOINT_PATH = "/callback/ws/endpoint"
SYSTEM_BUSY = 1
INTERNAL_ERROR = 1000040343
# Codes worth retrying; any other refusal (bad credentials, no long-connection
# subscription, too many connections) won't change by asking again, as in the SDKs.
RETRYABLE_CODES = frozenset({SYSTEM_BUSY, INTERNAL_ERROR})


class LongConnectionRefused(ConfigError):
    """Feishu refused the long connection for a reason retrying won't fix."""


@dataclass(frozen=True, slots=True)
class ClientConfig:
    """The server's settings: ``reconnect_count`` < 0 means retry forever."""

    reconnect_count: int = -1
    reconnect_interval: float = 120.0
    reconnect_nonce: float = 30.0
    ping_interval: float = 120.0

    def updated(self, raw: object) -> ClientConfig:
        """These settings with the fields ``raw`` (the server's JSON object) carries.

        The Go SDK omits zero values, so an absent field keeps its current value;
        values of the wrong type are ignored.
        """
        if not isinstance(raw, Mapping):
            return self
        changes: dict[str, Any] = {}
        for key, name, low in (
            ("ReconnectCount", "reconnect_count", -1),
            ("ReconnectInterval", "reconnect_interval", 0),
            ("ReconnectNonce", "reconnect_nonce", 0),
            ("PingInterval", "ping_interval", 1),
        ):
            value = raw.get(key)
            if isinstance(value, int) and not isinstance(value, bool) and value >= low:
                changes[name] = value if name == "reconnect_count" else float(value)
        return replace(self, **changes) if changes else self


@dataclass(frozen=True, slots=True)
class Endpoint:
    """Where to connect. The URL carries one-time credentials: never logged or shown."""

    url: str = field(repr=False)
    device_id: str
    service_id: int
    config: ClientConfig


# The app's request function: ``lark.app(app_id).request``.
Requester = Callable[..., Awaitable[LarkResponse[dict[str, Any]]]]


async def fetch_endpoint(
    request: Requester, app_id: str, app_secret: str, config: ClientConfig
) -> Endpoint:
    """The WebSocket URL for ``app_id``, through the client's transport (no token).

    Raises :class:`LongConnectionRefused` for a refusal, a retryable
    :class:`~lark_async.core.errors.LarkError` for anything that may pass.
    """
    resp = await request(
        "POST",
        ENDPOINT_PATH,
        json={"AppID": app_id, "AppSecret": app_secret},
        headers={"locale": "zh"},
        auth="none",
        idempotent=True,
    )
    if not resp.ok:
        err = resp.error or LarkError("empty answer from the long-connection endpoint")
        if resp.code and resp.code not in RETRYABLE_CODES and not err.retryable:
            raise LongConnectionRefused(
                f"Feishu refused the long connection of app {app_id}: {resp.msg}",
                code=resp.code,
                hint="check app_id / app_secret, and that the app subscribes to events "
                "over the long connection (developer console: Events & Callbacks)",
                log_id=resp.log_id,
            )
        raise ServerError(
            f"the long-connection endpoint failed: {err.message}",
            code=resp.code or None,
            retryable=True,
            log_id=resp.log_id,
        )
    data = resp.data or {}
    url = data.get("URL")
    if not isinstance(url, str) or not url:
        raise ServerError("the long-connection endpoint answered no URL", retryable=True)
    parts = urlsplit(url)
    query = parse_qs(parts.query)
    service = (query.get("service_id") or ["0"])[0]
    if parts.scheme not in ("ws", "wss") or not service.lstrip("-").isdigit():
        raise ServerError("the long-connection endpoint answered a bad URL", retryable=True)
    return Endpoint(
        url=url,
        device_id=(query.get("device_id") or [""])[0],
        service_id=int(service),
        config=config.updated(data.get("ClientConfig")),
    )
