"""Spreadsheets and their sheets (v3): create, get, list (Feishu Sheets docs)."""

from __future__ import annotations

from typing import Any

from lark_async.core.checks import has_surrogates
from lark_async.core.errors import InvalidParameter
from lark_async.core.response import LarkResponse
from lark_async.sheets.base import V3, SheetsBase
from lark_async.sheets.models import (
    SheetEnvelope,
    SheetInfo,
    SheetList,
    Spreadsheet,
    SpreadsheetEnvelope,
    SpreadsheetInfo,
    SpreadsheetInfoEnvelope,
)
from lark_async.sheets.ranges import check_sheet_id, check_spreadsheet_token

MAX_TITLE_CHARS = 255


class SpreadsheetCalls(SheetsBase):
    """Spreadsheets and their sheets (v3)."""

    async def create_spreadsheet(
        self, title: str = "", *, folder_token: str | None = None
    ) -> LarkResponse[Spreadsheet]:
        """Create an empty spreadsheet (in the app's root folder unless ``folder_token``).

        Not idempotent: after an ambiguous failure the answer is
        ``OutcomeUnknown`` and nothing is resent (a resend could make two).
        """
        if not isinstance(title, str) or len(title) > MAX_TITLE_CHARS or has_surrogates(title):
            raise InvalidParameter(
                f"title must be a str of at most {MAX_TITLE_CHARS} characters",
                hint=f"title: 0..{MAX_TITLE_CHARS} characters",
            )
        body: dict[str, Any] = {"title": title}
        if folder_token is not None:
            body["folder_token"] = _check_folder(folder_token)
        resp = await self._call(SpreadsheetEnvelope, "POST", V3, json=body)
        return resp.with_data(resp.data.spreadsheet if resp.data else None)

    async def get_spreadsheet(self, spreadsheet_token: str) -> LarkResponse[SpreadsheetInfo]:
        """Title, owner and URL of a spreadsheet."""
        token = check_spreadsheet_token(spreadsheet_token)
        resp = await self._call(SpreadsheetInfoEnvelope, "GET", f"{V3}/{token}")
        return resp.with_data(resp.data.spreadsheet if resp.data else None)

    async def list_sheets(self, spreadsheet_token: str) -> LarkResponse[list[SheetInfo]]:
        """Every sheet of the spreadsheet: ids, titles, sizes, frozen panes, merges."""
        token = check_spreadsheet_token(spreadsheet_token)
        resp = await self._call(SheetList, "GET", f"{V3}/{token}/sheets/query")
        return resp.with_data(resp.data.sheets if resp.data else None)

    async def get_sheet(self, spreadsheet_token: str, sheet_id: str) -> LarkResponse[SheetInfo]:
        """One sheet: title, size (``grid_properties``), frozen panes, merges."""
        token = check_spreadsheet_token(spreadsheet_token)
        sid = check_sheet_id(sheet_id)
        resp = await self._call(SheetEnvelope, "GET", f"{V3}/{token}/sheets/{sid}")
        return resp.with_data(resp.data.sheet if resp.data else None)


def _check_folder(folder_token: str) -> str:
    if (
        not isinstance(folder_token, str)
        or not folder_token
        or not folder_token.isascii()
        or not folder_token.isalnum()
    ):
        raise InvalidParameter(
            f"folder_token must be a token of letters and digits, got {folder_token!r:.60}",
            hint="folder_token: from the folder's URL (fldcn...); omit it for the root folder",
        )
    return folder_token
