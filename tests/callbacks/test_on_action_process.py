"""A card sent with ``on_action=`` in this process is handled by a worker in another one.

This process holds the emulator, the client that sends the card, and the HTTP
ingress (no handlers: it only verifies and queues). The click, built by the
emulator from the stored card's button value, is signed and posted to the ingress,
queued through RabbitMQ, and run by ``lark-async worker`` in a child process, which
knows the handler only by the name it was registered under.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import signal
import sys
import textwrap
import uuid
from pathlib import Path
from typing import Any

import aio_pika
import pytest

from lark_async import LarkClient
from lark_async.callbacks import Callbacks, RabbitBroker
from lark_async.core.actions import CARD_ACTION_KEY
from lark_async.messaging import Button, ButtonRow, Card, Markdown
from lark_async.testing import FakeLark
from lark_async.testing.callbacks import click_button, stored_card, subscribe
from lark_async.testing.im import ImEmulator

from .conftest import APP, EK, KEYS, OPEN_ID, VT, serve

APP_SECRET = "cb-test-app-secret-0001"

HANDLERS = textwrap.dedent(
    """
    import json
    import os
    from pathlib import Path

    from lark_async.callbacks import CallbackRouter

    router = CallbackRouter()
    OUT = Path(__file__).with_name("handled.jsonl")

    @router.card_action("expense.review")
    async def review(event):
        line = {
            "pid": os.getpid(),
            "name": event.action_name,
            "value": event.action.value,
            "message_id": event.message_id,
            "operator": event.operator_id,
        }
        with OUT.open("a") as f:
            f.write(json.dumps(line) + "\\n")
    """
)


async def _spawn_worker(project: Path, module: str, amqp_url: str, queue: str) -> Any:
    env = {k: v for k, v in os.environ.items() if not k.startswith("LARK_ASYNC_")}
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lark_async.cli.main",
        "worker",
        "--amqp",
        amqp_url,
        "--queue",
        queue,
        "--handlers",
        f"{module}:router",
        cwd=str(project),
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _wait_until_consuming(proc: Any) -> None:
    while True:
        line = await asyncio.wait_for(proc.stdout.readline(), 30)
        if not line:
            raise AssertionError("the worker exited before consuming")
        if b"consuming" in line:
            return


async def _handled(path: Path, timeout: float = 30.0) -> list[dict[str, Any]]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if path.exists() and (lines := path.read_text().splitlines()):
            return [json.loads(line) for line in lines]
        await asyncio.sleep(0.05)
    raise AssertionError(f"the worker handled nothing within {timeout} s")


async def _delete(amqp_url: str, queues: set[str], exchange: str) -> None:
    connection = await aio_pika.connect(amqp_url)
    async with connection:
        channel = await connection.channel()
        for name in queues:
            with contextlib.suppress(Exception):
                await channel.queue_delete(name)
        with contextlib.suppress(Exception):
            await channel.exchange_delete(exchange)


@pytest.mark.rabbitmq
async def test_clicks_reach_the_named_handler_in_a_worker_process(
    tmp_path: Path, amqp_url: str
) -> None:
    module = f"cb_named_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(HANDLERS)
    queue = f"lark.test.{uuid.uuid4().hex[:12]}"
    proc = await _spawn_worker(tmp_path, module, amqp_url, queue)
    callbacks: Callbacks | None = None
    try:
        await _wait_until_consuming(proc)
        async with FakeLark() as fake:
            fake.add_app(APP, APP_SECRET)
            im = ImEmulator.of(fake)
            chat_id = im.add_chat(name="expenses")
            async with LarkClient(
                APP, APP_SECRET, domain=fake.url, client_rate_limit=False
            ) as lark:
                # the HTTP side only: no handlers here, it verifies and queues
                callbacks = Callbacks(
                    KEYS, amqp_url=amqp_url, queue=queue, spool=tmp_path / "spool.sqlite3"
                )
                async with serve(callbacks.web_app(worker=False)) as base:
                    subscribe(
                        fake,
                        APP,
                        cards_url=f"{base}/lark/{APP}/cards",
                        encrypt_key=EK,
                        verification_token=VT,
                    )
                    card = Card(
                        Markdown("**Expense** 42: 120 CNY"),
                        ButtonRow(
                            Button("Approve", value={"action": "approve", "id": 42}),
                            Button("Reject", value={"action": "reject", "id": 42}),
                        ),
                    )
                    sent = await lark.messaging.send_interactive_card(
                        chat_id, card, on_action="expense.review"
                    )
                    assert sent.ok and sent.data is not None
                    message_id = sent.data.message_id
                    stamped = json.dumps(stored_card(fake, message_id))
                    assert f'"{CARD_ACTION_KEY}": "expense.review"' in stamped

                    delivery = await click_button(
                        fake, APP, message_id=message_id, open_id=OPEN_ID, button="Reject"
                    )
                    assert (delivery.status, delivery.body) == (200, {})
                    assert callbacks.ingress is not None
                    assert callbacks.ingress.stats.published == 1

                    [handled] = await _handled(tmp_path / "handled.jsonl")
    finally:
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 30)
        queues = {queue, f"{queue}.dead"}
        if callbacks is not None and isinstance(callbacks.broker, RabbitBroker):
            queues.update(callbacks.broker.declared_queues())
        await _delete(amqp_url, queues, queue)
    assert proc.returncode == 0, err.decode()
    assert handled["pid"] != os.getpid() and handled["pid"] == proc.pid
    assert handled["name"] == "expense.review"
    assert handled["value"] == {"action": "reject", "id": 42}  # the reserved key stripped
    assert (handled["message_id"], handled["operator"]) == (message_id, OPEN_ID)
    assert EK.encode() not in err and VT.encode() not in err
