"""The Sheets part of ``make demo``: a report spreadsheet built against the emulator.

Creates a spreadsheet, writes a 12,000-row block (cut into 5,000-row writes,
one of which the emulator refuses as too large once, so it is halved and
resent), reads a range across a block boundary back, styles the header row,
merges a title, freezes the header and widens a column.

The demo runner passes the emulator (``fake``), a client pointed at it
(``lark``) and a rich console.
"""

from __future__ import annotations

from typing import Any

from lark_async.sheets.models import MergeType
from lark_async.sheets.ranges import SheetRange
from lark_async.sheets.styles import BorderType, CellStyle, NumberFormat

DATA_ROWS = 12_000
HEADER = ["Order", "Customer", "Region", "Qty", "Unit price", "Total"]
REGIONS = ("North", "South", "East", "West")


def _rows(count: int) -> list[list[Any]]:
    out: list[list[Any]] = []
    for i in range(1, count + 1):
        qty = i % 17 + 1
        price = round(3.5 + (i % 40) * 0.25, 2)
        out.append([f"SO-{i:06d}", f"customer {i % 997}", REGIONS[i % 4], qty, price, qty * price])
    return out


async def demo(fake: Any, lark: Any, console: Any) -> dict[str, str]:
    """Run the Sheets walk-through; returns summary rows (step → result)."""
    sheets = lark.sheets
    summary: dict[str, str] = {}

    console.rule("[bold]Sheets: create a spreadsheet")
    created = (await sheets.create_spreadsheet("lark-async demo: orders")).unwrap()
    token = created.spreadsheet_token
    sheet = (await sheets.list_sheets(token)).unwrap()[0]
    sid = sheet.sheet_id
    console.print(f"spreadsheet {token}, first sheet {sid!r} ({sheet.title})")
    summary["sheets: create"] = f"{token} / sheet {sid}"

    console.rule("[bold]Sheets: write a 12,000-row block")
    title = [["Orders report", None, None, None, None, None], HEADER]
    (await sheets.update_sheet_data(token, f"{sid}!A1", title)).unwrap()
    data = _rows(DATA_ROWS)
    # The emulator refuses the first block once as too large (90227): it gets halved.
    fake.faults.fail(
        f"PUT /open-apis/sheets/v2/spreadsheets/{token}/values",
        times=1,
        status=400,
        code=90227,
        msg="TooLargeRequest",
    )
    written = (await sheets.update_sheet_data(token, f"{sid}!A3", data)).unwrap()
    console.print(
        f"wrote {written.updated_range}: {written.updated_cells:,} cells in "
        f"{written.requests} requests (blocks of at most 5,000 rows; one 90227 halved)"
    )
    summary["sheets: write"] = (
        f"{DATA_ROWS:,} rows x {len(HEADER)} cols in {written.requests} serial requests "
        "(one refused as too large, halved)"
    )

    console.rule("[bold]Sheets: read a range back")
    window = SheetRange.cells(sid, 5_000, "A", 5_005, "F")  # straddles two write blocks
    read = (await sheets.get_sheet_data(token, window)).unwrap()
    expected = data[5_000 - 3 : 5_005 - 2]
    same = read.values == expected
    console.print(f"{window}: {len(read.values)} rows, identical to what was written: {same}")
    summary["sheets: read"] = f"{window} ({len(read.values)} rows) matches: {same}"

    console.rule("[bold]Sheets: format")
    header_style = CellStyle(
        bold=True,
        fore_color="#ffffff",
        back_color="#1f4e79",
        h_align="center",
        border=BorderType.FULL_BORDER,
        border_color="#0b2545",
    )
    styled = (await sheets.set_style(token, f"{sid}!A2:F2", header_style)).unwrap()
    money = CellStyle(number_format=NumberFormat.THOUSANDS_2, h_align="right")
    last_row = 2 + DATA_ROWS
    (await sheets.set_style(token, f"{sid}!E3:F{last_row}", money)).unwrap()
    (await sheets.merge_cells(token, f"{sid}!A1:F1", MergeType.MERGE_ALL)).unwrap()
    (await sheets.set_style(token, f"{sid}!A1:A1", CellStyle(bold=True, font_size=16))).unwrap()
    frozen = (await sheets.freeze(token, sid, rows=2, cols=1)).unwrap()
    (await sheets.set_column_width(token, sid, "B", width=180)).unwrap()
    console.print(
        f"header {styled.updates.updated_range} styled; title merged A1:F1; "
        f"frozen {frozen.frozen_row_count} rows / {frozen.frozen_col_count} col; "
        "column B 180 px"
    )
    summary["sheets: format"] = "header styled, A1:F1 merged, 2 rows + 1 col frozen, B = 180 px"
    return summary
