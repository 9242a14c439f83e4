"""The route modules every FakeLark installs unless given ``modules=``.

A new emulator package or module (IM, Bitable, ...) exposes ``routes =
RouteTable(...)`` and adds its import path here.
"""

from __future__ import annotations

import importlib

from lark_async.testing.server.routing import RouteTable

BUILTIN_MODULES: tuple[str, ...] = (
    "lark_async.testing.server.auth",
    "lark_async.testing.server.scratch",
    "lark_async.testing.callbacks",
    "lark_async.testing.callbacks.longconn",
    "lark_async.testing.im",
    "lark_async.testing.bitable",
    "lark_async.testing.sheets",
    "lark_async.testing.docs",
    "lark_async.testing.contact",
    "lark_async.testing.oauth",
    "lark_async.testing.apaas",
)


def builtin_tables() -> list[RouteTable]:
    """The ``routes`` table of each built-in module, imported on demand."""
    tables: list[RouteTable] = []
    for name in BUILTIN_MODULES:
        table = getattr(importlib.import_module(name), "routes", None)
        if not isinstance(table, RouteTable):
            raise TypeError(f"{name} must define `routes = RouteTable(...)`")
        tables.append(table)
    return tables
