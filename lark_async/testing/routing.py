"""A path earlier docs showed for route tables; they live in ``testing/server/routing.py``."""

from lark_async.testing.server.routing import (
    DEFAULT_AUTH,
    TENANT_ONLY,
    USER_ONLY,
    Handler,
    HandlerResult,
    InstallHook,
    PathPattern,
    Route,
    RouteSpec,
    RouteTable,
    TokenKind,
)

__all__ = [
    "DEFAULT_AUTH",
    "TENANT_ONLY",
    "USER_ONLY",
    "Handler",
    "HandlerResult",
    "InstallHook",
    "PathPattern",
    "Route",
    "RouteSpec",
    "RouteTable",
    "TokenKind",
]
