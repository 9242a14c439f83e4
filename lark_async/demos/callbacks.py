"""`make demo`, card callbacks: a click turns "审批中" into "已通过" against the emulator.

The caller hands over a running emulator (``fake``), a client on it (``lark``) and a
rich console. The demo sends an approval card, serves the callback app (embedded
in-process queue) on 127.0.0.1, has the emulator deliver a signed, encrypted click
to it exactly as Feishu would, and shows the card after the handler's update. It
drives the emulator over HTTP (its emulator-only ``/open-apis/emulator/v1/callbacks``
routes), as a test in another process would.
"""

from __future__ import annotations

import json
import secrets
from typing import Any, Protocol

import aiohttp
from aiohttp import web

from lark_async.callbacks.app import Callbacks
from lark_async.callbacks.events import CallbackEvent
from lark_async.callbacks.keys import AppKeys
from lark_async.callbacks.replies import CardUpdate
from lark_async.client import LarkClient

EMULATOR = "/open-apis/emulator/v1/callbacks"
MESSAGES = "/open-apis/im/v1/messages"
APPROVER = "ou_" + "d" * 32


class _App(Protocol):
    @property
    def app_id(self) -> str: ...


DemoClient = LarkClient  # what the demo drives


def approval_card(state: str, applicant: str = "张三", amount: str = "¥1,280.00") -> dict[str, Any]:
    """A shared (``update_multi``) JSON 1.0 card; only its state line changes."""
    done = state != "审批中"
    elements: list[dict[str, Any]] = [
        {"tag": "div", "text": {"tag": "lark_md", "content": f"**状态：{state}**"}},
        {
            "tag": "div",
            "text": {"tag": "lark_md", "content": f"申请人：{applicant}\n金额：{amount}"},
        },
    ]
    if not done:
        elements.append(
            {
                "tag": "action",
                "actions": [
                    {
                        "tag": "button",
                        "text": {"tag": "plain_text", "content": "通过"},
                        "type": "primary",
                        "value": {"action": "approve", "request": "EXP-1024"},
                    }
                ],
            }
        )
    return {
        "config": {"update_multi": True},
        "header": {
            "title": {"tag": "plain_text", "content": "报销审批"},
            "template": "green" if done else "orange",
        },
        "elements": elements,
    }


def _state_of(content: str) -> str:
    card = json.loads(content)
    line = str(card["elements"][0]["text"]["content"])
    return line.removeprefix("**状态：").removesuffix("**")


async def demo(fake: Any, lark: DemoClient, console: Any, *, chat_id: str) -> dict[str, str]:
    """Run the card-callback demo; returns summary rows (step -> result).

    ``chat_id``: a chat the app's bot is in (the caller seeds it in the emulator).
    """
    console.rule("[bold]card callbacks: click → verify → queue → handler → card update")
    app_id = lark.default_app.app_id
    encrypt_key, token = secrets.token_urlsafe(24), secrets.token_urlsafe(24)

    key = secrets.token_hex(16)  # IM's uuid: a retried send can't post the card twice
    sent = await lark.request(
        "POST",
        MESSAGES,
        params={"receive_id_type": "chat_id"},
        json={
            "receive_id": chat_id,
            "msg_type": "interactive",
            "content": json.dumps(approval_card("审批中"), ensure_ascii=False),
            "uuid": key,
        },
        idempotency_key=key,
    )
    message_id = str(sent.unwrap()["message_id"])
    console.print(f"approval card sent: {message_id} shows [yellow]审批中[/]")

    callbacks = Callbacks({app_id: AppKeys(encrypt_key, token)}, lark=lark, answer_grace=0.0)
    handled: list[CallbackEvent] = []

    @callbacks.card_action("approve")
    async def approve(event: CallbackEvent) -> CardUpdate:
        handled.append(event)
        return CardUpdate(approval_card("已通过"))

    runner = web.AppRunner(callbacks.web_app(), access_log=None)
    await runner.setup()
    summary: dict[str, str] = {}
    try:
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        cards_url = f"http://{host}:{port}/lark/{app_id}/cards"
        console.print(f"callback app listening on [cyan]{cards_url}[/]")
        subscribed = await lark.request(
            "POST",
            f"{EMULATOR}/subscription",
            json={"cards_url": cards_url, "encrypt_key": encrypt_key, "verification_token": token},
        )
        subscribed.unwrap()

        forged_headers = {
            "X-Lark-Request-Timestamp": "0",
            "X-Lark-Request-Nonce": "n",
            "X-Lark-Signature": "0" * 64,
        }
        async with (
            aiohttp.ClientSession() as http,
            http.post(cards_url, data=b'{"encrypt": "forged"}', headers=forged_headers) as forged,
        ):
            forged_status = forged.status
        console.print(f"a forged click is refused: HTTP {forged_status}")
        summary["forged callback"] = f"rejected, HTTP {forged_status} (nothing queued)"

        clicked = await lark.request(
            "POST",
            f"{EMULATOR}/card_action",
            json={"message_id": message_id, "open_id": APPROVER, "value": {"action": "approve"}},
        )
        answer = clicked.unwrap()
        console.print(
            f"user clicks 通过: Feishu posts a signed, encrypted callback; "
            f"answer HTTP {answer['status']} {answer['body']}"
        )
        await callbacks.drain()
        got = await lark.request("GET", f"{MESSAGES}/{message_id}")
        state = _state_of(str(got.unwrap()["items"][0]["body"]["content"]))
        console.print(f"after the handler: the card shows [green]{state}[/]")
        summary["card callback"] = (
            f"审批中 → {state} (verified, queued, handled {len(handled)}×, "
            "updated with the card token)"
        )
        summary["callback answer"] = f"HTTP {answer['status']} within Feishu's 3 s"
    finally:
        await runner.cleanup()
    return summary
