"""Transport overhead: lark-async `client.request` vs a bare aiohttp session.

Same emulator route, same concurrency (50), same run, emulator in its own
process. lark-async logs every call at INFO (JSON to a file), with request ids,
token handling, retries armed and error mapping. The client-side rate limiter
is off here: this measures the pipeline, not Feishu's quotas.

Also: the single-flight figure, token fetches per 10,000 concurrent calls on a
cold client and on an expired token.

    .venv/bin/python benchmarks/transport.py [--calls 5000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from pathlib import Path

import aiohttp
from common import RunResult, emulator_process, run_concurrent

from lark_async import LarkClient
from lark_async.auth.models import TokenKind
from lark_async.core.logging import configure_logging

APP_ID, SECRET = "cli_bench000000001", "bench-secret-0001"
ROUTE = "/open-apis/emulator/v1/echo"
CONCURRENCY = 50


async def bare(url: str, calls: int) -> RunResult:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        async with session.post(
            url + "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": APP_ID, "app_secret": SECRET},
        ) as r:
            token = (await r.json())["tenant_access_token"]
        headers = {"Authorization": f"Bearer {token}"}

        async def one() -> bool:
            async with session.get(url + ROUTE, headers=headers) as resp:
                body = await resp.json()
                return bool(body.get("code") == 0)

        return await run_concurrent("bare aiohttp", calls, CONCURRENCY, one)


async def lark(url: str, calls: int) -> RunResult:
    async with LarkClient(APP_ID, SECRET, domain=url, client_rate_limit=False) as client:
        await client.request("GET", ROUTE)  # warm: token + connection

        async def one() -> bool:
            return (await client.request("GET", ROUTE)).ok

        return await run_concurrent("lark-async", calls, CONCURRENCY, one)


async def single_flight(url: str, calls: int) -> tuple[int, int]:
    async with LarkClient(APP_ID, SECRET, domain=url, client_rate_limit=False) as client:
        results = await asyncio.gather(*(client.request("GET", ROUTE) for _ in range(calls)))
        assert all(r.ok for r in results)
        cold = client.tokens.fetch_count
        # Expire the token in place: every caller now needs a new one at once.
        tok = client.tokens._mem[(APP_ID, TokenKind.TENANT)]
        tok.expires_at = time.time() - 1
        results = await asyncio.gather(*(client.request("GET", ROUTE) for _ in range(calls)))
        assert all(r.ok for r in results)
        return cold, client.tokens.fetch_count - cold


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=5000)
    ap.add_argument("--rounds", type=int, default=3)
    args = ap.parse_args()
    log_path = Path(tempfile.mkdtemp()) / "bench.log"
    with log_path.open("w") as log_file:
        configure_logging("INFO", "json", stream=log_file)
        config = {"apps": {APP_ID: SECRET}, "fake": {"enforce_rate_limits": False}}
        async with emulator_process(config) as url:
            await bare(url, 200)  # warm both paths
            await lark(url, 200)
            bares: list[RunResult] = []
            larks: list[RunResult] = []
            for _ in range(args.rounds):  # interleaved, so drift hits both alike
                bares.append(await bare(url, args.calls))
                larks.append(await lark(url, args.calls))
            cold, expired = await single_flight(url, 10_000)
    best_b = max(bares, key=lambda r: r.rate)
    best_l = max(larks, key=lambda r: r.rate)
    print(
        f"\ntransport: {args.calls} GET {ROUTE} per run, concurrency {CONCURRENCY}, "
        f"{args.rounds} interleaved rounds (best shown), logging INFO as JSON"
    )
    print(f"{'':14}{'calls/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'failures':>10}")
    for r in (best_b, best_l):
        print(f"{r.name:14}{r.rate:10.0f}{r.p50:9.2f}{r.pct(0.99):9.2f}{r.failures:10d}")
    ratio_best = best_l.rate / best_b.rate
    median_l = sorted(r.rate for r in larks)[len(larks) // 2]
    median_b = sorted(r.rate for r in bares)[len(bares) // 2]
    print(f"ratio lark-async / bare aiohttp, best runs: {ratio_best:.2f} (target >= 0.80)")
    print(f"ratio lark-async / bare aiohttp, median runs: {median_l / median_b:.2f}")
    print(
        f"single flight: {cold} token fetch for 10,000 concurrent calls on a cold client; "
        f"{expired} for 10,000 on an expired token"
    )
    print(f"log lines written: {sum(1 for _ in log_path.open())}")


if __name__ == "__main__":
    asyncio.run(main())
