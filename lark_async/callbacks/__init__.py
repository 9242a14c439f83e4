"""Inbound Feishu callbacks: verification now; the ingress app and routing come later."""

from lark_async.callbacks.security import (
    CallbackRejected,
    CallbackVerifier,
    MemoryReplayStore,
    ReplayStore,
    VerifiedCallback,
)

__all__ = [
    "CallbackRejected",
    "CallbackVerifier",
    "MemoryReplayStore",
    "ReplayStore",
    "VerifiedCallback",
]
