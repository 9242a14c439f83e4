"""Sheets error codes: see :mod:`lark_async.sheets.meta`, from which the client builds its
code table. Kept so ``lark_async.sheets.codes`` still names them.
"""

from __future__ import annotations

from lark_async.sheets.meta import (
    SHEETS_CODES,
    TOO_LARGE_CELL,
    TOO_LARGE_REQUEST,
    TOO_LARGE_RESPONSE,
    TOO_MANY_REQUESTS,
)

__all__ = [
    "SHEETS_CODES",
    "TOO_LARGE_CELL",
    "TOO_LARGE_REQUEST",
    "TOO_LARGE_RESPONSE",
    "TOO_MANY_REQUESTS",
]
