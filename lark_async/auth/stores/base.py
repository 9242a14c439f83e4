"""The token store contract every backend implements."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

from lark_async.auth.models import StoredToken, TokenKind

if TYPE_CHECKING:
    from lark_async.auth.crypto import SecretBox


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

    A store may be used from several event loops one after another (each
    ``asyncio.run`` of a sync wrapper), so whatever is bound to a loop (a
    pool, a connection, an ``asyncio.Lock``) is kept per loop, for instance
    in a :class:`lark_async.core.perloop.PerLoop`. ``close`` releases what
    the running loop holds; the built-in stores reconnect if used again.
    """

    name: str

    async def get(self, app_id: str, kind: TokenKind) -> StoredToken | None: ...

    async def put(self, token: StoredToken) -> None: ...

    async def delete(self, app_id: str, kind: TokenKind) -> None: ...

    def lock(
        self, app_id: str, kind: TokenKind, timeout: float
    ) -> AbstractAsyncContextManager[None]: ...

    async def close(self) -> None: ...


def decode_row(
    box: SecretBox, app_id: str, kind: TokenKind, row: tuple[Any, ...]
) -> StoredToken | None:
    """A stored ``(value_enc, expires_at, lifetime, fetched_at)`` row, or None if unusable.

    Undecryptable or malformed rows come back as None; the store deletes them.
    """
    from lark_async.auth.crypto import DecryptError

    value_enc, expires_at, lifetime, fetched_at = row
    if not isinstance(value_enc, str):
        return None
    try:
        value = box.decrypt(value_enc)
        token = StoredToken(
            app_id=app_id,
            kind=kind,
            value=value,
            expires_at=float(expires_at),
            lifetime=float(lifetime),
            fetched_at=float(fetched_at),
        )
    except (DecryptError, TypeError, ValueError):
        return None
    return token if value else None
