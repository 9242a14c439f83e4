"""The callback ingress, as first published here; kept so existing imports work.

It is now split by what each part does: :mod:`~lark_async.callbacks.http` (routes,
reading, answering) with :mod:`~lark_async.callbacks.verify` (which scheme, which
app, which event); :mod:`~lark_async.callbacks.delivery` (queue, spool, in-process
handling, settling, replay); :mod:`~lark_async.callbacks.inbound` (the per-callback
object, the answer, the counters).
"""

from lark_async.callbacks.delivery import DEFAULT_PUBLISH_TIMEOUT
from lark_async.callbacks.http import (
    DEFAULT_ANSWER_BUDGET,
    DEFAULT_EVENT_ID_TTL,
    DEFAULT_PREFIX,
    FEISHU_DEADLINE,
    CallbackIngress,
)
from lark_async.callbacks.inbound import DEGRADED_BODY, IngressStats

__all__ = [
    "DEFAULT_ANSWER_BUDGET",
    "DEFAULT_EVENT_ID_TTL",
    "DEFAULT_PREFIX",
    "DEFAULT_PUBLISH_TIMEOUT",
    "DEGRADED_BODY",
    "FEISHU_DEADLINE",
    "CallbackIngress",
    "IngressStats",
]
