"""Inbound Feishu events and card callbacks: verified, queued, handled once, answered.

    from lark_async.callbacks import AppKeys, Callbacks, CardUpdate, Toast

    callbacks = Callbacks({"cli_x": AppKeys(encrypt_key="…", verification_token="…")},
                          lark=lark, amqp_url="amqp://…", spool="spool.sqlite3")

    @callbacks.card_action("approve")
    async def approve(event): return CardUpdate(approved_card)

See docs/callbacks.md (the whole flow) and docs/callbacks-security.md (verification).
"""

from typing import TYPE_CHECKING

from lark_async.callbacks.app import Callbacks
from lark_async.callbacks.asgi import CallbackAsgi
from lark_async.callbacks.cards import CardClient, CardUpdater, UpdateResult
from lark_async.callbacks.dedupe import MemoryProcessedStore, ProcessedStore
from lark_async.callbacks.dispatch import Dispatcher, HandlerRetry, deprecated_retry_policy
from lark_async.callbacks.events import CallbackEvent, CardAction
from lark_async.callbacks.http import CallbackIngress
from lark_async.callbacks.inbound import IngressStats
from lark_async.callbacks.keys import AppKeys, KeySource, RegistryKeys, StaticKeys
from lark_async.callbacks.limits import CallbackRunner, ServerLimits
from lark_async.callbacks.longconn.client import LongConnection, LongConnectionFailed
from lark_async.callbacks.longconn.endpoint import LongConnectionRefused
from lark_async.callbacks.queue import (
    Broker,
    DeadLetter,
    Decision,
    Envelope,
    MemoryBroker,
    QueueUnavailable,
)
from lark_async.callbacks.rabbit import RabbitBroker
from lark_async.callbacks.replies import CardUpdate, Reply, Toast
from lark_async.callbacks.router import UNKNOWN_ACTION_TOAST, CallbackRouter, CardActionHandler
from lark_async.callbacks.security import (
    CallbackRejected,
    CallbackVerifier,
    MemoryReplayStore,
    ReplayMemoryFull,
    ReplayStore,
    VerifiedCallback,
)
from lark_async.callbacks.spool import Spool, SpoolUnavailable, SqliteSpool
from lark_async.callbacks.worker import Worker

__all__ = [
    "UNKNOWN_ACTION_TOAST",
    "AppKeys",
    "Broker",
    "CallbackAsgi",
    "CallbackEvent",
    "CallbackIngress",
    "CallbackRejected",
    "CallbackRouter",
    "CallbackRunner",
    "CallbackVerifier",
    "Callbacks",
    "CardAction",
    "CardActionHandler",
    "CardClient",
    "CardUpdate",
    "CardUpdater",
    "DeadLetter",
    "Decision",
    "Dispatcher",
    "Envelope",
    "HandlerRetry",
    "IngressStats",
    "KeySource",
    "LongConnection",
    "LongConnectionFailed",
    "LongConnectionRefused",
    "MemoryBroker",
    "MemoryProcessedStore",
    "MemoryReplayStore",
    "ProcessedStore",
    "QueueUnavailable",
    "RabbitBroker",
    "RegistryKeys",
    "ReplayMemoryFull",
    "ReplayStore",
    "Reply",
    "ServerLimits",
    "Spool",
    "SpoolUnavailable",
    "SqliteSpool",
    "StaticKeys",
    "Toast",
    "UpdateResult",
    "VerifiedCallback",
    "Worker",
]

if TYPE_CHECKING:
    RetryPolicy = HandlerRetry
else:

    def __getattr__(name: str) -> object:
        # RetryPolicy: the worker's policy before it was named HandlerRetry (deprecated).
        if name == "RetryPolicy":
            return deprecated_retry_policy(__name__)
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
