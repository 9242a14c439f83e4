"""Typed errors and the table that maps Feishu codes to them.

Every failure a caller can see is a :class:`LarkError` with a semantic ``kind``,
``retryable`` and a ``hint`` saying what to do. Unknown codes become
``ErrorKind.UNKNOWN``; nothing here ever raises while classifying.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any


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


_K = ErrorKind

# Codes whose answer means the access token itself is bad: drop it, refetch, replay.
TOKEN_INVALID_CODES = frozenset(
    {99991661, 99991663, 99991664, 99991665, 99991668, 99991671, 99991677, 20005, 20006}
)
# auth/v3 answers for wrong credentials: never retried.
BAD_CREDENTIAL_CODES = frozenset({10003, 10014, 10015})

_CHECK_CREDS = (
    "check app_id / app_secret (lark-async apps show APP_ID) and that the app is published"
)

CODE_TABLE: dict[int, CodeInfo] = {
    # token / gateway
    99991661: CodeInfo(
        _K.TOKEN_INVALID,
        True,
        "the Authorization header was missing or malformed; the token is refetched automatically",
    ),
    99991662: CodeInfo(
        _K.CONFIG_ERROR, False, "the app is disabled in the developer console; enable it"
    ),
    99991663: CodeInfo(
        _K.TOKEN_INVALID,
        True,
        "tenant_access_token invalid or expired (or the endpoint does not accept tenant tokens)",
    ),
    99991664: CodeInfo(_K.TOKEN_INVALID, True, "app_access_token invalid"),
    99991665: CodeInfo(_K.TOKEN_INVALID, True, "tenant_access_token invalid"),
    99991668: CodeInfo(
        _K.TOKEN_INVALID,
        True,
        "user_access_token invalid or expired, or the endpoint rejects this token type",
    ),
    99991669: CodeInfo(
        _K.TOKEN_INVALID,
        False,
        "the user refresh token is invalid; ask the user to authorise again",
    ),
    99991671: CodeInfo(_K.TOKEN_INVALID, True, "malformed token (must start with t- or u-)"),
    99991672: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "the app lacks a scope: grant the scopes listed in missing_scopes in the developer console, then publish a new version",
    ),
    99991673: CodeInfo(
        _K.CONFIG_ERROR, False, "the app is not installed or not usable in this tenant"
    ),
    99991676: CodeInfo(
        _K.PERMISSION_DENIED, False, "the token has no permission for this resource"
    ),
    99991677: CodeInfo(
        _K.TOKEN_INVALID,
        True,
        "the access token expired; a managed token is refetched automatically, a user token must be refreshed",
    ),
    99991679: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "the user has not granted the scopes listed in missing_scopes; ask for re-authorisation with them",
    ),
    99991681: CodeInfo(_K.PERMISSION_DENIED, False, "authentication failed"),
    99991692: CodeInfo(_K.PERMISSION_DENIED, False, "authentication failed"),
    20005: CodeInfo(_K.TOKEN_INVALID, True, "invalid access token"),
    20006: CodeInfo(_K.TOKEN_INVALID, True, "expired user_access_token"),
    # rate / quota
    99991400: CodeInfo(
        _K.RATE_LIMITED,
        True,
        "rate limited; waited x-ogw-ratelimit-reset seconds and retried",
        not_applied=True,
    ),
    99991401: CodeInfo(_K.PERMISSION_DENIED, False, "this IP is not on the app's IP allow-list"),
    99991402: CodeInfo(_K.RATE_LIMITED, True, "rate limited", not_applied=True),
    99991403: CodeInfo(_K.QUOTA_EXCEEDED, False, "the monthly API quota is used up"),
    11232: CodeInfo(_K.RATE_LIMITED, True, "message rate limit", not_applied=True),
    11233: CodeInfo(_K.RATE_LIMITED, True, "message rate limit", not_applied=True),
    11247: CodeInfo(
        _K.QUOTA_EXCEEDED,
        False,
        "the app's daily batch-message quota (500,000) is used up; try tomorrow",
    ),
    230020: CodeInfo(
        _K.RATE_LIMITED,
        True,
        "IM frequency limit (5 QPS per user/chat, 50/s per app)",
        not_applied=True,
    ),
    1254290: CodeInfo(_K.RATE_LIMITED, True, "Bitable: too many requests", not_applied=True),
    90217: CodeInfo(_K.RATE_LIMITED, True, "Sheets: too many requests", not_applied=True),
    # routing
    99991201: CodeInfo(_K.NOT_FOUND, False, "no such API path; check the path and the HTTP method"),
    99991301: CodeInfo(_K.INVALID_PARAMETER, False, "the HTTP method does not match this API"),
    # app credentials
    10003: CodeInfo(_K.CONFIG_ERROR, False, _CHECK_CREDS),
    10012: CodeInfo(_K.SERVER, True, "getting the app access token failed; retry later"),
    10013: CodeInfo(_K.SERVER, True, "getting the tenant access token failed; retry later"),
    10014: CodeInfo(_K.CONFIG_ERROR, False, _CHECK_CREDS),
    10015: CodeInfo(_K.CONFIG_ERROR, False, _CHECK_CREDS),
    # generic parameter errors
    4000: CodeInfo(_K.INVALID_PARAMETER, False, "invalid parameter; see field_violations"),
    9499: CodeInfo(_K.INVALID_PARAMETER, False, "invalid parameter; see field_violations"),
    10001: CodeInfo(_K.INVALID_PARAMETER, False, "invalid parameter; see field_violations"),
    10100: CodeInfo(_K.INVALID_PARAMETER, False, "invalid parameter; see field_violations"),
    40001: CodeInfo(_K.INVALID_PARAMETER, False, "invalid parameter; see field_violations"),
    99992402: CodeInfo(_K.INVALID_PARAMETER, False, "invalid parameter; see field_violations"),
    # id validation
    99992351: CodeInfo(_K.NOT_FOUND, False, "open_id does not exist (or belongs to another app)"),
    99992354: CodeInfo(_K.NOT_FOUND, False, "message_id does not exist"),
    99992355: CodeInfo(_K.NOT_FOUND, False, "chat_id does not exist"),
    99992356: CodeInfo(_K.NOT_FOUND, False, "chat_id does not exist"),
    99992360: CodeInfo(_K.NOT_FOUND, False, "user_id does not exist"),
    99992361: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "this open_id belongs to another app; open_ids are per app, use union_id across apps",
    ),
    99992364: CodeInfo(_K.INVALID_PARAMETER, False, "user_id belongs to another tenant"),
    99992380: CodeInfo(_K.NOT_FOUND, False, "department_id does not exist"),
    99992381: CodeInfo(_K.INVALID_PARAMETER, False, "union_id belongs to another tenant"),
    # generic internal errors: transient
    1500: CodeInfo(_K.SERVER, True, "Feishu internal error; retried"),
    1503: CodeInfo(_K.SERVER, True, "Feishu internal error; retried"),
    1551: CodeInfo(_K.SERVER, True, "Feishu internal error; retried"),
    1557: CodeInfo(_K.SERVER, True, "Feishu internal error; retried"),
    1642: CodeInfo(_K.SERVER, True, "Feishu internal error; retried"),
    1663: CodeInfo(_K.SERVER, True, "Feishu internal error; retried"),
    1665: CodeInfo(_K.SERVER, True, "Feishu internal error; retried"),
    1668: CodeInfo(_K.SERVER, True, "Feishu internal error; retried"),
    2200: CodeInfo(_K.SERVER, True, "internal error under heavy calling; slow down"),
    5000: CodeInfo(_K.SERVER, True, "internal error; reduce the call frequency"),
    10101: CodeInfo(_K.SERVER, True, "Feishu server error; retried"),
    10105: CodeInfo(_K.SERVER, True, "Feishu server error; retried"),
    10500: CodeInfo(_K.SERVER, True, "Feishu server error; retried"),
    45500: CodeInfo(_K.SERVER, True, "Feishu server error; retried"),
    55001: CodeInfo(_K.SERVER, True, "Feishu server error; retried"),
    # Bitable
    1254291: CodeInfo(
        _K.CONFLICT, True, "Bitable write conflict: one write at a time per table", not_applied=True
    ),
    1254607: CodeInfo(_K.SERVER, True, "Bitable data not ready; retried"),
    1255040: CodeInfo(_K.TIMEOUT, True, "Bitable request timed out on the server; retried"),
}
for _c in range(1255001, 1255006):
    CODE_TABLE[_c] = CodeInfo(_K.SERVER, True, "Bitable internal error; retried")
for _c in range(1771001, 1771007):
    CODE_TABLE[_c] = CodeInfo(_K.SERVER, True, "Docx internal error; retried")
for _c in (1315201, 1315203, 1315210, 1061001, 1061006, 1061045, 1066001, 1066002):
    CODE_TABLE[_c] = CodeInfo(_K.SERVER, True, "Feishu internal error; retried")


def register_codes(table: Mapping[int, CodeInfo]) -> None:
    """Add service-specific codes (service modules call this at import)."""
    CODE_TABLE.update(table)


def classify(code: int, http_status: int | None = None) -> CodeInfo:
    """Code → kind/retryable/hint. Never raises; unknown codes are Unknown.

    An unknown code that came with an HTTP 5xx is treated as a transient
    server error, since that is what the status says.
    """
    info = CODE_TABLE.get(code)
    if info is not None:
        return info
    if http_status == 429:
        return CodeInfo(_K.RATE_LIMITED, True, "rate limited", not_applied=True)
    if http_status is not None and http_status >= 500:
        return CodeInfo(_K.SERVER, True, f"server error (HTTP {http_status}); retried")
    return CodeInfo(
        _K.UNKNOWN,
        False,
        "unrecognised Feishu code; search it at open.feishu.cn with the log_id",
    )


def build_error(
    code: int,
    msg: str,
    *,
    http_status: int | None = None,
    error_body: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    log_id: str | None = None,
) -> LarkError:
    """Turn a Feishu error answer into the right typed error."""
    info = classify(code, http_status)
    body = error_body or {}
    perms = [p for p in body.get("permission_violations") or () if isinstance(p, Mapping)]
    fields = [f for f in body.get("field_violations") or () if isinstance(f, Mapping)]
    hint = info.hint
    if perms:
        scopes = ", ".join(str(p.get("subject") or p.get("scope") or "?") for p in perms)
        hint = f"{hint} (missing: {scopes})"
    if fields:
        names = ", ".join(
            f"{f.get('field')}: {f.get('description') or 'invalid'}" for f in fields[:5]
        )
        hint = f"{hint} (fields: {names})"
    cls = error_class(info.kind)
    return cls(
        msg or "no message",
        kind=info.kind,
        code=code,
        retryable=info.retryable,
        hint=hint,
        http_status=http_status,
        request_id=request_id,
        log_id=log_id or (str(body["log_id"]) if body.get("log_id") else None),
        permission_violations=perms,
        field_violations=fields,
        troubleshooter=str(body["troubleshooter"]) if body.get("troubleshooter") else None,
    )
