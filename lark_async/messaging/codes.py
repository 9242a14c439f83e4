"""Per-endpoint meanings of IM error codes.

The codes themselves (``IM_CODES``) are in :mod:`lark_async.messaging.meta`,
from which the client builds its code table. A few numbers mean different things
on different endpoints (230071, 230075, 10002, 10003), so the
service re-reads those with :func:`refine` once it knows which endpoint answered.
"""

from __future__ import annotations

from typing import Any, Literal

from lark_async.core.errors import CodeInfo, ErrorKind, LarkError, OutcomeUnknown, error_class
from lark_async.core.response import LarkResponse
from lark_async.messaging.meta import IM_CODES

__all__ = ["ENDPOINT_CODES", "IM_CODES", "Endpoint", "refine", "retype"]

_K = ErrorKind

Endpoint = Literal[
    "send", "reply", "recall", "edit", "update_card", "batch_send", "card_update", "upload", "get"
]


# Numbers that mean something else on one endpoint (Feishu IM and callback docs).
ENDPOINT_CODES: dict[Endpoint, dict[int, CodeInfo]] = {
    "reply": {
        230071: CodeInfo(
            _K.INVALID_PARAMETER,
            False,
            "this chat does not support replies in threads; reply with reply_in_thread=False",
        ),
    },
    "edit": {
        230071: CodeInfo(
            _K.PERMISSION_DENIED, False, "only the sender can edit a message (this app did not)"
        ),
        230075: CodeInfo(
            _K.PERMISSION_DENIED,
            False,
            "the edit window set by the tenant admin has passed; send a new message instead",
        ),
    },
    "send": {
        230075: CodeInfo(_K.INVALID_PARAMETER, False, "encrypted chats do not accept bot messages"),
    },
    "batch_send": {
        10002: CodeInfo(_K.SERVER, False, "batch_send failed on Feishu's side; check the content"),
        10003: CodeInfo(
            _K.INVALID_PARAMETER,
            False,
            "batch_send rejected a parameter (ids, msg_type or content shape)",
        ),
        11247: CodeInfo(
            _K.QUOTA_EXCEEDED,
            False,
            "the app's daily batch_send quota (500,000 messages) is used up; try tomorrow",
        ),
    },
    "card_update": {
        10002: CodeInfo(_K.INVALID_PARAMETER, False, "card parameters invalid"),
    },
}


def refine(resp: LarkResponse[Any], endpoint: Endpoint) -> None:
    """Re-read an error whose code means something specific on ``endpoint`` (in place)."""
    err = resp.error
    # OutcomeUnknown keeps its class: what matters there is that the write may have happened.
    if err is None or err.code is None or isinstance(err, OutcomeUnknown):
        return
    info = ENDPOINT_CODES.get(endpoint, {}).get(err.code)
    if info is None:
        return
    resp.error = retype(err, info)


def retype(err: LarkError, info: CodeInfo) -> LarkError:
    """The same error with another kind, class, hint and retryability."""
    return error_class(info.kind)(
        err.message,
        kind=info.kind,
        code=err.code,
        retryable=info.retryable,
        hint=info.hint,
        http_status=err.http_status,
        request_id=err.request_id,
        log_id=err.log_id,
        permission_violations=err.permission_violations,
        field_violations=err.field_violations,
        troubleshooter=err.troubleshooter,
        details=err.details,
    )
