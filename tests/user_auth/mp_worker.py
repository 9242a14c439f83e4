"""One process of the multi-process user-token test (run by test_stores.py).

Prints "ready", waits for "go" on stdin so all processes start together, makes
N concurrent calls as the user and prints a JSON summary.
"""

from __future__ import annotations

import asyncio
import json
import sys

from lark_async import LarkClient


async def main(args: dict[str, str | int]) -> None:
    lark = LarkClient(
        app_id=str(args["app_id"]),
        app_secret=str(args["app_secret"]),
        secret_key=str(args["secret_key"]),
        token_store=str(args["store"]),
        domain=str(args["url"]),
        client_rate_limit=False,
    )
    async with lark:
        print("ready", flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)
        results = await asyncio.gather(
            *(
                lark.request("GET", "/open-apis/emulator/v1/echo", as_user=str(args["user"]))
                for _ in range(int(args["calls"]))
            )
        )
    errors = [str(r.error) for r in results if not r.ok]
    print(json.dumps({"ok": sum(r.ok for r in results), "errors": errors[:3]}), flush=True)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1])))
