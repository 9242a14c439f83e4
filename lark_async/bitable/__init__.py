"""Bitable (Base): records, queries with a typed filter builder, tables, fields, and a
bulk-sync engine that streams any number of rows without losing or doubling one.

    async with LarkClient(app_id, app_secret) as lark:
        rec = (await lark.bitable.create_record(app_token, table_id, {"Name": "Ada"})).unwrap()
        async for r in lark.bitable.query_records(app_token, table_id, F("Count").gt(3)):
            ...
        report = await lark.bitable.bulk_create(app_token, table_id, rows)

See docs/bitable.md.
"""

from lark_async.bitable.bulk import BulkWriter
from lark_async.bitable.codes import BITABLE_CODES, SPLIT_CODES
from lark_async.bitable.filters import Condition, DateValue, F, Filter, Op, Sort, where
from lark_async.bitable.models import (
    BatchGetResult,
    DeletedBatch,
    DeletedRecord,
    FieldType,
    Record,
    RecordBatch,
    RecordPage,
    Table,
    TableField,
    plain_text,
)
from lark_async.bitable.options import BulkOptions, WriteSlots
from lark_async.bitable.paging import Page, Pages
from lark_async.bitable.report import BulkProgress, BulkReport, FailedRow, UnknownChunk
from lark_async.bitable.rows import normalise_key
from lark_async.bitable.schema import Schema, to_text
from lark_async.bitable.service import Bitable

__all__ = [
    "BITABLE_CODES",
    "SPLIT_CODES",
    "BatchGetResult",
    "Bitable",
    "BulkOptions",
    "BulkProgress",
    "BulkReport",
    "BulkWriter",
    "Condition",
    "DateValue",
    "DeletedBatch",
    "DeletedRecord",
    "F",
    "FailedRow",
    "FieldType",
    "Filter",
    "Op",
    "Page",
    "Pages",
    "Record",
    "RecordBatch",
    "RecordPage",
    "Schema",
    "Sort",
    "Table",
    "TableField",
    "UnknownChunk",
    "WriteSlots",
    "normalise_key",
    "plain_text",
    "to_text",
    "where",
]
