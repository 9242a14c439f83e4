"""What the docs emulator modules share: the route table, documents with their
block trees, drive media, permissions, and the error answers (Feishu docx and permission docs).

A document is a tree of blocks kept by id; the page block (the root) has the
document's id. Block writes bump the revision by one, remember their
``client_token`` (a repeated token answers the first answer again and changes
nothing) and count against the per-document edit limit (3 per aligned second,
HTTP 429), on top of the per-app families the gateway enforces.
"""

from __future__ import annotations

import math
import secrets
import string
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import RouteTable

routes = RouteTable("docs")

DOCX_CREATE, DOCX_READ, DOCX_WRITE = "docx.create", "docx.read", "docx.write"
MEDIA = "drive.media"
PERM_READ, PERM_WRITE = "drive.permission_read", "drive.permission_write"

# docx codes (Feishu docx docs)
INVALID_PARAM = 1770001
NOT_FOUND = 1770002
TOO_MANY_CHILDREN = 1770007
RELATION_MISMATCH = 1770013
REVISION_TOO_OLD = 1770021
INVALID_PAGE_TOKEN = 1770022
INVALID_OPERATION = 1770024
OPERATION_MISMATCH = 1770025
CANNOT_HAVE_CHILDREN = 1770028
NOT_CREATABLE = 1770029
RESOURCE_CAP = 1770035
EDIT_LIMITED = 99991400

PAGE_BLOCK = 1
TEXT_TYPES = frozenset({1, 2, *range(3, 12), 12, 13, 14, 15, 17})
PARENT_TYPES = TEXT_TYPES | {19, 32, 34}  # blocks that may hold children
CREATABLE = (TEXT_TYPES - {PAGE_BLOCK}) | {18, 19, 22, 23, 27, 30, 31, 34}
KEYS: dict[int, str] = {
    1: "page",
    2: "text",
    **{2 + n: f"heading{n}" for n in range(1, 10)},
    12: "bullet",
    13: "ordered",
    14: "code",
    15: "quote",
    17: "todo",
    18: "bitable",
    19: "callout",
    22: "divider",
    23: "file",
    27: "image",
    30: "sheet",
    31: "table",
    32: "table_cell",
    33: "view",
    34: "quote_container",
}
#: per-request resource caps (1770035)
BLOCK_CAPS = {18: 5, 23: 200, 27: 20, 30: 5}
ELEMENT_CAPS = {"mention_user": 200, "mention_doc": 200}
MAX_CHILDREN = 50
MAX_PAGE = 500
REVISION_WINDOW = 1000

# drive codes (Feishu drive media and permission docs)
MEDIA_PARAMS = 1061002
MEDIA_NOT_FOUND = 1061003
UPLOAD_EXPIRED = 1061021
SIZE_LIMIT = 1061043
PARENT_MISSING = 1061044
SIZE_MISMATCH = 1062009
PART_MISSING = 1062010
PART_OUT_OF_RANGE = 1062011
PERM_INVALID = 1063001
MB = 1024 * 1024
SINGLE_UPLOAD_MAX = 20 * MB
PART_SIZE = 4 * MB

_ALNUM = string.ascii_letters + string.digits


def new_id(prefix: str = "", length: int = 27) -> str:
    """An id like Feishu's: 27 letters and digits."""
    return prefix + "".join(secrets.choice(_ALNUM) for _ in range(length - len(prefix)))


def docx_error(code: int, msg: str, status: int = 400) -> FakeError:
    return FakeError(code, msg, status=status)


@dataclass
class Document:
    document_id: str
    title: str
    blocks: dict[str, dict[str, Any]] = field(default_factory=dict)
    revision: int = 1
    # client_token -> the answer given the first time
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    edits: tuple[int, int] = (0, 0)  # (aligned second, edits in it)

    def block(self, block_id: str) -> dict[str, Any]:
        found = self.blocks.get(block_id)
        if found is None:
            raise docx_error(NOT_FOUND, f"block {block_id} not found", status=404)
        return found

    def preorder(
        self, start: str | None = None, *, include_start: bool = True
    ) -> list[dict[str, Any]]:
        out: list[dict[str, Any]] = []
        stack = [start or self.document_id]
        first = True
        while stack:
            block = self.blocks[stack.pop()]
            if include_start or not first:
                out.append(block)
            first = False
            stack.extend(reversed(block["children"]))
        return out

    def remove(self, block_id: str) -> None:
        for block in self.preorder(block_id):
            self.blocks.pop(block["block_id"], None)


@dataclass
class Media:
    token: str
    path: Path
    size: int
    name: str
    parent_type: str
    parent_node: str
    app_id: str | None


@dataclass
class Upload:
    upload_id: str
    name: str
    parent_type: str
    parent_node: str
    size: int
    block_num: int
    parts: dict[int, Path] = field(default_factory=dict)
    token: str | None = None  # once finished


PUBLIC_DEFAULTS: dict[str, Any] = {
    "external_access_entity": "open",
    "security_entity": "anyone_can_view",
    "comment_entity": "anyone_can_view",
    "share_entity": "anyone",
    "manage_collaborator_entity": "collaborator_can_view",
    "link_share_entity": "tenant_readable",
    "copy_entity": "anyone_can_view",
    "lock_switch": False,
}


class DocsState:
    """Every document, media object, upload session and permission of one emulator."""

    def __init__(self) -> None:
        self.documents: dict[str, Document] = {}
        self.media: dict[str, Media] = {}
        self.uploads: dict[str, Upload] = {}
        self.members: dict[str, dict[tuple[str, str], dict[str, Any]]] = {}
        self.public: dict[str, dict[str, Any]] = {}
        self.edits_per_document: int | None = 3
        self.single_uploads = 0
        self.multipart_uploads = 0
        self.parts_received = 0
        self.block_writes = 0
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def folder(self) -> Path:
        """Where uploaded bytes are kept (on disk: uploads are large)."""
        if self._dir is None:
            self._dir = tempfile.TemporaryDirectory(prefix="fake-lark-drive-")
        return Path(self._dir.name)

    def release_files(self) -> None:
        """Delete the uploads' folder (FakeLark.stop() calls it; a later upload makes a new one)."""
        folder, self._dir = self._dir, None
        if folder is not None:
            folder.cleanup()

    def document(self, document_id: str) -> Document:
        doc = self.documents.get(document_id)
        if doc is None:
            raise docx_error(NOT_FOUND, f"document {document_id} not found", status=404)
        return doc

    def create_document(self, title: str = "") -> Document:
        doc_id = new_id()
        doc = Document(doc_id, title)
        doc.blocks[doc_id] = {
            "block_id": doc_id,
            "block_type": PAGE_BLOCK,
            "parent_id": "",
            "children": [],
            "page": {"elements": [_run(title)], "style": {"align": 1}},
        }
        self.documents[doc_id] = doc
        return doc

    def find_block(self, block_id: str) -> tuple[Document, dict[str, Any]] | None:
        for doc in self.documents.values():
            block = doc.blocks.get(block_id)
            if block is not None:
                return doc, block
        return None

    def count_edit(self, doc: Document, now: float) -> None:
        """The per-document limit: HTTP 429 past 3 edits in one aligned second."""
        limit = self.edits_per_document
        if limit is None:
            return
        second = math.floor(now)
        seen, used = doc.edits
        used = used if seen == second else 0
        if used >= limit:
            raise FakeError(
                EDIT_LIMITED,
                "document edit frequency limit: 3 edits per second per document",
                status=429,
                headers={"x-ogw-ratelimit-limit": str(limit), "x-ogw-ratelimit-reset": "1"},
            )
        doc.edits = (second, used + 1)


def _run(content: str) -> dict[str, Any]:
    return {"text_run": {"content": content, "text_element_style": {}}}


def empty_paragraph(parent_id: str) -> dict[str, Any]:
    return {
        "block_id": new_id(),
        "block_type": 2,
        "parent_id": parent_id,
        "children": [],
        "text": {"elements": [_run("")], "style": {}},
    }


def revision_param(req: FakeRequest, doc: Document) -> None:
    """``document_revision_id``: -1 (latest) or a revision at most 1000 behind."""
    raw = req.query.get("document_revision_id", "-1")
    try:
        revision = int(raw)
    except ValueError:
        raise docx_error(INVALID_PARAM, "document_revision_id must be an int") from None
    if revision == -1:
        return
    if revision < 1 or revision > doc.revision:
        raise docx_error(INVALID_PARAM, f"document_revision_id {revision} does not exist")
    if revision < doc.revision - REVISION_WINDOW:
        raise docx_error(REVISION_TOO_OLD, "too old document revision")


def block_text(block: dict[str, Any]) -> str:
    payload = block.get(KEYS.get(block["block_type"], ""), {})
    out = []
    for element in payload.get("elements") or []:
        if "text_run" in element:
            out.append(element["text_run"].get("content", ""))
        elif "equation" in element:
            out.append(element["equation"].get("content", ""))
        elif "mention_user" in element:
            out.append("@" + element["mention_user"].get("user_id", ""))
    return "".join(out)
