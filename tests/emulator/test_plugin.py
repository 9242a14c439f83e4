"""The pytest plugin's fake_lark fixture, in auto mode here and strict mode in a subprocess."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import aiohttp

from lark_async.testing import DEFAULT_APP_ID, DEFAULT_APP_SECRET, FakeLark
from tests.emulator.helpers import ECHO, call, tenant_token


async def test_fixture_has_the_default_app(
    fake_lark: FakeLark, session: aiohttp.ClientSession
) -> None:
    assert fake_lark.app_id == DEFAULT_APP_ID == FakeLark.DEFAULT_APP_ID == "cli_test0000000001"
    assert fake_lark.app_secret == DEFAULT_APP_SECRET == "test-app-secret-0001"
    token = await tenant_token(session, fake_lark, fake_lark.app_id, fake_lark.app_secret)
    assert (await call(session, fake_lark, "GET", ECHO, token=token))[0] == 200


def test_fixture_works_in_strict_mode(tmp_path: Path) -> None:
    (tmp_path / "test_strict.py").write_text(
        textwrap.dedent(
            """
            import pytest

            @pytest.mark.asyncio
            async def test_it(fake_lark):
                assert fake_lark.url.startswith("http://127.0.0.1:")
                assert fake_lark.app_id == "cli_test0000000001"
            """
        )
    )
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    result = subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--asyncio-mode=strict"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed" in result.stdout
