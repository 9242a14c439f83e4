"""Bitable error codes (CONTRACT §9.9), registered with the core code table at import.

Also how the bulk engine reads a refusal (:func:`verdict`): wait and resend, retry,
split the chunk (a batch is all-or-nothing, so one bad row fails the other 999),
fail its rows, or stop the run.
"""

from __future__ import annotations

from enum import Enum

from lark_async.core.errors import CodeInfo, ErrorKind, LarkError, register_codes

_K = ErrorKind

RECORD_NOT_FOUND = 1254043
BATCH_TOO_LARGE = 1254104
TOO_LARGE_CELL = 1254130
TOO_LARGE_RESPONSE = 1254030
WRITE_CONFLICT = 1254291
TOO_MANY_REQUESTS = 1254290

_FIELD_CONVERSION = (
    "a value does not fit its field's type; see the Bitable record format (CONTRACT §9.1)"
)

BITABLE_CODES: dict[int, CodeInfo] = {
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
    1254608: CodeInfo(
        _K.CONFLICT, False, "a duplicate submission on the same revision; read the record again"
    ),
    1255006: CodeInfo(
        _K.CONFLICT,
        False,
        "this client_token was already used for a different request; use a new one",
    ),
}
for _code in (*range(1254060, 1254070), 1254072, 1254074):
    BITABLE_CODES[_code] = CodeInfo(_K.INVALID_PARAMETER, False, _FIELD_CONVERSION)

register_codes(BITABLE_CODES)

#: A chunk answered with one of these was refused whole because of its size or
#: of some rows in it: halving it isolates the rows at fault.
SPLIT_CODES = frozenset(
    {
        BATCH_TOO_LARGE,
        TOO_LARGE_CELL,
        TOO_LARGE_RESPONSE,
        RECORD_NOT_FOUND,
        1254006,
        1254007,
        1254015,
        1254027,
        1254045,
        1254106,
        1254303,
        *range(1254060, 1254070),
        1254072,
        1254074,
    }
)


def is_split_worthy(err: LarkError) -> bool:
    """Whether halving the chunk could get some of its rows through."""
    if err.code in SPLIT_CODES:
        return True
    return err.http_status == 413  # a gateway's "payload too large", should one appear


# Codes after which no retry or split can help: stop the run instead of sending the rest.
_FATAL_CODES = frozenset({1254003, 1254004, 1254040, 1254041, 1254301})
_FATAL_KINDS = frozenset(
    {
        ErrorKind.TOKEN_INVALID,
        ErrorKind.PERMISSION_DENIED,
        ErrorKind.CONFIG_ERROR,
        ErrorKind.QUOTA_EXCEEDED,
    }
)


class Verdict(Enum):
    """What a refused write call means for its chunk."""

    WAIT = "wait"  # refused before doing anything (rate limit, write conflict): resend
    TRANSIENT = "transient"  # may or may not have been applied: retry per operation's rule
    SPLIT = "split"  # refused because of its size or some of its rows
    FAIL = "fail"  # refused for good, for these rows
    FATAL = "fatal"  # refused for good, for the whole run


def verdict(err: LarkError) -> Verdict:
    """Classify a failed write: wait, retry, split, fail the rows, or stop the run."""
    if err.code in _FATAL_CODES or err.kind in _FATAL_KINDS:
        return Verdict.FATAL
    if err.kind is ErrorKind.RATE_LIMITED or err.code == WRITE_CONFLICT:
        return Verdict.WAIT
    if is_split_worthy(err):
        return Verdict.SPLIT
    if err.retryable:
        return Verdict.TRANSIENT
    return Verdict.FAIL
