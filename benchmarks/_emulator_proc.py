"""Run the emulator in its own process for benchmarks; prints its URL, stops when stdin closes."""

from __future__ import annotations

import asyncio
import json
import sys

from lark_async.testing import FakeLark


async def main(config: dict[str, object]) -> None:
    kwargs = dict(config.get("fake", {}))  # type: ignore[call-overload]
    async with FakeLark(**kwargs) as fake:
        for app_id, secret in dict(config.get("apps", {})).items():  # type: ignore[call-overload]
            fake.add_app(app_id, secret)
        print(fake.url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")))
