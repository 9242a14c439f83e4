"""Runs last: no log line written by the whole suite holds a secret or a token.

The suite logs at DEBUG into one buffer (tests/conftest.py). Every app secret,
Fernet key and emulator-issued token shape is searched for. conftest's
``pytest_sessionfinish`` repeats the check, so a run that skips this file
still fails on a leak.
"""

from __future__ import annotations

import re

from lark_async.core.logging import REDACTED
from tests.conftest import SUITE_LOG, TOKEN_SHAPE, find_leaks


def test_the_suite_logged_plenty() -> None:
    # Guards against a vacuous pass: the scan must have real material.
    assert len(SUITE_LOG.lines) > 50


def test_no_secret_or_token_in_any_log_line() -> None:
    leaks = find_leaks(SUITE_LOG.lines)
    assert not leaks, f"{len(leaks)} leaking log line(s), first: {leaks[0]}"


def test_the_scanner_would_catch_a_leak() -> None:
    token = "t-" + "A" * 40
    assert re.search(TOKEN_SHAPE, f'{{"event": "x", "v": "{token}"}}')
    assert find_leaks([f"secret is {token}"])
    assert not find_leaks([f'{{"authorization": "{REDACTED}"}}'])
