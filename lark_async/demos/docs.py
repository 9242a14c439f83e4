"""The docs part of ``make demo``: a document built, read back, illustrated and shared.

Creates a document, appends 200 mixed blocks (headings, paragraphs with
styles and links, nested lists, code, a table) in calls of at most 50 — the
answer to the first call is lost once, and its retry (same ``client_token``)
creates nothing twice — reads the tree back, uploads an image and a 21 MB file
(multipart, 4 MB parts), downloads the file again, and grants, lists and
revokes a collaborator.

The demo runner passes the emulator (``fake``), a client pointed at it
(``lark``) and a rich console.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path
from typing import Any

from lark_async.docs import Bullet, Code, Heading, Table, Text, bold, link
from lark_async.docs.blocks import BlockLike

BLOCKS = 200
BIG_FILE = 21 * 1024 * 1024
PNG = b"\x89PNG\r\n\x1a\n" + bytes(256)
CHILDREN = "POST /open-apis/docx/v1/documents/{document_id}/blocks/{block_id}/children"


def _blocks(count: int) -> list[BlockLike]:
    out: list[BlockLike] = [Heading(1, "lark-async demo: weekly notes")]
    i = 0
    while len(out) < count - 1:
        i += 1
        out.append(Heading(2, f"Section {i}"))
        out.append(
            Text("Status: ", bold("on track"), ", see ", link("the board", "https://example.com"))
        )
        # nested items take a follow-up call each (3 calls/s): one section has them
        nested = [Bullet(f"detail {i}.1.a")] if i == 1 else None
        out.append(Bullet(f"item {i}.1", children=nested))
        out.append(Code(f"print('section {i}')", language="Python"))
    out = out[: count - 1]
    out.append(Table([["metric", "value"], ["blocks", str(count)]], header_row=True))
    return out


async def demo(fake: Any, lark: Any, console: Any) -> dict[str, str]:
    """Run the docs walk-through; returns summary rows (step → result)."""
    docs = lark.docs
    summary: dict[str, str] = {}

    console.rule("[bold]Docs: create a document and append 200 blocks")
    doc_id = (await docs.create_document("lark-async demo: weekly notes")).unwrap().document_id
    fake.faults.drop(CHILDREN, times=1, after_processing=True)  # the first answer is lost
    added = (await docs.append_content(doc_id, _blocks(BLOCKS))).unwrap()
    console.print(
        f"document {doc_id}: {len(added.block_ids)} top-level blocks, {added.created} in all, "
        f"{added.calls} calls; the first answer was lost and resent with its client_token"
    )
    content = (await docs.get_document_content(doc_id)).unwrap()
    top = [b.block_id for b in content.children_of(content.root)]
    same = top == added.block_ids
    console.print(
        f"read back {len(content.blocks)} blocks; top level identical and in order: {same}"
    )
    summary["docs: append"] = (
        f"{len(added.block_ids)} blocks ({added.created} with nested) in {added.calls} calls, "
        f"read back in order: {same}, no duplicate after a lost answer"
    )

    console.rule("[bold]Docs: an image and a 21 MB file")
    image = (await docs.upload_doc_media(doc_id, PNG, file_name="chart.png")).unwrap()
    with tempfile.TemporaryDirectory(prefix="lark-demo-docs-") as tmp:
        big = Path(tmp) / "dataset.bin"
        with big.open("wb") as fh:
            for _ in range(BIG_FILE // (1 << 20)):
                fh.write(os.urandom(1 << 20))
        uploaded = (await docs.upload_doc_media(doc_id, big, "file")).unwrap()
        back = Path(tmp) / "dataset.copy"
        (await docs.download_doc_media(uploaded.file_token, back)).unwrap()
        identical = _digest(big) == _digest(back)
    console.print(
        f"image {image.file_token} in block {image.block_id}; file {uploaded.file_token} "
        f"(multipart: {uploaded.multipart}) downloaded byte-identical: {identical}"
    )
    summary["docs: media"] = (
        f"image bound; 21 MB file multipart={uploaded.multipart}, download identical: {identical}"
    )

    console.rule("[bold]Docs: share it")
    (await docs.grant_permission(doc_id, "ou_demo_reader", "view")).unwrap()
    (await docs.grant_permission(doc_id, "editors@example.com", "edit")).unwrap()
    members = (await docs.list_permissions(doc_id)).unwrap()
    (await docs.revoke_permission(doc_id, "ou_demo_reader")).unwrap()
    left = (await docs.list_permissions(doc_id)).unwrap()
    await docs.update_public_settings(doc_id, link_share_entity="tenant_readable")
    console.print(
        f"granted {[(m.member_id, m.perm) for m in members]}; after revoking one: "
        f"{[m.member_id for m in left]}; link: tenant_readable"
    )
    summary["docs: permissions"] = f"granted {len(members)}, revoked 1, {len(left)} left"
    return summary


def _digest(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()
