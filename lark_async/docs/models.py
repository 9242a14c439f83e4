"""Typed views of docx, drive media and permission answers (Feishu docx and permission docs)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from lark_async.docs.blocks import BLOCK_KEYS, TEXT_TYPES

_CONFIG = ConfigDict(extra="allow", defer_build=True)


class Document(BaseModel):
    """A docx document: its id (also the id of its root page block) and revision."""

    model_config = _CONFIG

    document_id: str
    revision_id: int = 1
    title: str = ""


class Block(BaseModel):
    """One block: ids, type, parent and children ids; the payload under its key
    (``block.payload`` is e.g. the ``text`` or ``heading2`` object)."""

    model_config = _CONFIG

    block_id: str
    block_type: int
    parent_id: str = ""
    children: list[str] = Field(default_factory=list)

    @property
    def kind(self) -> str:
        """The payload key: ``text``, ``heading1``, ``bullet``, ``table`` …"""
        return BLOCK_KEYS.get(self.block_type, "undefined")

    @property
    def payload(self) -> dict[str, Any]:
        value = (self.model_extra or {}).get(self.kind)
        return value if isinstance(value, dict) else {}

    @property
    def text(self) -> str:
        """The plain text of a text-like block ("" for others)."""
        if self.block_type not in TEXT_TYPES:
            return ""
        return elements_text(self.payload.get("elements") or [])


def elements_text(items: list[Any]) -> str:
    out: list[str] = []
    for element in items:
        if not isinstance(element, dict):
            continue
        if "text_run" in element:
            out.append(str(element["text_run"].get("content", "")))
        elif "equation" in element:
            out.append(str(element["equation"].get("content", "")))
        elif "mention_user" in element:
            out.append("@" + str(element["mention_user"].get("user_id", "")))
        elif "mention_doc" in element:
            out.append(str(element["mention_doc"].get("title", "")))
    return "".join(out)


class BlockPage(BaseModel):
    model_config = _CONFIG

    items: list[Block] = Field(default_factory=list)
    page_token: str | None = None
    has_more: bool = False


class DocumentContent(BaseModel):
    """A whole document: every block in document order (pre-order, the page block first)."""

    model_config = ConfigDict(defer_build=True)

    document_id: str
    blocks: list[Block]

    @property
    def root(self) -> Block:
        return self.blocks[0]

    def by_id(self, block_id: str) -> Block:
        for block in self.blocks:
            if block.block_id == block_id:
                return block
        raise KeyError(block_id)

    def children_of(self, block: Block | str) -> list[Block]:
        """The child blocks of ``block`` (an id or a Block), in order."""
        parent = self.by_id(block) if isinstance(block, str) else block
        index = {b.block_id: b for b in self.blocks}
        return [index[c] for c in parent.children if c in index]

    def body(self) -> Iterator[Block]:
        """Every block but the page block, in document order."""
        return iter(self.blocks[1:])


class AppendResult(BaseModel):
    """What ``append_content`` created."""

    model_config = ConfigDict(defer_build=True)

    document_id: str
    block_ids: list[str] = Field(description="the top-level blocks created, in order")
    created: int = Field(
        description="blocks created, nested ones included (not the cells Feishu adds to a table)"
    )
    calls: int = Field(description="calls it took (creates, updates, reads, uploads)")
    document_revision_id: int | None = None
    file_tokens: list[str] = Field(default_factory=list)


class BlockUpdate(BaseModel):
    """The answer of a block update (single or batch)."""

    model_config = _CONFIG

    blocks: list[Block] = Field(default_factory=list)
    document_revision_id: int | None = None
    client_token: str | None = None


class UploadedMedia(BaseModel):
    """An uploaded image or file: its token, and the block it is bound to."""

    model_config = ConfigDict(defer_build=True)

    file_token: str
    block_id: str
    multipart: bool = False
    size: int = 0


class PermissionMember(BaseModel):
    """A collaborator: ``member_type`` (openid, email, openchat …), id and ``perm``."""

    model_config = _CONFIG

    member_type: str
    member_id: str
    perm: str
    type: str | None = None
    name: str | None = None


class PublicSettings(BaseModel):
    """A document's link-sharing and public settings (only the fields Feishu returned)."""

    model_config = _CONFIG

    external_access_entity: str | None = None
    security_entity: str | None = None
    comment_entity: str | None = None
    share_entity: str | None = None
    manage_collaborator_entity: str | None = None
    link_share_entity: str | None = None
    copy_entity: str | None = None
    lock_switch: bool | None = None
