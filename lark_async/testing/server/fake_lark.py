"""FakeLark: an in-process Feishu OpenAPI server on 127.0.0.1 for tests.

Each request runs through one pipeline, in this order: added ``latency`` ->
route lookup -> delay faults -> fail/rate-limit/drop faults -> 404/405 ->
token check -> rate limit -> handler -> after-processing faults. Faults come
before the gateway checks so a test gets exactly the failure it asked for.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import TYPE_CHECKING, Any, ClassVar, Self, TypeVar, cast

from aiohttp import web

from lark_async.testing.server.apps import AppRegistry, FakeApp, token_kind_of
from lark_async.testing.server.builtin import builtin_tables
from lark_async.testing.server.envelope import (
    FakeError,
    error_body,
    json_response,
    new_log_id,
    response_code,
    success_body,
)
from lark_async.testing.server.faults import TERMINAL, Fault, Faults
from lark_async.testing.server.gateway import (
    METHOD_MISMATCH,
    NOT_FOUND,
    RATE_LIMITED,
    authorization_label,
    authorize,
    bearer_token,
    known_token,
)
from lark_async.testing.server.journal import Journal, JournalEntry, Outcome, redact
from lark_async.testing.server.ratelimit import LimitSpec, RateLimiter, Throttle
from lark_async.testing.server.request import (
    FakeRequest,
    FormData,
    all_values,
    first_values,
    parse_json,
)
from lark_async.testing.server.routing import (
    DEFAULT_AUTH,
    H,
    Route,
    Router,
    RouteTable,
    TokenKind,
)
from lark_async.testing.server.scratch import ItemsState, items_of

if TYPE_CHECKING:
    from lark_async.testing.oauth.emulator import OAuthEmulator

log = logging.getLogger("lark_async.testing")
T = TypeVar("T")

DEFAULT_APP_ID = "cli_test0000000001"
DEFAULT_APP_SECRET = "test-app-secret-0001"
DEFAULT_TENANT_KEY = "tenant_test0000000001"

_FORM_TYPES = ("multipart/form-data", "application/x-www-form-urlencoded")
_RATE_LIMIT_MSG = "request trigger frequency limit"


@dataclass
class _Trace:
    """What the journal will say about a request, filled in as the pipeline runs."""

    time: float
    log_id: str
    request_id: str | None
    route: str | None = None
    app_id: str | None = None
    token_kind: str | None = None
    json: Any = None
    form: dict[str, str] | None = None
    faults: list[str] = field(default_factory=list)


class FakeLark:
    """A stateful fake Feishu server. Use ``async with FakeLark() as fake`` or start/stop.

    ``time_func`` drives token expiry, idempotency and rate-limit windows, so a
    test moves time (see ``ManualClock``) instead of sleeping. ``modules`` are the
    route tables to install (default: every built-in module).
    ``sliding_rate_limits``: count each app's limits over any window of the
    period (as a strict server may), not per aligned window.
    """

    DEFAULT_APP_ID: ClassVar[str] = DEFAULT_APP_ID
    DEFAULT_APP_SECRET: ClassVar[str] = DEFAULT_APP_SECRET
    DEFAULT_TENANT_KEY: ClassVar[str] = DEFAULT_TENANT_KEY

    def __init__(
        self,
        *,
        token_lifetime: int = 7200,
        time_func: Callable[[], float] = time.time,
        enforce_rate_limits: bool = True,
        rate_limits: Mapping[str, LimitSpec | None] | None = None,
        sliding_rate_limits: bool = False,
        latency: float = 0.0,
        modules: Iterable[RouteTable] | None = None,
        host: str = "127.0.0.1",
        port: int = 0,
    ) -> None:
        self._time = time_func
        self.latency = latency
        self.enforce_rate_limits = enforce_rate_limits
        self.apps = AppRegistry(token_lifetime, time_func)
        self.journal = Journal()
        self.faults = Faults()
        self.rate_limits = RateLimiter(time_func, sliding=sliding_rate_limits)
        self.router = Router()
        #: Exceptions raised by handlers (answered as HTTP 500 code 1500); tests may assert empty.
        self.handler_errors: list[BaseException] = []
        self._states: dict[type[Any], Any] = {}
        self._installed: list[str] = []
        self._host, self._port = host, port
        self._runner: web.AppRunner | None = None
        self._url: str | None = None
        self._limit_overrides = dict(rate_limits or {})
        for table in builtin_tables() if modules is None else modules:
            self.install(table)

    # --- lifecycle ----------------------------------------------------------------
    async def start(self) -> None:
        if self._runner is not None:
            return
        app = web.Application(client_max_size=64 * 1024 * 1024)  # room for file uploads
        app.router.add_route("*", "/{tail:.*}", self._dispatch)
        # handler_cancellation: a client that times out cancels its request's handler,
        # and stop() does not wait long for stalled (delayed) requests.
        runner = web.AppRunner(
            app, access_log=None, handler_cancellation=True, shutdown_timeout=0.5
        )
        await runner.setup()
        try:
            await web.TCPSite(runner, self._host, self._port).start()
        except BaseException:
            await runner.cleanup()
            raise
        host, port = runner.addresses[0][:2]
        self._runner, self._url = runner, f"http://{host}:{port}"
        log.debug("FakeLark listening on %s", self._url)

    async def stop(self) -> None:
        runner, self._runner, self._url = self._runner, None, None
        if runner is not None:
            await runner.cleanup()
        # States holding files (the drive's uploads on disk) release them now, not
        # when garbage collection gets to them (a ResourceWarning in a later test).
        for state in list(self._states.values()):
            release = getattr(state, "release_files", None)
            if callable(release):
                release()

    async def __aenter__(self) -> Self:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.stop()

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (pass it as the client's domain)."""
        if self._url is None:
            raise RuntimeError("FakeLark is not running; use `async with` or `await start()`")
        return self._url

    # --- apps and tokens -------------------------------------------------------------
    def add_app(
        self,
        app_id: str,
        app_secret: str,
        *,
        tenant_key: str | None = None,
        token_lifetime: int | None = None,
    ) -> FakeApp:
        """Register a self-built app; ``token_lifetime`` overrides the emulator's for it."""
        return self.apps.add(
            app_id, app_secret, tenant_key=tenant_key, token_lifetime=token_lifetime
        )

    def remove_app(self, app_id: str) -> None:
        """Forget the app; its tokens become unknown (99991663), fetches get 10003."""
        self.apps.remove(app_id)

    def disable_app(self, app_id: str) -> None:
        """Token fetches and calls with its tokens get 99991662 "app not in use"."""
        self.apps.set_enabled(app_id, False)

    def enable_app(self, app_id: str) -> None:
        self.apps.set_enabled(app_id, True)

    def revoke_tokens(self, app_id: str) -> int:
        """Invalidate every token issued to the app; returns how many were valid."""
        return self.apps.revoke(app_id)

    def issue_token(
        self,
        app_id: str,
        kind: TokenKind = "tenant",
        *,
        lifetime: float | None = None,
        subject: str | None = None,
    ) -> str:
        """Mint a token directly (e.g. a user token for ``subject`` ``ou_...``)."""
        return self.apps.issue(app_id, kind, lifetime=lifetime, subject=subject).value

    def token_fetches(self, app_id: str | None = None) -> int:
        """auth/v3 token requests that reached the emulator (any outcome), by body app_id.

        Requests a fault answered are not counted; see the journal for those.
        """
        return self.apps.fetches.total() if app_id is None else self.apps.fetches[app_id]

    def tokens_issued(self, app_id: str | None = None, kind: TokenKind | None = None) -> int:
        """How many distinct tokens were minted."""
        return len(self.apps.tokens(app_id, kind))

    @property
    def oauth(self) -> OAuthEmulator:
        """User authorisation: ``fake.oauth.approve(url, user)`` plays the user."""
        from lark_async.testing.oauth.emulator import OAuthEmulator

        return OAuthEmulator.of(self)

    @property
    def app_id(self) -> str:
        """The first registered app's id (the pytest fixture registers the default one)."""
        return self._primary().app_id

    @property
    def app_secret(self) -> str:
        return self._primary().app_secret

    def _primary(self) -> FakeApp:
        apps = self.apps.apps
        if not apps:
            raise LookupError("no app registered; call add_app() first")
        return apps[0]

    # --- inspection -----------------------------------------------------------------
    def rate_limited_count(self, family: str | None = None) -> int:
        """Throttled answers sent (limiter and rate_limit faults), optionally for one family."""
        return self.rate_limits.throttled_count(family)

    def items(self, app_id: str) -> list[dict[str, Any]]:
        """The scratch items stored for an app."""
        return items_of(self.state(ItemsState), app_id)

    def state(self, kind: type[T]) -> T:
        """This emulator's one instance of a module's state class, made by ``kind()``."""
        if kind not in self._states:
            self._states[kind] = kind()
        return cast(T, self._states[kind])

    def now(self) -> float:
        return self._time()

    # --- routes ---------------------------------------------------------------------
    def install(self, table: RouteTable) -> None:
        """Add a module's routes and run its install hooks (idempotent per table name)."""
        if table.name in self._installed:
            return
        self._installed.append(table.name)
        for route in table:
            self.router.add(route)
        for hook in table.hooks:
            hook(self)
        # re-applied after every install so the test's limits beat a module's defaults
        for family, spec in self._limit_overrides.items():
            self.rate_limits.set(family, spec)

    def route(
        self,
        method: str,
        path: str,
        *,
        family: str | None = None,
        auth: frozenset[TokenKind] | None = DEFAULT_AUTH,
    ) -> Callable[[H], H]:
        """Decorator adding (or replacing) one route; handlers get a ``FakeRequest``."""

        def register(handler: H) -> H:
            self.router.add(Route(method.upper(), path, handler, family=family, auth=auth))
            return handler

        return register

    def __repr__(self) -> str:
        apps = [a.app_id for a in self.apps.apps]
        return f"FakeLark(url={self._url!r}, apps={apps}, routes={len(self.router)})"

    # --- the pipeline ----------------------------------------------------------------
    async def _dispatch(self, raw: web.Request) -> web.StreamResponse:
        now = self.now()
        trace = _Trace(time=now, log_id=new_log_id(now), request_id=raw.headers.get("X-Request-Id"))
        try:
            response = await self._process(raw, trace)
        except asyncio.CancelledError:
            self._record(raw, trace, None, "cancelled")  # the client gave up (e.g. timed out)
            raise
        if response is None:
            self._record(raw, trace, None, "dropped")
            if raw.transport is not None:
                raw.transport.abort()
            return web.Response(status=204)  # never sent: the connection is gone
        if not response.prepared:
            response.headers["X-Tt-Logid"] = trace.log_id
            if trace.request_id is not None:
                response.headers["X-Request-Id"] = trace.request_id
        self._record(raw, trace, response, "response")
        return response

    async def _process(self, raw: web.Request, trace: _Trace) -> web.StreamResponse | None:
        if self.latency > 0:
            await asyncio.sleep(self.latency)
        method, path = raw.method, raw.path
        found = self.router.resolve(method, path)
        template = found.route.template if found.route else None
        trace.route = template
        token = bearer_token(raw.headers)
        trace.token_kind = token_kind_of(token) if token else None
        issued = known_token(raw.headers, self.apps)
        trace.app_id = issued.app_id if issued else None
        body, parsed, invalid, form = await _read_body(raw)
        trace.json = redact(parsed)
        trace.form = _form_summary(form)

        delay = self.faults.take(("delay",), method, path, template)
        if delay is not None:
            trace.faults.append("delay")
            await asyncio.sleep(delay.seconds)
        fault = self.faults.take(TERMINAL, method, path, template)
        if fault is not None:
            trace.faults.append(fault.kind)
            return self._fault_response(fault, found.route, trace)

        route = found.route
        if route is None:
            if found.method_mismatch:
                return self._error(405, METHOD_MISMATCH, "request method doesn't match", trace)
            return self._error(404, NOT_FOUND, "resource not find", trace)

        req = FakeRequest(
            fake=self,
            raw=raw,
            route=route,
            params=dict(found.params),
            query=first_values(raw.query),
            body=body,
            json=parsed,
            json_invalid=invalid,
            form=form,
            log_id=trace.log_id,
            request_id=trace.request_id,
        )
        refused = self._gate(req, trace)
        if refused is not None:
            return refused
        response = await self._call(route, req)
        trace.app_id = req.app_id or trace.app_id

        delay = self.faults.take(("delay",), method, path, template, after_processing=True)
        if delay is not None:
            trace.faults.append("delay")
            await asyncio.sleep(delay.seconds)
        if self.faults.take(("drop",), method, path, template, after_processing=True):
            trace.faults.append("drop")
            return None
        return response

    def _gate(self, req: FakeRequest, trace: _Trace) -> web.Response | None:
        """Token check then rate limit; fills in the caller on ``req``, or returns the refusal."""
        route = req.route
        if route.auth is None:
            return None
        try:
            identity = authorize(req.headers, route.auth, self.apps, self.now())
        except FakeError as err:
            return err.to_response(trace.log_id)
        req.token_kind, req.app_id = identity.kind, identity.app_id
        req.tenant_key, req.subject = identity.tenant_key, identity.subject
        trace.app_id = identity.app_id
        family = self.rate_limits.family_for(req.method, req.path, route.template, route.family)
        if not self.enforce_rate_limits or family is None:
            return None
        throttle = self.rate_limits.hit(identity.app_id, family)
        return self._throttled(throttle, trace) if throttle is not None else None

    async def _call(self, route: Route, req: FakeRequest) -> web.StreamResponse:
        try:
            result = route.handler(req)
            if inspect.isawaitable(result):
                result = await result
        except FakeError as err:
            return err.to_response(req.log_id)
        except Exception as exc:
            # a bug in a handler: answer like a Feishu internal error, keep it for the test
            self.handler_errors.append(exc)
            log.exception("FakeLark handler for %s %s failed", route.method, route.template)
            return json_response(error_body(1500, "internal error", req.log_id), 500)
        if isinstance(result, web.StreamResponse):
            return result
        return json_response(success_body(result))

    def _fault_response(
        self, fault: Fault, route: Route | None, trace: _Trace
    ) -> web.StreamResponse | None:
        if fault.kind == "drop":
            return None
        if fault.kind == "rate_limit":
            family = route.family if route and route.family else "*"
            self.rate_limits.throttled[family] += 1
            return self._throttled(Throttle(family, fault.limit, fault.reset), trace)
        if fault.body is not None:
            return web.Response(
                status=fault.status,
                text=fault.body,
                content_type="text/html",
                headers=fault.headers,
            )
        return json_response(
            error_body(fault.code, fault.msg, trace.log_id, fault.error),
            fault.status,
            fault.headers,
        )

    def _throttled(self, throttle: Throttle, trace: _Trace) -> web.Response:
        headers = {
            "x-ogw-ratelimit-limit": str(throttle.limit),
            "x-ogw-ratelimit-reset": str(throttle.reset),
        }
        body = error_body(RATE_LIMITED, _RATE_LIMIT_MSG, trace.log_id)
        return json_response(body, throttle.status, headers)

    def _error(self, status: int, code: int, msg: str, trace: _Trace) -> web.Response:
        return json_response(error_body(code, msg, trace.log_id), status)

    def _record(
        self,
        raw: web.Request,
        trace: _Trace,
        response: web.StreamResponse | None,
        outcome: Outcome,
    ) -> None:
        entry = JournalEntry(
            method=raw.method,
            path=raw.path,
            query=redact(all_values(raw.query)),
            json=trace.json,
            status=response.status if response is not None else None,
            code=response_code(response) if response is not None else None,
            app_id=trace.app_id,
            request_id=trace.request_id,
            time=trace.time,
            log_id=trace.log_id,
            route=trace.route,
            token_kind=trace.token_kind,
            authorization=authorization_label(raw.headers),
            form=trace.form,
            faults=tuple(trace.faults),
            outcome=outcome,
        )
        self.journal.record(entry)
        log.debug("%s %s -> %s code=%s", entry.method, entry.path, entry.status, entry.code)


async def _read_body(raw: web.Request) -> tuple[bytes, Any, bool, FormData | None]:
    """(bytes, parsed JSON, JSON invalid?, form). Forms are parsed, not read as bytes."""
    if raw.content_type in _FORM_TYPES:
        return b"", None, False, await raw.post()
    body = await raw.read()
    # parse JSON bodies, and untyped ones; a binary upload is not "invalid JSON"
    if "json" in raw.content_type or "Content-Type" not in raw.headers:
        parsed, invalid = parse_json(body)
        return body, parsed, invalid, None
    return body, None, False, None


def _form_summary(form: FormData | None) -> dict[str, str] | None:
    if form is None:
        return None
    out: dict[str, str] = {}
    for key, value in form.items():
        if isinstance(value, web.FileField):
            out[key] = f"<file {value.filename}>"
        elif isinstance(value, bytes | bytearray):
            out[key] = f"<{len(value)} bytes>"
        else:
            out[key] = value
    return cast(dict[str, str], redact(out))
