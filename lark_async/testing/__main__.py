"""Run the emulator in a process of its own: ``python -m lark_async.testing [CONFIG]``.

Prints its URL on the first line of stdout. With stdin a pipe it serves until the
pipe closes, so a test or benchmark that started it cannot leave it behind; with
stdin a terminal or /dev/null (run by hand, with ``&``, under nohup) it serves until
Ctrl-C or SIGTERM.

CONFIG (JSON): ``fake`` (FakeLark keyword arguments), ``apps`` ({app_id: secret}),
and optionally ``setup`` ("module:function", importable from the working
directory) with ``setup_args``: called as ``function(fake, **setup_args)`` after
the apps are added and before the URL is printed, to seed data or add routes.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib
import json
import os
import signal
import stat
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
        await _until_done()


def _stdin_is_a_pipe() -> bool:
    try:
        mode = os.fstat(sys.stdin.fileno()).st_mode
    except (OSError, ValueError, AttributeError):  # closed or replaced stdin
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def _until_done() -> None:
    loop = asyncio.get_running_loop()
    if _stdin_is_a_pipe():
        await loop.run_in_executor(None, sys.stdin.read)
        return
    # A terminal or /dev/null: reading it would end at once (/dev/null) or stop a
    # background job (SIGTTIN). Serve until told to stop instead.
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError):  # Windows
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


if __name__ == "__main__":
    asyncio.run(main(json.loads(sys.argv[1] if len(sys.argv) > 1 else "{}")))
