"""Verified callbacks/s into RabbitMQ: lark-async's ingress beside a bare aiohttp handler, paired.

Two server processes, each on its own queue, each on one core as ``lark-async
serve`` runs (uvloop when installed):

- ``lark``: the callback ingress. Every request is read, checked (timestamp
  window, SHA-256 signature, nonce and event-id replay memory), decrypted
  (AES-256-CBC), its verification token compared, published persistent with a
  publisher confirm, and only then answered. INFO logs (one JSON line per
  callback) go to a file.
- ``bare``: one aiohttp handler doing the work any correct receiver must do, and
  nothing else: timestamp window, SHA-256 signature, AES-256-CBC decrypt, token,
  an aio-pika publish (persistent, confirmed, mandatory), ``{}``. No replay
  memory, no logs.

The load generator is this process: pre-signed, encrypted ``card.action.trigger``
callbacks, as Feishu sends them, with N in flight on keep-alive connections.
Rounds alternate (lark, bare, bare, lark, ...), so machine drift hits both alike.
Each queue must end up with exactly one message per callback sent to it.

    .venv/bin/python benchmarks/callbacks.py [--calls 3000] [--pairs 3] [--concurrency 32]
        [--amqp amqp://guest:guest@127.0.0.1:5672/] [--log-level INFO]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any, TextIO
from urllib.parse import urlsplit

from common import ROOT, RunResult

from lark_async.core.loop import run as run_fast

APP_ID = "cli_bench000000001"
SCRIPT = Path(__file__).resolve()
TARGET_RATE = 1000.0
TARGET_P99_MS = 100.0
SIDES = ("lark", "bare")


# -- the server processes --------------------------------------------------------------


async def serve(config: dict[str, str]) -> None:
    """Run one side until stdin closes; print its URL first, its counters last."""
    with Path(config["log"]).open("w") as log:  # noqa: ASYNC230 - once, at start-up
        if config["side"] == "lark":
            await _serve_lark(config, log)
        else:
            await _serve_bare(config)


async def _until_stdin_closes() -> None:
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


async def _serve_lark(config: dict[str, str], log: TextIO) -> None:
    from aiohttp import web

    from lark_async.callbacks import AppKeys, CallbackIngress, RabbitBroker
    from lark_async.core.logging import configure_logging

    if config["log_level"] != "OFF":
        configure_logging(config["log_level"], "json", stream=log)
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
    await _until_stdin_closes()
    stats = ingress.stats
    print(json.dumps({"published": stats.published, "rejected": sum(stats.rejected.values())}))
    await runner.cleanup()


async def _serve_bare(config: dict[str, str]) -> None:
    """The same necessary work written straight on aiohttp, cryptography and aio-pika."""
    import base64
    import hashlib
    import hmac

    import aio_pika
    from aiohttp import web
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    encrypt_key, token = config["encrypt_key"], config["token"]
    aes_key = hashlib.sha256(encrypt_key.encode()).digest()
    connection = await aio_pika.connect(config["amqp"])
    channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
    exchange = await channel.declare_exchange(
        config["queue"], aio_pika.ExchangeType.TOPIC, durable=True
    )
    queue = await channel.declare_queue(config["queue"], durable=True)
    await queue.bind(exchange, routing_key="#")
    counts = {"published": 0, "rejected": 0}

    def reject(status: int) -> web.Response:
        counts["rejected"] += 1
        return web.Response(status=status)

    async def handle(request: web.Request) -> web.Response:
        body = await request.read()
        timestamp = request.headers.get("X-Lark-Request-Timestamp", "")
        nonce = request.headers.get("X-Lark-Request-Nonce", "")
        signature = request.headers.get("X-Lark-Signature", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > 300:
            return reject(400)
        expected = hashlib.sha256((timestamp + nonce + encrypt_key).encode() + body).hexdigest()
        if not hmac.compare_digest(expected, signature):
            return reject(401)
        try:
            blob = base64.b64decode(json.loads(body)["encrypt"])
            decryptor = Cipher(algorithms.AES(aes_key), modes.CBC(blob[:16])).decryptor()
            padded = decryptor.update(blob[16:]) + decryptor.finalize()
            plaintext = padded[: -padded[-1]]
            header = json.loads(plaintext)["header"]
        except (ValueError, KeyError, IndexError, TypeError):
            return reject(400)
        if not hmac.compare_digest(str(header.get("token", "")), token):
            return reject(403)
        message = aio_pika.Message(
            plaintext,
            content_type="application/json",
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=header["event_id"],
            type=header["event_type"],
        )
        try:
            async with asyncio.timeout(1.0):
                await exchange.publish(message, routing_key=header["event_type"])
        except Exception:
            return web.Response(status=503)
        counts["published"] += 1
        return web.json_response({})

    app = web.Application()
    app.router.add_post("/lark/{app_id}/cards", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", 0).start()
    host, port = runner.addresses[0][:2]
    print(f"http://{host}:{port}", flush=True)
    await _until_stdin_closes()
    print(json.dumps(counts))
    await runner.cleanup()
    await connection.close()


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
    with the servers and RabbitMQ, so it should cost as little as possible.
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


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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


class Side:
    """One server process and what was sent to it."""

    def __init__(self, name: str, queue: str, proc: asyncio.subprocess.Process, url: str) -> None:
        self.name, self.queue, self.proc, self.url = name, queue, proc, url
        self.results: list[RunResult] = []
        self.cpu_per_call: list[float] = []
        self.sent = self.depth = 0
        self.server: dict[str, Any] = {}


async def start_side(name: str, base_config: dict[str, str], workdir: Path) -> Side:
    queue = f"lark.bench.{uuid.uuid4().hex[:10]}.{name}"
    config = {**base_config, "side": name, "queue": queue, "log": str(workdir / f"{name}.log")}
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(SCRIPT),
        "--serve",
        json.dumps(config),
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        cwd=str(ROOT),
    )
    assert proc.stdout is not None
    base = (await asyncio.wait_for(proc.stdout.readline(), 30)).decode().strip()
    if not base.startswith("http"):
        raise SystemExit(f"the {name} server did not start (is RabbitMQ up?)")
    return Side(name, queue, proc, f"{base}/lark/{APP_ID}/cards")


async def stop_side(side: Side, amqp: str) -> None:
    assert side.proc.stdin is not None and side.proc.stdout is not None
    side.proc.stdin.close()
    tail = await asyncio.wait_for(side.proc.stdout.read(), 30)
    await side.proc.wait()
    await drop(amqp, side.queue)
    side.server = json.loads(tail.decode().strip().splitlines()[-1])


async def bench(args: argparse.Namespace) -> int:
    encrypt_key, token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)
    workdir = Path(tempfile.mkdtemp(prefix="lark-bench-callbacks-"))
    config = {
        "amqp": args.amqp,
        "encrypt_key": encrypt_key,
        "token": token,
        "log_level": args.log_level,
    }
    sides = {name: await start_side(name, config, workdir) for name in SIDES}
    try:
        for side in sides.values():  # warm-up: connections, caches, the JIT-less first calls
            warm = signed_callbacks(300, encrypt_key, token)
            await load(side.url, warm, args.concurrency)
            side.sent += len(warm)
        for pair in range(args.pairs):
            order = SIDES if pair % 2 == 0 else SIDES[::-1]
            for name in order:
                side = sides[name]
                requests = signed_callbacks(args.calls, encrypt_key, token)
                side.depth += await take_depth(args.amqp, side.queue)
                cpu = cpu_seconds(side.proc.pid)
                side.results.append(await load(side.url, requests, args.concurrency))
                side.cpu_per_call.append((cpu_seconds(side.proc.pid) - cpu) / len(requests))
                side.sent += len(requests)
        for side in sides.values():
            side.depth += await take_depth(args.amqp, side.queue)
    finally:
        for side in sides.values():
            await stop_side(side, args.amqp)

    print(
        f"\nverified callbacks -> RabbitMQ (persistent, confirmed): {args.calls} per round, "
        f"{args.pairs} alternating pairs, {args.concurrency} in flight, each server on its "
        f"own process, lark logs: {args.log_level}\n"
    )
    print(
        f"{'side':>5} {'round':>5} {'callbacks/s':>12} {'p50 ms':>8} {'p99 ms':>8} "
        f"{'max ms':>8} {'CPU us/cb':>10} {'non-200':>8}"
    )
    for pair in range(args.pairs):
        for name in SIDES:
            side = sides[name]
            r = side.results[pair]
            print(
                f"{name:>5} {pair + 1:>5} {r.rate:>12.0f} {r.p50:>8.1f} {r.pct(0.99):>8.1f} "
                f"{max(r.latencies) * 1000:>8.1f} {side.cpu_per_call[pair] * 1e6:>10.0f} "
                f"{r.failures:>8}"
            )
    ratios = [
        sides["lark"].results[i].rate / sides["bare"].results[i].rate for i in range(args.pairs)
    ]
    print()
    for side in sides.values():
        rate = statistics.median(r.rate for r in side.results)
        p99 = statistics.median(r.pct(0.99) for r in side.results)
        cpu = statistics.median(side.cpu_per_call) * 1e6
        print(
            f"{side.name:>5}: median {rate:>6.0f}/s, p99 {p99:>6.1f} ms, {cpu:>5.0f} us CPU "
            f"per callback; queue got {side.depth} for {side.sent} sent, server published "
            f"{side.server['published']}, rejected {side.server['rejected']}"
        )
    print(f"lark / bare throughput, median of pairs: {statistics.median(ratios):.2f}")
    lark = sides["lark"]
    rate = statistics.median(r.rate for r in lark.results)
    p99 = statistics.median(r.pct(0.99) for r in lark.results)
    ok = (
        all(s.depth == s.sent for s in sides.values())
        and all(r.failures == 0 for s in sides.values() for r in s.results)
        and rate >= TARGET_RATE
        and p99 < TARGET_P99_MS
    )
    print(
        f"target for lark >= {TARGET_RATE:.0f}/s with p99 < {TARGET_P99_MS:.0f} ms, "
        f"one message per callback: {'met' if ok else 'NOT met'}"
    )
    return 0 if ok else 1


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--calls", type=int, default=3000)
    parser.add_argument("--pairs", type=int, default=3)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--amqp", default="amqp://guest:guest@127.0.0.1:5672/")
    parser.add_argument("--log-level", default="INFO", choices=("INFO", "WARNING", "OFF"))
    parser.add_argument("--serve", metavar="CONFIG", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        # The servers run as `lark-async serve` would: on uvloop when installed.
        run_fast(serve(json.loads(args.serve)))
        return
    raise SystemExit(asyncio.run(bench(args)))


if __name__ == "__main__":
    main()
