"""Cloud documents: ``lark.docs`` and the builders for its blocks.

    from lark_async.docs import Heading, Text, Bullet, bold

    doc = (await lark.docs.create_document("Notes")).unwrap()
    await lark.docs.append_content(doc.document_id, [Heading(1, "Hi"), Text(bold("bold"))])

See docs/docs.md.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark_async.core.lazy import lazy_exports

if TYPE_CHECKING:
    from lark_async.docs.blocks import BlockBuilder as BlockBuilder
    from lark_async.docs.blocks import Bullet as Bullet
    from lark_async.docs.blocks import Callout as Callout
    from lark_async.docs.blocks import Code as Code
    from lark_async.docs.blocks import Divider as Divider
    from lark_async.docs.blocks import Element as Element
    from lark_async.docs.blocks import File as File
    from lark_async.docs.blocks import Heading as Heading
    from lark_async.docs.blocks import Image as Image
    from lark_async.docs.blocks import Ordered as Ordered
    from lark_async.docs.blocks import Quote as Quote
    from lark_async.docs.blocks import Run as Run
    from lark_async.docs.blocks import Table as Table
    from lark_async.docs.blocks import Text as Text
    from lark_async.docs.blocks import Todo as Todo
    from lark_async.docs.blocks import bold as bold
    from lark_async.docs.blocks import code_span as code_span
    from lark_async.docs.blocks import equation as equation
    from lark_async.docs.blocks import italic as italic
    from lark_async.docs.blocks import link as link
    from lark_async.docs.blocks import mention_doc as mention_doc
    from lark_async.docs.blocks import mention_user as mention_user
    from lark_async.docs.blocks import text as text
    from lark_async.docs.models import AppendResult as AppendResult
    from lark_async.docs.models import Block as Block
    from lark_async.docs.models import BlockUpdate as BlockUpdate
    from lark_async.docs.models import Document as Document
    from lark_async.docs.models import DocumentContent as DocumentContent
    from lark_async.docs.models import PermissionMember as PermissionMember
    from lark_async.docs.models import PublicSettings as PublicSettings
    from lark_async.docs.models import UploadedMedia as UploadedMedia
    from lark_async.docs.service import Docs as Docs

_BLOCKS = [
    "BlockBuilder",
    "Bullet",
    "Callout",
    "Code",
    "Divider",
    "Element",
    "File",
    "Heading",
    "Image",
    "Ordered",
    "Quote",
    "Run",
    "Table",
    "Text",
    "Todo",
    "bold",
    "code_span",
    "equation",
    "italic",
    "link",
    "mention_doc",
    "mention_user",
    "text",
]
_MODELS = [
    "AppendResult",
    "Block",
    "BlockUpdate",
    "Document",
    "DocumentContent",
    "PermissionMember",
    "PublicSettings",
    "UploadedMedia",
]

# Loaded on first use, so importing the package (or its meta module) stays cheap.
_LAZY: dict[str, str] = {
    **dict.fromkeys(_BLOCKS, "lark_async.docs.blocks"),
    **dict.fromkeys(_MODELS, "lark_async.docs.models"),
    "Docs": "lark_async.docs.service",
}

__all__ = sorted(_LAZY)  # noqa: PLE0605

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
