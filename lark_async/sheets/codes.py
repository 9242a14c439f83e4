"""Sheets error codes (CONTRACT §10), registered with the core code table at import.

90217 (too many requests) and the 1315xxx server errors are already in the
core table.
"""

from __future__ import annotations

from lark_async.core.errors import CodeInfo, ErrorKind, register_codes

_K = ErrorKind

TOO_LARGE_RESPONSE = 90221
TOO_LARGE_CELL = 90222
TOO_LARGE_REQUEST = 90227

_SHARE = (
    "the app cannot open this spreadsheet: share it with the app (or a group the app is in) "
    "with edit rights for writes, and grant the sheets:spreadsheet scope"
)
_BAD = "the request was rejected as malformed"

SHEETS_CODES: dict[int, CodeInfo] = {
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

register_codes(SHEETS_CODES)
