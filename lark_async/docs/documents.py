"""Documents: create, read (every page of blocks, in document order), raw text,
and block updates (single and batch) (Feishu docx docs)."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from typing import Any

from lark_async.core.errors import InvalidParameter, ServerError
from lark_async.core.paging import PageGuard
from lark_async.core.response import LarkResponse
from lark_async.core.service import parse_model
from lark_async.docs import checks
from lark_async.docs.base import DOCUMENTS, DocsBase
from lark_async.docs.blocks import BLOCK_KEYS, Element, Inline, Run, _TextBlock, elements
from lark_async.docs.models import Block, BlockPage, BlockUpdate, Document, DocumentContent

PAGE_SIZE = 500  # the most a page of blocks holds
BATCH_UPDATE_MAX = 200
UPDATE_OPS = frozenset(
    {
        "update_text_elements",
        "update_text_style",
        "update_text",
        "update_table_property",
        "insert_table_row",
        "insert_table_column",
        "delete_table_rows",
        "delete_table_columns",
        "merge_table_cells",
        "unmerge_table_cells",
        "insert_grid_column",
        "delete_grid_column",
        "update_grid_column_width_ratio",
        "replace_image",
        "replace_file",
        "update_task",
    }
)

BlockContent = str | Run | Element | _TextBlock | Sequence[Inline] | Mapping[str, Any]


def update_operation(new_content: Any) -> dict[str, Any]:
    """``new_content`` as one update operation: text replaces a text block's
    elements; a dict is an operation in the API's format (``{"replace_image": ...}``)."""
    if isinstance(new_content, Mapping):
        ops = [k for k in new_content if k in UPDATE_OPS]
        if len(ops) != 1 or len(new_content) != 1:
            raise InvalidParameter(
                "new_content as a dict must hold exactly one update operation, e.g. "
                f"{{'update_text_elements': {{...}}}}; got keys {sorted(new_content)}",
                hint=f"operations: {', '.join(sorted(UPDATE_OPS))}",
            )
        return dict(new_content)
    if isinstance(new_content, _TextBlock):
        payload = new_content.block()[BLOCK_KEYS[new_content.block_type]]
        return {"update_text_elements": {"elements": payload["elements"]}}
    if isinstance(new_content, str | Run | Element):
        return {"update_text_elements": {"elements": elements([new_content])}}
    if isinstance(new_content, Sequence) and not isinstance(new_content, bytes | bytearray):
        return {"update_text_elements": {"elements": elements(new_content)}}
    raise InvalidParameter(
        "new_content must be a str, text runs, a text block builder or an update dict, "
        f"not {type(new_content).__name__}"
    )


class DocumentCalls(DocsBase):
    # -- documents --------------------------------------------------------------------
    async def create_document(
        self, title: str | None = None, *, folder_token: str | None = None
    ) -> LarkResponse[Document]:
        """A new, empty document (in ``folder_token``, else the app's root)."""
        body: dict[str, Any] = {}
        checked = checks.title(title)
        if checked is not None:
            body["title"] = checked
        folder = checks.optional_id(folder_token, "folder_token")
        if folder:
            body["folder_token"] = folder
        # Not keyed (the endpoint takes no client_token): an ambiguous failure is
        # OutcomeUnknown rather than a second document.
        resp = await self._request("POST", DOCUMENTS, json=body)
        return _document(resp)

    async def get_document(self, document_id: str) -> LarkResponse[Document]:
        """Title and latest revision."""
        doc = checks.doc_id(document_id, "document_id")
        return _document(await self._request("GET", f"{DOCUMENTS}/{doc}"))

    async def get_raw_text(self, document_id: str, *, lang: int = 0) -> LarkResponse[str]:
        """The document as plain text."""
        doc = checks.doc_id(document_id, "document_id")
        if lang not in (0, 1):
            raise InvalidParameter(f"lang must be 0 (default names) or 1 (English), not {lang!r}")
        resp = await self._request("GET", f"{DOCUMENTS}/{doc}/raw_content", params={"lang": lang})
        if not resp.ok:
            return resp.with_data(None)
        return resp.with_data(str((resp.data or {}).get("content", "")))

    # -- reading blocks ---------------------------------------------------------------
    async def iter_blocks(
        self, document_id: str, *, document_revision_id: int = -1
    ) -> AsyncIterator[Block]:
        """Every block in document order (pre-order; the page block first), a page
        (up to 500) at a time. A failed page raises its typed error."""
        doc = checks.doc_id(document_id, "document_id")
        revision = checks.revision(document_revision_id)
        page_token: str | None = None
        guard = PageGuard(f"blocks of document {doc!r}")
        while True:
            params: dict[str, Any] = {"page_size": PAGE_SIZE, "document_revision_id": revision}
            if page_token:
                params["page_token"] = page_token
            resp = parse_model(
                await self._request("GET", f"{DOCUMENTS}/{doc}/blocks", params=params), BlockPage
            )
            page = resp.unwrap()
            for block in page.items:
                yield block
            page_token = guard.next_token(page.has_more, page.page_token, resp)
            if page_token is None:
                return

    async def get_document_content(
        self, document_id: str, *, document_revision_id: int = -1
    ) -> LarkResponse[DocumentContent]:
        """The whole block tree: every page, typed blocks in document order."""
        doc = checks.doc_id(document_id, "document_id")
        revision = checks.revision(document_revision_id)
        blocks: list[Block] = []
        page_token: str | None = None
        guard = PageGuard(f"blocks of document {doc!r}")
        while True:
            params: dict[str, Any] = {"page_size": PAGE_SIZE, "document_revision_id": revision}
            if page_token:
                params["page_token"] = page_token
            resp = parse_model(
                await self._request("GET", f"{DOCUMENTS}/{doc}/blocks", params=params), BlockPage
            )
            if not resp.ok or resp.data is None:
                return resp.with_data(None)
            blocks.extend(resp.data.items)
            try:
                page_token = guard.next_token(resp.data.has_more, resp.data.page_token, resp)
            except ServerError as err:
                return LarkResponse.failure(err, request_id=resp.request_id)
            if page_token is None:
                return resp.with_data(DocumentContent(document_id=doc, blocks=blocks))

    async def _descendants(self, document_id: str, block_id: str) -> LarkResponse[list[Block]]:
        """A block's descendants (every page)."""
        out: list[Block] = []
        page_token: str | None = None
        guard = PageGuard(f"descendants of block {block_id!r}")
        while True:
            params: dict[str, Any] = {"page_size": PAGE_SIZE, "with_descendants": True}
            if page_token:
                params["page_token"] = page_token
            resp = parse_model(
                await self._request(
                    "GET", f"{DOCUMENTS}/{document_id}/blocks/{block_id}/children", params=params
                ),
                BlockPage,
            )
            if not resp.ok or resp.data is None:
                return resp.with_data(None)
            out.extend(resp.data.items)
            try:
                page_token = guard.next_token(resp.data.has_more, resp.data.page_token, resp)
            except ServerError as err:
                return LarkResponse.failure(err, request_id=resp.request_id)
            if page_token is None:
                return resp.with_data(out)

    # -- updating blocks --------------------------------------------------------------
    async def update_block(
        self,
        document_id: str,
        block_id: str,
        new_content: BlockContent,
        *,
        document_revision_id: int = -1,
    ) -> LarkResponse[BlockUpdate]:
        """Change one block: a str (or runs) replaces a text block's text; a dict is
        one update operation in the API's format. Revision -1 = the latest; one more
        than 1000 behind is a ``Conflict`` (1770021)."""
        doc = checks.doc_id(document_id, "document_id")
        block = checks.doc_id(block_id, "block_id")
        revision = checks.revision(document_revision_id)
        op = update_operation(new_content)
        resp = await self._write(
            "PATCH", f"{DOCUMENTS}/{doc}/blocks/{block}", doc, json=op, revision=revision
        )
        if not resp.ok:
            return resp.with_data(None)
        data = dict(resp.data or {})
        blocks = [data.pop("block")] if isinstance(data.get("block"), dict) else []
        return resp.with_data(BlockUpdate.model_validate({**data, "blocks": blocks}))

    async def batch_update_blocks(
        self,
        document_id: str,
        updates: Mapping[str, BlockContent] | Iterable[tuple[str, BlockContent]],
        *,
        document_revision_id: int = -1,
    ) -> LarkResponse[BlockUpdate]:
        """Many block updates, 200 per call (each block at most once)."""
        doc = checks.doc_id(document_id, "document_id")
        revision = checks.revision(document_revision_id)
        pairs = list(updates.items() if isinstance(updates, Mapping) else updates)
        requests: list[dict[str, Any]] = []
        seen: set[str] = set()
        for pair in pairs:
            if not isinstance(pair, tuple) or len(pair) != 2:
                raise InvalidParameter("updates must be a mapping or (block_id, content) pairs")
            block = checks.doc_id(pair[0], "block_id")
            if block in seen:
                raise InvalidParameter(f"updates: block_id {block} appears twice")
            seen.add(block)
            requests.append({"block_id": block, **update_operation(pair[1])})
        if not requests:
            raise InvalidParameter("updates is empty")
        return await self._batch_update(doc, requests, revision)

    async def _batch_update(
        self, doc: str, requests: list[dict[str, Any]], revision: int = -1
    ) -> LarkResponse[BlockUpdate]:
        blocks: list[Any] = []
        last: LarkResponse[dict[str, Any]] | None = None
        for start in range(0, len(requests), BATCH_UPDATE_MAX):
            chunk = requests[start : start + BATCH_UPDATE_MAX]
            last = await self._write(
                "PATCH",
                f"{DOCUMENTS}/{doc}/blocks/batch_update",
                doc,
                json={"requests": chunk},
                revision=revision,
            )
            if not last.ok:
                if last.error is not None:
                    last.error.details["updated"] = start
                return last.with_data(None)
            blocks.extend((last.data or {}).get("blocks") or [])
        assert last is not None
        data = dict(last.data or {})
        data["blocks"] = blocks
        return parse_model(last.with_data(data), BlockUpdate)

    async def delete_children(
        self, document_id: str, block_id: str, start_index: int, end_index: int
    ) -> LarkResponse[BlockUpdate]:
        """Delete the children ``[start_index, end_index)`` of a block."""
        doc = checks.doc_id(document_id, "document_id")
        block = checks.doc_id(block_id, "block_id")
        if (
            not all(
                isinstance(i, int) and not isinstance(i, bool) for i in (start_index, end_index)
            )
            or not 0 <= start_index < end_index
        ):
            raise InvalidParameter(
                f"start_index/end_index must be ints with 0 <= start < end, "
                f"not {start_index!r}, {end_index!r}"
            )
        resp = await self._write(
            "DELETE",
            f"{DOCUMENTS}/{doc}/blocks/{block}/children/batch_delete",
            doc,
            json={"start_index": start_index, "end_index": end_index},
        )
        return parse_model(resp, BlockUpdate)


def _document(resp: LarkResponse[dict[str, Any]]) -> LarkResponse[Document]:
    if not resp.ok:
        return resp.with_data(None)
    inner = (resp.data or {}).get("document")
    return parse_model(resp.with_data(inner if isinstance(inner, dict) else {}), Document)
