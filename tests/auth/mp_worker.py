"""One process of the multi-process single-flight test (run by test_multiprocess.py).

Prints "ready", waits for "go" on stdin so all processes start together, fires
N concurrent calls per app and prints a JSON summary. Optional ``lock_timeout``
and ``lock_lease`` set the token manager's cross-process lock settings.
"""

from __future__ import annotations

import asyncio
import json
import sys

from lark_async import LarkClient


async def main(args: dict[str, object]) -> None:
    lark = LarkClient(
        registry=str(args["registry"]),
        secret_key=str(args["secret_key"]),
        token_store=str(args["store"]),
        domain=str(args["url"]),
        client_rate_limit=False,
        lock_timeout=float(args.get("lock_timeout", 30.0)),  # type: ignore[arg-type]
    )
    if "lock_lease" in args:  # how long this process holds the token lock (inf: whole fetch)
        lark.tokens.lock_lease = float(args["lock_lease"])  # type: ignore[arg-type]
    apps = [str(a) for a in args["apps"]]  # type: ignore[attr-defined]
    calls = int(args["calls"])  # type: ignore[call-overload]
    async with lark:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        results = await asyncio.gather(
            *(
                lark.app(apps[i % len(apps)]).request("GET", "/open-apis/emulator/v1/echo")
                for i in range(calls)
            )
        )
    errors = [str(r.error) for r in results if not r.ok]
    print(json.dumps({"ok": sum(r.ok for r in results), "errors": errors[:3]}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
