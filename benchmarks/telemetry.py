"""Telemetry overhead: client CPU per call with the recorder off, on OpenTelemetry's API
without an SDK, and with the SDK recording (spans to an in-memory exporter through a
batch processor, metrics to an in-memory reader).

One process, the emulator in another. Blocks of N calls rotate between the three
modes (off, api, sdk, then reversed ...), so machine drift hits each alike; the
medians of client CPU microseconds per call and of calls per second are reported.
The recorder is swapped with ``lark_async.core.telemetry.install`` between blocks.

    .venv/bin/python benchmarks/telemetry.py [--calls 2000] [--rounds 4]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable

from common import emulator_process
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lark_async import LarkClient
from lark_async.core import telemetry

APP_ID, SECRET = "cli_bench000000001", "bench-secret-0001"
ROUTE = "/open-apis/emulator/v1/echo"
CONCURRENCY = 50


async def _block(calls: int, one: Callable[[], Awaitable[bool]]) -> tuple[float, float]:
    remaining = calls

    async def worker() -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            assert await one()

    cpu, wall = time.process_time(), time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(CONCURRENCY)))
    return time.perf_counter() - wall, time.process_time() - cpu


def _recorders() -> dict[str, telemetry.Recorder]:
    exporter = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(BatchSpanProcessor(exporter))
    meter_provider = MeterProvider(metric_readers=[InMemoryMetricReader()])
    return {
        "off": telemetry.Recorder(),
        "api": telemetry.OTelRecorder(),  # the global providers: OpenTelemetry's no-ops
        "sdk": telemetry.OTelRecorder(tracer_provider, meter_provider),
    }


async def main(calls: int, rounds: int) -> dict[str, object]:
    recorders = _recorders()
    cpu: dict[str, list[float]] = {name: [] for name in recorders}
    rate: dict[str, list[float]] = {name: [] for name in recorders}
    async with emulator_process({"apps": {APP_ID: SECRET}}) as url:
        lark = LarkClient(APP_ID, SECRET, domain=url, client_rate_limit=False)
        async with lark:

            async def one() -> bool:
                return (await lark.request("GET", ROUTE)).ok

            await _block(500, one)  # warm: token, connections
            for i in range(rounds):
                order = list(recorders)
                if i % 2:
                    order.reverse()
                for name in order:
                    telemetry.install(recorders[name])
                    wall, used = await _block(calls, one)
                    cpu[name].append(used / calls * 1e6)
                    rate[name].append(calls / wall)
    base = statistics.median(cpu["off"])
    return {
        "calls_per_block": calls,
        "rounds": rounds,
        "cpu_us_per_call": {k: round(statistics.median(v), 1) for k, v in cpu.items()},
        "calls_per_second": {k: round(statistics.median(v)) for k, v in rate.items()},
        "cpu_overhead_vs_off": {
            k: f"{statistics.median(v) / base - 1:+.1%}" for k, v in cpu.items() if k != "off"
        },
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--calls", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=4)
    args = parser.parse_args()
    print(json.dumps(asyncio.run(main(args.calls, args.rounds)), indent=2))
