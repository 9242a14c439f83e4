"""Shared helpers for the Sheets emulator tests, and tests of the seeding / inspection API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp
import pytest

from lark_async.testing import FakeLark, SheetsEmulator
from tests.emulator.helpers import call, tenant_token

Result = tuple[int, dict[str, Any]]
V2 = "/open-apis/sheets/v2/spreadsheets"
V3 = "/open-apis/sheets/v3/spreadsheets"


@dataclass
class Api:
    """Raw requests against one seeded spreadsheet ("Sheet1" 200 × 20, "Data" 10 × 5)."""

    fake: FakeLark
    session: aiohttp.ClientSession
    token: str
    sh: SheetsEmulator
    book: str
    sid: str
    data_sid: str

    async def call(self, method: str, path: str, **kwargs: Any) -> Result:
        kwargs.setdefault("token", self.token)
        status, body, _ = await call(self.session, self.fake, method, path, **kwargs)
        assert isinstance(body, dict), body
        return status, body

    def v2(self, suffix: str, book: str | None = None) -> str:
        return f"{V2}/{book or self.book}/{suffix}"

    async def write(self, rng: str, values: list[list[Any]]) -> Result:
        body = {"valueRange": {"range": rng, "values": values}}
        return await self.call("PUT", self.v2("values"), json=body)

    async def read(self, rng: str, **params: Any) -> Result:
        return await self.call("GET", self.v2("values/" + quote(rng, safe="")), params=params)

    def grid(self, sheet_id: str | None = None) -> list[list[Any]]:
        return self.sh.values(self.book, sheet_id or self.sid)


def code_of(result: Result) -> tuple[int, int]:
    """(HTTP status, envelope code)."""
    return result[0], result[1]["code"]


def values_of(result: Result) -> list[list[Any]]:
    assert result[1]["code"] == 0, result
    values = result[1]["data"]["valueRange"]["values"]
    assert isinstance(values, list)
    return values


async def make_api(fake: FakeLark, session: aiohttp.ClientSession) -> Api:
    """Each test module wraps this in its own ``api`` fixture."""
    fake.enforce_rate_limits = False  # the limits have their own tests
    sh = SheetsEmulator.of(fake)
    book = sh.create_spreadsheet(title="Tests", sheets=[("Sheet1", 200, 20), ("Data", 10, 5)])
    token = await tenant_token(session, fake)
    return Api(
        fake, session, token, sh, book, sh.sheet_id(book, "Sheet1"), sh.sheet_id(book, "Data")
    )


@pytest.fixture(autouse=True)
def handler_errors_are_bugs(fake: FakeLark) -> Iterator[None]:
    """Import into a test module: fails a test whose requests crashed a handler (HTTP 500)."""
    yield
    assert fake.handler_errors == []


# --- tests of SheetsEmulator itself -----------------------------------------------------------
def test_seeding_and_inspection(fake: FakeLark) -> None:
    sh = SheetsEmulator.of(fake)
    token = sh.create_spreadsheet(title="S", sheets=[("Sheet1", 3, 2), ("Two", 1, 1)])
    assert token.startswith("shtcn") and len(token) == 27
    sid = sh.sheet_id(token, "Sheet1")
    assert len(sid) == 6 and sid.isalnum()
    assert sh.sheet_ids(token) == [sid, sh.sheet_id(token, "Two")]
    assert sh.values(token, sid) == [[None, None]] * 3
    assert sh.styles(token, sid) == {} and sh.merges(token, sid) == []
    assert sh.dimensions(token, sid) == {"rows": {}, "cols": {}}
    assert sh.hidden(token, sid) == {"rows": set(), "cols": set()}
    assert sh.frozen(token, sid) == (0, 0) and sh.size(token, sid) == (3, 2)
    assert sh.revision(token) == 0 and sh.write_calls == 0 and sh.concurrent_writes == 0
    assert sh.cell(token, f"{sid}!A1") is None
    third = sh.add_sheet(token, "Three", 5, 5)
    assert sh.sheet_ids(token)[-1] == third and sh.size(token, third) == (5, 5)
    assert SheetsEmulator.of(fake).state is sh.state
    assert "spreadsheets=1" in repr(sh)
    assert sh.max_read_bytes == 10 * 1024 * 1024
    sh.max_read_bytes = 100
    assert sh.max_read_bytes == 100


def test_seeding_errors(fake: FakeLark) -> None:
    sh = SheetsEmulator.of(fake)
    with pytest.raises(ValueError, match="at least one"):
        sh.create_spreadsheet(sheets=[])
    with pytest.raises(ValueError, match="unique"):
        sh.create_spreadsheet(sheets=[("A", 1, 1), ("A", 1, 1)])
    with pytest.raises(ValueError, match="rows"):
        sh.create_spreadsheet(sheets=[("A", 0, 1)])
    with pytest.raises(ValueError, match="cells"):
        sh.create_spreadsheet(sheets=[("A", 5000, 1001)])
    token = sh.create_spreadsheet()
    sid = sh.sheet_id(token, "Sheet1")
    assert sh.size(token, sid) == (200, 20)  # Feishu's default grid
    with pytest.raises(KeyError):
        sh.sheet_id(token, "Nope")
    with pytest.raises(KeyError):
        sh.values("shtcnNope", sid)
    with pytest.raises(KeyError):
        sh.values(token, "nope00")
    with pytest.raises(ValueError, match="already titled"):
        sh.add_sheet(token, "Sheet1")
    with pytest.raises(ValueError, match="one cell"):
        sh.cell(token, f"{sid}!A1:B2")
    with pytest.raises(ValueError, match="negative"):
        sh.set_write_latency(-0.1)
    with pytest.raises(ValueError, match="positive"):
        sh.max_read_bytes = 0
