"""Raw-request helpers for the Bitable emulator tests: the Api wrapper, field specs, result readers."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import aiohttp

from lark_async.testing import BitableEmulator, FakeLark
from tests.emulator.helpers import call

Result = tuple[int, dict[str, Any]]

FIELDS: list[dict[str, Any]] = [
    {"field_name": "Name", "type": 1},
    {"field_name": "Count", "type": 2},
    {"field_name": "Team", "type": 3, "property": {"options": [{"name": "Core"}]}},
    {"field_name": "Tags", "type": 4},
    {"field_name": "Due", "type": 5},
    {"field_name": "Done", "type": 7},
    {"field_name": "Owner", "type": 11},
    {"field_name": "Phone", "type": 13},
    {"field_name": "Site", "type": 15},
    {"field_name": "Files", "type": 17},
    {"field_name": "Where", "type": 22},
    {"field_name": "Chat", "type": 23},
    {"field_name": "Formula", "type": 20},
    {"field_name": "Created", "type": 1001},
    {"field_name": "Editor", "type": 1004},
    {"field_name": "No", "type": 1005},
]


@dataclass
class Api:
    """Raw requests to one table, plus the emulator's inspection API."""

    fake: FakeLark
    session: aiohttp.ClientSession
    token: str
    bt: BitableEmulator
    app_token: str
    table_id: str
    other_table: str

    def path(self, suffix: str = "", table_id: str | None = None) -> str:
        return (
            f"/open-apis/bitable/v1/apps/{self.app_token}/tables/{table_id or self.table_id}"
            f"/records{suffix}"
        )

    async def call(self, method: str, path: str, **kwargs: Any) -> Result:
        kwargs.setdefault("token", self.token)
        status, body, _ = await call(self.session, self.fake, method, path, **kwargs)
        assert isinstance(body, dict), body
        return status, body

    async def create(self, fields: dict[str, Any], **kwargs: Any) -> Result:
        return await self.call("POST", self.path(), json={"fields": fields}, **kwargs)

    async def batch_create(self, rows: list[dict[str, Any]], **kwargs: Any) -> Result:
        body = {"records": [{"fields": r} for r in rows]}
        return await self.call("POST", self.path("/batch_create"), json=body, **kwargs)

    async def search(self, body: dict[str, Any] | None = None, **params: Any) -> Result:
        return await self.call("POST", self.path("/search"), json=body or {}, params=params)

    def records(self, table_id: str | None = None) -> list[dict[str, Any]]:
        return self.bt.records(self.app_token, table_id or self.table_id)

    def names(self, table_id: str | None = None) -> list[str]:
        return [r["fields"]["Name"][0]["text"] for r in self.records(table_id)]


def code_of(result: Result) -> tuple[int, int]:
    """(HTTP status, envelope code)."""
    return result[0], result[1]["code"]


def names_of(result: Result) -> list[str]:
    return [item["fields"]["Name"][0]["text"] for item in result[1]["data"]["items"]]
