"""Packages whose names load on first use, so that importing them stays cheap.

    __getattr__, __dir__ = lazy_exports(__name__, {"Messaging": "lark_async.messaging.service"})

Type checkers see the names through ``if TYPE_CHECKING:`` imports in the package.
"""

from __future__ import annotations

import importlib
import sys
from collections.abc import Callable, Mapping
from typing import Any


def lazy_exports(
    module_name: str, table: Mapping[str, str]
) -> tuple[Callable[[str], Any], Callable[[], list[str]]]:
    """A module's ``__getattr__`` and ``__dir__`` for ``{name: "module.that.defines.it"}``."""
    namespace = sys.modules[module_name].__dict__

    def __getattr__(name: str) -> Any:
        source = table.get(name)
        if source is None:
            raise AttributeError(f"module {module_name!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        namespace[name] = value  # found without this hook from now on
        return value

    def __dir__() -> list[str]:
        return sorted({*namespace, *table})

    return __getattr__, __dir__
