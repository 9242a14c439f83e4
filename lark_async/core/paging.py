"""A guard for ``page_token`` loops, so a faulty server cannot make one spin forever.

Every paged listing follows ``has_more`` / ``page_token``. If the server (or a proxy)
answers ``has_more: true`` with a token it already gave, or with no token at all, a
naive loop sends requests until the caller gives up. :class:`PageGuard` remembers
the tokens seen and turns either fault into a typed :class:`ServerError`.
"""

from __future__ import annotations

from collections import deque
from typing import Any

from lark_async.core.errors import ServerError
from lark_async.core.response import LarkResponse

# Tokens remembered per loop; bounded so a very long listing keeps constant memory.
REMEMBERED_TOKENS = 1024
_HINT = (
    "a server-side paging fault, not a fault of the call: the listing stopped "
    "incomplete rather than loop; report the log_id to Feishu"
)


def _shown(token: str) -> str:
    # a page token is an opaque cursor, not a credential; shortened all the same
    return repr(token if len(token) <= 40 else token[:37] + "...")


class PageGuard:
    """``token = guard.next_token(has_more, page_token, resp)`` after each page.

    Returns the token for the next page, or ``None`` when the listing is done;
    raises :class:`ServerError` (with the last page's request_id and log_id) when
    the server says ``has_more`` but repeats a token or gives none.
    """

    __slots__ = ("_order", "_seen", "pages", "what")

    def __init__(self, what: str) -> None:
        self.what = what
        self.pages = 0
        self._seen: set[str] = set()
        self._order: deque[str] = deque()

    def next_token(
        self, has_more: bool, token: str | None, resp: LarkResponse[Any] | None = None
    ) -> str | None:
        self.pages += 1
        if not has_more:
            return None
        n = self.pages
        pages = f"{n} page{'s' if n != 1 else ''}"
        if not token:
            raise self._fault(
                f"{self.what}: the server said has_more but gave no page_token after {pages}", resp
            )
        if token in self._seen:
            raise self._fault(
                f"{self.what}: the server repeated page token {_shown(token)} after {pages}", resp
            )
        self._seen.add(token)
        self._order.append(token)
        if len(self._order) > REMEMBERED_TOKENS:
            self._seen.discard(self._order.popleft())
        return token

    def _fault(self, message: str, resp: LarkResponse[Any] | None) -> ServerError:
        return ServerError(
            message,
            hint=_HINT,
            request_id=resp.request_id if resp is not None else None,
            log_id=resp.log_id if resp is not None else None,
            details={"pages": self.pages},
        )


__all__ = ["REMEMBERED_TOKENS", "PageGuard"]
