"""A RabbitMQ outage in the log: one JSON line per state change, no aiormq tracebacks."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Iterator

import pytest

from lark_async.callbacks import RabbitBroker
from lark_async.callbacks.amqp_logs import AMQP_LOGGERS, OutageLog, quiet_amqp_loggers

from .conftest import TcpProxy

Make = Callable[..., RabbitBroker]


@pytest.fixture
def library_levels() -> Iterator[None]:
    """Put the aiormq / aio_pika logger levels back as they were."""
    before = {name: logging.getLogger(name).level for name in AMQP_LOGGERS}
    yield
    for name, level in before.items():
        logging.getLogger(name).setLevel(level)


def test_quieting_leaves_a_level_the_application_set(library_levels: None) -> None:
    logging.getLogger("aiormq").setLevel(logging.NOTSET)
    logging.getLogger("aio_pika").setLevel(logging.INFO)  # the application wants these
    quiet_amqp_loggers()
    assert logging.getLogger("aiormq").level == logging.CRITICAL
    assert logging.getLogger("aio_pika").level == logging.INFO
    assert logging.getLogger("aiormq.connection").getEffectiveLevel() == logging.CRITICAL


def test_outage_log_logs_the_first_failure_of_a_broker_never_up() -> None:
    log = OutageLog()
    assert [log.should_log("connect", 0) for _ in range(3)] == [True, False, False]
    log.up()  # connected; from now on a loss is logged as rabbitmq_lost
    assert not log.should_log("connect", 1)
    assert log.take_suppressed("connect") == 3 and log.take_suppressed("connect") == 0


async def _until(condition: Callable[[], bool], timeout: float) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while not condition():
        assert loop.time() < deadline, "timed out"
        await asyncio.sleep(0.02)


def _events(log_lines: list[str]) -> list[str]:
    return [
        json.loads(line)["event"]
        for line in log_lines
        if "lark.callback.rabbitmq" in line and line.startswith("{")
    ]


@pytest.mark.rabbitmq
async def test_an_outage_is_one_line_down_and_one_line_up(
    rabbit_names: Make,
    amqp_port: int,
    caplog: pytest.LogCaptureFixture,
    log_lines: list[str],
    library_levels: None,
) -> None:
    for name in AMQP_LOGGERS:  # as in a fresh process
        logging.getLogger(name).setLevel(logging.NOTSET)
    caplog.set_level(logging.DEBUG)
    proxy = TcpProxy(amqp_port)
    proxy.reserve()  # a dead port: RabbitMQ is "down" at start
    broker = rabbit_names(proxy.url, reconnect_interval=0.02, start_timeout=0.2)
    await broker.start()
    assert not broker.available
    await _until(lambda: broker._log_limit.suppressed >= 5, 10)  # retried, quietly
    await proxy.start()
    await _until(lambda: broker.available, 10)
    await proxy.stop()  # an outage: the connection drops, reconnects fail
    await _until(lambda: not broker.available, 10)
    failed = broker._log_limit.suppressed
    await _until(lambda: broker._log_limit.suppressed >= failed + 5, 10)
    await proxy.start()
    await _until(lambda: broker.available, 10)
    await broker.close()
    await proxy.stop()
    assert _events(log_lines) == [
        "lark.callback.rabbitmq_unavailable",  # down at start (with the error)
        "lark.callback.rabbitmq_connected",
        "lark.callback.rabbitmq_lost",
        "lark.callback.rabbitmq_connected",
    ]
    library = [r for r in caplog.records if r.name.split(".")[0] in AMQP_LOGGERS]
    assert library == [], [f"{r.name}: {r.getMessage()[:100]}" for r in library[:3]]
    assert not [r for r in caplog.records if r.exc_info or r.exc_text]
