"""Nothing is imported on the event loop's thread while the first call runs.

An import inside a running loop stalls every other task on it (aiohttp alone
takes 0.2-0.6 s in a fresh process). The client loads what its calls need when
it is built; this runs in a fresh process, with the emulator in another one,
so nothing is preloaded by the test itself.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path

from tests.helpers import APP_ID, APP_SECRET

ROOT = Path(__file__).resolve().parents[1]

SCRIPT = textwrap.dedent(
    """
    import asyncio, json, sys, threading

    URL, APP_ID, APP_SECRET = sys.argv[1], sys.argv[2], sys.argv[3]
    recorded = []
    recording = False
    loop_thread = threading.get_ident()

    class Recorder:
        # Asked first for every module not yet imported; records and passes on.
        def find_spec(self, name, path=None, target=None):
            if recording and threading.get_ident() == loop_thread:
                if asyncio._get_running_loop() is not None:
                    recorded.append(name)
            return None

    sys.meta_path.insert(0, Recorder())

    from lark_async import LarkClient

    async def main():
        global recording
        async with LarkClient(APP_ID, APP_SECRET, domain=URL) as lark:
            messaging = lark.messaging  # the service module loads on first access
            chat = "oc_" + "a" * 32
            recording = True
            resp = await messaging.send_text_message(chat, "hello")
            first = await lark.request("GET", "/open-apis/emulator/v1/echo")
            recording = False
            calls = list(recorded)
            recording = True
            import colorsys  # the recorder's own check: this one must be seen
            recording = False
            print(json.dumps({"imports": calls, "check": recorded[len(calls):],
                              "ok": [resp.ok, first.ok], "code": resp.code}))

    asyncio.run(main())
    """
)


def test_first_send_imports_nothing_on_the_loop() -> None:
    config = {"apps": {APP_ID: APP_SECRET}}
    server = subprocess.Popen(
        [sys.executable, "-m", "lark_async.testing", json.dumps(config)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        cwd=ROOT,
    )
    try:
        assert server.stdout is not None
        url = server.stdout.readline().strip()
        assert url.startswith("http://"), url
        out = subprocess.run(
            [sys.executable, "-c", SCRIPT, url, APP_ID, APP_SECRET],
            capture_output=True,
            text=True,
            timeout=120,
            cwd=ROOT,
            check=False,
        )
    finally:
        assert server.stdin is not None
        server.stdin.close()
        server.wait(30)
    assert out.returncode == 0, out.stderr
    result = json.loads(out.stdout.strip().splitlines()[-1])
    assert result["check"] == ["colorsys"], result
    assert result["imports"] == [], result["imports"]
    # The send went all the way through the pipeline and got Feishu's answer
    # (an unknown chat in a fresh emulator: a typed NotFound, not a crash).
    assert result["ok"][1] and result["code"] != -1, result
