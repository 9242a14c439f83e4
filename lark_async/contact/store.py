"""Where the user cache lives: the :class:`CacheStore` protocol and the memory store.

A row is ``(app_id, key) -> (data, fetched_at)``: ``key`` names how the person
was looked up (``email:ann@example.com``, ``open_id:ou_...``), ``data`` is the
user as JSON text and ``fetched_at`` the clock time it came from Feishu. Rows
are per app because the same person has a different open_id in each app.

:func:`store_for` picks the store from the client's state URL: memory by
default, SQLite (``sqlite:///path``, the token store's file) or PostgreSQL
(``postgresql://...``, table ``lark_contact_users`` from the alembic migrations).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Protocol

from lark_async.core.state_url import state_store_kind

Row = tuple[str, float]  # (data as JSON text, fetched_at)


class CacheStore(Protocol):
    """Storage for cached user records; every method may raise on I/O failure."""

    name: str

    async def get_many(self, app_id: str, keys: Sequence[str]) -> dict[str, Row]:
        """The stored rows among ``keys`` (absent keys are left out)."""

    async def put_many(self, app_id: str, rows: Mapping[str, Row]) -> None:
        """Insert or replace ``rows`` in one write."""

    async def delete(self, app_id: str, keys: Iterable[str] | None = None) -> int:
        """Remove ``keys`` (every row of the app when None); how many went."""

    async def close(self) -> None: ...


class MemoryCacheStore:
    """Rows in a dict: one process, gone with it."""

    name = "memory"

    def __init__(self) -> None:
        self._rows: dict[tuple[str, str], Row] = {}

    async def get_many(self, app_id: str, keys: Sequence[str]) -> dict[str, Row]:
        rows = self._rows
        return {k: row for k in keys if (row := rows.get((app_id, k))) is not None}

    async def put_many(self, app_id: str, rows: Mapping[str, Row]) -> None:
        self._rows.update(((app_id, k), row) for k, row in rows.items())

    async def delete(self, app_id: str, keys: Iterable[str] | None = None) -> int:
        if keys is None:
            doomed = [k for k in self._rows if k[0] == app_id]
        else:
            doomed = [(app_id, k) for k in set(keys) if (app_id, k) in self._rows]
        for k in doomed:
            del self._rows[k]
        return len(doomed)

    async def close(self) -> None:
        return None

    def __len__(self) -> int:
        return len(self._rows)


def store_for(url: str | None) -> CacheStore:
    """The store a state URL names (None or ``memory``: in this process)."""
    kind, arg = state_store_kind(url, what="the contact cache")
    if kind == "memory":
        return MemoryCacheStore()
    if kind == "sqlite":
        from lark_async.contact.sqlite_store import SQLiteCacheStore

        return SQLiteCacheStore(arg)
    from lark_async.contact.pg_store import PostgresCacheStore

    return PostgresCacheStore.from_url(arg)
