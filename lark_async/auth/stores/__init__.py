"""Token stores: where access tokens live between calls and across processes.

``store_from_url`` turns a setting such as ``LARK_ASYNC_TOKEN_STORE`` into a store:

* ``memory``: this process only;
* ``sqlite:///relative/path.db`` or ``sqlite:////absolute/path.db``: one host;
* ``postgresql://user:pass@host:5432/db[?schema=name]`` (or ``postgres://``):
  every process on every host.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from lark_async.auth.stores.base import (
    LockTimeout,
    StoreMisconfigured,
    StoreUnavailable,
    TokenStore,
)
from lark_async.auth.stores.memory import MemoryTokenStore
from lark_async.core.checks import check_has, check_text
from lark_async.core.errors import ConfigError
from lark_async.core.state_url import POSTGRES_SCHEMES, SQLITE_PREFIX

if TYPE_CHECKING:
    from lark_async.auth.crypto import SecretBox
    from lark_async.auth.stores.postgres import PostgresTokenStore
    from lark_async.auth.stores.sqlite import SQLiteTokenStore

SECRET_KEY_ENV = "LARK_ASYNC_SECRET_KEY"

# The persistent stores (and asyncpg / aiosqlite / cryptography) load only when used.
_LAZY = {
    "PostgresTokenStore": "lark_async.auth.stores.postgres",
    "SQLiteTokenStore": "lark_async.auth.stores.sqlite",
}


def __getattr__(name: str) -> Any:
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    import importlib

    return getattr(importlib.import_module(module), name)


__all__ = [
    "LockTimeout",
    "MemoryTokenStore",
    "PostgresTokenStore",
    "SQLiteTokenStore",
    "StoreMisconfigured",
    "StoreUnavailable",
    "TokenStore",
    "store_from_url",
]

_ACCEPTED = (
    "memory | sqlite:///relative/path.db | sqlite:////absolute/path.db | "
    "postgresql://user:password@host:5432/database[?schema=name]"
)


def store_from_url(url: str, box: SecretBox | None) -> TokenStore:
    """Build the store ``url`` names; persistent stores need ``box`` to encrypt tokens.

    A bad URL or a missing key is a ``ConfigError`` naming ``token_store`` (the
    setting this URL comes from: ``token_store=`` / ``LARK_ASYNC_TOKEN_STORE``).
    """
    text = check_text(url, "token_store", error=ConfigError).strip()
    if box is not None:
        check_has(box, "box", ("encrypt", "decrypt"), "a SecretBox", error=ConfigError)
    try:
        return _build(text, box)
    except ConfigError as exc:
        raise ConfigError(
            f"token_store: {exc.message}", hint=exc.hint, details={"argument": "token_store"}
        ) from None


def _build(text: str, box: SecretBox | None) -> TokenStore:
    scheme = text.partition(":")[0].lower()
    if scheme == "memory":
        return MemoryTokenStore()
    if scheme == "sqlite":
        if not text.startswith(SQLITE_PREFIX) or len(text) == len(SQLITE_PREFIX):
            raise ConfigError(
                "a SQLite token store URL needs a file path",
                hint="use sqlite:///relative/path.db or sqlite:////absolute/path.db",
            )
        from lark_async.auth.stores.sqlite import SQLiteTokenStore

        # Everything after the third slash is the path; a fourth makes it absolute.
        return SQLiteTokenStore(text[len(SQLITE_PREFIX) :], _require_box(box, "sqlite"))
    if scheme in POSTGRES_SCHEMES:
        from lark_async.auth.stores.postgres import PostgresTokenStore, parse_postgres_url

        dsn, schema = parse_postgres_url(text)
        return PostgresTokenStore(dsn, _require_box(box, "postgres"), schema=schema or "public")
    # Only the scheme is echoed: the rest may hold a password.
    raise ConfigError(
        f"unknown token store {scheme[:20]!r}",
        hint=f"use one of: {_ACCEPTED}",
    )


def _require_box(box: SecretBox | None, name: str) -> SecretBox:
    if box is None:
        raise ConfigError(
            f"the {name} token store encrypts tokens at rest and needs a key",
            hint=f"set {SECRET_KEY_ENV} to a Fernet key (make one with: lark-async keygen)",
        )
    return box
