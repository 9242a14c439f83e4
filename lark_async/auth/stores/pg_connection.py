"""Reaching PostgreSQL: URLs, schema names, redaction, the errors that mean "unreachable".

Shared by the token store and the migrations, which each import it (neither
imports the other at module level).
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from lark_async.core.extras import require
from lark_async.core.state_url import parse_postgres_url, validate_schema

asyncpg = require("asyncpg", extra="postgres", feature="PostgreSQL stores")

# Read in core (lark_async.core.state_url), one reading for every store; kept here
# under their old names for the token store and the migrations.
__all__ = ["CONNECTION_ERRORS", "parse_postgres_url", "redact_dsn", "validate_schema"]


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
