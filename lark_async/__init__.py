"""lark-async: a native-asyncio client for the Feishu / Lark OpenAPI.

``from lark_async import LarkClient, FEISHU, LARK`` is all most users need.
Heavy modules load on first use so ``import lark_async`` stays light.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from lark_async._domains import FEISHU, LARK
from lark_async._version import __version__
from lark_async.core.lazy import lazy_exports

if TYPE_CHECKING:
    from lark_async.client import (
        AppClient as AppClient,
    )
    from lark_async.client import (
        LarkClient as LarkClient,
    )
    from lark_async.core.errors import (
        ConfigError as ConfigError,
    )
    from lark_async.core.errors import (
        Conflict as Conflict,
    )
    from lark_async.core.errors import (
        ErrorKind as ErrorKind,
    )
    from lark_async.core.errors import (
        InvalidParameter as InvalidParameter,
    )
    from lark_async.core.errors import (
        LarkError as LarkError,
    )
    from lark_async.core.errors import (
        LarkTimeout as LarkTimeout,
    )
    from lark_async.core.errors import (
        NetworkError as NetworkError,
    )
    from lark_async.core.errors import (
        NotFound as NotFound,
    )
    from lark_async.core.errors import (
        OutcomeUnknown as OutcomeUnknown,
    )
    from lark_async.core.errors import (
        PermissionDenied as PermissionDenied,
    )
    from lark_async.core.errors import (
        QuotaExceeded as QuotaExceeded,
    )
    from lark_async.core.errors import (
        RateLimited as RateLimited,
    )
    from lark_async.core.errors import (
        ServerError as ServerError,
    )
    from lark_async.core.errors import (
        TokenInvalid as TokenInvalid,
    )
    from lark_async.core.errors import (
        UnknownError as UnknownError,
    )
    from lark_async.core.logging import (
        configure_logging as configure_logging,
    )
    from lark_async.core.response import (
        LarkResponse as LarkResponse,
    )
    from lark_async.core.retry import (
        RetryPolicy as RetryPolicy,
    )
    from lark_async.core.service import (
        Service as Service,
    )
    from lark_async.core.service import (
        register_service as register_service,
    )
    from lark_async.core.transport import (
        Timeouts as Timeouts,
    )

_LAZY = {
    "LarkClient": "lark_async.client",
    "AppClient": "lark_async.client",
    "LarkResponse": "lark_async.core.response",
    "Service": "lark_async.core.service",
    "register_service": "lark_async.core.service",
    "configure_logging": "lark_async.core.logging",
    "RetryPolicy": "lark_async.core.retry",
    "Timeouts": "lark_async.core.transport",
    **{
        name: "lark_async.core.errors"
        for name in (
            "LarkError",
            "ErrorKind",
            "TokenInvalid",
            "RateLimited",
            "InvalidParameter",
            "PermissionDenied",
            "NotFound",
            "Conflict",
            "QuotaExceeded",
            "ConfigError",
            "LarkTimeout",
            "NetworkError",
            "ServerError",
            "UnknownError",
            "OutcomeUnknown",
        )
    },
}

__all__ = ["FEISHU", "LARK", "__version__"]
__all__ += list(_LAZY)

__getattr__, __dir__ = lazy_exports(__name__, _LAZY)
