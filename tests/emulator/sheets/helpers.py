"""Raw-request helpers for the Sheets emulator tests: the Api wrapper and result readers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import aiohttp

from lark_async.testing import FakeLark, SheetsEmulator
from tests.emulator.helpers import call

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
