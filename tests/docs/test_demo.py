"""The docs demo runs end to end against the emulator."""

from __future__ import annotations

import io

from rich.console import Console

from lark_async.core.clock import FakeClock
from lark_async.demos.docs import BLOCKS, demo
from lark_async.testing import DocsEmulator
from tests.helpers import client_for, emulator


async def test_demo_builds_and_shares_a_document() -> None:
    clock = FakeClock()
    out = io.StringIO()
    async with emulator(clock) as fake, client_for(fake, clock) as lark:
        summary = await demo(fake, lark, Console(file=out, width=120))
        docs = DocsEmulator.of(fake)
        (doc_id,) = docs.state.documents
        top = docs.blocks(doc_id)[0]["children"]
        assert len(top) == BLOCKS + 2  # and the image and the file's view block
        assert docs.state.multipart_uploads == 1
        assert [m["member_id"] for m in docs.members(doc_id)] == ["editors@example.com"]
        assert fake.handler_errors == []
    assert "read back in order: True" in summary["docs: append"]
    assert "download identical: True" in summary["docs: media"]
