"""Scale-out: 4 processes of one app bulk-writing to 4 tables under one quota.

The emulator runs in its own process with the app's Bitable write quota set
low (``--quota``, default 20 requests/s, counted over any one-second stretch:
a sliding window) and each write holding its table for ``--latency`` seconds
(one write at a time per table, else 1254291), so the run is bound by the
quota, not by this machine's CPU. Four client processes (each
its own ``LarkClient`` with ``token_store=postgresql://...``) start together
and each writes ``--calls`` chunks of ``--chunk`` rows spread over the same 4
tables:

1. shared: limits and write slots shared through PostgreSQL (the default for a
   PostgreSQL store). Target: 0 server 429s, 0 write conflicts, accepted
   writes/s >= 0.9 of the quota.
2. local: the same with ``shared_limits=False`` (each process keeps the quota to
   itself): the 429s and conflicts the processes cause each other.
3. overhead: the shared limiter's cost per call with no waiting (quota far
   above the calls), against the local limiter, and the round trip of one lease.

    .venv/bin/python benchmarks/scale.py [--quota 20] [--calls 100] [--processes 4]

Needs PostgreSQL (``LARK_ASYNC_TEST_PG_DSN``, default
postgresql://postgres@127.0.0.1:5432/test); runs in a schema of its own,
dropped at the end.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import time
import uuid
from typing import Any

from common import ROOT, emulator_process

APP_ID, SECRET = "cli_benchscale000001", "bench-secret-scale"
APP_TOKEN = "bascnBenchScale000000001"
TABLES = ["t0", "t1", "t2", "t3"]
STATS = "/open-apis/emulator/v1/bench/scale"
PG = os.environ.get("LARK_ASYNC_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")


# --------------------------------------------------------------------------- emulator side
def emulator_setup(fake: Any, latency: float) -> None:
    """Runs in the emulator process: the base, its 4 tables and a stats route."""
    from lark_async.testing.bitable import BitableEmulator

    bt = BitableEmulator.of(fake)
    bt.create_app(name="Scale", app_token=APP_TOKEN)
    ids = [
        bt.create_table(APP_TOKEN, name=n, fields=[{"field_name": "Key", "type": 1}])
        for n in TABLES
    ]
    bt.set_write_latency(latency)

    @fake.route("GET", STATS, auth=None)
    def stats(req: Any) -> dict[str, Any]:
        fake.journal.clear()
        return {
            "tables": ids,
            "throttled": fake.rate_limited_count("bitable.write"),
            "conflicts": bt.write_conflicts,
            "writes": bt.write_calls,
        }


# --------------------------------------------------------------------------- client process
async def child(
    url: str,
    store: str,
    tables: list[str],
    calls: int,
    chunk: int,
    shared: bool,
    quota: float,
    index: int,
) -> None:
    from lark_async import LarkClient

    async with LarkClient(
        APP_ID,
        SECRET,
        domain=url,
        token_store=store,
        shared_limits=shared,
        rate_limits={"bitable.write": [(quota, 1.0)]},
        log_level="CRITICAL",  # the local run's 429s and conflicts are expected
    ) as lark:
        await lark._tokens.token(APP_ID, "tenant_access_token")
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        per_table = [calls // len(tables) + (i < calls % len(tables)) for i in range(len(tables))]
        start = time.time()
        reports = await asyncio.gather(
            *(
                lark.bitable.bulk_create(
                    APP_TOKEN,
                    table,
                    [{"Key": f"p{index}-{table}-{i}"} for i in range(n * chunk)],
                    chunk_size=chunk,
                    validate=False,
                )
                for table, n in zip(tables, per_table, strict=True)
                if n
            )
        )
        end = time.time()
        print(
            json.dumps(
                {
                    "start": start,
                    "end": end,
                    "calls": sum(r.calls for r in reports),
                    "written": sum(r.written for r in reports),
                    "failed": sum(r.failed_count for r in reports),
                    "leases": getattr(lark._transport.limiter, "leases", None),
                    "dropped": getattr(lark._transport.limiter, "dropped", None),
                }
            ),
            flush=True,
        )


# --------------------------------------------------------------------------- parent
async def stats(url: str) -> dict[str, Any]:
    import aiohttp

    async with aiohttp.ClientSession() as s, s.get(url + STATS) as r:
        data: dict[str, Any] = (await r.json())["data"]
        return data


async def run(
    url: str, store: str, tables: list[str], args: argparse.Namespace, shared: bool
) -> dict[str, Any]:
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    procs = [
        await asyncio.create_subprocess_exec(
            sys.executable,
            __file__,
            "--child",
            url,
            store,
            ",".join(tables),
            str(args.calls),
            str(args.chunk),
            "1" if shared else "0",
            str(args.quota),
            str(i),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            env=env,
        )
        for i in range(args.processes)
    ]
    before = await stats(url)
    try:
        for p in procs:
            assert p.stdout is not None
            assert (await asyncio.wait_for(p.stdout.readline(), 60)).strip() == b"ready"
        for p in procs:
            assert p.stdin is not None
            p.stdin.write(b"go\n")
            await p.stdin.drain()
        out = []
        for p in procs:
            assert p.stdout is not None
            out.append(json.loads(await asyncio.wait_for(p.stdout.readline(), 600)))
    finally:
        for p in procs:
            if p.returncode is None:
                p.kill()
            await p.wait()
    after = await stats(url)
    seconds = max(r["end"] for r in out) - min(r["start"] for r in out)
    writes = after["writes"] - before["writes"]
    return {
        "seconds": seconds,
        "writes": writes,
        "rate": writes / seconds,
        "throttled": after["throttled"] - before["throttled"],
        "conflicts": after["conflicts"] - before["conflicts"],
        "calls": sum(r["calls"] for r in out),
        "written": sum(r["written"] for r in out),
        "failed": sum(r["failed"] for r in out),
        "leases": sum(r["leases"] or 0 for r in out) if shared else None,
        "dropped": sum(r["dropped"] or 0 for r in out) if shared else None,
    }


def show(name: str, r: dict[str, Any], quota: float) -> None:
    leases = (
        f", {r['leases']} leases ({r['leases'] / max(1, r['calls']):.2f}/call),"
        f" {r['dropped']} leased slots unused"
        if r["leases"]
        else ""
    )
    print(
        f"{name:<7} {r['writes']} writes accepted in {r['seconds']:.1f} s = {r['rate']:.1f}/s"
        f" ({r['rate'] / quota:.2f} of the quota); server 429s {r['throttled']},"
        f" write conflicts {r['conflicts']}, requests sent {r['calls']},"
        f" rows written {r['written']}, rows failed {r['failed']}{leases}"
    )


async def overhead(store: str) -> None:
    from lark_async.core.ratelimit import ClientRateLimiter
    from lark_async.shared import Sharing

    n, concurrency = 20_000, 20

    async def timed(limiter: Any) -> float:
        async def worker() -> None:
            for _ in range(n // concurrency):
                await limiter.acquire(APP_ID, "x")

        t = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        return (time.perf_counter() - t) / n * 1e6

    local = ClientRateLimiter({"x": (1e6, 1.0)})
    local_us = await timed(local)
    sharing = Sharing(store, ClientRateLimiter({"x": (1e6, 1.0)}))
    try:
        shared_us = await timed(sharing.limiter)
        leases = sharing.limiter.leases
        one = Sharing(store, ClientRateLimiter({"y": (1e6, 1.0)}))
        one.limiter.lease_seconds = 1e-9  # one slot a lease: every call a round trip
        try:
            await one.limiter.acquire(APP_ID, "y")  # the pool's first connection
            t = time.perf_counter()
            for _ in range(200):
                await one.limiter.acquire(APP_ID, "y")
            trip_ms = (time.perf_counter() - t) / 200 * 1000
        finally:
            await one.aclose()
    finally:
        await sharing.aclose()
    print(
        f"overhead: local limiter {local_us:.1f} us/call; shared limiter {shared_us:.1f} us/call"
        f" ({leases} leases for {n} calls at {concurrency} in flight);"
        f" one lease (a database round trip) {trip_ms:.2f} ms"
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--quota", type=float, default=20.0)
    ap.add_argument("--calls", type=int, default=100, help="write requests per process")
    ap.add_argument("--chunk", type=int, default=10, help="rows per request")
    ap.add_argument("--processes", type=int, default=4)
    ap.add_argument("--latency", type=float, default=0.05)
    args = ap.parse_args()

    import asyncpg  # type: ignore[import-untyped]
    from cryptography.fernet import Fernet

    from lark_async.auth.migrations import upgrade

    os.environ.setdefault("LARK_ASYNC_SECRET_KEY", Fernet.generate_key().decode())
    schema = f"lark_bench_scale_{uuid.uuid4().hex[:8]}"
    await upgrade(PG, schema)
    store = f"{PG}?schema={schema}"
    config = {
        # Counted over any second, not per aligned second: as strict as a server may be.
        "fake": {
            "rate_limits": {"bitable.write": [[int(args.quota), 1.0]]},
            "sliding_rate_limits": True,
        },
        "apps": {APP_ID: SECRET},
        "setup": "scale:emulator_setup",
        "setup_args": {"latency": args.latency},
    }
    try:
        print(
            f"{args.processes} processes x {args.calls} write requests ({args.chunk} rows each) to"
            f" {len(TABLES)} tables; quota {args.quota:g}/s per app; {args.latency:g} s per write"
        )
        async with emulator_process(config) as url:
            tables = (await stats(url))["tables"]
            show("shared", await run(url, store, tables, args, shared=True), args.quota)
            show("local", await run(url, store, tables, args, shared=False), args.quota)
        await overhead(store)
    finally:
        conn = await asyncpg.connect(PG)
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        u, st, tb, c, ch, sh, q, ix = sys.argv[2:]
        asyncio.run(child(u, st, tb.split(","), int(c), int(ch), sh == "1", float(q), int(ix)))
    else:
        asyncio.run(main())
