"""Codes and rate-limit families of endpoints that no built-in service describes yet.

The token endpoints (auth/v3, authen), cloud docs (docx), drive media and
permissions and aPaaS: calls to them through ``lark.request(...)`` are
already classified and paced by what is written here. Each description moves
into its service's own ``meta.py`` when that service is built (docs takes
``DOCS`` and ``DRIVE``, apaas ``APAAS``, user
authorisation ``AUTH``'s authen part), and ``lark_async.services`` then points
at the new module.
"""

from __future__ import annotations

from lark_async.core.errors import CodeInfo, ErrorKind
from lark_async.core.ratelimit import TIER4, Limit
from lark_async.core.service import ServiceInfo

_K = ErrorKind
_RETRIED = "Feishu internal error; retried"

# Token endpoints (tenant/app tokens, user OAuth). Their codes are generic and
# live in the core table (10003, 10014, 10015, 99991xxx).
AUTH = ServiceInfo(
    "auth",
    limits={"auth": TIER4},
    prefixes=(("/open-apis/auth/", "auth"), ("/open-apis/authen/", "auth")),
)


def _docx_family(method: str, path: str) -> str | None:
    if path.startswith("/open-apis/docx/"):
        return "docx.read" if method == "GET" else "docx.write"
    return None


# Cloud documents (CONTRACT §6, §14): reads 5/s, writes 3/s per app.
DOCS = ServiceInfo(
    "docs",
    "lark_async.docs:Docs",
    codes={
        c: CodeInfo(_K.SERVER, True, "Docx internal error; retried")
        for c in range(1771001, 1771007)
    },
    limits={"docx.read": (Limit(5),), "docx.write": (Limit(3),)},
    family_of=_docx_family,
)

# Drive media uploads/downloads and document permissions (CONTRACT §7, §8, §14).
DRIVE = ServiceInfo(
    "drive",
    codes={
        c: CodeInfo(_K.SERVER, True, _RETRIED)
        for c in (1061001, 1061006, 1061045, 1066001, 1066002)
    },
    limits={"drive.media": (Limit(5),), "drive.permission": (Limit(100, 60.0),)},
    prefixes=(
        ("/open-apis/drive/v1/media", "drive.media"),
        ("/open-apis/drive/v1/permissions", "drive.permission"),
        ("/open-apis/drive/v2/permissions", "drive.permission"),
    ),
)

APAAS = ServiceInfo(
    "apaas",
    "lark_async.apaas:APaaS",
    limits={"apaas": (Limit(10),)},
    prefixes=(("/open-apis/apaas/", "apaas"),),
)

# Moved to lark_async/contact/meta.py; the old name stays importable.
from lark_async.contact.meta import INFO as CONTACT  # noqa: E402, F401
