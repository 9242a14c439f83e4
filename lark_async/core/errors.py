"""Typed errors, and what one Feishu code means (:class:`CodeInfo`).

Every failure a caller can see is a :class:`LarkError` with a semantic ``kind``,
``retryable`` and a ``hint`` saying what to do. The tables that map codes to
:class:`CodeInfo` are in :mod:`lark_async.core.codes`; ``classify``,
``build_error``, ``CODE_TABLE``, ``TOKEN_INVALID_CODES`` and
``BAD_CREDENTIAL_CODES`` are still importable from here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # moved to lark_async.core.codes; re-exported lazily below
    from lark_async.core.codes import BAD_CREDENTIAL_CODES as BAD_CREDENTIAL_CODES  # noqa: PLC0414
    from lark_async.core.codes import CODE_TABLE as CODE_TABLE  # noqa: PLC0414
    from lark_async.core.codes import TOKEN_INVALID_CODES as TOKEN_INVALID_CODES  # noqa: PLC0414
    from lark_async.core.codes import build_error as build_error  # noqa: PLC0414
    from lark_async.core.codes import classify as classify  # noqa: PLC0414


class ErrorKind(StrEnum):
    TOKEN_INVALID = "TokenInvalid"
    RATE_LIMITED = "RateLimited"
    INVALID_PARAMETER = "InvalidParameter"
    PERMISSION_DENIED = "PermissionDenied"
    NOT_FOUND = "NotFound"
    CONFLICT = "Conflict"
    QUOTA_EXCEEDED = "QuotaExceeded"
    CONFIG_ERROR = "ConfigError"
    TIMEOUT = "Timeout"
    NETWORK = "Network"
    SERVER = "Server"
    UNKNOWN = "Unknown"


class LarkError(Exception):
    """Base of every error this library returns or raises.

    ``str(err)`` is safe to log: it never contains a secret or a token.
    """

    default_kind: ErrorKind = ErrorKind.UNKNOWN

    def __init__(
        self,
        message: str,
        *,
        kind: ErrorKind | None = None,
        code: int | None = None,
        retryable: bool = False,
        hint: str | None = None,
        http_status: int | None = None,
        request_id: str | None = None,
        log_id: str | None = None,
        permission_violations: Sequence[Mapping[str, Any]] = (),
        field_violations: Sequence[Mapping[str, Any]] = (),
        troubleshooter: str | None = None,
        details: Mapping[str, Any] | None = None,
        idempotency_key: str | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.kind = kind or self.default_kind
        self.code = code
        self.retryable = retryable
        self.hint = hint
        self.http_status = http_status
        self.request_id = request_id
        self.log_id = log_id
        self.permission_violations = [dict(p) for p in permission_violations]
        self.field_violations = [dict(f) for f in field_violations]
        self.troubleshooter = troubleshooter
        self.details: dict[str, Any] = dict(details or {})
        # The key a keyed write was sent with (generated or given): retry with it.
        self.idempotency_key = idempotency_key

    @property
    def missing_scopes(self) -> list[str]:
        """Scopes named by ``permission_violations`` (app scopes or user grants)."""
        return [str(p["subject"]) for p in self.permission_violations if p.get("subject")]

    def __str__(self) -> str:
        parts = [f"[{self.kind}]"]
        if self.code is not None:
            parts.append(f"code={self.code}")
        parts.append(self.message)
        if self.hint:
            parts.append(f"-- {self.hint}")
        tail = []
        if self.request_id:
            tail.append(f"request_id={self.request_id}")
        if self.log_id:
            tail.append(f"log_id={self.log_id}")
        if tail:
            parts.append("(" + ", ".join(tail) + ")")
        return " ".join(parts)

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(kind={self.kind.value!r}, code={self.code!r}, "
            f"message={self.message!r}, retryable={self.retryable!r}, "
            f"request_id={self.request_id!r}, log_id={self.log_id!r})"
        )


class TokenInvalid(LarkError):
    default_kind = ErrorKind.TOKEN_INVALID


class RateLimited(LarkError):
    default_kind = ErrorKind.RATE_LIMITED


class InvalidParameter(LarkError, ValueError):
    default_kind = ErrorKind.INVALID_PARAMETER


class PermissionDenied(LarkError):
    default_kind = ErrorKind.PERMISSION_DENIED


class NotFound(LarkError):
    default_kind = ErrorKind.NOT_FOUND


class Conflict(LarkError):
    default_kind = ErrorKind.CONFLICT


class QuotaExceeded(LarkError):
    default_kind = ErrorKind.QUOTA_EXCEEDED


class ConfigError(LarkError):
    default_kind = ErrorKind.CONFIG_ERROR


class LarkTimeout(LarkError):
    default_kind = ErrorKind.TIMEOUT


class NetworkError(LarkError):
    default_kind = ErrorKind.NETWORK


class ServerError(LarkError):
    default_kind = ErrorKind.SERVER


class UnknownError(LarkError):
    default_kind = ErrorKind.UNKNOWN


class OutcomeUnknown(LarkError):
    """A write was sent but no answer came back, and it carried no idempotency key.

    It may or may not have been applied. It is not retried blindly: read the
    resource back, or send it again with an idempotency key. ``kind`` is the
    cause (Timeout, Network or Server).
    """

    outcome_unknown = True


_CLASS_BY_KIND: dict[ErrorKind, type[LarkError]] = {
    ErrorKind.TOKEN_INVALID: TokenInvalid,
    ErrorKind.RATE_LIMITED: RateLimited,
    ErrorKind.INVALID_PARAMETER: InvalidParameter,
    ErrorKind.PERMISSION_DENIED: PermissionDenied,
    ErrorKind.NOT_FOUND: NotFound,
    ErrorKind.CONFLICT: Conflict,
    ErrorKind.QUOTA_EXCEEDED: QuotaExceeded,
    ErrorKind.CONFIG_ERROR: ConfigError,
    ErrorKind.TIMEOUT: LarkTimeout,
    ErrorKind.NETWORK: NetworkError,
    ErrorKind.SERVER: ServerError,
    ErrorKind.UNKNOWN: UnknownError,
}


def error_class(kind: ErrorKind) -> type[LarkError]:
    return _CLASS_BY_KIND[kind]


@dataclass(frozen=True, slots=True)
class CodeInfo:
    kind: ErrorKind
    retryable: bool
    hint: str
    # The server refused before doing anything, so even a write without an
    # idempotency key may be sent again.
    not_applied: bool = False


# Names that moved to lark_async.core.codes (which imports this module, hence lazily).
_MOVED = frozenset(
    {"BAD_CREDENTIAL_CODES", "CODE_TABLE", "TOKEN_INVALID_CODES", "build_error", "classify"}
)


def __getattr__(name: str) -> Any:
    if name not in _MOVED:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    from lark_async.core import codes

    value = getattr(codes, name)
    globals()[name] = value
    return value
