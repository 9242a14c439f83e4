"""What ``lark.apaas`` is: its class, aPaaS and Aily error codes, rate-limit families.

Data only, and cheap to import (core only, no pydantic): the client reads it to
build its code table and limiter without importing the service.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from lark_async.core.errors import CodeInfo, ErrorKind
from lark_async.core.ratelimit import TIER4, Limit
from lark_async.core.service import ServiceInfo

PARAM_INVALID = 2320001  # the only code apaas/v1 documents (Feishu aPaaS docs)
AILY_PARAM_INVALID = 2700001  # the only code aily/v1 documents (Feishu aPaaS docs)

_CODES: dict[int, CodeInfo] = {
    PARAM_INVALID: CodeInfo(
        ErrorKind.INVALID_PARAMETER,
        False,
        "aPaaS refused a parameter (its only documented code): check the workspace, table "
        "and column names, and that the aPaaS admin granted the app data access",
    ),
    AILY_PARAM_INVALID: CodeInfo(
        ErrorKind.INVALID_PARAMETER, False, "Aily refused a parameter: check the app and skill ids"
    ),
}

#: aPaaS and Aily error codes (Feishu aPaaS docs), read-only.
APAAS_CODES: Mapping[int, CodeInfo] = MappingProxyType(_CODES)

# Per app (Feishu aPaaS docs): workspace tables 10/s; flow execute 100/min; Aily 1000/min & 50/s,
# creating a run (or starting a skill) 100/min.
LIMITS = {
    "apaas": (Limit(10),),
    "apaas.flow": (Limit(100, 60.0),),
    "aily": TIER4,
    "aily.run": (Limit(100, 60.0),),
}

PREFIXES = (
    ("/open-apis/apaas/", "apaas"),
    ("/open-apis/aily/", "aily"),
)


def family_of(method: str, path: str) -> str | None:
    """Flow execute (``applications/:ns/flows/:id/execute``), Aily's create run and
    skill start have their own 100/min budgets."""
    if path.startswith("/open-apis/apaas/v1/applications/") and path.endswith("/execute"):
        return "apaas.flow" if "/flows/" in path else None
    run = path.endswith("/runs") or ("/skills/" in path and path.endswith("/start"))
    if method.upper() == "POST" and path.startswith("/open-apis/aily/v1/") and run:
        return "aily.run"
    return None


INFO = ServiceInfo(
    "apaas",
    "lark_async.apaas.service:APaaS",
    codes=APAAS_CODES,
    limits=LIMITS,
    prefixes=PREFIXES,
    family_of=family_of,
)
