"""Feishu's side of the long connection (WebSocket event delivery), inside a FakeLark.

Two routes, as the official SDKs use them:

- ``POST /callback/ws/endpoint`` with ``{"AppID", "AppSecret"}`` (no token) answers
  ``{"code": 0, "data": {"URL": "ws://…/callback/ws/v2?device_id=…&service_id=…&ticket=…",
  "ClientConfig": {ReconnectCount, ReconnectInterval, ReconnectNonce, PingInterval}}}``;
- ``GET /callback/ws/v2`` upgrades to the WebSocket (the ticket is single-use). On it
  the emulator answers ``ping`` control frames with a ``pong`` carrying the
  ClientConfig, sends data frames, and reads the client's answer frames.

Tests drive it through :class:`LongConnectionEmulator`::

    ws = LongConnectionEmulator.of(fake)
    message_id = await ws.push_event("im.message.receive_v1", {"message": {...}})
    answer = await ws.wait_answer(message_id)       # code 200
    message_id = await ws.push_card({"action": "approve"}, parts=3)
    (await ws.wait_answer(message_id)).body         # the card answer, decoded
    ws.drop()                                       # cut the connection
    await ws.wait_connected(handshakes=2)           # the client came back

A message stays pending until the client answers it; pending messages are sent
again on every new connection (as Feishu re-delivers what was not acknowledged).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import secrets
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from lark_async.testing.callbacks import wsframe
from lark_async.testing.callbacks.subscriptions import issue_card_token
from lark_async.testing.server.envelope import json_response
from lark_async.testing.server.routing import RouteTable

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark
    from lark_async.testing.server.request import FakeRequest

ENDPOINT_PATH = "/callback/ws/endpoint"
CONNECT_PATH = "/callback/ws/v2"
UNKNOWN_APP = 10003  # the emulator reuses the token endpoint's codes for bad credentials
BAD_SECRET = 10014
FORBIDDEN = 403  # handshake-status of a refused WebSocket upgrade
DEFAULT_CONFIG: Mapping[str, int] = {
    "ReconnectCount": -1,
    "ReconnectInterval": 120,
    "ReconnectNonce": 30,
    "PingInterval": 120,
}

routes = RouteTable("callbacks.longconn", auth=None)


@dataclass(frozen=True)
class Answer:
    """The client's answer frame to one message. ``body``: its ``data``, decoded JSON."""

    message_id: str
    code: int
    body: Any
    biz_rt: str | None
    elapsed: float  # seconds from sending the message's last frame to the answer
    headers: tuple[tuple[str, str], ...] = ()


@dataclass
class _Message:
    app_id: str
    message_id: str
    frames: list[dict[str, Any]]
    sent_at: float = 0.0
    sends: int = 0


@dataclass(eq=False)
class _Conn:
    app_id: str
    ws: web.WebSocketResponse
    raw: web.Request
    service_id: int


@dataclass
class LongConnectionState:
    config: dict[str, int] = field(default_factory=lambda: dict(DEFAULT_CONFIG))
    tickets: dict[str, str] = field(default_factory=dict)  # ticket -> app_id
    connections: dict[str, list[_Conn]] = field(default_factory=dict)
    pending: dict[str, dict[str, _Message]] = field(default_factory=dict)  # app -> id -> msg
    answers: dict[str, list[Answer]] = field(default_factory=dict)
    handshakes: dict[str, int] = field(default_factory=dict)
    pings: dict[str, int] = field(default_factory=dict)
    endpoint_calls: int = 0
    lose_answers: int = 0  # drop this many answers, as if the connection lost them
    refuse_handshakes: int = 0  # refuse this many upgrades (HTTP 503) before accepting
    seq: int = 0
    changed: asyncio.Event = field(default_factory=asyncio.Event)

    def notify(self) -> None:
        self.changed.set()
        self.changed = asyncio.Event()


def _service_id(app_id: str) -> int:
    return 33_554_432 + int.from_bytes(app_id.encode()[-3:].rjust(3, b"\0"), "big") % 65_536


@routes.route("POST", ENDPOINT_PATH)
async def endpoint(req: FakeRequest) -> web.StreamResponse:
    """Where to connect, for an app that proves itself with its secret."""
    state = req.state(LongConnectionState)
    state.endpoint_calls += 1
    body = req.json if isinstance(req.json, dict) else {}
    app_id, secret = body.get("AppID"), body.get("AppSecret")
    app = req.fake.apps.get(app_id) if isinstance(app_id, str) else None
    if app is None:
        return json_response({"code": UNKNOWN_APP, "msg": "app not found"})
    if not isinstance(secret, str) or not secrets.compare_digest(
        secret.encode(), app.app_secret.encode()
    ):
        return json_response({"code": BAD_SECRET, "msg": "app secret invalid"})
    ticket = secrets.token_urlsafe(12)
    state.tickets[ticket] = app.app_id
    base = req.fake.url.replace("http://", "ws://", 1)
    url = (
        f"{base}{CONNECT_PATH}?device_id={secrets.token_hex(8)}"
        f"&service_id={_service_id(app.app_id)}&ticket={ticket}"
    )
    return json_response(
        {"code": 0, "msg": "ok", "data": {"URL": url, "ClientConfig": dict(state.config)}}
    )


@routes.route("GET", CONNECT_PATH)
async def connect(req: FakeRequest) -> web.StreamResponse:
    """The WebSocket: pongs, data frames out, answers in."""
    state = req.state(LongConnectionState)
    if state.refuse_handshakes > 0:
        state.refuse_handshakes -= 1
        return _refused(503, "server busy")
    app_id = state.tickets.pop(req.query.get("ticket", ""), None)
    if app_id is None:
        return _refused(FORBIDDEN, "invalid or used ticket")
    ws = web.WebSocketResponse(autoping=True)
    await ws.prepare(req.raw)
    conn = _Conn(app_id, ws, req.raw, _service_id(app_id))
    state.connections.setdefault(app_id, []).append(conn)
    state.handshakes[app_id] = state.handshakes.get(app_id, 0) + 1
    state.notify()
    try:
        for message in list(state.pending.get(app_id, {}).values()):
            await _send(state, conn, message)
        async for msg in ws:
            if msg.type == WSMsgType.BINARY:
                await _received(state, conn, msg.data)
    except (ConnectionError, asyncio.CancelledError):
        pass
    finally:
        state.connections[app_id].remove(conn)
        state.notify()
    return ws


def _refused(status: int, msg: str) -> web.Response:
    # The official SDKs read these headers from a refused upgrade.
    return web.Response(
        status=status, headers={"handshake-status": str(status), "handshake-msg": msg}
    )


async def _received(state: LongConnectionState, conn: _Conn, raw: bytes) -> None:
    try:
        frame = wsframe.decode(raw)
    except (ValueError, KeyError, UnicodeDecodeError):
        return  # Feishu ignores what it cannot parse
    kind = wsframe.header(frame, "type")
    if frame.get("method") == 0:
        if kind == "ping":
            state.pings[conn.app_id] = state.pings.get(conn.app_id, 0) + 1
            pong = {
                "SeqID": 0,
                "LogID": 0,
                "service": frame.get("service", 0),
                "method": 0,
                "headers": [("type", "pong")],
                "payload": json.dumps(state.config).encode(),
            }
            await conn.ws.send_bytes(wsframe.encode(pong))
            state.notify()
        return
    message_id = wsframe.header(frame, "message_id") or ""
    message = state.pending.get(conn.app_id, {}).get(message_id)
    try:
        response = json.loads(frame.get("payload") or b"{}")
        code = int(response.get("code", 0))
        data = response.get("data")
        body = json.loads(base64.b64decode(data)) if data else None
    except (ValueError, TypeError, AttributeError):
        code, body = -1, None
    if state.lose_answers > 0:
        state.lose_answers -= 1
        state.notify()
        return
    elapsed = time.monotonic() - message.sent_at if message is not None else 0.0
    answer = Answer(
        message_id=message_id,
        code=code,
        body=body,
        biz_rt=wsframe.header(frame, "biz_rt"),
        elapsed=elapsed,
        headers=tuple(frame.get("headers", ())),
    )
    state.answers.setdefault(message_id, []).append(answer)
    if message is not None and code == 200:
        del state.pending[conn.app_id][message_id]
    state.notify()


async def _send(state: LongConnectionState, conn: _Conn, message: _Message) -> None:
    message.sends += 1
    for frame in message.frames:
        await conn.ws.send_bytes(wsframe.encode(dict(frame, service=conn.service_id)))
    message.sent_at = time.monotonic()


class LongConnectionEmulator:
    """Push events and card callbacks over the long connection; see the module docstring."""

    def __init__(self, fake: FakeLark) -> None:
        fake.install(routes)
        self._fake = fake
        self._state = fake.state(LongConnectionState)

    @classmethod
    def of(cls, fake: FakeLark) -> LongConnectionEmulator:
        return cls(fake)

    # -- settings -----------------------------------------------------------------

    def configure(self, **config: int) -> None:
        """Set ClientConfig fields (``ReconnectInterval=1``, ``PingInterval=5`` …).

        Sent with the next endpoint answer and every pong, as Feishu does.
        """
        unknown = set(config) - set(DEFAULT_CONFIG)
        if unknown:
            raise ValueError(f"unknown ClientConfig fields: {sorted(unknown)}")
        self._state.config.update(config)

    def lose_answers(self, count: int = 1) -> None:
        """Ignore the next ``count`` answers, as if the connection lost them (they stay pending)."""
        self._state.lose_answers += count

    def refuse_handshakes(self, count: int = 1) -> None:
        """Refuse the next ``count`` WebSocket upgrades with HTTP 503."""
        self._state.refuse_handshakes += count

    # -- pushing ------------------------------------------------------------------

    async def push_event(
        self,
        event_type: str,
        event: Mapping[str, Any],
        *,
        app_id: str | None = None,
        event_id: str | None = None,
        parts: int = 1,
        reverse: bool = False,
    ) -> str:
        """Send a schema 2.0 event; returns the frames' message_id."""
        app_id = app_id or self._fake.app_id
        header = {
            "event_id": event_id or secrets.token_hex(16),
            "event_type": event_type,
            "create_time": str(int(self._fake.now() * 1000)),
            "token": "",
            "app_id": app_id,
            "tenant_key": self._tenant_key(app_id),
        }
        payload = {"schema": "2.0", "header": header, "event": dict(event)}
        return await self.push_payload(payload, app_id=app_id, parts=parts, reverse=reverse)

    async def push_card(
        self,
        value: Any,
        *,
        app_id: str | None = None,
        open_id: str = "ou_longconn_user",
        message_id: str = "om_longconn_card",
        chat_id: str = "oc_longconn_chat",
        tag: str = "button",
        event_id: str | None = None,
        parts: int = 1,
        reverse: bool = False,
    ) -> str:
        """Send a ``card.action.trigger`` callback (a click); returns the frames' message_id."""
        event = {
            "operator": {"open_id": open_id, "tenant_key": self._tenant_key(app_id)},
            "token": issue_card_token(self._fake, message_id),
            "action": {"tag": tag, "value": value},
            "host": "im_message",
            "context": {"open_message_id": message_id, "open_chat_id": chat_id},
        }
        return await self.push_event(
            "card.action.trigger",
            event,
            app_id=app_id,
            event_id=event_id,
            parts=parts,
            reverse=reverse,
        )

    async def push_payload(
        self,
        payload: Mapping[str, Any] | bytes,
        *,
        app_id: str | None = None,
        kind: str = "event",
        parts: int = 1,
        reverse: bool = False,
    ) -> str:
        """Send any payload as data frames, split into ``parts`` (sent last-first if ``reverse``).

        Sent at once if the app is connected, else on its next connection.
        """
        app_id = app_id or self._fake.app_id
        raw = payload if isinstance(payload, bytes) else json.dumps(payload).encode()
        if parts < 1 or parts > max(1, len(raw)):
            raise ValueError("parts must be between 1 and the payload's length")
        message_id = secrets.token_hex(10)
        size = -(-len(raw) // parts)
        state = self._state
        frames = []
        for seq in range(parts):
            state.seq += 1
            frames.append(
                {
                    "SeqID": state.seq,
                    "LogID": state.seq,
                    "method": 1,
                    "headers": [
                        ("type", kind),
                        ("message_id", message_id),
                        ("sum", str(parts)),
                        ("seq", str(seq)),
                        ("trace_id", secrets.token_hex(8)),
                    ],
                    "payload": raw[seq * size : (seq + 1) * size],
                }
            )
        if reverse:
            frames.reverse()
        message = _Message(app_id, message_id, frames)
        state.pending.setdefault(app_id, {})[message_id] = message
        conns = state.connections.get(app_id)
        if conns:
            with contextlib.suppress(ConnectionError):  # still pending: sent again later
                await _send(state, conns[-1], message)
        return message_id

    # -- the connection -----------------------------------------------------------

    def drop(self, app_id: str | None = None) -> int:
        """Cut the app's connections without a close frame; returns how many."""
        conns = list(self._state.connections.get(app_id or self._fake.app_id, []))
        for conn in conns:
            if conn.raw.transport is not None:
                conn.raw.transport.abort()
        return len(conns)

    def connected(self, app_id: str | None = None) -> int:
        """Open connections of the app."""
        return len(self._state.connections.get(app_id or self._fake.app_id, []))

    def handshakes(self, app_id: str | None = None) -> int:
        """WebSocket upgrades accepted for the app so far."""
        return self._state.handshakes.get(app_id or self._fake.app_id, 0)

    def pings(self, app_id: str | None = None) -> int:
        return self._state.pings.get(app_id or self._fake.app_id, 0)

    @property
    def endpoint_calls(self) -> int:
        return self._state.endpoint_calls

    def pending(self, app_id: str | None = None) -> list[str]:
        """message_ids sent but not yet answered with code 200."""
        return list(self._state.pending.get(app_id or self._fake.app_id, {}))

    def sends(self, message_id: str) -> int:
        """How many times the message's frames were sent (1 + re-sends)."""
        for messages in self._state.pending.values():
            if message_id in messages:
                return messages[message_id].sends
        return -1

    def answers(self, message_id: str) -> list[Answer]:
        """Every answer received for the message (more than one if it was re-sent)."""
        return list(self._state.answers.get(message_id, []))

    # -- waiting ------------------------------------------------------------------

    async def wait_connected(
        self, app_id: str | None = None, *, handshakes: int = 1, timeout: float = 10.0
    ) -> None:
        """Until the app has an open connection and at least ``handshakes`` were accepted."""
        await self.wait_until(
            lambda: self.connected(app_id) > 0 and self.handshakes(app_id) >= handshakes,
            timeout,
        )

    async def wait_answer(self, message_id: str, *, timeout: float = 10.0) -> Answer:
        """The first answer to the message."""
        await self.wait_until(lambda: bool(self._state.answers.get(message_id)), timeout)
        return self._state.answers[message_id][0]

    async def wait_until(self, predicate: Callable[[], bool], timeout: float = 10.0) -> None:
        """Until ``predicate()`` holds, else TimeoutError.

        Checked at every change of the emulator, and every 50 ms for predicates
        about anything else (the client's handlers, say).
        """
        async with asyncio.timeout(timeout):
            while not predicate():
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._state.changed.wait(), 0.05)

    def _tenant_key(self, app_id: str | None) -> str:
        app = self._fake.apps.get(app_id or self._fake.app_id)
        return app.tenant_key if app is not None else "tenant_unknown"
