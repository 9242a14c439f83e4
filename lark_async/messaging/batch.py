"""Legacy ``message/v4/batch_send`` for large audiences (Feishu IM docs).

One request carries up to 200 ids per list (open_ids, user_ids, union_ids,
department_ids); longer lists are cut into chunks. Feishu reports invalid ids
per request while the valid ones still get the message. batch_send has no
idempotency key, so a chunk whose answer is lost is *not* resent: its ids come
back failed with ``OutcomeUnknown`` (check them before sending again).
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from typing import Any

from lark_async.core.errors import ErrorKind, LarkError, NotFound
from lark_async.core.response import LarkResponse
from lark_async.messaging._checks import invalid, require_token
from lark_async.messaging.models import BatchSendData
from lark_async.messaging.results import BatchChunk, BatchSendReport, RecipientResult

BATCH_PATH = "/open-apis/message/v4/batch_send/"
CHUNK = 200
# request field -> (result receive_id_type, required id prefix)
ID_LISTS: dict[str, tuple[str, str]] = {
    "open_ids": ("open_id", "ou_"),
    "user_ids": ("user_id", ""),
    "union_ids": ("union_id", "on_"),
    "department_ids": ("department_id", ""),
}

PostChunk = Callable[[dict[str, Any]], Awaitable[LarkResponse[BatchSendData]]]


def clean_ids(lists: Mapping[str, Iterable[str] | None]) -> dict[str, list[str]]:
    """Each list validated and de-duplicated (order kept), so nobody gets it twice."""
    out: dict[str, list[str]] = {}
    for name, (_, prefix) in ID_LISTS.items():
        raw = lists.get(name)
        if raw is None:
            raw = ()
        if isinstance(raw, str):
            raise invalid(name, "is a single string", f"pass a list: {name}=[...]")
        if isinstance(raw, bytes | bytearray | Mapping) or not isinstance(raw, Iterable):
            raise invalid(
                name, f"must be a list of ids, got {type(raw).__name__}", f"pass {name}=[...]"
            )
        seen: dict[str, None] = {}
        for value in raw:
            require_token(name, value, prefix=prefix, example=f"{prefix or 'id'}...")
            if name == "department_ids" and value == "0":
                raise invalid(
                    name,
                    "contains the root department 0",
                    "batch_send refuses the root; list the top-level departments instead",
                )
            seen[value] = None
        out[name] = list(seen)
    if not any(out.values()):
        raise invalid(
            "recipients",
            "no ids given",
            "pass open_ids, user_ids, union_ids and/or department_ids",
        )
    return out


def chunk_bodies(base: Mapping[str, Any], ids: Mapping[str, Sequence[str]]) -> list[dict[str, Any]]:
    count = max(math.ceil(len(v) / CHUNK) for v in ids.values())
    bodies = []
    for i in range(count):
        body = dict(base)
        for name, values in ids.items():
            part = values[i * CHUNK : (i + 1) * CHUNK]
            if part:
                body[name] = list(part)
        bodies.append(body)
    return bodies


async def run_batches(
    bodies: list[dict[str, Any]], post: PostChunk, *, concurrency: int
) -> BatchSendReport:
    semaphore = asyncio.Semaphore(concurrency)

    async def one(body: dict[str, Any]) -> tuple[BatchChunk, list[RecipientResult]]:
        async with semaphore:
            resp = await post(body)
        return _chunk_results(body, resp)

    outcomes = await asyncio.gather(*(one(b) for b in bodies))
    chunks = [c for c, _ in outcomes]
    # results in the order the ids were given: list by list, chunk by chunk
    by_list: dict[str, list[RecipientResult]] = {name: [] for name in ID_LISTS}
    for _, results in outcomes:
        for r in results:
            by_list[_list_of(r)].append(r)
    ordered = [r for name in ID_LISTS for r in by_list[name]]
    return BatchSendReport(ordered, chunks=chunks)


def _list_of(result: RecipientResult) -> str:
    for name, (id_type, _) in ID_LISTS.items():
        if id_type == result.receive_id_type:
            return name
    raise AssertionError(result.receive_id_type)  # pragma: no cover


def _chunk_results(
    body: Mapping[str, Any], resp: LarkResponse[BatchSendData]
) -> tuple[BatchChunk, list[RecipientResult]]:
    results: list[RecipientResult] = []
    total = sum(len(body.get(name, ())) for name in ID_LISTS)
    if not resp.ok or resp.data is None:
        error = resp.error or LarkError("batch_send failed", kind=ErrorKind.UNKNOWN)
        for name, (id_type, _) in ID_LISTS.items():
            results += [RecipientResult(i, id_type, error=error) for i in body.get(name, ())]
        return BatchChunk(None, total, 0, error, resp.request_id), results
    data = resp.data
    invalid_count = 0
    for name, (id_type, _) in ID_LISTS.items():
        rejected = set(getattr(data, f"invalid_{name}"))
        for value in body.get(name, ()):
            if value in rejected:
                invalid_count += 1
                results.append(RecipientResult(value, id_type, error=_rejected(value, id_type)))
            else:
                results.append(RecipientResult(value, id_type, message_id=data.message_id))
    return BatchChunk(data.message_id, total, invalid_count, None, resp.request_id), results


def _rejected(value: str, id_type: str) -> NotFound:
    return NotFound(
        f"batch_send reported {id_type} {value[:60]} as invalid",
        hint="the id does not exist, is outside the app's availability, or (open_id) belongs "
        "to another app",
        details={"reported_invalid": True},
    )
