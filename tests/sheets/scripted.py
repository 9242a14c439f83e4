"""A tiny values server with tunable size limits, to drive the split logic exactly.

The real emulator (``lark_async.testing.sheets``) enforces Feishu's limits; this
one lets a test say "answers over 40 cells are too large" so splitting, halving
and joining can be checked with small grids, and counts how many writes to one
spreadsheet overlap. It parses ranges itself (not with the client's code).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from lark_async.testing import FakeError, FakeLark, FakeRequest
from lark_async.testing.server.auth import routes as auth_routes
from tests.helpers import APP_ID, APP_SECRET

V2 = "/open-apis/sheets/v2/spreadsheets/{token}"
_RANGE = re.compile(r"^(\w+)!([A-Z]+)(\d+):([A-Z]+)(\d+)$")


def col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def box(text: str) -> tuple[str, int, int, int, int]:
    """(sheet, r1, c1, r2, c2), 1-based; only the bounded form."""
    m = _RANGE.match(text)
    if not m:
        raise FakeError(90202, f"range invalid: {text}")
    sheet, a, r1, b, r2 = m.groups()
    return sheet, int(r1), col_number(a), int(r2), col_number(b)


@dataclass
class Scripted:
    rows: int = 100
    cols: int = 20
    sheet_id: str = "sh0001"
    max_read_cells: int | None = None
    max_write_cells: int | None = None
    write_delay: float = 0.0
    grid: dict[tuple[int, int], Any] = field(default_factory=dict)
    reads: list[str] = field(default_factory=list)
    writes: list[str] = field(default_factory=list)
    active: int = 0
    peak: int = 0
    revision: int = 0
    next_append_row: int = 1
    write_calls: int = 0
    #: write call number (1-based) -> Feishu code to answer instead of writing
    fail_writes: dict[int, int] = field(default_factory=dict)
    #: same for reads of one range
    fail_reads: dict[int, int] = field(default_factory=dict)

    def values(self, r1: int, c1: int, r2: int, c2: int) -> list[list[Any]]:
        return [[self.grid.get((r, c)) for c in range(c1, c2 + 1)] for r in range(r1, r2 + 1)]

    def put(self, r1: int, c1: int, rows: list[list[Any]]) -> int:
        for i, row in enumerate(rows):
            for j, v in enumerate(row):
                self.grid[(r1 + i, c1 + j)] = v
        return sum(len(r) for r in rows)

    @asynccontextmanager
    async def writing(self) -> AsyncIterator[None]:
        self.write_calls += 1
        code = self.fail_writes.get(self.write_calls)
        if code is not None:
            raise FakeError(code, f"scripted failure {code}")
        self.active += 1
        self.peak = max(self.peak, self.active)
        try:
            if self.write_delay:
                await asyncio.sleep(self.write_delay)
            yield
        finally:
            self.active -= 1
            self.revision += 1

    def check_write_size(self, cells: int) -> None:
        if self.max_write_cells is not None and cells > self.max_write_cells:
            raise FakeError(90227, "TooLargeRequest")

    def install(self, fake: FakeLark) -> None:
        s = self

        @fake.route("GET", V2 + "/values/{range}")
        def read(req: FakeRequest) -> dict[str, Any]:
            text = unquote(req.params["range"])
            s.reads.append(text)
            code = s.fail_reads.get(len(s.reads))
            if code is not None:
                raise FakeError(code, f"scripted failure {code}")
            if not _RANGE.match(text) and s.max_read_cells is not None:
                raise FakeError(90221, "TooLargeResponse")  # an open range: "the whole sheet"
            _, r1, c1, r2, c2 = box(text)
            if s.max_read_cells is not None and (r2 - r1 + 1) * (c2 - c1 + 1) > s.max_read_cells:
                raise FakeError(90221, "TooLargeResponse")
            return {
                "revision": s.revision,
                "spreadsheetToken": req.params["token"],
                "valueRange": {
                    "majorDimension": "ROWS",
                    "range": text,
                    "revision": s.revision,
                    "values": s.values(r1, c1, r2, c2),
                },
            }

        @fake.route("GET", V2 + "/values_batch_get")
        def batch_read(req: FakeRequest) -> dict[str, Any]:
            ranges = req.query["ranges"].split(",")
            cells = 0
            out = []
            for text in ranges:
                _, r1, c1, r2, c2 = box(text)
                cells += (r2 - r1 + 1) * (c2 - c1 + 1)
                out.append({"range": text, "values": s.values(r1, c1, r2, c2), "revision": 0})
            s.reads.append("batch:" + ",".join(ranges))
            if s.max_read_cells is not None and cells > s.max_read_cells:
                raise FakeError(90221, "TooLargeResponse")
            return {"revision": s.revision, "totalCells": cells, "valueRanges": out}

        @fake.route("PUT", V2 + "/values")
        async def write(req: FakeRequest) -> dict[str, Any]:
            vr = req.json_object()["valueRange"]
            _, r1, c1, _, _ = box(vr["range"])
            rows = vr["values"]
            s.check_write_size(sum(len(r) for r in rows))
            async with s.writing():
                s.writes.append(vr["range"])
                cells = s.put(r1, c1, rows)
            return {
                "spreadsheetToken": req.params["token"],
                "revision": s.revision,
                "updatedRange": vr["range"],
                "updatedRows": len(rows),
                "updatedColumns": len(rows[0]),
                "updatedCells": cells,
            }

        @fake.route("POST", V2 + "/values_batch_update")
        async def batch_write(req: FakeRequest) -> dict[str, Any]:
            vrs = req.json_object()["valueRanges"]
            s.check_write_size(sum(len(r) for vr in vrs for r in vr["values"]))
            responses = []
            async with s.writing():
                for vr in vrs:
                    _, r1, c1, _, _ = box(vr["range"])
                    s.writes.append(vr["range"])
                    cells = s.put(r1, c1, vr["values"])
                    responses.append({"updatedRange": vr["range"], "updatedCells": cells})
            return {"revision": s.revision, "responses": responses}

        @fake.route("POST", V2 + "/values_append")
        async def append(req: FakeRequest) -> dict[str, Any]:
            vr = req.json_object()["valueRange"]
            rows = vr["values"]
            s.check_write_size(sum(len(r) for r in rows))
            async with s.writing():
                start = s.next_append_row
                s.writes.append(f"append@{start}+{len(rows)}")
                cells = s.put(start, 1, rows)
                s.next_append_row += len(rows)
            end = start + len(rows) - 1
            updated = f"{s.sheet_id}!A{start}:{chr(64 + len(rows[0]))}{end}"
            return {
                "tableRange": updated,
                "revision": s.revision,
                "updates": {
                    "updatedRange": updated,
                    "updatedRows": len(rows),
                    "updatedCells": cells,
                    "revision": s.revision,
                },
            }

        @fake.route("POST", V2 + "/values_prepend")
        async def prepend(req: FakeRequest) -> dict[str, Any]:
            vr = req.json_object()["valueRange"]
            rows = vr["values"]
            s.check_write_size(sum(len(r) for r in rows))
            async with s.writing():
                s.writes.append(f"prepend+{len(rows)}")
                old = {(r + len(rows), c): v for (r, c), v in s.grid.items()}
                s.grid = old
                cells = s.put(1, 1, rows)
            updated = f"{s.sheet_id}!A1:{chr(64 + len(rows[0]))}{len(rows)}"
            return {
                "tableRange": updated,
                "revision": s.revision,
                "updates": {"updatedRange": updated, "updatedCells": cells},
            }

        @fake.route("GET", "/open-apis/sheets/v3/spreadsheets/{token}/sheets/{sheet_id}")
        def sheet(req: FakeRequest) -> dict[str, Any]:
            if req.params["sheet_id"] != s.sheet_id:
                raise FakeError(1310214, "not found")
            return {
                "sheet": {
                    "sheet_id": s.sheet_id,
                    "title": "Sheet1",
                    "index": 0,
                    "grid_properties": {"row_count": s.rows, "column_count": s.cols},
                }
            }


@asynccontextmanager
async def scripted_emulator(clock: Any, **kwargs: Any) -> AsyncIterator[tuple[FakeLark, Scripted]]:
    fake = FakeLark(time_func=clock.time, modules=[auth_routes])
    async with fake:
        fake.add_app(APP_ID, APP_SECRET)
        script = Scripted(**kwargs)
        script.install(fake)
        yield fake, script
