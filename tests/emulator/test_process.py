"""``python -m lark_async.testing``: the emulator in a process of its own."""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import urllib.request

import pytest


def _start(stdin: int) -> tuple[subprocess.Popen[str], str]:
    config = {"apps": {"cli_process0000001": "process-secret"}}
    proc = subprocess.Popen(
        [sys.executable, "-m", "lark_async.testing", json.dumps(config)],
        stdin=stdin,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    return proc, proc.stdout.readline().strip()


def _token_fetch(url: str) -> int:
    body = json.dumps({"app_id": "cli_process0000001", "app_secret": "process-secret"}).encode()
    request = urllib.request.Request(
        f"{url}/open-apis/auth/v3/tenant_access_token/internal",
        data=body,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as answer:
        return int(json.load(answer)["code"])


def test_with_stdin_from_dev_null_it_serves_until_sigterm() -> None:
    # `python -m lark_async.testing ... &` in a script, nohup, a container: stdin is
    # /dev/null. It used to read EOF at once and exit right after printing its URL.
    proc, url = _start(subprocess.DEVNULL)
    try:
        assert url.startswith("http://127.0.0.1:")
        with pytest.raises(subprocess.TimeoutExpired):
            proc.wait(timeout=1.5)  # still up on its own
        assert _token_fetch(url) == 0
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


def test_with_stdin_a_pipe_it_stops_when_the_pipe_closes() -> None:
    proc, url = _start(subprocess.PIPE)
    try:
        assert _token_fetch(url) == 0
        assert proc.stdin is not None
        proc.stdin.close()
        assert proc.wait(timeout=20) == 0
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
