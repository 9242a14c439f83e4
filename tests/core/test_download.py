"""Streaming downloads: to a path via .part, to a file object, errors, retries."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from aiohttp import web

from lark_async.core.errors import InvalidParameter, NotFound
from lark_async.testing import FakeError, FakeRequest
from tests.helpers import client_for, emulator

BLOB = bytes(range(256)) * 4096  # 1 MiB
ROUTE = "/open-apis/emulator/v1/blobs/{key}"


def _install(fake) -> None:  # type: ignore[no-untyped-def]
    @fake.route("GET", ROUTE)
    async def blob(req: FakeRequest) -> web.Response:
        if req.params["key"] != "good":
            raise FakeError(234003, "file not found", status=400)
        return web.Response(
            body=BLOB,
            content_type="application/octet-stream",
            headers={"Content-Disposition": 'attachment; filename="report.bin"'},
        )


async def test_download_to_path_streams_whole_body(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        _install(fake)
        dest = tmp_path / "out.bin"
        url = ROUTE.format(key="good")
        resp = await lark.default_app.download("GET", url, dest, chunk_size=4096)
        info = resp.unwrap()
        assert dest.read_bytes() == BLOB
        assert info.bytes_written == len(BLOB) and info.path == dest
        assert info.filename == "report.bin" and info.content_type == "application/octet-stream"
        assert not (tmp_path / "out.bin.part").exists()


async def test_download_to_file_object(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        _install(fake)
        buf = io.BytesIO()
        resp = await lark.default_app.download("GET", ROUTE.format(key="good"), buf)
        assert resp.ok and buf.getvalue() == BLOB and resp.unwrap().path is None


async def test_download_error_is_typed_and_leaves_no_file(tmp_path: Path) -> None:
    # 234003 is an IM code: the client's code table has every service's codes
    async with emulator() as fake, client_for(fake) as lark:
        _install(fake)
        dest = tmp_path / "missing.bin"
        resp = await lark.default_app.download("GET", ROUTE.format(key="nope"), dest)
        assert isinstance(resp.error, NotFound) and resp.code == 234003
        assert not dest.exists() and not (tmp_path / "missing.bin.part").exists()


async def test_download_retried_after_server_error(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        _install(fake)
        fake.faults.fail(f"GET {ROUTE}", times=1, status=500, code=1500)
        dest = tmp_path / "out.bin"
        resp = await lark.default_app.download("GET", ROUTE.format(key="good"), dest)
        assert resp.ok and resp.attempts == 2 and dest.read_bytes() == BLOB


async def test_download_bad_destination_raises_before_sending(tmp_path: Path) -> None:
    async with emulator() as fake, client_for(fake) as lark:
        with pytest.raises(InvalidParameter):
            await lark.default_app.download("GET", ROUTE.format(key="good"), tmp_path)
        with pytest.raises(InvalidParameter):
            await lark.default_app.download("GET", ROUTE.format(key="good"), tmp_path / "no" / "x")
        assert len(fake.journal) == 0
