"""The Sheets emulator: spreadsheets, values, styles, merges, sizes, freeze (Feishu Sheets docs).

Routes live in the modules of this package and share one table, installed by
every ``FakeLark``. Tests seed and inspect the state through ``SheetsEmulator``:

    sh = SheetsEmulator.of(fake)
    token = sh.create_spreadsheet(title="S", sheets=[("Sheet1", 200, 20)])
    sid = sh.sheet_id(token, "Sheet1")
    ...  # the client writes f"{sid}!A1:B2"
    assert sh.values(token, sid)[0][:2] == ["a", 1]

Cells, styles and sizes are addressed 1-based, as A1 ranges are: ``styles()``
keys are ``(row, col)`` with ``(1, 1)`` = A1; ``values()`` is the grid as a list
of rows (so ``values()[0][0]`` is A1).

Modules: ``state`` (the shared route table, ``SheetsState``, the write queue, error
answers), ``ranges`` (A1 ranges), the routes of ``values`` (v2 values),
``formatting`` (v2 styles, merges, sizes, sheet properties) and ``spreadsheets``
(v3), and ``emulator`` (``SheetsEmulator``).
"""

# Importing the route modules registers their handlers on the shared table.
from lark_async.testing.sheets import formatting, spreadsheets, values
from lark_async.testing.sheets.emulator import SheetsEmulator
from lark_async.testing.sheets.state import SheetsState, routes

__all__ = ["SheetsEmulator", "SheetsState", "routes"]
_ROUTE_MODULES = (formatting, spreadsheets, values)
