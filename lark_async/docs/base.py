"""What every part of the docs service shares: paths, the per-document edit pace,
and keyed block writes.

Block writes (create, update, delete) carry a fresh ``client_token`` that the
transport resends unchanged on every retry, so Feishu applies a write once even
when its answer was lost. Feishu allows 3 block-write calls per second per app
(the client's limiter, family ``docx.write``) and 3 edits per second per
document across all callers: each write carries a :class:`Pace` named after its
document, checked by the same limiter at the same moment.
"""

from __future__ import annotations

import uuid
from typing import Any

from lark_async.core.ratelimit import Pace
from lark_async.core.response import LarkResponse
from lark_async.core.service import Service

DOCUMENTS = "/open-apis/docx/v1/documents"
MEDIAS = "/open-apis/drive/v1/medias"
PERMISSIONS_V1 = "/open-apis/drive/v1/permissions"
PERMISSIONS_V2 = "/open-apis/drive/v2/permissions"

EDITS_PER_DOCUMENT = 3.0
_MARGIN = 0.05  # Feishu's windows are aligned seconds; leave room for jitter


def document_pace(document_id: str) -> Pace:
    """Writes to one document go at least 1/3 s (plus a margin) apart."""
    return Pace(f"docx:{document_id}", (1.0 / EDITS_PER_DOCUMENT) * (1.0 + _MARGIN))


def new_client_token() -> str:
    return str(uuid.uuid4())


class DocsBase(Service):
    """Keyed, paced writes to a document."""

    async def _write(
        self,
        method: str,
        path: str,
        document_id: str,
        *,
        json: Any = None,
        revision: int = -1,
        client_token: str | None = None,
    ) -> LarkResponse[dict[str, Any]]:
        token = client_token or new_client_token()
        return await self._request(
            method,
            path,
            params={"document_revision_id": revision, "client_token": token},
            json=json,
            idempotency_key=token,
            pace=document_pace(document_id),
        )
