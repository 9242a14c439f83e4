"""``lark.sheets``: read, write and format Feishu spreadsheets (Feishu Sheets docs).

What the service does for you:

- checks ranges, value grids and styles before anything is sent;
- cuts writes into blocks of at most 5,000 rows × 100 columns, and halves a
  block the server still finds too large (90227);
- reads a range the server finds too large to answer (90221) in smaller row
  blocks and joins them;
- sends the writes to one spreadsheet one at a time (Feishu requires it): a
  lock per spreadsheet token, held for the whole of a multi-block write, so
  concurrent callers in this process queue;
- marks writes that are safe to repeat (values, styles, merges, sizes, freezes
  set a state) so the transport may retry them, and leaves appends, prepends
  and creations unmarked: after an ambiguous failure they come back as
  ``OutcomeUnknown`` instead of being sent twice.

The calls live in one module per concern (spreadsheets, reads, writes,
formatting); :class:`Sheets` puts them together.
"""

from __future__ import annotations

from lark_async.sheets.formatting import FormattingCalls
from lark_async.sheets.reads import ReadCalls, RowBlock
from lark_async.sheets.spreadsheets import SpreadsheetCalls
from lark_async.sheets.writes import WriteCalls


class Sheets(SpreadsheetCalls, ReadCalls, WriteCalls, FormattingCalls):
    """Spreadsheets: values, formatting, and spreadsheets/sheets (v3).

    Reach it as ``lark.sheets`` or ``lark.app(app_id).sheets``. Ranges are
    ``"<sheetId>!A1:C3"`` strings or :class:`SheetRange` values.
    """

    name = "sheets"


__all__ = ["RowBlock", "Sheets"]
