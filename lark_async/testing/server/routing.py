"""Routes: path templates, route tables that modules contribute, and the router.

A template is a path whose ``{name}`` segments match one path segment each, e.g.
``/open-apis/im/v1/messages/{message_id}/reply``. The emulator does its own
matching (one catch-all aiohttp route) so routes can be added while it runs and
so unknown paths and wrong methods get Feishu's codes, not aiohttp's pages.
"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypeVar

from aiohttp import web

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark
    from lark_async.testing.server.request import FakeRequest

TokenKind = Literal["tenant", "user", "app"]
#: Token kinds an ordinary OpenAPI route accepts unless told otherwise.
DEFAULT_AUTH: frozenset[TokenKind] = frozenset({"tenant", "user"})
TENANT_ONLY: frozenset[TokenKind] = frozenset({"tenant"})
USER_ONLY: frozenset[TokenKind] = frozenset({"user"})

HandlerResult = Mapping[str, Any] | web.StreamResponse | None
Handler = Callable[["FakeRequest"], HandlerResult | Awaitable[HandlerResult]]
H = TypeVar("H", bound=Handler)
InstallHook = Callable[["FakeLark"], None]

_PARAM = re.compile(r"^\{([A-Za-z_][A-Za-z0-9_]*)\}$")


class PathPattern:
    """A compiled path template; literal segments rank above ``{param}`` ones."""

    __slots__ = ("names", "segments", "template")

    def __init__(self, template: str) -> None:
        if not template.startswith("/"):
            raise ValueError(f"path must start with '/': {template!r}")
        self.template = template
        parts = template.split("/")[1:]
        self.segments: tuple[str | None, ...] = tuple(None if _PARAM.match(p) else p for p in parts)
        self.names: tuple[str | None, ...] = tuple(
            m.group(1) if (m := _PARAM.match(p)) else None for p in parts
        )

    def match(self, path: str) -> dict[str, str] | None:
        parts = path.split("/")[1:]
        if not path.startswith("/") or len(parts) != len(self.segments):
            return None
        params: dict[str, str] = {}
        for part, literal, name in zip(parts, self.segments, self.names, strict=True):
            if literal is None:
                if not part:
                    return None
                params[name or ""] = part
            elif part != literal:
                return None
        return params

    def rank(self) -> tuple[int, ...]:
        """Sort key: lower is more specific (literal segments first, left to right)."""
        return tuple(0 if s is not None else 1 for s in self.segments)


class RouteSpec:
    """Selects requests by ``"METHOD /path"``, ``"/path"``, ``"METHOD *"`` or ``"*"``.

    A concrete path selects requests to exactly that path. A template (with
    ``{name}`` segments) selects requests to the route registered with the same
    template, whatever its parameter names; for requests that matched no route it
    is matched against the path.
    """

    __slots__ = ("method", "path", "pattern", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        parts = text.split()
        if len(parts) == 1:
            method, path = ("*", "*") if parts[0] == "*" else ("*", parts[0])
        elif len(parts) == 2:
            method, path = parts[0].upper(), parts[1]
        else:
            raise ValueError(f"route spec must be 'METHOD /path' or '*': {text!r}")
        self.method = method
        self.path = path
        self.pattern = None if path == "*" else PathPattern(path)

    def matches(self, method: str, path: str, template: str | None = None) -> bool:
        if self.method != "*" and self.method != method.upper():
            return False
        if self.pattern is None:
            return True
        if None not in self.pattern.segments:  # a concrete path: compare paths
            return self.pattern.template == path
        if template is not None:  # a template: select the route with that shape
            return self.pattern.segments == PathPattern(template).segments
        return self.pattern.match(path) is not None

    def __repr__(self) -> str:
        return f"RouteSpec({self.text!r})"


@dataclass(frozen=True)
class Route:
    """One endpoint: ``auth`` is the token kinds it accepts, None for no token."""

    method: str
    template: str
    handler: Handler
    family: str | None = None
    auth: frozenset[TokenKind] | None = DEFAULT_AUTH
    pattern: PathPattern = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "pattern", PathPattern(self.template))


_UNSET: Any = object()


class RouteTable:
    """The routes one emulator module contributes, plus hooks run at install time.

    A module creates one table, decorates its handlers, and the emulator installs
    it; ``family``/``auth`` given here are defaults for every route in the table.
    """

    def __init__(
        self,
        name: str,
        *,
        family: str | None = None,
        auth: frozenset[TokenKind] | None = DEFAULT_AUTH,
    ) -> None:
        self.name = name
        self.family = family
        self.auth = auth
        self._routes: list[Route] = []
        self._hooks: list[InstallHook] = []

    def route(
        self,
        method: str,
        path: str,
        *,
        family: str | None = _UNSET,
        auth: frozenset[TokenKind] | None = _UNSET,
    ) -> Callable[[H], H]:
        def register(handler: H) -> H:
            self._routes.append(
                Route(
                    method=method.upper(),
                    template=path,
                    handler=handler,
                    family=self.family if family is _UNSET else family,
                    auth=self.auth if auth is _UNSET else auth,
                )
            )
            return handler

        return register

    def get(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("GET", path, **options)

    def post(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("POST", path, **options)

    def put(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("PUT", path, **options)

    def patch(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("PATCH", path, **options)

    def delete(self, path: str, **options: Any) -> Callable[[H], H]:
        return self.route("DELETE", path, **options)

    def on_install(self, hook: InstallHook) -> InstallHook:
        """Register ``hook(fake)`` to run when the table is installed (e.g. to set limits)."""
        self._hooks.append(hook)
        return hook

    @property
    def hooks(self) -> tuple[InstallHook, ...]:
        return tuple(self._hooks)

    def __iter__(self) -> Iterator[Route]:
        return iter(tuple(self._routes))

    def __len__(self) -> int:
        return len(self._routes)

    def __repr__(self) -> str:
        return f"RouteTable({self.name!r}, routes={len(self._routes)})"


@dataclass(frozen=True)
class Resolution:
    """What the router found: a route and its params, or why there is none."""

    route: Route | None
    params: Mapping[str, str]
    method_mismatch: bool = False


class Router:
    """Holds routes keyed by (method, template); a later add replaces an earlier one."""

    def __init__(self) -> None:
        self._routes: dict[tuple[str, str], Route] = {}

    def add(self, route: Route) -> None:
        self._routes[(route.method, route.template)] = route

    def resolve(self, method: str, path: str) -> Resolution:
        best: tuple[tuple[int, ...], Route, dict[str, str]] | None = None
        path_known = False
        for route in self._routes.values():
            params = route.pattern.match(path)
            if params is None:
                continue
            path_known = True
            if route.method != method.upper():
                continue
            rank = route.pattern.rank()
            if best is None or rank < best[0]:
                best = (rank, route, params)
        if best is None:
            return Resolution(None, {}, method_mismatch=path_known)
        return Resolution(best[1], best[2])

    def __iter__(self) -> Iterator[Route]:
        return iter(tuple(self._routes.values()))

    def __len__(self) -> int:
        return len(self._routes)
