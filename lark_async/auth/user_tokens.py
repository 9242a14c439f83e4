"""User access tokens: stored encrypted per (app_id, open_id), refreshed once, failing closed.

- ``token(app_id, open_id)`` returns a valid user access token. With less than
  ``refresh_fraction`` of its lifetime left one background refresh starts; a
  caller waits only when the token is expired or was rejected.
- Refresh tokens are single use. In a process one task refreshes per user
  (``SingleFlight``); across processes the store's lock per user (PostgreSQL
  advisory lock, SQLite flock), held for the whole refresh, with the store
  re-read under it: a grant another process refreshed meanwhile is used as is.
- Fail closed, unlike tenant tokens: before a refresh token is spent the store
  must take a write (the grant rewritten as it is), so a read-only or
  unreachable store fails the call with :class:`UserTokenStoreError` and the
  refresh token stays unspent. If the store breaks between that write and the
  rotated grant's, the rotated grant is kept in memory (never used before it
  is stored), the call fails with the same error, and the next call stores it
  first.
- A refresh refused as revoked, expired, used or foreign (20064, 20037, 20073,
  20026, 20024) ends the stored grant: :class:`ReauthorizationRequired`, with a
  fresh authorisation link when one can be made.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING, Any

from lark_async.auth.oauth import GRANT_ENDED, TOKEN_PATH
from lark_async.auth.singleflight import SingleFlight
from lark_async.auth.stores.base import LockTimeout
from lark_async.auth.stores.user_base import UserTokenStore, user_store_for
from lark_async.auth.user_models import ReauthorizationRequired, UserGrant, UserTokenStoreError
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import ConfigError, LarkError
from lark_async.core.logging import get_logger
from lark_async.core.options import RequestOptions

if TYPE_CHECKING:
    from lark_async.auth.tokens import AppSource
    from lark_async.core.transport import Transport

Key = tuple[str, str]
#: Makes a fresh authorisation link for (app_id, open_id, redirect_uri, scope), or None.
LinkFactory = Callable[[str, str, str, str], Awaitable[str | None]]


class UserTokenManager:
    """Users' access tokens for every app of a client (``lark.user_tokens``)."""

    def __init__(
        self,
        transport: Transport,
        apps: AppSource,
        token_store: object,
        *,
        clock: Clock = SYSTEM_CLOCK,
        refresh_fraction: float = 0.1,
        expiry_skew: float = 5.0,
        lock_timeout: float = 30.0,
    ) -> None:
        self._transport = transport
        self.apps = apps
        self._token_store = token_store
        self._store: UserTokenStore | None = None
        self.clock = clock
        self.refresh_fraction = refresh_fraction
        self.expiry_skew = expiry_skew
        self.lock_timeout = lock_timeout
        self._mem: dict[Key, UserGrant] = {}
        self._unsaved: dict[Key, UserGrant] = {}  # rotated grants the store did not take yet
        self._rejected: dict[Key, str] = {}  # access tokens Feishu refused
        self._flights: SingleFlight[Key, UserGrant] = SingleFlight("lark-user-token-refresh")
        self.link_factory: LinkFactory | None = None
        self.refresh_count = 0

    @property
    def store(self) -> UserTokenStore:
        if self._store is None:
            store = user_store_for(self._token_store)
            if store is None:
                raise ConfigError(
                    f"the token store {type(self._token_store).__name__} keeps no user tokens",
                    hint="use token_store='memory', 'sqlite:///...' or 'postgresql://...', "
                    "or implement lark_async.auth.stores.user_base.UserTokenStore",
                )
            self._store = store
        return self._store

    @store.setter
    def store(self, store: UserTokenStore) -> None:
        """Keep users' grants in a store of your own (a :class:`UserTokenStore`)."""
        self._store = store

    # -- the public side ----------------------------------------------------
    async def token(self, app_id: str, open_id: str) -> str:
        key = (app_id, open_id)
        grant = self._mem.get(key)
        if grant is not None and key not in self._unsaved and self._fresh(grant, ahead=False):
            if grant.needs_refresh(self.clock.time(), self.refresh_fraction):
                # Nobody waits for it: callers keep the current, still valid token.
                await self._flights.start(key, lambda: self._refresh(key, grant, ahead=True))
            return grant.access_token
        fresh = await self._flights.join(key, lambda: self._refresh(key, grant, ahead=False))
        return fresh.access_token

    async def grant(self, app_id: str, open_id: str) -> UserGrant | None:
        """The stored grant of a user (tokens included), or None."""
        return await self._read((app_id, open_id))

    async def authorised(self, grant: UserGrant) -> None:
        """Store the grant of a new authorisation, under the user's lock (a refresh
        running elsewhere must not overwrite it); UserTokenStoreError if it cannot be."""
        key = (grant.app_id, grant.open_id)
        try:
            async with self.store.grant_lock(key[0], key[1], self.lock_timeout):
                await self.save(grant)
        except LarkError:
            raise
        except Exception as exc:  # the lock itself failed (LockTimeout, store down)
            self._unsaved[key] = grant  # kept, and stored by the next call
            raise self._store_error("lock", key, exc) from None

    async def save(self, grant: UserGrant) -> None:
        """Store a new grant (after an authorisation); UserTokenStoreError if it cannot be."""
        key = (grant.app_id, grant.open_id)
        self._rejected.pop(key, None)
        try:
            await self.store.put_grant(grant)
        except ConfigError:
            raise
        except Exception as exc:
            self._unsaved[key] = grant  # kept, and stored by the next call
            raise self._store_error("write", key, exc) from None
        self._unsaved.pop(key, None)
        self._mem[key] = grant

    async def invalidate(self, app_id: str, open_id: str, token: str) -> None:
        """Feishu rejected this access token: the next call refreshes."""
        key = (app_id, open_id)
        self._rejected[key] = token
        mem = self._mem.get(key)
        if mem is not None and mem.access_token == token:
            del self._mem[key]
        get_logger().info("lark.user_token.invalidated", app_id=app_id, open_id=open_id)

    async def forget(self, app_id: str, open_id: str) -> None:
        """Delete a user's grant here and in the store (the user signed out)."""
        key = (app_id, open_id)
        self._mem.pop(key, None)
        self._unsaved.pop(key, None)
        try:
            await self.store.delete_grant(app_id, open_id)
        except ConfigError:
            raise
        except Exception as exc:
            raise self._store_error("delete", key, exc) from None

    async def aclose(self) -> None:
        await self._flights.aclose()

    # -- refresh -----------------------------------------------------------
    def _fresh(self, grant: UserGrant, *, ahead: bool) -> bool:
        key = (grant.app_id, grant.open_id)
        if self._rejected.get(key) == grant.access_token:
            return False
        now = self.clock.time()
        if not math.isfinite(grant.expires_at) or grant.expired(now, self.expiry_skew):
            return False
        return not (ahead and grant.needs_refresh(now, self.refresh_fraction))

    async def _refresh(self, key: Key, seen: UserGrant | None, *, ahead: bool) -> UserGrant:
        """The flight's body: pending write, memory, the store, the lock, the store, Feishu."""
        pending = self._unsaved.get(key)
        if pending is not None:
            await self.save(pending)  # the rotated grant is stored before it is used
            if self._fresh(pending, ahead=ahead):
                return pending
        current = self._mem.get(key)
        if current is not None and current is not seen and self._fresh(current, ahead=ahead):
            return current
        stored = await self._read(key)
        if stored is not None and self._fresh(stored, ahead=ahead):
            self._mem[key] = stored
            return stored
        if stored is None:
            raise await self._reauthorize(key, None, "no grant is stored for this user")
        try:
            async with self.store.grant_lock(key[0], key[1], self.lock_timeout):
                # Another process may have refreshed while we waited.
                stored = await self._read(key)
                if stored is None:
                    raise await self._reauthorize(key, None, "no grant is stored for this user")
                if self._fresh(stored, ahead=ahead):
                    self._mem[key] = stored
                    return stored
                return await self._rotate(key, stored)
        except LockTimeout:
            raise UserTokenStoreError(
                f"another process held the refresh lock of user {key[1]} for "
                f"{self.lock_timeout:g}s; not refreshing without it (its refresh token is "
                "single use)",
                hint="retry shortly; if it persists, check that process (and pg_locks)",
            ) from None
        except LarkError:
            raise
        except Exception as exc:  # the lock itself failed: the store is down
            raise self._store_error("lock", key, exc) from None

    async def _rotate(self, key: Key, stored: UserGrant) -> UserGrant:
        app_id, open_id = key
        now = self.clock.time()
        if not stored.refresh_token or (0 < stored.refresh_expires_at <= now):
            raise await self._reauthorize(key, stored, "the user's refresh token has expired")
        # Prove the store takes writes before the single-use refresh token is spent.
        try:
            await self.store.put_grant(stored)
        except Exception as exc:
            raise self._store_error("write", key, exc) from None
        config = await self.apps.current(app_id)
        body = {
            "grant_type": "refresh_token",
            "client_id": app_id,
            "client_secret": config.app_secret.get_secret_value(),
            "refresh_token": stored.refresh_token,
        }
        self.refresh_count += 1
        opts = RequestOptions.build("POST", TOKEN_PATH, json=body, auth="none")
        resp = await self._transport.request(opts, app_id=app_id)
        log = get_logger()
        if not resp.ok or not resp.data:
            err = resp.error or LarkError("empty answer from the OAuth token endpoint")
            log.warning(
                "lark.user_token.refresh",
                app_id=app_id,
                open_id=open_id,
                outcome="failed",
                code=err.code,
                request_id=resp.request_id,
            )
            if err.code in GRANT_ENDED:
                try:
                    await self.store.delete_grant(app_id, open_id, stored.generation)
                except Exception as exc:  # the grant is dead either way
                    log.warning(
                        "lark.user_token.store_unavailable", operation="delete", error=str(exc)
                    )
                self._mem.pop(key, None)
                raise await self._reauthorize(key, stored, err.message, code=err.code)
            raise err
        fresh = grant_from_answer(
            resp.data,
            app_id=app_id,
            open_id=open_id,
            now=self.clock.time(),
            redirect_uri=stored.redirect_uri,
            generation=stored.generation + 1,
            scope=stored.scope,
        )
        log.info(
            "lark.user_token.refresh",
            app_id=app_id,
            open_id=open_id,
            outcome="ok",
            expires_in=int(fresh.lifetime),
            request_id=resp.request_id,
        )
        await self.save(fresh)  # before anyone uses it; fails closed, keeping it
        return fresh

    async def _reauthorize(
        self, key: Key, grant: UserGrant | None, why: str, *, code: int | None = None
    ) -> ReauthorizationRequired:
        link = None
        if self.link_factory is not None:
            try:
                link = await self.link_factory(
                    key[0],
                    key[1],
                    grant.redirect_uri if grant is not None else "",
                    grant.scope if grant is not None else "",
                )
            except Exception as exc:  # a link is a courtesy; the error matters
                get_logger().warning(
                    "lark.user_auth.link_failed", app_id=key[0], error=type(exc).__name__
                )
        return ReauthorizationRequired(
            f"user {key[1]} must authorise app {key[0]} again: {why}",
            open_id=key[1],
            auth_url=link,
            code=code,
        )

    # -- store access: every failure reaches the caller ---------------------
    async def _read(self, key: Key) -> UserGrant | None:
        try:
            return await self.store.get_grant(key[0], key[1])
        except ConfigError:
            raise
        except Exception as exc:
            raise self._store_error("read", key, exc) from None

    def _store_error(self, op: str, key: Key, exc: Exception) -> UserTokenStoreError:
        # Built-in stores' messages name the backend's error and mask passwords.
        from lark_async.auth.stores.base import StoreUnavailable

        detail = str(exc) if isinstance(exc, StoreUnavailable) else type(exc).__name__
        get_logger().error(
            "lark.user_token.store_unavailable",
            app_id=key[0],
            open_id=key[1],
            operation=op,
            error=detail,
        )
        return UserTokenStoreError(
            f"the user token store could not {op} the grant of user {key[1]}: {detail}"
        )


def grant_from_answer(
    data: dict[str, Any],
    *,
    app_id: str,
    open_id: str,
    now: float,
    redirect_uri: str,
    generation: int,
    scope: str = "",
) -> UserGrant:
    """A grant from the v2 token endpoint's answer; LarkError if it lacks a token or expiry."""
    access = data.get("access_token")
    expires_in = data.get("expires_in")
    refresh = data.get("refresh_token") or ""
    refresh_in = data.get("refresh_token_expires_in")
    if (
        not isinstance(access, str)
        or not access
        or isinstance(expires_in, bool)
        or not isinstance(expires_in, (int, float))
        or not 0 < expires_in < math.inf
        or not isinstance(refresh, str)
    ):
        raise LarkError(
            "the OAuth token endpoint answered without a token or expiry", retryable=False
        )
    refresh_at = 0.0
    if isinstance(refresh_in, (int, float)) and not isinstance(refresh_in, bool):
        refresh_at = now + float(refresh_in) if 0 < refresh_in < math.inf else 0.0
    granted = data.get("scope")
    return UserGrant(
        app_id=app_id,
        open_id=open_id,
        access_token=access,
        refresh_token=refresh,
        expires_at=now + float(expires_in),
        lifetime=float(expires_in),
        refresh_expires_at=refresh_at,
        fetched_at=now,
        scope=granted if isinstance(granted, str) else scope,
        redirect_uri=redirect_uri,
        generation=generation,
    )
