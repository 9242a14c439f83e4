"""Docs: blocks appended per second against the emulator's per-app limit.

Feishu allows 3 block-write calls per second per app (and 3 edits per second
per document), at most 50 blocks per call: a ceiling of 150 blocks/s. The
emulator runs in its own process and enforces those limits (a call over the
app limit answers HTTP 400 + 99991400, over the document limit HTTP 429).
``lark.docs.append_content`` appends N blocks with the client's limiter on;
the script reports blocks/s as a fraction of the 150/s ceiling and how many
requests the emulator throttled (ideally none: the client paces itself).

    .venv/bin/python benchmarks/docs.py [--blocks 3000] [--documents 1]

With ``--documents 2`` the same number of blocks is split over two documents
appended concurrently: the app limit (3 calls/s) is then the only bound.

Measured (2 cores, emulator in its own process): 3,000 blocks in 60 calls,
143 blocks/s = 95% of the ceiling with one document, 144 blocks/s = 96% over
two; the emulator throttled nothing (0 x 400/99991400, 0 x 429).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import time
from typing import Any

import aiohttp
from common import emulator_process

from lark_async import LarkClient
from lark_async.docs import Bullet, Code, Heading, Text, bold

APP_ID = "cli_bench_docs_0001"
SECRET = "bench-docs-secret"
CALLS_PER_SECOND = 3
BLOCKS_PER_CALL = 50
CEILING = CALLS_PER_SECOND * BLOCKS_PER_CALL


def blocks(n: int) -> list[Any]:
    kinds = [
        lambda i: Heading(2, f"section {i}"),
        lambda i: Text(f"paragraph {i} ", bold("bold")),
        lambda i: Bullet(f"item {i}"),
        lambda i: Code(f"x = {i}", language="Python"),
    ]
    return [kinds[i % 4](i) for i in range(n)]


STATS = "/open-apis/emulator/v1/bench/docs"


def emulator_setup(fake: Any) -> None:
    """Runs in the emulator process: a stats route (throttled requests, block writes)."""
    from lark_async.testing.docs import DocsEmulator

    docs = DocsEmulator.of(fake)

    @fake.route("GET", STATS, auth=None)
    def stats(req: Any) -> dict[str, Any]:
        entries = fake.journal.entries
        return {
            "throttled_app_400": sum(1 for e in entries if e.status == 400 and e.code == 99991400),
            "throttled_document_429": sum(1 for e in entries if e.status == 429),
            "block_writes": docs.block_writes,
            "requests": len(entries),
        }


async def emulator_stats(url: str) -> dict[str, Any]:
    async with aiohttp.ClientSession() as session, session.get(url + STATS) as resp:
        body = await resp.json()
    return dict(body["data"])


async def run(url: str, total: int, documents: int) -> tuple[float, int, int]:
    async with LarkClient(APP_ID, SECRET, domain=url) as lark:
        ids = [
            (await lark.docs.create_document(f"bench {d}")).unwrap().document_id
            for d in range(documents)
        ]
        await asyncio.sleep(1.1)  # leave the creation's window
        share = total // documents
        start = time.perf_counter()
        results = await asyncio.gather(
            *(lark.docs.append_content(doc, blocks(share)) for doc in ids)
        )
        seconds = time.perf_counter() - start
        created = sum(r.unwrap().created for r in results)
        calls = sum(r.unwrap().calls for r in results)
        return seconds, created, calls


async def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--blocks", type=int, default=3000)
    parser.add_argument("--documents", type=int, default=1)
    args = parser.parse_args()
    config: dict[str, object] = {"apps": {APP_ID: SECRET}, "setup": "docs:emulator_setup"}
    async with emulator_process(config) as url:
        seconds, created, calls = await run(url, args.blocks, args.documents)
        stats = await emulator_stats(url)
    rate = created / seconds
    print(
        f"docs append: {created} blocks in {calls} calls over {args.documents} document(s), "
        f"{seconds:.2f} s"
    )
    print(
        f"{rate:.1f} blocks/s = {rate / CEILING:.0%} of the ceiling "
        f"({CALLS_PER_SECOND} calls/s x {BLOCKS_PER_CALL} blocks = {CEILING}/s)"
    )
    print("emulator:", json.dumps(stats))


if __name__ == "__main__":
    asyncio.run(main())
