"""The bulk engine's logic against an in-memory fake (tests/bitable/fakes.py).

Each test scripts failures exactly; the emulator-backed tests in
test_bulk_emulator.py check the same promises over HTTP.
"""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from typing import Any

import pytest

from lark_async.bitable import BulkProgress, BulkWriter, Record, WriteSlots
from lark_async.core.clock import FakeClock
from lark_async.core.errors import ErrorKind, InvalidParameter, LarkError
from tests.bitable.fakes import FakeBase, err, timeout

APP = "bascnBulkTest0001"
T1 = "tblBulk0000000001"
FIELDS = {"Name": 1, "Count": 2, "Done": 7, "Note": 1}


def setup(
    *tables: str, latency: float = 0.0, **writer: Any
) -> tuple[FakeBase, BulkWriter, FakeClock]:
    base = FakeBase(latency=latency)
    for t in tables or (T1,):
        base.add_table(t, dict(FIELDS))
    clock = FakeClock()
    return base, BulkWriter(base.request, clock, rng=random.Random(7), **writer), clock


def rows(n: int, start: int = 0) -> list[dict[str, Any]]:
    return [{"Name": f"row-{i}", "Count": i} for i in range(start, start + n)]


def names(base: FakeBase, table: str = T1) -> Counter[str]:
    return Counter(r["Name"] for r in base.rows(table))


async def test_create_chunks_to_the_maximum_with_a_client_token_per_chunk() -> None:
    base, writer, _ = setup()
    report = await writer.create(APP, T1, rows(2500))
    assert report.ok and report.written == report.created == 2500
    writes = base.writes("batch_create")
    assert [len(c.json["records"]) for c in writes] == [1000, 1000, 500]
    for c in writes:
        assert c.params["client_token"] == c.idempotency_key  # the key is in the request
        assert c.max_retries == 0  # the engine retries, not the transport
    assert len({c.idempotency_key for c in writes}) == 3
    assert report.calls == 3 and report.chunks == 3 and report.retries == 0
    assert names(base) == Counter(f"row-{i}" for i in range(2500))


@pytest.mark.parametrize(
    ("op", "size"), [("create", 1001), ("create", 0), ("delete", 501), ("update", True)]
)
async def test_chunk_size_beyond_the_api_maximum_is_refused_before_any_call(
    op: str, size: Any
) -> None:
    base, writer, _ = setup()
    with pytest.raises(InvalidParameter) as exc:
        await getattr(writer, op)(APP, T1, [], chunk_size=size)
    assert "chunk_size" in str(exc.value) and exc.value.hint
    assert base.calls == []


@pytest.mark.parametrize("bad", [{"Name": "x"}, "Name", b"x", 42])
async def test_rows_must_be_an_iterable_of_rows(bad: Any) -> None:
    base, writer, _ = setup()
    with pytest.raises(InvalidParameter, match="iterable"):
        await writer.create(APP, T1, bad)
    assert base.calls == []


async def test_bad_ids_and_unknown_options_are_refused_up_front() -> None:
    base, writer, _ = setup()
    with pytest.raises(InvalidParameter, match="table_id"):
        await writer.create(APP, "Sheet 1", rows(1))
    with pytest.raises(InvalidParameter, match="app_token"):
        await writer.create("", T1, rows(1))
    with pytest.raises(InvalidParameter, match="unknown bulk option"):
        await writer.create(APP, T1, rows(1), chunksize=10)
    with pytest.raises(InvalidParameter, match="user_id_type"):
        await writer.create(APP, T1, rows(1), user_id_type="email")
    with pytest.raises(InvalidParameter, match="per_table"):
        WriteSlots(per_table=0)
    assert base.calls == []


async def test_bad_rows_are_reported_locally_and_never_sent() -> None:
    base, writer, _ = setup()
    data: list[Any] = [
        {"Name": "ok-0"},
        "not a mapping",
        {},
        {"Nmae": "typo"},
        {"Count": "three"},
        {"Done": "yes"},
        {"Name": "ok-1", "Count": 2.5, "Done": True},
    ]
    report = await writer.create(APP, T1, data)
    assert report.written == 2 and report.failed_count == 5 and not report.ok
    assert [f.index for f in report.failed] == [1, 2, 3, 4, 5]
    assert all(f.error.kind is ErrorKind.INVALID_PARAMETER for f in report.failed)
    assert "Nmae" in report.failed[2].error.message and "Name" in report.failed[2].error.message
    assert "Count" in report.failed[3].error.message
    assert report.failed[3].row == {"Count": "three"}
    assert len(base.writes()) == 1 and len(base.writes()[0].json["records"]) == 2


async def test_validation_can_be_switched_off() -> None:
    base, writer, _ = setup()
    report = await writer.create(APP, T1, [{"Name": "a"}], validate=False)
    assert report.ok
    assert not [c for c in base.calls if c.path.endswith("/fields")]


async def test_transient_failures_are_retried_with_backoff_and_the_same_token() -> None:
    base, writer, clock = setup()
    failures = iter([err(1255001, 500, "internal"), err(1254607, 400, "Data not ready")])
    base.before = lambda action, body: next(failures, None)
    report = await writer.create(APP, T1, rows(10))
    assert report.ok and report.written == 10
    assert report.retries == 2 and report.chunks_retried == 1 and report.calls == 3
    tokens = {c.idempotency_key for c in base.writes()}
    assert len(tokens) == 1
    assert 0.8 <= clock.sleeps[0] <= 1.2 and 1.6 <= clock.sleeps[1] <= 2.4


async def test_a_lost_answer_after_the_write_does_not_duplicate_rows() -> None:
    base, writer, _ = setup()
    lost = iter([timeout(), err(1255040, 504, "request timeout")])
    base.after = lambda action, body: next(lost, None)
    report = await writer.create(APP, T1, rows(1500))
    assert report.ok and report.written == 1500
    assert names(base) == Counter(f"row-{i}" for i in range(1500))  # each exactly once
    assert len(base.writes()) == 4  # two chunks, each sent twice


async def test_oversize_rows_are_isolated_by_halving_and_the_rest_written() -> None:
    base, writer, _ = setup()
    base.max_cell = 100
    data = rows(1000)
    for i in (3, 500, 999):
        data[i]["Note"] = "x" * 101
    report = await writer.create(APP, T1, data)
    assert report.written == 997 and report.failed_count == 3
    assert sorted(f.index for f in report.failed) == [3, 500, 999]
    assert {f.error.code for f in report.failed} == {1254130}
    assert report.chunks_split > 0
    assert len(base.rows(T1)) == 997
    assert report.calls < 70  # ~2 log2(1000) calls per bad row, not one per row


async def test_a_systematic_refusal_is_bounded_by_the_split_budget() -> None:
    base, writer, _ = setup()
    base.max_cell = 1
    report = await writer.create(APP, T1, rows(2000), max_split_calls=10)
    assert report.written == 0 and report.failed_count == 2000
    assert report.calls <= 2 + 10


async def test_a_batch_limit_lower_than_documented_adapts_the_chunk_size() -> None:
    base, writer, _ = setup()
    original = base._write

    def capped(table: Any, action: str, body: dict[str, Any], params: dict[str, Any]) -> Any:
        if len(body["records"]) > 500:
            return err(1254104, 200, "RecordAddOnceExceedLimit")
        return original(table, action, body, params)

    base._write = capped  # type: ignore[method-assign]
    report = await writer.create(APP, T1, rows(3000))
    assert report.ok and report.written == 3000
    sizes = [len(c.json["records"]) for c in base.writes()]
    assert sizes.count(1000) == 1  # refused once, then every chunk is cut to 500
    assert all(s == 500 for s in sizes[1:]) and len(sizes) == 7


async def test_rate_limits_and_conflicts_wait_without_using_attempts() -> None:
    base, writer, clock = setup()
    script = iter(
        [err(99991400, 429, "frequency limit"), err(1254290, 200, "TooManyRequest")]
        + [err(1254291, 200, "Write conflict")] * 3
    )
    base.before = lambda action, body: next(script, None)
    report = await writer.create(APP, T1, rows(5), max_attempts=1)
    assert report.ok and report.written == 5
    assert report.rate_limited == 2 and report.conflicts == 3 and report.retries == 5
    assert all(1.0 <= s <= 1.25 for s in clock.sleeps[:2])  # Feishu's 1 s window
    assert all(s < 1.0 for s in clock.sleeps[2:])  # a conflict clears fast


async def test_endless_rate_limiting_ends_as_failed_rows_not_unknown() -> None:
    base, writer, _ = setup()
    base.before = lambda action, body: err(99991400, 429, "frequency limit")
    report = await writer.create(APP, T1, rows(3), max_waits=4)
    assert report.failed_count == 3 and not report.unknown
    assert report.failed[0].error.kind is ErrorKind.RATE_LIMITED
    assert len(base.writes()) == 5


async def test_repeated_timeouts_end_as_an_unknown_chunk_with_its_token() -> None:
    base, writer, _ = setup()
    base.after = lambda action, body: timeout()  # applied every time, answer always lost
    report = await writer.create(APP, T1, rows(4), max_attempts=3)
    assert not report.ok and report.written == 0 and report.failed_count == 0
    assert report.unknown_rows == 4 and len(report.unknown) == 1
    unknown = report.unknown[0]
    assert unknown.indexes == (0, 1, 2, 3) and unknown.error.kind is ErrorKind.TIMEOUT
    assert unknown.client_token == base.writes()[0].idempotency_key
    assert len(base.rows(T1)) == 4  # the token kept the three sends to one insert


async def test_a_fatal_error_stops_the_run_and_skips_the_rest() -> None:
    base, writer, _ = setup()
    base.before = lambda action, body: err(99991672, 400, "Access denied")
    report = await writer.create(APP, T1, (r for r in rows(10_000)), chunk_size=100)
    assert report.aborted is not None and report.aborted.kind is ErrorKind.PERMISSION_DENIED
    assert len(base.writes()) == 1
    assert report.failed_count == 100
    assert report.rows_read < 10_000  # it stopped reading
    assert report.failed_count + report.skipped == report.rows_read
    assert not report.ok


async def test_a_missing_table_stops_before_any_write() -> None:
    base, writer, _ = setup()
    report = await writer.create(APP, "tblMissing000001", rows(5))
    assert report.aborted is not None and report.aborted.code == 1254041
    assert report.rows_read == 0 and base.writes() == []


async def test_one_write_at_a_time_per_table_across_concurrent_runs() -> None:
    base, writer, _ = setup(latency=0.001)
    reports = await asyncio.gather(
        writer.create(APP, T1, rows(3000), chunk_size=200),
        writer.create(APP, T1, rows(3000, start=3000), chunk_size=200),
    )
    assert all(r.ok for r in reports)
    assert base.max_in_flight[T1] == 1 and base.conflicts == 0
    assert len(base.rows(T1)) == 6000


async def test_tables_write_in_parallel_within_the_global_cap() -> None:
    tables = [f"tblPar00000000{i}" for i in range(4)]
    base, writer, _ = setup(*tables, latency=0.001)
    reports = await asyncio.gather(
        *(writer.create(APP, t, rows(1000), chunk_size=100) for t in tables)
    )
    assert all(r.ok for r in reports)
    assert base.max_total_in_flight == 4 and set(base.max_in_flight.values()) == {1}

    base2 = FakeBase(latency=0.001)
    for t in tables:
        base2.add_table(t, dict(FIELDS))
    capped = BulkWriter(base2.request, FakeClock(), slots=WriteSlots(concurrency=2))
    await asyncio.gather(*(capped.create(APP, t, rows(500), chunk_size=100) for t in tables))
    assert base2.max_total_in_flight == 2


async def test_a_request_that_holds_the_slot_per_attempt_keeps_the_same_limits() -> None:
    tables = [f"tblPar00000000{i}" for i in range(4)]
    base = FakeBase(latency=0.001)
    for t in tables:
        base.add_table(t, dict(FIELDS))
    writer = BulkWriter(
        base.request, FakeClock(), slots=WriteSlots(concurrency=2), request_holds_slot=True
    )
    reports = await asyncio.gather(
        *(writer.create(APP, t, rows(500), chunk_size=100) for t in tables),
        writer.create(APP, tables[0], rows(500, start=500), chunk_size=100),
    )
    assert all(r.ok for r in reports)
    assert base.max_total_in_flight == 2 and set(base.max_in_flight.values()) == {1}
    assert base.conflicts == 0


async def test_update_accepts_three_row_shapes_and_retries_a_lost_answer() -> None:
    base, writer, _ = setup()
    created = await writer.create(APP, T1, rows(3), collect_record_ids=True)
    ids = created.record_ids
    assert ids is not None and len(ids) == 3
    lost = iter([timeout()])
    base.after = lambda action, body: next(lost, None)
    report = await writer.update(
        APP,
        T1,
        [
            {"record_id": ids[0], "fields": {"Count": 100}},
            (ids[1], {"Count": 101}),
            Record(record_id=ids[2], fields={"Count": 102}),
        ],
    )
    assert report.ok and report.updated == 3 and report.retries == 1
    assert all(c.idempotent for c in base.writes("batch_update"))
    assert sorted(r["Count"] for r in base.rows(T1)) == [100, 101, 102]


async def test_update_isolates_records_that_do_not_exist() -> None:
    _, writer, _ = setup()
    created = await writer.create(APP, T1, rows(20), collect_record_ids=True)
    assert created.record_ids is not None
    updates = [(rid, {"Count": -1}) for rid in created.record_ids]
    updates.insert(7, ("recDoesNotExist1", {"Count": -1}))
    updates.append(("not-a-record", {"Count": -1}))
    report = await writer.update(APP, T1, updates)
    assert report.updated == 20 and report.failed_count == 2
    by_index = {f.index: f.error for f in report.failed}
    assert by_index[7].kind is ErrorKind.NOT_FOUND and by_index[7].code == 1254043
    assert by_index[21].kind is ErrorKind.INVALID_PARAMETER  # refused locally


async def test_delete_checks_a_lost_answer_by_reading_back_instead_of_resending() -> None:
    base, writer, _ = setup()
    created = await writer.create(APP, T1, rows(700), collect_record_ids=True)
    assert created.record_ids is not None
    lost = iter([timeout()])
    base.after = lambda action, body: next(lost, None)
    report = await writer.delete(APP, T1, created.record_ids)
    assert report.ok and report.deleted == 700 and report.verified_absent == 500
    deletes = base.writes("batch_delete")
    assert [len(c.json["records"]) for c in deletes] == [500, 200]  # nothing sent twice
    assert [c for c in base.calls if c.path.endswith("batch_get")]
    assert base.rows(T1) == []


async def test_delete_resends_only_what_is_still_there() -> None:
    base, writer, _ = setup()
    created = await writer.create(APP, T1, rows(10), collect_record_ids=True)
    assert created.record_ids is not None
    refused = iter([err(1255001, 500, "internal")])  # not applied at all
    base.before = lambda action, body: next(refused, None)
    report = await writer.delete(APP, T1, [{"record_id": r} for r in created.record_ids])
    assert report.ok and report.deleted == 10 and report.verified_absent == 0
    assert [len(c.json["records"]) for c in base.writes("batch_delete")] == [10, 10]


async def test_delete_stays_unknown_when_the_read_back_fails_too() -> None:
    base, writer, _ = setup()
    created = await writer.create(APP, T1, rows(5), collect_record_ids=True)
    assert created.record_ids is not None
    base.after = lambda action, body: timeout()
    original = base.request

    async def no_reads(method: str, path: str, **kw: Any) -> Any:
        if path.endswith("batch_get"):
            from tests.bitable.fakes import _fail

            return _fail(err(1255002, 500, "internal"))
        return await original(method, path, **kw)

    writer._request = no_reads
    report = await writer.delete(APP, T1, created.record_ids)
    assert report.unknown_rows == 5 and report.deleted == 0 and not report.ok


async def test_delete_reports_ids_that_do_not_exist() -> None:
    _, writer, _ = setup()
    created = await writer.create(APP, T1, rows(4), collect_record_ids=True)
    assert created.record_ids is not None
    report = await writer.delete(APP, T1, [*created.record_ids, "recGone000000001"])
    assert report.deleted == 4 and report.failed_count == 1
    assert report.failed[0].error.kind is ErrorKind.NOT_FOUND


async def test_upsert_by_key_creates_new_updates_existing_and_merges_repeats() -> None:
    base, writer, _ = setup()
    await writer.create(APP, T1, [{"Name": "a", "Count": 1}, {"Name": "b", "Count": 2}])
    data = [
        {"Name": "a", "Count": 10},
        {"Name": "c", "Count": 30},
        {"Name": "c", "Done": True},  # same chunk: merged into one create
        {"Name": "d", "Count": 40},
        {"Name": "b", "Count": 20},
        {"Name": "d", "Count": 41},  # next chunk: updates the record made above
    ]
    report = await writer.upsert(APP, T1, data, key="Name", chunk_size=4)
    assert report.ok and report.written == 6
    assert report.created == 3 and report.updated == 3 and report.merged_duplicates == 1
    table = {r["Name"]: r for r in base.rows(T1)}
    assert sorted(table) == ["a", "b", "c", "d"]
    assert table["a"]["Count"] == 10 and table["b"]["Count"] == 20
    assert table["c"] == {"Name": "c", "Count": 30, "Done": True}
    assert table["d"]["Count"] == 41


async def test_upsert_with_search_lookup_respects_filter_limits() -> None:
    base, writer, _ = setup()
    await writer.create(APP, T1, rows(300))
    data = [{"Name": f"row-{i}", "Count": -i} for i in range(0, 600, 2)]
    report = await writer.upsert(APP, T1, data, key="Name", lookup="search")
    assert report.ok and report.updated == 150 and report.created == 150
    searches = [c for c in base.calls if c.path.endswith("/search")]
    assert searches
    for c in searches:
        conds = c.json["filter"]["conditions"]
        assert len(conds) <= 50 and len(str(c.json["filter"])) <= 2000
    assert len(base.rows(T1)) == 450


async def test_upsert_refuses_rows_without_a_key_and_an_unknown_key_field() -> None:
    base, writer, _ = setup()
    report = await writer.upsert(APP, T1, [{"Count": 1}, {"Name": "", "Count": 2}], key="Name")
    assert report.failed_count == 2 and report.written == 0
    assert "key field" in report.failed[0].error.message
    report = await writer.upsert(APP, T1, rows(3), key="Email")
    assert report.aborted is not None and "Email" in report.aborted.message
    assert base.writes() == [] or report.written == 0
    with pytest.raises(InvalidParameter):
        await writer.upsert(APP, T1, rows(1), key="")
    with pytest.raises(InvalidParameter):
        await writer.upsert(APP, T1, rows(1), key="Name", lookup="guess")  # type: ignore[arg-type]


async def test_input_is_streamed_never_read_far_ahead() -> None:
    base, writer, _ = setup()
    yielded = 0
    lead: list[int] = []

    def source() -> Any:
        nonlocal yielded
        for r in rows(50_000):
            yielded += 1
            yield r

    def watch(action: str, body: dict[str, Any]) -> None:
        lead.append(yielded - len(base.rows(T1)))

    base.before = watch
    report = await writer.create(APP, T1, source(), chunk_size=500)
    assert report.ok and report.written == 50_000
    assert max(lead) <= 5 * 500  # a chunk in flight, two queued, one being filled


async def test_async_iterables_are_accepted() -> None:
    base, writer, _ = setup()

    async def source() -> Any:
        for r in rows(1234):
            yield r

    report = await writer.create(APP, T1, source())
    assert report.ok and len(base.rows(T1)) == 1234


async def test_a_failing_input_finishes_queued_chunks_then_raises_with_a_tally() -> None:
    base, writer, _ = setup()

    def source() -> Any:
        yield from rows(2500)
        raise RuntimeError("csv broke")

    with pytest.raises(RuntimeError, match="csv broke") as exc:
        await writer.create(APP, T1, source())
    assert len(base.rows(T1)) == 2000  # the full chunks went; the partial one is skipped
    assert any("2000/2500 rows written" in n for n in exc.value.__notes__)


async def test_an_internal_crash_does_not_hang_the_run() -> None:
    base, writer, _ = setup()

    async def broken(method: str, path: str, **kw: Any) -> Any:
        if path.endswith("/fields"):
            return await base.request(method, path, **kw)
        raise ZeroDivisionError("bug")

    writer._request = broken
    with pytest.raises(ZeroDivisionError):
        await asyncio.wait_for(writer.create(APP, T1, rows(20_000), chunk_size=100), 5)


async def test_progress_is_reported_per_chunk_and_a_broken_callback_is_survived() -> None:
    _, writer, _ = setup()
    seen: list[BulkProgress] = []

    async def on_progress(p: BulkProgress) -> None:
        seen.append(p)

    report = await writer.create(APP, T1, rows(2500), on_progress=on_progress)
    assert [p.chunks_done for p in seen] == [1, 2, 3, 3]
    assert seen[-1].done and seen[-1].rows_written == 2500
    assert [p.done for p in seen[:-1]] == [False] * 3

    def broken(p: BulkProgress) -> None:
        raise ValueError("bar")

    report = await writer.create(APP, T1, rows(10), on_progress=broken)
    assert report.ok


async def test_collected_record_ids_match_the_rows_written() -> None:
    base, writer, _ = setup()
    report = await writer.create(APP, T1, rows(1500), collect_record_ids=True)
    assert report.record_ids is not None and len(report.record_ids) == 1500
    assert set(report.record_ids) == set(base.tables[T1].records)
    plain = await writer.create(APP, T1, rows(5))
    assert plain.record_ids is None


async def test_report_summary_and_error_kinds() -> None:
    _, writer, _ = setup()
    report = await writer.create(APP, T1, [{"Name": 1}, {"Name": "ok"}])
    assert report.errors_by_kind() == Counter({"InvalidParameter": 1})
    line = report.summary()
    assert "1/2 rows written" in line and "1 failed" in line
    assert report.rows_per_second >= 0


async def test_a_hundred_thousand_rows_with_five_percent_faults_end_exactly_once() -> None:
    base, writer, _ = setup()
    rng = random.Random(42)
    bad = set(rng.sample(range(100_000), 5))
    data = rows(100_000)
    for i in bad:
        data[i]["Note"] = "x" * 20_000

    def before(action: str, body: dict[str, Any]) -> LarkError | None:
        roll = rng.random()
        if roll < 0.02:
            return err(1255001, 500, "internal")
        if roll < 0.03:
            return err(99991400, 429, "frequency limit")
        if roll < 0.04:
            return timeout()  # timed out before the server applied it
        return None

    def after(action: str, body: dict[str, Any]) -> LarkError | None:
        return timeout() if rng.random() < 0.01 else None  # applied, answer lost

    base.before, base.after = before, after
    report = await writer.create(APP, T1, iter(data))
    assert report.written == 100_000 - 5 and report.failed_count == 5
    assert {f.index for f in report.failed} == bad
    assert not report.unknown
    counts = names(base)
    assert len(counts) == 100_000 - 5 and max(counts.values()) == 1
    assert report.retries > 0


async def test_a_lost_upsert_update_settles_only_the_values_it_can_compare() -> None:
    base, writer, _ = setup()
    assert (await writer.create(APP, T1, rows(3))).ok
    base.after = lambda action, body: timeout() if action == "batch_update" else None
    report = await writer.upsert(
        APP,
        T1,
        [
            {"Name": "row-0", "Note": [{"type": "text", "text": "rich"}]},  # not comparable
            {"Name": "row-1", "Count": 5.0, "Done": True},
            {"Name": "row-2", "Count": None},
        ],
        key="Name",
        max_attempts=2,
        validate=False,
    )
    assert report.updated == report.written == 2 and report.settled_written == 2
    assert report.unknown_rows == 1 and report.unknown[0].indexes == (0,)
    assert report.unknown[0].error.kind is ErrorKind.TIMEOUT
    assert len(base.writes("batch_update")) == 2  # two attempts, no resend
    reads = [c for c in base.calls if c.path.endswith("batch_get")]
    assert len(reads) == 1 and reads[0].json["record_ids"] == sorted(base.tables[T1].records)


async def test_a_create_with_a_key_field_settles_against_the_fake_too() -> None:
    base, writer, _ = setup()
    lost = iter([timeout(), timeout()])
    base.after = lambda action, body: next(lost, None)
    report = await writer.create(APP, T1, rows(5), key_field="Name", max_attempts=2)
    assert report.ok and report.written == 5 and report.settled_written == 5
    assert names(base) == Counter(f"row-{i}" for i in range(5))
    searches = [c for c in base.calls if c.path.endswith("/search")]
    assert len(searches) == 1 and len(searches[0].json["filter"]["conditions"]) == 5
