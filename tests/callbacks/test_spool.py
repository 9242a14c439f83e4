"""The SQLite spool: durable across restarts, upserts by event id, clear failures."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from lark_async.callbacks import CallbackEvent, CardUpdate, Envelope, SqliteSpool
from lark_async.callbacks.spool import SpoolUnavailable
from lark_async.core.errors import InvalidParameter

from .conftest import APP, card


def envelope(n: int) -> Envelope:
    return Envelope(
        CallbackEvent(
            event_id=f"ev-{n}",
            app_id=APP,
            kind="event",
            event_type="im.message.receive_v1",
            received_at=1.0,
            verified_by="signature",
            payload={"event": {"n": n}},
        )
    )


async def test_put_pending_remove_and_reopen(tmp_path: Path) -> None:
    path = tmp_path / "sub" / "spool.sqlite3"
    async with SqliteSpool(path) as spool:
        for n in range(3):
            await spool.put(envelope(n))
        # same event id again: replaced in place, not duplicated
        await spool.put(envelope(1).failed("x", pending=CardUpdate(card("y"))), dead_reason="why")
        assert await spool.count() == 3
        await spool.remove("ev-0")
    async with SqliteSpool(path) as again:  # a restart: still there, oldest first
        items = await again.pending()
        assert [i.envelope.event_id for i in items] == ["ev-1", "ev-2"]
        assert items[0].dead_reason == "why" and items[0].envelope.attempt == 1
        assert items[0].envelope.pending == CardUpdate(card("y"))
        assert [i.envelope.event_id for i in await again.pending(limit=1)] == ["ev-1"]
        with pytest.raises(InvalidParameter):
            await again.pending(limit=0)


async def test_failures_are_spool_unavailable(tmp_path: Path) -> None:
    spool = SqliteSpool(tmp_path / "spool.sqlite3")
    with pytest.raises(SpoolUnavailable, match="not open"):
        await spool.put(envelope(1))
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    with pytest.raises(SpoolUnavailable, match="cannot open"):
        await SqliteSpool(blocker / "spool.sqlite3").open()


async def test_a_corrupt_row_is_reported_and_kept(tmp_path: Path, log_lines: list[str]) -> None:
    path = tmp_path / "spool.sqlite3"
    async with SqliteSpool(path) as spool:
        await spool.put(envelope(1))
    with sqlite3.connect(path) as db:
        db.execute("INSERT INTO spool (event_id, envelope, spooled_at) VALUES ('bad', x'00ff', 0)")
    async with SqliteSpool(path) as spool:
        assert [i.envelope.event_id for i in await spool.pending()] == ["ev-1"]
        assert await spool.count() == 2  # never deleted behind an operator's back
    assert any("lark.callback.spool_corrupt" in line for line in log_lines)
    assert repr(SqliteSpool(path)).startswith("SqliteSpool(")
