"""Resumable downloads: a broken transfer is continued with ``Range``, not restarted."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web

from lark_async.core.clock import FakeClock
from lark_async.testing import FakeLark, FakeRequest
from tests.helpers import client_for, emulator

BLOB = "/open-apis/emulator/v1/blob"
BODY = bytes(range(256)) * 4096  # 1 MiB


class Blob:
    """Serves BODY, honouring ``Range``; the first ``breaks`` answers stop half-way."""

    def __init__(self, fake: FakeLark, breaks: int, *, honour_range: bool = True) -> None:
        self.breaks = breaks
        self.honour_range = honour_range
        self.ranges: list[str | None] = []
        self.sent = 0
        fake.route("GET", BLOB)(self.handle)

    async def handle(self, req: FakeRequest) -> web.StreamResponse:
        wanted = req.raw.headers.get("Range")
        self.ranges.append(wanted)
        start = 0
        headers = {"Content-Type": "application/octet-stream"}
        status = 200
        if wanted and self.honour_range:
            start = int(wanted.removeprefix("bytes=").rstrip("-"))
            status = 206
            headers["Content-Range"] = f"bytes {start}-{len(BODY) - 1}/{len(BODY)}"
        rest = BODY[start:]
        resp = web.StreamResponse(status=status, headers=headers)
        resp.content_length = len(rest)
        await resp.prepare(req.raw)
        if self.breaks:
            self.breaks -= 1
            half = rest[: len(rest) // 2]
            await resp.write(half)
            self.sent += len(half)
            assert req.raw.transport is not None
            req.raw.transport.abort()
            return resp
        await resp.write(rest)
        self.sent += len(rest)
        await resp.write_eof()
        return resp


async def test_broken_transfers_resume_where_they_stopped(tmp_path: Path) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        blob = Blob(fake, breaks=2)
        dest = tmp_path / "file.bin"
        resp = await lark.download("GET", BLOB, dest, resume=True)
        assert resp.ok, resp.error
        assert dest.read_bytes() == BODY
        half, quarter = len(BODY) // 2, len(BODY) // 4
        assert blob.ranges == [None, f"bytes={half}-", f"bytes={half + quarter}-"]
        assert blob.sent == len(BODY)  # nothing was sent twice
        assert not (tmp_path / "file.bin.part").exists()


async def test_a_server_ignoring_range_sends_it_whole_again(tmp_path: Path) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        blob = Blob(fake, breaks=1, honour_range=False)
        dest = tmp_path / "file.bin"
        resp = await lark.download("GET", BLOB, dest, resume=True)
        assert resp.ok and dest.read_bytes() == BODY
        assert blob.ranges[1] == f"bytes={len(BODY) // 2}-"  # asked, got 200: restarted


async def test_without_resume_each_attempt_starts_over(tmp_path: Path) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        blob = Blob(fake, breaks=1)
        dest = tmp_path / "file.bin"
        resp = await lark.download("GET", BLOB, dest)
        assert resp.ok and dest.read_bytes() == BODY
        assert blob.ranges == [None, None]


async def test_a_resumable_download_that_fails_leaves_no_part(tmp_path: Path) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake, client_for(fake, clock, max_retries=1) as lark:
        Blob(fake, breaks=5)
        dest = tmp_path / "file.bin"
        resp = await lark.download("GET", BLOB, dest, resume=True)
        assert not resp.ok
        assert not dest.exists() and not (tmp_path / "file.bin.part").exists()
