"""Appending blocks and reading them back (CONTRACT §6.4-§6.6)."""

from __future__ import annotations

from typing import Any

import pytest

from lark_async.core.errors import Conflict, ErrorKind
from lark_async.docs import (
    Bullet,
    Callout,
    Code,
    Divider,
    Heading,
    Ordered,
    Quote,
    Table,
    Text,
    Todo,
    bold,
    equation,
    link,
    mention_user,
)
from lark_async.docs.blocks import BlockLike
from tests.docs.conftest import Env

CHILDREN = "POST /open-apis/docx/v1/documents/{document_id}/blocks/{block_id}/children"


def mixed(count: int) -> list[tuple[BlockLike, int, str]]:
    """(block, expected block_type, expected text), cycling through every kind."""
    out: list[tuple[BlockLike, int, str]] = []
    for i in range(count):
        kind = i % 10
        if kind == 0:
            out.append((Text(f"p{i} ", bold("b"), link("l", "https://e.x/?q=1")), 2, f"p{i} bl"))
        elif kind == 1:
            level = i % 9 + 1
            out.append((Heading(level, f"h{i}"), 2 + level, f"h{i}"))
        elif kind == 2:
            out.append((Bullet(f"b{i}"), 12, f"b{i}"))
        elif kind == 3:
            out.append((Ordered(f"o{i}"), 13, f"o{i}"))
        elif kind == 4:
            out.append((Todo(f"t{i}", done=i % 2 == 0), 17, f"t{i}"))
        elif kind == 5:
            out.append((Code(f"x = {i}", language="Python"), 14, f"x = {i}"))
        elif kind == 6:
            out.append((Quote(f"q{i}"), 15, f"q{i}"))
        elif kind == 7:
            out.append((Divider(), 22, ""))
        elif kind == 8:
            out.append(
                (
                    Text("see ", mention_user("ou_abc"), " ", equation("E=mc^2")),
                    2,
                    "see @ou_abc E=mc^2",
                )
            )
        else:
            out.append(
                (
                    {"block_type": 2, "text": {"elements": [{"text_run": {"content": f"raw{i}"}}]}},
                    2,
                    f"raw{i}",
                )
            )
    return out


async def test_600_mixed_blocks_round_trip_in_order(env: Env) -> None:
    plan = mixed(600)
    resp = await env.lark.docs.append_content(env.doc_id, [b for b, _, _ in plan])
    result = resp.unwrap()
    assert len(result.block_ids) == 600 and result.created == 600
    assert result.calls == 12  # 50 per call

    content = (await env.lark.docs.get_document_content(env.doc_id)).unwrap()
    assert content.root.block_id == env.doc_id
    body = list(content.body())
    assert [b.block_id for b in body] == result.block_ids
    assert [(b.block_type, b.text) for b in body] == [(t, s) for _, t, s in plan]
    assert content.root.children == result.block_ids
    # streamed the same way, a page (500) at a time
    streamed = [b.block_id async for b in env.lark.docs.iter_blocks(env.doc_id)]
    assert streamed == [b.block_id for b in content.blocks]
    reads = [e for e in env.fake.journal if e.path.endswith("/blocks") and e.method == "GET"]
    assert len(reads) == 4  # two pages, twice


async def test_nested_children_tables_and_callouts(env: Env) -> None:
    blocks: list[BlockLike] = [
        Bullet("top", children=[Bullet("nested", children=[Text("deep")])]),
        Table([["a", "b"], [None, [Text("c"), Divider()]]], header_row=True),
        Callout("inside", Text("second")),
    ]
    (await env.lark.docs.append_content(env.doc_id, blocks)).unwrap()
    content = (await env.lark.docs.get_document_content(env.doc_id)).unwrap()
    kinds = [(b.kind, b.text) for b in content.body()]
    assert kinds == [
        ("bullet", "top"),
        ("bullet", "nested"),
        ("text", "deep"),
        ("table", ""),
        ("table_cell", ""),
        ("text", "a"),
        ("table_cell", ""),
        ("text", "b"),
        ("table_cell", ""),
        ("text", ""),  # an empty cell keeps Feishu's empty paragraph
        ("table_cell", ""),
        ("text", "c"),
        ("divider", ""),
        ("callout", ""),
        ("text", "inside"),
        ("text", "second"),
    ]
    assert "deep" in (await env.lark.docs.get_raw_text(env.doc_id)).unwrap()


async def test_a_lost_answer_does_not_duplicate_blocks(env: Env) -> None:
    # the first create is applied, then its answer is lost; the retry carries the same token
    env.fake.faults.drop(CHILDREN, times=1, after_processing=True)
    resp = await env.lark.docs.append_content(env.doc_id, [Text(f"line {i}") for i in range(70)])
    result = resp.unwrap()
    assert resp.attempts >= 1
    assert env.docs.texts(env.doc_id) == [f"line {i}" for i in range(70)]
    assert len(result.block_ids) == 70
    posts = [e for e in env.fake.journal if e.method == "POST" and e.path.endswith("/children")]
    assert len(posts) == 3  # 50 (lost, resent with its client_token) + 20
    assert posts[0].query["client_token"] == posts[1].query["client_token"]
    assert env.docs.block_writes == 2


async def test_insert_at_an_index_keeps_order(env: Env) -> None:
    (await env.lark.docs.append_content(env.doc_id, ["a", "d"])).unwrap()
    (await env.lark.docs.append_content(env.doc_id, ["b", "c"], index=1)).unwrap()
    assert env.docs.texts(env.doc_id) == ["a", "b", "c", "d"]


async def test_resource_caps_split_calls(env: Env) -> None:
    # 250 user mentions: at most 200 per request (1770035), so two calls
    blocks = [Text(mention_user("ou_u"), mention_user("ou_v")) for _ in range(125)]
    chunks: list[Any] = []
    result = (await env.lark.docs.append_content(env.doc_id, blocks)).unwrap()
    chunks = [
        len(e.json["children"])
        for e in env.fake.journal
        if e.method == "POST" and e.path.endswith("/children")
    ]
    assert sum(chunks) == 125 and result.created == 125
    assert all(n <= 50 for n in chunks)


async def test_update_block_and_batch_update(env: Env) -> None:
    made = (await env.lark.docs.append_content(env.doc_id, ["one", "two", "three"])).unwrap()
    a, b, c = made.block_ids
    upd = (await env.lark.docs.update_block(env.doc_id, a, "ONE")).unwrap()
    assert upd.blocks[0].text == "ONE" and upd.document_revision_id
    batch = await env.lark.docs.batch_update_blocks(env.doc_id, {b: "TWO", c: [bold("3")]})
    assert [x.text for x in batch.unwrap().blocks] == ["TWO", "3"]
    assert env.docs.texts(env.doc_id) == ["ONE", "TWO", "3"]


async def test_revision_too_old_is_a_conflict_with_a_hint(env: Env) -> None:
    made = (await env.lark.docs.append_content(env.doc_id, ["x"])).unwrap()
    env.docs.bump_revision(env.doc_id, 1500)
    resp = await env.lark.docs.update_block(
        env.doc_id, made.block_ids[0], "y", document_revision_id=2
    )
    assert resp.error is not None and resp.error.kind is ErrorKind.CONFLICT
    assert isinstance(resp.error, Conflict) and resp.code == 1770021
    assert "-1" in (resp.error.hint or "")


async def test_per_document_edit_limit_is_respected(env: Env) -> None:
    """Writes to one document are paced 3/s by the client, so the 429 never comes."""
    env.fake.rate_limits.set("docx.write", None)  # leave only the per-document limit
    start = env.clock.time()
    for i in range(8):
        (await env.lark.docs.update_block(env.doc_id, env.doc_id, f"title {i}")).unwrap()
    page = env.docs.blocks(env.doc_id)[0]["page"]
    assert page["elements"][0]["text_run"]["content"] == "title 7"
    assert not any(e.status == 429 for e in env.fake.journal)
    assert env.clock.time() - start >= 7 / 3


async def test_the_emulator_answers_429_past_3_edits_per_document(env: Env) -> None:
    env.fake.rate_limits.set("docx.write", None)
    path = f"/open-apis/docx/v1/documents/{env.doc_id}/blocks/{env.doc_id}"
    body = {"update_text_elements": {"elements": [{"text_run": {"content": "t"}}]}}
    answers = [await env.lark.request("PATCH", path, json=body, max_retries=0) for _ in range(4)]
    assert [a.ok for a in answers] == [True, True, True, False]
    assert answers[3].http_status == 429


@pytest.mark.parametrize(
    ("kwargs", "arg"),
    [
        ({"document_id": "doc/../x"}, "document_id"),
        ({"document_id": ""}, "document_id"),
        ({"parent_block_id": "a b"}, "parent_block_id"),
        ({"index": -2}, "index"),
    ],
)
async def test_bad_ids_are_refused_before_sending(
    env: Env, kwargs: dict[str, Any], arg: str
) -> None:
    from lark_async.core.errors import InvalidParameter

    call: dict[str, Any] = {"document_id": env.doc_id, **kwargs}
    before = len(env.fake.journal)
    with pytest.raises(InvalidParameter, match=arg):
        await env.lark.docs.append_content(call.pop("document_id"), ["x"], **call)
    assert len(env.fake.journal) == before


async def test_images_split_by_the_per_request_cap(env: Env) -> None:
    from lark_async.docs import Image

    png = b"\x89PNG\r\n\x1a\n" + bytes(16)
    result = (
        await env.lark.docs.append_content(env.doc_id, [Image(png) for _ in range(25)])
    ).unwrap()
    sizes = [
        len(e.json["children"])
        for e in env.fake.journal
        if e.method == "POST" and e.path.endswith("/children")
    ]
    assert sizes == [20, 5]  # at most 20 images per request (1770035)
    assert len(result.file_tokens) == 25
    tokens = [b["image"]["token"] for b in env.docs.blocks(env.doc_id)[1:]]
    assert tokens == result.file_tokens


async def test_a_failure_partway_says_what_was_created(env: Env) -> None:
    # the second call holds a block Feishu cannot create (1770029): the first 50 stay
    blocks: list[BlockLike] = [Text(f"{i}") for i in range(60)]
    blocks.append({"block_type": 1, "page": {}})
    resp = await env.lark.docs.append_content(env.doc_id, blocks)
    assert resp.error is not None and resp.code == 1770029
    assert resp.error.details["created"] == 50 and resp.error.details["calls"] == 2
    assert env.docs.texts(env.doc_id) == [f"{i}" for i in range(50)]


async def test_upload_from_a_file_object(env: Env) -> None:
    import io

    fh = io.BytesIO(b"xx" + b"\x89PNG\r\n\x1a\n" + bytes(8))
    fh.seek(2)  # from the current position on
    up = (await env.lark.docs.upload_doc_media(env.doc_id, fh, file_name="p.png")).unwrap()
    assert env.docs.media_bytes(up.file_token) == fh.getvalue()[2:]
    assert not fh.closed
