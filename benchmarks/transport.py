"""Transport overhead: lark-async `client.request` vs a bare aiohttp session, paired.

One process, the emulator in another. Blocks of N calls alternate between the
two sides (lark, bare, bare, lark, ...), so machine drift hits both alike; each
pair gives a throughput ratio and a client-CPU-per-call ratio, and the medians
of those are reported. Both sides use the same JSON library (orjson when
installed). Run twice: logging off (the library's default) and INFO as JSON
lines to a file. The client-side rate limiter is off: this measures the
pipeline, not Feishu's quotas.

Also: the worst event-loop stall during a fresh process's first call (a ticker
task measures the longest gap while the first call runs), and single flight
(token fetches for 10,000 concurrent calls, cold and on an expired token).

    .venv/bin/python benchmarks/transport.py [--calls 2000] [--pairs 6]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import tempfile
import textwrap
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiohttp
from common import emulator_process

from lark_async import LarkClient
from lark_async.auth.models import TokenKind
from lark_async.core.logging import configure_logging

try:
    import orjson

    dumps: Callable[[object], str] = lambda o: orjson.dumps(o).decode()  # noqa: E731
    loads: Callable[[bytes], object] = orjson.loads
    JSON = "orjson"
except ImportError:  # pragma: no cover
    dumps, loads, JSON = json.dumps, json.loads, "json"

APP_ID, SECRET = "cli_bench000000001", "bench-secret-0001"
ROUTE = "/open-apis/emulator/v1/echo"
CONCURRENCY = 50


async def _block(calls: int, one: Callable[[], Awaitable[bool]]) -> tuple[float, float, int]:
    """(wall seconds, client CPU seconds, failures) for ``calls`` calls at CONCURRENCY."""
    remaining = calls
    failures = 0

    async def worker() -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            failures += not await one()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - wall, time.process_time() - cpu, failures


class Bare:
    """What a hand-written aiohttp client does: one session, a token, GET and parse."""

    def __init__(self, url: str) -> None:
        self.url = url
        self.session: aiohttp.ClientSession | None = None
        self.headers: dict[str, str] = {}

    async def __aenter__(self) -> Bare:
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=100), json_serialize=dumps
        )
        async with self.session.post(
            self.url + "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": APP_ID, "app_secret": SECRET},
        ) as r:
            body = loads(await r.read())
        assert isinstance(body, dict)
        self.headers = {"Authorization": f"Bearer {body['tenant_access_token']}"}
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self.session is not None
        await self.session.close()

    async def one(self) -> bool:
        assert self.session is not None
        async with self.session.get(self.url + ROUTE, headers=self.headers) as resp:
            body = loads(await resp.read())
            return isinstance(body, dict) and body.get("code") == 0


async def paired(url: str, calls: int, pairs: int) -> dict[str, list[float]]:
    out: dict[str, list[float]] = {"rate": [], "cpu": [], "lark_rate": [], "bare_rate": []}
    out |= {"lark_cpu_us": [], "bare_cpu_us": [], "failures": []}
    async with (
        LarkClient(APP_ID, SECRET, domain=url, client_rate_limit=False) as lark,
        Bare(url) as bare,
    ):

        async def lark_one() -> bool:
            return (await lark.request("GET", ROUTE)).ok

        await _block(500, lark_one)  # warm: token, connections
        await _block(500, bare.one)
        for i in range(pairs):
            order = [("lark", lark_one), ("bare", bare.one)]
            if i % 2:
                order.reverse()
            res = {name: await _block(calls, fn) for name, fn in order}
            (lw, lc, lf), (bw, bc, bf) = res["lark"], res["bare"]
            out["rate"].append(bw / lw)  # throughput ratio = inverse wall ratio
            out["cpu"].append(lc / bc)
            out["lark_rate"].append(calls / lw)
            out["bare_rate"].append(calls / bw)
            out["lark_cpu_us"].append(lc / calls * 1e6)
            out["bare_cpu_us"].append(bc / calls * 1e6)
            out["failures"].append(lf + bf)
    return out


STALL = textwrap.dedent(
    """
    import asyncio, json, sys, time
    from lark_async import LarkClient

    async def main(url):
        lark = LarkClient(sys.argv[2], sys.argv[3], domain=url)
        gaps, stop = [], asyncio.Event()

        async def ticker():
            last = time.perf_counter()
            while not stop.is_set():
                await asyncio.sleep(0.001)
                now = time.perf_counter()
                gaps.append(now - last)
                last = now

        tick = asyncio.create_task(ticker())
        await asyncio.sleep(0.01)
        t = time.perf_counter()
        svc = lark.messaging
        resp = await svc.send_text_message("oc_" + "a" * 32, "first")
        first = await lark.request("GET", "/open-apis/emulator/v1/echo")
        took = time.perf_counter() - t
        stop.set()
        await tick
        await lark.aclose()
        print(json.dumps({"stall_ms": max(gaps) * 1000, "first_call_ms": took * 1000,
                          "ok": first.ok}))

    asyncio.run(main(sys.argv[1]))
    """
)


def first_call_stall(url: str) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-c", STALL, url, APP_ID, SECRET],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, float] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


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


def _report(title: str, r: dict[str, list[float]], target_rate: float, target_cpu: float) -> None:
    med = statistics.median
    print(f"\n{title}")
    print(f"  {'':12}{'calls/s':>10}{'CPU us/call':>14}")
    print(f"  {'bare aiohttp':12}{med(r['bare_rate']):10.0f}{med(r['bare_cpu_us']):14.1f}")
    print(f"  {'lark-async':12}{med(r['lark_rate']):10.0f}{med(r['lark_cpu_us']):14.1f}")
    rate, cpu = med(r["rate"]), med(r["cpu"])
    print(
        f"  throughput ratio lark/bare (median of {len(r['rate'])} pairs): {rate:.2f} "
        f"(target >= {target_rate:.2f}); per pair: " + " ".join(f"{x:.2f}" for x in r["rate"])
    )
    print(
        f"  client CPU per call lark/bare: {cpu:.2f}x (target <= {target_cpu:.2f}x); "
        "per pair: " + " ".join(f"{x:.2f}" for x in r["cpu"])
    )
    print(f"  failures: {int(sum(r['failures']))}")


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--calls", type=int, default=2000)
    ap.add_argument("--pairs", type=int, default=6)
    args = ap.parse_args()
    config = {"apps": {APP_ID: SECRET}, "fake": {"enforce_rate_limits": False}}
    async with emulator_process(config) as url:
        stall = await asyncio.to_thread(first_call_stall, url)
        off = await paired(url, args.calls, args.pairs)
        log_path = Path(tempfile.mkdtemp()) / "bench.log"
        with log_path.open("w") as log_file:
            configure_logging("INFO", "json", stream=log_file)
            info = await paired(url, args.calls, args.pairs)
            cold, expired = await single_flight(url, 10_000)
        lines = sum(1 for _ in log_path.open())
    print(
        f"\ntransport: GET {ROUTE}, {args.calls} calls per block, concurrency {CONCURRENCY}, "
        f"{args.pairs} alternating pairs per mode, JSON: {JSON} on both sides, "
        "emulator in another process"
    )
    _report("logging off (the library's default)", off, 0.95, 1.15)
    _report(f"INFO as JSON lines to a file ({lines} lines written)", info, 0.90, 1.30)
    print(
        f"\nfirst call in a fresh process (send_text_message + request): worst loop stall "
        f"{stall['stall_ms']:.1f} ms (goal < 50 ms), took {stall['first_call_ms']:.0f} ms"
    )
    print(
        f"single flight: {cold} token fetch for 10,000 concurrent calls on a cold client; "
        f"{expired} for 10,000 on an expired token"
    )


if __name__ == "__main__":
    asyncio.run(main())
