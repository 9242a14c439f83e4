"""What ``lark.docs`` is: its class, docx/drive error codes and rate-limit families.

Data only, and cheap to import (core only, no pydantic): the client reads it to
build its code table and limiter without importing the service. Covers the
docx documents, drive media and drive permissions (Feishu docx, drive media and
permission docs).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lark_async.core.errors import CodeInfo, ErrorKind
from lark_async.core.ratelimit import TIER4, Limit
from lark_async.core.service import ServiceInfo

_K = ErrorKind
_RETRIED = "Feishu internal error; retried"
_SHARE = (
    "the app cannot open this document: share it with the app (or a group the app is in), "
    "with edit rights for writes, and grant the docx:document scope"
)

REVISION_TOO_OLD = 1770021
RESOURCE_CAP = 1770035

_CODES: dict[int, CodeInfo] = {
    # docx (Feishu docx docs)
    1770001: CodeInfo(_K.INVALID_PARAMETER, False, "invalid parameter; see the msg for details"),
    1770002: CodeInfo(_K.NOT_FOUND, False, "document or block not found"),
    1770003: CodeInfo(_K.NOT_FOUND, False, "the document or block was deleted"),
    1770004: CodeInfo(_K.QUOTA_EXCEEDED, False, "the document holds too many blocks"),
    1770005: CodeInfo(_K.INVALID_PARAMETER, False, "blocks nested too deep"),
    1770006: CodeInfo(_K.INVALID_PARAMETER, False, "the block does not fit its schema"),
    1770007: CodeInfo(_K.INVALID_PARAMETER, False, "too many children (at most 50 per call)"),
    1770008: CodeInfo(_K.INVALID_PARAMETER, False, "the file is too big"),
    1770010: CodeInfo(_K.INVALID_PARAMETER, False, "too many table columns"),
    1770011: CodeInfo(_K.INVALID_PARAMETER, False, "too many table cells"),
    1770012: CodeInfo(_K.INVALID_PARAMETER, False, "too many grid columns"),
    1770013: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "relation mismatch: the media was not uploaded to this image/file block",
    ),
    1770014: CodeInfo(_K.INVALID_PARAMETER, False, "parent and children do not match"),
    1770015: CodeInfo(_K.INVALID_PARAMETER, False, "the block belongs to another document"),
    1770019: CodeInfo(_K.INVALID_PARAMETER, False, "a block id appears twice"),
    1770020: CodeInfo(_K.CONFLICT, False, "the document is being copied; try again later"),
    REVISION_TOO_OLD: CodeInfo(
        _K.CONFLICT,
        False,
        "document_revision_id is more than 1000 revisions behind the latest: "
        "leave it at -1 (the latest) or read the document again",
    ),
    1770022: CodeInfo(_K.INVALID_PARAMETER, False, "invalid page_token"),
    1770024: CodeInfo(_K.INVALID_PARAMETER, False, "invalid operation"),
    1770025: CodeInfo(_K.INVALID_PARAMETER, False, "the operation does not fit this block type"),
    1770026: CodeInfo(_K.INVALID_PARAMETER, False, "row index out of range"),
    1770027: CodeInfo(_K.INVALID_PARAMETER, False, "column index out of range"),
    1770028: CodeInfo(_K.INVALID_PARAMETER, False, "this block type cannot have children"),
    1770029: CodeInfo(_K.INVALID_PARAMETER, False, "this block type cannot be created"),
    1770030: CodeInfo(_K.INVALID_PARAMETER, False, "this block cannot be a child of that parent"),
    1770031: CodeInfo(_K.INVALID_PARAMETER, False, "these children cannot be deleted"),
    1770032: CodeInfo(_K.PERMISSION_DENIED, False, _SHARE),
    1770033: CodeInfo(_K.INVALID_PARAMETER, False, "content larger than 10,485,760 characters"),
    1770034: CodeInfo(_K.INVALID_PARAMETER, False, "too many cells in one request"),
    RESOURCE_CAP: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "too many images, files, mentions or embedded sheets/bases in one request "
        "(append_content splits by these caps)",
    ),
    1770038: CodeInfo(_K.NOT_FOUND, False, "a resource the block refers to was not found"),
    1770039: CodeInfo(_K.NOT_FOUND, False, "folder_token: no such folder"),
    1770040: CodeInfo(_K.PERMISSION_DENIED, False, "no permission on the folder"),
    1770036: CodeInfo(
        _K.CONFLICT, False, "the folder is locked: do not create documents in it concurrently"
    ),
    1770037: CodeInfo(_K.QUOTA_EXCEEDED, False, "the folder is full"),
    **{
        c: CodeInfo(_K.SERVER, True, "Docx internal error; retried")
        for c in range(1771001, 1771007)
    },
    # drive media (Feishu drive media docs)
    1061001: CodeInfo(_K.SERVER, True, _RETRIED),
    1061002: CodeInfo(_K.INVALID_PARAMETER, False, "invalid upload/download parameter"),
    1061003: CodeInfo(_K.NOT_FOUND, False, "file_token: not found"),
    1061004: CodeInfo(_K.PERMISSION_DENIED, False, "needs edit permission on the target document"),
    1061006: CodeInfo(_K.SERVER, True, _RETRIED),
    1061007: CodeInfo(_K.NOT_FOUND, False, "the file was deleted"),
    1061008: CodeInfo(_K.INVALID_PARAMETER, False, "invalid file name"),
    1061021: CodeInfo(_K.INVALID_PARAMETER, False, "the upload id expired (24 h); upload again"),
    1061043: CodeInfo(_K.INVALID_PARAMETER, False, "file size beyond the limit"),
    1061044: CodeInfo(_K.NOT_FOUND, False, "parent_node (the image/file block) does not exist"),
    1061045: CodeInfo(_K.SERVER, True, _RETRIED),
    1061073: CodeInfo(
        _K.PERMISSION_DENIED, False, "no scope: grant docs:document.media:upload/download"
    ),
    1062007: CodeInfo(_K.INVALID_PARAMETER, False, "the upload belongs to another user"),
    1062008: CodeInfo(_K.INVALID_PARAMETER, False, "checksum invalid"),
    1062009: CodeInfo(_K.INVALID_PARAMETER, False, "the bytes sent differ from the declared size"),
    1062010: CodeInfo(_K.INVALID_PARAMETER, False, "a part of the multipart upload is missing"),
    1062011: CodeInfo(_K.INVALID_PARAMETER, False, "part number out of bounds"),
    # drive permissions (Feishu permission docs)
    1063001: CodeInfo(
        _K.INVALID_PARAMETER,
        False,
        "invalid parameter: doc_type must match the token, member_id its member_type",
    ),
    1063002: CodeInfo(
        _K.PERMISSION_DENIED,
        False,
        "the app may not manage this document's permissions: make it a collaborator "
        "with full access",
    ),
    1063003: CodeInfo(_K.INVALID_PARAMETER, False, "invalid operation (e.g. cross-tenant sharing)"),
    1063004: CodeInfo(_K.PERMISSION_DENIED, False, "the user has no share permission"),
    1063005: CodeInfo(_K.NOT_FOUND, False, "the document was deleted"),
    1066001: CodeInfo(_K.SERVER, True, _RETRIED),
    1066002: CodeInfo(
        _K.SERVER, True, "concurrent permission edits on one document; retried", not_applied=True
    ),
}

#: docx, drive media and permission error codes, read-only.
DOCS_CODES: Mapping[int, CodeInfo] = MappingProxyType(_CODES)

DOCX_CREATE = "docx.create"
DOCX_READ = "docx.read"
DOCX_WRITE = "docx.write"
MEDIA = "drive.media"
PERM_READ = "drive.permission_read"
PERM_WRITE = "drive.permission_write"

# Per app (Feishu docx, drive and rate-limit docs). The 3 edits/s per document is
# paced by the service itself (a Pace per document id).
LIMITS = {
    DOCX_CREATE: (Limit(3),),
    DOCX_READ: (Limit(5),),
    DOCX_WRITE: (Limit(3),),
    MEDIA: (Limit(5),),
    PERM_READ: TIER4,
    PERM_WRITE: (Limit(100, 60.0),),
}

_DOCUMENTS = "/open-apis/docx/v1/documents"


def family_of(method: str, path: str) -> str | None:
    """docx reads, block writes and creation; permission reads and writes."""
    if path.startswith("/open-apis/docx/"):
        if method == "GET":
            return DOCX_READ
        if method == "POST" and path.rstrip("/") == _DOCUMENTS:
            return DOCX_CREATE
        return DOCX_WRITE
    if path.startswith(("/open-apis/drive/v1/permissions", "/open-apis/drive/v2/permissions")):
        return PERM_READ if method == "GET" else PERM_WRITE
    return None


PREFIXES = (("/open-apis/drive/v1/medias", MEDIA), ("/open-apis/drive/v1/media", MEDIA))

INFO = ServiceInfo(
    "docs",
    "lark_async.docs.service:Docs",
    codes=DOCS_CODES,
    limits=LIMITS,
    prefixes=PREFIXES,
    family_of=family_of,
)
