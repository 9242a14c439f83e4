"""Tenant and app access tokens: lazy, shared, refreshed ahead, single-flight.

- Lazy: nothing is fetched until the first call needs a token.
- Refresh-ahead: with less than ``refresh_fraction`` (10%) of a token's lifetime
  left, callers keep using it and exactly one background refresh runs.
- Single flight per (app_id, kind): an ``asyncio.Lock`` in the process, then
  the store's cross-process lock (a PostgreSQL advisory lock, or a file lock
  for SQLite), re-reading the store once the lock is held so a token another
  process just fetched is used instead of fetching again.
- A store that is down counts as a miss: the fetched token lives in memory, an
  ERROR is logged at most once a minute, and writes resume when it returns.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Protocol

from lark_async.auth.models import AppConfig, StoredToken, TokenKind
from lark_async.auth.stores.base import LockTimeout, StoreUnavailable, TokenStore
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import (
    BAD_CREDENTIAL_CODES,
    ConfigError,
    LarkError,
    LarkTimeout,
)
from lark_async.core.logging import RateLimitedLog, get_logger
from lark_async.core.options import RequestOptions
from lark_async.core.perloop import PerLoop

if TYPE_CHECKING:
    from lark_async.core.transport import Transport

_PATHS = {
    TokenKind.TENANT: "/open-apis/auth/v3/tenant_access_token/internal",
    TokenKind.APP: "/open-apis/auth/v3/app_access_token/internal",
}


class AppSource(Protocol):
    """Where app credentials come from: a static config or the registry."""

    async def current(self, app_id: str) -> AppConfig: ...


class TokenManager:
    """Implements the transport's ``TokenProvider`` for self-built apps."""

    def __init__(
        self,
        transport: Transport,
        apps: AppSource,
        store: TokenStore,
        *,
        clock: Clock = SYSTEM_CLOCK,
        refresh_fraction: float = 0.1,
        lock_timeout: float = 30.0,
        expiry_skew: float = 5.0,
        store_error_interval: float = 60.0,
    ) -> None:
        self._transport = transport
        self.apps = apps
        self.store = store
        self.clock = clock
        self.refresh_fraction = refresh_fraction
        self.lock_timeout = lock_timeout
        self.expiry_skew = expiry_skew
        self._mem: dict[tuple[str, TokenKind], StoredToken] = {}
        # asyncio locks belong to one event loop: one set per loop the client runs on.
        self._locks: PerLoop[dict[tuple[str, TokenKind], asyncio.Lock]] = PerLoop(_new_locks)
        self._background: dict[tuple[str, TokenKind], asyncio.Task[None]] = {}
        self._store_errors = RateLimitedLog(store_error_interval)
        self._invalidated: set[tuple[str, TokenKind]] = set()
        self.fetch_count = 0

    # -- TokenProvider -----------------------------------------------------
    async def token(self, app_id: str, kind: str) -> str:
        key = (app_id, kind if isinstance(kind, TokenKind) else TokenKind(kind))
        config = await self.apps.current(app_id)  # cheap: sees a disable at once
        if not config.active:
            raise _disabled(app_id)
        now = self.clock.time()
        tok = self._mem.get(key)
        if tok is not None and not tok.expired(now, self.expiry_skew):
            if tok.needs_refresh(now, self.refresh_fraction):
                self._refresh_in_background(key)
            return tok.value
        if key in self._invalidated:
            reason = "invalidated"
        else:
            reason = "expired" if tok is not None else "first use"
        fresh = await self._refresh(key, reason, stale=tok)
        return fresh.value

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
        except StoreUnavailable as exc:
            self._report_store_error("delete", exc)
        get_logger().info("lark.token.invalidated", app_id=app_id, kind=kind)

    async def aclose(self) -> None:
        loop = asyncio.get_running_loop()
        tasks = [t for t in self._background.values() if t.get_loop() is loop]
        for t in tasks:
            t.cancel()
        for t in tasks:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await t
        await self.store.close()

    def forget(self, app_id: str) -> None:
        """Drop cached tokens of one app (e.g. after its secret changed)."""
        for key in [k for k in self._mem if k[0] == app_id]:
            del self._mem[key]

    # -- refresh -----------------------------------------------------------
    def _refresh_in_background(self, key: tuple[str, TokenKind]) -> None:
        task = self._background.get(key)
        if task is not None and not task.done():
            return
        self._background[key] = asyncio.get_running_loop().create_task(
            self._background_refresh(key), name=f"lark-token-refresh:{key[0]}:{key[1]}"
        )

    async def _background_refresh(self, key: tuple[str, TokenKind]) -> None:
        try:
            await self._refresh(key, "refresh-ahead", stale=self._mem.get(key))
        except LarkError:
            pass  # logged in _refresh; callers still hold a valid token
        except Exception:  # pragma: no cover - never let a background task die loudly
            get_logger().exception("lark.token.refresh", app_id=key[0], kind=key[1].value)

    def _usable(self, tok: StoredToken | None, stale: StoredToken | None, ahead: bool) -> bool:
        if tok is None:
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
        ahead = reason == "refresh-ahead"
        lock = await self._lock(key)
        async with lock:
            # Someone in this process may have refreshed while we waited.
            current = self._mem.get(key)
            if current is not stale and self._usable(current, stale, ahead):
                assert current is not None
                return current
            stored = await self._store_get(key)
            if self._usable(stored, stale, ahead):
                assert stored is not None
                self._mem[key] = stored
                return stored
            async with self._cross_process_lock(key):
                stored = await self._store_get(key)
                if self._usable(stored, stale, ahead):
                    assert stored is not None
                    self._mem[key] = stored
                    return stored
                fresh = await self._fetch(key, reason)
                self._invalidated.discard(key)
                self._mem[key] = fresh
                await self._store_put(fresh)
                return fresh

    async def _lock(self, key: tuple[str, TokenKind]) -> asyncio.Lock:
        locks = await self._locks.get()
        lock = locks.get(key)
        if lock is None:
            lock = locks[key] = asyncio.Lock()
        return lock

    @contextlib.asynccontextmanager
    async def _cross_process_lock(self, key: tuple[str, TokenKind]) -> AsyncIterator[None]:
        cm = self.store.lock(key[0], key[1], self.lock_timeout)
        try:
            await cm.__aenter__()
        except LockTimeout:
            raise LarkTimeout(
                f"waited {self.lock_timeout:g} s for the token refresh lock of {key[0]} "
                f"({key[1].value}) held by another process",
                retryable=True,
                hint="another process is stuck refreshing this token; check the token store "
                "(PostgreSQL pg_locks) and that process",
            ) from None
        except StoreUnavailable as exc:
            self._report_store_error("lock", exc)
            yield  # degrade to the in-process lock only
            return
        try:
            yield
        finally:
            with contextlib.suppress(StoreUnavailable):
                await cm.__aexit__(None, None, None)

    async def _fetch(self, key: tuple[str, TokenKind], reason: str) -> StoredToken:
        app_id, kind = key
        log = get_logger()
        started = self.clock.monotonic()
        config = await self.apps.current(app_id)
        if not config.active:
            raise _disabled(app_id)
        body = {"app_id": app_id, "app_secret": config.app_secret.get_secret_value()}
        self.fetch_count += 1
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
        if not isinstance(value, str) or not isinstance(expire, (int, float)) or expire <= 0:
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

    # -- store access, where down means miss --------------------------------
    async def _store_get(self, key: tuple[str, TokenKind]) -> StoredToken | None:
        try:
            return await self.store.get(key[0], key[1])
        except StoreUnavailable as exc:
            self._report_store_error("read", exc)
            return None

    async def _store_put(self, tok: StoredToken) -> None:
        try:
            await self.store.put(tok)
        except StoreUnavailable as exc:
            self._report_store_error("write", exc)

    def _report_store_error(self, op: str, exc: Exception) -> None:
        key = f"{self.store.name}"
        if self._store_errors.should_log(key, self.clock.monotonic()):
            get_logger().error(
                "lark.token.store_unavailable",
                store=self.store.name,
                operation=op,
                error=str(exc),
                suppressed=self._store_errors.take_suppressed(key),
                hint="tokens are kept in memory until the store is back; fix the database",
            )


async def _new_locks() -> dict[tuple[str, TokenKind], asyncio.Lock]:
    return {}


def _disabled(app_id: str) -> ConfigError:
    return ConfigError(
        f"app {app_id} is disabled",
        hint=f"enable it with: lark-async apps enable {app_id}",
    )
