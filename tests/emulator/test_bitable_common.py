"""Shared fixtures for the Bitable emulator tests, and tests of the seeding / inspection API."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import aiohttp
import pytest

from lark_async.testing import BitableEmulator, FakeLark
from tests.emulator.helpers import call, tenant_token

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


async def make_api(fake: FakeLark, session: aiohttp.ClientSession) -> Api:
    """A base with a "Main" table of every field type (plus a link to "Other") and a token.

    Each test module wraps it in its own ``api`` fixture.
    """
    # Most tests send many requests at one instant of the hand-driven clock: the
    # limits get their own tests (test_bitable_records.py), so they are off here.
    fake.enforce_rate_limits = False
    bt = BitableEmulator.of(fake)
    app_token = bt.create_app(name="Tests")
    other = bt.create_table(app_token, name="Other", fields=[{"field_name": "Title", "type": 1}])
    fields = [*FIELDS, {"field_name": "Ref", "type": 18, "property": {"table_id": other}}]
    table_id = bt.create_table(app_token, name="Main", fields=fields)
    return Api(fake, session, await tenant_token(session, fake), bt, app_token, table_id, other)


@pytest.fixture(autouse=True)
def handler_errors_are_bugs(fake: FakeLark) -> Iterator[None]:
    """Import into a test module: fails a test whose requests crashed a handler (HTTP 500)."""
    yield
    assert fake.handler_errors == []


# --- tests of BitableEmulator itself --------------------------------------------------------
def test_seeding_makes_ids_of_the_documented_shapes(fake: FakeLark) -> None:
    bt = BitableEmulator.of(fake)
    app_token = bt.create_app(name="Base")
    table_id = bt.create_table(app_token, name="T", fields=FIELDS)
    assert app_token.startswith("bascn") and len(app_token) == 27
    assert table_id.startswith("tbl") and len(table_id) == 16
    [view] = bt.views(app_token, table_id)
    assert view.startswith("vew")
    fields = bt.fields(app_token, table_id)
    assert list(fields) == [f["field_name"] for f in FIELDS]
    assert fields["Team"]["property"]["options"][0]["name"] == "Core"
    assert all(f["field_id"].startswith("fld") for f in fields.values())
    assert bt.records(app_token, table_id) == []
    assert BitableEmulator.of(fake).state is bt.state  # every view shares the state
    assert "tables=1" in repr(bt)
    assert bt.create_app(app_token="bascnFixedToken") == "bascnFixedToken"


@pytest.mark.parametrize(
    ("fields", "match"),
    [
        ([], "1..300 fields"),
        ([{"field_name": "", "type": 1}], "field_name"),
        ([{"field_name": "A", "type": 6}], "type must be one of"),
        ([{"field_name": "A", "type": "1"}], "type must be one of"),
        ([{"field_name": "A", "type": 1}, {"field_name": "A", "type": 2}], "duplicate"),
        ([{"field_name": "A", "type": 3, "property": {"options": [{"id": "x"}]}}], "option"),
        ([{"field_name": "A", "type": 1, "property": "x"}], "property"),
    ],
)
def test_bad_table_specs_are_refused(fake: FakeLark, fields: list[Any], match: str) -> None:
    bt = BitableEmulator.of(fake)
    app_token = bt.create_app()
    with pytest.raises(ValueError, match=match):
        bt.create_table(app_token, fields=fields)


def test_seeding_errors(fake: FakeLark) -> None:
    bt = BitableEmulator.of(fake)
    token = bt.create_app(app_token="bascnOne")
    with pytest.raises(ValueError, match="already exists"):
        bt.create_app(app_token="bascnOne")
    with pytest.raises(ValueError, match="app_token"):
        bt.create_app(app_token="has/slash")
    with pytest.raises(KeyError):
        bt.create_table("bascnMissing")
    with pytest.raises(KeyError):
        bt.records(token, "tblMissing")
    with pytest.raises(ValueError, match="negative"):
        bt.set_write_latency(-1)
    for _ in range(100):
        bt.create_table(token)
    with pytest.raises(ValueError, match="100 tables"):
        bt.create_table(token)
