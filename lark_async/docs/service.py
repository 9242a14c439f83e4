"""``lark.docs``: cloud documents (docx blocks), their media and permissions.

The calls live in one module per concern (documents, append, media,
permissions); :class:`Docs` puts them together.
"""

from __future__ import annotations

from lark_async.docs.append import AppendCalls
from lark_async.docs.permissions import PermissionCalls


class Docs(AppendCalls, PermissionCalls):
    """Documents, blocks, media and permissions.

    Reach it as ``lark.docs`` or ``lark.app(app_id).docs``.
    """

    name = "docs"


__all__ = ["Docs"]
