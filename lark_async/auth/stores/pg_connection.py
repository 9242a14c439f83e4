"""Reaching PostgreSQL: URLs, schema names, redaction, the errors that mean "unreachable".

Shared by the token store and the migrations, which each import it (neither
imports the other at module level).
"""

from __future__ import annotations

import re
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lark_async.core.errors import ConfigError
from lark_async.core.extras import require

asyncpg = require("asyncpg", extra="postgres", feature="PostgreSQL stores")

_SCHEMES = ("postgresql", "postgres", "postgresql+asyncpg")
_SCHEMA_RE = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")

# Errors meaning "the database cannot be reached or used right now", as
# opposed to a bug or a misconfigured schema. All become StoreUnavailable.
CONNECTION_ERRORS: tuple[type[BaseException], ...] = (
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.InterfaceError,
    # The protocol got out of step, e.g. a FATAL arrived before the socket closed.
    asyncpg.exceptions.InternalClientError,
    asyncpg.exceptions.OperatorInterventionError,  # admin shutdown, starting up
    asyncpg.exceptions.InsufficientResourcesError,  # too many connections, disk full
    asyncpg.exceptions.InvalidAuthorizationSpecificationError,
    asyncpg.exceptions.InvalidCatalogNameError,  # database does not exist (yet)
)


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
        raise ConfigError(
            "not a valid PostgreSQL URL",
            hint="use postgresql://user:password@host:5432/database[?schema=name]",
        ) from None
    if parts.scheme not in _SCHEMES:
        raise ConfigError(
            f"not a PostgreSQL URL (scheme {parts.scheme!r})",
            hint="use postgresql://user:password@host:5432/database[?schema=name]",
        )
    query = parse_qsl(parts.query, keep_blank_values=True)
    schemas = [v for k, v in query if k == "schema"]
    rest = urlencode([(k, v) for k, v in query if k != "schema"])
    # asyncpg does not know the SQLAlchemy driver suffix.
    scheme = "postgresql" if parts.scheme == "postgresql+asyncpg" else parts.scheme
    dsn = urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment))
    return dsn, (validate_schema(schemas[-1]) if schemas else None)


def redact_dsn(dsn: str) -> str:
    """The DSN with any password replaced by ``***``, safe for messages and logs."""
    try:
        parts = urlsplit(dsn)
        netloc = parts.netloc
        if parts.password is not None:
            userinfo, _, hostinfo = netloc.rpartition("@")
            netloc = f"{userinfo.partition(':')[0]}:***@{hostinfo}"
        query = [
            (k, "***" if k.lower() == "password" else v)
            for k, v in parse_qsl(parts.query, keep_blank_values=True)
        ]
        return urlunsplit((parts.scheme, netloc, parts.path, urlencode(query), ""))
    except ValueError:
        return "<unparseable dsn>"
