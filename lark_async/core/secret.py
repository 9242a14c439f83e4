"""A string that never shows itself in reprs, str() or logs, nor in a pickle."""

from __future__ import annotations

from typing import Any, NoReturn

from lark_async.core.checks import check_text
from lark_async.core.errors import ConfigError


class SecretNotPicklable(ConfigError, TypeError):
    """Pickling would write the secret in plain text; it is refused.

    A ``TypeError`` too, which is what pickle raises for any unpicklable object.
    """


class Secret:
    """Wraps a secret value; ``get_secret_value()`` is the only way to read it.

    Compares by value (so a changed secret is noticed) without revealing it.
    Same reading method as pydantic's ``SecretStr``, without importing pydantic.

    It cannot be pickled, so neither can anything holding one (``AppConfig``):
    a pickle is plain text in a queue, a cache or a file. Give another process
    what it needs to load the secret itself (the registry path and
    ``LARK_ASYNC_SECRET_KEY``, or the environment). Copies are the same object,
    since a secret is immutable.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        self._value = check_text(value, "Secret value")

    def get_secret_value(self) -> str:
        return self._value

    def __bool__(self) -> bool:
        return bool(self._value)

    def __len__(self) -> int:
        return len(self._value)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(("lark_async.Secret", self._value))

    def __repr__(self) -> str:
        return "Secret('**********')"

    def __str__(self) -> str:
        return "**********"

    # -- never serialised -----------------------------------------------------
    def __reduce_ex__(self, protocol: Any) -> NoReturn:
        raise _refuse_pickle()

    def __reduce__(self) -> NoReturn:
        raise _refuse_pickle()

    def __getstate__(self) -> NoReturn:
        raise _refuse_pickle()

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> Secret:
        return self


def _refuse_pickle() -> SecretNotPicklable:
    return SecretNotPicklable(
        "a Secret cannot be pickled: the pickle would hold it in plain text",
        hint="let the other process load it (registry + LARK_ASYNC_SECRET_KEY, or its env)",
    )
