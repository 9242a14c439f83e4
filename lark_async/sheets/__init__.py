"""Feishu spreadsheets: ``lark.sheets`` (Feishu Sheets docs).

    resp = await lark.sheets.get_sheet_data("shtcn...", "0bdf12!A1:C3")
    await lark.sheets.update_sheet_data("shtcn...", "0bdf12!A1", rows)
    await lark.sheets.set_style("shtcn...", "0bdf12!A1:C1", CellStyle(bold=True))

See docs/sheets.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark_async.core.lazy import lazy_exports

if TYPE_CHECKING:
    from lark_async.sheets.models import AppendResult as AppendResult
    from lark_async.sheets.models import BatchSheetValues as BatchSheetValues
    from lark_async.sheets.models import BatchStyleResult as BatchStyleResult
    from lark_async.sheets.models import BatchWriteResult as BatchWriteResult
    from lark_async.sheets.models import Dimension as Dimension
    from lark_async.sheets.models import DimensionResult as DimensionResult
    from lark_async.sheets.models import GridProperties as GridProperties
    from lark_async.sheets.models import InsertDataOption as InsertDataOption
    from lark_async.sheets.models import MergeArea as MergeArea
    from lark_async.sheets.models import MergeResult as MergeResult
    from lark_async.sheets.models import MergeType as MergeType
    from lark_async.sheets.models import SheetInfo as SheetInfo
    from lark_async.sheets.models import SheetProperties as SheetProperties
    from lark_async.sheets.models import SheetValues as SheetValues
    from lark_async.sheets.models import SheetWriteResult as SheetWriteResult
    from lark_async.sheets.models import Spreadsheet as Spreadsheet
    from lark_async.sheets.models import SpreadsheetInfo as SpreadsheetInfo
    from lark_async.sheets.models import StyleResult as StyleResult
    from lark_async.sheets.models import UpdatedRange as UpdatedRange
    from lark_async.sheets.models import ValueRange as ValueRange
    from lark_async.sheets.ranges import SheetRange as SheetRange
    from lark_async.sheets.ranges import column_index as column_index
    from lark_async.sheets.ranges import column_letter as column_letter
    from lark_async.sheets.service import RowBlock as RowBlock
    from lark_async.sheets.service import Sheets as Sheets
    from lark_async.sheets.styles import BorderType as BorderType
    from lark_async.sheets.styles import CellStyle as CellStyle
    from lark_async.sheets.styles import HAlign as HAlign
    from lark_async.sheets.styles import NumberFormat as NumberFormat
    from lark_async.sheets.styles import VAlign as VAlign
    from lark_async.sheets.values import Cell as Cell
    from lark_async.sheets.values import Grid as Grid

# Loaded on first use, so importing the package (or its meta module) stays cheap.
_LAZY: dict[str, str] = {
    "AppendResult": "lark_async.sheets.models",
    "BatchSheetValues": "lark_async.sheets.models",
    "BatchStyleResult": "lark_async.sheets.models",
    "BatchWriteResult": "lark_async.sheets.models",
    "Dimension": "lark_async.sheets.models",
    "DimensionResult": "lark_async.sheets.models",
    "GridProperties": "lark_async.sheets.models",
    "InsertDataOption": "lark_async.sheets.models",
    "MergeArea": "lark_async.sheets.models",
    "MergeResult": "lark_async.sheets.models",
    "MergeType": "lark_async.sheets.models",
    "SheetInfo": "lark_async.sheets.models",
    "SheetProperties": "lark_async.sheets.models",
    "SheetValues": "lark_async.sheets.models",
    "SheetWriteResult": "lark_async.sheets.models",
    "Spreadsheet": "lark_async.sheets.models",
    "SpreadsheetInfo": "lark_async.sheets.models",
    "StyleResult": "lark_async.sheets.models",
    "UpdatedRange": "lark_async.sheets.models",
    "ValueRange": "lark_async.sheets.models",
    "SheetRange": "lark_async.sheets.ranges",
    "column_index": "lark_async.sheets.ranges",
    "column_letter": "lark_async.sheets.ranges",
    "RowBlock": "lark_async.sheets.service",
    "Sheets": "lark_async.sheets.service",
    "BorderType": "lark_async.sheets.styles",
    "CellStyle": "lark_async.sheets.styles",
    "HAlign": "lark_async.sheets.styles",
    "NumberFormat": "lark_async.sheets.styles",
    "VAlign": "lark_async.sheets.styles",
    "Cell": "lark_async.sheets.values",
    "Grid": "lark_async.sheets.values",
}

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

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
