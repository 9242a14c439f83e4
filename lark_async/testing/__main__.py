"""Run the emulator in a process of its own: ``python -m lark_async.testing [CONFIG]``.

Prints its URL on the first line of stdout and serves until stdin closes, so a
test or benchmark can measure the client without the server sharing its loop.

CONFIG (JSON): ``fake`` (FakeLark keyword arguments), ``apps`` ({app_id: secret}),
and optionally ``setup`` ("module:function", importable from the working
directory) with ``setup_args``: called as ``function(fake, **setup_args)`` after
the apps are added and before the URL is printed, to seed data or add routes.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import sys

from lark_async.testing import FakeLark


async def main(config: dict[str, object]) -> None:
    kwargs = dict(config.get("fake", {}))  # type: ignore[call-overload]
    async with FakeLark(**kwargs) as fake:
        for app_id, secret in dict(config.get("apps", {})).items():  # type: ignore[call-overload]
            fake.add_app(app_id, secret)
        setup = config.get("setup")
        if isinstance(setup, str):
            module_name, _, func_name = setup.partition(":")
            func = getattr(importlib.import_module(module_name), func_name)
            func(fake, **dict(config.get("setup_args", {})))  # type: ignore[call-overload]
        print(fake.url, flush=True)
        await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")))
