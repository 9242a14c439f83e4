"""The one request pipeline every call goes through.

request id → token → client-side rate limit → send → classify → retry/backoff
→ structured log → ``LarkResponse``. One pooled aiohttp session per client.
A caller's own ``X-Request-Id`` header (a trace id) is used as the request id.

Retry rules:
- reads, and writes that carry an idempotency key, are retried (at most
  ``max_retries`` times) on network errors, timeouts, 5xx and retryable codes;
- a write without a key is retried only when the server certainly did not
  apply it (connection never made, rate limited, write conflict); otherwise a
  failure after sending ends in :class:`OutcomeUnknown`, never a blind resend;
- rate limits wait ``x-ogw-ratelimit-reset`` seconds (else 30 s), capped;
- invalid-token answers drop the token, fetch a new one and replay, at most
  twice, then end in a non-retryable ``TokenInvalid``.
"""

from __future__ import annotations

import itertools
import json as _stdjson
import os
import random
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, Literal, Protocol

if TYPE_CHECKING:
    import aiohttp

from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import (
    TOKEN_INVALID_CODES,
    ErrorKind,
    InvalidParameter,
    LarkError,
    LarkTimeout,
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TokenInvalid,
    build_error,
    classify,
)
from lark_async.core.logging import get_logger
from lark_async.core.ratelimit import ClientRateLimiter, family_of
from lark_async.core.response import LarkResponse
from lark_async.core.retry import RetryPolicy

try:  # orjson is optional and only makes JSON faster
    import orjson

    def _dumps(obj: Any) -> str:
        return orjson.dumps(obj).decode()

    _loads: Callable[[bytes], Any] = orjson.loads
except ImportError:  # pragma: no cover
    _dumps = _stdjson.dumps
    _loads = _stdjson.loads

AuthKind = Literal["tenant", "app", "user", "none"]
FileContent = bytes | Path | IO[bytes]
FileField = tuple[str, FileContent, str | None]

_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_AUTH_TOKEN_KIND = {"tenant": "tenant_access_token", "app": "app_access_token"}


class TokenProvider(Protocol):
    """Supplies access tokens; the auth layer implements it."""

    async def token(self, app_id: str, kind: str) -> str: ...

    async def invalidate(self, app_id: str, kind: str, token: str) -> None: ...


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. ``total`` bounds the whole attempt; ``read`` the wait for each chunk."""

    connect: float = 5.0
    read: float = 30.0
    total: float = 60.0

    def as_aiohttp(self) -> aiohttp.ClientTimeout:
        import aiohttp

        return aiohttp.ClientTimeout(
            total=self.total, sock_connect=self.connect, sock_read=self.read
        )


@dataclass(slots=True)
class TransportConfig:
    base_url: str
    timeouts: Timeouts = field(default_factory=Timeouts)
    retry: RetryPolicy = field(default_factory=RetryPolicy)
    connector_limit: int = 100
    user_agent: str = "lark-async/0.1"


@dataclass(slots=True)
class _Attempt:
    status: int | None = None
    headers: Mapping[str, str] | None = None
    body: Any = None
    error: LarkError | None = None
    sent: bool = True  # whether the request may have reached the server
    streamed: bool = False  # a binary body went to the download sink


@dataclass(frozen=True, slots=True)
class Download:
    """Where a downloaded body went."""

    path: Path | None
    bytes_written: int
    content_type: str | None
    filename: str | None


class _Sink:
    """Streams a binary answer to a path (via a .part file) or a file object.

    Each attempt starts over, so a retried download never leaves a mix of two
    bodies; a path only appears once the whole body arrived.
    """

    def __init__(self, dest: Path | IO[bytes], chunk_size: int) -> None:
        self.dest = dest
        self.chunk_size = chunk_size
        self.bytes_written = 0
        self.content_type: str | None = None
        self.filename: str | None = None
        self._fh: IO[bytes] | None = None
        self._dirty = False  # bytes went into a non-seekable stream
        self._start = 0
        if not isinstance(dest, Path):
            self._start = dest.tell() if dest.seekable() else 0

    @property
    def _part(self) -> Path:
        assert isinstance(self.dest, Path)
        return self.dest.with_name(self.dest.name + ".part")

    def begin(self, headers: Mapping[str, str]) -> None:
        self.bytes_written = 0
        self.content_type = headers.get("Content-Type")
        self.filename = _filename_from(headers.get("Content-Disposition"))
        if isinstance(self.dest, Path):
            self._fh = self._part.open("wb")  # closed in finish() or abort()
        else:
            if self.dest.seekable():
                self.dest.seek(self._start)
                self.dest.truncate()
            elif self._dirty:
                raise NetworkError(
                    "the download broke off and cannot restart into a non-seekable stream",
                    hint="download to a path or a seekable file to get automatic retries",
                )
            self._fh = self.dest

    def write(self, chunk: bytes) -> None:
        assert self._fh is not None
        self._fh.write(chunk)
        self.bytes_written += len(chunk)
        self._dirty = True

    def finish(self) -> Download:
        if isinstance(self.dest, Path):
            assert self._fh is not None
            self._fh.close()
            self._part.replace(self.dest)
            return Download(self.dest, self.bytes_written, self.content_type, self.filename)
        return Download(None, self.bytes_written, self.content_type, self.filename)

    def abort(self) -> None:
        if isinstance(self.dest, Path) and self._fh is not None:
            self._fh.close()
            self._part.unlink(missing_ok=True)
        self._fh = None


def _check_dest(dest: Path) -> None:
    if dest.is_dir():
        raise InvalidParameter(f"dest {dest} is a directory; give a file path")
    if not dest.parent.is_dir():
        raise InvalidParameter(f"the folder of dest does not exist: {dest.parent}")


def _filename_from(disposition: str | None) -> str | None:
    if not disposition:
        return None
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            from urllib.parse import unquote

            return unquote(value.split("''", 1)[1])
        if key.lower() == "filename":
            return value.strip('"')
    return None


@dataclass(slots=True)
class _Call:
    """What one logical call logs about itself."""

    request_id: str
    app_id: str
    method: str
    path: str
    params: dict[str, str] | None
    started: float
    idempotency_key: str | None
    attempt: int = 0


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


class Transport:
    """Sends requests to Feishu with tokens, limits, retries and logs."""

    def __init__(
        self,
        config: TransportConfig,
        *,
        tokens: TokenProvider | None = None,
        limiter: ClientRateLimiter | None = None,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
    ) -> None:
        self.config = config
        self.tokens = tokens
        self.limiter = limiter or ClientRateLimiter(enabled=False)
        self.clock = clock
        self._rng = rng or random.Random()
        self._session: aiohttp.ClientSession | None = None
        self._closed = False
        self._base = config.base_url.rstrip("/")
        self._default_timeout: aiohttp.ClientTimeout | None = None

    # -- session ---------------------------------------------------------
    def _get_session(self) -> aiohttp.ClientSession:
        # aiohttp loads here, not at import: it costs ~0.25 s (SSL contexts).
        import aiohttp

        if self._closed:
            raise LarkError(
                "the client is closed",
                kind=ErrorKind.CONFIG_ERROR,
                hint="create a new LarkClient, or use it inside `async with`",
            )
        if self._session is None or self._session.closed:
            connector = aiohttp.TCPConnector(
                limit=self.config.connector_limit, ttl_dns_cache=300, enable_cleanup_closed=True
            )
            self._session = aiohttp.ClientSession(
                connector=connector,
                timeout=self.config.timeouts.as_aiohttp(),
                headers={"User-Agent": self.config.user_agent},
                json_serialize=_dumps,
            )
        return self._session

    async def aclose(self) -> None:
        self._closed = True
        if self._session is not None and not self._session.closed:
            await self._session.close()
        self._session = None

    @property
    def closed(self) -> bool:
        return self._closed

    # -- the pipeline ----------------------------------------------------
    async def request(
        self,
        method: str,
        path: str,
        *,
        app_id: str,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | None = None,
        files: Mapping[str, FileField] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeouts | None = None,
        idempotency_key: str | None = None,
        idempotent: bool = False,
        auth: AuthKind = "tenant",
        user_access_token: str | None = None,
        family: str | None = None,
        max_retries: int | None = None,
        _sink: _Sink | None = None,
    ) -> LarkResponse[dict[str, Any]]:
        """Send one logical call; see the module docstring for the retry rules.

        Errors are returned in ``LarkResponse.error``; only bad arguments raise
        (InvalidParameter), before anything is sent.
        """
        method = method.upper()
        self._check_args(method, path, json, data, files, auth, user_access_token)
        request_id = _caller_request_id(headers) or new_request_id()
        fam = family or family_of(method, path)
        is_write = method in _WRITE_METHODS
        retry_safe = (not is_write) or idempotent or bool(idempotency_key)
        policy = self.config.retry
        retries_allowed = policy.max_retries if max_retries is None else max_retries
        timeouts = self._timeouts(timeout)
        log = get_logger()
        call = _Call(
            request_id,
            app_id,
            method,
            path,
            _clean_params(params),
            self.clock.monotonic(),
            idempotency_key,
        )
        retries = 0
        refetches = 0
        token_kind = _AUTH_TOKEN_KIND.get(auth)

        while True:
            call.attempt += 1
            token: str | None = None
            if auth == "user":
                token = user_access_token
            elif token_kind is not None:
                if self.tokens is None:
                    raise InvalidParameter(
                        "this transport has no token provider", hint="use auth='none'"
                    )
                try:
                    token = await self.tokens.token(app_id, token_kind)
                except LarkError as token_err:
                    return self._finish_failure(token_err, call, log)
            if self.limiter.enabled:
                await self.limiter.acquire(app_id, fam)
            send_headers = {k: v for k, v in (headers or {}).items() if k.lower() != "x-request-id"}
            send_headers["X-Request-Id"] = request_id
            if token is not None:
                send_headers["Authorization"] = f"Bearer {token}"
            result = await self._send(call, json, data, files, send_headers, timeouts, _sink)
            result_error = result.error or self._error_from_body(result, request_id)
            if result_error is None:
                return self._finish_ok(result, call, log)
            err = result_error
            err.request_id = request_id
            if err.code in TOKEN_INVALID_CODES and token is not None:
                if token_kind is not None and self.tokens is not None:
                    # A managed token: drop it, get a new one, replay (not a retry).
                    await self.tokens.invalidate(app_id, token_kind, token)
                    if refetches < policy.token_refetches:
                        refetches += 1
                        log.warning(
                            "lark.retry",
                            request_id=request_id,
                            app_id=app_id,
                            method=method,
                            path=path,
                            attempt=call.attempt,
                            reason=f"token invalid (code {err.code})",
                            delay=0.0,
                            outcome="refetching token",
                        )
                        continue
                    hint = (
                        f"Feishu rejected {policy.token_refetches + 1} tokens in a row; check "
                        "that the app is enabled and installed, and not revoked by an admin"
                    )
                else:
                    # A user's token can't be refetched here: only the user's refresh
                    # token (or re-authorisation) can replace it. Don't retry it as is.
                    hint = (
                        "the user_access_token is invalid or expired: refresh it with the "
                        "user's refresh_token, or ask the user to authorise again"
                    )
                final = TokenInvalid(
                    err.message,
                    code=err.code,
                    retryable=False,
                    http_status=err.http_status,
                    request_id=request_id,
                    log_id=err.log_id,
                    hint=hint,
                )
                return self._finish_failure(final, call, log)
            info = classify(err.code, result.status) if err.code is not None else None
            not_applied = (not result.sent) or (info is not None and info.not_applied)
            if not err.retryable or retries >= retries_allowed:
                if (
                    is_write
                    and not retry_safe
                    and result.sent
                    and not not_applied
                    and err.retryable
                ):
                    err = _outcome_unknown(err)
                return self._finish_failure(err, call, log)
            if is_write and not retry_safe and not not_applied:
                return self._finish_failure(_outcome_unknown(err), call, log)
            if err.kind is ErrorKind.RATE_LIMITED:
                reset = result.headers.get("x-ogw-ratelimit-reset") if result.headers else None
                delay = policy.rate_limit_wait(reset)
            else:
                delay = policy.backoff(retries, self._rng)
            retries += 1
            log.warning(
                "lark.retry",
                request_id=request_id,
                app_id=app_id,
                method=method,
                path=path,
                attempt=call.attempt,
                reason=f"{err.kind.value}: {err.message}",
                code=err.code,
                status=result.status,
                delay=round(delay, 3),
                outcome="retrying",
            )
            await self.clock.sleep(delay)

    async def download(
        self,
        method: str,
        path: str,
        dest: Path | IO[bytes],
        *,
        app_id: str,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeouts | None = None,
        chunk_size: int = 65536,
        auth: AuthKind = "tenant",
        user_access_token: str | None = None,
        max_retries: int | None = None,
    ) -> LarkResponse[Download]:
        """Stream a binary answer to ``dest`` (a path or a writable binary file).

        Never holds the whole body in memory. A path is written via
        ``<name>.part`` and renamed once complete, so a failure leaves no
        partial file. JSON error answers become the usual typed errors.
        """
        if chunk_size <= 0:
            raise InvalidParameter(f"chunk_size must be positive, got {chunk_size}")
        if isinstance(dest, Path):
            _check_dest(dest)
        sink = _Sink(dest, chunk_size)
        resp = await self.request(
            method,
            path,
            app_id=app_id,
            params=params,
            headers=headers,
            timeout=timeout,
            auth=auth,
            user_access_token=user_access_token,
            max_retries=max_retries,
            _sink=sink,
        )
        if not resp.ok:
            sink.abort()
            return resp.with_data(None)
        if sink._fh is None:  # a JSON success where a file was expected
            return resp.with_data(Download(None, 0, "application/json", None))
        return resp.with_data(sink.finish())

    # -- pieces ----------------------------------------------------------
    @staticmethod
    def _check_args(
        method: str,
        path: str,
        json: Any,
        data: Any,
        files: Any,
        auth: str,
        user_access_token: str | None,
    ) -> None:
        if method not in {"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"}:
            raise InvalidParameter(f"unsupported HTTP method {method!r}")
        if not path.startswith("/open-apis/"):
            raise InvalidParameter(
                f"path must start with /open-apis/, got {path[:60]!r}",
                hint="pass the path only; the domain comes from the client",
            )
        if json is not None and (data is not None or files is not None):
            raise InvalidParameter("pass either json= or data=/files=, not both")
        if auth not in ("tenant", "app", "user", "none"):
            raise InvalidParameter(f"auth must be tenant, app, user or none, not {auth!r}")
        if auth == "user" and not user_access_token:
            raise InvalidParameter("auth='user' needs user_access_token=")

    def _timeouts(self, timeout: float | Timeouts | None) -> aiohttp.ClientTimeout:
        import aiohttp

        if timeout is None:
            if self._default_timeout is None:
                self._default_timeout = self.config.timeouts.as_aiohttp()
            return self._default_timeout
        if isinstance(timeout, Timeouts):
            return timeout.as_aiohttp()
        if timeout <= 0:
            raise InvalidParameter(f"timeout must be positive, got {timeout}")
        base = self.config.timeouts
        return aiohttp.ClientTimeout(
            total=timeout,
            sock_connect=min(base.connect, timeout),
            sock_read=min(base.read, timeout),
        )

    async def _send(
        self,
        call: _Call,
        json: Any,
        data: Any,
        files: Mapping[str, FileField] | None,
        headers: dict[str, str],
        timeout: aiohttp.ClientTimeout,
        sink: _Sink | None = None,
    ) -> _Attempt:
        import aiohttp

        session = self._get_session()
        url = self._base + call.path
        opened: list[IO[bytes]] = []
        try:
            body: Any = None
            if files:
                body = _form(data if isinstance(data, Mapping) else None, files, opened)
            elif data is not None:
                body = data
            async with session.request(
                call.method,
                url,
                params=call.params,
                json=json,
                data=body,
                headers=headers,
                timeout=timeout,
            ) as resp:
                ctype = resp.headers.get("Content-Type", "")
                if sink is not None and resp.status == 200 and "json" not in ctype:
                    sink.begin(resp.headers)
                    try:
                        async for chunk in resp.content.iter_chunked(sink.chunk_size):
                            sink.write(chunk)
                    except BaseException:
                        sink.abort()
                        raise
                    return _Attempt(status=resp.status, headers=resp.headers, streamed=True)
                raw = await resp.read()
                return _Attempt(status=resp.status, headers=resp.headers, body=raw)
        except aiohttp.ClientConnectorError as exc:
            return _Attempt(
                error=NetworkError(
                    f"cannot connect to {self._base}: {type(exc).__name__}",
                    retryable=True,
                    hint="check the network / domain; retried with backoff",
                ),
                sent=False,
            )
        except aiohttp.ConnectionTimeoutError:
            # The connection never opened, so nothing reached the server.
            return _Attempt(
                error=LarkTimeout(
                    f"could not connect within {timeout.sock_connect}s",
                    retryable=True,
                    hint="check the network / domain; retried with backoff",
                ),
                sent=False,
            )
        except aiohttp.SocketTimeoutError:
            return _Attempt(
                error=LarkTimeout(
                    f"the server sent nothing for {timeout.sock_read}s (read timeout)",
                    retryable=True,
                    hint="raise timeout= for this call if the endpoint is slow",
                )
            )
        except TimeoutError:
            return _Attempt(
                error=LarkTimeout(
                    f"no answer within the timeout ({timeout.total}s total)",
                    retryable=True,
                    hint="raise timeout= for this call if the endpoint is slow",
                )
            )
        except (
            aiohttp.ServerDisconnectedError,
            aiohttp.ClientOSError,
            aiohttp.ClientPayloadError,
        ) as exc:
            return _Attempt(
                error=NetworkError(
                    f"connection lost: {type(exc).__name__}",
                    retryable=True,
                    hint="transient network failure",
                )
            )
        except aiohttp.ClientError as exc:
            return _Attempt(
                error=NetworkError(f"HTTP client error: {type(exc).__name__}", retryable=True)
            )
        finally:
            for fh in opened:
                fh.close()

    def _error_from_body(self, result: _Attempt, request_id: str) -> LarkError | None:
        """Parse the answer; return an error unless it is a code-0 success."""
        if result.streamed:
            return None
        status = result.status or 0
        log_id = result.headers.get("X-Tt-Logid") if result.headers else None
        raw: bytes = result.body or b""
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
                retryable=status >= 500 or status == 429,
                hint="the gateway answered instead of the API; retried if transient",
                log_id=log_id,
                request_id=request_id,
            )
        result.body = body
        code = body.get("code", 0 if status < 400 else -1)
        if not isinstance(code, int):
            code = -1
        if code == 0 and status < 400:
            return None
        err_body = body.get("error") if isinstance(body.get("error"), dict) else None
        msg = str(body.get("msg") or body.get("error_description") or f"HTTP {status}")
        return build_error(
            code, msg, http_status=status, error_body=err_body, request_id=request_id, log_id=log_id
        )

    def _finish_ok(self, result: _Attempt, call: _Call, log: Any) -> LarkResponse[dict[str, Any]]:
        body: dict[str, Any] = result.body if isinstance(result.body, dict) else {}
        log_id = result.headers.get("X-Tt-Logid") if result.headers else None
        data = body.get("data")
        if data is None:
            # auth/v3 and OAuth answers put their fields at the top level.
            data = {k: v for k, v in body.items() if k not in ("code", "msg")}
        log.info(
            "lark.request",
            request_id=call.request_id,
            app_id=call.app_id,
            method=call.method,
            path=call.path,
            params=call.params,
            status=result.status,
            code=0,
            log_id=log_id,
            attempt=call.attempt,
            idempotency_key=call.idempotency_key,
            latency_ms=self._elapsed_ms(call),
        )
        return LarkResponse(
            ok=True,
            code=0,
            msg=str(body.get("msg", "success")),
            request_id=call.request_id,
            log_id=log_id,
            data=data,
            http_status=result.status,
            attempts=call.attempt,
            raw=body,
        )

    def _finish_failure(
        self, err: LarkError, call: _Call, log: Any
    ) -> LarkResponse[dict[str, Any]]:
        err.request_id = call.request_id
        level = log.error if (err.retryable or isinstance(err, OutcomeUnknown)) else log.warning
        level(
            "lark.request",
            request_id=call.request_id,
            app_id=call.app_id,
            method=call.method,
            path=call.path,
            params=call.params,
            status=err.http_status,
            code=err.code,
            log_id=err.log_id,
            attempt=call.attempt,
            idempotency_key=call.idempotency_key,
            error_kind=err.kind.value,
            error=err.message,
            hint=err.hint,
            latency_ms=self._elapsed_ms(call),
        )
        return LarkResponse.failure(err, request_id=call.request_id, attempts=call.attempt)

    def _elapsed_ms(self, call: _Call) -> float:
        return round((self.clock.monotonic() - call.started) * 1000, 2)


def _caller_request_id(headers: Mapping[str, str] | None) -> str | None:
    if not headers:
        return None
    for key, value in headers.items():
        if key.lower() == "x-request-id" and value:
            return value
    return None


def _outcome_unknown(err: LarkError) -> OutcomeUnknown:
    return OutcomeUnknown(
        f"the write was sent but its outcome is unknown ({err.message})",
        kind=err.kind,
        code=err.code,
        retryable=False,
        http_status=err.http_status,
        request_id=err.request_id,
        log_id=err.log_id,
        hint="not retried blindly: read the resource back, or resend with an idempotency key "
        "(IM uuid, Bitable client_token) so retries are safe",
    )


def _clean_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Drop None values; booleans as Feishu expects ('true'/'false')."""
    if not params:
        return None
    out: dict[str, str] = {}
    for k, v in params.items():
        if v is None:
            continue
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        else:
            out[k] = str(v)
    return out


def _form(
    fields: Mapping[str, Any] | None, files: Mapping[str, FileField], opened: list[IO[bytes]]
) -> aiohttp.FormData:
    """Multipart body, rebuilt for every attempt so a retry resends whole files."""
    import aiohttp

    form = aiohttp.FormData()
    for k, v in (fields or {}).items():
        if v is not None:
            form.add_field(k, str(v))
    for name, (filename, content, ctype) in files.items():
        payload: Any
        if isinstance(content, Path):
            fh = content.open("rb")  # streamed from disk, not read whole
            opened.append(fh)
            payload = fh
        elif isinstance(content, (bytes, bytearray)):
            payload = bytes(content)
        else:
            if content.seekable():
                content.seek(0)
            payload = content
        form.add_field(
            name, payload, filename=filename, content_type=ctype or "application/octet-stream"
        )
    return form
