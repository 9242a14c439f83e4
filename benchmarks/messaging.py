"""Messaging: 2,000 sends to 200 recipients, full stack vs bare aiohttp, and the limits.

Part 1, overhead: the emulator's rate limits are off; the same 2,000 text sends
(10 to each of 200 users, round robin, concurrency 50, a uuid in every body)
go through bare aiohttp and through ``lark.messaging.send_text_message`` (input
checks, uuid, token, retries armed, error mapping, JSON logging). Client-side
pacing is off too: this measures the stack, not Feishu's quotas.

Part 2, limits: the emulator enforces the documented limits (IM: 50/s and
1000/min per app, 5/s per user or chat). ``send_to_many`` sends the 2,000
with its default pacing; the emulator reports how many requests it throttled
(429 / 230020). Bare aiohttp at the same concurrency is shown for contrast.
At 1000/min the paced run needs a bit over a minute by design.

    .venv/bin/python benchmarks/messaging.py [--sends 2000] [--recipients 200] [--rounds 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import json
import tempfile
import time
import uuid
from pathlib import Path
from typing import TYPE_CHECKING, Any

import aiohttp
from common import RunResult, emulator_process, run_concurrent

from lark_async import LarkClient
from lark_async.core.logging import configure_logging
from lark_async.messaging import Messaging

if TYPE_CHECKING:
    from lark_async.testing import FakeLark

APP_ID, SECRET = "cli_bench000000002", "bench-secret-0002"
SEND = "/open-apis/im/v1/messages"
STATS = "/open-apis/emulator/v1/bench/im"
CONCURRENCY = 50


def open_id(i: int) -> str:
    return f"ou_bench{i:06d}"


# --------------------------------------------------------------------------- emulator side
def emulator_setup(fake: FakeLark, recipients: int, per_recipient_limit: bool = True) -> None:
    """Runs in the emulator process: seed the users, add a stats route.

    ``per_recipient_limit=False`` lifts the emulator's 5/s-per-chat check for
    the overhead part (``enforce_rate_limits`` only covers the per-app limits).
    """
    from lark_async.testing.im import ImEmulator
    from lark_async.testing.im import messages as im_messages

    if not per_recipient_limit:
        setattr(im_messages, "RECIPIENT_QPS", 1_000_000)  # noqa: B010 - bench-only: measure the stack, not the quota

    im = ImEmulator.of(fake)
    for i in range(recipients):
        im.add_user(open_id(i), name=f"bench {i}")

    @fake.route("GET", STATS, auth=None)
    def stats(req: Any) -> dict[str, Any]:
        entries = fake.journal.entries
        out = {
            "throttled_429": sum(1 for e in entries if e.status == 429),
            "frequency_230020": sum(1 for e in entries if e.code == 230020),
            "send_requests": sum(1 for e in entries if e.path == SEND and e.method == "POST"),
            "stored_messages": len(im.state.messages),
        }
        if req.query.get("reset"):  # a fresh start: no messages, empty rate windows
            fake.journal.clear()
            fake.rate_limits.reset()
            im.state.messages.clear()
            im.state.uuids.clear()
            im.state._windows.clear()
        return out


async def emulator_stats(url: str, *, reset: bool = False) -> dict[str, int]:
    async with aiohttp.ClientSession() as session:
        params = {"reset": "1"} if reset else {}
        async with session.get(url + STATS, params=params) as resp:
            body = await resp.json()
    return dict(body["data"])


# --------------------------------------------------------------------------- clients
def plan(sends: int, recipients: int) -> list[str]:
    """Round robin: each recipient gets sends/recipients messages, spread out."""
    return [open_id(i % recipients) for i in range(sends)]


async def bare(url: str, targets: list[str], name: str = "bare aiohttp") -> RunResult:
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=100)) as session:
        async with session.post(
            url + "/open-apis/auth/v3/tenant_access_token/internal",
            json={"app_id": APP_ID, "app_secret": SECRET},
        ) as r:
            token = (await r.json())["tenant_access_token"]
        headers = {"Authorization": f"Bearer {token}"}
        queue = iter(targets)
        content = json.dumps({"text": "deploy finished"})

        async def one() -> bool:
            body = {
                "receive_id": next(queue),
                "msg_type": "text",
                "content": content,
                "uuid": uuid.uuid4().hex,
            }
            async with session.post(
                url + SEND, params={"receive_id_type": "open_id"}, json=body, headers=headers
            ) as resp:
                return bool((await resp.json()).get("code") == 0)

        return await run_concurrent(name, len(targets), CONCURRENCY, one)


async def full_stack(url: str, targets: list[str]) -> RunResult:
    async with LarkClient(APP_ID, SECRET, domain=url, client_rate_limit=False) as client:
        messaging: Messaging = client.messaging
        messaging.configure_pacing(recipient_qps=None, app_windows=None)
        await messaging.send_text_message(open_id(0), "warm up")  # token + connection
        queue = iter(targets)

        async def one() -> bool:
            return (await messaging.send_text_message(next(queue), "deploy finished")).ok

        return await run_concurrent("lark-async", len(targets), CONCURRENCY, one)


async def paced(url: str, targets: list[str]) -> tuple[float, dict[str, int]]:
    """send_to_many with default pacing: (seconds, result summary)."""
    async with LarkClient(APP_ID, SECRET, domain=url) as client:
        messaging: Messaging = client.messaging
        done = itertools.count(1)

        def progress(_: Any) -> None:
            n = next(done)
            if n % 500 == 0:
                print(f"  ... {n} sent", flush=True)

        start = time.perf_counter()
        report = await messaging.send_to_many(
            targets, "deploy finished", concurrency=CONCURRENCY, on_result=progress
        )
        seconds = time.perf_counter() - start
    return seconds, report.summary()


def count_retries(log_path: Path) -> int:
    with log_path.open() as fh:
        return sum(1 for line in fh if '"lark.retry"' in line)


# --------------------------------------------------------------------------- main
async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sends", type=int, default=2000)
    ap.add_argument("--recipients", type=int, default=200)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--skip-limits", action="store_true", help="only the overhead part")
    args = ap.parse_args()
    targets = plan(args.sends, args.recipients)
    log_path = Path(tempfile.mkdtemp()) / "bench-messaging.log"
    setup: dict[str, object] = {
        "setup": "messaging:emulator_setup",
        "setup_args": {"recipients": args.recipients},
    }

    with log_path.open("w") as log_file:
        configure_logging("INFO", "json", stream=log_file)
        free: dict[str, object] = {
            "apps": {APP_ID: SECRET},
            "fake": {"enforce_rate_limits": False},
            "setup": setup["setup"],
            "setup_args": {"recipients": args.recipients, "per_recipient_limit": False},
        }
        async with emulator_process(free) as url:
            await bare(url, targets[:200])  # warm both paths
            await full_stack(url, targets[:200])
            bares: list[RunResult] = []
            larks: list[RunResult] = []
            for _ in range(args.rounds):  # interleaved, so drift hits both alike
                await emulator_stats(url, reset=True)
                bares.append(await bare(url, targets))
                await emulator_stats(url, reset=True)
                larks.append(await full_stack(url, targets))
            stored = (await emulator_stats(url))["stored_messages"]

        limited: tuple[float, dict[str, int], dict[str, int], int] | None = None
        bare_limited: tuple[RunResult, dict[str, int]] | None = None
        if not args.skip_limits:
            enforced: dict[str, object] = {"apps": {APP_ID: SECRET}, "fake": {}, **setup}
            async with emulator_process(enforced) as url:
                print(f"part 2: {args.sends} paced sends against the documented limits ...")
                before = count_retries(log_path)
                seconds, summary = await paced(url, targets)
                log_file.flush()
                retries = count_retries(log_path) - before
                server = await emulator_stats(url, reset=True)
                limited = (seconds, summary, server, retries)
                contrast = await bare(url, targets, "bare aiohttp")
                bare_limited = (contrast, await emulator_stats(url))

    best_b = max(bares, key=lambda r: r.rate)
    best_l = max(larks, key=lambda r: r.rate)
    print(
        f"\nmessaging part 1 (overhead): {args.sends} text sends to {args.recipients} recipients "
        f"per run, concurrency {CONCURRENCY}, {args.rounds} interleaved rounds (best shown), "
        "emulator limits off, logging INFO as JSON"
    )
    print(f"{'':14}{'sends/s':>10}{'p50 ms':>9}{'p99 ms':>9}{'failures':>10}")
    for r in (best_b, best_l):
        print(f"{r.name:14}{r.rate:10.0f}{r.p50:9.2f}{r.pct(0.99):9.2f}{r.failures:10d}")
    median_ratio = (
        sorted(x.rate for x in larks)[len(larks) // 2]
        / sorted(x.rate for x in bares)[len(bares) // 2]
    )
    print(f"ratio lark-async / bare aiohttp throughput: {best_l.rate / best_b.rate:.2f}")
    print(f"median-of-rounds ratio: {median_ratio:.2f}")
    print(
        f"messages stored by the last lark-async round: {stored} "
        f"(expected {args.sends} + 1 warm-up)"
    )

    if limited is not None and bare_limited is not None:
        seconds, summary, server, retries = limited
        print(
            f"\nmessaging part 2 (limits enforced: 50/s & 1000/min per app, 5/s per recipient): "
            f"send_to_many, default pacing, concurrency {CONCURRENCY}"
        )
        print(
            f"lark-async paced: {summary.get('sent', 0)} sent, {summary.get('failed', 0)} failed "
            f"in {seconds:.1f} s ({args.sends / seconds:.1f}/s)"
        )
        print(
            f"  emulator saw: 429 = {server['throttled_429']}, 230020 = "
            f"{server['frequency_230020']}, send requests = {server['send_requests']}; "
            f"client retries = {retries}"
        )
        contrast, bare_server = bare_limited
        print(
            f"bare aiohttp (no pacing), same sends: {contrast.calls - contrast.failures} ok, "
            f"{contrast.failures} refused; emulator saw 429 = {bare_server['throttled_429']}, "
            f"230020 = {bare_server['frequency_230020']}"
        )
    print(f"log lines written: {sum(1 for _ in log_path.open())}")


if __name__ == "__main__":
    asyncio.run(main())
