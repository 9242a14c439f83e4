"""Row checks per field type, CSV typing, and streaming file rows in and out."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from lark_async.bitable import FieldType, Record, Schema, TableField, plain_text, to_text
from lark_async.bitable.files import count_rows, format_of, read_rows, write_rows
from lark_async.core.errors import InvalidParameter

TYPES = {
    "Text": 1,
    "Num": 2,
    "One": 3,
    "Many": 4,
    "Day": 5,
    "Tick": 7,
    "People": 11,
    "Phone": 13,
    "Link": 15,
    "Files": 17,
    "Rel": 18,
    "Where": 22,
    "Calc": 20,
    "Serial": 1005,
}
SCHEMA = Schema(TableField(field_name=n, type=t, is_primary=n == "Text") for n, t in TYPES.items())


@pytest.mark.parametrize(
    "row",
    [
        {"Text": "a", "Num": 1.5, "One": "x", "Many": ["a", "b"], "Day": 1700000000000},
        {"Tick": False, "People": [{"id": "ou_1"}], "Phone": "+8613800000000"},
        {"Link": {"text": "site", "link": "https://example.com"}, "Files": [{"file_token": "b"}]},
        {"Rel": ["rec1"], "Where": "116.3,39.9", "Text": None},
    ],
)
def test_good_rows_pass(row: dict[str, Any]) -> None:
    assert SCHEMA.problem(row) is None


@pytest.mark.parametrize(
    ("row", "says"),
    [
        ({"Txet": "a"}, "no field named 'Txet'"),
        ({"Calc": 1}, "computed by Feishu"),
        ({"Serial": 1}, "computed by Feishu"),
        ({"Text": 3}, "expects a string"),
        ({"Num": True}, "expects a number"),
        ({"Num": float("nan")}, "expects a number"),
        ({"Many": "a,b"}, "list of option names"),
        ({"Day": 1.5}, "epoch milliseconds"),
        ({"Tick": "yes"}, "true or false"),
        ({"People": ["ou_1"]}, '"id"'),
        ({"People": [{"id": "ou"}] * 1001}, "1,000"),
        ({"Phone": "call me"}, "digits"),
        ({"Link": "https://x"}, '"link"'),
        ({"Files": [{"file_token": "b"}] * 101}, "100 attachments"),
        ({"Rel": "rec1"}, "record ids"),
    ],
)
def test_bad_rows_say_what_is_wrong(row: dict[str, Any], says: str) -> None:
    problem = SCHEMA.problem(row)
    assert problem is not None and says in problem


def test_primary_and_writable() -> None:
    assert SCHEMA.primary is not None and SCHEMA.primary.field_name == "Text"
    assert not SCHEMA.fields["Calc"].writable and SCHEMA.fields["Num"].writable
    assert FieldType(1005) is FieldType.AUTO_NUMBER


def test_csv_text_is_typed_per_field() -> None:
    typed = SCHEMA.coerce_text(
        {
            "Text": "007",
            "Num": "42",
            "One": "x",
            "Many": "a, b ,",
            "Day": "2024-01-02",
            "Tick": "Yes",
            "People": "ou_1,ou_2",
            "Link": "https://example.com",
            "Files": "boxcn1",
            "Rel": "rec1,rec2",
            "Where": "",
        }
    )
    assert typed == {
        "Text": "007",
        "Num": 42,
        "One": "x",
        "Many": ["a", "b"],
        "Day": 1704153600000,
        "Tick": True,
        "People": [{"id": "ou_1"}, {"id": "ou_2"}],
        "Link": {"text": "https://example.com", "link": "https://example.com"},
        "Files": [{"file_token": "boxcn1"}],
        "Rel": ["rec1", "rec2"],
    }
    assert SCHEMA.coerce_text({"Num": "2.50"}) == {"Num": 2.5}
    assert SCHEMA.coerce_text({"Num": "1e3"}) == {"Num": 1000.0}
    assert SCHEMA.coerce_text({"Day": "1700000000000", "Tick": "0"}) == {
        "Day": 1700000000000,
        "Tick": False,
    }
    assert SCHEMA.coerce_text({"Many": '["a,b", "c"]'}) == {"Many": ["a,b", "c"]}
    assert SCHEMA.coerce_text({"Unknown": "x"}) == {"Unknown": "x"}


@pytest.mark.parametrize(
    ("row", "says"),
    [({"Num": "ten"}, "'Num'"), ({"Tick": "maybe"}, "'Tick'"), ({"Day": "soon"}, "'Day'")],
)
def test_untypable_cells_name_the_field(row: dict[str, str], says: str) -> None:
    with pytest.raises(ValueError, match=says):
        SCHEMA.coerce_text(row)


def test_values_back_to_text() -> None:
    assert to_text([{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]) == "ab"
    assert to_text(None) == "" and to_text(True) == "true" and to_text(3) == "3"
    assert to_text(["x", "y"]) == "x,y"
    assert to_text([{"id": "ou_1", "name": "Ada"}]) == "ou_1"
    assert to_text({"text": "t", "link": "https://x"}) == "https://x"
    assert to_text({"link_record_ids": ["rec1", "rec2"]}) == "rec1,rec2"
    assert to_text([{"file_token": "b", "name": "f.png"}]) == '[{"file_token":"b","name":"f.png"}]'
    assert plain_text(5) == 5


def test_read_csv_rows_typed_and_record_id_dropped(tmp_path: Path) -> None:
    path = tmp_path / "in.csv"
    path.write_text("record_id,Text,Num,Tick\nrec1,a,1,true\nrec2,b,2,\n", encoding="utf-8")
    assert count_rows(path) == 2
    rows = list(read_rows(path, schema=SCHEMA))
    assert rows == [{"Text": "a", "Num": 1, "Tick": True}, {"Text": "b", "Num": 2}]
    kept = list(read_rows(path, schema=SCHEMA, keep_record_id=True))
    assert kept[0] == {"record_id": "rec1", "fields": {"Text": "a", "Num": 1, "Tick": True}}
    raw = list(read_rows(path))
    assert raw[0] == {"Text": "a", "Num": "1", "Tick": "true"}


def test_read_jsonl_rows_and_unwrap_exports(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    lines = [
        {"Text": "a", "Num": 1},
        {"record_id": "rec1", "fields": {"Text": "b"}},
        {"record_id": "rec2", "Text": "c"},
    ]
    path.write_text("\n".join(json.dumps(x) for x in lines) + "\n\n", encoding="utf-8")
    assert count_rows(path) == 3
    assert list(read_rows(path)) == [{"Text": "a", "Num": 1}, {"Text": "b"}, {"Text": "c"}]
    assert list(read_rows(path, keep_record_id=True))[1:] == [
        {"record_id": "rec1", "fields": {"Text": "b"}},
        {"record_id": "rec2", "fields": {"Text": "c"}},
    ]


def test_bad_files_are_refused_clearly(tmp_path: Path) -> None:
    with pytest.raises(InvalidParameter, match="format"):
        format_of(tmp_path / "x.xlsx")
    with pytest.raises(InvalidParameter, match="no such file"):
        list(read_rows(tmp_path / "missing.csv"))
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"a": 1}\nnot json\n', encoding="utf-8")
    with pytest.raises(InvalidParameter, match="line 2"):
        list(read_rows(bad))
    arr = tmp_path / "arr.jsonl"
    arr.write_text("[1, 2]\n", encoding="utf-8")
    with pytest.raises(InvalidParameter, match="not a JSON object"):
        list(read_rows(arr))
    assert format_of(tmp_path / "x.txt", "jsonl") == "jsonl"


async def records() -> AsyncIterator[Record]:
    yield Record(record_id="rec1", fields={"Text": [{"type": "text", "text": "a"}], "Num": 1})
    yield Record(record_id="rec2", fields={"Many": ["x", "y"]})


async def test_write_rows_as_csv_and_jsonl() -> None:
    out = io.StringIO()
    assert await write_rows(records(), out, fmt="csv", columns=["Text", "Num", "Many"]) == 2
    assert out.getvalue().splitlines() == ["record_id,Text,Num,Many", "rec1,a,1,", 'rec2,,,"x,y"']
    out = io.StringIO()
    assert await write_rows(records(), out, fmt="jsonl", columns=[]) == 2
    first = json.loads(out.getvalue().splitlines()[0])
    assert first == {"record_id": "rec1", "fields": {"Text": "a", "Num": 1}}
