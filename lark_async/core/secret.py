"""A string that never shows itself in reprs, str() or logs."""

from __future__ import annotations


class Secret:
    """Wraps a secret value; ``get_secret_value()`` is the only way to read it.

    Compares by value (so a changed secret is noticed) without revealing it.
    Same reading method as pydantic's ``SecretStr``, without importing pydantic.
    """

    __slots__ = ("_value",)

    def __init__(self, value: str) -> None:
        if not isinstance(value, str):
            raise TypeError("Secret wraps a str")
        self._value = value

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
