"""``append_content``: any number of blocks, through the create-children endpoint.

- at most 50 blocks per call, in order, and the per-request resource caps
  (1770035: 20 images, 200 files, 200 user/doc mentions, 5 sheets, 5 bases …)
  respected by splitting;
- nested content in follow-up calls under the block just created: a list
  item's sub-items, a callout's paragraphs, a table's cells (a str cell fills
  the empty paragraph Feishu puts in each cell, through batch updates; blocks
  are added to the cell, whose empty paragraph is then removed), an image's or
  file's bytes (uploaded to the new block and bound);
- each call keyed by a ``client_token`` reused on retry, so a lost answer
  never creates the blocks twice; paced per app and per document.

Everything is checked before the first request.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from lark_async.core.errors import InvalidParameter, ServerError
from lark_async.core.response import LarkResponse
from lark_async.docs import checks
from lark_async.docs.base import DOCUMENTS
from lark_async.docs.blocks import (
    BlockBuilder,
    BlockLike,
    File,
    Image,
    Table,
    Text,
    as_builder,
    elements,
)
from lark_async.docs.documents import DocumentCalls
from lark_async.docs.media import MediaCalls, MediaFile, media_block_id, media_file
from lark_async.docs.models import AppendResult

MAX_CHILDREN = 50
#: per-request resource caps (Feishu docx docs, code 1770035)
BLOCK_CAPS = {
    18: ("bitable", 5),
    20: ("chat_card", 200),
    23: ("file", 200),
    27: ("image", 20),
    28: ("isv", 20),
    30: ("sheet", 5),
}
ELEMENT_CAPS = {"mention_user": 200, "mention_doc": 200}
_DROP = ("block_id", "parent_id", "children", "comment_ids")


@dataclass
class Node:
    """One block to create, and what follows once it exists."""

    block: dict[str, Any]
    children: list[Node] = field(default_factory=list)
    table: list[Any] | None = None  # cell contents, row-major: str | list[Node] | None
    media: tuple[str, MediaFile] | None = None

    def resources(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        cap = BLOCK_CAPS.get(int(self.block.get("block_type", 0)))
        if cap is not None:
            counts[cap[0]] = 1
        for payload in self.block.values():
            if isinstance(payload, Mapping):
                for element in payload.get("elements") or ():
                    if isinstance(element, Mapping):
                        for key in ELEMENT_CAPS:
                            if key in element:
                                counts[key] = counts.get(key, 0) + 1
        return counts


def plan(items: Iterable[BlockLike]) -> list[Node]:
    """Builders and dicts as nodes, every block built (and so checked) now."""
    if isinstance(items, str | bytes | Mapping | BlockBuilder):
        raise InvalidParameter("blocks must be a list of blocks")
    return [_node(item) for item in items]


def _node(item: BlockLike) -> Node:
    built = as_builder(item)
    if isinstance(built, Mapping):
        block = {k: v for k, v in built.items() if k not in _DROP}
        nested = built.get("children")
        kids = (
            [_node(c) for c in nested]
            if isinstance(nested, list) and all(isinstance(c, Mapping) for c in nested)
            else []
        )
        return Node(block, kids)
    node = Node(built.block(), [_node(c) for c in built.children])
    if isinstance(built, Table):
        node.table = [_cell(c) for c in built.cells()]
    elif isinstance(built, Image | File):
        kind = "image" if isinstance(built, Image) else "file"
        node.media = (kind, media_file(built.source, kind, built.file_name))
    return node


def _cell(content: Any) -> Any:
    if content is None or content == "":
        return None
    if isinstance(content, str):
        return elements([content])
    if isinstance(content, Text) and not content.children and content.align is None:
        return content.block()["text"]["elements"]
    if isinstance(content, BlockBuilder | Mapping):
        return [_node(content)]
    if isinstance(content, Sequence):
        return [_node(c) for c in content]
    raise InvalidParameter(
        f"a table cell must be a str, a block or a list of blocks, not {content!r}"
    )


def chunks(nodes: list[Node]) -> Iterator[list[Node]]:
    """At most 50 nodes, and no resource over its cap, per chunk; order kept."""
    chunk: list[Node] = []
    used: dict[str, int] = {}
    for node in nodes:
        need = node.resources()
        over = any(used.get(k, 0) + n > _cap(k) for k, n in need.items())
        if chunk and (len(chunk) >= MAX_CHILDREN or over):
            yield chunk
            chunk, used = [], {}
        for k, n in need.items():
            if n > _cap(k):
                raise InvalidParameter(f"blocks: one block holds {n} {k} (at most {_cap(k)})")
            used[k] = used.get(k, 0) + n
        chunk.append(node)
    if chunk:
        yield chunk


def _cap(key: str) -> int:
    if key in ELEMENT_CAPS:
        return ELEMENT_CAPS[key]
    return next(cap for name, cap in BLOCK_CAPS.values() if name == key)


class _Failed(Exception):
    def __init__(self, resp: LarkResponse[Any]) -> None:
        self.resp = resp


@dataclass
class _Progress:
    calls: int = 0
    created: int = 0
    revision: int | None = None
    file_tokens: list[str] = field(default_factory=list)


class AppendCalls(DocumentCalls, MediaCalls):
    async def append_content(
        self,
        document_id: str,
        blocks: Iterable[BlockLike],
        *,
        parent_block_id: str | None = None,
        index: int | None = None,
    ) -> LarkResponse[AppendResult]:
        """Add ``blocks`` (builders, API block dicts, or str paragraphs) under
        ``parent_block_id`` (default: the document's root), at ``index`` (default:
        the end). A failure partway returns its error with ``details`` saying how
        many blocks were created; created blocks stay."""
        doc = checks.doc_id(document_id, "document_id")
        parent = checks.optional_id(parent_block_id, "parent_block_id") or doc
        position = -1 if index is None else checks.index(index)
        nodes = plan(blocks)
        if not nodes:
            raise InvalidParameter("blocks is empty")
        progress = _Progress()
        try:
            top, last = await self._create(doc, parent, nodes, position, progress)
        except _Failed as failed:
            if failed.resp.error is not None:
                failed.resp.error.details.update(created=progress.created, calls=progress.calls)
            return failed.resp.with_data(None)
        result = AppendResult(
            document_id=doc,
            block_ids=top,
            created=progress.created,
            calls=progress.calls,
            document_revision_id=progress.revision,
            file_tokens=progress.file_tokens,
        )
        return last.with_data(result)

    async def _create(
        self, doc: str, parent: str, nodes: list[Node], index: int, progress: _Progress
    ) -> tuple[list[str], LarkResponse[Any]]:
        ids: list[str] = []
        last: LarkResponse[Any] | None = None
        for chunk in chunks(nodes):
            resp = await self._write(
                "POST",
                f"{DOCUMENTS}/{doc}/blocks/{parent}/children",
                doc,
                json={"children": [n.block for n in chunk], "index": index},
            )
            last = self._count(resp, progress)
            made = (resp.data or {}).get("children") or []
            if len(made) != len(chunk):
                raise _Failed(_mismatch(resp.request_id, len(chunk), len(made)))
            progress.created += len(made)
            if index != -1:
                index += len(chunk)
            for node, block in zip(chunk, made, strict=True):
                ids.append(str(block.get("block_id")))
                await self._follow_up(doc, node, block, progress)
        assert last is not None
        return ids, last

    def _count(self, resp: LarkResponse[Any], progress: _Progress) -> LarkResponse[Any]:
        progress.calls += 1
        if not resp.ok:
            raise _Failed(resp)
        revision = (
            (resp.data or {}).get("document_revision_id") if isinstance(resp.data, dict) else None
        )
        if isinstance(revision, int):
            progress.revision = revision
        return resp

    async def _follow_up(
        self, doc: str, node: Node, block: dict[str, Any], progress: _Progress
    ) -> None:
        block_id = str(block.get("block_id"))
        if node.children:
            await self._create(doc, block_id, node.children, -1, progress)
        if node.table is not None:
            await self._fill_table(doc, block, node.table, progress)
        if node.media is not None:
            kind, item = node.media
            resp = await self._upload_and_bind(doc, media_block_id(block), item, kind)
            progress.calls += 2  # the upload (or its multipart calls) and the bind
            if not resp.ok or resp.data is None:
                raise _Failed(resp)
            progress.file_tokens.append(resp.data.file_token)

    async def _fill_table(
        self, doc: str, table: dict[str, Any], cells: list[Any], progress: _Progress
    ) -> None:
        cell_ids = [str(c) for c in table.get("children") or []]
        if len(cell_ids) != len(cells):
            raise _Failed(_mismatch("", len(cells), len(cell_ids)))
        if all(c is None for c in cells):
            return
        tree = await self._descendants(doc, str(table.get("block_id")))
        progress.calls += 1
        if not tree.ok or tree.data is None:
            raise _Failed(tree)
        first_child: dict[str, str] = {}
        for item in tree.data:
            if item.parent_id in cell_ids and item.parent_id not in first_child:
                first_child[item.parent_id] = item.block_id
        updates: list[dict[str, Any]] = []
        for cell_id, content in zip(cell_ids, cells, strict=True):
            paragraph = first_child.get(cell_id)
            if content is None:
                continue
            if isinstance(content, list) and content and isinstance(content[0], Node):
                await self._create(doc, cell_id, content, -1, progress)
                if paragraph is not None:  # the empty paragraph Feishu made with the cell
                    resp = await self.delete_children(doc, cell_id, 0, 1)
                    self._count(resp, progress)
            elif paragraph is not None:
                updates.append(
                    {"block_id": paragraph, "update_text_elements": {"elements": content}}
                )
        if updates:
            resp = await self._batch_update(doc, updates)
            self._count(resp, progress)


def _mismatch(request_id: str, sent: int, got: int) -> LarkResponse[Any]:
    err = ServerError(f"Feishu answered {got} blocks where {sent} were expected")
    return LarkResponse.failure(err, request_id=request_id)
