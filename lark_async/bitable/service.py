"""``lark.bitable``: Bitable (Base) records, queries, tables, fields and bulk writes.

Every method checks its arguments before sending (``InvalidParameter`` with a
hint), and returns a ``LarkResponse`` — except listings and searches, which are
async iterators (``Pages``) that follow ``page_token`` one page at a time.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from lark_async.bitable import checks
from lark_async.bitable.bulk import BulkWriter, Lookup
from lark_async.bitable.filters import Condition, F, Filter, Sort, sort_spec
from lark_async.bitable.models import (
    App,
    AppEnvelope,
    BatchGetResult,
    DeletedBatch,
    DeletedRecord,
    FieldPage,
    Record,
    RecordBatch,
    RecordEnvelope,
    RecordPage,
    Table,
    TableField,
    TablePage,
)
from lark_async.bitable.options import WriteSlots
from lark_async.bitable.paging import Pages
from lark_async.bitable.report import BulkReport
from lark_async.bitable.rows import Rows, update_parts
from lark_async.core.checks import has_surrogates
from lark_async.core.errors import InvalidParameter, NotFound, OutcomeUnknown
from lark_async.core.response import LarkResponse
from lark_async.core.service import Service, ServiceContext, parse_model

BASE = "/open-apis/bitable/v1/apps"
_SEARCH_OPTIONS = frozenset(
    {
        "sort",
        "field_names",
        "view_id",
        "automatic_fields",
        "page_size",
        "max_items",
        "user_id_type",
    }
)

FilterLike = Filter | Condition | Mapping[str, Any]


def _table_path(app_token: str, table_id: str) -> str:
    return f"{BASE}/{checks.app_token(app_token)}/tables/{checks.table_id(table_id)}"


def _as_filter(filters: FilterLike | None, name: str = "filters") -> Filter | None:
    if filters is None or isinstance(filters, Filter):
        return filters
    if isinstance(filters, Condition):
        return Filter.all(filters)
    if isinstance(filters, Mapping):
        if not filters:
            return None
        try:
            parts = [
                F(field).is_(*value) if isinstance(value, (list, tuple)) else F(field).is_(value)
                for field, value in filters.items()
            ]
            return Filter.all(*parts)
        except InvalidParameter as exc:
            raise InvalidParameter(f"{name}: {exc.message}", hint=exc.hint) from None
    prefix = "" if name == "filters" else f"{name}: "
    raise InvalidParameter(
        f"{prefix}filters must be a Filter, a condition or a mapping, not {type(filters).__name__}",
        hint='e.g. {"Status": "Done"} or F("Count").gt(3)',
    )


def _sort(sort: Sequence[Sort | str] | Sort | str) -> list[dict[str, Any]]:
    try:
        return sort_spec(sort)
    except InvalidParameter as exc:
        if "sort" in exc.message:
            raise
        raise InvalidParameter(f"sort: {exc.message}", hint=exc.hint) from None


def _record(resp: LarkResponse[dict[str, Any]]) -> LarkResponse[Record]:
    parsed = parse_model(resp, RecordEnvelope)
    return parsed.with_data(parsed.data.record if parsed.data is not None else None)


def _update_pair(item: Any, index: int) -> dict[str, Any]:
    try:
        rid, fields = update_parts(item, index)
    except InvalidParameter as exc:
        problem = exc.message.removeprefix(f"row {index}: ")
        raise InvalidParameter(f"records[{index}]: {problem}", hint=exc.hint) from None
    return {"record_id": rid, "fields": checks.fields(fields, f"records[{index}].fields")}


class Bitable(Service):
    """Bitable records and schema for one app (``lark.bitable`` / ``lark.app(id).bitable``)."""

    name = "bitable"

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        # Shared with the app's other processes when the client offers it (PostgreSQL).
        self._slots = WriteSlots(shared=getattr(ctx, "shared_slots", None))
        self._bulk: BulkWriter | None = None

    async def _write(
        self, app_token: str, table_id: str, method: str, path: str, **kwargs: Any
    ) -> LarkResponse[dict[str, Any]]:
        # Feishu refuses a second concurrent write to a table (1254291): each attempt
        # of a write from this app holds the table's slot, shared with the bulk
        # writers, while it is on the wire; backoff and rate-limit waits hold nothing.
        slot = self._slots.slot_for(app_token, table_id)
        return await self._request(method, path, slot=slot, **kwargs)

    # -- single records ------------------------------------------------------------
    async def create_record(
        self,
        app_token: str,
        table_id: str,
        fields: Mapping[str, Any],
        *,
        client_token: str | None = None,
        user_id_type: str | None = None,
    ) -> LarkResponse[Record]:
        """Create one record; returns it with its ``record_id``.

        A ``client_token`` (UUIDv4, generated if not given) makes retries safe:
        a retry after a lost answer returns the same record instead of a second one.
        """
        path = f"{_table_path(app_token, table_id)}/records"
        body = {"fields": checks.fields(fields)}
        token = checks.client_token(client_token)
        params = {"client_token": token, "user_id_type": checks.user_id_type(user_id_type)}
        resp = await self._write(
            app_token, table_id, "POST", path, params=params, json=body, idempotency_key=token
        )
        return _record(resp)

    async def get_record(
        self,
        app_token: str,
        table_id: str,
        record_id: str,
        *,
        automatic_fields: bool = False,
        with_shared_url: bool = False,
        user_id_type: str | None = None,
    ) -> LarkResponse[Record]:
        """One record by id (``NotFound`` 1254043 if there is none)."""
        path = f"{_table_path(app_token, table_id)}/records/{checks.record_id(record_id)}"
        params = {
            "automatic_fields": checks.flag(automatic_fields, "automatic_fields") or None,
            "with_shared_url": checks.flag(with_shared_url, "with_shared_url") or None,
            "user_id_type": checks.user_id_type(user_id_type),
        }
        return _record(await self._request("GET", path, params=params))

    async def batch_get_records(
        self,
        app_token: str,
        table_id: str,
        record_ids: Sequence[str],
        *,
        automatic_fields: bool = False,
        with_shared_url: bool = False,
        user_id_type: str | None = None,
    ) -> LarkResponse[BatchGetResult]:
        """Up to 100 records by id; ids that do not exist come back in ``absent_record_ids``."""
        ids = checks.count(record_ids, "record_ids", limit=checks.MAX_BATCH_GET)
        body: dict[str, Any] = {
            "record_ids": [checks.record_id(r, f"record_ids[{i}]") for i, r in enumerate(ids)],
            "automatic_fields": checks.flag(automatic_fields, "automatic_fields"),
            "with_shared_url": checks.flag(with_shared_url, "with_shared_url"),
        }
        if user_id_type:
            body["user_id_type"] = checks.user_id_type(user_id_type)
        path = f"{_table_path(app_token, table_id)}/records/batch_get"
        return await self._call(BatchGetResult, "POST", path, json=body, idempotent=True)

    async def update_record(
        self,
        app_token: str,
        table_id: str,
        record_id: str,
        fields: Mapping[str, Any],
        *,
        user_id_type: str | None = None,
    ) -> LarkResponse[Record]:
        """Set the given fields of one record (others are left alone); returns the record.

        Retried after a lost answer: writing the same values twice changes nothing.
        """
        path = f"{_table_path(app_token, table_id)}/records/{checks.record_id(record_id)}"
        params = {"user_id_type": checks.user_id_type(user_id_type)}
        body = {"fields": checks.fields(fields)}
        resp = await self._write(
            app_token, table_id, "PUT", path, params=params, json=body, idempotent=True
        )
        return _record(resp)

    async def delete_record(
        self, app_token: str, table_id: str, record_id: str
    ) -> LarkResponse[DeletedRecord]:
        """Delete one record (``NotFound`` 1254043 if there is none).

        If the answer is lost, the record is read back: gone means deleted; still
        there means the delete did not happen, and it is sent once more. Only if the
        read-back fails too does the result stay ``OutcomeUnknown``.
        """
        # Sent as a one-id batch_delete (POST), not DELETE: aiohttp silently resends
        # a DELETE whose kept-alive connection drops, and the resend would answer
        # "not found" for a delete that in fact succeeded.
        path = f"{_table_path(app_token, table_id)}/records/batch_delete"
        body = {"records": [checks.record_id(record_id)]}
        resp = await self._delete_one(app_token, table_id, path, body)
        if not isinstance(resp.error, OutcomeUnknown):
            return resp
        check = await self.get_record(app_token, table_id, record_id)
        if isinstance(check.error, NotFound):
            return LarkResponse(
                ok=True,
                code=0,
                msg="deleted (confirmed by reading back after a lost answer)",
                request_id=resp.request_id,
                log_id=resp.log_id,
                data=DeletedRecord(record_id=record_id, deleted=True),
                attempts=resp.attempts + 1,
            )
        if check.ok:
            return await self._delete_one(app_token, table_id, path, body)
        return resp

    async def _delete_one(
        self, app_token: str, table_id: str, path: str, body: dict[str, Any]
    ) -> LarkResponse[DeletedRecord]:
        batch = parse_model(
            await self._write(app_token, table_id, "POST", path, json=body), DeletedBatch
        )
        if batch.data is None:
            return batch.with_data(None)
        first = batch.data.records[0] if batch.data.records else None
        return batch.with_data(first or DeletedRecord(record_id=body["records"][0], deleted=True))

    # -- batches (one call each; the bulk_* methods chunk any number of rows) --------------
    async def batch_create_records(
        self,
        app_token: str,
        table_id: str,
        records: Sequence[Mapping[str, Any]],
        *,
        client_token: str | None = None,
        user_id_type: str | None = None,
    ) -> LarkResponse[RecordBatch]:
        """Create up to 1,000 records in one call, all or none, with a ``client_token``."""
        rows = checks.count(records, "records", limit=checks.MAX_BATCH_WRITE)
        body = {
            "records": [{"fields": checks.fields(r, f"records[{i}]")} for i, r in enumerate(rows)]
        }
        token = checks.client_token(client_token)
        params = {"client_token": token, "user_id_type": checks.user_id_type(user_id_type)}
        path = f"{_table_path(app_token, table_id)}/records/batch_create"
        resp = await self._write(
            app_token, table_id, "POST", path, params=params, json=body, idempotency_key=token
        )
        return parse_model(resp, RecordBatch)

    async def batch_update_records(
        self,
        app_token: str,
        table_id: str,
        records: Sequence[Any],
        *,
        user_id_type: str | None = None,
    ) -> LarkResponse[RecordBatch]:
        """Update up to 1,000 records in one call: ``(record_id, fields)`` pairs or mappings."""
        rows = checks.count(records, "records", limit=checks.MAX_BATCH_WRITE)
        body = {"records": [_update_pair(r, i) for i, r in enumerate(rows)]}
        params = {"user_id_type": checks.user_id_type(user_id_type)}
        path = f"{_table_path(app_token, table_id)}/records/batch_update"
        resp = await self._write(
            app_token, table_id, "POST", path, params=params, json=body, idempotent=True
        )
        return parse_model(resp, RecordBatch)

    async def batch_delete_records(
        self, app_token: str, table_id: str, record_ids: Sequence[str]
    ) -> LarkResponse[DeletedBatch]:
        """Delete up to 500 records in one call.

        A lost answer is returned as ``OutcomeUnknown`` (batch_delete has no
        idempotency key); ``bulk_delete`` checks such chunks by reading them back.
        """
        ids = checks.count(record_ids, "record_ids", limit=checks.MAX_BATCH_DELETE)
        body = {"records": [checks.record_id(r, f"record_ids[{i}]") for i, r in enumerate(ids)]}
        path = f"{_table_path(app_token, table_id)}/records/batch_delete"
        return parse_model(
            await self._write(app_token, table_id, "POST", path, json=body), DeletedBatch
        )

    # -- queries ---------------------------------------------------------------------
    def search_records(
        self,
        app_token: str,
        table_id: str,
        *,
        filter: FilterLike | None = None,
        sort: Sequence[Sort | str] | Sort | str | None = None,
        field_names: Sequence[str] | None = None,
        view_id: str | None = None,
        automatic_fields: bool = False,
        page_size: int = checks.MAX_PAGE_SIZE,
        max_items: int | None = None,
        user_id_type: str | None = None,
    ) -> Pages[Record]:
        """Records matching ``filter``, in ``sort`` order: ``async for record in ...``.

        Everything is checked now, before the first page is requested. A failed
        page raises its typed error; ``max_items`` stops early.
        """
        if max_items is not None and (
            isinstance(max_items, bool) or not isinstance(max_items, int) or max_items < 1
        ):
            raise InvalidParameter(f"max_items must be a positive integer, got {max_items!r}")
        fetch = self._search_fetch(
            app_token,
            table_id,
            filter=filter,
            sort=sort,
            field_names=field_names,
            view_id=view_id,
            automatic_fields=automatic_fields,
            page_size=page_size,
            user_id_type=user_id_type,
        )
        return Pages(fetch, max_items=max_items, what=f"records of table {table_id!r}")

    def query_records(
        self,
        app_token: str,
        table_id: str,
        filters: FilterLike | None = None,
        **options: Any,
    ) -> Pages[Record]:
        """The spec's ``query_records``: records matching ``filters``.

        ``filters`` is a :class:`Filter`, one condition, or a mapping read as "every
        field equals" (``{"Status": "Done"}``). Options as for :meth:`search_records`.
        """
        unknown = sorted(set(options) - _SEARCH_OPTIONS)
        if unknown:
            raise InvalidParameter(
                f"{', '.join(map(str, unknown))}: not an option of query_records",
                hint="options: " + ", ".join(sorted(_SEARCH_OPTIONS)) + " (filters go first)",
            )
        flt = _as_filter(filters, "filters")
        return self.search_records(app_token, table_id, filter=flt, **options)

    async def search_records_page(
        self,
        app_token: str,
        table_id: str,
        *,
        page_token: str | None = None,
        filter: FilterLike | None = None,
        sort: Sequence[Sort | str] | Sort | str | None = None,
        field_names: Sequence[str] | None = None,
        view_id: str | None = None,
        automatic_fields: bool = False,
        page_size: int = checks.MAX_PAGE_SIZE,
        user_id_type: str | None = None,
    ) -> LarkResponse[RecordPage]:
        """One page of a search, for callers that keep the ``page_token`` themselves."""
        if page_token is not None:
            checks.text(page_token, "page_token")
        fetch = self._search_fetch(
            app_token,
            table_id,
            filter=filter,
            sort=sort,
            field_names=field_names,
            view_id=view_id,
            automatic_fields=automatic_fields,
            page_size=page_size,
            user_id_type=user_id_type,
        )
        return await fetch(page_token)

    def _search_fetch(
        self,
        app_token: str,
        table_id: str,
        *,
        filter: FilterLike | None,
        sort: Sequence[Sort | str] | Sort | str | None,
        field_names: Sequence[str] | None,
        view_id: str | None,
        automatic_fields: bool,
        page_size: int,
        user_id_type: str | None,
    ) -> Callable[[str | None], Awaitable[LarkResponse[RecordPage]]]:
        path = f"{_table_path(app_token, table_id)}/records/search"
        body: dict[str, Any] = {}
        flt = _as_filter(filter, "filter")
        if flt is not None:
            body["filter"] = flt.to_dict()
        if sort is not None and not (isinstance(sort, str | list | tuple) and not sort):
            body["sort"] = _sort(sort)
        if field_names is not None:
            names = checks.count(field_names, "field_names", limit=checks.MAX_FIELD_NAMES)
            if not all(isinstance(n, str) and n and not has_surrogates(n) for n in names):
                raise InvalidParameter("field_names must be non-empty strings")
            body["field_names"] = names
        if view_id is not None:
            body["view_id"] = checks.view_id(view_id)
        if checks.flag(automatic_fields, "automatic_fields"):
            body["automatic_fields"] = True
        size = checks.page_size(page_size)
        uid = checks.user_id_type(user_id_type)

        async def fetch(token: str | None) -> LarkResponse[RecordPage]:
            params = {"page_size": size, "page_token": token, "user_id_type": uid}
            # search is a read sent as POST: safe to retry
            return await self._call(
                RecordPage, "POST", path, params=params, json=body, idempotent=True
            )

        return fetch

    # -- schema ----------------------------------------------------------------------
    async def get_app(self, app_token: str) -> LarkResponse[App]:
        """A base's metadata: its name, revision and ``time_zone`` (open.feishu.cn:
        bitable-v1/app/get)."""
        path = f"{BASE}/{checks.app_token(app_token)}"
        parsed = await self._call(AppEnvelope, "GET", path)
        return parsed.with_data(parsed.data.app if parsed.data is not None else None)

    def list_tables(self, app_token: str, *, page_size: int = 100) -> Pages[Table]:
        """The tables of a base."""
        path = f"{BASE}/{checks.app_token(app_token)}/tables"
        size = checks.page_size(page_size, limit=checks.MAX_SCHEMA_PAGE_SIZE)

        async def fetch(token: str | None) -> Any:
            params = {"page_size": size, "page_token": token}
            return await self._call(TablePage, "GET", path, params=params)

        return Pages(fetch, what="tables of the base")

    def list_fields(
        self,
        app_token: str,
        table_id: str,
        *,
        view_id: str | None = None,
        page_size: int = 100,
    ) -> Pages[TableField]:
        """The fields (columns) of a table, with their types."""
        path = f"{_table_path(app_token, table_id)}/fields"
        size = checks.page_size(page_size, limit=checks.MAX_SCHEMA_PAGE_SIZE)
        view = checks.view_id(view_id) if view_id is not None else None

        async def fetch(token: str | None) -> Any:
            params = {"page_size": size, "page_token": token, "view_id": view}
            return await self._call(FieldPage, "GET", path, params=params)

        return Pages(fetch, what=f"fields of table {table_id!r}")

    # -- bulk ------------------------------------------------------------------------
    @property
    def bulk(self) -> BulkWriter:
        """The app's shared bulk writer (one write at a time per table, 8 in flight)."""
        if self._bulk is None:
            self._bulk = BulkWriter(
                self._ctx.request, self._ctx.clock, slots=self._slots, request_holds_slot=True
            )
        return self._bulk

    def bulk_writer(
        self, *, concurrency: int | None = None, per_table: int | None = None, **defaults: Any
    ) -> BulkWriter:
        """A writer with its own default options.

        It shares this app's write slots, unless ``concurrency`` or ``per_table`` is
        given: then it gets its own, and does not coordinate with other writers.
        """
        for name, value in (("concurrency", concurrency), ("per_table", per_table)):
            if value is not None and (isinstance(value, bool) or not isinstance(value, int)):
                raise InvalidParameter(f"{name} must be an integer >= 1, got {value!r:.40}")
        slots = self._slots
        if concurrency is not None or per_table is not None:
            slots = WriteSlots(
                self._slots.concurrency if concurrency is None else concurrency,
                1 if per_table is None else per_table,
                shared=self._slots.shared,  # other processes still take turns with it
            )
        return BulkWriter(
            self._ctx.request, self._ctx.clock, slots=slots, request_holds_slot=True, **defaults
        )

    async def bulk_create(
        self, app_token: str, table_id: str, rows: Rows[Mapping[str, Any]], **options: Any
    ) -> BulkReport:
        """Create one record per row, any number of rows; see :class:`BulkOptions`."""
        return await self.bulk.create(app_token, table_id, rows, **options)

    async def bulk_update(
        self, app_token: str, table_id: str, rows: Rows[Any], **options: Any
    ) -> BulkReport:
        """Update records from ``{"record_id", "fields"}`` rows or ``(id, fields)`` pairs."""
        return await self.bulk.update(app_token, table_id, rows, **options)

    async def bulk_upsert(
        self,
        app_token: str,
        table_id: str,
        rows: Rows[Mapping[str, Any]],
        *,
        key: str,
        lookup: Lookup = "scan",
        **options: Any,
    ) -> BulkReport:
        """Create or update by the value of the ``key`` field; see :meth:`BulkWriter.upsert`."""
        return await self.bulk.upsert(app_token, table_id, rows, key=key, lookup=lookup, **options)

    async def bulk_delete(
        self, app_token: str, table_id: str, record_ids: Rows[Any], **options: Any
    ) -> BulkReport:
        """Delete any number of records by id."""
        return await self.bulk.delete(app_token, table_id, record_ids, **options)
