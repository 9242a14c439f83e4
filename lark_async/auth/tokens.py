"""Tenant and app access tokens: lazy, shared, refreshed ahead, single-flight.

- Lazy: nothing is fetched until the first call needs a token.
- Refresh-ahead: with less than ``refresh_fraction`` (10%) of a token's lifetime
  left, callers keep using it and exactly one background refresh runs.
- Single flight of the outcome per (app_id, kind): in the process, one task
  fetches and every caller that needs the token meanwhile waits for that task
  and gets its outcome, the token or the error, at the same moment (a wrong
  secret is sent once, not once per waiting caller). The next call after a
  failure starts a new fetch.
- Across processes, the store's lock (a PostgreSQL advisory lock, or a file
  lock for SQLite), with the store re-read once the lock is held so a token
  another process just fetched is used instead of fetching again. The lock is
  a lease: its holder gives it up after ``lock_lease`` seconds even if its
  fetch still runs, and a process that waited ``lock_timeout`` seconds for it
  re-reads the store and fetches by itself instead of failing.
- A store that fails, for any reason (down, read-only after a failover,
  permission denied, missing table, timeout), counts as a miss: the fetched
  token lives in memory, an ERROR is logged at most once a minute, and writes
  resume when the store is back. This is right for tenant and app tokens,
  which can always be fetched again from the app secret. User tokens (not
  managed here yet) must fail closed instead: Feishu rotates a refresh token
  on every use, so a rotated refresh token that cannot be stored is a lost
  grant, and that error has to reach the caller.
"""

from __future__ import annotations

import asyncio
import contextlib
import math
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Literal, Protocol

from lark_async.auth.models import AppConfig, StoredToken, TokenKind
from lark_async.auth.singleflight import SingleFlight
from lark_async.auth.stores.base import LockTimeout, StoreUnavailable, TokenStore
from lark_async.core import telemetry as _tm
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import (
    BAD_CREDENTIAL_CODES,
    ConfigError,
    LarkError,
)
from lark_async.core.logging import RateLimitedLog, get_logger
from lark_async.core.options import RequestOptions

if TYPE_CHECKING:
    from lark_async.core.transport import Transport

_PATHS = {
    TokenKind.TENANT: "/open-apis/auth/v3/tenant_access_token/internal",
    TokenKind.APP: "/open-apis/auth/v3/app_access_token/internal",
}

# How the cross-process lock went: taken, waited for in vain, or the store failed.
LockState = Literal["held", "timed out", "unavailable"]

# The longest a lock holder keeps the lock by default: a healthy fetch takes
# well under a second, and a waiter must get the lock before its lock_timeout.
DEFAULT_LOCK_LEASE = 10.0


class AppSource(Protocol):
    """Where app credentials come from: a static config or the registry."""

    async def current(self, app_id: str) -> AppConfig: ...


class TokenManager:
    """Tenant and app tokens of self-built apps (used by the auth step, ``auth/flow.py``).

    ``lock_timeout``: how long to wait for another process's refresh lock
    before fetching without it. ``lock_lease``: how long this process holds
    that lock while its own fetch runs (default: 10 s, at most half of
    ``lock_timeout``); ``math.inf`` holds it for the whole fetch.
    """

    def __init__(
        self,
        transport: Transport,
        apps: AppSource,
        store: TokenStore,
        *,
        clock: Clock = SYSTEM_CLOCK,
        refresh_fraction: float = 0.1,
        lock_timeout: float = 30.0,
        lock_lease: float | None = None,
        expiry_skew: float = 5.0,
        store_error_interval: float = 60.0,
    ) -> None:
        if lock_lease is None:
            lock_lease = min(DEFAULT_LOCK_LEASE, lock_timeout / 2)
        if not lock_lease > 0:
            raise ConfigError(f"lock_lease must be positive seconds, got {lock_lease!r}")
        self._transport = transport
        self.apps = apps
        self.store = store
        self.clock = clock
        self.refresh_fraction = refresh_fraction
        self.lock_timeout = lock_timeout
        self.lock_lease = lock_lease
        self.expiry_skew = expiry_skew
        self._mem: dict[tuple[str, TokenKind], StoredToken] = {}
        # One refresh task per (app_id, kind), shared by every caller that needs it.
        self._flights: SingleFlight[tuple[str, TokenKind], StoredToken] = SingleFlight(
            "lark-token-refresh"
        )
        self._store_errors = RateLimitedLog(store_error_interval)
        self._invalidated: set[tuple[str, TokenKind]] = set()
        self.fetch_count = 0

    # -- tokens ------------------------------------------------------------
    async def token(self, app_id: str, kind: str) -> str:
        key = (app_id, kind if isinstance(kind, TokenKind) else TokenKind(kind))
        # Apps given in code are known without I/O; the registry is asked each time
        # (cheaply), so that disabling an app takes effect at once.
        config = self._static_app(app_id) or await self.apps.current(app_id)
        if not config.active:
            raise _disabled(app_id)
        now = self.clock.time()
        tok = self._mem.get(key)
        if tok is not None and not tok.expired(now, self.expiry_skew):
            if tok.needs_refresh(now, self.refresh_fraction):
                # Nobody waits for it: callers keep the current, still valid token.
                await self._flights.start(key, lambda: self._refresh(key, "refresh-ahead", tok))
            return tok.value
        if key in self._invalidated:
            reason = "invalidated"
        else:
            reason = "expired" if tok is not None else "first use"
        fresh = await self._flights.join(key, lambda: self._refresh(key, reason, stale=tok))
        return fresh.value

    def _static_app(self, app_id: str) -> AppConfig | None:
        peek = getattr(self.apps, "peek", None)
        return peek(app_id) if peek is not None else None

    async def invalidate(self, app_id: str, kind: str, token: str) -> None:
        """Feishu rejected ``token``: forget it here and in the store."""
        key = (app_id, TokenKind(kind))
        mem = self._mem.get(key)
        if mem is not None and mem.value == token:
            del self._mem[key]
        self._invalidated.add(key)
        try:
            stored = await self.store.get(app_id, key[1])
            if stored is not None and stored.value == token:
                await self.store.delete(app_id, key[1])
        except Exception as exc:  # any store failure: the token is gone from memory anyway
            self._report_store_error("delete", exc)
        get_logger().info("lark.token.invalidated", app_id=app_id, kind=kind)

    async def aclose(self) -> None:
        await self._flights.aclose()
        await self.store.close()

    def forget(self, app_id: str) -> None:
        """Drop cached tokens of one app (e.g. after its secret changed)."""
        for key in [k for k in self._mem if k[0] == app_id]:
            del self._mem[key]

    # -- refresh -----------------------------------------------------------
    def _usable(self, tok: StoredToken | None, stale: StoredToken | None, ahead: bool) -> bool:
        if tok is None or not math.isfinite(tok.expires_at) or not math.isfinite(tok.lifetime):
            return False
        if stale is not None and tok.value == stale.value and tok.fetched_at <= stale.fetched_at:
            return False
        now = self.clock.time()
        if tok.expired(now, self.expiry_skew):
            return False
        return not (ahead and tok.needs_refresh(now, self.refresh_fraction))

    async def _refresh(
        self, key: tuple[str, TokenKind], reason: str, stale: StoredToken | None
    ) -> StoredToken:
        """The flight's body: memory, the store, the lock, the store again, then Feishu."""
        ahead = reason == "refresh-ahead"
        current = self._mem.get(key)
        if current is not stale and self._usable(current, stale, ahead):
            assert current is not None
            return current
        stored = await self._store_get(key)
        if self._usable(stored, stale, ahead):
            assert stored is not None
            self._mem[key] = stored
            return stored
        fetch: asyncio.Task[StoredToken] | None = None
        try:
            async with self._cross_process_lock(key) as state:
                if state != "unavailable":
                    # Another process may have stored a token while we waited.
                    stored = await self._store_get(key)
                    if self._usable(stored, stale, ahead):
                        assert stored is not None
                        self._mem[key] = stored
                        return stored
                # Its own task, so the lock can be given up while it still runs.
                fetch = asyncio.get_running_loop().create_task(
                    self._fetch(key, reason), name=f"lark-token-fetch:{key[0]}:{key[1]}"
                )
                lease = (
                    self.lock_lease if state == "held" and math.isfinite(self.lock_lease) else None
                )
                await asyncio.wait({fetch}, timeout=lease)
                if fetch.done():
                    # Stored before the lock is released: the next holder finds it.
                    return await self._keep(fetch.result())
                get_logger().warning(
                    "lark.token.lock_lease_expired",
                    app_id=key[0],
                    kind=key[1].value,
                    lease_s=self.lock_lease,
                    hint="the token fetch is taking longer than lock_lease: the refresh "
                    "lock is released (the fetch goes on) so other processes can fetch too",
                )
            return await self._keep(await fetch)
        finally:
            if fetch is not None and not fetch.done():
                fetch.cancel()  # the flight was cancelled (the client is closing)

    async def _keep(self, fresh: StoredToken) -> StoredToken:
        self._invalidated.discard((fresh.app_id, fresh.kind))
        self._mem[(fresh.app_id, fresh.kind)] = fresh
        await self._store_put(fresh)
        return fresh

    @contextlib.asynccontextmanager
    async def _cross_process_lock(self, key: tuple[str, TokenKind]) -> AsyncIterator[LockState]:
        state: LockState = "held"
        cm = None
        try:
            cm = self.store.lock(key[0], key[1], self.lock_timeout)
            await cm.__aenter__()
        except LockTimeout:
            state = "timed out"
        except Exception as exc:  # any store failure: the in-process single flight remains
            state = "unavailable"
            self._report_store_error("lock", exc)
        if state == "timed out":
            get_logger().warning(
                "lark.token.lock_timeout",
                app_id=key[0],
                kind=key[1].value,
                waited_s=self.lock_timeout,
                hint="another process held the token refresh lock too long; fetching "
                "without it (check that process, and for PostgreSQL pg_locks)",
            )
        if state != "held":
            yield state
            return
        assert cm is not None
        try:
            yield state
        finally:
            try:
                await cm.__aexit__(None, None, None)
            except Exception as exc:
                self._report_store_error("unlock", exc)

    async def _fetch(self, key: tuple[str, TokenKind], reason: str) -> StoredToken:
        app_id, kind = key
        log = get_logger()
        started = self.clock.monotonic()
        config = await self.apps.current(app_id)
        if not config.active:
            raise _disabled(app_id)
        body = {"app_id": app_id, "app_secret": config.app_secret.get_secret_value()}
        self.fetch_count += 1
        _tm.recorder.token_refreshed(app_id, kind.value, reason)
        opts = RequestOptions.build("POST", _PATHS[kind], json=body, auth="none", idempotent=True)
        resp = await self._transport.request(opts, app_id=app_id)
        duration_ms = round((self.clock.monotonic() - started) * 1000, 2)
        if not resp.ok or not resp.data:
            err = resp.error or LarkError("empty token answer")
            if err.code in BAD_CREDENTIAL_CODES:
                err = ConfigError(
                    f"Feishu refused the credentials of app {app_id}: {err.message}",
                    code=err.code,
                    retryable=False,
                    hint="check app_id / app_secret (lark-async apps show "
                    f"{app_id}); a wrong secret is never retried",
                    request_id=resp.request_id,
                    log_id=resp.log_id,
                )
            log.error(
                "lark.token.refresh",
                app_id=app_id,
                kind=kind.value,
                reason=reason,
                outcome="failed",
                error_kind=err.kind.value,
                code=err.code,
                duration_ms=duration_ms,
                request_id=resp.request_id,
            )
            raise err
        value = resp.data.get(kind.value)
        expire = resp.data.get("expire")
        if (
            not isinstance(value, str)
            or isinstance(expire, bool)
            or not isinstance(expire, (int, float))
            or not 0 < expire < math.inf  # NaN fails too
        ):
            log.error(
                "lark.token.refresh",
                app_id=app_id,
                kind=kind.value,
                reason=reason,
                outcome="malformed answer",
                duration_ms=duration_ms,
            )
            raise LarkError(
                "the token endpoint answered without a token or expiry",
                retryable=True,
                request_id=resp.request_id,
                log_id=resp.log_id,
            )
        now = self.clock.time()
        tok = StoredToken(
            app_id=app_id,
            kind=kind,
            value=value,
            expires_at=now + float(expire),
            lifetime=float(expire),
            fetched_at=now,
        )
        log.info(
            "lark.token.refresh",
            app_id=app_id,
            kind=kind.value,
            reason=reason,
            outcome="ok",
            expires_in=int(expire),
            duration_ms=duration_ms,
            request_id=resp.request_id,
        )
        return tok

    # -- store access: for tenant/app tokens any failure is a miss -----------
    async def _store_get(self, key: tuple[str, TokenKind]) -> StoredToken | None:
        try:
            return await self.store.get(key[0], key[1])
        except Exception as exc:  # StoreUnavailable, or whatever a custom store raises
            self._report_store_error("read", exc)
            return None

    async def _store_put(self, tok: StoredToken) -> None:
        try:
            await self.store.put(tok)
        except Exception as exc:
            self._report_store_error("write", exc)

    def _report_store_error(self, op: str, exc: Exception) -> None:
        key = f"{self.store.name}"
        if self._store_errors.should_log(key, self.clock.monotonic()):
            # The built-in stores' messages name the backend's error and mask passwords.
            error = str(exc) if isinstance(exc, StoreUnavailable) else type(exc).__name__
            get_logger().error(
                "lark.token.store_unavailable",
                store=self.store.name,
                operation=op,
                error=error,
                suppressed=self._store_errors.take_suppressed(key),
                hint="tokens are kept in memory until the store is back; fix the database",
            )


def _disabled(app_id: str) -> ConfigError:
    return ConfigError(
        f"app {app_id} is disabled",
        hint=f"enable it with: lark-async apps enable {app_id}",
    )
