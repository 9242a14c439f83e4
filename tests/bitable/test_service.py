"""``lark.bitable`` single-record, batch, search and schema calls against the emulator."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from lark_async.bitable import F, Filter, Sort
from lark_async.core.errors import ErrorKind, InvalidParameter, LarkError, OutcomeUnknown
from tests.bitable.conftest import Env

R = "/open-apis/bitable/v1/apps/{a}/tables/{t}/records"


def writes(env: Env, suffix: str = "", method: str = "POST") -> list[Any]:
    return env.fake.journal.filter(method, R + suffix)


def text(value: Any) -> Any:
    from lark_async.bitable import plain_text

    return plain_text(value)


async def test_create_get_update_delete_round_trip(env: Env) -> None:
    bt = env.lark.bitable
    created = (
        await bt.create_record(env.app_token, env.table_id, {"Name": "Ada", "Age": 36})
    ).unwrap()
    assert created.record_id.startswith("rec") and created.text("Name") == "Ada"
    entry = writes(env)[-1]
    token = entry.query["client_token"]
    assert uuid.UUID(token).version == 4  # the idempotency key travels in the request

    updated = await bt.update_record(env.app_token, env.table_id, created.record_id, {"Age": 37})
    assert updated.ok and updated.unwrap().fields["Age"] == 37
    got = (await bt.get_record(env.app_token, env.table_id, created.record_id)).unwrap()
    assert got.text("Name") == "Ada" and got.fields["Age"] == 37

    deleted = (await bt.delete_record(env.app_token, env.table_id, created.record_id)).unwrap()
    assert deleted.deleted and deleted.record_id == created.record_id
    assert env.records() == []
    missing = await bt.get_record(env.app_token, env.table_id, created.record_id)
    assert not missing.ok and missing.error is not None
    assert missing.error.kind is ErrorKind.NOT_FOUND and missing.error.code == 1254043


@pytest.mark.parametrize(
    ("call", "match"),
    [
        (lambda b, a, t: b.create_record(a, t, {}), "empty"),
        (lambda b, a, t: b.create_record(a, t, ["Name"]), "mapping"),
        (lambda b, a, t: b.create_record(a, t, {"": 1}), "field names"),
        (lambda b, a, t: b.create_record(a, "People", {"Name": "x"}), "table_id"),
        (lambda b, a, t: b.create_record("https://x/base/abc", t, {"Name": "x"}), "app_token"),
        (lambda b, a, t: b.create_record(a, t, {"Name": "x"}, client_token="abc"), "UUIDv4"),
        (
            lambda b, a, t: b.create_record(a, t, {"Name": "x"}, user_id_type="email"),
            "user_id_type",
        ),
        (lambda b, a, t: b.get_record(a, t, "42"), "record_id"),
        (lambda b, a, t: b.update_record(a, t, "rec1", {}), "empty"),
        (lambda b, a, t: b.batch_get_records(a, t, [f"rec{i}" for i in range(101)]), "at most 100"),
        (lambda b, a, t: b.batch_get_records(a, t, []), "empty"),
        (lambda b, a, t: b.batch_create_records(a, t, [{"Name": "x"}] * 1001), "bulk_create"),
        (lambda b, a, t: b.batch_update_records(a, t, [("rec1",)]), "record_id"),
        (lambda b, a, t: b.batch_delete_records(a, t, ["rec1"] * 501), "at most 500"),
        (lambda b, a, t: b.batch_delete_records(a, t, "rec1"), "list"),
    ],
)
async def test_bad_arguments_raise_before_any_request(env: Env, call: Any, match: str) -> None:
    before = len(env.fake.journal)
    with pytest.raises(InvalidParameter, match=match) as exc:
        await call(env.lark.bitable, env.app_token, env.table_id)
    assert exc.value.hint or exc.value.message
    assert len(env.fake.journal) == before


async def test_a_lost_create_answer_is_retried_without_a_second_record(env: Env) -> None:
    env.fake.faults.drop("POST " + R, after_processing=True)
    resp = await env.lark.bitable.create_record(env.app_token, env.table_id, {"Name": "Once"})
    assert resp.ok and resp.attempts == 2
    assert [text(r["fields"]["Name"]) for r in env.records()] == ["Once"]
    tokens = {e.query["client_token"] for e in writes(env)}
    assert len(tokens) == 1 and len(writes(env)) == 2


async def test_a_lost_update_answer_is_retried(env: Env) -> None:
    rec = (await env.lark.bitable.create_record(env.app_token, env.table_id, {"Age": 1})).unwrap()
    env.fake.faults.drop("PUT " + R + "/{r}", after_processing=True)
    resp = await env.lark.bitable.update_record(
        env.app_token, env.table_id, rec.record_id, {"Age": 2}
    )
    assert resp.ok and env.records()[0]["fields"]["Age"] == 2
    # resent once (by aiohttp itself for a PUT on a reused connection, or by the transport)
    assert len(env.fake.journal.filter("PUT", R + "/{r}")) == 2


async def test_a_lost_delete_answer_is_settled_by_reading_back(env: Env) -> None:
    bt = env.lark.bitable
    rec = (await bt.create_record(env.app_token, env.table_id, {"Name": "x"})).unwrap()
    env.fake.faults.drop("POST " + R + "/batch_delete", after_processing=True)
    resp = await bt.delete_record(env.app_token, env.table_id, rec.record_id)
    assert resp.ok and resp.unwrap().deleted and "confirmed" in resp.msg
    assert len(env.fake.journal.filter("POST", R + "/batch_delete")) == 1  # never sent twice

    rec = (await bt.create_record(env.app_token, env.table_id, {"Name": "y"})).unwrap()
    env.fake.faults.drop("POST " + R + "/batch_delete")  # lost before the server saw it
    resp = await bt.delete_record(env.app_token, env.table_id, rec.record_id)
    assert resp.ok and resp.unwrap().deleted and env.records() == []
    assert len(env.fake.journal.filter("POST", R + "/batch_delete")) == 3

    missing = await bt.delete_record(env.app_token, env.table_id, rec.record_id)
    assert missing.error is not None and missing.error.code == 1254043


async def test_a_delete_stays_unknown_when_the_read_back_fails(env: Env) -> None:
    bt = env.lark.bitable
    rec = (await bt.create_record(env.app_token, env.table_id, {"Name": "x"})).unwrap()
    env.fake.faults.drop("POST " + R + "/batch_delete", after_processing=True)
    env.fake.faults.fail("GET " + R + "/{r}", times=None, status=500, code=1255001)
    resp = await bt.delete_record(env.app_token, env.table_id, rec.record_id)
    assert isinstance(resp.error, OutcomeUnknown) and "read the resource back" in (
        resp.error.hint or ""
    )


async def test_batch_calls(env: Env) -> None:
    bt = env.lark.bitable
    made = (
        await bt.batch_create_records(
            env.app_token, env.table_id, [{"Name": f"n{i}", "Age": i} for i in range(5)]
        )
    ).unwrap()
    ids = [r.record_id for r in made.records]
    assert len(ids) == 5 and "client_token" in writes(env, "/batch_create")[-1].query

    got = (
        await bt.batch_get_records(env.app_token, env.table_id, [*ids[:2], "recNope00000001"])
    ).unwrap()
    assert {r.record_id for r in got.records} == set(ids[:2])
    assert got.absent_record_ids == ["recNope00000001"]

    upd = await bt.batch_update_records(
        env.app_token,
        env.table_id,
        [(ids[0], {"Age": 100}), {"record_id": ids[1], "fields": {"Age": 101}}],
    )
    assert upd.ok and [r.fields["Age"] for r in upd.unwrap().records] == [100, 101]

    gone = (await bt.batch_delete_records(env.app_token, env.table_id, ids[:3])).unwrap()
    assert [r.deleted for r in gone.records] == [True] * 3
    assert len(env.records()) == 2


async def test_a_lost_batch_delete_answer_is_outcome_unknown(env: Env) -> None:
    bt = env.lark.bitable
    made = (await bt.batch_create_records(env.app_token, env.table_id, [{"Name": "a"}])).unwrap()
    env.fake.faults.drop("POST " + R + "/batch_delete", after_processing=True)
    resp = await bt.batch_delete_records(env.app_token, env.table_id, [made.records[0].record_id])
    assert isinstance(resp.error, OutcomeUnknown)


async def test_server_refusals_come_back_typed_with_hints(env: Env) -> None:
    bt = env.lark.bitable
    resp = await bt.create_record(env.app_token, env.table_id, {"Nmae": "typo"})
    assert not resp.ok and resp.error is not None
    assert resp.error.code == 1254045 and resp.error.kind is ErrorKind.NOT_FOUND
    assert "exact" in (resp.error.hint or "")
    resp = await bt.create_record(env.app_token, "tblNoSuchTable01", {"Name": "x"})
    assert resp.error is not None and resp.error.kind is ErrorKind.NOT_FOUND
    with pytest.raises(LarkError):
        resp.unwrap()


async def seed(env: Env) -> None:
    rows = [
        {"Name": "Ada", "Age": 36, "Team": "Core", "Active": True},
        {"Name": "Bob", "Age": 25, "Team": "Core", "Active": False},
        {"Name": "Cy", "Age": 41, "Team": "Ops", "Active": True},
        {"Name": "Di", "Age": 30, "Team": "Ops", "Active": True},
        {"Name": "Ed", "Age": 52, "Team": "Core", "Active": True},
    ]
    await env.lark.bitable.batch_create_records(env.app_token, env.table_id, rows)


async def test_search_filters_sorts_and_pages(env: Env) -> None:
    await seed(env)
    bt = env.lark.bitable
    flt = F("Team").is_("Core") & F("Age").gt(30)
    found = [
        r.text("Name")
        async for r in bt.search_records(env.app_token, env.table_id, filter=flt, sort="-Age")
    ]
    assert found == ["Ed", "Ada"]
    sent = env.fake.journal.filter("POST", R + "/search")[-1].json
    assert sent["filter"] == flt.to_dict() and sent["sort"] == [{"field_name": "Age", "desc": True}]

    pages = bt.search_records(env.app_token, env.table_id, sort=[Sort("Age")], page_size=2)
    sizes = [len(p.items) async for p in pages.by_page()]
    assert sizes == [2, 2, 1]
    ages = [
        r.fields["Age"]
        async for r in bt.search_records(env.app_token, env.table_id, sort="Age", page_size=2)
    ]
    assert ages == [25, 30, 36, 41, 52]
    first_two = await bt.search_records(
        env.app_token, env.table_id, page_size=2, max_items=3
    ).to_list()
    assert len(first_two) == 3

    either = Filter.any(F("Name").is_("Bob"), F("Name").is_("Cy"))
    assert sorted(
        [r.text("Name") async for r in bt.query_records(env.app_token, env.table_id, either)]
    ) == ["Bob", "Cy"]
    by_map = bt.query_records(env.app_token, env.table_id, {"Team": "Ops", "Active": True})
    assert sorted([r.text("Name") async for r in by_map]) == ["Cy", "Di"]

    page = await bt.search_records_page(env.app_token, env.table_id, page_size=3)
    assert page.ok and page.data is not None and len(page.data.items) == 3 and page.data.has_more
    nxt = await bt.search_records_page(
        env.app_token, env.table_id, page_size=3, page_token=page.data.page_token
    )
    assert nxt.ok and nxt.data is not None and len(nxt.data.items) == 2


@pytest.mark.parametrize(
    ("kwargs", "match"),
    [
        ({"page_size": 501}, "page_size"),
        ({"page_size": 0}, "page_size"),
        ({"view_id": "grid"}, "view_id"),
        ({"field_names": [f"f{i}" for i in range(201)]}, "at most 200"),
        ({"field_names": [""]}, "non-empty"),
        ({"max_items": 0}, "max_items"),
        ({"filter": "Team = Core"}, "filters must be"),
        ({"sort": ["-"]}, "sort key"),
    ],
)
async def test_bad_search_arguments_raise_before_any_request(
    env: Env, kwargs: dict[str, Any], match: str
) -> None:
    before = len(env.fake.journal)
    with pytest.raises(InvalidParameter, match=match):
        env.lark.bitable.search_records(env.app_token, env.table_id, **kwargs)
    assert len(env.fake.journal) == before


async def test_a_failing_search_page_raises_its_error(env: Env) -> None:
    env.fake.faults.fail(
        "POST " + R + "/search", times=None, status=400, code=1254107, msg="filter too long"
    )
    with pytest.raises(LarkError) as exc:
        await env.lark.bitable.search_records(env.app_token, env.table_id).to_list()
    assert exc.value.code == 1254107 and exc.value.kind is ErrorKind.INVALID_PARAMETER


async def test_list_tables_and_fields(env: Env) -> None:
    other = env.table("Other", [{"field_name": "Title", "type": 1}])
    tables = [t async for t in env.lark.bitable.list_tables(env.app_token)]
    assert {t.table_id for t in tables} == {env.table_id, other}
    assert {t.name for t in tables} == {"People", "Other"}
    fields = [f async for f in env.lark.bitable.list_fields(env.app_token, env.table_id)]
    assert [f.field_name for f in fields] == ["Name", "Age", "Active", "Team", "Note"]
    assert [f.type for f in fields] == [1, 2, 7, 3, 1]
    with pytest.raises(InvalidParameter, match="page_size"):
        env.lark.bitable.list_fields(env.app_token, env.table_id, page_size=101)


async def test_writes_over_the_rate_limit_wait_and_succeed(env: Env) -> None:
    import asyncio

    results = await asyncio.gather(
        *(
            env.lark.bitable.create_record(env.app_token, env.table_id, {"Age": i})
            for i in range(60)
        )
    )
    assert all(r.ok for r in results) and len(env.records()) == 60


async def test_listing_an_unknown_base_or_table_raises_not_found(env: Env) -> None:
    with pytest.raises(LarkError) as exc:
        await env.lark.bitable.list_tables("bascnNoSuchBase0001").to_list()
    assert exc.value.kind is ErrorKind.NOT_FOUND and exc.value.code == 1254040
    with pytest.raises(LarkError) as exc:
        await env.lark.bitable.list_fields(env.app_token, "tblNoSuchTable01").to_list()
    assert exc.value.code == 1254041
    with pytest.raises(InvalidParameter, match="page_token"):
        await env.lark.bitable.search_records_page(env.app_token, env.table_id, page_token="")


async def test_bulk_writers_with_their_own_defaults(env: Env) -> None:
    bt = env.lark.bitable
    writer = bt.bulk_writer(chunk_size=2)
    assert writer.slots is bt.bulk.slots  # shares the app's per-table slots
    report = await writer.create(env.app_token, env.table_id, [{"Name": str(i)} for i in range(5)])
    assert report.ok and report.calls == 3
    own = bt.bulk_writer(concurrency=2)
    assert own.slots is not bt.bulk.slots and own.slots.concurrency == 2
    with pytest.raises(InvalidParameter, match="per_table"):
        bt.bulk_writer(per_table=0)
    with pytest.raises(InvalidParameter, match="unknown bulk option"):
        bt.bulk_writer(chunksize=3)
