"""Bitable search and the legacy list: filters, dates, sorts and paging (CONTRACT §9.6, §9.7)."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from lark_async.testing import BitableEmulator, FakeLark
from tests.emulator.bitable.helpers import Api, code_of, names_of
from tests.emulator.helpers import APP_ID

SHANGHAI = ZoneInfo("Asia/Shanghai")  # a base's default time zone
# ManualClock starts at 1_700_000_000: Wednesday 2023-11-15, 06:13 in Shanghai.

PEOPLE: list[dict[str, Any]] = [
    {
        "Name": "Ada",
        "Count": 36,
        "Team": "Core",
        "Tags": ["a", "b"],
        "Done": True,
        "Owner": [{"id": "ou_ada"}],
        "Phone": "+861",
        "Site": {"text": "Home", "link": "https://example.com"},
        "Files": [{"file_token": "boxcnF1"}],
    },
    {"Name": "Bob", "Count": 25, "Team": "Ops", "Tags": ["b"], "Done": False,
     "Owner": [{"id": "ou_bob"}, {"id": "ou_ada"}]},
    {"Name": "Cy", "Count": 41.5, "Team": "Core"},
    {"Name": "Dee", "Tags": ["c"]},
    {"Name": "ada lovelace", "Count": 0},
]  # fmt: skip


def cond(field: str, op: str, *values: str) -> dict[str, Any]:
    return {"field_name": field, "operator": op, "value": list(values)}


def where(*conditions: dict[str, Any], conjunction: str = "and") -> dict[str, Any]:
    return {"filter": {"conjunction": conjunction, "conditions": list(conditions)}}


async def seed(api: Api, rows: list[dict[str, Any]] = PEOPLE) -> None:
    status, body = await api.batch_create(rows)
    assert (status, body["code"]) == (200, 0), body


async def found(api: Api, body: dict[str, Any], **params: Any) -> list[str]:
    result = await api.search(body, page_size=500, **params)
    assert code_of(result) == (200, 0), result
    return names_of(result)


@pytest.mark.parametrize(
    ("condition", "expected"),
    [
        # text: "is" is exact, "contains" ignores case; negations match empty cells
        (cond("Name", "is", "Ada"), ["Ada"]),
        (cond("Name", "isNot", "Ada"), ["Bob", "Cy", "Dee", "ada lovelace"]),
        (cond("Name", "contains", "ADA"), ["Ada", "ada lovelace"]),
        (cond("Name", "contains", "bo", "cy"), ["Bob", "Cy"]),
        (cond("Name", "doesNotContain", "a"), ["Bob", "Cy", "Dee"]),
        (cond("Phone", "is", "+861"), ["Ada"]),
        (cond("Site", "contains", "hom"), ["Ada"]),
        # number
        (cond("Count", "is", "36"), ["Ada"]),
        (cond("Count", "isNot", "36"), ["Bob", "Cy", "Dee", "ada lovelace"]),
        (cond("Count", "isGreater", "30"), ["Ada", "Cy"]),
        (cond("Count", "isGreaterEqual", "36"), ["Ada", "Cy"]),
        (cond("Count", "isLess", "36"), ["Bob", "ada lovelace"]),
        (cond("Count", "isLessEqual", "25.0"), ["Bob", "ada lovelace"]),
        (cond("Count", "isEmpty"), ["Dee"]),
        (cond("Count", "isNotEmpty"), ["Ada", "Bob", "Cy", "ada lovelace"]),
        # single select: "is" any of the options named
        (cond("Team", "is", "Core"), ["Ada", "Cy"]),
        (cond("Team", "is", "Core", "Ops"), ["Ada", "Bob", "Cy"]),
        (cond("Team", "isNot", "Core"), ["Bob", "Dee", "ada lovelace"]),
        (cond("Team", "contains", "Ops"), ["Bob"]),
        (cond("Team", "doesNotContain", "Core"), ["Bob", "Dee", "ada lovelace"]),
        (cond("Team", "isEmpty"), ["Dee", "ada lovelace"]),
        # multi select: "is" the same set, "contains" any
        (cond("Tags", "is", "b"), ["Bob"]),
        (cond("Tags", "is", "b", "a"), ["Ada"]),
        (cond("Tags", "contains", "a", "c"), ["Ada", "Dee"]),
        (cond("Tags", "doesNotContain", "b"), ["Cy", "Dee", "ada lovelace"]),
        (cond("Tags", "isEmpty"), ["Cy", "ada lovelace"]),
        # checkbox (an unset box is false)
        (cond("Done", "is", "true"), ["Ada"]),
        (cond("Done", "is", "false"), ["Bob", "Cy", "Dee", "ada lovelace"]),
        # people
        (cond("Owner", "contains", "ou_ada"), ["Ada", "Bob"]),
        (cond("Owner", "is", "ou_ada"), ["Ada"]),
        (cond("Owner", "isEmpty"), ["Cy", "Dee", "ada lovelace"]),
        # attachments
        (cond("Files", "isNotEmpty"), ["Ada"]),
        (cond("Files", "isEmpty"), ["Bob", "Cy", "Dee", "ada lovelace"]),
        # automatic fields
        (cond("No", "is", "2"), ["Bob"]),
        (cond("Created", "isNotEmpty"), ["Ada", "Bob", "Cy", "Dee", "ada lovelace"]),
        (cond("Editor", "contains", APP_ID), ["Ada", "Bob", "Cy", "Dee", "ada lovelace"]),
    ],
)
async def test_operators_by_field_type(
    api: Api, condition: dict[str, Any], expected: list[str]
) -> None:
    await seed(api)
    assert await found(api, where(condition)) == expected


async def test_conjunctions_and_one_level_of_children(api: Api) -> None:
    await seed(api)
    nested = where(cond("Team", "is", "Core"))
    nested["filter"]["children"] = [
        {
            "conjunction": "or",
            "conditions": [cond("Count", "isGreater", "40"), cond("Done", "is", "true")],
        }
    ]
    assert await found(api, nested) == ["Ada", "Cy"]
    either = where(cond("Name", "is", "Bob"), conjunction="or")
    either["filter"]["children"] = [
        {
            "conjunction": "and",
            "conditions": [cond("Team", "is", "Core"), cond("Count", "isLess", "40")],
        }
    ]
    assert await found(api, either) == ["Ada", "Bob"]
    assert await found(api, where()) == ["Ada", "Bob", "Cy", "Dee", "ada lovelace"]
    assert await found(api, {"filter": None}) == ["Ada", "Bob", "Cy", "Dee", "ada lovelace"]


@pytest.mark.parametrize(
    ("body", "code", "status"),
    [
        (where(cond("Count", "contains", "3")), 1254001, 200),
        (where(cond("Done", "isNot", "true")), 1254001, 200),
        (where(cond("Done", "is", "yes")), 1254001, 200),
        (where(cond("Files", "is", "boxcnF1")), 1254001, 200),
        (where(cond("Formula", "isEmpty")), 1254001, 200),
        (where(cond("Name", "isGreater", "A")), 1254001, 200),
        (where(cond("Count", "is", "many")), 1254001, 200),
        (where(cond("Count", "is", "1", "2")), 1254001, 200),
        (where(cond("Count", "is", "inf")), 1254001, 200),
        (where(cond("Name", "like", "A")), 1254001, 200),
        (where(cond("Name", "in", "A")), 1254001, 200),
        (where(cond("Name", "isEmpty", "x")), 1254001, 200),
        (where(cond("Name", "is")), 1254001, 200),
        (where(cond("Nmae", "is", "x")), 1254045, 200),
        (where(cond("Name", "equals", "x")), 99992402, 400),
        (where(cond("Name", "is", *["x"] * 11)), 99992402, 400),
        (where({"field_name": "Name", "operator": "is", "value": "x"}), 99992402, 400),
        (where({"field_name": "Name", "operator": "is", "value": [1]}), 99992402, 400),
        (where({"operator": "is", "value": ["x"]}), 99992402, 400),
        (where("Name is x"), 99992402, 400),  # type: ignore[arg-type]
        (where(*[cond("Name", "is", "x")] * 51), 99992402, 400),
        ({"filter": {"conditions": [cond("Name", "is", "x")]}}, 99992402, 400),
        ({"filter": {"conjunction": "xor", "conditions": []}}, 99992402, 400),
        ({"filter": {"conjunction": "and", "conditions": {}}}, 99992402, 400),
        ({"filter": {"conjunction": "and", "children": "x"}}, 99992402, 400),
        ({"filter": {"conjunction": "and", "children": ["x"]}}, 99992402, 400),
        ({"filter": "Name = x"}, 99992402, 400),
        (
            {
                "filter": {
                    "conjunction": "and",
                    "children": [{"conjunction": "and", "children": [{}]}],
                }
            },
            1254001,
            200,
        ),
        (where(*[cond("Name", "contains", "x" * 40)] * 45), 1254107, 200),
    ],
)
async def test_bad_filters_are_refused(
    api: Api, body: dict[str, Any], code: int, status: int
) -> None:
    await seed(api)
    result = await api.search(body)
    assert code_of(result) == (status, code)


# --- dates ---------------------------------------------------------------------------------------
def ms(year: int, month: int, day: int, hour: int = 12, tz: dt.tzinfo = SHANGHAI) -> int:
    return int(dt.datetime(year, month, day, hour, tzinfo=tz).timestamp() * 1000)


DATES = {
    "morning": ms(2023, 11, 15, 1),
    "late": ms(2023, 11, 15, 23),
    "yesterday": ms(2023, 11, 14),
    "tomorrow": ms(2023, 11, 16),
    "monday": ms(2023, 11, 13),
    "lastweek": ms(2023, 11, 8),
    "tenth": ms(2023, 11, 10),
    "nextweek": ms(2023, 11, 21),
    "october": ms(2023, 10, 20),
}
ALL_DATED = list(DATES)


async def seed_dates(api: Api) -> None:
    rows = [{"Name": name, "Due": when} for name, when in DATES.items()]
    await seed(api, [*rows, {"Name": "undated"}])


@pytest.mark.parametrize(
    ("value", "op", "expected"),
    [
        (["ExactDate", str(ms(2023, 11, 15, 12))], "is", ["morning", "late"]),
        (["ExactDate", str(ms(2023, 11, 15, 23))], "is", ["morning", "late"]),  # day, not instant
        (["ExactDate", str(ms(2023, 11, 15))], "isGreater", ["tomorrow", "nextweek"]),
        (
            ["ExactDate", str(ms(2023, 11, 15))],
            "isLess",
            ["yesterday", "monday", "lastweek", "tenth", "october"],
        ),
        (["Today"], "is", ["morning", "late"]),
        (["Tomorrow"], "is", ["tomorrow"]),
        (["Yesterday"], "is", ["yesterday"]),
        (["Today"], "isGreater", ["tomorrow", "nextweek"]),
        (["Yesterday"], "isLess", ["monday", "lastweek", "tenth", "october"]),
        (
            ["Tomorrow"],
            "isLess",
            ["morning", "late", "yesterday", "monday", "lastweek", "tenth", "october"],
        ),
        (["CurrentWeek"], "is", ["morning", "late", "yesterday", "tomorrow", "monday"]),
        (["LastWeek"], "is", ["lastweek", "tenth"]),
        (["CurrentMonth"], "is", [d for d in ALL_DATED if d != "october"]),
        (["LastMonth"], "is", ["october"]),
        (["TheLastWeek"], "is", ["morning", "late", "yesterday", "monday", "tenth"]),
        (["TheNextWeek"], "is", ["morning", "late", "tomorrow", "nextweek"]),
        (["TheLastMonth"], "is", [d for d in ALL_DATED if d not in ("tomorrow", "nextweek")]),
        (["TheNextMonth"], "is", ["morning", "late", "tomorrow", "nextweek"]),
    ],
)
async def test_date_values(api: Api, value: list[str], op: str, expected: list[str]) -> None:
    await seed_dates(api)
    condition = {"field_name": "Due", "operator": op, "value": value}
    assert await found(api, where(condition)) == expected


async def test_date_emptiness_and_created_time(api: Api) -> None:
    await seed_dates(api)
    assert await found(api, where(cond("Due", "isEmpty"))) == ["undated"]
    assert await found(api, where(cond("Due", "isNotEmpty"))) == ALL_DATED
    today = where(cond("Created", "is", "Today"))
    assert len(await found(api, today)) == len(ALL_DATED) + 1  # written "now"


@pytest.mark.parametrize(
    "condition",
    [
        cond("Due", "isGreaterEqual", "Today"),
        cond("Due", "contains", "Today"),
        cond("Due", "isGreater", "CurrentWeek"),
        cond("Due", "is", "ExactDate"),
        cond("Due", "is", "ExactDate", "noon"),
        cond("Due", "is", "Today", "1"),
        cond("Due", "is", "NextYear"),
        cond("Due", "is", "2023-11-15"),
    ],
)
async def test_bad_date_filters(api: Api, condition: dict[str, Any]) -> None:
    assert code_of(await api.search(where(condition))) == (200, 1254001)


async def test_days_are_counted_in_the_bases_time_zone(fake: FakeLark, api: Api) -> None:
    # now: 2023-11-14 22:13 UTC = the 15th in Shanghai
    rows = [
        {"Name": "late14", "Due": ms(2023, 11, 14, 15, tz=dt.UTC)},  # the 14th, 23:00 in Shanghai
        {"Name": "evening15", "Due": ms(2023, 11, 15, 20, tz=dt.UTC)},  # the 16th in Shanghai
    ]
    exact = where(cond("Due", "is", "ExactDate", str(ms(2023, 11, 15, 1, tz=dt.UTC))))
    await seed(api, rows)
    assert await found(api, where(cond("Due", "is", "Yesterday"))) == ["late14"]
    assert await found(api, where(cond("Due", "is", "Today"))) == []
    assert await found(api, exact) == []  # the 15th in Shanghai holds neither

    bt = BitableEmulator.of(fake)
    utc_base = bt.create_app(name="UTC", time_zone="UTC")
    fields = [{"field_name": "Name", "type": 1}, {"field_name": "Due", "type": 5}]
    utc = Api(
        fake, api.session, api.token, bt, utc_base, bt.create_table(utc_base, fields=fields), ""
    )
    await seed(utc, rows)
    assert await found(utc, where(cond("Due", "is", "Today"))) == ["late14"]
    assert await found(utc, exact) == ["evening15"]
    unknown_zone = bt.create_app(name="Nowhere", time_zone="Mars/Olympus")  # falls back to UTC+8
    mars = Api(
        fake,
        api.session,
        api.token,
        bt,
        unknown_zone,
        bt.create_table(unknown_zone, fields=fields),
        "",
    )
    await seed(mars, rows)
    assert await found(mars, where(cond("Due", "is", "Yesterday"))) == ["late14"]


# --- sort, field_names, view ----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("sort", "expected"),
    [
        ([{"field_name": "Count"}], ["ada lovelace", "Bob", "Ada", "Cy", "Dee"]),
        ([{"field_name": "Count", "desc": True}], ["Cy", "Ada", "Bob", "ada lovelace", "Dee"]),
        ([{"field_name": "Name", "desc": False}], ["Ada", "Bob", "Cy", "Dee", "ada lovelace"]),
        (
            [{"field_name": "Team"}, {"field_name": "Count", "desc": True}],
            ["Cy", "Ada", "Bob", "ada lovelace", "Dee"],
        ),
        ([{"field_name": "Done", "desc": True}], ["Ada", "Bob", "Cy", "Dee", "ada lovelace"]),
        ([{"field_name": "No", "desc": True}], ["ada lovelace", "Dee", "Cy", "Bob", "Ada"]),
        ([{"field_name": "Tags"}], ["Ada", "Bob", "Dee", "Cy", "ada lovelace"]),
    ],
)
async def test_sort_puts_empty_cells_last(
    api: Api, sort: list[dict[str, Any]], expected: list[str]
) -> None:
    await seed(api)
    assert await found(api, {"sort": sort}) == expected


@pytest.mark.parametrize(
    ("sort", "code", "status"),
    [
        ([{"field_name": "Nmae"}], 1254045, 200),
        ([{"field_name": "Count", "desc": "yes"}], 99992402, 400),
        (["Count"], 99992402, 400),
        ({"field_name": "Count"}, 99992402, 400),
        ([{"field_name": "Count"}] * 101, 99992402, 400),
        ([{"field_name": "x" * 60, "desc": True}] * 20, 1254108, 200),
    ],
)
async def test_bad_sorts(api: Api, sort: Any, code: int, status: int) -> None:
    assert code_of(await api.search({"sort": sort})) == (status, code)


async def test_field_names_view_and_automatic_fields(api: Api) -> None:
    await seed(api)
    [view] = api.bt.views(api.app_token, api.table_id)
    body = {"field_names": ["Name", "Count"], "view_id": view, "automatic_fields": True}
    status, result = await api.search(body)
    assert status == 200
    first = result["data"]["items"][0]
    assert set(first["fields"]) == {"Name", "Count"}
    assert first["created_time"] == 1_700_000_000_000 and first["created_by"] == {"id": APP_ID}
    assert code_of(await api.search({"field_names": ["Nope"]})) == (200, 1254045)
    assert code_of(await api.search({"field_names": "Name"})) == (400, 99992402)
    assert code_of(await api.search({"view_id": "vewNope"})) == (200, 1254042)
    assert code_of(await api.search({"view_id": "grid"})) == (200, 1254005)


# --- paging ----------------------------------------------------------------------------------------
async def test_paging_with_opaque_stable_tokens(api: Api) -> None:
    await seed(api)
    status, first = await api.search(page_size=2)
    data = first["data"]
    assert status == 200 and data["has_more"] and data["total"] == 5
    assert names_of((status, first)) == ["Ada", "Bob"]
    token = data["page_token"]
    assert "rec" not in token  # opaque
    second = await api.search(page_size=2, page_token=token)
    again = await api.search(page_size=2, page_token=token)
    assert names_of(second) == names_of(again) == ["Cy", "Dee"]  # a token can be replayed
    last = await api.search(page_size=2, page_token=second[1]["data"]["page_token"])
    assert names_of(last) == ["ada lovelace"]
    assert not last[1]["data"]["has_more"] and "page_token" not in last[1]["data"]
    assert names_of(await api.search(page_size=2, page_token="")) == ["Ada", "Bob"]  # no token
    assert len(names_of(await api.search())) == 5  # default page: 20


async def test_records_written_between_pages_are_neither_repeated_nor_skipped(api: Api) -> None:
    await seed(api)
    first = await api.search(page_size=2)
    await api.create({"Name": "Eve"})
    seen = names_of(first)
    token = first[1]["data"]["page_token"]
    while token:
        page = await api.search(page_size=2, page_token=token)
        seen += names_of(page)
        token = page[1]["data"].get("page_token")
    assert seen == ["Ada", "Bob", "Cy", "Dee", "ada lovelace", "Eve"]


async def test_sorted_results_page_in_order(api: Api) -> None:
    await seed(api)
    body = {"sort": [{"field_name": "Count", "desc": True}]}
    first = await api.search(body, page_size=3)
    rest = await api.search(body, page_size=3, page_token=first[1]["data"]["page_token"])
    assert names_of(first) + names_of(rest) == ["Cy", "Ada", "Bob", "ada lovelace", "Dee"]


async def test_bad_paging_parameters(api: Api) -> None:
    await seed(api)
    first = await api.search(page_size=2)
    token = first[1]["data"]["page_token"]
    for params in (
        {"page_size": 501},
        {"page_size": 0},
        {"page_size": "ten"},
        {"page_token": "not-a-token"},
        {"page_token": "eHx5fDE"},
    ):
        assert code_of(await api.search(**params)) == (400, 99992402), params
    # a token belongs to its query and its table
    other_query = await api.search(where(cond("Name", "isNotEmpty")), page_token=token)
    assert code_of(other_query) == (400, 99992402)
    other_table = await api.call(
        "POST", api.path("/search", table_id=api.other_table), json={}, params={"page_token": token}
    )
    assert code_of(other_table) == (400, 99992402)


async def test_results_follow_writes(api: Api) -> None:
    await seed(api)
    assert len(await found(api, {})) == 5
    await api.create({"Name": "Eve"})
    assert (await found(api, {}))[-1] == "Eve"
    rid = (await api.search(where(cond("Name", "is", "Eve"))))[1]["data"]["items"][0]["record_id"]
    await api.call("DELETE", api.path(f"/{rid}"))
    assert "Eve" not in await found(api, {})


# --- the legacy list --------------------------------------------------------------------------------
async def listed(api: Api, **params: Any) -> tuple[int, dict[str, Any]]:
    return await api.call("GET", api.path(), params=params)


def plain_names(result: tuple[int, dict[str, Any]]) -> list[str]:
    assert result[1]["code"] == 0, result
    return [item["fields"]["Name"] for item in result[1]["data"]["items"]]


async def test_legacy_list_pages_and_shapes(api: Api) -> None:
    await seed(api)
    first = await listed(api, page_size=3)
    assert plain_names(first) == ["Ada", "Bob", "Cy"]  # text as a string here
    data = first[1]["data"]
    assert data["has_more"] and data["total"] == 5
    rest = await listed(api, page_size=3, page_token=data["page_token"])
    assert plain_names(rest) == ["Dee", "ada lovelace"] and not rest[1]["data"]["has_more"]
    arrays = await listed(api, text_field_as_array="true", field_names=json.dumps(["Name"]))
    item = arrays[1]["data"]["items"][0]
    assert item["fields"] == {"Name": [{"type": "text", "text": "Ada"}]}
    assert code_of(await listed(api, page_size=501)) == (400, 99992402)
    assert code_of(await listed(api, field_names="Name")) == (400, 99992402)
    assert code_of(await listed(api, field_names='["Nope"]')) == (200, 1254045)


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ('CurrentValue.[Name]="Ada"', ["Ada"]),
        ('CurrentValue.[Name] != "Ada"', ["Bob", "Cy", "Dee", "ada lovelace"]),
        ("CurrentValue.[Count] > 30", ["Ada", "Cy"]),
        ("CurrentValue.[Count]<=25", ["Bob", "ada lovelace"]),
        ('AND(CurrentValue.[Team]="Core", CurrentValue.[Count]>40)', ["Cy"]),
        ('OR(CurrentValue.[Name]="Bob", NOT(CurrentValue.[Team]<>"Core"))', ["Ada", "Bob", "Cy"]),
        ('CurrentValue.[Name].contains("ov")', ["ada lovelace"]),
        ('CurrentValue.[Team]=""', ["Dee", "ada lovelace"]),
        ("CurrentValue.[Done]=TRUE()", ["Ada"]),
        ('CurrentValue.[Name]="say \\"hi\\""', []),
    ],
)
async def test_legacy_list_formula_filter(api: Api, formula: str, expected: list[str]) -> None:
    await seed(api)
    assert plain_names(await listed(api, filter=formula)) == expected


@pytest.mark.parametrize(
    ("formula", "code"),
    [
        ('CurrentValue.[Nope]="x"', 1254045),
        ('CurrentValue.[Name]="Ada', 1254001),
        ("CurrentValue.[Name]", 1254001),
        ('CurrentValue.[Name]="a" extra', 1254001),
        ('NOT(CurrentValue.[Name]="a", CurrentValue.[Name]="b")', 1254001),
        ('CurrentValue.[Name].startsWith("a")', 1254001),
        ('SUM(CurrentValue.[Count])="a"', 1254001),
        ("CurrentValue.[Name] = ~", 1254001),
    ],
)
async def test_legacy_list_bad_formulas(api: Api, formula: str, code: int) -> None:
    assert code_of(await listed(api, filter=formula)) == (200, code)


async def test_legacy_list_sort(api: Api) -> None:
    await seed(api)
    assert plain_names(await listed(api, sort=json.dumps(["Count DESC"]))) == [
        "Cy",
        "Ada",
        "Bob",
        "ada lovelace",
        "Dee",
    ]
    assert plain_names(await listed(api, sort=json.dumps(["Name"])))[0] == "Ada"
    assert code_of(await listed(api, sort="Count DESC")) == (400, 99992402)
    assert code_of(await listed(api, sort='["Nope ASC"]')) == (200, 1254045)


async def test_an_answer_over_10_mb_is_refused(api: Api) -> None:
    big = "x" * 100_000  # the largest text a cell takes
    for _ in range(3):
        await seed(api, [{"Name": big} for _ in range(40)])
    too_large = await api.search(page_size=500)
    assert code_of(too_large) == (200, 1254030)
    assert code_of(await api.call("GET", api.path(), params={"page_size": 500})) == (200, 1254030)
    fits = await api.search(page_size=50)
    assert code_of(fits) == (200, 0) and len(fits[1]["data"]["items"]) == 50
