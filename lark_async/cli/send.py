"""``lark-async send``: send a text, a card or a file to a user or a chat.

    lark-async send ou_xxx --text "deploy done"
    lark-async send ann@example.com --card card.json
    lark-async send oc_xxx --file report.pdf
    lark-async send 1a2b3c4d --id-type user_id --text hi

The app comes from ``LARK_ASYNC_*`` variables (see ``LarkClient.from_env``), like
the other commands; ``--domain`` points at another base URL (the emulator's).
Everything given is checked before the first request; the message id is printed
on stdout (``--json``: the whole message).
"""

from __future__ import annotations

import json
import sys
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer

from lark_async.cli import app_handle, client_from_env, run, speaking_cli
from lark_async.core.errors import InvalidParameter

if TYPE_CHECKING:
    from lark_async.messaging import Message

send_app = typer.Typer(
    name="send",
    add_completion=False,
    pretty_exceptions_show_locals=False,
)


class IdType(StrEnum):
    open_id = "open_id"
    union_id = "union_id"
    user_id = "user_id"
    email = "email"
    chat_id = "chat_id"


# The library's argument names, as this command spells them.
NAMES = {
    "receive_id": "TO",
    "receive_id_type": "--id-type",
    "id_type": "--id-type",
    "text": "--text",
    "card": "--card",
    "file": "--file",
    "image": "--image",
    "file_name": "--file-name",
    "uuid": "--uuid",
}


@send_app.command("send")
def send(
    to: Annotated[
        str,
        typer.Argument(
            metavar="TO",
            help="Who gets it: an open_id (ou_...), union_id (on_...), chat_id (oc_...), "
            "an e-mail address, or a user_id with --id-type user_id.",
        ),
    ],
    text: Annotated[
        str | None,
        typer.Option("--text", "-t", metavar="TEXT", help="Send this text ('-': read stdin)."),
    ] = None,
    card: Annotated[
        Path | None,
        typer.Option("--card", metavar="FILE.json", help="Send the card JSON in this file."),
    ] = None,
    file: Annotated[
        Path | None,
        typer.Option("--file", "-f", metavar="PATH", help="Upload this file and send it."),
    ] = None,
    image: Annotated[
        Path | None,
        typer.Option("--image", metavar="PATH", help="Upload this image and send it."),
    ] = None,
    id_type: Annotated[
        IdType | None,
        typer.Option("--id-type", help="What TO is (default: from its shape)."),
    ] = None,
    uuid: Annotated[
        str | None,
        typer.Option(
            "--uuid",
            metavar="KEY",
            help="Deduplication key: the same KEY within an hour sends once.",
        ),
    ] = None,
    domain: Annotated[
        str | None,
        typer.Option(
            "--domain", metavar="URL", help="Base URL (default: LARK_ASYNC_DOMAIN or Feishu)."
        ),
    ] = None,
    app_id: Annotated[
        str | None,
        typer.Option("--app-id", metavar="APP_ID", help="Which registered app sends it."),
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the sent message as JSON.")
    ] = False,
) -> None:
    """Send a text (--text), a card (--card) or a file (--file / --image) to TO."""
    with speaking_cli(NAMES):
        content = _content(text, card, file, image)
        receive_id_type = id_type.value if id_type else None
        _check_receiver(to, receive_id_type)
        message = run(_send(to, receive_id_type, content, uuid, domain, app_id))
    if as_json:
        typer.echo(json.dumps(message.model_dump(mode="json"), ensure_ascii=False))
    else:
        typer.echo(message.message_id)


def _content(
    text: str | None, card: Path | None, file: Path | None, image: Path | None
) -> tuple[str, Any]:
    """What to send, checked here: exactly one kind, files readable, card JSON parsed."""
    given = [(k, v) for k, v in (("text", text), ("card", card), ("file", file), ("image", image))]
    chosen = [(k, v) for k, v in given if v is not None]
    if len(chosen) != 1:
        raise InvalidParameter(
            "give exactly one of --text, --card, --file, --image"
            + (f" (got {', '.join('--' + k for k, _ in chosen)})" if chosen else ""),
            hint='e.g. lark-async send ou_xxx --text "hello"',
        )
    kind, value = chosen[0]
    if kind == "text":
        assert isinstance(value, str)
        return kind, sys.stdin.read() if value == "-" else value
    assert isinstance(value, Path)
    if not value.is_file():
        raise InvalidParameter(f"--{kind}: no such file: {value}", hint="check the path")
    if kind == "card":
        try:
            data = json.loads(value.read_text(encoding="utf-8"))
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise InvalidParameter(
                f"--card: {value} is not JSON ({exc})",
                hint="the file holds a card's JSON, as built in the card builder",
            ) from None
        if not isinstance(data, dict):
            raise InvalidParameter(
                f"--card: {value} holds a JSON {type(data).__name__}, not an object",
                hint="a card is a JSON object",
            )
        from lark_async.messaging import MessageContent

        MessageContent.card(data)  # structure and size, before any request
        return kind, data
    return kind, value


def _check_receiver(to: str, receive_id_type: str | None) -> None:
    from lark_async.messaging import resolve_receiver

    try:
        resolve_receiver(to, receive_id_type)
    except InvalidParameter as err:
        if receive_id_type is None:
            err.hint = (
                "TO is an ou_/on_/oc_ id or an e-mail address; for a user_id add --id-type user_id"
            )
        raise


async def _send(
    to: str,
    receive_id_type: str | None,
    content: tuple[str, Any],
    uuid: str | None,
    domain: str | None,
    app_id: str | None,
) -> Message:
    kind, value = content
    lark = client_from_env(domain, quiet=True, app_id=app_id)
    async with lark:
        messaging = app_handle(lark, app_id).messaging
        options: dict[str, Any] = {"receive_id_type": receive_id_type, "uuid": uuid}
        if kind == "text":
            resp = await messaging.send_text_message(to, value, **options)
        elif kind == "card":
            resp = await messaging.send_interactive_card(to, value, **options)
        elif kind == "image":
            resp = await messaging.send_image_message(to, value, **options)
        else:
            resp = await messaging.send_file_message(to, value, **options)
        return resp.unwrap()
