"""The built-in services, and the catalogue a client is built from.

Each service describes itself in a small data module (``lark_async/<service>/meta.py``,
a :class:`~lark_async.core.service.ServiceInfo`); :func:`catalog` gathers them,
with the services users registered, into what the core needs: one code table,
the rate-limit families and the function that maps a request to its family.
Reading the descriptions imports no service: a service's modules load on its
first use (``lark.messaging``).

Importing this module also registers the built-in services' classes (unless the
user registered a service under the same name first), so
``lark_async.core.service.resolve_service("messaging")`` finds them.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable, Mapping
from functools import cache
from types import MappingProxyType

from lark_async.core.codes import CORE_CODES, CodeTable
from lark_async.core.ratelimit import DEFAULT_FAMILY, DEFAULT_LIMITS, Limit, as_limits
from lark_async.core.service import (
    FamilyOf,
    Service,
    ServiceInfo,
    load_service_class,
    register_service,
    registered_infos,
    registered_services,
    resolve_service,
)

__all__ = ["BUILTIN_SERVICES", "ServiceCatalog", "builtin_infos", "catalog"]

#: Name -> "module:ATTRIBUTE" of each built-in description. Endpoints whose
#: services are not built yet are described in lark_async.endpoints.
BUILTIN_SERVICES: Mapping[str, str] = MappingProxyType(
    {
        "messaging": "lark_async.messaging.meta:INFO",
        "bitable": "lark_async.bitable.meta:INFO",
        "sheets": "lark_async.sheets.meta:INFO",
        "docs": "lark_async.docs.meta:INFO",
        "contact": "lark_async.contact.meta:INFO",
        "auth": "lark_async.endpoints:AUTH",
        "apaas": "lark_async.apaas.meta:INFO",
    }
)

_FAMILY_CACHE_SIZE = 4096


@cache
def builtin_infos() -> tuple[ServiceInfo, ...]:
    """The built-in descriptions, in :data:`BUILTIN_SERVICES` order."""
    infos = []
    for name, target in BUILTIN_SERVICES.items():
        module_name, _, attr = target.partition(":")
        info = getattr(importlib.import_module(module_name), attr)
        if not isinstance(info, ServiceInfo) or info.name != name:
            raise TypeError(f"{target} is not the ServiceInfo of {name!r}")
        infos.append(info)
    return tuple(infos)


class ServiceCatalog:
    """What a client needs to know about its services, gathered once.

    - ``codes``: the core's codes and every service's (a later description wins
      on a shared code: users' over built-ins').
    - ``limits``: family -> windows, ``default`` included.
    - ``family_of(method, path)``: the family of a request: first a service's
      own ``family_of`` (for method-dependent cases), else the longest path
      prefix, else ``default``.
    - ``service_class(name)``: the class of ``lark.<name>``, imported on first use.
    """

    def __init__(self, infos: Iterable[ServiceInfo], *, extra: Iterable[ServiceInfo] = ()) -> None:
        self._extra = {info.name: info for info in extra}
        self.infos: tuple[ServiceInfo, ...] = (*infos, *self._extra.values())
        self.codes: CodeTable = CORE_CODES.merged(*(info.codes for info in self.infos))
        limits: dict[str, tuple[Limit, ...]] = dict(DEFAULT_LIMITS)
        prefixes: dict[str, str] = {}
        for info in self.infos:
            limits.update((fam, as_limits(spec)) for fam, spec in info.limits.items())
            prefixes.update(info.prefixes)
        self.limits: Mapping[str, tuple[Limit, ...]] = MappingProxyType(limits)
        # Longest prefix first; on the same prefix the later description has won above.
        self._prefixes = sorted(prefixes.items(), key=lambda item: len(item[0]), reverse=True)
        # A later description is asked first, so a user's service can claim paths.
        self._deciders: tuple[FamilyOf, ...] = tuple(
            info.family_of for info in reversed(self.infos) if info.family_of is not None
        )
        self._families: dict[tuple[str, str], str] = {}
        self._classes: dict[str, type[Service]] = {}

    def __repr__(self) -> str:
        names = ", ".join(dict.fromkeys(info.name for info in self.infos))
        return f"ServiceCatalog({names}; {len(self.codes)} codes, {len(self.limits)} families)"

    def info(self, name: str) -> ServiceInfo | None:
        """The last description named ``name``."""
        for info in reversed(self.infos):
            if info.name == name:
                return info
        return None

    def family_of(self, method: str, path: str) -> str:
        """The rate-limit family of a request."""
        key = (method, path)
        family = self._families.get(key)
        if family is None:
            family = self._decide(method, path)
            if len(self._families) >= _FAMILY_CACHE_SIZE:
                self._families.clear()  # paths carry ids: keep the memo bounded
            self._families[key] = family
        return family

    def _decide(self, method: str, path: str) -> str:
        for decide in self._deciders:
            family = decide(method, path)
            if family is not None:
                return family
        for prefix, family in self._prefixes:
            if path.startswith(prefix):
                return family
        return DEFAULT_FAMILY

    def service_class(self, name: str) -> type[Service] | None:
        """The class for ``lark.<name>``, imported on first use; None if unknown.

        A description passed to :func:`catalog` comes first, then the registry
        (which is live: a service registered after the catalogue was made is
        found too, and a user's registration replaces a built-in name).
        """
        cls = self._classes.get(name)
        if cls is not None:
            return cls
        extra = self._extra.get(name)
        if extra is not None and extra.service is not None:
            cls = load_service_class(extra.service)
        else:
            cls = resolve_service(name)
            if cls is None:
                info = self.info(name)
                if info is not None and info.service is not None:
                    cls = load_service_class(info.service)
        if cls is not None:
            self._classes[name] = cls
        return cls


def catalog(extra: Iterable[ServiceInfo] = ()) -> ServiceCatalog:
    """The built-in services, the registered ones and ``extra``, in that order.

    Codes, limits and families are read now: register a service before the
    client that should know its codes is made.
    """
    builtins = builtin_infos()
    registered = [info for info in registered_infos() if info not in builtins]
    return ServiceCatalog((*builtins, *registered), extra=extra)


def _register_builtins() -> None:
    taken = registered_services()
    for info in builtin_infos():
        if info.service is not None and info.name not in taken:
            register_service(info)


_register_builtins()
