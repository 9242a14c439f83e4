"""aPaaS (SC-013): 50 concurrent callers querying a workspace table, p50/p95/p99.

The emulator runs in a process of its own (``python -m lark_async.testing``),
so the client's measurements do not share a core or a loop with the server. It
holds a table of 1,000 records and plays the user who authorises the app (a
bench-only route approves the authorisation page). 50 callers each run
``query_table_records`` (two conditions, a sort, a page of 50) in a loop for
``--seconds`` (60 by default), twice:

1. the emulator's limit raised to 50/s and the client's budget with it;
2. the documented 10/s on both sides: the client queues calls instead of
   failing (no call should end in RateLimited).

SC-013's goal is p95 < 2 s with the limit at 50/s; under 10/s with 50 callers
the queue makes each call wait ~5 s, which the second run shows.

    .venv/bin/python benchmarks/apaas.py [--seconds 60] [--callers 50]
"""

from __future__ import annotations

import argparse
import asyncio
import time
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from common import emulator_process

from lark_async import LarkClient
from lark_async.apaas import SCOPES
from lark_async.core.errors import RateLimited
from lark_async.core.ratelimit import Limit

APP_ID, SECRET = "cli_bench000000016", "bench-secret-0016"
WS = "workspace_bench0001"
APPROVE = "/open-apis/bench/approve"


def emulator_setup(fake: Any, records: int) -> None:
    """Runs in the emulator process: the table, the user, and a route approving for her."""
    from lark_async.testing import ApaasEmulator, ImEmulator

    user = ImEmulator.of(fake).add_user(name="Bench")["open_id"]
    apaas = ApaasEmulator.of(fake)
    apaas.add_table(WS, "orders", columns=["item", "qty"])
    for i in range(records):
        apaas.add_record(WS, "orders", {"item": f"item {i}", "qty": i % 97})

    @fake.route("GET", APPROVE, auth=None)
    def approve(req: Any) -> dict[str, Any]:
        return {"redirect": fake.oauth.approve(req.query["url"], user), "open_id": user}


async def run(rate: int, seconds: float, callers: int) -> tuple[list[float], int, int, float]:
    latencies: list[float] = []
    failures = limited = 0
    config: dict[str, object] = {
        "apps": {APP_ID: SECRET},
        "fake": {"rate_limits": {"apaas": [[rate, 1.0]]}},
        "setup": "apaas:emulator_setup",
        "setup_args": {"records": 1000},
    }
    async with (
        emulator_process(config) as url,
        LarkClient(APP_ID, SECRET, domain=url, rate_limits={"apaas": (Limit(rate),)}) as lark,
    ):
        session = await lark.user_auth.start_session(
            method="link", redirect_uri="https://bench.example/oauth", scopes=SCOPES
        )
        page = (await lark.request("GET", APPROVE, params={"url": session.url})).unwrap()
        query = dict(parse_qsl(urlsplit(page["redirect"]).query))
        await lark.user_auth.complete(query["code"], query["state"])
        user = page["open_id"]
        started = time.perf_counter()
        deadline = started + seconds

        async def caller() -> None:
            nonlocal failures, limited
            while time.perf_counter() < deadline:
                t = time.perf_counter()
                resp = await lark.apaas.query_table_records(
                    WS,
                    "orders",
                    {"qty": ("gte", 50), "item": ("neq", "item 0")},
                    order="qty.desc",
                    page_size=50,
                    as_user=user,
                )
                latencies.append(time.perf_counter() - t)
                failures += not resp.ok
                limited += isinstance(resp.error, RateLimited)

        await asyncio.gather(*(caller() for _ in range(callers)))
        # Calls in flight at the deadline still finish: the rate is over the whole time.
        elapsed = time.perf_counter() - started
    return latencies, failures, limited, elapsed


def pct(data: list[float], p: float) -> float:
    s = sorted(data)
    return s[min(len(s) - 1, int(len(s) * p))] * 1000 if s else float("nan")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=60.0, help="length of each run")
    ap.add_argument("--callers", type=int, default=50)
    args = ap.parse_args()
    print(
        f"apaas: {args.callers} callers, query_table_records for {args.seconds:g} s each run, "
        "emulator in its own process"
    )
    print(
        f"{'limit':>8}{'calls':>8}{'calls/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'failed':>8}{'429s':>6}"
    )
    results = {}
    for rate in (50, 10):
        lat, failed, limited, elapsed = await run(rate, args.seconds, args.callers)
        results[rate] = pct(lat, 0.95)
        print(
            f"{rate:>6}/s{len(lat):8d}{len(lat) / elapsed:9.1f}{pct(lat, 0.5):9.0f}"
            f"{pct(lat, 0.95):9.0f}{pct(lat, 0.99):9.0f}{failed:8d}{limited:6d}"
        )
    print(f"SC-013 (p95 < 2 s at 50/s): {'met' if results[50] < 2000 else 'NOT met'}")


if __name__ == "__main__":
    asyncio.run(main())
