"""Pages: follows page_token, one page at a time, and refuses a looping server."""

from __future__ import annotations

import uuid
from typing import Any

import pytest

from lark_async.bitable import Pages, RecordPage
from lark_async.core.errors import LarkError, ServerError
from lark_async.core.response import LarkResponse
from lark_async.services import catalog

build_error = catalog().codes.build_error  # the client's table: Bitable's codes included


def page(items: list[int], more: bool, token: str | None) -> LarkResponse[RecordPage]:
    data = RecordPage(
        items=[{"record_id": f"rec{i}", "fields": {"n": i}} for i in items],  # type: ignore[misc]
        has_more=more,
        page_token=token,
        total=None,
    )
    return LarkResponse(ok=True, code=0, msg="ok", request_id=uuid.uuid4().hex, data=data)


def server(answers: dict[str | None, LarkResponse[Any]]) -> tuple[list[str | None], Any]:
    asked: list[str | None] = []

    async def fetch(token: str | None) -> LarkResponse[Any]:
        asked.append(token)
        return answers[token]

    return asked, fetch


async def test_follows_tokens_to_the_last_page() -> None:
    asked, fetch = server(
        {None: page([1, 2], True, "a"), "a": page([3], True, "b"), "b": page([4], False, None)}
    )
    records = [r.fields["n"] async for r in Pages(fetch)]
    assert records == [1, 2, 3, 4] and asked == [None, "a", "b"]


async def test_by_page_and_max_items() -> None:
    _, fetch = server({None: page([1, 2], True, "a"), "a": page([3, 4], False, None)})
    pages = [p async for p in Pages(fetch).by_page()]
    assert [len(p.items) for p in pages] == [2, 2] and [p.number for p in pages] == [1, 2]
    asked, fetch = server({None: page([1, 2], True, "a"), "a": page([3, 4], False, None)})
    assert len(await Pages(fetch, max_items=2).to_list()) == 2
    assert asked == [None]  # stopped without asking for page 2
    _, fetch = server({None: page([], False, None)})
    assert await Pages(fetch).first() is None


async def test_a_repeated_token_is_refused() -> None:
    _, fetch = server({None: page([1], True, "a"), "a": page([2], True, "a")})
    with pytest.raises(ServerError, match="repeated page token"):
        await Pages(fetch).to_list()
    _, fetch = server(
        {None: page([1], True, "a"), "a": page([2], True, "b"), "b": page([3], True, "a")}
    )
    with pytest.raises(ServerError, match="repeated page token"):
        await Pages(fetch).to_list()


async def test_has_more_without_a_token_is_refused() -> None:
    _, fetch = server({None: page([1], True, None)})
    with pytest.raises(ServerError, match="gave no page_token") as exc:
        await Pages(fetch).to_list()
    assert exc.value.request_id


async def test_a_failed_page_raises_its_typed_error() -> None:
    failure = LarkResponse.failure(
        build_error(1254041, "TableIdNotFound", http_status=200), request_id="req-1"
    )
    _, fetch = server({None: page([1], True, "a"), "a": failure})
    got: list[int] = []
    with pytest.raises(LarkError) as exc:
        async for r in Pages(fetch):
            got.append(r.fields["n"])
    assert got == [1] and exc.value.code == 1254041 and exc.value.request_id == "req-1"
