"""The token store contract every backend implements."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import Protocol

from lark_async.auth.models import StoredToken, TokenKind


class StoreUnavailable(Exception):
    """The backing database could not be reached; callers treat it as a miss."""


class LockTimeout(Exception):
    """The cross-process refresh lock was not obtained in time."""


class TokenStore(Protocol):
    """Where tokens live between calls and across processes.

    ``get`` returns ``None`` for a miss. A row that fails to decrypt or parse is
    deleted by the store and reported as a miss. Connection failures raise
    :class:`StoreUnavailable`. ``lock`` is the cross-process single-flight lock
    for one (app_id, kind); it raises :class:`LockTimeout` after ``timeout``
    seconds, or :class:`StoreUnavailable` when the store is down.
    """

    name: str

    async def get(self, app_id: str, kind: TokenKind) -> StoredToken | None: ...

    async def put(self, token: StoredToken) -> None: ...

    async def delete(self, app_id: str, kind: TokenKind) -> None: ...

    def lock(
        self, app_id: str, kind: TokenKind, timeout: float
    ) -> AbstractAsyncContextManager[None]: ...

    async def close(self) -> None: ...
