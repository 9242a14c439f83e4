"""Optional packages: a feature whose extra is not installed says which one to install.

``pip install lark-async`` brings only what the embedded defaults need (aiohttp,
SQLite stores, the in-process queue, the emulator). PostgreSQL, RabbitMQ, the
command line and friends come from extras; every import of one of their packages
goes through :func:`require`, so a missing one is a :class:`ConfigError` that
names the extra, never a bare ``ModuleNotFoundError``::

    asyncpg = require("asyncpg", extra="postgres", feature="the PostgreSQL token store")
"""

from __future__ import annotations

import importlib
from types import ModuleType

from lark_async.core.errors import ConfigError

__all__ = ["EXTRAS", "install_hint", "require"]

# extra -> the packages it adds (import names), as declared in pyproject.toml.
EXTRAS: dict[str, tuple[str, ...]] = {
    "postgres": ("asyncpg", "alembic", "sqlalchemy"),
    "rabbitmq": ("aio_pika",),
    "cli": ("typer", "rich"),
    "fast": ("orjson", "uvloop"),
    "testing": ("pytest", "pytest_asyncio"),
    "fastapi": ("fastapi",),
    "otel": ("opentelemetry",),
}


def install_hint(extra: str) -> str:
    """The command that installs ``extra``."""
    return f"pip install 'lark-async[{extra}]'"


def require(module: str, *, extra: str, feature: str) -> ModuleType:
    """Import ``module``, or raise ConfigError naming the extra that provides it.

    ``feature`` completes "needed for ...": "PostgreSQL stores", "the lark-async
    command line".
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        # Only the package itself being absent is a missing extra; a broken
        # install (a failing import inside it) keeps its own error.
        top = module.partition(".")[0]
        if exc.name is None or exc.name.partition(".")[0] != top:
            raise
        raise ConfigError(
            f"the {top!r} package is not installed (needed for {feature})",
            hint=install_hint(extra),
            details={"extra": extra, "package": top},
        ) from None
