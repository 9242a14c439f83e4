"""Helpers shared by the benchmark scripts."""

from __future__ import annotations

import asyncio
import json
import statistics
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


@asynccontextmanager
async def emulator_process(config: dict[str, object]) -> AsyncIterator[str]:
    """The emulator in a child process (its own core), yielding its URL."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lark_async.testing",
        json.dumps(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT / "benchmarks"),
    )
    assert proc.stdout is not None and proc.stdin is not None
    url = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    try:
        yield url
    finally:
        proc.stdin.close()
        try:
            await asyncio.wait_for(proc.wait(), 10)
        except TimeoutError:
            proc.kill()


@dataclass
class RunResult:
    name: str
    calls: int
    seconds: float
    latencies: list[float]
    failures: int = 0

    @property
    def rate(self) -> float:
        return self.calls / self.seconds

    def pct(self, p: float) -> float:
        data = sorted(self.latencies)
        return data[min(len(data) - 1, int(len(data) * p))] * 1000

    @property
    def p50(self) -> float:
        return statistics.median(self.latencies) * 1000


async def run_concurrent(
    name: str, calls: int, concurrency: int, one: Callable[[], Awaitable[bool]]
) -> RunResult:
    """``calls`` calls of ``one`` with ``concurrency`` workers; per-call latency."""
    latencies: list[float] = []
    failures = 0
    remaining = calls

    async def worker() -> None:
        nonlocal remaining, failures
        while remaining > 0:
            remaining -= 1
            t = time.perf_counter()
            ok = await one()
            latencies.append(time.perf_counter() - t)
            failures += not ok

    start = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return RunResult(name, calls, time.perf_counter() - start, latencies, failures)
