"""How a service module (messaging, bitable, a user's own calendar …) plugs in.

A service subclasses :class:`Service`, gets an app-bound context with
``request()``, and is registered under a name; it then appears as
``lark.<name>`` and ``lark.app(app_id).<name>``, imported on first use.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar

from lark_async.core.clock import Clock
from lark_async.core.errors import ServerError
from lark_async.core.response import LarkResponse
from lark_async.core.transport import Download

if TYPE_CHECKING:
    from pydantic import BaseModel

M = TypeVar("M", bound="BaseModel")


class ServiceContext(Protocol):
    """What a service sees of the client: one app's request pipeline."""

    @property
    def app_id(self) -> str: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def request(self) -> Callable[..., Awaitable[LarkResponse[dict[str, Any]]]]:
        """``request(method, path, **kwargs)`` as on ``AppClient.request``."""

    @property
    def download(self) -> Callable[..., Awaitable[LarkResponse[Download]]]:
        """``download(method, path, dest, **kwargs)`` as on ``AppClient.download``."""


class Service:
    """Base class of service modules."""

    name: ClassVar[str] = ""

    def __init__(self, ctx: ServiceContext) -> None:
        self._ctx = ctx

    @property
    def app_id(self) -> str:
        return self._ctx.app_id

    async def _request(self, method: str, path: str, **kwargs: Any) -> LarkResponse[dict[str, Any]]:
        return await self._ctx.request(method, path, **kwargs)

    async def _call(self, model: type[M], method: str, path: str, **kwargs: Any) -> LarkResponse[M]:
        """Request and parse ``data`` into ``model``."""
        return parse_model(await self._request(method, path, **kwargs), model)


def parse_model(resp: LarkResponse[dict[str, Any]], model: type[M]) -> LarkResponse[M]:
    """Typed view of a response; a body that does not fit becomes a Server error."""
    from pydantic import ValidationError

    if not resp.ok:
        return resp.with_data(None)
    try:
        return resp.with_data(model.model_validate(resp.data or {}))
    except ValidationError as exc:
        err = ServerError(
            f"unexpected answer shape for {model.__name__}: {exc.error_count()} field error(s)",
            request_id=resp.request_id,
            log_id=resp.log_id,
            hint="Feishu changed the response format, or the endpoint is not the one expected",
        )
        return LarkResponse.failure(err, request_id=resp.request_id, attempts=resp.attempts)


_REGISTRY: dict[str, str | type[Service]] = {
    "messaging": "lark_async.messaging:Messaging",
    "bitable": "lark_async.bitable:Bitable",
    "sheets": "lark_async.sheets:Sheets",
    "docs": "lark_async.docs:Docs",
    "contact": "lark_async.contact:Contact",
    "apaas": "lark_async.apaas:APaaS",
}


def register_service(name: str, service: type[Service] | str) -> None:
    """Make ``service`` available as ``lark.<name>``.

    ``service`` is a class or a lazy "module:Class" string.
    """
    if not name.isidentifier() or name.startswith("_"):
        raise ValueError(f"service name must be a public identifier, not {name!r}")
    _REGISTRY[name] = service


def registered_services() -> Mapping[str, str | type[Service]]:
    return dict(_REGISTRY)


def resolve_service(name: str) -> type[Service] | None:
    """The class for ``name``, importing it on first use; None if unknown."""
    target = _REGISTRY.get(name)
    if target is None:
        return None
    if isinstance(target, str):
        module_name, _, attr = target.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ModuleNotFoundError as exc:
            if exc.name != module_name:
                raise
            return None
        cls = getattr(module, attr)
        if not (isinstance(cls, type) and issubclass(cls, Service)):
            raise TypeError(f"{target} is not a Service subclass")
        _REGISTRY[name] = cls
        return cls
    return target
