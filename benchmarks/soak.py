"""Soak (SC-006): 100 calls/s sustained with 1% injected faults, emulator in another process.

Faults on every route, drawn at random per request (seeded): 0.4% HTTP 500 /
code 1500, 0.3% dropped connections (half before, half after the handler ran),
0.3% 429 with a 1 s reset. No blackholes. Calls are reads (GET) and keyed
writes (POST with an idempotency key), 80/20, opened at a steady rate, each
with its own latency. Prints p50/p99/p99.9 (target p99.9 < 2 s), failures by
kind, retries, and the client's RSS at start and end.

    .venv/bin/python benchmarks/soak.py [--minutes 10] [--rate 100]
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import resource
import time
import uuid
from typing import Any

from common import emulator_process

from lark_async import LarkClient

APP_ID, SECRET = "cli_soak0000000001", "soak-secret-0001"
ECHO = "/open-apis/emulator/v1/echo"
ITEMS = "/open-apis/emulator/v1/items"


def emulator_setup(fake: Any, fault_rate: float) -> None:
    """Runs in the emulator process: chaos rules on the routes the soak calls."""
    share = fault_rate / 10
    for spec in (f"GET {ECHO}", f"POST {ITEMS}"):
        fake.faults.fail(spec, times=None, status=500, code=1500, probability=4 * share)
        fake.faults.drop(spec, times=None, probability=1.5 * share)
        fake.faults.drop(spec, times=None, after_processing=True, probability=1.5 * share)
        fake.faults.rate_limit(spec, times=None, reset=1, probability=3 * share)


def rss_mb() -> float:
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--minutes", type=float, default=10.0)
    ap.add_argument("--rate", type=float, default=100.0, help="calls per second")
    ap.add_argument("--faults", type=float, default=0.01, help="share of requests faulted")
    args = ap.parse_args()
    config = {
        "apps": {APP_ID: SECRET},
        "fake": {"enforce_rate_limits": False},
        "setup": "soak:emulator_setup",
        "setup_args": {"fault_rate": args.faults},
    }
    latencies: list[float] = []
    kinds: collections.Counter[str] = collections.Counter()
    attempts = 0
    total = int(args.minutes * 60 * args.rate)
    async with (
        emulator_process(config) as url,
        LarkClient(APP_ID, SECRET, domain=url, client_rate_limit=False) as lark,
    ):
        assert (await lark.request("GET", ECHO)).ok
        rss_start = rss_mb()

        async def one(i: int) -> None:
            nonlocal attempts
            t = time.perf_counter()
            if i % 5 == 0:
                key = uuid.uuid4().hex
                resp = await lark.request(
                    "POST", ITEMS, json={"name": f"n{i}", "key": key}, idempotency_key=key
                )
            else:
                resp = await lark.request("GET", ECHO, params={"i": i})
            latencies.append(time.perf_counter() - t)
            attempts += resp.attempts
            kinds["ok" if resp.ok else type(resp.error).__name__] += 1

        tasks: set[asyncio.Task[None]] = set()
        start = time.perf_counter()
        for i in range(total):  # open calls at a steady rate, whatever their latency
            delay = start + i / args.rate - time.perf_counter()
            if delay > 0:
                await asyncio.sleep(delay)
            task = asyncio.create_task(one(i))
            tasks.add(task)
            task.add_done_callback(tasks.discard)
        await asyncio.gather(*tasks)
        took = time.perf_counter() - start
        rss_end = rss_mb()
    lat = sorted(latencies)

    def pct(p: float) -> float:
        return lat[min(len(lat) - 1, int(len(lat) * p))] * 1000

    print(
        f"\nsoak: {total} calls in {took:.0f} s ({total / took:.1f}/s, target {args.rate:.0f}/s), "
        f"{args.faults:.1%} of requests faulted (500s, dropped connections, 429 with 1 s reset)"
    )
    print(
        f"latency ms: p50 {pct(0.5):.1f}  p99 {pct(0.99):.1f}  p99.9 {pct(0.999):.1f} "
        f"(target p99.9 < 2000)  max {lat[-1] * 1000:.1f}"
    )
    print("outcomes: " + ", ".join(f"{k} {v}" for k, v in kinds.most_common()))
    print(f"attempts per call: {attempts / total:.3f}")
    print(f"client RSS: {rss_start:.0f} MB at start, {rss_end:.0f} MB at end")


if __name__ == "__main__":
    asyncio.run(main())
