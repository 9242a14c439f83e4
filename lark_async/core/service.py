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

from lark_async.core.checks import bad_argument, check_has, check_str
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
        check_has(ctx, "ctx", ("request", "download"), "an app's context (lark.app(app_id))")
        self._ctx = ctx

    @property
    def app_id(self) -> str:
        return self._ctx.app_id

    async def aclose(self) -> None:
        """Release what this service opened (a store's connections).

        ``LarkClient.aclose()`` calls it for each service built; the default has
        nothing to release. A failure is logged and the client goes on closing.
        """

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
        name = check_str(self.name, "name", max_len=100)
        if not name.isidentifier() or name.startswith("_"):
            raise bad_argument("name", f"must be a public identifier, not {name[:40]!r}")
        _check_service(self.service, "service", optional=True)
        if not isinstance(self.codes, Mapping):
            raise bad_argument("codes", f"must be a mapping, not {type(self.codes).__name__}")
        codes = dict(self.codes)
        for code, info in codes.items():
            if (
                isinstance(code, bool)
                or not isinstance(code, int)
                or not isinstance(info, CodeInfo)
            ):
                raise bad_argument(
                    "codes",
                    f"of {name} must map int to CodeInfo, not "
                    f"{type(code).__name__}: {type(info).__name__}",
                )
        if not isinstance(self.limits, Mapping):
            raise bad_argument("limits", f"must be a mapping, not {type(self.limits).__name__}")
        limits = {}
        for fam, spec in self.limits.items():
            check_str(fam, "limits key", printable=True)
            limits[fam] = as_limits(spec, f"limits[{fam[:40]!r}]")
        if isinstance(self.prefixes, str) or not isinstance(self.prefixes, tuple | list):
            raise bad_argument(
                "prefixes",
                f"must be (path_prefix, family) pairs, not {type(self.prefixes).__name__}",
            )
        prefixes = []
        for pair in self.prefixes:
            if not isinstance(pair, tuple | list) or len(pair) != 2:
                raise bad_argument("prefixes", "must be (path_prefix, family) pairs")
            prefix = check_str(pair[0], "prefixes", printable=True)
            family = check_str(pair[1], "prefixes family", printable=True)
            if not prefix.startswith("/"):
                raise bad_argument(
                    "prefixes", f"of {name}: a path prefix starts with '/', not {prefix[:40]!r}"
                )
            prefixes.append((prefix, family))
        if self.family_of is not None and not callable(self.family_of):
            raise bad_argument(
                "family_of", f"must be callable, not {type(self.family_of).__name__}"
            )
        # Frozen, and stored read-only: a description cannot be changed after the fact.
        object.__setattr__(self, "codes", MappingProxyType(codes))
        object.__setattr__(self, "limits", MappingProxyType(limits))
        object.__setattr__(self, "prefixes", tuple(prefixes))


def _check_service(service: object, name: str, *, optional: bool = False) -> None:
    """A Service subclass, or a lazy ``"module:Class"`` string."""
    if service is None and optional:
        return
    if isinstance(service, str):
        check_str(service, name, printable=True)
        module, _, attr = service.partition(":")
        if not module or not attr:
            raise bad_argument(name, f"as a lazy service is 'module:Class', not {service[:80]!r}")
        return
    if not (isinstance(service, type) and issubclass(service, Service)):
        raise bad_argument(
            name, f"must be a Service subclass or 'module:Class', not {type(service).__name__}"
        )


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
            raise bad_argument("service", "must not be given with a ServiceInfo (it holds it)")
        info = name
    else:
        if service is None:
            raise bad_argument("service", "is missing: register_service(name, service)")
        info = ServiceInfo(name, service)
    if info.service is None:
        raise bad_argument("service", f"of {info.name} is missing: a registered service needs it")
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
