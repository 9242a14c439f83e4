"""Codes and rate-limit families of endpoints that no built-in service describes yet.

The token endpoints (auth/v3, authen): calls to them through
``lark.request(...)`` are already classified and paced by what is written
here. Each description moves into its service's own ``meta.py`` when that
service is built (user authorisation ``AUTH``'s authen part),
and ``lark_async.services`` then points at the new module. (Cloud docs and
drive live in ``lark_async.docs.meta``, contacts in ``lark_async.contact.meta``,
aPaaS in ``lark_async.apaas.meta``.)
"""

from __future__ import annotations

from lark_async.auth.meta import OAUTH_CODES
from lark_async.core.ratelimit import TIER4
from lark_async.core.service import ServiceInfo

# Token endpoints (tenant/app tokens, user OAuth). Tenant-token codes are generic
# and live in the core table (10003, 10014, 10015, 99991xxx); the OAuth v2 token
# endpoint's (200xx) come from lark_async.auth.meta.
AUTH = ServiceInfo(
    "auth",
    codes=OAUTH_CODES,
    limits={"auth": TIER4},
    prefixes=(("/open-apis/auth/", "auth"), ("/open-apis/authen/", "auth")),
)

# Moved to lark_async/contact/meta.py; the old name stays importable.
# Moved to lark_async/apaas/meta.py; the old name stays importable.
from lark_async.apaas.meta import INFO as APAAS  # noqa: E402, F401
from lark_async.contact.meta import INFO as CONTACT  # noqa: E402, F401
