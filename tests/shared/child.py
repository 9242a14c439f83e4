"""One process of a multi-process run: bulk-writes rows to tables, prints a JSON summary.

    python tests/shared/child.py URL STORE APP_ID SECRET APP_TOKEN TABLES ROWS CHUNK SHARED RATE

Prints ``ready`` once its client has a token, waits for a line on stdin (so all
processes start together), then writes ``ROWS`` rows to each of ``TABLES``
(comma-separated) in chunks of ``CHUNK`` and prints one JSON line.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time

from lark_async import LarkClient


async def main(argv: list[str]) -> None:
    url, store, app_id, secret, app_token, tables, rows, chunk, shared, rate = argv
    async with LarkClient(
        app_id,
        secret,
        domain=url,
        token_store=store,
        shared_limits=shared == "1",
        rate_limits={"bitable.write": [(float(rate), 1.0)]},
        log_level="ERROR",
    ) as lark:
        await lark._tokens.token(
            app_id, "tenant_access_token"
        )  # warm: the run measures writes only
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        start = time.time()
        reports = await asyncio.gather(
            *(
                lark.bitable.bulk_create(
                    app_token,
                    table,
                    [{"Key": f"{table}-{id(lark)}-{i}"} for i in range(int(rows))],
                    chunk_size=int(chunk),
                    validate=False,
                )
                for table in tables.split(",")
            )
        )
        end = time.time()
        limiter = lark._transport.limiter
        print(
            json.dumps(
                {
                    "start": start,
                    "end": end,
                    "calls": sum(r.calls for r in reports),
                    "written": sum(r.written for r in reports),
                    "conflicts": sum(r.conflicts for r in reports),
                    "rate_limited": sum(r.rate_limited for r in reports),
                    "failed": sum(r.failed_count for r in reports),
                    "leases": getattr(limiter, "leases", None),
                }
            ),
            flush=True,
        )


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1:]))
