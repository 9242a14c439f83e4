"""Verified card callbacks per second into RabbitMQ (publisher confirms), and time to answer.

The callback ingress runs in its own process (one core), as ``lark-async serve``
does: every request is read, checked (timestamp window, SHA-256 signature, nonce and
event-id replay), decrypted (AES-256-CBC), published persistent with a publisher
confirm, and only then answered. INFO logs (one JSON line per callback) go to a
file. The load generator, in this process, sends pre-signed, encrypted
``card.action.trigger`` callbacks, as Feishu does, with N in flight, and measures
each answer. At the end the queue must hold exactly one message per callback.

    .venv/bin/python benchmarks/callbacks.py [--calls 5000] [--concurrency 32]
        [--amqp amqp://guest:guest@127.0.0.1:5672/] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import TextIO
from urllib.parse import urlsplit

from common import ROOT, RunResult

from lark_async.core.loop import run as run_fast

APP_ID = "cli_bench000000001"
SCRIPT = Path(__file__).resolve()
TARGET_RATE = 1000.0
TARGET_P99_MS = 100.0


# -- the server process ----------------------------------------------------------------


async def serve(config: dict[str, str]) -> None:
    """Run the ingress until stdin closes; print its URL first."""
    with Path(config["log"]).open("w") as log:  # noqa: ASYNC230 - once, at start-up
        await _serve(config, log)


async def _serve(config: dict[str, str], log: TextIO) -> None:
    from aiohttp import web

    from lark_async.callbacks import AppKeys, CallbackIngress, RabbitBroker
    from lark_async.core.logging import configure_logging

    configure_logging("INFO", "json", stream=log)
    broker = RabbitBroker(config["amqp"], queue=config["queue"])
    keys = {APP_ID: AppKeys(config["encrypt_key"], config["token"])}
    ingress = CallbackIngress(keys, broker=broker)
    runner = web.AppRunner(ingress.web_app(), access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    if not broker.available:
        raise SystemExit("RabbitMQ is not reachable at " + config["amqp"])
    host, port = runner.addresses[0][:2]
    print(f"http://{host}:{port}", flush=True)
    loop = asyncio.get_running_loop()
    await loop.run_in_executor(None, sys.stdin.read)  # until the parent closes it
    stats = ingress.stats
    print(json.dumps({"published": stats.published, "rejected": sum(stats.rejected.values())}))
    await runner.cleanup()


# -- the load generator --------------------------------------------------------------


def signed_callbacks(n: int, encrypt_key: str, token: str) -> list[tuple[dict[str, str], bytes]]:
    """``n`` distinct callbacks, signed and encrypted now (outside the timed part)."""
    from lark_async.testing import signing

    out = []
    for i in range(n):
        body = signing.card_action_event(
            APP_ID,
            open_id="ou_" + secrets.token_hex(16),
            action_value={"action": "approve", "request": f"EXP-{i}"},
            verification_token=token,
            message_id="om_" + secrets.token_hex(16),
        )
        out.append(signing.signed_request(body, encrypt_key=encrypt_key))
    return out


def raw_http(url: str, headers: dict[str, str], body: bytes) -> bytes:
    """One keep-alive HTTP/1.1 POST, as bytes (built before the clock starts)."""
    parts = urlsplit(url)
    lines = [f"POST {parts.path} HTTP/1.1", f"Host: {parts.netloc}"]
    lines += [f"{k}: {v}" for k, v in headers.items()]
    lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


async def load(
    url: str, requests: list[tuple[dict[str, str], bytes]], concurrency: int
) -> RunResult:
    """Send every request, ``concurrency`` connections each with one request in flight.

    A minimal HTTP/1.1 client on asyncio streams: the generator shares the two cores
    with the ingress and RabbitMQ, so it should cost as little as possible (Feishu's
    senders don't run on our machine).
    """
    latencies: list[float] = []
    failures = 0
    pending = iter([raw_http(url, headers, body) for headers, body in requests])
    parts = urlsplit(url)

    async def worker() -> None:
        nonlocal failures
        reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
        try:
            for request in pending:
                started = time.perf_counter()
                writer.write(request)
                head = await reader.readuntil(b"\r\n\r\n")
                status = int(head[9:12])
                length = 0
                for line in head.split(b"\r\n"):
                    if line[:15].lower() == b"content-length:":
                        length = int(line[15:])
                await reader.readexactly(length)
                latencies.append(time.perf_counter() - started)
                failures += status != 200
        finally:
            writer.close()

    started = time.perf_counter()
    await asyncio.gather(*(worker() for _ in range(concurrency)))
    return RunResult("callbacks", len(requests), time.perf_counter() - started, latencies, failures)


async def take_depth(amqp: str, queue: str) -> int:
    """Messages in the queue, then purge it: each round starts from an empty queue,
    as it would with workers keeping up."""
    import aio_pika

    connection = await aio_pika.connect(amqp)
    async with connection:
        channel = await connection.channel()
        declared = await channel.declare_queue(queue, passive=True)
        depth = int(declared.declaration_result.message_count or 0)
        await declared.purge()
        return depth


async def drop(amqp: str, queue: str) -> None:
    import aio_pika

    connection = await aio_pika.connect(amqp)
    async with connection:
        channel = await connection.channel()
        for name in (queue, f"{queue}.dead"):
            await channel.queue_delete(name)
        await channel.exchange_delete(queue)


async def bench(args: argparse.Namespace) -> int:
    encrypt_key, token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    queue = f"lark.bench.{uuid.uuid4().hex[:10]}"
    workdir = Path(tempfile.mkdtemp(prefix="lark-bench-callbacks-"))
    config = {
        "amqp": args.amqp,
        "queue": queue,
        "encrypt_key": encrypt_key,
        "token": token,
        "log": str(workdir / "ingress.log"),
    }
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--serve",
        json.dumps(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
    )
    assert proc.stdout is not None and proc.stdin is not None
    base = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    if not base.startswith("http"):
        raise SystemExit("the ingress process did not start (is RabbitMQ up?)")
    url = f"{base}/lark/{APP_ID}/cards"
    results: list[RunResult] = []
    total = depth = 0
    try:
        warm = signed_callbacks(200, encrypt_key, token)
        await load(url, warm, args.concurrency)
        total += len(warm)
        for _ in range(args.rounds):
            requests = signed_callbacks(args.calls, encrypt_key, token)
            depth += await take_depth(args.amqp, queue)
            results.append(await load(url, requests, args.concurrency))
            total += len(requests)
        depth += await take_depth(args.amqp, queue)
    finally:
        proc.stdin.close()
        tail = await asyncio.wait_for(proc.stdout.read(), 30)
        await proc.wait()
        await drop(args.amqp, queue)
    server = json.loads(tail.decode().strip().splitlines()[-1])

    print(
        f"\ncallback ingress -> RabbitMQ (confirms, persistent), {args.calls} callbacks x "
        f"{args.rounds} rounds, {args.concurrency} in flight, ingress on its own process\n"
    )
    print(
        f"{'round':>5} {'callbacks/s':>12} {'p50 ms':>8} {'p99 ms':>8} {'max ms':>8} {'non-200':>8}"
    )
    for n, r in enumerate(results, 1):
        print(
            f"{n:>5} {r.rate:>12.0f} {r.p50:>8.1f} {r.pct(0.99):>8.1f} "
            f"{max(r.latencies) * 1000:>8.1f} {r.failures:>8}"
        )
    rate = statistics.median(r.rate for r in results)
    p99 = statistics.median(r.pct(0.99) for r in results)
    print(
        f"\nthe queue received {depth} messages for {total} callbacks sent; "
        f"ingress published {server['published']}, rejected {server['rejected']}"
    )
    ok = (
        depth == total
        and all(r.failures == 0 for r in results)
        and rate >= TARGET_RATE
        and p99 < TARGET_P99_MS
    )
    print(
        f"target >= {TARGET_RATE:.0f}/s with p99 < {TARGET_P99_MS:.0f} ms: "
        f"{'met' if ok else 'NOT met'} (median round: {rate:.0f}/s, p99 {p99:.1f} ms)"
    )
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=5000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--serve", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        # The ingress process runs as `lark-async serve` would: on uvloop when installed.
        run_fast(serve(json.loads(args.serve)))
        return
    raise SystemExit(asyncio.run(bench(args)))


if __name__ == "__main__":
    main()
