"""Code tables: what a Feishu ``code`` means, and the typed error it becomes.

A :class:`CodeTable` is immutable. The core's own table, :data:`CORE_CODES`,
holds only the codes any endpoint may answer (gateway, tokens, app
credentials, generic parameter and internal errors). Each service describes its
own codes (``lark_async/<service>/meta.py``) and the client hands the transport
one table merging them all (``lark_async.services.catalog().codes``), so what a
code means never depends on which modules happen to be imported.

The module-level :func:`classify` and :func:`build_error` use the core table
only, and never change.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from types import MappingProxyType
from typing import Any

from lark_async.core.checks import bad_argument, check_text
from lark_async.core.errors import CodeInfo, ErrorKind, LarkError, error_class

_K = ErrorKind

_CHECK_CREDS = (
    "check app_id / app_secret (lark-async apps show APP_ID) and that the app is published"
)
_UNKNOWN = CodeInfo(
    _K.UNKNOWN, False, "unrecognised Feishu code; search it at open.feishu.cn with the log_id"
)
_HTTP_429 = CodeInfo(_K.RATE_LIMITED, True, "rate limited", not_applied=True)


class CodeTable(Mapping[int, CodeInfo]):
    """An immutable ``code -> CodeInfo`` table; later tables win on a shared code.

    ``CodeTable(CORE_CODES, IM_CODES, ...)``. Classifying never raises: an
    unknown code is ``Unknown``, or ``Server`` (retryable) with an HTTP 5xx, or
    ``RateLimited`` with an HTTP 429.
    """

    __slots__ = ("_codes", "_token_invalid")

    def __init__(self, *tables: Mapping[int, CodeInfo]) -> None:
        merged: dict[int, CodeInfo] = {}
        for table in tables:
            if not isinstance(table, Mapping):
                raise bad_argument(
                    "tables", f"must be mappings of int to CodeInfo, not {type(table).__name__}"
                )
            merged.update(table)
        for code, info in merged.items():
            if (
                isinstance(code, bool)
                or not isinstance(code, int)
                or not isinstance(info, CodeInfo)
            ):
                raise bad_argument(
                    "tables",
                    "must map int codes to CodeInfo, not "
                    f"{type(code).__name__}: {type(info).__name__}",
                )
        self._codes: Mapping[int, CodeInfo] = MappingProxyType(merged)
        # A retryable TokenInvalid means "this token is bad": drop it, refetch, replay.
        self._token_invalid = frozenset(
            code
            for code, info in merged.items()
            if info.kind is ErrorKind.TOKEN_INVALID and info.retryable
        )

    def __getitem__(self, code: int) -> CodeInfo:
        return self._codes[code]

    def __iter__(self) -> Iterator[int]:
        return iter(self._codes)

    def __len__(self) -> int:
        return len(self._codes)

    def __repr__(self) -> str:
        return f"CodeTable({len(self._codes)} codes)"

    @property
    def token_invalid_codes(self) -> frozenset[int]:
        """Codes meaning the access token itself was rejected (refetch and replay)."""
        return self._token_invalid

    def merged(self, *tables: Mapping[int, CodeInfo]) -> CodeTable:
        """A new table: this one, then ``tables`` (which win on a shared code)."""
        return CodeTable(self._codes, *tables)

    def classify(self, code: int, http_status: int | None = None) -> CodeInfo:
        """Code -> kind/retryable/hint. Never raises.

        An unknown code that came with an HTTP 5xx is treated as a transient
        server error, since that is what the status says.
        """
        if not isinstance(code, int):  # a bool from JSON is an int too: looked up as 0/1
            raise bad_argument("code", f"must be an int, not {type(code).__name__}")
        info = self._codes.get(code)
        if info is not None:
            return info
        if http_status is not None and not isinstance(http_status, int):
            raise bad_argument("http_status", f"must be an int, not {type(http_status).__name__}")
        if http_status == 429:
            return _HTTP_429
        if http_status is not None and http_status >= 500:
            return CodeInfo(_K.SERVER, True, f"server error (HTTP {http_status}); retried")
        return _UNKNOWN

    def build_error(
        self,
        code: int,
        msg: str,
        *,
        http_status: int | None = None,
        error_body: Mapping[str, Any] | None = None,
        request_id: str | None = None,
        log_id: str | None = None,
    ) -> LarkError:
        """Turn a Feishu error answer into the right typed error."""
        if http_status is not None and not isinstance(http_status, int):
            raise bad_argument("http_status", f"must be an int, not {type(http_status).__name__}")
        info = self.classify(code, http_status)
        check_text(msg, "msg")
        if error_body is not None and not isinstance(error_body, Mapping):
            raise bad_argument("error_body", f"must be a mapping, not {type(error_body).__name__}")
        for name, value in (("request_id", request_id), ("log_id", log_id)):
            if value is not None:
                check_text(value, name)
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
        return error_class(info.kind)(
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


# Codes any endpoint may answer (Feishu authentication docs). Service codes live with their services.
_CORE: dict[int, CodeInfo] = {
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
}

#: The core's table: gateway, token, credential and generic codes only.
CORE_CODES = CodeTable(_CORE)

#: The old name of the core table (read-only).
CODE_TABLE: Mapping[int, CodeInfo] = CORE_CODES

#: Codes whose answer means the access token itself is bad: drop it, refetch, replay.
TOKEN_INVALID_CODES = CORE_CODES.token_invalid_codes

#: auth/v3 answers for wrong credentials: never retried.
BAD_CREDENTIAL_CODES = frozenset({10003, 10014, 10015})


def classify(code: int, http_status: int | None = None) -> CodeInfo:
    """:meth:`CodeTable.classify` on the core table (no service codes)."""
    return CORE_CODES.classify(code, http_status)


def build_error(
    code: int,
    msg: str,
    *,
    http_status: int | None = None,
    error_body: Mapping[str, Any] | None = None,
    request_id: str | None = None,
    log_id: str | None = None,
) -> LarkError:
    """:meth:`CodeTable.build_error` on the core table (no service codes)."""
    return CORE_CODES.build_error(
        code,
        msg,
        http_status=http_status,
        error_body=error_body,
        request_id=request_id,
        log_id=log_id,
    )
