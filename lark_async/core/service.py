"""How a service module (messaging, bitable, a user's own calendar …) plugs in.

A service subclasses :class:`Service`, gets an app-bound context with
``request()``, and describes itself with a :class:`ServiceInfo`: its name, its
class (a lazy "module:Class" string keeps imports cheap), its error codes, its
rate-limit families and which paths belong to them. The client gathers these
descriptions (``lark_async.services.catalog()``) and hands the code table and
families to the core; the service appears as ``lark.<name>`` and
``lark.app(app_id).<name>``, imported on first use.

The core knows no service by name: the registry here starts empty.
``lark_async.services`` adds the built-in ones, and users add theirs with
:func:`register_service`.
"""

from __future__ import annotations

import importlib
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, ClassVar, Protocol, TypeVar, overload

from lark_async.core.errors import CodeInfo, ServerError
from lark_async.core.ratelimit import LimitSpec, as_limits
from lark_async.core.response import LarkResponse

if TYPE_CHECKING:
    from pydantic import BaseModel

    from lark_async.core.clock import Clock
    from lark_async.core.transport import Download

M = TypeVar("M", bound="BaseModel")


class ServiceContext(Protocol):
    """What a service sees of the client: one app's request pipeline.

    Optional, outside the protocol (read it with ``getattr(ctx, "state_url",
    None)``): ``state_url``, the client's store URL (``token_store="sqlite:///..."``
    or ``"postgresql://..."``), for a service that keeps state next to the
    tokens; None when the tokens live in memory or in a store object.
    ``shared_slots``: a :class:`lark_async.core.options.SharedSlots` when the
    client shares write slots between processes (a PostgreSQL store), else None.
    """

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


FamilyOf = Callable[[str, str], str | None]
"""``family_of(method, path)``: a family for the paths it knows, else None."""


@dataclass(frozen=True, slots=True, eq=False)
class ServiceInfo:
    """What a service says about itself; cheap to import (data only).

    - ``name``: ``lark.<name>``; a public identifier.
    - ``service``: the :class:`Service` subclass, or a lazy "module:Class"
      string; None for a description of endpoints only (codes and limits).
    - ``codes``: the error codes of its API (``{code: CodeInfo(...)}``).
    - ``limits``: its rate-limit families, ``{family: Limit(...) | (rate, period)
      | [windows...]}``; a call must fit every window of its family.
    - ``prefixes``: ``(path_prefix, family)`` pairs; the longest prefix wins.
    - ``family_of``: for families that depend on the method too (reads and
      writes of one path): ``(method, path) -> family | None``; None lets the
      prefixes decide. It is asked before the prefixes.
    """

    name: str
    service: type[Service] | str | None = None
    codes: Mapping[int, CodeInfo] = field(default_factory=dict)
    limits: Mapping[str, LimitSpec] = field(default_factory=dict)
    prefixes: tuple[tuple[str, str], ...] = ()
    family_of: FamilyOf | None = None

    def __post_init__(self) -> None:
        if not self.name.isidentifier() or self.name.startswith("_"):
            raise ValueError(f"service name must be a public identifier, not {self.name!r}")
        if isinstance(self.service, str) and ":" not in self.service:
            raise ValueError(f"a lazy service is 'module:Class', not {self.service!r}")
        codes = dict(self.codes)
        for code, info in codes.items():
            if not isinstance(code, int) or not isinstance(info, CodeInfo):
                raise TypeError(f"{self.name}: codes map int to CodeInfo, not {code!r}: {info!r}")
        limits = {fam: as_limits(spec) for fam, spec in self.limits.items()}
        prefixes = tuple((str(prefix), str(fam)) for prefix, fam in self.prefixes)
        for prefix, _ in prefixes:
            if not prefix.startswith("/"):
                raise ValueError(f"{self.name}: a path prefix starts with '/', not {prefix!r}")
        # Frozen, and stored read-only: a description cannot be changed after the fact.
        object.__setattr__(self, "codes", MappingProxyType(codes))
        object.__setattr__(self, "limits", MappingProxyType(limits))
        object.__setattr__(self, "prefixes", prefixes)


def load_service_class(target: type[Service] | str) -> type[Service] | None:
    """The class itself, or ``module:Class`` imported; None if the module does not exist."""
    if not isinstance(target, str):
        return target
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
    return cls


_REGISTRY: dict[str, ServiceInfo] = {}
_CLASSES: dict[str, type[Service]] = {}


@overload
def register_service(name: ServiceInfo) -> ServiceInfo: ...


@overload
def register_service(name: str, service: type[Service] | str) -> ServiceInfo: ...


def register_service(
    name: str | ServiceInfo, service: type[Service] | str | None = None
) -> ServiceInfo:
    """Make a service available as ``lark.<name>``; returns its description.

    ``register_service(ServiceInfo(name, cls, codes=..., limits=..., prefixes=...))``
    also brings its error codes and rate-limit families to clients built
    afterwards. ``register_service(name, cls_or_"module:Class")`` registers the
    class alone. Registering a name again replaces the earlier entry.
    """
    if isinstance(name, ServiceInfo):
        if service is not None:
            raise TypeError("register_service(info) takes no second argument")
        info = name
    else:
        if service is None:
            raise TypeError("register_service(name, service): the service class is missing")
        info = ServiceInfo(name, service)
    if info.service is None:
        raise ValueError(f"{info.name}: a registered service needs its class")
    _REGISTRY[info.name] = info
    _CLASSES.pop(info.name, None)
    return info


def registered_services() -> Mapping[str, str | type[Service]]:
    """Name -> class or "module:Class" of every registered service."""
    return {name: info.service for name, info in _REGISTRY.items() if info.service is not None}


def registered_infos() -> tuple[ServiceInfo, ...]:
    """The descriptions of the registered services, in registration order."""
    return tuple(_REGISTRY.values())


def resolve_service(name: str) -> type[Service] | None:
    """The class for ``name``, importing it on first use; None if unknown."""
    cls = _CLASSES.get(name)
    if cls is not None:
        return cls
    info = _REGISTRY.get(name)
    if info is None or info.service is None:
        return None
    cls = load_service_class(info.service)
    if cls is not None:
        _CLASSES[name] = cls
    return cls
