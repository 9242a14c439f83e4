"""The one request pipeline every call goes through.

::

    RequestOptions ─▶ Transport.request ─┬─ auth step: attach the token (auth/)
                                         ├─ limiter: wait for the app's quota
                                         ├─ wire: send one attempt (aiohttp)
                                         ├─ codes: answer → typed error
                                         └─ decide(): retry · refetch · fail · unknown
                                               ▼
                                          LarkResponse (+ one log line)

Nothing here decides *whether* to retry: :func:`lark_async.core.retry.decide`
does, from the attempt's outcome, the call's traits and the budgets used.
A caller's own ``X-Request-Id`` header (a trace id) is used as the request id.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json as _stdjson
import logging
import os
import random
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Protocol

from lark_async.core import telemetry as _tm
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.codes import CORE_CODES, CodeTable
from lark_async.core.errors import (
    ConfigError,
    ErrorKind,
    InvalidParameter,
    LarkError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
)
from lark_async.core.logging import get_logger
from lark_async.core.options import (
    AuthKind,
    FileContent,
    FileField,
    RequestOptions,
    Timeouts,
)
from lark_async.core.ratelimit import DEFAULT_FAMILY, ClientRateLimiter, Limiter
from lark_async.core.response import Download, LarkResponse
from lark_async.core.retry import (
    Action,
    CallTraits,
    Outcome,
    RetryPolicy,
    Tries,
    decide,
    outcome_unknown,
)

if TYPE_CHECKING:
    from aiohttp import ClientTimeout

    from lark_async.core.wire import Attempt, Sink, Wire

__all__ = [
    "AuthKind",
    "AuthStep",
    "Download",
    "FileContent",
    "FileField",
    "RequestOptions",
    "RetryPolicy",
    "Timeouts",
    "Transport",
    "TransportConfig",
    "new_request_id",
]

try:  # orjson is optional and only makes JSON faster
    import orjson

    def _dumps(obj: Any) -> str:
        return orjson.dumps(obj).decode()

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover
    _dumps = _stdjson.dumps
    _loads = _stdjson.loads


_log = get_logger()


class AuthStep(Protocol):
    """Attaches the access token to each attempt; told when Feishu rejected it.

    The auth layer implements it (``lark_async.auth.flow.TokenAuth``).
    """

    async def token(self, app_id: str, opts: RequestOptions) -> str | None:
        """The bearer token for this attempt, or None for ``auth="none"``."""

    async def rejected(self, app_id: str, opts: RequestOptions, token: str) -> None:
        """Feishu said ``token`` is invalid: forget it so the next attempt gets a new one."""


def _default_family(method: str, path: str) -> str:
    return DEFAULT_FAMILY


@dataclass(slots=True)
class TransportConfig:
    base_url: str
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    connector_limit: int = 100
    user_agent: str = "lark-async/0.1"


_ID_PREFIX = uuid.uuid4().hex[:16]  # random per process, so ids are unique across hosts
_ID_COUNTER = itertools.count(1)


def _new_id_prefix() -> None:
    # A forked worker (gunicorn, multiprocessing) must not reuse its parent's ids.
    global _ID_PREFIX, _ID_COUNTER
    _ID_PREFIX = uuid.uuid4().hex[:16]
    _ID_COUNTER = itertools.count(1)


os.register_at_fork(after_in_child=_new_id_prefix)


def new_request_id() -> str:
    """32 hex chars: a per-process random prefix and a counter (no syscall per call)."""
    return f"{_ID_PREFIX}{next(_ID_COUNTER):016x}"


@dataclass(slots=True)
class _Call:
    """One logical call in flight: what it logs about itself and its budgets."""

    opts: RequestOptions
    app_id: str
    request_id: str
    started: float
    traits: CallTraits
    attempt: int = 0
    retries: int = 0
    refetches: int = 0
    sending: bool = False  # an attempt is on the wire
    maybe_applied: bool = False  # an attempt of this write may have been applied
    span: Any = None  # the telemetry recorder's handle (None when it records nothing)


class Transport:
    """Sends requests to Feishu with tokens, limits, retries and logs."""

    def __init__(
        self,
        config: TransportConfig,
        *,
        codes: CodeTable = CORE_CODES,
        limiter: Limiter | None = None,
        family_of: Callable[[str, str], str] = _default_family,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
    ) -> None:
        # aiohttp loads here, with the client, not on the event loop at the first call.
        from lark_async.core.wire import Wire

        self.config = config
        self.codes = codes  # the client's: core codes plus every service's
        self.limiter: Limiter = limiter or ClientRateLimiter(enabled=False)
        self.family_of = family_of
        self.clock = clock
        self._rng = rng or random.Random()
        self._closed = False
        self._closing = False
        # callers' tasks with calls running, and how many
        self._inflight: dict[asyncio.Task[Any], int] = {}
        self._evicted: set[asyncio.Task[Any]] = set()  # ... that aclose() ended
        self._drained: asyncio.Event | None = None
        # server.address and server.port of spans and metrics
        self._host, self._port = _host_of(config.base_url), _port_of(config.base_url)
        self.wire: Wire = Wire(
            config.base_url,
            timeouts=config.timeouts,
            connector_limit=config.connector_limit,
            user_agent=config.user_agent,
            json_dumps=_dumps,
        )

    @property
    def closed(self) -> bool:
        return self._closed

    # -- the pipeline ----------------------------------------------------
    async def request(
        self,
        opts: RequestOptions,
        *,
        app_id: str,
        auth: AuthStep | None = None,
        sink: Sink | None = None,
    ) -> LarkResponse[dict[str, Any]]:
        """Send one logical call. Failures come back in ``LarkResponse.error``."""
        if self._closed or self._closing:
            raise _closed_error()
        if opts.auth != "none" and auth is None:
            raise InvalidParameter("this transport has no token source", hint="use auth='none'")
        max_retries = (
            self.config.retry.max_retries if opts.max_retries is None else opts.max_retries
        )
        call = _Call(
            opts,
            app_id,
            opts.trace_id or new_request_id(),
            self.clock.monotonic(),
            CallTraits(
                is_write=opts.is_write,
                retry_safe=opts.retry_safe,
                managed_token=opts.auth != "user" or opts.as_user is not None,
                refetch_limit=1 if opts.as_user is not None else None,
                max_retries=max_retries,
                idempotency_key=opts.idempotency_key,
                key_name=opts.key_name,
                idempotent=opts.idempotent,
            ),
        )
        call.span = _tm.recorder.call_started(
            opts.method, opts.path, app_id, self._host, self._port
        )
        task = asyncio.current_task()
        if task is not None:  # a task may nest calls (a token fetch inside a call)
            self._inflight[task] = self._inflight.get(task, 0) + 1
        try:
            opts, app_id = call.opts, call.app_id
            family = opts.family or self.family_of(opts.method, opts.path)
            timeout = self.wire.timeout(
                None if opts.timeout is None else Timeouts.of(opts.timeout, self.config.timeouts)
            )
            while True:
                call.attempt += 1
                headers = dict(opts.headers) if opts.headers else {}
                headers["X-Request-Id"] = call.request_id
                if sink is not None and (wanted := sink.range_header()):
                    headers["Range"] = wanted  # the rest of a download an attempt began
                token = None
                if auth is not None and opts.auth != "none":
                    try:
                        token = await auth.token(app_id, opts)
                    except LarkError as token_err:
                        if call.maybe_applied:  # an earlier attempt may have landed
                            token_err = outcome_unknown(token_err, call.traits)
                        return self._failed(token_err, call)
                    if token is not None:
                        headers["Authorization"] = f"Bearer {token}"
                if self.limiter.enabled or opts.pace is not None:
                    await self.limiter.acquire(app_id, family, opts.pace)
                sent_at = _tm.now()
                if opts.slot is None:
                    call.sending = True
                    attempt = await self._send(opts, headers, timeout, sink)
                else:
                    # Held for the attempt on the wire only: never across a wait or a backoff.
                    held = opts.slot()
                    if not hasattr(held, "__aenter__"):
                        raise InvalidParameter("slot= must return an async context manager")
                    async with held:
                        call.sending = True
                        attempt = await self._send(opts, headers, timeout, sink)
                call.sending = False
                err = attempt.error or self._error_from_body(attempt, call.request_id)
                if call.span is not None:
                    self._record_attempt(call, attempt, err, _tm.now() - sent_at)
                if err is None:
                    return self._succeeded(attempt, call)
                failed = await self._after_failure(call, err, attempt, token, auth)
                if failed is not None:
                    return failed
        except asyncio.CancelledError:
            if task is None or task not in self._evicted:
                if call.span is not None:
                    _tm.recorder.call_ended(call.span, call.attempt, None, None, None, "cancelled")
                raise
            # aclose() ended this call after its grace: answer it instead of raising.
            self._evicted.discard(task)
            task.uncancel()
            return self._failed(self._closed_mid_call(call), call)
        finally:
            if task is not None:
                left = self._inflight.pop(task) - 1
                if left:
                    self._inflight[task] = left
                if self._drained is not None:
                    self._drained.set()  # aclose() is waiting for calls to leave

    async def _after_failure(
        self,
        call: _Call,
        err: LarkError,
        attempt: Attempt,
        token: str | None,
        auth: AuthStep | None,
    ) -> LarkResponse[dict[str, Any]] | None:
        """Act on ``decide()``: wait and return None to send again, or the failure."""
        opts = call.opts
        err.request_id = call.request_id
        outcome = self._outcome(err, attempt, token)
        tries = Tries(call.retries, call.refetches, call.maybe_applied)
        decision = decide(outcome, tries, call.traits, self.config.retry, self._rng)
        call.maybe_applied = call.maybe_applied or outcome.may_have_applied(
            opts.is_write and not opts.idempotent
        )
        if decision.invalidate_token and auth is not None and token is not None:
            await auth.rejected(call.app_id, opts, token)
        if decision.action in (Action.REFETCH, Action.RETRY) and call.span is not None:
            _tm.recorder.retry(call.span, err.kind.value)
        if decision.action is Action.REFETCH:
            call.refetches += 1
            self._log_retry(call, f"token invalid (code {err.code})", 0.0, "refetching token")
            return None
        if decision.action is Action.RETRY:
            call.retries += 1
            reason = f"{err.kind.value}: {err.message}"
            self._log_retry(
                call, reason, decision.delay, "retrying", code=err.code, status=attempt.status
            )
            await self.clock.sleep(decision.delay)
            return None
        assert decision.error is not None
        return self._failed(decision.error, call)

    async def _wait_out(self, tasks: set[asyncio.Task[Any]], seconds: float) -> None:
        """Until none of ``tasks`` has a call in flight, or ``seconds`` passed."""
        assert self._drained is not None
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(seconds):
                while tasks & self._inflight.keys():
                    self._drained.clear()
                    await self._drained.wait()

    def _closed_mid_call(self, call: _Call) -> LarkError:
        err = LarkError(
            "the client was closed while this call was in flight",
            kind=ErrorKind.CONFIG_ERROR,
            hint="close the client only after its calls are done (aclose waits a grace period)",
            request_id=call.request_id,
        )
        if call.opts.is_write and (call.maybe_applied or call.sending):
            return outcome_unknown(err, call.traits)
        return err

    async def aclose(self, grace: float = 5.0) -> None:
        """Refuse new calls, let calls in flight finish for ``grace`` seconds, then end them.

        A call ended this way returns an error (``OutcomeUnknown`` for a write
        that may have been applied) instead of raising into its caller.
        """
        self._closing = True
        current = asyncio.current_task()
        loop = asyncio.get_running_loop()
        pending = {t for t in self._inflight if t is not current and t.get_loop() is loop}
        if pending:
            self._drained = asyncio.Event()
            await self._wait_out(pending, grace)
            for t in pending & self._inflight.keys():
                self._evicted.add(t)
                t.cancel(msg="lark-async: the client was closed")
            await self._wait_out(pending, 1.0)  # they answer at once; never hang a close
        self._closed = True
        await self.wire.aclose()

    async def download(
        self,
        opts: RequestOptions,
        dest: Path | IO[bytes],
        *,
        app_id: str,
        auth: AuthStep | None = None,
        chunk_size: int = 65536,
        resume: bool = False,
    ) -> LarkResponse[Download]:
        """Stream a binary answer to ``dest`` (a path or a writable binary file).

        Never holds the whole body in memory. A path is written via
        ``<name>.part`` and renamed once complete, so a failure leaves no
        partial file. With ``resume`` (for servers that honour ``Range``), a
        retry after a broken transfer asks only for the rest. JSON error
        answers become the usual typed errors.
        """
        from lark_async.core.wire import Sink, check_dest

        if isinstance(chunk_size, bool) or not isinstance(chunk_size, int) or chunk_size <= 0:
            raise InvalidParameter(f"chunk_size must be a positive int, got {chunk_size!r}")
        if isinstance(dest, Path):
            check_dest(dest)
        sink = Sink(dest, chunk_size, resume=resume)
        try:
            resp = await self.request(opts, app_id=app_id, auth=auth, sink=sink)
        except BaseException:  # cancelled, or a bug: leave no .part behind
            sink.abort()
            raise
        if not resp.ok:
            sink.abort()
            return resp.with_data(None)
        if not sink.started:  # a JSON success where a file was expected
            return resp.with_data(Download(None, 0, "application/json", None))
        return resp.with_data(sink.finish())

    # -- pieces ----------------------------------------------------------
    def _send(
        self,
        opts: RequestOptions,
        headers: dict[str, str],
        timeout: ClientTimeout,
        sink: Sink | None,
    ) -> Awaitable[Attempt]:
        return self.wire.send(
            opts.method,
            opts.path,
            params=opts.params,
            json=opts.json,
            data=opts.data,
            files=opts.files,
            headers=headers,
            timeout=timeout,
            sink=sink,
        )

    def _outcome(self, err: LarkError, attempt: Attempt, token: str | None) -> Outcome:
        code = err.code
        not_applied = False
        if code is not None and attempt.error is None:
            not_applied = bool(self.codes.classify(code, attempt.status).not_applied)
        return Outcome(
            error=err,
            sent=attempt.sent,
            not_applied=not_applied,
            token_rejected=token is not None and code in self.codes.token_invalid_codes,
            reset_header=attempt.headers.get("x-ogw-ratelimit-reset") if attempt.headers else None,
        )

    def _error_from_body(self, attempt: Attempt, request_id: str) -> LarkError | None:
        """Parse the answer; return an error unless it is a code-0 success."""
        if attempt.streamed:
            return None
        status = attempt.status or 0
        log_id = attempt.headers.get("X-Tt-Logid") if attempt.headers else None
        raw: bytes = attempt.body or b""
        try:
            body = _loads(raw) if raw else {}
        except ValueError:
            body = None
        if not isinstance(body, dict):
            snippet = raw[:200].decode("utf-8", "replace").replace("\n", " ")
            if status == 429:
                # A gateway throttle page: nothing was applied; wait as for any 429.
                return RateLimited(
                    f"HTTP 429 with a non-JSON body: {snippet!r}",
                    code=99991400,
                    http_status=status,
                    retryable=True,
                    hint="rate limited by the gateway; waited x-ogw-ratelimit-reset and retried",
                    log_id=log_id,
                    request_id=request_id,
                )
            return ServerError(
                f"HTTP {status} with a non-JSON body: {snippet!r}",
                http_status=status,
                retryable=status >= 500,
                hint="the gateway answered instead of the API; retried if transient",
                log_id=log_id,
                request_id=request_id,
            )
        attempt.body = body
        code = body.get("code", 0 if status < 400 else -1)
        if not isinstance(code, int):
            code = -1
        if code == 0 and status < 400:
            return None
        err_body = body.get("error") if isinstance(body.get("error"), dict) else None
        msg = str(body.get("msg") or body.get("error_description") or f"HTTP {status}")
        return self.codes.build_error(
            code, msg, http_status=status, error_body=err_body, request_id=request_id, log_id=log_id
        )

    def _succeeded(self, attempt: Attempt, call: _Call) -> LarkResponse[dict[str, Any]]:
        body: dict[str, Any] = attempt.body if isinstance(attempt.body, dict) else {}
        log_id = attempt.headers.get("X-Tt-Logid") if attempt.headers else None
        data = body.get("data")
        if call.span is not None:
            _tm.recorder.call_ended(call.span, call.attempt, attempt.status, 0, log_id, None)
        if data is None:
            # auth/v3 and OAuth answers put their fields at the top level.
            data = {k: v for k, v in body.items() if k not in ("code", "msg")}
        if _log.is_enabled(logging.INFO):  # nothing is built when INFO is off
            _log.info(
                "lark.request",
                request_id=call.request_id,
                app_id=call.app_id,
                method=call.opts.method,
                path=call.opts.path,
                params=call.opts.params,
                status=attempt.status,
                code=0,
                log_id=log_id,
                attempt=call.attempt,
                idempotency_key=call.opts.idempotency_key,
                latency_ms=self._elapsed_ms(call),
            )
        return LarkResponse(
            ok=True,
            code=0,
            msg=str(body.get("msg", "success")),
            request_id=call.request_id,
            log_id=log_id,
            data=data,
            http_status=attempt.status,
            attempts=call.attempt,
            raw=body,
            idempotency_key=call.opts.idempotency_key,
        )

    def _failed(self, err: LarkError, call: _Call) -> LarkResponse[dict[str, Any]]:
        err.request_id = call.request_id
        if err.idempotency_key is None:
            err.idempotency_key = call.opts.idempotency_key
        if call.span is not None:
            _tm.recorder.call_ended(
                call.span, call.attempt, err.http_status, err.code, err.log_id, err.kind.value
            )
        level = (
            logging.ERROR if err.retryable or isinstance(err, OutcomeUnknown) else logging.WARNING
        )
        if not _log.is_enabled(level):
            return LarkResponse.failure(err, request_id=call.request_id, attempts=call.attempt)
        _log.log(
            level,
            "lark.request",
            request_id=call.request_id,
            app_id=call.app_id,
            method=call.opts.method,
            path=call.opts.path,
            params=call.opts.params,
            status=err.http_status,
            code=err.code,
            log_id=err.log_id,
            attempt=call.attempt,
            idempotency_key=call.opts.idempotency_key,
            error_kind=err.kind.value,
            error=err.message,
            hint=err.hint,
            latency_ms=self._elapsed_ms(call),
        )
        return LarkResponse.failure(err, request_id=call.request_id, attempts=call.attempt)

    def _log_retry(
        self, call: _Call, reason: str, delay: float, outcome: str, **extra: Any
    ) -> None:
        _log.warning(
            "lark.retry",
            request_id=call.request_id,
            app_id=call.app_id,
            method=call.opts.method,
            path=call.opts.path,
            attempt=call.attempt,
            reason=reason,
            delay=round(delay, 3),
            outcome=outcome,
            **extra,
        )

    @staticmethod
    def _record_attempt(call: _Call, attempt: Attempt, err: LarkError | None, took: float) -> None:
        error = None if err is None else err.kind.value
        _tm.recorder.attempt(call.span, call.attempt, took, attempt.status, error)

    def _elapsed_ms(self, call: _Call) -> float:
        return round((self.clock.monotonic() - call.started) * 1000, 2)


def _host_of(base_url: str) -> str:
    from urllib.parse import urlsplit

    return urlsplit(base_url).hostname or ""


def _port_of(base_url: str) -> int | None:
    from urllib.parse import urlsplit

    parts = urlsplit(base_url)
    try:
        port = parts.port
    except ValueError:
        return None
    return port if port is not None else {"https": 443, "http": 80}.get(parts.scheme)


def _closed_error() -> LarkError:
    return ConfigError(
        "the client is closed",
        hint="create a new LarkClient, or use it inside `async with`",
    )
