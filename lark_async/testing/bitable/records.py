"""Bitable record endpoints: writes, reads, search and the legacy list (Feishu Bitable docs).

Writes (create, batch_create, update, batch_update, delete, batch_delete) are
in the ``bitable.write`` family (50/s per app) and hold their table's write
slot: one write per table at a time, for ``write_latency`` seconds; a write
arriving meanwhile answers 1254291 "Write conflict" (HTTP 200). A write whose
client went away still completes, as on the real server. Batches are
all-or-nothing. ``client_token`` (a UUIDv4) makes create and batch_create
idempotent per table: the same token with the same request answers the first
result without writing; with a different request, 1255006.

Reads (get, batch_get, search, list) are in ``bitable.read`` (20/s per app).
Search results are computed once per table version and query (a small cache),
so paging through 100,000 records costs one pass, not one per page.
"""

from __future__ import annotations

import asyncio
import bisect
import datetime as dt
import hashlib
import json
import uuid
from collections.abc import Callable
from functools import cache
from typing import Any

from lark_async.testing.bitable.filters import (
    compact_size,
    compile_filter,
    compile_sort,
    sort_records,
)
from lark_async.testing.bitable.formula import compile_formula
from lark_async.testing.bitable.state import (
    BATCH_TOO_LARGE,
    CLIENT_TOKEN_CONFLICT,
    CLIENT_TOKEN_WINDOW,
    FIELD_NAME_NOT_FOUND,
    INVALID_CLIENT_TOKEN,
    MAX_BATCH_DELETE,
    MAX_BATCH_GET,
    MAX_BATCH_WRITE,
    MAX_FIELD_NAMES,
    MAX_RECORD_PAGE,
    RECORD_NOT_FOUND,
    RECORDS_PATH,
    RESPONSE_LIMIT,
    SEARCH_CACHE_SIZE,
    TOO_LARGE_RESPONSE,
    WRITE_CONFLICT,
    WRITE_FAMILY,
    WRONG_RECORD_ID,
    Base,
    BitableState,
    Field,
    Record,
    Table,
    TokenUse,
    bitable_error,
    body_of,
    check_view,
    decode_page_token,
    encode_page_token,
    field_violation,
    find_base,
    find_table,
    flag,
    new_id,
    page_size,
    routes,
    user_id_type,
)
from lark_async.testing.bitable.values import (
    CLEAR,
    Shape,
    convert_fields,
    record_json,
    shape,
)
from lark_async.testing.server.request import FakeRequest

Data = dict[str, Any]


# --- the write slot ---------------------------------------------------------------------
async def hold_table(req: FakeRequest, table: Table, apply: Callable[[], Data]) -> Data:
    """Run ``apply`` holding the table's write slot for ``write_latency`` seconds.

    ``apply`` checks and mutates without awaiting, so it is atomic. A client that
    times out does not undo its write: the held work runs in a task of its own.
    """
    state = req.state(BitableState)
    if table.busy:
        state.write_conflicts += 1
        raise bitable_error(WRITE_CONFLICT, "another write holds this table; retry it later")
    table.busy = True
    state.write_calls += 1
    latency = state.write_latency
    if latency <= 0:
        try:
            return apply()
        finally:
            table.busy = False
    task = asyncio.ensure_future(_held(table, latency, apply))
    state.pending.add(task)
    task.add_done_callback(lambda t: _settled(state, t))
    return await asyncio.shield(task)


async def _held(table: Table, latency: float, apply: Callable[[], Data]) -> Data:
    try:
        await asyncio.sleep(latency)  # real time: it models the server's work on the table
        return apply()
    finally:
        table.busy = False


def _settled(state: BitableState, task: asyncio.Task[Data]) -> None:
    state.pending.discard(task)
    if not task.cancelled():
        task.exception()  # an answer nobody waited for: mark its error as seen


# --- client tokens ----------------------------------------------------------------------
def _client_token(req: FakeRequest) -> str | None:
    raw = req.query.get("client_token")
    if raw is None or raw == "":
        return None
    try:
        parsed = uuid.UUID(raw)
    except ValueError:
        parsed = None
    if parsed is None or parsed.version != 4 or str(parsed) != raw.lower():
        raise bitable_error(INVALID_CLIENT_TOKEN, "client_token must be a UUIDv4 string")
    return raw.lower()


def _fingerprint(kind: str, body: Data, id_type: str) -> str:
    canonical = json.dumps([kind, id_type, body], sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(table: Table, token: str | None, fingerprint: str, now: float) -> Data | None:
    """The first answer for ``token``; 1255006 when it was used for another request."""
    if token is None:
        return None
    _expire_tokens(table, now)
    use = table.client_tokens.get(token)
    if use is None:
        return None
    if use.fingerprint != fingerprint:
        raise bitable_error(CLIENT_TOKEN_CONFLICT, "this client_token was used for another request")
    copy: Data = json.loads(json.dumps(use.data))  # callers may not alter the memory
    return copy


def _remember(table: Table, token: str | None, fingerprint: str, data: Data, now: float) -> None:
    if token is not None:
        table.client_tokens[token] = TokenUse(fingerprint, data, now)


def _expire_tokens(table: Table, now: float) -> None:
    tokens = table.client_tokens
    while tokens:
        oldest = next(iter(tokens.values()))
        if now - oldest.time < CLIENT_TOKEN_WINDOW:
            break
        tokens.popitem(last=False)


# --- helpers ----------------------------------------------------------------------------
def _who(req: FakeRequest) -> str | None:
    return req.subject if req.token_kind == "user" and req.subject else req.app_id


def insert_record(table: Table, values: dict[str, Any], who: str | None, now_ms: int) -> Record:
    record_id = new_id("rec", 10)
    while record_id in table.records:
        record_id = new_id("rec", 10)
    record = Record(
        record_id=record_id,
        seq=table.next_seq,
        values={fid: v for fid, v in values.items() if v is not CLEAR},
        created_time=now_ms,
        last_modified_time=now_ms,
        created_by=who,
        last_modified_by=who,
        auto_number=table.next_auto_number,
    )
    table.next_seq += 1
    table.next_auto_number += 1
    table.records[record_id] = record
    return record


def _update(record: Record, values: dict[str, Any], who: str | None, now_ms: int) -> None:
    for fid, value in values.items():
        if value is CLEAR:
            record.values.pop(fid, None)
        else:
            record.values[fid] = value
    record.last_modified_time = now_ms
    record.last_modified_by = who


def _echo(table: Table, record: Record, values: dict[str, Any]) -> Data:
    """A write's answer: the record id and the values just written (as Feishu echoes them)."""
    fields = table.fields
    return {
        "record_id": record.record_id,
        "fields": {
            fields[fid].name: shape(fields[fid], value, "write")
            for fid, value in values.items()
            if value is not CLEAR
        },
    }


def _record_id(raw: Any, where: str) -> str:
    if not isinstance(raw, str) or not raw:
        raise field_violation(where, raw, "required: a record id (rec...)")
    return raw


def _existing(table: Table, record_id: str) -> Record:
    record = table.records.get(record_id)
    if record is None:
        if not record_id.startswith("rec") or len(record_id) > 50:
            raise bitable_error(WRONG_RECORD_ID, f"{record_id!r} is not a record id (rec...)")
        raise bitable_error(RECORD_NOT_FOUND, f"no record {record_id} in this table")
    return record


def _records_list(body: Data, limit: int, name: str = "records") -> list[Any]:
    items = body.get(name)
    if not isinstance(items, list) or not items:
        raise field_violation(name, items, f"required: a list of 1..{limit}")
    if len(items) > limit:
        raise bitable_error(
            BATCH_TOO_LARGE, f"{len(items)} {name} in one call; the limit is {limit}"
        )
    return items


def _now_ms(req: FakeRequest) -> int:
    return int(req.now() * 1000)


def _ignore_consistency(req: FakeRequest) -> None:
    flag(req, "ignore_consistency_check")  # accepted and checked; the emulator is consistent


# --- writes -----------------------------------------------------------------------------
@routes.post(RECORDS_PATH, family=WRITE_FAMILY)
async def create_record(req: FakeRequest) -> Data:
    base, table = find_base(req), find_table(req)
    id_type = user_id_type(req)
    token = _client_token(req)
    _ignore_consistency(req)
    body = body_of(req)
    fingerprint = _fingerprint("create", body, id_type)
    replayed = _replay(table, token, fingerprint, req.now())
    if replayed is not None:
        return replayed
    values = convert_fields(base, table, body.get("fields"), id_type)
    who, now, now_ms = _who(req), req.now(), _now_ms(req)

    def apply() -> Data:
        record = insert_record(table, values, who, now_ms)
        table.touch()
        data = {"record": _echo(table, record, values)}
        _remember(table, token, fingerprint, data, now)
        return data

    return await hold_table(req, table, apply)


@routes.post(RECORDS_PATH + "/batch_create", family=WRITE_FAMILY)
async def batch_create(req: FakeRequest) -> Data:
    base, table = find_base(req), find_table(req)
    id_type = user_id_type(req)
    token = _client_token(req)
    _ignore_consistency(req)
    body = body_of(req)
    items = _records_list(body, MAX_BATCH_WRITE)
    fingerprint = _fingerprint("batch_create", body, id_type)
    replayed = _replay(table, token, fingerprint, req.now())
    if replayed is not None:
        return replayed
    rows = []
    for i, item in enumerate(items):
        fields = item.get("fields") if isinstance(item, dict) else None
        rows.append(convert_fields(base, table, fields, id_type, where=f"records[{i}].fields"))
    who, now, now_ms = _who(req), req.now(), _now_ms(req)

    def apply() -> Data:
        out = []
        for values in rows:
            record = insert_record(table, values, who, now_ms)
            out.append(_echo(table, record, values))
        table.touch()
        data = {"records": out}
        _remember(table, token, fingerprint, data, now)
        return data

    return await hold_table(req, table, apply)


@routes.put(RECORDS_PATH + "/{record_id}", family=WRITE_FAMILY)
async def update_record(req: FakeRequest) -> Data:
    base, table = find_base(req), find_table(req)
    id_type = user_id_type(req)
    _ignore_consistency(req)
    record_id = req.params["record_id"]
    values = convert_fields(base, table, body_of(req).get("fields"), id_type)
    who, now_ms = _who(req), _now_ms(req)

    def apply() -> Data:
        record = _existing(table, record_id)
        _update(record, values, who, now_ms)
        table.touch()
        return {"record": _echo(table, record, values)}

    return await hold_table(req, table, apply)


@routes.post(RECORDS_PATH + "/batch_update", family=WRITE_FAMILY)
async def batch_update(req: FakeRequest) -> Data:
    base, table = find_base(req), find_table(req)
    id_type = user_id_type(req)
    _ignore_consistency(req)
    items = _records_list(body_of(req), MAX_BATCH_WRITE)
    changes: list[tuple[str, dict[str, Any]]] = []
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            raise field_violation(f"records[{i}]", item, "an object {record_id, fields}")
        record_id = _record_id(item.get("record_id"), f"records[{i}].record_id")
        fields = item.get("fields")
        changes.append(
            (record_id, convert_fields(base, table, fields, id_type, where=f"records[{i}].fields"))
        )
    who, now_ms = _who(req), _now_ms(req)

    def apply() -> Data:
        targets = [_existing(table, record_id) for record_id, _ in changes]  # all or nothing
        out = []
        for record, (_, values) in zip(targets, changes, strict=True):
            _update(record, values, who, now_ms)
            out.append(_echo(table, record, values))
        table.touch()
        return {"records": out}

    return await hold_table(req, table, apply)


@routes.delete(RECORDS_PATH + "/{record_id}", family=WRITE_FAMILY)
async def delete_record(req: FakeRequest) -> Data:
    table = find_table(req)
    record_id = req.params["record_id"]

    def apply() -> Data:
        _existing(table, record_id)
        del table.records[record_id]
        table.touch()
        return {"deleted": True, "record_id": record_id}

    return await hold_table(req, table, apply)


@routes.post(RECORDS_PATH + "/batch_delete", family=WRITE_FAMILY)
async def batch_delete(req: FakeRequest) -> Data:
    table = find_table(req)
    ids = _records_list(body_of(req), MAX_BATCH_DELETE)
    record_ids = [_record_id(r, f"records[{i}]") for i, r in enumerate(ids)]

    def apply() -> Data:
        for record_id in record_ids:  # all or nothing
            _existing(table, record_id)
        for record_id in dict.fromkeys(record_ids):
            del table.records[record_id]
        table.touch()
        return {"records": [{"deleted": True, "record_id": r} for r in record_ids]}

    return await hold_table(req, table, apply)


# --- reads ------------------------------------------------------------------------------
def _shared_url(req: FakeRequest, table: Table, record_id: str) -> str:
    # points at the emulator itself: nothing may lead a client to a real Feishu host
    return (
        f"{req.fake.url}/base/{req.params['app_token']}?table={table.table_id}&record={record_id}"
    )


@routes.get(RECORDS_PATH + "/{record_id}")
def get_record(req: FakeRequest) -> Data:
    table = find_table(req)
    user_id_type(req)
    how: Shape = "legacy_array" if flag(req, "text_field_as_array") else "legacy"
    automatic = flag(req, "automatic_fields")
    record = _existing(table, req.params["record_id"])
    out = record_json(table, record, how, automatic=automatic)
    if flag(req, "with_shared_url"):
        out["shared_url"] = _shared_url(req, table, record.record_id)
    return {"record": out}


@routes.post(RECORDS_PATH + "/batch_get")
def batch_get(req: FakeRequest) -> Data:
    table = find_table(req)
    body = body_of(req)
    ids = body.get("record_ids")
    if not isinstance(ids, list) or not 1 <= len(ids) <= MAX_BATCH_GET:
        raise field_violation("record_ids", ids, f"required: a list of 1..{MAX_BATCH_GET} ids")
    if body.get("user_id_type") not in (None, "open_id", "union_id", "user_id"):
        raise field_violation("user_id_type", body["user_id_type"], "open_id | union_id | user_id")
    automatic = body.get("automatic_fields") is True
    shared = body.get("with_shared_url") is True
    records, absent = [], []
    for i, raw in enumerate(ids):
        record = table.records.get(_record_id(raw, f"record_ids[{i}]"))
        if record is None:
            absent.append(raw)
            continue
        out = record_json(table, record, "read", automatic=automatic)
        if shared:
            out["shared_url"] = _shared_url(req, table, record.record_id)
        records.append(out)
    return {"records": records, "forbidden_record_ids": [], "absent_record_ids": absent}


@routes.post(RECORDS_PATH + "/search")
def search_records(req: FakeRequest) -> Data:
    base, table = find_base(req), find_table(req)
    user_id_type(req)
    size = page_size(req.query.get("page_size"), MAX_RECORD_PAGE)
    body = body_of(req)
    check_view(table, body.get("view_id"))
    only = _field_names(table, body.get("field_names"))
    tz = time_zone(base.time_zone)
    raw_filter, raw_sort = body.get("filter"), body.get("sort")
    if raw_sort is not None and not isinstance(raw_sort, list):
        raise field_violation("sort", raw_sort, "a list of {field_name, desc}")
    query = json.dumps([raw_filter, raw_sort], sort_keys=True, ensure_ascii=False)

    # compiled on every page, cached or not, so a bad filter is always refused
    predicate = compile_filter(raw_filter, table, req.now(), tz)
    keys = compile_sort(raw_sort, table)

    def build() -> list[Record]:
        chosen = [r for r in table.records.values() if predicate is None or predicate(r)]
        return sort_records(chosen, keys) if keys else chosen

    return _page(
        req,
        base,
        table,
        query=query,
        sorted_=bool(raw_sort),
        build=build,
        size=size,
        shape="read",
        only=only,
        automatic=body.get("automatic_fields") is True,
        day=_local_day(req.now(), tz),
    )


@routes.get(RECORDS_PATH)
def list_records(req: FakeRequest) -> Data:
    base, table = find_base(req), find_table(req)
    user_id_type(req)
    size = page_size(req.query.get("page_size"), MAX_RECORD_PAGE)
    check_view(table, req.query.get("view_id"))
    names = req.query.get("field_names")
    only = _field_names(table, _json_param("field_names", names) if names else None)
    formula = req.query.get("filter") or None
    sort_text = req.query.get("sort") or None
    keys = _legacy_sort(table, sort_text)
    predicate = compile_formula(formula, table) if formula else None
    how: Shape = "legacy_array" if flag(req, "text_field_as_array") else "legacy"
    flag(req, "display_formula_ref")

    def build() -> list[Record]:
        chosen = [r for r in table.records.values() if predicate is None or predicate(r)]
        return sort_records(chosen, keys) if keys else chosen

    return _page(
        req,
        base,
        table,
        query=json.dumps(["list", formula, sort_text]),
        sorted_=bool(keys),
        build=build,
        size=size,
        shape=how,
        only=only,
        automatic=flag(req, "automatic_fields"),
        day="",
    )


def _page(
    req: FakeRequest,
    base: Base,
    table: Table,
    *,
    query: str,
    sorted_: bool,
    build: Callable[[], list[Record]],
    size: int,
    shape: Shape,
    only: list[Field] | None,
    automatic: bool,
    day: str,
) -> Data:
    """One page of a query's result, computed once per table version (see module doc).

    Unsorted results page by record position (a token is the last record's
    sequence number), so records written between pages neither repeat nor
    vanish; sorted results page by offset.
    """
    digest = hashlib.sha256(query.encode()).hexdigest()[:12]
    scope = f"{table.table_id}.{digest}"
    position = decode_page_token(req.query.get("page_token"), scope)
    ids, seqs = _matching(table, f"{digest}.{day}", build)
    if position is None:
        start = 0
    elif position[0] == "k":
        start = bisect.bisect_right(seqs, position[1])
    else:
        start = position[1]
    chosen = ids[start : start + size]
    has_more = start + size < len(ids)
    items = [
        record_json(table, table.records[rid], shape, only=only, automatic=automatic)
        for rid in chosen
    ]
    # Measuring an answer costs a serialisation: only when its cells could be large.
    bound = (base.longest_text + 256) * len(table.fields) * len(items)
    if bound > RESPONSE_LIMIT and compact_size(items) > RESPONSE_LIMIT:
        raise bitable_error(TOO_LARGE_RESPONSE, "ask for fewer records or fields per page")
    data: Data = {"items": items, "has_more": has_more, "total": len(ids)}
    if has_more:  # Feishu omits page_token on the last page
        if sorted_:
            data["page_token"] = encode_page_token(scope, "o", start + size)
        else:
            data["page_token"] = encode_page_token(scope, "k", table.records[chosen[-1]].seq)
    return data


def _matching(
    table: Table, key: str, build: Callable[[], list[Record]]
) -> tuple[list[str], list[int]]:
    cached = table.search_cache.get(key)
    if cached is not None and cached[0] == table.version:
        table.search_cache.move_to_end(key)
        return cached[1], cached[2]
    records = build()
    ids = [r.record_id for r in records]
    seqs = [r.seq for r in records]
    table.search_cache[key] = (table.version, ids, seqs)
    while len(table.search_cache) > SEARCH_CACHE_SIZE:
        table.search_cache.popitem(last=False)
    return ids, seqs


def _field_names(table: Table, raw: Any) -> list[Field] | None:
    if raw is None:
        return None
    if (
        not isinstance(raw, list)
        or len(raw) > MAX_FIELD_NAMES
        or not all(isinstance(n, str) for n in raw)
    ):
        raise field_violation("field_names", raw, f"a list of at most {MAX_FIELD_NAMES} names")
    out = []
    for name in raw:
        f = table.by_name.get(name)
        if f is None:
            raise bitable_error(FIELD_NAME_NOT_FOUND, f"no field named {name!r} in field_names")
        out.append(f)
    return out


def _json_param(name: str, raw: str) -> Any:
    try:
        return json.loads(raw)
    except ValueError:
        raise field_violation(name, raw, "must be a JSON array") from None


def _legacy_sort(table: Table, raw: str | None) -> list[tuple[Field, bool]]:
    """The list endpoint's ``sort``: a JSON array of ``"Field DESC"`` / ``"Field ASC"``."""
    if raw is None:
        return []
    items = _json_param("sort", raw)
    if not isinstance(items, list) or not all(isinstance(i, str) for i in items):
        raise field_violation("sort", raw, 'a JSON array like ["Age DESC", "Name ASC"]')
    converted = []
    for item in items:
        name, _, direction = item.rstrip().rpartition(" ")
        if direction.upper() not in ("ASC", "DESC") or not name:
            name, direction = item.strip(), "ASC"
        converted.append({"field_name": name.strip(), "desc": direction.upper() == "DESC"})
    return compile_sort(converted, table)


@cache
def time_zone(name: str) -> dt.tzinfo:
    """A base's time zone; a fixed UTC+8 if the system has no tz database."""
    try:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError
    except ImportError:  # pragma: no cover - every supported Python has zoneinfo
        return dt.timezone(dt.timedelta(hours=8))
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        return dt.timezone(dt.timedelta(hours=8))


def _local_day(now: float, tz: dt.tzinfo) -> str:
    # relative dates (Today, CurrentWeek…) change at midnight: so does the cache key
    return dt.datetime.fromtimestamp(now, tz).date().isoformat()
