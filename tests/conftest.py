"""Shared fixtures: real PostgreSQL and RabbitMQ on 127.0.0.1.

Outside CI a missing server skips the tests that need it, with the reason.
Under CI=true they run and fail: a green CI must mean they really ran.
"""

from __future__ import annotations

import os
import socket
import uuid
from collections.abc import AsyncIterator

import pytest

PG_DSN = os.environ.get("LARK_ASYNC_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
RABBIT_URL = os.environ.get("LARK_ASYNC_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1.0):
            return True
    except OSError:
        return False


def require_server(name: str, port: int) -> None:
    if _port_open("127.0.0.1", port):
        return
    msg = f"{name} is not listening on 127.0.0.1:{port}"
    if IN_CI:
        pytest.fail(f"{msg} (CI=true: tests that need it must run)")
    pytest.skip(f"{msg}; start it (see DEVELOPERS.md) to run this test")


@pytest.fixture
def pg_dsn() -> str:
    require_server("PostgreSQL", 5432)
    return PG_DSN


@pytest.fixture
async def pg_schema(pg_dsn: str) -> AsyncIterator[str]:
    """A fresh schema for one test, dropped afterwards."""
    import asyncpg

    schema = f"lark_test_{uuid.uuid4().hex[:12]}"
    conn = await asyncpg.connect(pg_dsn)
    try:
        await conn.execute(f'CREATE SCHEMA "{schema}"')
        yield schema
    finally:
        await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
        await conn.close()


@pytest.fixture
def amqp_url() -> str:
    require_server("RabbitMQ", 5672)
    return RABBIT_URL


@pytest.fixture
def secret_key() -> str:
    from cryptography.fernet import Fernet

    key = Fernet.generate_key().decode()
    KNOWN_SECRETS.add(key)
    return key


# --- every log line of the suite, for the secret scan -------------------------
class LogTee:
    """A text stream that appends to the suite log and to any open per-test buffers."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.listeners: list[list[str]] = []
        self._pending = ""

    def write(self, text: str) -> int:
        self._pending += text
        *complete, self._pending = self._pending.split("\n")
        for line in complete:
            if not line:
                continue
            self.lines.append(line)
            for buf in self.listeners:
                buf.append(line)
        return len(text)

    def flush(self) -> None:
        pass


SUITE_LOG = LogTee()
# Secret values used anywhere in the suite; tests and fixtures add theirs.
KNOWN_SECRETS: set[str] = set()


@pytest.fixture(autouse=True)
def _lark_logs_to_suite_log() -> None:
    """Route lark-async logs (DEBUG and up, JSON) into the suite log for every test."""
    import logging

    from lark_async.core.logging import configure_logging

    configure_logging("DEBUG", "json", stream=SUITE_LOG)
    # The emulator (logger lark_async.testing) logs each request it serves at DEBUG:
    # test chatter, not the library's lines, so kept out of log_lines.
    logging.getLogger("lark_async.testing").setLevel(logging.INFO)


@pytest.fixture
def log_lines() -> list[str]:
    """The lark-async log lines written during this test."""
    buf: list[str] = []
    SUITE_LOG.listeners.append(buf)
    yield buf  # type: ignore[misc]
    SUITE_LOG.listeners.remove(buf)


@pytest.fixture
def remember_secret():  # type: ignore[no-untyped-def]
    """Register a secret value so the final scan checks no log ever contained it."""

    def add(value: str) -> str:
        KNOWN_SECRETS.add(value)
        return value

    return add


# Every token the emulator issues: t-/a-/u- plus 40 url-safe characters.
TOKEN_SHAPE = r"\b[tau]-[A-Za-z0-9_\-]{30,}"


def find_leaks(lines: list[str]) -> list[str]:
    """Lines of the suite log that contain a known secret or a token-shaped value."""
    import re

    from lark_async.testing import DEFAULT_APP_SECRET
    from tests import helpers

    secrets = set(KNOWN_SECRETS) | {DEFAULT_APP_SECRET, helpers.APP_SECRET}
    token_re = re.compile(TOKEN_SHAPE)
    leaks = []
    for line in lines:
        if token_re.search(line) or any(s in line for s in secrets):
            leaks.append(line[:300])
    return leaks


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """Fail the run if any log line of any test leaked a secret or token."""
    leaks = find_leaks(SUITE_LOG.lines)
    if leaks:
        print(f"\n{len(leaks)} log line(s) leaked a secret or token, e.g.:\n{leaks[0]}")
        session.exitstatus = 1
