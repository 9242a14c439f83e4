"""Bitable (Base): records, queries with a typed filter builder, tables, fields, and a
bulk-sync engine that streams any number of rows without losing or doubling one.

    async with LarkClient(app_id, app_secret) as lark:
        rec = (await lark.bitable.create_record(app_token, table_id, {"Name": "Ada"})).unwrap()
        async for r in lark.bitable.query_records(app_token, table_id, F("Count").gt(3)):
            ...
        report = await lark.bitable.bulk_create(app_token, table_id, rows)

See docs/bitable.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark_async.core.lazy import lazy_exports

if TYPE_CHECKING:
    from lark_async.bitable.bulk import BulkWriter as BulkWriter
    from lark_async.bitable.codes import BITABLE_CODES as BITABLE_CODES
    from lark_async.bitable.codes import SPLIT_CODES as SPLIT_CODES
    from lark_async.bitable.filters import Condition as Condition
    from lark_async.bitable.filters import DateValue as DateValue
    from lark_async.bitable.filters import F as F
    from lark_async.bitable.filters import Filter as Filter
    from lark_async.bitable.filters import Op as Op
    from lark_async.bitable.filters import Sort as Sort
    from lark_async.bitable.filters import where as where
    from lark_async.bitable.models import App as App
    from lark_async.bitable.models import BatchGetResult as BatchGetResult
    from lark_async.bitable.models import DeletedBatch as DeletedBatch
    from lark_async.bitable.models import DeletedRecord as DeletedRecord
    from lark_async.bitable.models import FieldType as FieldType
    from lark_async.bitable.models import Record as Record
    from lark_async.bitable.models import RecordBatch as RecordBatch
    from lark_async.bitable.models import RecordPage as RecordPage
    from lark_async.bitable.models import Table as Table
    from lark_async.bitable.models import TableField as TableField
    from lark_async.bitable.models import plain_text as plain_text
    from lark_async.bitable.options import BulkOptions as BulkOptions
    from lark_async.bitable.options import WriteSlots as WriteSlots
    from lark_async.bitable.paging import Page as Page
    from lark_async.bitable.paging import Pages as Pages
    from lark_async.bitable.report import BulkProgress as BulkProgress
    from lark_async.bitable.report import BulkReport as BulkReport
    from lark_async.bitable.report import FailedRow as FailedRow
    from lark_async.bitable.report import UnknownChunk as UnknownChunk
    from lark_async.bitable.rows import normalise_key as normalise_key
    from lark_async.bitable.schema import Schema as Schema
    from lark_async.bitable.schema import to_text as to_text
    from lark_async.bitable.service import Bitable as Bitable

# Loaded on first use, so importing the package (or its meta module) stays cheap.
_LAZY: dict[str, str] = {
    "BulkWriter": "lark_async.bitable.bulk",
    "BITABLE_CODES": "lark_async.bitable.codes",
    "SPLIT_CODES": "lark_async.bitable.codes",
    "Condition": "lark_async.bitable.filters",
    "DateValue": "lark_async.bitable.filters",
    "F": "lark_async.bitable.filters",
    "Filter": "lark_async.bitable.filters",
    "Op": "lark_async.bitable.filters",
    "Sort": "lark_async.bitable.filters",
    "where": "lark_async.bitable.filters",
    "BatchGetResult": "lark_async.bitable.models",
    "DeletedBatch": "lark_async.bitable.models",
    "DeletedRecord": "lark_async.bitable.models",
    "FieldType": "lark_async.bitable.models",
    "Record": "lark_async.bitable.models",
    "RecordBatch": "lark_async.bitable.models",
    "RecordPage": "lark_async.bitable.models",
    "App": "lark_async.bitable.models",
    "Table": "lark_async.bitable.models",
    "TableField": "lark_async.bitable.models",
    "plain_text": "lark_async.bitable.models",
    "BulkOptions": "lark_async.bitable.options",
    "WriteSlots": "lark_async.bitable.options",
    "Page": "lark_async.bitable.paging",
    "Pages": "lark_async.bitable.paging",
    "BulkProgress": "lark_async.bitable.report",
    "BulkReport": "lark_async.bitable.report",
    "FailedRow": "lark_async.bitable.report",
    "UnknownChunk": "lark_async.bitable.report",
    "normalise_key": "lark_async.bitable.rows",
    "Schema": "lark_async.bitable.schema",
    "to_text": "lark_async.bitable.schema",
    "Bitable": "lark_async.bitable.service",
}

__all__ = [
    "BITABLE_CODES",
    "SPLIT_CODES",
    "App",
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

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
