"""The callback memories every ingress and worker share, in PostgreSQL.

- :class:`PostgresReplayStore` (``lark_callback_replay``): the nonces and event
  ids the ingresses accepted, each until its TTL (the signature window for a
  nonce) runs out: by time, never by count.
- :class:`PostgresProcessedStore` (``lark_callback_events``): the handled-once
  memory of the workers. ``claim`` takes an event with a lease before its
  handler runs; ``done`` marks it handled; ``release`` (the handler failed)
  lets a later delivery claim it. A redelivered event that is done is refused
  (the worker acks it without running); one claimed under a live lease comes
  back later (``ClaimHeld``); a claim whose lease ran out (its worker died) is
  taken over, and :meth:`~PostgresProcessedStore.reclaimed` says so, so the
  handler sees ``event.redelivered=True``.

Times are the database's clock, so hosts need not agree on theirs. Expired
rows are deleted a batch at a time now and then by the process that notices,
never in a long statement.
"""

from __future__ import annotations

import time
import uuid
from collections import OrderedDict
from collections.abc import Iterable, Mapping

from lark_async.callbacks.dedupe import ClaimHeld
from lark_async.shared.db import SharedDatabase, SharedUnavailable

_NOW = "extract(epoch FROM clock_timestamp())"
DEFAULT_LEASE = 300.0  # seconds a claim holds: longer than a handler may run
DEFAULT_TTL = 8 * 3600.0  # Feishu's last retry comes ~7 h after the first delivery
_CLEANUP_EVERY = 60.0
_CLEANUP_BATCH = 1000


class _Cleanup:
    """Delete up to a batch of expired rows at most once a minute per table."""

    def __init__(self, db: SharedDatabase, table: str) -> None:
        self._db = db
        self._table = table
        self._next = 0.0

    async def maybe(self) -> None:
        now = time.monotonic()
        if now < self._next:
            return
        self._next = now + _CLEANUP_EVERY
        sql = (
            f"DELETE FROM {self._table} WHERE ctid = ANY(ARRAY("  # noqa: S608
            f"SELECT ctid FROM {self._table} WHERE expires_at < {_NOW}"
            f" LIMIT {_CLEANUP_BATCH} FOR UPDATE SKIP LOCKED))"
        )
        await self._db.execute(sql)


class PostgresReplayStore:
    """:class:`lark_async.callbacks.dedupe.SharedReplay` in ``lark_callback_replay``."""

    def __init__(self, db: SharedDatabase) -> None:
        self.db = db
        self._table = db.table("lark_callback_replay")
        self._cleanup = _Cleanup(db, self._table)

    async def add(self, keys: Mapping[str, float]) -> set[str]:
        if not keys:
            return set()
        names = list(keys)
        sql = (
            f"INSERT INTO {self._table} AS r (key, expires_at)"  # noqa: S608
            f" SELECT k, {_NOW} + t FROM unnest($1::text[], $2::float8[]) AS u(k, t)"
            f" ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at"
            f" WHERE r.expires_at < {_NOW}"
            " RETURNING key"
        )
        try:
            rows = await self.db.fetch(sql, names, [float(keys[k]) for k in names])
            await self._cleanup.maybe()
        except SharedUnavailable as exc:
            # This ingress's own memory still refuses replays of what it saw.
            self.db.report("callback replay memory", exc)
            return set()
        added = {str(r[0]) for r in rows}
        return {k for k in names if k not in added}

    async def discard(self, keys: Iterable[str]) -> None:
        try:
            await self.db.execute(
                f"DELETE FROM {self._table} WHERE key = ANY($1::text[])",  # noqa: S608
                list(keys),
            )
        except SharedUnavailable as exc:
            self.db.report("callback replay memory", exc)


class PostgresProcessedStore:
    """:class:`lark_async.callbacks.dedupe.ProcessedStore` with claim leases.

    When the database is down, ``claim`` raises :class:`SharedUnavailable`:
    the dispatcher then fails the delivery, and the queue retries it later,
    rather than running a handler that may already have run elsewhere.
    """

    def __init__(
        self,
        db: SharedDatabase,
        *,
        lease: float = DEFAULT_LEASE,
        ttl: float = DEFAULT_TTL,
        worker_id: str | None = None,
    ) -> None:
        if lease <= 0 or ttl <= 0:
            raise ValueError("lease and ttl must be positive")
        self.db = db
        self.lease = lease
        self.ttl = ttl
        self.worker_id = worker_id or uuid.uuid4().hex
        # One fixed delay (RabbitMQ keeps a retry queue per distinct delay).
        self.recheck = min(30.0, max(1.0, lease / 10))
        self._table = db.table("lark_callback_events")
        self._cleanup = _Cleanup(db, self._table)
        self._reclaimed: OrderedDict[str, None] = OrderedDict()

    async def claim(self, event_id: str) -> bool:
        # New: insert a claim. A claim whose lease ran out: take it over (claims+1).
        # Done, or claimed and live: nothing returned, the caller acks or waits.
        sql = (
            f"INSERT INTO {self._table} AS e"  # noqa: S608
            " (event_id, state, claimed_by, lease_until, claims, expires_at)"
            f" VALUES ($1, 'claimed', $2, {_NOW} + $3, 1, {_NOW} + $4)"
            " ON CONFLICT (event_id) DO UPDATE SET claimed_by = $2,"
            f" lease_until = {_NOW} + $3, claims = e.claims + 1, expires_at = {_NOW} + $4,"
            " updated_at = now()"
            f" WHERE e.state = 'claimed' AND e.lease_until < {_NOW}"
            " RETURNING claims"
        )
        try:
            row = await self.db.fetchrow(sql, event_id, self.worker_id, self.lease, self.ttl)
            await self._cleanup.maybe()
        except SharedUnavailable as exc:
            self.db.report("processed-event memory", exc)
            raise
        if row is None:
            return await self._why_not(event_id)
        if int(row[0]) > 1:
            self._reclaimed[event_id] = None
            while len(self._reclaimed) > 10_000:
                self._reclaimed.popitem(last=False)
        return True

    async def _why_not(self, event_id: str) -> bool:
        """Done (False: ack it), or held by a live claim (ClaimHeld: look again later)."""
        row = await self.db.fetchrow(
            f"SELECT state FROM {self._table} WHERE event_id = $1",  # noqa: S608
            event_id,
        )
        if row is not None and row[0] == "claimed":
            raise ClaimHeld(event_id, self.recheck)
        return False  # done (or its claim was just released: the retry comes anyway)

    def reclaimed(self, event_id: str) -> bool:
        """The last claim of ``event_id`` took over an expired one (asked once)."""
        return self._reclaimed.pop(event_id, 0) is None

    async def done(self, event_id: str) -> None:
        try:
            await self.db.execute(
                f"UPDATE {self._table} SET state = 'done', expires_at = {_NOW} + $2,"  # noqa: S608
                " updated_at = now() WHERE event_id = $1",
                event_id,
                self.ttl,
            )
        except SharedUnavailable as exc:
            # Handled and acked; only a redelivery after the lease could run it again.
            self.db.report("processed-event memory", exc)

    async def release(self, event_id: str) -> None:
        try:
            await self.db.execute(
                f"DELETE FROM {self._table}"  # noqa: S608
                " WHERE event_id = $1 AND state = 'claimed' AND claimed_by = $2",
                event_id,
                self.worker_id,
            )
        except SharedUnavailable as exc:
            self.db.report("processed-event memory", exc)  # the lease runs out instead


class CallbackState:
    """``--state postgresql://...``: the replay memory and processed-event memory.

    ``Callbacks(keys, shared_replay=state.replay, processed=state.processed)``;
    close it with :meth:`aclose`.
    """

    def __init__(self, url: str, *, lease: float = DEFAULT_LEASE, ttl: float = DEFAULT_TTL) -> None:
        self.db = SharedDatabase(url, name="lark-async-callbacks")
        self.replay = PostgresReplayStore(self.db)
        self.processed = PostgresProcessedStore(self.db, lease=lease, ttl=ttl)

    async def aclose(self) -> None:
        await self.db.aclose()


def callback_state(url: str, **options: float) -> CallbackState:
    """The callback memories in the PostgreSQL database at ``url`` (``?schema=`` honoured)."""
    return CallbackState(url, **options)
