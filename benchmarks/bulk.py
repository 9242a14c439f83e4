"""Bitable bulk sync: lark-async's engine against Feishu's documented limits, and the seed's way.

The emulator runs in its own process and enforces what CONTRACT §9/§14 documents:
50 record writes/s per app (429 past it) and one write at a time per table (a second
concurrent write to a table is refused with 1254291), each write holding its table
for a per-call latency ``L`` (default 1.0 s, about what a 1,000-row batch_create
takes on Feishu; ``--latency 0.5`` runs twice as fast). The most any client can do
is ``min(50/s, tables / L)`` calls/s x 1,000 rows: the "nominal" maximum. The
emulator's own Python work per call (parsing and storing 1,000 rows, ~20-30 ms,
measured as its CPU time per write) adds to what a call costs, so "max" also
counts it; both ratios are printed. The emulator process
runs without the cyclic GC and trims its request journal every second, so its
bookkeeping does not add pauses that Feishu would not have.

1. 100,000 rows into one table, then into four tables (25,000 each), with
   ``lark.bitable.bulk_create`` (client defaults: client-side rate limiter on, rows
   checked against the table's fields): rows/s, the maximum, the ratio (target >= 0.9).
2. The same job done the seed's way (spec/native-async-feishu-client.md: 1,000-row
   chunks, asyncio.gather, Semaphore(5), retries on 429/5xx/network errors, no
   client_token): rows stored, doubled, lost, and its write conflicts.
3. 30,000 rows with faults (4% of batch_create calls answer HTTP 500 before writing,
   4% lose their answer after writing): lark-async, the seed's way, and the seed's way
   with Semaphore(1) (its conflicts removed, so its blind retries show).
4. Lost answers that outlast the retries: 10,000 rows where 30% of batch_create calls
   lose their answer after writing and 30% lose the connection before writing, with
   ``max_attempts=2``. With ``key_field="Key"`` the chunks whose answer stays lost are
   settled by reading their keys back (0 unknown, 0 missing, 0 doubled); without a
   key they are reported as unknown, as before.
5. Peak memory (max RSS) of a fresh process importing a 1,000,000-row CSV file through
   ``read_rows`` + ``bulk_create`` (target < 200 MB).

    .venv/bin/python benchmarks/bulk.py [--rows 100000] [--latency 1.0] [--fault-rows 30000]
                                        [--lost-rows 10000] [--memory-rows 1000000]
"""

from __future__ import annotations

import argparse
import asyncio
import csv
import gc
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
from common import ROOT, emulator_process

APP_ID, SECRET = "cli_bench000000002", "bench-secret-0002"
APP_TOKEN = "bascnBenchBulk0000000001"
FIELDS = [
    {"field_name": "Key", "type": 1},
    {"field_name": "Name", "type": 1},
    {"field_name": "Amount", "type": 2},
    {"field_name": "Paid", "type": 7},
]
TABLES = [
    "one",
    "faults-seed-serial",
    "four-0",
    "four-1",
    "four-2",
    "four-3",
    "seed",
    "faults-ours",
    "faults-seed",
    "lost-keyed",
    "lost-unkeyed",
    "memory",
]
STATS = "/open-apis/emulator/v1/bench/bitable"
WRITE_RATE = 50.0  # record writes per second per app (CONTRACT §14)
CHUNK = 1000


# --------------------------------------------------------------------------- emulator side
def emulator_setup(fake: Any, latency: float) -> None:
    """Runs in the emulator process (its setup step): tables and bench routes."""
    from aiohttp import web

    from lark_async.testing import FakeError
    from lark_async.testing.bitable import BitableEmulator

    # The emulator stands in for Feishu, whose per-call time is the configured latency:
    # keep its own Python overheads (cyclic GC over millions of stored cells, a journal
    # of every request body) from adding to it. Same for every client measured.
    gc.disable()

    async def trim_journal() -> None:
        while True:
            await asyncio.sleep(1.0)
            fake.journal.clear()

    fake._bench_trim = asyncio.get_running_loop().create_task(trim_journal())
    bt = BitableEmulator.of(fake)
    bt.create_app(name="Bench", app_token=APP_TOKEN)
    ids = {name: bt.create_table(APP_TOKEN, name=name, fields=FIELDS) for name in TABLES}
    bt.set_write_latency(latency)
    faults = {"fail": 0.0, "lost": 0.0, "dropped": 0.0}
    rng = random.Random(7)

    @fake.route("GET", STATS, auth=None)
    def stats(req: Any) -> dict[str, Any]:
        fake.journal.clear()  # keep the emulator's own memory flat across runs
        table = req.query.get("table")
        if table is None:
            usage = resource.getrusage(resource.RUSAGE_SELF)
            return {
                "tables": ids,
                "write_conflicts": bt.write_conflicts,
                "write_calls": bt.write_calls,
                "cpu": usage.ru_utime + usage.ru_stime,  # the emulator's own work so far
            }
        keys = Counter(_key(r["fields"].get("Key")) for r in bt.records(APP_TOKEN, ids[table]))
        expected = int(req.query.get("expected", "0"))
        prefix = req.query.get("prefix", "")
        wanted = {f"{prefix}-{i}" for i in range(expected)}
        return {
            "stored": sum(keys.values()),
            "distinct": len(keys),
            "duplicates": sum(c - 1 for c in keys.values()),
            "missing": len(wanted - set(keys)),
            "write_conflicts": bt.write_conflicts,
        }

    @fake.route("POST", f"{STATS}/faults", auth=None)
    def set_faults(req: Any) -> dict[str, Any]:
        faults.update(req.json_object())
        return dict(faults)

    @fake.route("POST", f"{STATS}/latency", auth=None)
    def set_latency(req: Any) -> dict[str, Any]:
        bt.set_write_latency(float(req.json_object()["seconds"]))
        return {}

    template = "/open-apis/bitable/v1/apps/{app_token}/tables/{table_id}/records/batch_create"
    resolved = fake.router.resolve(
        "POST", template.replace("{app_token}", "x").replace("{table_id}", "y")
    )
    original = resolved.route.handler

    async def flaky(req: Any) -> Any:
        roll = rng.random()
        if roll < faults["fail"]:
            raise FakeError(1255001, "internal error", status=500)
        if roll >= 1 - faults["dropped"]:
            fake.faults.drop(f"POST {template}", after_processing=True)  # dropped, not written
            return {}
        result = original(req)
        if asyncio.iscoroutine(result):
            result = await result
        if roll < faults["fail"] + faults["lost"]:
            fake.faults.drop(f"POST {template}", after_processing=True)  # written; answer lost
        return result

    fake.route("POST", template, family=resolved.route.family, auth=resolved.route.auth)(flaky)
    _ = web  # the handler may return web responses from the original route


def _key(value: Any) -> str:
    if isinstance(value, list):
        return "".join(str(v.get("text", "")) for v in value if isinstance(v, dict))
    return str(value)


# --------------------------------------------------------------------------- helpers
def make_rows(prefix: str, n: int) -> Iterator[dict[str, Any]]:
    for i in range(n):
        yield {"Key": f"{prefix}-{i}", "Name": f"name {i}", "Amount": i % 1000, "Paid": i % 2 == 0}


async def stats(url: str, **query: Any) -> dict[str, Any]:
    async with aiohttp.ClientSession() as s, s.get(url + STATS, params=query) as r:
        body = await r.json()
        return dict(body["data"])


async def control(url: str, what: str, **body: float) -> None:
    async with aiohttp.ClientSession() as s, s.post(url + f"{STATS}/{what}", json=body) as r:
        assert (await r.json())["code"] == 0


@dataclass
class Run:
    """One job's outcome, and the emulator's own CPU per write call while it ran."""

    name: str
    rows: int
    seconds: float
    tables: int
    stored: int = 0
    duplicates: int = 0
    missing: int = 0
    conflicts: int = 0
    failed: int = 0
    unknown: int = 0
    settled_written: int = 0  # rows whose lost answer was read back: found written
    settled_not_written: int = 0  # ... found not written (sent again)
    server_cpu: float = 0.0  # seconds of emulator CPU per write call
    reported_lost: int = 0  # rows the client itself believes were not written

    @property
    def rate(self) -> float:
        """Distinct rows that landed, per second (a lost or doubled row is no progress)."""
        return (self.stored - self.duplicates) / self.seconds

    def maximum(self, latency: float, *, server_cpu: bool = True) -> float:
        """Rows/s at best: min(50/s, tables / L) calls/s x 1,000 rows.

        With ``server_cpu`` the latency a call really sees includes the emulator's own
        processing (parsing and storing 1,000 rows in Python), which Feishu would do in
        parallel; one emulator process also cannot run more than 1/cpu calls a second.
        """
        per_call = latency + (self.server_cpu if server_cpu else 0.0)
        calls = WRITE_RATE if per_call <= 0 else min(WRITE_RATE, self.tables / per_call)
        if server_cpu and self.server_cpu > 0:
            calls = min(calls, 1 / self.server_cpu)
        return calls * CHUNK


async def measured(
    url: str, run: Run, before: dict[str, Any], names: list[str], n: int, prefix: str
) -> Run:
    after = await stats(url)
    calls = after["write_calls"] - before["write_calls"]
    run.server_cpu = (after["cpu"] - before["cpu"]) / calls if calls else 0.0
    run.conflicts = after["write_conflicts"] - before["write_conflicts"]
    per_table = n // len(names)
    for k, name in enumerate(names):
        s = await stats(url, table=name, expected=per_table, prefix=f"{prefix}{k}")
        run.stored += s["stored"]
        run.duplicates += s["duplicates"]
        run.missing += s["missing"]
    return run


# --------------------------------------------------------------------------- lark-async
async def ours(
    url: str, ids: dict[str, str], names: list[str], n: int, prefix: str, **options: Any
) -> Run:
    from lark_async import LarkClient

    per_table = n // len(names)
    async with LarkClient(APP_ID, SECRET, domain=url) as lark:
        await lark.request("GET", "/open-apis/emulator/v1/echo")  # warm: token + connection
        before = await stats(url)
        start = time.perf_counter()
        reports = await asyncio.gather(
            *(
                lark.bitable.bulk_create(
                    APP_TOKEN, ids[name], make_rows(f"{prefix}{k}", per_table), **options
                )
                for k, name in enumerate(names)
            )
        )
        seconds = time.perf_counter() - start
    run = Run(f"lark-async, {len(names)} table(s)", per_table * len(names), seconds, len(names))
    run.failed = sum(r.failed_count for r in reports)
    run.unknown = sum(r.unknown_rows for r in reports)
    run.settled_written = sum(r.settled_written for r in reports)
    run.settled_not_written = sum(r.settled_not_written for r in reports)
    return await measured(url, run, before, names, n, prefix)


# --------------------------------------------------------------------------- the seed's way
class SeedClient:
    """What spec/native-async-feishu-client.md describes, written out: 1,000-row chunks,
    asyncio.gather, Semaphore(5), exponential backoff on 5xx/network errors, waits on
    429/99991400, any other non-zero code raised (that chunk is lost), no client_token."""

    def __init__(
        self, url: str, session: aiohttp.ClientSession, token: str, concurrency: int = 5
    ) -> None:
        self.url, self.session, self.token = url, session, token
        self.sem = asyncio.Semaphore(concurrency)
        self.conflicts = 0
        self.lost_chunks = 0
        self.max_retries = 3

    async def batch_create(self, table_id: str, records: list[dict[str, Any]]) -> None:
        chunks = [records[i : i + CHUNK] for i in range(0, len(records), CHUNK)]
        results = await asyncio.gather(
            *(self._post(table_id, c) for c in chunks), return_exceptions=True
        )
        self.lost_chunks += sum(1 for r in results if isinstance(r, Exception))

    async def _post(self, table_id: str, chunk: list[dict[str, Any]]) -> None:
        path = f"/open-apis/bitable/v1/apps/{APP_TOKEN}/tables/{table_id}/records/batch_create"
        body = {"records": [{"fields": f} for f in chunk]}
        async with self.sem:
            for attempt in range(self.max_retries + 1):
                try:
                    async with self.session.post(
                        self.url + path,
                        json=body,
                        headers={"Authorization": f"Bearer {self.token}"},
                        timeout=aiohttp.ClientTimeout(total=30),
                    ) as resp:
                        data = await resp.json(content_type=None)
                        code = data.get("code")
                        if resp.status == 429 or code == 99991400:
                            await asyncio.sleep(float(resp.headers.get("x-ogw-ratelimit-reset", 1)))
                            continue
                        if resp.status >= 500:
                            await asyncio.sleep(2**attempt)
                            continue
                        if code != 0:
                            if code == 1254291:
                                self.conflicts += 1
                            raise RuntimeError(f"FeishuAPIError {code}")
                        return
                except (aiohttp.ClientError, TimeoutError):
                    await asyncio.sleep(2**attempt)
            raise RuntimeError("retries exhausted")


async def seed_way(
    url: str, ids: dict[str, str], name: str, n: int, prefix: str, concurrency: int = 5
) -> Run:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            url + "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": APP_ID, "app_secret": SECRET},
        ) as r:
            token = (await r.json())["tenant_access_token"]
        seed = SeedClient(url, session, token, concurrency)
        rows = list(make_rows(f"{prefix}0", n))  # the seed takes a list
        before = await stats(url)
        start = time.perf_counter()
        await seed.batch_create(ids[name], rows)
        seconds = time.perf_counter() - start
    run = Run("seed's way, 1 table", n, seconds, 1)
    run.reported_lost = seed.lost_chunks * CHUNK
    return await measured(url, run, before, [name], n, prefix)


# --------------------------------------------------------------------------- memory
async def memory_child(url: str, table_id: str, path: Path) -> None:
    """In a fresh process: stream the CSV into the table, print rows and peak RSS (MB)."""
    from lark_async import LarkClient
    from lark_async.bitable import Schema
    from lark_async.bitable.files import read_rows

    async with LarkClient(APP_ID, SECRET, domain=url) as lark:
        schema = Schema([f async for f in lark.bitable.list_fields(APP_TOKEN, table_id)])
        start = time.perf_counter()
        report = await lark.bitable.bulk_create(
            APP_TOKEN, table_id, read_rows(path, schema=schema), validate=True
        )
        seconds = time.perf_counter() - start
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(
        json.dumps(
            {"written": report.written, "ok": report.ok, "seconds": seconds, "peak_mb": peak_mb}
        )
    )


def write_csv(path: Path, n: int) -> None:
    with path.open("w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(["Key", "Name", "Amount", "Paid"])
        for row in make_rows("mem", n):
            w.writerow([row["Key"], row["Name"], row["Amount"], "true" if row["Paid"] else "false"])


def memory_run(url: str, table_id: str, n: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "rows.csv"
        write_csv(path, n)
        out = subprocess.run(
            [sys.executable, __file__, "--memory-child", url, table_id, str(path)],
            capture_output=True,
            text=True,
            check=True,
            cwd=str(ROOT),
        )
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


# --------------------------------------------------------------------------- main
HEADER = (
    f"{'':28}{'rows/s':>8}{'max':>8}{'ratio':>7}{'nominal':>9}{'ratio':>7}"
    f"{'stored':>9}{'dupes':>7}{'missing':>9}{'conflicts':>10}"
)


def line(run: Run, latency: float) -> str:
    best, nominal = run.maximum(latency), run.maximum(latency, server_cpu=False)
    return (
        f"{run.name:28}{run.rate:8.0f}{best:8.0f}{run.rate / best:7.2f}{nominal:9.0f}"
        f"{run.rate / nominal:7.2f}{run.stored:9d}{run.duplicates:7d}{run.missing:9d}"
        f"{run.conflicts:10d}"
    )


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=100_000)
    ap.add_argument("--latency", type=float, default=1.0, help="seconds per write call")
    ap.add_argument("--fault-rows", type=int, default=30_000)
    ap.add_argument("--lost-rows", type=int, default=10_000)
    ap.add_argument("--memory-rows", type=int, default=1_000_000)
    ap.add_argument("--memory-child", nargs=3, metavar=("URL", "TABLE", "CSV"))
    args = ap.parse_args()
    if args.memory_child:
        url, table_id, path = args.memory_child
        await memory_child(url, table_id, Path(path))
        return

    from lark_async.core.logging import configure_logging

    log_path = Path(tempfile.mkdtemp()) / "bench.log"
    log_file = log_path.open("w")
    configure_logging("INFO", "json", stream=log_file)
    config = {
        "apps": {APP_ID: SECRET},
        "setup": "bulk:emulator_setup",
        "setup_args": {"latency": args.latency},
    }
    n, nf = args.rows, args.fault_rows
    async with emulator_process(config) as url:
        ids = (await stats(url))["tables"]
        one = await ours(url, ids, ["one"], n, "one")
        four = await ours(url, ids, ["four-0", "four-1", "four-2", "four-3"], n, "four")
        seed = await seed_way(url, ids, "seed", n, "seed")
        await control(url, "faults", fail=0.04, lost=0.04)
        faulted_ours = await ours(url, ids, ["faults-ours"], nf, "fo")
        faulted_ours.name = "lark-async, faults"
        faulted_seed = await seed_way(url, ids, "faults-seed", nf, "fs")
        faulted_seed.name = "seed's way, faults"
        # the seed's retries alone, with its write conflicts taken out of the picture
        serial_seed = await seed_way(url, ids, "faults-seed-serial", nf, "fss", concurrency=1)
        serial_seed.name = "seed, Semaphore(1), faults"
        await control(url, "faults", fail=0.0, lost=0.3, dropped=0.3)
        keyed = await ours(
            url, ids, ["lost-keyed"], args.lost_rows, "lk", key_field="Key", max_attempts=2
        )
        keyed.name = "lark-async, key_field"
        unkeyed = await ours(url, ids, ["lost-unkeyed"], args.lost_rows, "lu", max_attempts=2)
        unkeyed.name = "lark-async, no key"
        await control(url, "faults", fail=0.0, lost=0.0, dropped=0.0)
        await control(url, "latency", seconds=0.0)  # the memory run measures memory, not time
        memory = memory_run(url, ids["memory"], args.memory_rows) if args.memory_rows else None
    log_file.close()

    print(
        f"\nbulk create into Bitable: emulator in its own process enforcing {WRITE_RATE:.0f} "
        f"writes/s per app and one write at a time per table (else 1254291), "
        f"per-call latency L = {args.latency}s"
    )
    print(
        "max = min(50/s, tables / (L + emulator CPU per call)) x 1,000 rows; "
        "nominal = the same with L alone"
    )
    print(HEADER)
    print(f"-- {n:,} rows, no faults")
    for run in (one, four, seed):
        print(line(run, args.latency))
    print(
        f"-- {nf:,} rows; 4% of batch_create calls fail (HTTP 500) before writing, "
        "4% lose their answer after writing"
    )
    for run in (faulted_ours, faulted_seed, serial_seed):
        print(line(run, args.latency))
    print(
        f"-- {args.lost_rows:,} rows; 30% of batch_create calls lose their answer after "
        "writing, 30% before writing; max_attempts=2"
    )
    for run in (keyed, unkeyed):
        print(line(run, args.latency))
    for run in (keyed, unkeyed):
        print(
            f"{run.name}: settled by reading the keys back {run.settled_written:,} rows "
            f"written + {run.settled_not_written:,} not written (sent again); "
            f"outcome unknown {run.unknown:,}, failed {run.failed:,}, "
            f"missing {run.missing:,}, doubled {run.duplicates:,}"
        )
    for run in (one, four):
        best, nominal = run.maximum(args.latency), run.maximum(args.latency, server_cpu=False)
        print(
            f"{run.name}: {run.rate:.0f} rows/s = {run.rate / best:.2f} of the maximum "
            f"{best:.0f} (emulator CPU {run.server_cpu * 1000:.0f} ms/call), "
            f"{run.rate / nominal:.2f} of the nominal {nominal:.0f} (target >= 0.90)"
        )
    for run in (seed, faulted_seed, serial_seed):
        print(
            f"{run.name}: {run.missing:,} of {run.rows:,} rows lost, {run.duplicates:,} doubled, "
            f"{run.conflicts} write conflicts; it reported {run.reported_lost:,} rows lost "
            "and none doubled"
        )
    print(
        f"lark-async rows not written: failed {one.failed + four.failed + faulted_ours.failed}, "
        f"outcome unknown {one.unknown + four.unknown + faulted_ours.unknown}"
    )
    if memory is not None:
        print(
            f"streamed import of a {args.memory_rows:,}-row CSV file: "
            f"{memory['written']:,} written in {memory['seconds']:.1f}s, "
            f"peak memory (max RSS) {memory['peak_mb']:.0f} MB (target < 200 MB)"
        )
    print(f"log lines written: {sum(1 for _ in log_path.open())}")


if __name__ == "__main__":
    asyncio.run(main())
