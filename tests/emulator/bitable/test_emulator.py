"""Tests of BitableEmulator itself: seeding and inspection."""

from __future__ import annotations

from typing import Any

import pytest

from lark_async.testing import BitableEmulator, FakeLark
from tests.emulator.bitable.helpers import FIELDS


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
