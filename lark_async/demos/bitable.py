"""The Bitable part of ``make demo``: import 10,000 rows with a progress bar, read them back.

Runs against the emulator the caller started (``fake``) with a client pointed at
it (``lark``). One answer is lost on purpose, after the server wrote the chunk,
to show that the retry reuses the chunk's client_token and nothing is doubled.
"""

from __future__ import annotations

import random
from collections.abc import Iterator
from typing import Any

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from lark_async.bitable.filters import F
from lark_async.bitable.report import BulkProgress
from lark_async.testing import BitableEmulator

ROWS = 10_000
REGIONS = ("North", "South", "East", "West")
BATCH_CREATE = "POST /open-apis/bitable/v1/apps/{app_token}/tables/{table_id}/records/batch_create"


def _orders(n: int) -> Iterator[dict[str, Any]]:
    rng = random.Random(2024)
    for i in range(n):
        yield {
            "Order": f"SO-{i:05d}",
            "Customer": f"customer-{rng.randrange(500):03d}",
            "Amount": round(rng.uniform(10, 1000), 2),
            "Paid": rng.random() < 0.7,
            "Region": rng.choice(REGIONS),
        }


async def demo(fake: Any, lark: Any, console: Console) -> dict[str, str]:
    """Import, query, summarise. ``fake`` is a running FakeLark, ``lark`` a client for it."""
    # The emulator's test-facing API creates the base; a real base already exists.
    summary: dict[str, str] = {}
    bt = BitableEmulator.of(fake)
    app_token = bt.create_app(name="Demo base")
    table_id = bt.create_table(
        app_token,
        name="Orders",
        fields=[
            {"field_name": "Order", "type": 1},
            {"field_name": "Customer", "type": 1},
            {"field_name": "Amount", "type": 2},
            {"field_name": "Paid", "type": 7},
            {"field_name": "Region", "type": 3},
        ],
    )
    console.rule("[bold]Bitable: bulk import of 10,000 rows")
    lost = fake.faults.drop(BATCH_CREATE, after_processing=True)  # written, answer lost
    bitable = lark.bitable
    with Progress(
        TextColumn("[bold]{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("import Orders", total=ROWS)

        def on_progress(p: BulkProgress) -> None:
            progress.update(task, completed=p.rows_written + p.rows_failed)

        report = await bitable.bulk_create(
            app_token, table_id, _orders(ROWS), on_progress=on_progress
        )
    console.print(report.summary())
    stored = len(bt.records(app_token, table_id))
    console.print(
        f"lost answers: {lost.hits}; retried with the same client_token; "
        f"records in the table: {stored} (no duplicates)"
    )
    retries = "1 retry" if report.retries == 1 else f"{report.retries} retries"
    summary["bulk import"] = (
        f"{report.written} rows in {report.calls} calls, {retries}, "
        f"{report.failed_count} failed, {stored} stored"
    )

    console.rule("[bold]Bitable: query them back")
    flt = F("Region").is_("North") & F("Paid").is_(True) & F("Amount").gt(900)
    pages = bitable.query_records(app_token, table_id, flt, sort=["-Amount"])
    matched = 0
    top = Table("Order", "Customer", "Amount", title="North, paid, over 900 (top 5)")
    async for record in pages:
        matched += 1
        if matched <= 5:
            top.add_row(
                str(record.text("Order")),
                str(record.text("Customer")),
                f"{record.fields.get('Amount')}",
            )
    console.print(top)
    total = 0
    async for page in bitable.query_records(app_token, table_id).by_page():
        total += len(page.items)
    console.print(f"{matched} matching records; {total} records read back page by page")
    summary["query"] = f"{matched} matched the filter; {total} read back in pages of 500"
    return summary
