"""What a failed download leaves behind: no ``.part`` file, never a doubled stream.

The server here breaks the connection after half the body (a declared
``Content-Length`` and then a closed socket), answers a non-JSON error page, or
stalls so the caller can cancel. Each test waits for the condition it needs
(bytes arrived, the ``.part`` file exists) instead of sleeping.
"""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable
from pathlib import Path

import pytest
from aiohttp import web

from lark_async.core.errors import ErrorKind, NetworkError, ServerError
from lark_async.core.wire import Sink
from lark_async.testing import FakeLark, FakeRequest
from tests.helpers import client_for, emulator

BLOB = bytes(range(256)) * 4096  # 1 MiB
HALF = len(BLOB) // 2
ROUTE = "/open-apis/emulator/v1/blobs/{key}"
URL = ROUTE.format(key="b")


async def until(condition: Callable[[], bool], timeout: float = 10.0) -> None:
    """Wait (real time, polling the loop) until ``condition()`` holds."""
    async with asyncio.timeout(timeout):
        while not condition():
            await asyncio.sleep(0.005)


class Breaking:
    """A blob route whose first ``breaks`` answers send half the body and drop the socket.

    A broken answer holds the connection open until ``release`` is set, so a test
    can first see the bytes arrive; later answers send the whole body.
    """

    def __init__(self, fake: FakeLark, breaks: int) -> None:
        self.breaks = breaks
        self.calls = 0
        self.release = asyncio.Event()
        self.release.set()
        fake.route("GET", ROUTE)(self.handle)

    async def handle(self, req: FakeRequest) -> web.StreamResponse:
        self.calls += 1
        if self.calls > self.breaks:
            return web.Response(body=BLOB, content_type="application/octet-stream")
        resp = web.StreamResponse(headers={"Content-Type": "application/octet-stream"})
        resp.content_length = len(BLOB)
        await resp.prepare(req.raw)
        await resp.write(BLOB[:HALF])
        await self.release.wait()
        assert req.raw.transport is not None
        req.raw.transport.abort()  # the rest of the declared body never comes
        return resp


class OneWay(io.RawIOBase):
    """A writable, non-seekable stream (a pipe, a socket, an HTTP response body)."""

    def __init__(self) -> None:
        self.data = bytearray()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def write(self, b: bytes) -> int:  # type: ignore[override]
        self.data += b
        return len(b)


def part_of(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


def part_has_bytes(dest: Path) -> Callable[[], bool]:
    part = part_of(dest)
    return lambda: part.exists() and part.stat().st_size > 0


# -- .part files ---------------------------------------------------------------------


async def test_connection_dropped_mid_body_leaves_no_part_file(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        server = Breaking(fake, breaks=1)
        server.release.clear()
        dest = tmp_path / "out.bin"
        task = asyncio.create_task(
            lark.default_app.download("GET", URL, dest, chunk_size=4096, max_retries=0)
        )
        await until(part_has_bytes(dest))  # the break comes after bytes hit the disk
        server.release.set()
        resp = await task
        assert isinstance(resp.error, NetworkError) and resp.error.retryable
        assert not dest.exists() and not part_of(dest).exists()
        assert list(tmp_path.iterdir()) == []


async def test_every_attempt_dropped_leaves_no_part_file(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        server = Breaking(fake, breaks=3)
        dest = tmp_path / "out.bin"
        resp = await lark.default_app.download("GET", URL, dest, chunk_size=4096, max_retries=2)
        assert server.calls == 3 and resp.attempts == 3
        assert isinstance(resp.error, NetworkError)
        assert list(tmp_path.iterdir()) == []


async def test_dropped_then_complete_gives_exactly_one_body(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        server = Breaking(fake, breaks=1)
        dest = tmp_path / "out.bin"
        resp = await lark.default_app.download("GET", URL, dest, chunk_size=4096)
        assert resp.ok and server.calls == 2
        assert dest.read_bytes() == BLOB and resp.unwrap().bytes_written == len(BLOB)
        assert not part_of(dest).exists()


async def test_non_json_error_page_is_a_typed_error_and_no_file(tmp_path: Path) -> None:
    # A gateway's HTML page is not the file: it must not be streamed to dest.
    async with emulator() as fake, client_for(fake) as lark:
        Breaking(fake, breaks=0)
        fake.faults.fail(f"GET {ROUTE}", times=None, status=502, body="<html>Bad Gateway</html>")
        dest = tmp_path / "out.bin"
        resp = await lark.default_app.download("GET", URL, dest, max_retries=1)
        assert isinstance(resp.error, ServerError) and resp.error.http_status == 502
        assert "Bad Gateway" in resp.error.message and resp.attempts == 2
        assert list(tmp_path.iterdir()) == []


async def test_dropped_then_non_json_error_leaves_no_part_file(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        server = Breaking(fake, breaks=1)
        server.release.clear()
        dest = tmp_path / "out.bin"
        task = asyncio.create_task(
            lark.default_app.download("GET", URL, dest, chunk_size=4096, max_retries=1)
        )
        await until(part_has_bytes(dest))
        fake.faults.fail(f"GET {ROUTE}", times=None, status=503, body="<html>busy</html>")
        server.release.set()  # attempt 1 breaks; attempt 2 gets the error page
        resp = await task
        assert isinstance(resp.error, ServerError) and resp.error.http_status == 503
        assert server.calls == 1 and resp.attempts == 2
        assert list(tmp_path.iterdir()) == []


async def test_cancelled_download_leaves_no_part_file(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        server = Breaking(fake, breaks=1)
        server.release.clear()  # the body stalls half way until the test ends
        dest = tmp_path / "out.bin"
        task = asyncio.create_task(lark.default_app.download("GET", URL, dest, chunk_size=4096))
        await until(part_has_bytes(dest))
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await task
        assert list(tmp_path.iterdir()) == []
        server.release.set()


# -- streams -------------------------------------------------------------------------


async def test_break_into_a_non_seekable_stream_is_refused_not_doubled() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        server = Breaking(fake, breaks=1)  # a retry would get the whole body
        server.release.clear()
        out = OneWay()
        task = asyncio.create_task(lark.default_app.download("GET", URL, out, chunk_size=4096))
        await until(lambda: len(out.data) > 0)
        server.release.set()
        resp = await task
        err = resp.error
        assert isinstance(err, NetworkError) and err.kind is ErrorKind.NETWORK
        assert not err.retryable and "non-seekable" in err.message
        assert err.hint is not None and "seekable" in err.hint
        # What the stream holds is a prefix of one body, never a second copy after it.
        assert 0 < len(out.data) <= HALF and bytes(out.data) == BLOB[: len(out.data)]
        assert server.calls == 1  # refused before asking again


async def test_break_into_a_seekable_stream_restarts_from_where_it_began() -> None:
    async with emulator() as fake, client_for(fake) as lark:
        Breaking(fake, breaks=1)
        buf = io.BytesIO()
        buf.write(b"caller's header")
        resp = await lark.default_app.download("GET", URL, buf, chunk_size=4096)
        assert resp.ok and resp.attempts == 2
        assert buf.getvalue() == b"caller's header" + BLOB


def test_sink_refuses_to_restart_a_non_seekable_stream_it_wrote_to() -> None:
    # The last line of defence should a retry get past the wire's refusal.
    out = OneWay()
    sink = Sink(out, 16)
    sink.begin({})
    sink.abort()
    sink.begin({})  # nothing was written yet: a fresh start is fine
    sink.write(b"half")
    sink.abort()
    assert not sink.restartable
    with pytest.raises(NetworkError, match="non-seekable"):
        sink.begin({})
    assert bytes(out.data) == b"half"
