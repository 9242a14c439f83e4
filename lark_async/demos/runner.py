"""``make demo``: the foundation, then every service, against the emulator; a summary.

The foundation runs on simulated time (:mod:`lark_async.demos.foundation`); the
service demos share one real-time emulator, since rate-limit windows need real
time. Logs go to ``lark-async.log`` in the work directory (``LARK_ASYNC_DEMO_DIR``,
default a fresh temporary directory) as JSON lines; the console shows the story.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lark_async.client import LarkClient
from lark_async.core.logging import configure_logging
from lark_async.demos import (
    apaas,
    bitable,
    callbacks,
    contact,
    docs,
    foundation,
    messaging,
    sheets,
    user_auth,
)
from lark_async.testing import FakeLark, ImEmulator

ServiceDemo = Callable[[FakeLark, LarkClient, Console], Awaitable[dict[str, str]]]


async def _callbacks(fake: FakeLark, lark: LarkClient, console: Console) -> dict[str, str]:
    chat_id = ImEmulator.of(fake).add_chat(name="报销审批群")
    return await callbacks.demo(fake, lark, console, chat_id=chat_id)


# (title, demo), in the order ``make demo`` runs them after the foundation.
SERVICE_DEMOS: list[tuple[str, ServiceDemo]] = [
    (
        "messaging: every message type, uploads, a card, a 100-recipient batch",
        messaging.demo,
    ),
    ("callbacks: a signed card click turns 审批中 into 已通过", _callbacks),
    ("bitable: import 10,000 rows and query them back", bitable.demo),
    ("sheets: write, read, format", sheets.demo),
    ("docs: a document of 200 blocks, an image, a 21 MB file, sharing", docs.demo),
    ("contact: people by email, the per-app cache, chats, departments", contact.demo),
    ("user_auth: a card, the user approves, calls as the user, revoked", user_auth.demo),
    ("apaas: workspace tables as a user, a conflict, a workflow, an Aily skill", apaas.demo),
]


async def run(workdir: Path, console: Console | None = None) -> dict[str, str]:
    """Every demo in turn; returns the summary rows (step -> result)."""
    console = console or Console()
    # Logs as JSON lines in a file; the demo prints its own narrative.
    log_path = workdir / "lark-async.log"
    with log_path.open("w") as log_file:
        configure_logging("INFO", "json", stream=log_file)
        summary = await foundation.demo(workdir, console)
        summary.update(await run_services(console))
    with log_path.open() as written:
        summary["log"] = f"{sum(1 for _ in written)} JSON lines in {log_path}"
    return summary


async def run_services(console: Console, first_step: int = 8) -> dict[str, str]:
    """The service demos, against a real-time emulator (rate-limit windows need real time)."""
    summary: dict[str, str] = {}
    async with FakeLark() as fake:
        fake.add_app(foundation.APP_ID, foundation.APP_SECRET)
        async with LarkClient(foundation.APP_ID, foundation.APP_SECRET, domain=fake.url) as lark:
            for step, (title, demo) in enumerate(SERVICE_DEMOS, start=first_step):
                console.rule(f"[bold]{step}. {title}")
                summary.update(await demo(fake, lark, console))
    return summary


def main() -> None:
    workdir = Path(os.environ.get("LARK_ASYNC_DEMO_DIR") or tempfile.mkdtemp(prefix="lark-demo-"))
    workdir.mkdir(parents=True, exist_ok=True)
    console = Console()
    summary = asyncio.run(run(workdir, console))
    table = Table(title="lark-async demo summary")
    table.add_column("step")
    table.add_column("result")
    for k, v in summary.items():
        table.add_row(k, v)
    console.print(table)


__all__ = ["SERVICE_DEMOS", "main", "run", "run_services"]
