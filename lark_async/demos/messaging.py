"""The messaging part of ``make demo``: every message type, uploads, a card and a fan-out.

``demo(fake, lark, console)`` runs against a started emulator and a client
pointed at it, prints what happens, and returns summary rows for the demo's
summary table.
"""

from __future__ import annotations

import struct
from typing import Any

from rich.console import Console
from rich.table import Table

from lark_async.messaging.cards import (
    Button,
    ButtonRow,
    Card,
    Form,
    Header,
    Input,
    Markdown,
    Note,
    Select,
)
from lark_async.messaging.content import MessageContent
from lark_async.messaging.post import At, Link, RichText, Text
from lark_async.messaging.service import Messaging
from lark_async.messaging.text import bold, link, mention
from lark_async.testing import ImEmulator

# Small but well-formed media, so the demo needs no files on disk.
_PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 64
_PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n"


def _mp4(duration_ms: int) -> bytes:
    def box(kind: bytes, payload: bytes) -> bytes:
        return struct.pack(">I", 8 + len(payload)) + kind + payload

    mvhd = box(b"mvhd", b"\x00" * 4 + struct.pack(">IIII", 0, 0, 1000, duration_ms) + b"\x00" * 80)
    return box(b"ftyp", b"isom\x00\x00\x02\x00isommp41") + box(b"moov", mvhd)


def _opus(duration_ms: int) -> bytes:
    def page(granule: int, payload: bytes, flags: int, seq: int) -> bytes:
        header = b"OggS\x00" + bytes([flags]) + struct.pack("<qIII", granule, 7, seq, 0)
        return header + bytes([1, len(payload)]) + payload

    head = b"OpusHead\x01\x01" + struct.pack("<HIhB", 312, 48000, 0, 0)
    return page(0, head, 2, 0) + page(312 + duration_ms * 48, b"\x00" * 32, 4, 1)


async def demo(fake: Any, lark: Any, console: Console) -> dict[str, str]:
    # The emulator's test-facing API seeds the users and chats a real tenant has.
    im = ImEmulator.of(fake)
    ann = im.add_user(name="Ann", email="ann@example.com")
    bob = im.add_user(name="Bob")
    chat = im.add_chat(name="release-train", members=[ann["open_id"], bob["open_id"]])
    messaging: Messaging = lark.messaging
    summary: dict[str, str] = {}
    rows: list[tuple[str, str, str]] = []

    def record(kind: str, resp: Any) -> None:
        ok = resp.ok
        detail = resp.data.message_id if ok else f"{resp.error.kind.value}: {resp.error.message}"
        rows.append((kind, "[green]sent[/]" if ok else "[red]failed[/]", detail))

    console.rule("[bold]messaging: every message type")
    text = f"{mention(ann['open_id'], 'Ann')} build {bold('#128')} passed: {link('logs', 'https://ci.example.com/128')}"
    record("text (mention, bold, link)", await messaging.send_text_message(ann["open_id"], text))
    record(
        "text to an e-mail", await messaging.send_text_message("ann@example.com", "hi by e-mail")
    )

    post = RichText("Release 1.4")
    post.paragraph("Shipped by ", At(bob["open_id"]), " ", Text("all green", style=["bold"]))
    post.paragraph(Link("changelog", "https://example.com/changes"))
    post.code_block("pip install -U app==1.4", language="shell")
    post.locale("en_us", "Release 1.4").paragraph("Shipped.")
    record("post (2 locales)", await messaging.send_rich_text_message(chat, post))

    image = await messaging.upload_image(_PNG, filename="chart.png")
    console.print(
        f"uploaded image -> [cyan]{image.data.image_key if image.data else image.error}[/]"
    )
    record("image (uploaded first)", await messaging.send_image_message(chat, _PNG))
    record("file (pdf detected)", await messaging.send_file_message(chat, _PDF, file_name="q3.pdf"))
    record("audio (opus, 2.5 s)", await messaging.send_audio_message(ann["open_id"], _opus(2500)))
    record("media (mp4 + cover)", await messaging.send_media_message(chat, _mp4(4000), cover=_PNG))
    record("sticker", await messaging.send_sticker_message(ann["open_id"], "file_v2_sticker_demo"))
    record("share_chat", await messaging.send_share_chat_message(ann["open_id"], chat))
    record("share_user", await messaging.send_share_user_message(chat, bob["open_id"]))

    card = Card(
        Markdown(f"**Leave request** from <at id={ann['open_id']}></at>: 2 days"),
        ButtonRow(
            Button("Approve", value={"action": "approve", "id": 42}, type="primary"),
            Button("Reject", value={"action": "reject", "id": 42}, type="danger"),
        ),
        Form(
            "comment",
            [
                Input("reason", placeholder="optional comment"),
                Select("days", [("1 day", "1"), ("2 days", "2")], initial="2"),
                Button("Send", name="send", form_action="submit"),
            ],
        ),
        Note("lark-async demo"),
        header=Header("Approval", template="blue"),
    )
    sent_card = await messaging.send_interactive_card(bob["open_id"], card)
    record("interactive card", sent_card)
    if sent_card.data is not None:
        updated = await messaging.update_card(
            sent_card.data.message_id,
            Card(Markdown("**Approved** ✅"), header=Header("Approval", template="green")),
        )
        rows.append(("card update (PATCH)", "[green]ok[/]" if updated.ok else "[red]failed[/]", ""))
    record(
        "system divider",
        await messaging.send_message(bob["open_id"], MessageContent.system_divider("新会话")),
    )

    table = Table("message", "result", "message_id / error")
    for row in rows:
        table.add_row(*row)
    console.print(table)
    sent = sum(1 for _, status, _ in rows if "failed" not in status)
    summary["message types"] = (
        f"{sent}/{len(rows)} sent (text, post, image, file, audio, media, card, ...)"
    )

    console.rule("[bold]messaging: one notice to 100 recipients (fan-out)")
    users = im.seed_users(97)
    gone = im.add_user(name="Resigned", reachable=False)["open_id"]
    audience = [*users, gone, "ou_does_not_exist", "not-an-id"]
    report = await messaging.send_to_many(
        audience, "Maintenance tonight 22:00-23:00", concurrency=20
    )
    results = Table("#", "recipient", "status", "message_id / error")
    for i, r in enumerate(report):
        if i < 3 or not r.ok:
            detail = r.message_id or ""
            if r.error is not None:
                code = f" {r.error.code}" if r.error.code is not None else ""
                detail = f"{r.error.kind.value}{code}: {r.error.hint}"
            colour = "green" if r.ok else "red"
            results.add_row(str(i), r.receiver[:24], f"[{colour}]{r.status}[/]", detail[:90])
    console.print(results)
    counts = report.summary()
    console.print(f"fan-out: {counts}")
    summary["fan-out (100)"] = (
        f"{counts['sent']} sent, {counts['failed']} failed, each with its typed error"
    )

    console.rule("[bold]messaging: batch_send to 450 open_ids (3 chunks of <= 200)")
    many = im.seed_users(448)
    batch = await messaging.batch_send(
        "Quarterly all-hands tomorrow", open_ids=[*many, "ou_ghost1", "ou_ghost2"]
    )
    for chunk in batch.chunks:
        console.print(f"  {chunk.message_id}: {chunk.recipients} ids, {chunk.invalid} invalid")
    console.print(f"invalid ids reported by Feishu: {batch.invalid_ids}")
    accepted, invalid = len(batch.sent), len(batch.invalid_ids)
    summary["batch_send (450)"] = (
        f"{len(batch.chunks)} requests, {accepted} accepted, {invalid} invalid"
    )
    return summary
