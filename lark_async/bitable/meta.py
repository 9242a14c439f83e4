"""What ``lark.bitable`` is: its class, error codes and rate-limit families.

Data only, and cheap to import (core only, no pydantic): the client reads it to
build its code table and limiter without importing the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lark_async.core.errors import CodeInfo, ErrorKind
from lark_async.core.ratelimit import Limit
from lark_async.core.service import ServiceInfo

_K = ErrorKind

# Feishu Bitable docs
RECORD_NOT_FOUND = 1254043
BATCH_TOO_LARGE = 1254104
TOO_LARGE_CELL = 1254130
TOO_LARGE_RESPONSE = 1254030
WRITE_CONFLICT = 1254291
TOO_MANY_REQUESTS = 1254290

_FIELD_CONVERSION = (
    "a value does not fit its field's type; see the Bitable record format (Feishu Bitable docs)"
)

_CODES: dict[int, CodeInfo] = {
    1254000: CodeInfo(_K.INVALID_PARAMETER, False, "the request JSON is malformed"),
    1254001: CodeInfo(_K.INVALID_PARAMETER, False, "the request body is invalid"),
    1254002: CodeInfo(_K.SERVER, True, "Bitable internal failure; retried"),
    1254003: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "app_token is wrong: use the base token (bascn...) or a wiki node's obj_token",
    ),
    1254004: CodeInfo(_K.INVALID_PARAMETER, False, "table_id is wrong (tbl...)"),
    1254005: CodeInfo(_K.INVALID_PARAMETER, False, "view_id is wrong (vew...)"),
    1254006: CodeInfo(_K.INVALID_PARAMETER, False, "record_id is wrong (rec...)"),
    1254007: CodeInfo(_K.INVALID_PARAMETER, False, "an empty value was sent where one is required"),
    1254008: CodeInfo(_K.INVALID_PARAMETER, False, "the view is empty"),
    1254009: CodeInfo(_K.INVALID_PARAMETER, False, "a field id is wrong"),
    1254010: CodeInfo(_K.INVALID_PARAMETER, False, "the request could not be converted"),
    1254015: CodeInfo(_K.INVALID_PARAMETER, False, _FIELD_CONVERSION),
    1254027: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "the attachment is not mounted on this base; upload it with parent_type bitable_*",
    ),
    TOO_LARGE_RESPONSE: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "the answer would be too large: ask for fewer records or fields",
    ),
    1254036: CodeInfo(_K.SERVER, True, "the base is being copied; retried later", not_applied=True),
    1254037: CodeInfo(_K.INVALID_PARAMETER, False, "client_token must be a UUIDv4 string"),
    1254040: CodeInfo(
        _K.NOT_FOUND, False, "no base with this app_token (or the app has no access to it)"
    ),
    1254041: CodeInfo(_K.NOT_FOUND, False, "no table with this table_id in the base"),
    1254042: CodeInfo(_K.NOT_FOUND, False, "no view with this view_id in the table"),
    RECORD_NOT_FOUND: CodeInfo(_K.NOT_FOUND, False, "no record with this record_id in the table"),
    1254044: CodeInfo(_K.NOT_FOUND, False, "no field with this field_id"),
    1254045: CodeInfo(
        _K.NOT_FOUND,
        False,
        "no field with this name: field names are exact, case and spaces included",
    ),
    BATCH_TOO_LARGE: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "too many records in one batch (create/update 1,000, delete 500)",
        not_applied=True,
    ),
    1254100: CodeInfo(_K.QUOTA_EXCEEDED, False, "the base has its maximum number of tables (100)"),
    1254101: CodeInfo(_K.QUOTA_EXCEEDED, False, "the table has its maximum number of views (200)"),
    1254102: CodeInfo(_K.QUOTA_EXCEEDED, False, "file limit reached"),
    1254103: CodeInfo(
        _K.QUOTA_EXCEEDED, False, "the table has its maximum number of records for this plan"
    ),
    1254105: CodeInfo(_K.QUOTA_EXCEEDED, False, "the table has its maximum number of fields (300)"),
    1254106: CodeInfo(_K.INVALID_PARAMETER, False, "too many attachments in one cell (100)"),
    1254107: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "the filter is longer than 2,000 characters: use fewer conditions",
    ),
    1254108: CodeInfo(_K.INVALID_PARAMETER, False, "the sort is longer than 1,000 characters"),
    1254109: CodeInfo(
        _K.INVALID_PARAMETER, False, "the table has too many formulas to search it this way"
    ),
    TOO_LARGE_CELL: CodeInfo(_K.INVALID_PARAMETER, False, "a cell's value is too large"),
    1254301: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "this operation is not allowed on this table (synced tables reject writes)",
    ),
    1254302: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "advanced permissions deny this: give the app manage permission on the base",
    ),
    1254303: CodeInfo(_K.INVALID_PARAMETER, False, "the attachment does not belong to this base"),
    1254304: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "advanced permissions deny this: give the app manage permission on the base",
    ),
    1254306: CodeInfo(_K.QUOTA_EXCEEDED, False, "the tenant's plan limit is reached"),
    TOO_MANY_REQUESTS: CodeInfo(
        _K.RATE_LIMITED, True, "Bitable: too many requests", not_applied=True
    ),
    WRITE_CONFLICT: CodeInfo(
        _K.CONFLICT, True, "Bitable write conflict: one write at a time per table", not_applied=True
    ),
    1254607: CodeInfo(_K.SERVER, True, "Bitable data not ready; retried"),
    1254608: CodeInfo(
        _K.CONFLICT, False, "a duplicate submission on the same revision; read the record again"
    ),
    1255006: CodeInfo(
        _K.CONFLICT,
        False,
        "this client_token was already used for a different request; use a new one",
    ),
    1255040: CodeInfo(_K.TIMEOUT, True, "Bitable request timed out on the server; retried"),
}
for _code in range(1255001, 1255006):
    _CODES[_code] = CodeInfo(_K.SERVER, True, "Bitable internal error; retried")
for _code in (*range(1254060, 1254070), 1254072, 1254074):
    _CODES[_code] = CodeInfo(_K.INVALID_PARAMETER, False, _FIELD_CONVERSION)


#: Bitable error codes (Feishu Bitable docs), read-only.
BITABLE_CODES: Mapping[int, CodeInfo] = MappingProxyType(_CODES)

# Per app (Feishu rate-limit docs): record writes 50/s, reads 20/s, schema changes 10/s.
LIMITS = {
    "bitable.write": (Limit(50),),
    "bitable.read": (Limit(20),),
    "bitable.schema": (Limit(10),),
}

_ROOT = "/open-apis/bitable/"


def family_of(method: str, path: str) -> str | None:
    """Reads and writes of one path have different budgets, so the method decides."""
    if not path.startswith(_ROOT):
        return None
    if "/records" in path:
        if path.endswith(("/search", "/batch_get")) or method == "GET":
            return "bitable.read"  # search and batch_get are POSTs that only read
        return "bitable.write"
    return "bitable.read" if method == "GET" else "bitable.schema"


INFO = ServiceInfo(
    "bitable",
    "lark_async.bitable.service:Bitable",
    codes=BITABLE_CODES,
    limits=LIMITS,
    family_of=family_of,
)
