"""Contact: 10,000 lookups over 1,000 people with Zipf-like popularity, and the cache.

The emulator runs in a child process with its rate limits off and 1,000 people
(``user{i}@bench.example.com``). One client (its clock simulated, so the 24 h
TTL can be crossed at once) makes 10,000 ``get_user_by_email`` lookups drawn
with popularity ~ 1 / rank^s (s = 1.1 by default: a few people are asked for
very often, most rarely), 20 at a time:

1. cold: an empty cache, the lookups fill it (SC-012 asks a hit rate >= 80%);
2. cached: the same 10,000 again, every person now fresh in the cache;
3. uncached: the same lookups with the TTL at 0, so each one asks Feishu
   (an id lookup and a detail read): the cost the cache saves;
4. after the TTL: the clock moves 25 h on and the 10,000 run once more: each
   person asked for is refreshed once (the refresh cost), then served cached.

``--store`` picks the cache's store (the client's ``token_store``): ``memory``
(default), ``sqlite`` (a temporary file) or a ``postgresql://`` URL (migrated
first).

    .venv/bin/python benchmarks/contact.py [--lookups 10000] [--people 1000] [--s 1.1]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from common import emulator_process, run_concurrent

from lark_async import LarkClient
from lark_async.contact import CacheStats
from lark_async.core.clock import FakeClock

if TYPE_CHECKING:
    from lark_async.testing import FakeLark

APP_ID, SECRET = "cli_bench000000014", "bench-secret-0014"
CONCURRENCY = 20


def email(i: int) -> str:
    return f"user{i}@bench.example.com"


# --------------------------------------------------------------------------- emulator side
def emulator_setup(fake: FakeLark, people: int) -> None:
    """Runs in the emulator process: the people to look up."""
    from lark_async.testing import ContactEmulator

    contact = ContactEmulator.of(fake)
    for i in range(people):
        contact.add_user(f"bench {i}", email=email(i), employee_no=f"B{i:06d}")


# --------------------------------------------------------------------------- client side
def zipf_plan(lookups: int, people: int, s: float, seed: int = 14) -> list[str]:
    rng = random.Random(seed)
    ranks = list(range(people))
    rng.shuffle(ranks)  # popularity is not the id order
    weights = [1.0 / (rank + 1) ** s for rank in range(people)]
    return [email(ranks[k]) for k in rng.choices(range(people), weights=weights, k=lookups)]


async def run(lark: LarkClient, plan: list[str], name: str) -> tuple[float, CacheStats, float]:
    contact = lark.contact
    before = contact.cache_stats()
    queue = iter(plan)

    async def one() -> bool:
        resp = await contact.get_user_by_email(next(queue))
        return resp.ok and resp.data is not None

    started = time.perf_counter()
    result = await run_concurrent(name, len(plan), CONCURRENCY, one)
    seconds = time.perf_counter() - started
    after = contact.cache_stats()
    delta = CacheStats(
        after.hits - before.hits,
        after.misses - before.misses,
        after.refreshed - before.refreshed,
        after.api_calls - before.api_calls,
    )
    assert result.failures == 0, f"{name}: {result.failures} lookups failed"
    return len(plan) / seconds, delta, result.pct(0.99)


async def store_url(kind: str) -> tuple[str | None, str | None]:
    """The client's token_store for ``kind``, and a Fernet key for it."""
    if kind == "memory":
        return None, None
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    if kind == "sqlite":
        return f"sqlite:///{Path(tempfile.mkdtemp()) / 'bench-contact.db'}", key
    from lark_async.auth.migrations import upgrade
    from lark_async.auth.stores.pg_connection import parse_postgres_url

    dsn, schema = parse_postgres_url(kind)
    await upgrade(dsn, schema or "public")
    return kind, key


async def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lookups", type=int, default=10_000)
    ap.add_argument("--people", type=int, default=1_000)
    ap.add_argument("--s", type=float, default=1.1, help="Zipf exponent")
    ap.add_argument("--store", default="memory", help="memory | sqlite | postgresql://...")
    args = ap.parse_args()
    plan = zipf_plan(args.lookups, args.people, args.s)
    distinct = len(set(plan))
    config: dict[str, object] = {
        "apps": {APP_ID: SECRET},
        "fake": {"enforce_rate_limits": False},
        "setup": "contact:emulator_setup",
        "setup_args": {"people": args.people},
    }
    url_kwargs: dict[str, Any] = {}
    token_store, key = await store_url(args.store)
    if token_store:
        url_kwargs = {"token_store": token_store, "secret_key": key}
    clock = FakeClock(start=time.time())
    rows: list[tuple[str, float, CacheStats, float]] = []
    async with (
        emulator_process(config) as url,
        LarkClient(
            APP_ID, SECRET, domain=url, clock=clock, client_rate_limit=False, **url_kwargs
        ) as lark,
    ):
        await lark.contact.invalidate()  # a store left over from an earlier run
        rows.append(("1 cold", *await run(lark, plan, "cold")))
        rows.append(("2 cached", *await run(lark, plan, "cached")))
        cache = lark.contact._cache  # bench-only: a TTL of 0 turns the cache off
        ttl, cache.ttl = cache.ttl, 0.0
        rows.append(("3 uncached", *await run(lark, plan, "uncached")))
        cache.ttl = ttl
        await run(lark, plan, "refill")  # (uncached lookups refreshed every row)
        clock.advance(25 * 3600)
        rows.append(("4 after TTL", *await run(lark, plan, "after TTL")))

    print(
        f"\ncontact: {args.lookups:,} get_user_by_email lookups over {args.people:,} people "
        f"(Zipf s={args.s}: {distinct} distinct asked), concurrency {CONCURRENCY}, "
        f"store {args.store}, emulator in its own process"
    )
    print(
        f"{'run':14}{'lookups/s':>11}{'p99 ms':>9}{'hit rate':>10}{'hits':>8}{'misses':>8}"
        f"{'refreshed':>11}{'API calls':>11}"
    )
    for name, rate, st, p99 in rows:
        print(
            f"{name:14}{rate:11.0f}{p99:9.2f}{st.hit_rate:10.1%}{st.hits:8d}{st.misses:8d}"
            f"{st.refreshed:11d}{st.api_calls:11d}"
        )
    cold, cached, uncached = rows[0][1], rows[1][1], rows[2][1]
    print(
        f"SC-012 (cold run hit rate >= 80%): {'met' if rows[0][2].hit_rate >= 0.8 else 'NOT met'}"
    )
    print(f"cached vs uncached lookups/s: {cached / uncached:.1f}x; cold run {cold:.0f}/s")
    print(
        f"refresh cost after the TTL: {rows[3][2].api_calls} API calls for "
        f"{rows[3][2].refreshed} refreshed people ({args.lookups:,} lookups)"
    )


if __name__ == "__main__":
    asyncio.run(main())
