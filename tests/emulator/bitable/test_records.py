"""Bitable record writes and reads over raw HTTP (CONTRACT §9.1-9.5, §9.7, §9.9, §14)."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import aiohttp
import pytest

from lark_async.testing import FakeLark, ManualClock
from tests.emulator.bitable.helpers import Api, code_of
from tests.emulator.helpers import APP_ID

NOW_MS = 1_700_000_000_000  # ManualClock's start

EVERY_TYPE: dict[str, Any] = {
    "Name": "Ada",
    "Count": 36.5,
    "Team": "Core",
    "Tags": ["a", "b"],
    "Due": 1_700_000_000_000,
    "Done": True,
    "Owner": [{"id": "ou_ada"}],
    "Phone": "+8613800000000",
    "Site": {"text": "Home", "link": "https://example.com"},
    "Files": [{"file_token": "boxcnFile1"}],
    "Where": "116.39,39.90",
    "Chat": [{"id": "oc_team"}],
}


async def test_create_stores_typed_values_and_echoes_what_was_written(api: Api) -> None:
    status, body = await api.create(EVERY_TYPE)
    assert (status, body["code"]) == (200, 0)
    record = body["data"]["record"]
    assert record["record_id"].startswith("rec") and len(record["record_id"]) == 13
    echoed = record["fields"]
    assert echoed["Name"] == "Ada" and echoed["Owner"] == [{"id": "ou_ada"}]
    assert echoed["Files"] == [{"file_token": "boxcnFile1"}]
    assert set(echoed) == set(EVERY_TYPE)  # only what was written

    [stored] = api.records()
    assert stored["record_id"] == record["record_id"]
    assert stored["created_time"] == stored["last_modified_time"] == NOW_MS
    fields = stored["fields"]  # as search returns them
    assert fields["Name"] == [{"type": "text", "text": "Ada"}]
    assert fields["Count"] == 36.5 and fields["Team"] == "Core" and fields["Tags"] == ["a", "b"]
    assert fields["Due"] == 1_700_000_000_000 and fields["Done"] is True
    assert fields["Site"] == {"text": "Home", "link": "https://example.com"}
    assert fields["Files"][0]["file_token"] == "boxcnFile1"
    assert not fields["Files"][0]["url"].startswith("http")  # never a real Feishu host
    assert fields["Where"]["location"] == "116.39,39.90"
    assert fields["Chat"] == [{"id": "oc_team"}]
    assert fields["Created"] == NOW_MS and fields["No"] == "1"
    assert fields["Editor"] == [{"id": APP_ID}]  # a tenant token writes as the app
    assert "Formula" not in fields  # formulas are not evaluated


async def test_new_select_options_are_added_and_null_clears_a_cell(api: Api) -> None:
    _, body = await api.create({"Name": "x", "Team": "Ops", "Tags": ["new", "new"], "Count": 1})
    record_id = body["data"]["record"]["record_id"]
    team = api.bt.fields(api.app_token, api.table_id)["Team"]["property"]["options"]
    assert [o["name"] for o in team] == ["Core", "Ops"]
    assert api.records()[0]["fields"]["Tags"] == ["new"]  # duplicates collapse
    status, body = await api.call(
        "PUT", api.path(f"/{record_id}"), json={"fields": {"Count": None, "Name": ""}}
    )
    assert (status, body["code"]) == (200, 0)
    assert set(api.records()[0]["fields"]) == {"Team", "Tags", "Created", "Editor", "No"}


@pytest.mark.parametrize(
    ("fields", "code", "status"),
    [
        ({"Nmae": "typo"}, 1254045, 200),
        ({"Name": 123}, 1254060, 200),
        ({"Name": "x" * 100_001}, 1254130, 200),
        ({"Count": "3"}, 1254061, 200),
        ({"Count": True}, 1254061, 200),
        ({"Team": 3}, 1254062, 200),
        ({"Tags": "a"}, 1254063, 200),
        ({"Tags": ["a", 1]}, 1254063, 200),
        ({"Due": "2024-01-01"}, 1254064, 200),
        ({"Done": "yes"}, 1254065, 200),
        ({"Owner": "ou_x"}, 1254066, 200),
        ({"Owner": [{"id": "u_not_an_open_id"}]}, 1254066, 200),
        ({"Owner": [{"id": f"ou_{i}"} for i in range(1001)]}, 1254066, 200),
        ({"Ref": ["recNotThere01"]}, 1254067, 200),
        ({"Ref": "rec1"}, 1254067, 200),
        ({"Site": "https://example.com"}, 1254068, 200),
        ({"Files": [{"name": "a.txt"}]}, 1254069, 200),
        ({"Files": [{"file_token": f"f{i}"} for i in range(101)]}, 1254106, 200),
        ({"Phone": "call me"}, 1254072, 200),
        ({"Where": "somewhere"}, 1254015, 400),
        ({"Chat": [{"id": "ou_x"}]}, 1254015, 400),
        ({"Formula": 1}, 1254015, 400),
        ({"Created": 1}, 1254015, 400),
        ({"No": "7"}, 1254015, 400),
    ],
)
async def test_values_that_do_not_fit_their_field_are_refused(
    api: Api, fields: dict[str, Any], code: int, status: int
) -> None:
    result = await api.create(fields)
    assert code_of(result) == (status, code)
    assert result[1]["msg"]  # names the problem
    assert api.records() == [] and api.bt.write_calls == 0


async def test_links_point_at_records_of_the_linked_table(api: Api) -> None:
    other = await api.call(
        "POST", api.path(table_id=api.other_table), json={"fields": {"Title": "t"}}
    )
    target = other[1]["data"]["record"]["record_id"]
    status, body = await api.create({"Name": "x", "Ref": [target]})
    assert (status, body["code"]) == (200, 0)
    assert api.records()[0]["fields"]["Ref"] == {"link_record_ids": [target]}


@pytest.mark.parametrize(
    ("kwargs", "code", "status"),
    [
        ({"data": "{not json", "headers": {"Content-Type": "application/json"}}, 1254000, 200),
        ({"json": ["a list"]}, 1254001, 200),
        ({"json": {}}, 99992402, 400),  # fields is required
        ({"json": {"fields": []}}, 99992402, 400),
    ],
)
async def test_malformed_bodies(api: Api, kwargs: dict[str, Any], code: int, status: int) -> None:
    assert code_of(await api.call("POST", api.path(), **kwargs)) == (status, code)


async def test_unknown_base_table_and_malformed_ids(api: Api) -> None:
    base = "/open-apis/bitable/v1/apps"
    rec = {"json": {"fields": {"Name": "x"}}}
    cases = [
        (f"{base}/bascnNope/tables/{api.table_id}/records", 1254040),
        (f"{base}/{'b' * 101}/tables/{api.table_id}/records", 1254003),
        (f"{base}/{api.app_token}/tables/tblNope0000000/records", 1254041),
        (f"{base}/{api.app_token}/tables/Main/records", 1254004),
    ]
    for path, code in cases:
        assert code_of(await api.call("POST", path, **rec)) == (200, code), path
    assert code_of(await api.call("GET", api.path("/recMissing01"))) == (200, 1254043)
    assert code_of(await api.call("GET", api.path("/42"))) == (200, 1254006)
    status, body = await api.call("POST", api.path(), params={"user_id_type": "email"}, **rec)
    assert (status, body["code"]) == (400, 99992402)
    assert body["error"]["field_violations"][0]["field"] == "user_id_type"
    flag = {"ignore_consistency_check": "maybe"}
    assert code_of(await api.call("POST", api.path(), params=flag, **rec)) == (400, 99992402)


async def test_person_ids_follow_user_id_type(api: Api) -> None:
    ok = await api.call(
        "POST",
        api.path(),
        params={"user_id_type": "user_id"},
        json={"fields": {"Owner": [{"id": "staff42"}]}},
    )
    assert code_of(ok) == (200, 0)
    union = await api.call(
        "POST",
        api.path(),
        params={"user_id_type": "union_id"},
        json={"fields": {"Owner": [{"id": "ou_abc"}]}},
    )
    assert code_of(union) == (200, 1254066)


async def test_user_tokens_write_as_their_user(api: Api) -> None:
    token = api.fake.issue_token(APP_ID, "user", subject="ou_writer")
    assert code_of(await api.create({"Name": "x"}, token=token)) == (200, 0)
    assert api.records()[0]["fields"]["Editor"] == [{"id": "ou_writer"}]


# --- batches ------------------------------------------------------------------------------------
async def test_batch_create_up_to_1000(api: Api) -> None:
    status, body = await api.batch_create([{"Name": f"n{i}", "Count": i} for i in range(1000)])
    assert (status, body["code"]) == (200, 0)
    made = body["data"]["records"]
    assert len(made) == 1000 and len({r["record_id"] for r in made}) == 1000
    assert made[999]["fields"] == {"Name": "n999", "Count": 999}
    assert api.names()[:3] == ["n0", "n1", "n2"] and len(api.records()) == 1000
    assert [r["fields"]["No"] for r in api.records()[:2]] == ["1", "2"]


async def test_batch_limits_and_all_or_nothing(api: Api) -> None:
    too_many = await api.batch_create([{"Name": "x"}] * 1001)
    assert code_of(too_many) == (200, 1254104) and "1000" in too_many[1]["msg"]
    assert code_of(await api.call("POST", api.path("/batch_create"), json={"records": []})) == (
        400,
        99992402,
    )
    one_bad = await api.batch_create([{"Name": "ok"}, {"Count": "bad"}])
    assert code_of(one_bad) == (200, 1254061) and "records[1]" in one_bad[1]["msg"]
    no_fields = await api.call("POST", api.path("/batch_create"), json={"records": [{}]})
    assert code_of(no_fields) == (400, 99992402)
    assert api.records() == []


async def test_batch_update(api: Api) -> None:
    _, body = await api.batch_create([{"Name": "a", "Count": 1}, {"Name": "b", "Count": 2}])
    ids = [r["record_id"] for r in body["data"]["records"]]
    changes = {"records": [{"record_id": ids[0], "fields": {"Count": 10}}]}
    status, body = await api.call("POST", api.path("/batch_update"), json=changes)
    assert (status, body["code"]) == (200, 0)
    assert body["data"]["records"] == [{"record_id": ids[0], "fields": {"Count": 10}}]
    assert [r["fields"]["Count"] for r in api.records()] == [10, 2]

    missing = {
        "records": [
            {"record_id": ids[1], "fields": {"Count": 20}},
            {"record_id": "recGone000001", "fields": {"Count": 30}},
        ]
    }
    assert code_of(await api.call("POST", api.path("/batch_update"), json=missing)) == (
        200,
        1254043,
    )
    assert [r["fields"]["Count"] for r in api.records()] == [10, 2]  # nothing applied
    no_id = {"records": [{"fields": {"Count": 1}}]}
    assert code_of(await api.call("POST", api.path("/batch_update"), json=no_id)) == (400, 99992402)
    too_many = {"records": [{"record_id": ids[0], "fields": {}}] * 1001}
    assert code_of(await api.call("POST", api.path("/batch_update"), json=too_many)) == (
        200,
        1254104,
    )


async def test_update_and_delete_single_records(api: Api) -> None:
    _, body = await api.create({"Name": "a"})
    rid = body["data"]["record"]["record_id"]
    status, body = await api.call("PUT", api.path(f"/{rid}"), json={"fields": {"Count": 5}})
    assert (status, body["code"]) == (200, 0)
    assert body["data"]["record"] == {"record_id": rid, "fields": {"Count": 5}}
    assert api.records()[0]["fields"]["Count"] == 5
    missing = await api.call("PUT", api.path("/recGone000001"), json={"fields": {"Count": 1}})
    assert code_of(missing) == (200, 1254043)

    status, body = await api.call("DELETE", api.path(f"/{rid}"))
    assert (status, body["data"]) == (200, {"deleted": True, "record_id": rid})
    assert api.records() == []
    assert code_of(await api.call("DELETE", api.path(f"/{rid}"))) == (200, 1254043)


async def test_batch_delete(api: Api) -> None:
    _, body = await api.batch_create([{"Name": n} for n in "abc"])
    ids = [r["record_id"] for r in body["data"]["records"]]
    partly_missing = await api.call(
        "POST", api.path("/batch_delete"), json={"records": [ids[0], "recGone000001"]}
    )
    assert code_of(partly_missing) == (200, 1254043)
    assert api.names() == ["a", "b", "c"]  # all or nothing
    status, body = await api.call("POST", api.path("/batch_delete"), json={"records": ids[:2]})
    assert (status, body["code"]) == (200, 0)
    assert body["data"]["records"] == [{"deleted": True, "record_id": i} for i in ids[:2]]
    assert api.names() == ["c"]
    too_many = await api.call("POST", api.path("/batch_delete"), json={"records": ids * 200})
    assert code_of(too_many) == (200, 1254104)
    bad = await api.call("POST", api.path("/batch_delete"), json={"records": [1]})
    assert code_of(bad) == (400, 99992402)


# --- client_token -------------------------------------------------------------------------------
async def test_client_token_makes_create_idempotent(api: Api) -> None:
    token = str(uuid.uuid4())
    first = await api.create({"Name": "once"}, params={"client_token": token})
    again = await api.create({"Name": "once"}, params={"client_token": token})
    assert code_of(first) == code_of(again) == (200, 0)
    assert first[1]["data"] == again[1]["data"]
    assert api.names() == ["once"] and api.bt.write_calls == 1

    reused = await api.create({"Name": "other"}, params={"client_token": token})
    assert code_of(reused) == (400, 1255006)
    assert code_of(await api.create({"Name": "x"}, params={"client_token": "abc"})) == (
        400,
        1254037,
    )
    not_v4 = str(uuid.uuid1())
    assert code_of(await api.create({"Name": "x"}, params={"client_token": not_v4})) == (
        400,
        1254037,
    )
    other_table = await api.call(
        "POST",
        api.path(table_id=api.other_table),
        params={"client_token": token},
        json={"fields": {"Title": "t"}},
    )
    assert code_of(other_table) == (200, 0)  # tokens are per table
    assert api.names() == ["once"]


async def test_client_token_makes_batch_create_idempotent_for_a_day(
    api: Api, clock: ManualClock
) -> None:
    api.token = api.fake.issue_token(APP_ID, lifetime=3 * 86400)  # outlives the window
    token = str(uuid.uuid4())
    rows = [{"Name": f"r{i}"} for i in range(3)]
    first = await api.batch_create(rows, params={"client_token": token})
    clock.advance(23 * 3600)
    again = await api.batch_create(rows, params={"client_token": token})
    assert first[1]["data"]["records"] == again[1]["data"]["records"]
    assert len(api.records()) == 3
    clock.advance(2 * 3600)  # past the window: the token is forgotten
    await api.batch_create(rows, params={"client_token": token})
    assert len(api.records()) == 6


# --- reads --------------------------------------------------------------------------------------
async def test_get_record_in_the_legacy_shape(api: Api) -> None:
    _, body = await api.create({"Name": "Ada", "Ref": []})
    rid = body["data"]["record"]["record_id"]
    status, body = await api.call("GET", api.path(f"/{rid}"))
    assert status == 200 and body["data"]["record"]["fields"]["Name"] == "Ada"
    assert "created_time" not in body["data"]["record"]
    params = {"text_field_as_array": "true", "automatic_fields": "true", "with_shared_url": "true"}
    _, body = await api.call("GET", api.path(f"/{rid}"), params=params)
    record = body["data"]["record"]
    assert record["fields"]["Name"] == [{"type": "text", "text": "Ada"}]
    assert record["created_time"] == NOW_MS and record["created_by"] == {"id": APP_ID}
    assert record["shared_url"].startswith(api.fake.url)


async def test_batch_get(api: Api) -> None:
    _, body = await api.batch_create([{"Name": "a"}, {"Name": "b"}])
    ids = [r["record_id"] for r in body["data"]["records"]]
    status, body = await api.call(
        "POST",
        api.path("/batch_get"),
        json={"record_ids": [*ids, "recGone000001"], "automatic_fields": True},
    )
    assert (status, body["code"]) == (200, 0)
    data = body["data"]
    assert [r["fields"]["Name"] for r in data["records"]] == [
        [{"type": "text", "text": "a"}],
        [{"type": "text", "text": "b"}],
    ]
    assert data["records"][0]["last_modified_time"] == NOW_MS
    assert data["absent_record_ids"] == ["recGone000001"] and data["forbidden_record_ids"] == []
    for bad in ([], ["rec1"] * 101, "rec1"):
        result = await api.call("POST", api.path("/batch_get"), json={"record_ids": bad})
        assert code_of(result) == (400, 99992402)


# --- one write per table, and the rate limits ------------------------------------------------------
async def test_overlapping_writes_to_one_table_conflict(api: Api) -> None:
    api.bt.set_write_latency(0.05)
    first, second = await asyncio.gather(api.create({"Name": "a"}), api.create({"Name": "b"}))
    assert sorted([code_of(first), code_of(second)]) == [(200, 0), (200, 1254291)]
    loser = first if first[1]["code"] else second
    assert loser[1]["msg"].startswith("Write conflict")
    assert api.bt.write_conflicts == 1 and api.bt.write_calls == 1
    assert len(api.records()) == 1

    # other tables, and reads, are not held up
    other = api.path(table_id=api.other_table)
    results = await asyncio.gather(
        api.create({"Name": "c"}),
        api.call("POST", other, json={"fields": {"Title": "t"}}),
        api.search(),
    )
    assert [code_of(r) for r in results] == [(200, 0)] * 3
    assert api.bt.write_conflicts == 1


async def test_a_write_finishes_even_when_its_client_gives_up(api: Api) -> None:
    api.bt.set_write_latency(0.1)
    with pytest.raises(asyncio.TimeoutError):
        await api.create({"Name": "late"}, timeout=aiohttp.ClientTimeout(total=0.02))
    for _ in range(100):  # the server still holds the table, then writes
        if api.records():
            break
        await asyncio.sleep(0.01)
    assert api.names() == ["late"]


async def test_record_writes_are_limited_to_50_per_second(api: Api, clock: ManualClock) -> None:
    api.fake.enforce_rate_limits = True
    results = [await api.create({"Count": i}) for i in range(50)]
    assert all(code_of(r) == (200, 0) for r in results)
    status, body = await api.create({"Count": 50})
    assert (status, body["code"]) == (429, 99991400)
    assert api.fake.rate_limited_count("bitable.write") == 1
    # batch writes share the budget; reads have their own
    assert code_of(await api.batch_create([{"Count": 1}])) == (429, 99991400)
    assert code_of(await api.search()) == (200, 0)
    clock.advance(1)
    assert code_of(await api.create({"Count": 51})) == (200, 0)
    assert len(api.records()) == 51


async def test_reads_are_limited_to_20_per_second(api: Api, clock: ManualClock) -> None:
    api.fake.enforce_rate_limits = True
    for _ in range(10):
        assert code_of(await api.search()) == (200, 0)
        assert code_of(await api.call("GET", api.path())) == (200, 0)
    status, _body = await api.call("POST", api.path("/batch_get"), json={"record_ids": ["rec1"]})
    assert status == 429
    tables = f"/open-apis/bitable/v1/apps/{api.app_token}/tables"
    assert (await api.call("GET", tables))[0] == 429
    clock.advance(1)
    assert code_of(await api.call("GET", tables)) == (200, 0)


# --- schema listings ------------------------------------------------------------------------------
async def test_list_tables_pages(api: Api) -> None:
    for i in range(3):
        api.bt.create_table(api.app_token, name=f"Extra{i}")
    path = f"/open-apis/bitable/v1/apps/{api.app_token}/tables"
    _, first = await api.call("GET", path, params={"page_size": "2"})
    data = first["data"]
    assert [t["name"] for t in data["items"]] == ["Other", "Main"]
    assert data["has_more"] and data["total"] == 5 and data["items"][0]["revision"] >= 1
    _, rest = await api.call(
        "GET", path, params={"page_size": "100", "page_token": data["page_token"]}
    )
    assert [t["name"] for t in rest["data"]["items"]] == ["Extra0", "Extra1", "Extra2"]
    assert not rest["data"]["has_more"] and "page_token" not in rest["data"]
    assert code_of(await api.call("GET", path, params={"page_size": "101"})) == (400, 99992402)
    bogus = await api.call("GET", path, params={"page_token": "bm90LWEtdG9rZW4"})
    assert code_of(bogus) == (400, 99992402)
    assert code_of(await api.call("GET", "/open-apis/bitable/v1/apps/bascnNope/tables")) == (
        200,
        1254040,
    )


async def test_list_fields(api: Api) -> None:
    path = f"/open-apis/bitable/v1/apps/{api.app_token}/tables/{api.table_id}/fields"
    _, body = await api.call("GET", path, params={"page_size": "100"})
    items = body["data"]["items"]
    assert [f["field_name"] for f in items][:3] == ["Name", "Count", "Team"]
    name, team, ref = items[0], items[2], items[-1]
    assert name["is_primary"] and name["type"] == 1 and name["ui_type"] == "Text"
    assert not team["is_primary"] and team["ui_type"] == "SingleSelect"
    assert team["property"]["options"][0]["name"] == "Core"
    assert ref["ui_type"] == "SingleLink" and ref["property"]["table_id"] == api.other_table
    assert body["data"]["total"] == len(items) and not body["data"]["has_more"]
    [view] = api.bt.views(api.app_token, api.table_id)
    assert code_of(await api.call("GET", path, params={"view_id": view})) == (200, 0)
    assert code_of(await api.call("GET", path, params={"view_id": "vewNope"})) == (200, 1254042)
    assert code_of(await api.call("GET", path, params={"view_id": "grid"})) == (200, 1254005)


async def test_routes_are_installed_by_default(fake: FakeLark) -> None:
    found = fake.router.resolve("POST", "/open-apis/bitable/v1/apps/a/tables/t/records/search")
    assert found.route is not None and found.route.family == "bitable.read"
    write = fake.router.resolve("POST", "/open-apis/bitable/v1/apps/a/tables/t/records")
    assert write.route is not None and write.route.family == "bitable.write"
