"""RabbitBroker without a RabbitMQ: cancels that land as it comes up, malformed URLs.

On 3.11, ``asyncio.wait_for`` returns the inner result when the cancel arrives in
the same loop turn as the awaited event: the caller's cancel is lost and a
shutdown waits on. The broker waits with ``asyncio.timeout`` instead.
"""

from __future__ import annotations

import asyncio

import pytest

from lark_async.callbacks import Callbacks, RabbitBroker
from lark_async.core.errors import ConfigError

DEAD_URL = "amqp://guest:guest@127.0.0.1:1/"


async def _cancel_as_ready_is_set(broker: RabbitBroker, task: asyncio.Task[object]) -> None:
    for _ in range(5):  # let the task reach its wait
        await asyncio.sleep(0)
    assert broker._ready is not None
    broker._ready.set()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_wait_available_cancelled_as_the_broker_becomes_ready_raises() -> None:
    broker = RabbitBroker(DEAD_URL)
    broker._ready = asyncio.Event()
    task: asyncio.Task[object] = asyncio.create_task(broker.wait_available(30.0))
    await _cancel_as_ready_is_set(broker, task)


async def test_start_cancelled_as_the_broker_becomes_ready_raises(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    broker = RabbitBroker(DEAD_URL, start_timeout=30.0)
    never = asyncio.Event()

    async def supervise() -> None:  # stands in for the connection loop
        await never.wait()

    monkeypatch.setattr(broker, "_supervise", supervise)
    task: asyncio.Task[object] = asyncio.create_task(broker.start())
    try:
        await _cancel_as_ready_is_set(broker, task)
    finally:
        await broker.close()


@pytest.mark.parametrize(
    "url",
    [
        "amqp://u:hunter2@127.0.0.1:99999/",
        "amqp://u:hunter2@127.0.0.1:port/",
        "amqp://u:hunter2@[::1/",
    ],
)
def test_a_malformed_url_is_refused_at_once_not_retried_forever(url: str) -> None:
    with pytest.raises(ConfigError, match="malformed") as caught:
        RabbitBroker(url)
    assert "hunter2" not in str(caught.value)
    with pytest.raises(ConfigError, match="malformed"):
        Callbacks(amqp_url=url)
