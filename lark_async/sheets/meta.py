"""What ``lark.sheets`` is: its class, error codes and rate-limit families.

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

# Feishu Sheets docs
TOO_LARGE_RESPONSE = 90221
TOO_LARGE_CELL = 90222
TOO_LARGE_REQUEST = 90227
TOO_MANY_REQUESTS = 90217

_SHARE = (
    "the app cannot open this spreadsheet: share it with the app (or a group the app is in) "
    "with edit rights for writes, and grant the sheets:spreadsheet scope"
)
_BAD = "the request was rejected as malformed"

_CODES: dict[int, CodeInfo] = {
    90201: CodeInfo(_K.INVALID_PARAMETER, False, f"{_BAD}: invalid JSON"),
    90202: CodeInfo(
        _K.INVALID_PARAMETER, False, "range: invalid; use '<sheetId>!A1:C3' with a real sheet id"
    ),
    90203: CodeInfo(_K.SERVER, True, "Sheets failed to process the request; retried"),
    90204: CodeInfo(_K.INVALID_PARAMETER, False, f"{_BAD}: wrong body"),
    90205: CodeInfo(_K.INVALID_PARAMETER, False, "a user id in the request is invalid"),
    90206: CodeInfo(_K.INVALID_PARAMETER, False, "sheet_id: empty"),
    90207: CodeInfo(_K.INVALID_PARAMETER, False, "title: empty"),
    90208: CodeInfo(_K.INVALID_PARAMETER, False, "the same sheet id or title appears twice"),
    90209: CodeInfo(_K.CONFLICT, False, "a sheet with this id exists already"),
    90210: CodeInfo(_K.CONFLICT, False, "a sheet with this title exists already"),
    90211: CodeInfo(_K.INVALID_PARAMETER, False, "sheet_id: wrong; list_sheets() gives the ids"),
    90212: CodeInfo(_K.INVALID_PARAMETER, False, "a row or column index is out of the sheet"),
    90213: CodeInfo(_K.PERMISSION_DENIED, False, _SHARE),
    90214: CodeInfo(_K.NOT_FOUND, False, "spreadsheet_token: no such spreadsheet"),
    90215: CodeInfo(_K.NOT_FOUND, False, "sheet_id: no such sheet; list_sheets() gives the ids"),
    90216: CodeInfo(_K.INVALID_PARAMETER, False, "values: empty"),
    TOO_MANY_REQUESTS: CodeInfo(
        _K.RATE_LIMITED, True, "Sheets: too many requests", not_applied=True
    ),
    90218: CodeInfo(
        _K.PERMISSION_DENIED, False, "the range holds protected (locked) cells the app may not edit"
    ),
    90219: CodeInfo(
        _K.QUOTA_EXCEEDED, False, "the sheet would exceed 5,000,000 cells: use another sheet"
    ),
    TOO_LARGE_RESPONSE: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "the answer would exceed 10 MB: read a smaller range (get_sheet_data splits it for you)",
    ),
    TOO_LARGE_CELL: CodeInfo(
        _K.INVALID_PARAMETER, False, "values: a cell holds more than 50,000 characters"
    ),
    90223: CodeInfo(_K.NOT_FOUND, False, "column id not found"),
    90224: CodeInfo(_K.NOT_FOUND, False, "row id not found"),
    90226: CodeInfo(_K.QUOTA_EXCEEDED, False, "a spreadsheet limit was reached"),
    TOO_LARGE_REQUEST: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "the request is too large: at most 5,000 rows x 100 columns per write "
        "(update_sheet_data splits it for you)",
        not_applied=True,
    ),
    90228: CodeInfo(
        _K.SERVER, True, "the spreadsheet is still being imported; retried", not_applied=True
    ),
    90229: CodeInfo(_K.INVALID_PARAMETER, False, "a URL parameter is wrong"),
    90235: CodeInfo(_K.SERVER, True, "Sheets asked to retry later; retried", not_applied=True),
    90242: CodeInfo(_K.SERVER, True, "the spreadsheet is loading; retried", not_applied=True),
    # v3
    1310204: CodeInfo(_K.INVALID_PARAMETER, False, f"{_BAD}: wrong body"),
    1310213: CodeInfo(_K.PERMISSION_DENIED, False, _SHARE),
    1310214: CodeInfo(_K.NOT_FOUND, False, "spreadsheet_token: no such spreadsheet"),
    1310226: CodeInfo(_K.QUOTA_EXCEEDED, False, "a spreadsheet limit was reached"),
    1310235: CodeInfo(_K.SERVER, True, "Sheets asked to retry later; retried", not_applied=True),
    1310249: CodeInfo(_K.NOT_FOUND, False, "the spreadsheet was deleted"),
    1310251: CodeInfo(_K.INVALID_PARAMETER, False, "a parameter is invalid"),
}
for _code in (1315201, 1315203, 1315210):  # v3 server errors
    _CODES[_code] = CodeInfo(_K.SERVER, True, "Feishu internal error; retried")

#: Sheets error codes (Feishu Sheets docs), read-only.
SHEETS_CODES: Mapping[int, CodeInfo] = MappingProxyType(_CODES)

# Per app (Feishu rate-limit docs): v2 values 100/s; v3 spreadsheets 100/min, creating or
# patching one 20/min.
LIMITS = {
    "sheets": (Limit(100),),
    "sheets.v3": (Limit(100, 60.0),),
    "sheets.v3.write": (Limit(20, 60.0),),
}

_V3 = "/open-apis/sheets/v3/"
PREFIXES = ((_V3, "sheets.v3"), ("/open-apis/sheets/", "sheets"))


def family_of(method: str, path: str) -> str | None:
    """Creating or patching a v3 spreadsheet has its own, smaller budget."""
    if path.startswith(_V3) and method in ("POST", "PATCH"):
        return "sheets.v3.write"
    return None


INFO = ServiceInfo(
    "sheets",
    "lark_async.sheets.service:Sheets",
    codes=SHEETS_CODES,
    limits=LIMITS,
    prefixes=PREFIXES,
    family_of=family_of,
)
