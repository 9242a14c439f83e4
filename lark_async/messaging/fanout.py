"""Fan-out: one message to many recipients, one send each, bounded concurrency.

Each recipient gets its own send (any message type), spaced per recipient (see
:mod:`pacing`) and within the app's IM limits (the client's rate limiter), with
a uuid so retries never deliver twice.
A failure is that recipient's result, never an exception; results come back in
input order. ``receivers`` may be any iterable (a generator over a million
ids is read lazily, one item per free worker).
"""

from __future__ import annotations

import asyncio
import hashlib
import uuid as uuidlib
from collections.abc import Awaitable, Callable, Iterable, Mapping

from lark_async.core.checks import has_surrogates
from lark_async.core.errors import InvalidParameter, LarkError
from lark_async.core.response import LarkResponse
from lark_async.messaging._checks import invalid
from lark_async.messaging.models import Message
from lark_async.messaging.receivers import ReceiveIdType, Receiver, resolve_receiver
from lark_async.messaging.results import RecipientResult, SendReport

SendOne = Callable[[Receiver, str], Awaitable[LarkResponse[Message]]]
MAX_CONCURRENCY = 500


def new_uuid() -> str:
    """A fresh IM uuid (32 hex characters; Feishu allows 50)."""
    return uuidlib.uuid4().hex


def derived_uuid(dedupe_key: str, receiver: Receiver) -> str:
    """A stable uuid per (job, recipient): rerunning the job within an hour sends nothing twice."""
    raw = f"{dedupe_key}\x00{receiver.id_type}\x00{receiver.id}".encode()
    return hashlib.sha256(raw).hexdigest()[:32]


async def fan_out(
    receivers: Iterable[str | Receiver],
    send_one: SendOne,
    *,
    receive_id_type: ReceiveIdType | None,
    concurrency: int,
    dedupe_key: str | None,
    on_result: Callable[[RecipientResult], None] | None,
) -> SendReport:
    if isinstance(receivers, str | Receiver):
        raise invalid(
            "receivers",
            "is a single recipient",
            "pass a list (or any iterable) of recipients, e.g. [receive_id]",
        )
    if isinstance(receivers, bytes | bytearray | Mapping) or not isinstance(receivers, Iterable):
        raise invalid(
            "receivers",
            f"must be an iterable of recipients, got {type(receivers).__name__}",
            "pass a list (or any iterable) of recipients, e.g. [receive_id]",
        )
    if (
        isinstance(concurrency, bool)
        or not isinstance(concurrency, int)
        or not 1 <= concurrency <= MAX_CONCURRENCY
    ):
        raise invalid(
            "concurrency", f"{concurrency!r:.40} is out of range", f"use 1..{MAX_CONCURRENCY}"
        )
    if dedupe_key is not None and (
        not isinstance(dedupe_key, str) or not dedupe_key or has_surrogates(dedupe_key)
    ):
        raise invalid("dedupe_key", "must be a non-empty string of valid text", "e.g. a job id")
    items = enumerate(iter(receivers))
    results: dict[int, RecipientResult] = {}

    async def one(raw: str | Receiver) -> RecipientResult:
        label = raw.id if isinstance(raw, Receiver) else str(raw)
        try:
            receiver = resolve_receiver(raw, receive_id_type)
        except InvalidParameter as err:
            return RecipientResult(label, receive_id_type, error=err)
        msg_uuid = derived_uuid(dedupe_key, receiver) if dedupe_key else new_uuid()
        try:
            resp = await send_one(receiver, msg_uuid)
        except LarkError as err:  # e.g. the client was closed under us
            return RecipientResult(label, receiver.id_type, error=err, uuid=msg_uuid)
        if resp.ok and resp.data is not None:
            return RecipientResult(
                label, receiver.id_type, message_id=resp.data.message_id, uuid=msg_uuid
            )
        return RecipientResult(label, receiver.id_type, error=resp.error, uuid=msg_uuid)

    async def worker() -> None:
        # Workers share one iterator: next() is synchronous, so no two run it at once.
        for index, raw in items:
            result = await one(raw)
            results[index] = result
            if on_result is not None:
                on_result(result)

    async with asyncio.TaskGroup() as group:
        for _ in range(concurrency):
            group.create_task(worker())
    return SendReport([results[i] for i in range(len(results))])
