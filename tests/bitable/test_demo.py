"""The Bitable part of `make demo` runs end to end and tells the truth."""

from __future__ import annotations

import io

from rich.console import Console

from lark_async.demos.bitable import ROWS, demo
from tests.bitable.conftest import Env


async def test_demo_imports_ten_thousand_rows_once_and_queries_them(env: Env) -> None:
    out = io.StringIO()
    summary = await demo(env.fake, env.lark, Console(file=out, width=120))
    assert set(summary) == {"bulk import", "query"}
    assert f"{ROWS} rows" in summary["bulk import"] and "0 failed" in summary["bulk import"]
    text = out.getvalue()
    assert "lost answers: 1" in text and f"records in the table: {ROWS}" in text
    assert f"{ROWS} records read back" in text
