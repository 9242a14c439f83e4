"""Upsert's key index: which record holds each key value, found by a scan or by searches."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterable, Iterator
from typing import Any

from lark_async.bitable import checks
from lark_async.bitable.filters import F, Filter
from lark_async.bitable.models import Record, RecordPage
from lark_async.bitable.paging import Pages
from lark_async.bitable.rows import normalise_key
from lark_async.core.errors import LarkError
from lark_async.core.response import LarkResponse
from lark_async.core.service import parse_model

RequestFn = Callable[..., Awaitable[LarkResponse[dict[str, Any]]]]

# Feishu: at most 50 conditions and 2,000 characters per filter (Feishu Bitable docs);
# stay a little under both.
_KEYS_PER_SEARCH = 40
_FILTER_BUDGET = 1800


class KeyIndex:
    """Key value (normalised, see ``normalise_key``) → record_id, for one table and field.

    When the table already holds a key twice, the oldest record is the one kept.
    """

    def __init__(
        self, request: RequestFn, table_path: str, key: str, params: dict[str, Any]
    ) -> None:
        self._request = request
        self._path = f"{table_path}/records/search"
        self.key = key
        self._params = params
        self.ids: dict[str, str] = {}

    def get(self, key: str) -> str | None:
        return self.ids.get(key)

    def __contains__(self, key: object) -> bool:
        return key in self.ids

    def remember(self, key: str, record_id: str) -> None:
        self.ids[key] = record_id

    async def scan(self) -> LarkError | None:
        """Read the key column of the whole table (500 records a page)."""
        try:
            await self._add(self._pages(None))
        except LarkError as err:
            return err
        return None

    async def find(self, keys: Iterable[str]) -> LarkError | None:
        """Look ``keys`` up with OR-filters that fit Feishu's filter limits."""
        try:
            for batch in key_batches(self.key, keys):
                await self._add(self._pages(_any_of(self.key, batch)))
        except LarkError as err:
            return err
        return None

    async def _add(self, pages: Pages[Record]) -> None:
        async for record in pages:
            k = normalise_key(record.fields.get(self.key))
            if k is not None:
                self.ids.setdefault(k, record.record_id)

    def _pages(self, flt: Filter | None) -> Pages[Record]:
        return _search_pages(self._request, self._path, self.key, flt, self._params)


async def read_keys(
    request: RequestFn, table_path: str, key: str, keys: Iterable[str], params: dict[str, Any]
) -> dict[str, list[str]]:
    """Every record whose ``key`` field holds one of ``keys``: key -> record ids, in the
    order the search returns them. Raises the ``LarkError`` of a failed search."""
    found: dict[str, list[str]] = {}
    path = f"{table_path}/records/search"
    for batch in key_batches(key, keys):
        async for record in _search_pages(request, path, key, _any_of(key, batch), params):
            k = normalise_key(record.fields.get(key))
            if k is not None:
                found.setdefault(k, []).append(record.record_id)
    return found


def key_batches(key: str, keys: Iterable[str]) -> Iterator[list[str]]:
    """``keys`` in groups whose OR-filter fits Feishu's limits (conditions, characters)."""
    batch: list[str] = []
    for k in keys:
        batch.append(k)
        if len(batch) > _KEYS_PER_SEARCH or (
            len(batch) > 1 and _filter_chars(key, batch) > _FILTER_BUDGET
        ):
            last = batch.pop()
            yield batch
            batch = [last]
    if batch:
        yield batch


def _any_of(key: str, values: list[str]) -> Filter:
    return Filter.any(*(F(key).is_(v) for v in values))


def _search_pages(
    request: RequestFn, path: str, key: str, flt: Filter | None, extra: dict[str, Any]
) -> Pages[Record]:
    body: dict[str, Any] = {"field_names": [key]}
    if flt is not None:
        body["filter"] = flt.to_dict()

    async def fetch(token: str | None) -> Any:
        params = {"page_size": checks.MAX_PAGE_SIZE, "page_token": token, **extra}
        # search is a read sent as POST: safe to retry
        resp = await request("POST", path, params=params, json=body, idempotent=True)
        return parse_model(resp, RecordPage)

    return Pages(fetch, what=f"key search on {key!r}")


def _filter_chars(key: str, values: list[str]) -> int:
    flt = {
        "conjunction": "or",
        "conditions": [{"field_name": key, "operator": "is", "value": [v]} for v in values],
    }
    return len(json.dumps(flt, ensure_ascii=False, separators=(",", ":")))
