"""Feishu spreadsheets: ``lark.sheets`` (CONTRACT §10; FR-047..FR-049).

    resp = await lark.sheets.get_sheet_data("shtcn...", "0bdf12!A1:C3")
    await lark.sheets.update_sheet_data("shtcn...", "0bdf12!A1", rows)
    await lark.sheets.set_style("shtcn...", "0bdf12!A1:C1", CellStyle(bold=True))

See docs/sheets.md.
"""

from lark_async.sheets import codes as _codes  # registers the Sheets error codes
from lark_async.sheets.models import (
    AppendResult,
    BatchSheetValues,
    BatchStyleResult,
    BatchWriteResult,
    Dimension,
    DimensionResult,
    GridProperties,
    InsertDataOption,
    MergeArea,
    MergeResult,
    MergeType,
    SheetInfo,
    SheetProperties,
    SheetValues,
    SheetWriteResult,
    Spreadsheet,
    SpreadsheetInfo,
    StyleResult,
    UpdatedRange,
    ValueRange,
)
from lark_async.sheets.ranges import SheetRange, column_index, column_letter
from lark_async.sheets.service import RowBlock, Sheets
from lark_async.sheets.styles import BorderType, CellStyle, HAlign, NumberFormat, VAlign
from lark_async.sheets.values import Cell, Grid

del _codes

__all__ = [
    "AppendResult",
    "BatchSheetValues",
    "BatchStyleResult",
    "BatchWriteResult",
    "BorderType",
    "Cell",
    "CellStyle",
    "Dimension",
    "DimensionResult",
    "Grid",
    "GridProperties",
    "HAlign",
    "InsertDataOption",
    "MergeArea",
    "MergeResult",
    "MergeType",
    "NumberFormat",
    "RowBlock",
    "SheetInfo",
    "SheetProperties",
    "SheetRange",
    "SheetValues",
    "SheetWriteResult",
    "Sheets",
    "Spreadsheet",
    "SpreadsheetInfo",
    "StyleResult",
    "UpdatedRange",
    "VAlign",
    "ValueRange",
    "column_index",
    "column_letter",
]
