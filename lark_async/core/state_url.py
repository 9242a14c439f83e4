"""State URLs: ``memory``, ``sqlite:///path.db``, ``postgresql://...[?schema=name]``.

One reading of them for every part that keeps state next to the tokens (the
token stores and migrations, the shared state, the contact cache, the aPaaS
execution records), so a URL means the same everywhere. Pure parsing: nothing
here imports a database driver.
"""

from __future__ import annotations

import re
from typing import Literal
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lark_async.core.errors import ConfigError

POSTGRES_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")
SQLITE_PREFIX = "sqlite:///"
_SCHEMA_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_URL_HINT = "use postgresql://user:password@host:5432/database[?schema=name]"


def is_postgres_url(url: object) -> bool:
    return isinstance(url, str) and urlsplit(url).scheme in POSTGRES_SCHEMES


def validate_schema(schema: str) -> str:
    """Schema names are spliced into SQL, so only plain identifiers are accepted."""
    if not isinstance(schema, str) or not _SCHEMA_RE.fullmatch(schema):
        shown = repr(schema[:70]) if isinstance(schema, str) else type(schema).__name__
        raise ConfigError(
            f"invalid PostgreSQL schema name {shown}",
            hint="use letters, digits and underscores (at most 63), not starting with a digit",
        )
    return schema


def parse_postgres_url(url: str) -> tuple[str, str | None]:
    """Split an optional ``?schema=NAME`` off a PostgreSQL URL: ``(dsn, schema)``."""
    try:
        parts = urlsplit(url)
    except ValueError:  # e.g. an unbalanced "[" of an IPv6 host; the URL may hold a password
        raise ConfigError("not a valid PostgreSQL URL", hint=_URL_HINT) from None
    if parts.scheme not in POSTGRES_SCHEMES:
        raise ConfigError(f"not a PostgreSQL URL (scheme {parts.scheme!r})", hint=_URL_HINT)
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    # asyncpg does not know the SQLAlchemy driver suffix.
    scheme = "postgresql" if parts.scheme == "postgresql+asyncpg" else parts.scheme
    dsn = urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment))
    return dsn, (validate_schema(schemas[-1]) if schemas else None)


def split_postgres_url(url: str) -> tuple[str, str]:
    """``(dsn, schema)`` from ``postgresql://...[?schema=name]``; the schema defaults to public."""
    dsn, schema = parse_postgres_url(url)
    return dsn, schema or "public"


StateKind = Literal["memory", "sqlite", "postgres"]


def state_store_kind(url: str | None, *, what: str) -> tuple[StateKind, str]:
    """Which store a state URL names, and its argument (a file path, or the URL).

    ``what`` names the state in the error for an unknown scheme ("the contact cache").
    """
    text = (url or "memory").strip()
    scheme = text.partition(":")[0].lower()
    if scheme == "memory":
        return "memory", ""
    if scheme == "sqlite":
        if not text.startswith(SQLITE_PREFIX) or len(text) == len(SQLITE_PREFIX):
            raise ConfigError(
                "a SQLite state URL needs a file path",
                hint="use sqlite:///relative/path.db or sqlite:////absolute/path.db",
            )
        return "sqlite", text[len(SQLITE_PREFIX) :]
    if scheme in POSTGRES_SCHEMES:
        return "postgres", text
    raise ConfigError(
        f"unknown state store {scheme[:20]!r} for {what}",
        hint="use memory, sqlite:///path.db or postgresql://user:password@host/db",
    )
