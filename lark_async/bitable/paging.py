"""Async iteration over ``page_token``-paged endpoints, one page in memory at a time.

Iteration cannot return a ``LarkResponse``, so a failed page raises its typed
``LarkError`` (with request_id and hint). A server that says ``has_more`` but
gives no ``page_token``, or hands back a token it already gave, would make a
naive loop spin forever or repeat rows; both raise a ``ServerError`` instead
(``lark_async.core.paging.PageGuard``).
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from lark_async.core.paging import PageGuard
from lark_async.core.response import LarkResponse

T = TypeVar("T")
T_co = TypeVar("T_co", covariant=True)


class PageData(Protocol[T_co]):
    @property
    def items(self) -> Sequence[T_co]: ...

    @property
    def has_more(self) -> bool: ...

    @property
    def page_token(self) -> str | None: ...

    @property
    def total(self) -> int | None: ...


@dataclass(slots=True)
class Page(Generic[T]):
    """One page: its items, whether more follow, and the response it came in."""

    items: list[T]
    has_more: bool
    page_token: str | None
    total: int | None
    request_id: str
    number: int = 0


# Returns a response whose data has ``items``, ``has_more``, ``page_token``, ``total``
# (see PageData); typed loosely because LarkResponse is invariant in its data type.
FetchPage = Callable[[str | None], Awaitable[LarkResponse[Any]]]


@dataclass
class Pages(Generic[T]):
    """``async for item in pages`` follows ``page_token`` to the end (or ``max_items``).

    ``pages.by_page()`` yields whole pages instead; ``await pages.to_list()`` collects
    (use it only for results you know are small).
    """

    fetch: FetchPage
    max_items: int | None = None
    what: str = "bitable listing"  # names the listing in a paging fault's message

    def __aiter__(self) -> AsyncIterator[T]:
        return self._items()

    async def _items(self) -> AsyncIterator[T]:
        left = self.max_items
        async for page in self.by_page():
            for item in page.items:
                if left is not None:
                    if left <= 0:
                        return
                    left -= 1
                yield item
            if left is not None and left <= 0:
                return

    async def by_page(self) -> AsyncIterator[Page[T]]:
        """Each page in turn; raises the page's ``LarkError`` if one fails."""
        token: str | None = None
        guard = PageGuard(self.what)
        while True:
            resp = await self.fetch(token)
            data: PageData[T] = resp.unwrap()
            next_token = data.page_token or None
            yield Page(
                list(data.items),
                data.has_more,
                next_token,
                data.total,
                resp.request_id,
                guard.pages + 1,
            )
            token = guard.next_token(data.has_more, next_token, resp)
            if token is None:
                return

    async def to_list(self) -> list[T]:
        return [item async for item in self]

    async def first(self) -> T | None:
        async for item in self:
            return item
        return None
