"""The token store contract every backend implements."""

from __future__ import annotations

import math
from contextlib import AbstractAsyncContextManager
from typing import TYPE_CHECKING, Any, Protocol

from lark_async.auth.models import StoredToken, TokenKind
from lark_async.core.checks import check_has
from lark_async.core.errors import ConfigError

if TYPE_CHECKING:
    from lark_async.auth.crypto import SecretBox


class StoreUnavailable(Exception):
    """The store failed: unreachable, read-only, refused, timed out, whatever the cause.

    Every backend failure of a built-in store is raised as this (or a
    subclass), never as the driver's own exception. The token manager treats
    it as a miss for tenant and app tokens.
    """


class StoreMisconfigured(StoreUnavailable, ConfigError):
    """The store is reachable but not set up for us: missing table, no privileges.

    A :class:`StoreUnavailable` (the token manager treats it as a miss and logs
    it) and a :class:`~lark_async.core.errors.ConfigError` (its hint says what
    to run), for code that uses a store directly.
    """


class LockTimeout(Exception):
    """The cross-process refresh lock was not obtained in time."""


class TokenStore(Protocol):
    """Where tokens live between calls and across processes.

    ``get`` returns ``None`` for a miss. A row that fails to decrypt or parse,
    or whose times are not finite numbers, is deleted by the store and
    reported as a miss. Every failure of the backend (connection, read-only
    database, permissions, missing table, timeout) raises
    :class:`StoreUnavailable`, never the driver's exception. ``lock`` is the
    cross-process single-flight lock for one (app_id, kind); it raises
    :class:`LockTimeout` after ``timeout`` seconds, or :class:`StoreUnavailable`
    when the store is down.

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
    So do rows whose times are NaN or infinite: such a token would never expire.
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
    times = (token.expires_at, token.lifetime, token.fetched_at)
    if not value or not all(math.isfinite(t) for t in times):
        return None
    return token


def check_box(box: object, name: str = "box") -> None:
    """A persistent store's ``SecretBox`` (or anything that encrypts and decrypts)."""
    check_has(box, name, ("encrypt", "decrypt"), "a SecretBox", error=ConfigError)
