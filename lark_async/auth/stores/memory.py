"""Tokens in a dict: the zero-set-up store for one process."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from lark_async.auth.models import StoredToken, TokenKind


class MemoryTokenStore:
    """Keeps tokens for the life of the process; nothing is shared or persisted.

    ``lock`` does nothing: with one process there is nobody to exclude beyond
    the token manager's own ``asyncio.Lock``. Several processes each using a
    memory store will each fetch their own tokens, which Feishu allows.
    """

    name = "memory"

    def __init__(self) -> None:
        self._tokens: dict[tuple[str, TokenKind], StoredToken] = {}

    async def get(self, app_id: str, kind: TokenKind) -> StoredToken | None:
        token = self._tokens.get((app_id, TokenKind(kind)))
        # A copy, so a caller mutating its token cannot change what is stored.
        return dataclasses.replace(token) if token is not None else None

    async def put(self, token: StoredToken) -> None:
        self._tokens[(token.app_id, TokenKind(token.kind))] = dataclasses.replace(token)

    async def delete(self, app_id: str, kind: TokenKind) -> None:
        self._tokens.pop((app_id, TokenKind(kind)), None)

    def lock(
        self, app_id: str, kind: TokenKind, timeout: float
    ) -> AbstractAsyncContextManager[None]:
        """A no-op: single process only (see the class docstring)."""
        return _no_lock()

    async def close(self) -> None:
        # Nothing to release; tokens stay usable if the store is shared.
        return None

    def __repr__(self) -> str:
        return f"MemoryTokenStore(<{len(self._tokens)} tokens>)"


@asynccontextmanager
async def _no_lock() -> AsyncIterator[None]:
    yield
