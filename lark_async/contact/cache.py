"""The per-app user cache: TTL on the client's clock, single flight, counters.

``UserCache.lookup(keys, fill)`` answers each key from the store when its row
is younger than the TTL, and calls ``fill(missing_keys)`` once for the rest.
Concurrent lookups of one key share a single ``fill`` (single flight): the
first caller fetches, the others wait for its answer. A store that fails
(database down, table missing) is logged and bypassed: lookups then go to
Feishu, they do not fail because of the cache.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import TypeVar

from lark_async.contact.models import CacheStats, User
from lark_async.contact.store import CacheStore, Row
from lark_async.core.clock import Clock
from lark_async.core.errors import LarkError
from lark_async.core.logging import RateLimitedLog, get_logger

DEFAULT_TTL = 24 * 3600.0
STORE_RETRY_AFTER = 5.0  # seconds a failed store is bypassed before it is tried again

#: ``fill(missing_keys)`` -> (answer per key, rows to store: key -> user).
Fill = Callable[[list[str]], Awaitable[tuple[dict[str, User | None], dict[str, User]]]]

_Outcome = User | None | LarkError
_R = TypeVar("_R")


def user_keys(user: User) -> list[str]:
    """The keys a user record is stored under (every id it carries, email, mobile)."""
    keys = [
        f"{kind}:{value}"
        for kind in ("open_id", "union_id", "user_id")
        if (value := getattr(user, kind))
    ]
    if user.email:
        keys.append(f"email:{user.email.strip().lower()}")
    if user.mobile:
        keys.append(f"mobile:{normalise_mobile(user.mobile)}")
    return keys


def normalise_mobile(mobile: str) -> str:
    return "".join(ch for ch in mobile if ch.isdigit() or ch == "+")


def encode(user: User) -> str:
    return json.dumps(user.model_dump(mode="json", exclude_none=True), ensure_ascii=False)


class UserCache:
    """One app's cache over a :class:`CacheStore` (see the module docstring)."""

    def __init__(
        self, store: CacheStore, app_id: str, clock: Clock, ttl: float = DEFAULT_TTL
    ) -> None:
        self.store = store
        self.app_id = app_id
        self.clock = clock
        self.ttl = ttl
        self.hits = 0
        self.misses = 0
        self.refreshed = 0
        self.api_calls = 0
        # (loop, key) -> the answer being fetched; per loop, so a loop that died
        # mid-fetch never leaves a later loop waiting on its future.
        self._flights: dict[tuple[asyncio.AbstractEventLoop, str], asyncio.Future[_Outcome]] = {}
        self._store_log = RateLimitedLog(60.0)
        self._store_down_until = 0.0  # time.monotonic(); the store is skipped before it

    def stats(self) -> CacheStats:
        return CacheStats(self.hits, self.misses, self.refreshed, self.api_calls)

    async def lookup(self, keys: Sequence[str], fill: Fill) -> dict[str, User | None]:
        """Each key's user (None: no such user); raises the ``LarkError`` of a failed fill."""
        wanted = list(dict.fromkeys(keys))
        rows = await self._read(wanted)
        now = self.clock.time()
        out: dict[str, User | None] = {}
        missing: list[str] = []
        for key in wanted:
            row = rows.get(key)
            user = self._fresh(row, now)
            if user is not None:
                self.hits += 1
                out[key] = user
            else:
                self.misses += 1
                self.refreshed += row is not None
                missing.append(key)
        if missing:
            out.update(await self._fetch_shared(missing, fill))
        return out

    async def peek(self, keys: Sequence[str]) -> dict[str, User]:
        """The fresh records among ``keys``, without counting a hit or a miss."""
        rows = await self._read(list(keys))
        now = self.clock.time()
        return {k: user for k, row in rows.items() if (user := self._fresh(row, now)) is not None}

    async def remember(
        self, users: Iterable[User], extra: Mapping[str, User] | None = None
    ) -> None:
        """Store ``users`` under all their keys (and ``extra`` key -> user) in one write."""
        now = self.clock.time()
        rows: dict[str, Row] = {}
        for user in users:
            data = encode(user)
            rows.update((k, (data, now)) for k in user_keys(user))
        for key, user in (extra or {}).items():
            rows[key] = (encode(user), now)
        if rows:
            await self._write(rows)

    async def forget(self, keys: Iterable[str] | None) -> int:
        """Drop these keys and every key of the people they name (all of the app: None)."""
        if keys is None:
            return await self._guard(lambda: self.store.delete(self.app_id), 0)
        wanted = list(dict.fromkeys(keys))
        rows = await self._read(wanted)
        doomed = set(wanted)
        for data, _ in rows.values():
            doomed.update(user_keys(User.model_validate_json(data)))
        return await self._guard(lambda: self.store.delete(self.app_id, doomed), 0)

    # -- internals ---------------------------------------------------------

    def _fresh(self, row: Row | None, now: float) -> User | None:
        if row is None:
            return None
        data, fetched_at = row
        if not 0 <= now - fetched_at < self.ttl:
            return None
        try:
            return User.model_validate_json(data)
        except ValueError:
            return None  # a row we cannot read is refetched and overwritten

    async def _fetch_shared(self, keys: list[str], fill: Fill) -> dict[str, User | None]:
        loop = asyncio.get_running_loop()
        mine: list[str] = []
        theirs: dict[str, asyncio.Future[_Outcome]] = {}
        for key in keys:
            flight = self._flights.get((loop, key))
            if flight is not None:
                theirs[key] = flight
            else:
                self._flights[(loop, key)] = loop.create_future()
                mine.append(key)
        out: dict[str, User | None] = {}
        error: LarkError | None = None
        if mine:
            try:
                found, rows = await fill(mine)
            except LarkError as err:
                error = err
                self._settle(loop, mine, {}, err)
            except BaseException:
                for key in mine:  # cancelled or a bug: waiters fetch for themselves
                    flight = self._flights.pop((loop, key), None)
                    if flight is not None and not flight.done():
                        flight.cancel()
                raise
            else:
                await self._write_users(rows)
                self._settle(loop, mine, found, None)
                out.update((k, found.get(k)) for k in mine)
        for key, flight in theirs.items():
            try:
                outcome = await asyncio.shield(flight)
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if task is not None and task.cancelling():
                    raise
                # The fetching task was cancelled, not us: fetch this key ourselves.
                outcome = (await self._fetch_shared([key], fill)).get(key)
            if isinstance(outcome, LarkError):
                error = error or outcome
            else:
                out[key] = outcome
        if error is not None:
            raise error
        return out

    def _settle(
        self,
        loop: asyncio.AbstractEventLoop,
        keys: list[str],
        found: Mapping[str, User | None],
        error: LarkError | None,
    ) -> None:
        for key in keys:
            flight = self._flights.pop((loop, key), None)
            if flight is not None and not flight.done():
                # A result, never an exception: no "exception never retrieved"
                # warning when nobody was waiting.
                flight.set_result(error if error is not None else found.get(key))

    async def _write_users(self, rows: Mapping[str, User]) -> None:
        now = self.clock.time()
        encoded: dict[str, Row] = {}
        for key, user in rows.items():
            encoded[key] = (encode(user), now)
        if encoded:
            await self._write(encoded)

    async def _read(self, keys: list[str]) -> dict[str, Row]:
        return await self._guard(lambda: self.store.get_many(self.app_id, keys), {})

    async def _write(self, rows: dict[str, Row]) -> None:
        await self._guard(lambda: self.store.put_many(self.app_id, rows), None)

    async def _guard(self, op: Callable[[], Awaitable[_R]], fallback: _R) -> _R:
        # After a failure the store is left alone for a while: a database that is
        # down must not cost every lookup a connect timeout.
        if time.monotonic() < self._store_down_until:
            return fallback
        try:
            return await op()
        except Exception as exc:  # any store failure (drivers raise their own classes)
            return self._store_failed(exc, fallback)

    def _store_failed(self, exc: BaseException, fallback: _R) -> _R:
        self._store_down_until = time.monotonic() + STORE_RETRY_AFTER
        if self._store_log.should_log(self.store.name, self.clock.monotonic()):
            get_logger().warning(
                "contact.cache_unavailable",
                store=self.store.name,
                app_id=self.app_id,
                error=f"{type(exc).__name__}: {exc}"[:300],
                effect=f"lookups go to Feishu; the store is tried again in {STORE_RETRY_AFTER:g}s",
            )
        return fallback
