"""One callback on its way through the ingress, the answer it gets, what the ingress counts.

The HTTP side (:mod:`~lark_async.callbacks.http`, with
:mod:`~lark_async.callbacks.verify`) reads and verifies a request and builds an
:class:`InboundCallback`. The delivery side (:mod:`~lark_async.callbacks.delivery`)
takes it to the queue, the spool or an in-process handler and says how to answer
(:class:`Answer`). The HTTP side writes that answer, then sets
:attr:`InboundCallback.answered`: a card update made in-process waits for it, since
Feishu refuses or reverts an update sent before it has its answer (Feishu callback docs).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from lark_async.callbacks.events import CallbackEvent
from lark_async.callbacks.queue import Envelope
from lark_async.callbacks.router import Registration
from lark_async.callbacks.security import CallbackVerifier, VerifiedCallback

DEGRADED_BODY = {"code": 503, "msg": "service degraded: callback not accepted, retry later"}


@dataclass
class IngressStats:
    """Counters since start (for tests, metrics and the benchmark)."""

    received: int = 0
    url_verifications: int = 0
    duplicates: int = 0
    published: int = 0
    spooled: int = 0
    in_process: int = 0
    inline: int = 0
    degraded: int = 0
    unavailable: int = 0
    replayed: int = 0
    client_gone: int = 0  # clients that went away before their body was read
    rejected: Counter[str] = field(default_factory=Counter)


@dataclass(frozen=True, slots=True)
class Answer:
    """The HTTP answer to a callback.

    ``flush``: write it at once and only then set ``answered``, because an
    in-process handler's card update is waiting for Feishu to have it.
    """

    body: Mapping[str, Any]
    status: int = 200
    flush: bool = False

    @classmethod
    def unavailable(cls) -> Answer:
        """HTTP 503: nothing durable took the callback; Feishu will retry it."""
        return cls(DEGRADED_BODY, 503)


@dataclass(eq=False)
class InboundCallback:
    """A verified callback (not a url_verification), from its request to its answer.

    ``started`` is the clock's monotonic time when the request arrived and
    ``budget`` the seconds the ingress allows itself to answer from then.
    ``registration`` is the handler registered here for it, if any (set by the
    delivery side). ``answered`` is set once the HTTP answer is written.
    """

    app_id: str
    endpoint: str  # "events" or "cards": the route it came in on
    body: bytes  # raw, as signed
    headers: Mapping[str, str]
    verified: VerifiedCallback
    verifier: CallbackVerifier
    event: CallbackEvent
    started: float
    budget: float
    registration: Registration | None = None
    envelope: Envelope = field(init=False)
    answered: asyncio.Event = field(default_factory=asyncio.Event)
    # Also forgets it in the replay memory shared by every ingress, if there is one.
    on_forget: Callable[[], None] | None = None

    def __post_init__(self) -> None:
        self.envelope = Envelope(self.event)

    @property
    def event_id(self) -> str:
        return self.event.event_id

    def remaining(self, now: float) -> float:
        """Seconds left of the answer budget at monotonic time ``now``."""
        return max(0.0, self.budget - (now - self.started))

    def ack(self) -> Answer:
        """The 200 answer: the handler's ``ack`` toast if it has one, else ``{}``."""
        registration = self.registration
        if registration is not None and registration.ack is not None:
            return Answer({"toast": registration.ack.to_json()})
        return Answer({})

    def forget(self) -> None:
        """Drop its nonce and event id from replay memory, so Feishu's retry gets in.

        For a callback answered 503: it was accepted by nothing.
        """
        self.verifier.release(self.verified)
        if self.on_forget is not None:
            self.on_forget()
