"""Typed ``data`` of Sheets answers (Feishu Sheets docs), and the enums calls take.

v2 answers use camelCase keys and v3 snake_case; every model exposes
snake_case attributes and keeps unknown server fields (``extra="allow"``).
Results of calls the client splits into several requests (big writes, reads
answered 90221) are summed up in the same shape, with ``requests`` saying how
many went out.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic.alias_generators import to_camel


class MergeType(StrEnum):
    """How ``merge_cells`` joins a range (Feishu Sheets docs)."""

    MERGE_ALL = "MERGE_ALL"  # one cell
    MERGE_ROWS = "MERGE_ROWS"  # one cell per row
    MERGE_COLUMNS = "MERGE_COLUMNS"  # one cell per column


class Dimension(StrEnum):
    ROWS = "ROWS"
    COLUMNS = "COLUMNS"


class InsertDataOption(StrEnum):
    """What ``append_sheet_data`` does when the rows below the table are not empty."""

    OVERWRITE = "OVERWRITE"
    INSERT_ROWS = "INSERT_ROWS"


class _V2(BaseModel):
    model_config = ConfigDict(
        extra="allow", populate_by_name=True, alias_generator=to_camel, defer_build=True
    )


class _V3(BaseModel):
    model_config = ConfigDict(extra="allow", defer_build=True)


# -- values ---------------------------------------------------------------
class ValueRange(_V2):
    range: str = ""
    values: list[list[Any]] = Field(default_factory=list)
    revision: int = 0
    major_dimension: str = "ROWS"

    @field_validator("values", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        # An empty range comes back as null rather than [].
        return [] if v is None else v


class SheetValues(_V2):
    """``get_sheet_data``: ``value_range.values`` holds the rows."""

    revision: int = 0
    spreadsheet_token: str = ""
    value_range: ValueRange = Field(default_factory=ValueRange)
    requests: int = 1

    @property
    def values(self) -> list[list[Any]]:
        return self.value_range.values


class BatchSheetValues(_V2):
    revision: int = 0
    spreadsheet_token: str = ""
    total_cells: int = 0
    value_ranges: list[ValueRange] = Field(default_factory=list)
    requests: int = 1


class UpdatedRange(_V2):
    """What one write changed."""

    spreadsheet_token: str = ""
    revision: int = 0
    updated_range: str = ""
    updated_rows: int = 0
    updated_columns: int = 0
    updated_cells: int = 0


class SheetWriteResult(UpdatedRange):
    """``update_sheet_data``: the whole written box, and how many requests it took."""

    requests: int = 1


class BatchWriteResult(_V2):
    revision: int = 0
    spreadsheet_token: str = ""
    responses: list[UpdatedRange] = Field(default_factory=list)
    requests: int = 1


class AppendResult(_V2):
    """``append_sheet_data`` / ``prepend_sheet_data``."""

    spreadsheet_token: str = ""
    table_range: str = ""
    revision: int = 0
    updates: UpdatedRange = Field(default_factory=UpdatedRange)
    requests: int = 1


# -- formatting -----------------------------------------------------------
class StyleResult(_V2):
    """``set_style``: ``updates`` sums every block written."""

    updates: UpdatedRange = Field(default_factory=UpdatedRange)
    requests: int = 1


class BatchStyleResult(_V2):
    spreadsheet_token: str = ""
    total_updated_rows: int = 0
    total_updated_columns: int = 0
    total_updated_cells: int = 0
    revision: int = 0
    responses: list[UpdatedRange] = Field(default_factory=list)
    requests: int = 1


class MergeResult(_V2):
    spreadsheet_token: str = ""


class DimensionResult(_V2):
    """``set_column_width`` and friends: Feishu answers ``{}``; ``requests`` counts the calls."""

    requests: int = 1


class SheetProperties(_V2):
    """Properties of a sheet after ``freeze`` (``sheets_batch_update`` → ``updateSheet``)."""

    sheet_id: str = ""
    title: str | None = None
    index: int | None = None
    hidden: bool | None = None
    frozen_row_count: int | None = None
    frozen_col_count: int | None = None


# -- spreadsheets and sheets (v3) -----------------------------------------
class Spreadsheet(_V3):
    spreadsheet_token: str
    title: str = ""
    folder_token: str = ""
    url: str = ""


class SpreadsheetInfo(_V3):
    """``get_spreadsheet``; v3 names the token ``token`` here."""

    token: str
    title: str = ""
    owner_id: str = ""
    url: str = ""


class GridProperties(_V3):
    frozen_row_count: int = 0
    frozen_column_count: int = 0
    row_count: int = 0
    column_count: int = 0


class MergeArea(_V3):
    """A merged block; indexes 0-based and inclusive, as v3 reports them."""

    start_row_index: int
    end_row_index: int
    start_column_index: int
    end_column_index: int


class SheetInfo(_V3):
    sheet_id: str
    title: str = ""
    index: int = 0
    hidden: bool = False
    grid_properties: GridProperties | None = None
    resource_type: str = "sheet"
    merges: list[MergeArea] = Field(default_factory=list)

    @field_validator("merges", mode="before")
    @classmethod
    def _none_is_empty(cls, v: Any) -> Any:
        return [] if v is None else v


# Wrappers of the v3 answers; the service hands out what they wrap.
class SpreadsheetEnvelope(_V3):
    spreadsheet: Spreadsheet


class SpreadsheetInfoEnvelope(_V3):
    spreadsheet: SpreadsheetInfo


class SheetList(_V3):
    sheets: list[SheetInfo] = Field(default_factory=list)


class SheetEnvelope(_V3):
    sheet: SheetInfo
