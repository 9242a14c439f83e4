"""Handler registration: which async function gets which event or card action.

    router = CallbackRouter()

    @router.card_action("approve")            # value {"action": "approve", ...}
    async def approve(event: CallbackEvent) -> CardUpdate: ...

    @router.card_action("ping", sync=True, budget=1.0)   # answers inline
    async def ping(event: CallbackEvent) -> Toast: ...

    @router.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None: ...

Card actions are matched by :attr:`CallbackEvent.action_name`, then by a catch-all
``card_action()``; events by type, then by a catch-all ``event()``.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from lark_async.callbacks.events import CallbackEvent, EventKind
from lark_async.callbacks.replies import HandlerResult, Toast
from lark_async.core.checks import bad_argument, check_bool, check_number, check_text
from lark_async.core.errors import InvalidParameter

Handler = Callable[[CallbackEvent], Awaitable[HandlerResult]]
F = TypeVar("F", bound=Handler)

# Feishu waits 3 s for a card callback answer (Feishu callback docs); leave room for the
# verification before and the network after.
MAX_SYNC_BUDGET = 2.5
DEFAULT_SYNC_BUDGET = 2.0


@dataclass(frozen=True, slots=True)
class Registration:
    """One registered handler. ``key`` None is a catch-all for its kind."""

    handler: Handler
    kind: EventKind
    key: str | None
    sync: bool = False
    budget: float = DEFAULT_SYNC_BUDGET
    ack: Toast | None = None

    @property
    def name(self) -> str:
        """The handler's qualified name, for logs."""
        module = getattr(self.handler, "__module__", "?")
        qualname = getattr(self.handler, "__qualname__", type(self.handler).__name__)
        return f"{module}.{qualname}"


class CallbackRouter:
    """Maps events and card actions to async handlers; see the module docstring."""

    def __init__(self) -> None:
        self._events: dict[str | None, Registration] = {}
        self._actions: dict[str | None, Registration] = {}

    def event(self, event_type: str | None = None) -> Callable[[F], F]:
        """Register an async handler for ``event_type`` (None: any event without one)."""
        if event_type is not None:
            _check_key("event_type", event_type)
            if event_type.startswith("card.action.trigger"):
                raise InvalidParameter(
                    f"{event_type} is a card callback",
                    hint="register it with card_action(...) instead of event(...)",
                )

        def register(handler: F) -> F:
            self._add(self._events, Registration(_check_handler(handler), "event", event_type))
            return handler

        return register

    def card_action(
        self,
        action: str | None = None,
        *,
        sync: bool = False,
        budget: float = DEFAULT_SYNC_BUDGET,
        ack: Toast | None = None,
    ) -> Callable[[F], F]:
        """Register an async handler for a card action (None: any action without one).

        ``sync=True`` runs it while Feishu waits, within ``budget`` seconds (at most
        2.5), so its toast or card goes back inline. Otherwise the click is queued
        and answered at once, with ``ack`` as the toast if given.
        """
        if action is not None:
            _check_key("action", action)
        check_bool(sync, "sync")
        if isinstance(budget, bool) or not isinstance(budget, int | float):
            raise InvalidParameter("budget must be a number of seconds")
        check_number(budget, "budget")
        if not 0 < budget <= MAX_SYNC_BUDGET:
            raise InvalidParameter(
                f"budget={budget} s; a synchronous handler must answer within "
                f"(0, {MAX_SYNC_BUDGET}] s",
                hint="Feishu gives a card callback 3 s in all; do slow work asynchronously",
            )
        if ack is not None and not isinstance(ack, Toast):
            raise InvalidParameter("ack must be a Toast", hint="ack=Toast('已收到，处理中')")
        if sync and ack is not None:
            raise InvalidParameter(
                "ack is for asynchronous handlers",
                hint="a synchronous handler answers with the Toast it returns",
            )

        def register(handler: F) -> F:
            registration = Registration(
                _check_handler(handler), "card_action", action, sync, float(budget), ack
            )
            self._add(self._actions, registration)
            return handler

        return register

    def include(self, other: CallbackRouter) -> None:
        """Add every handler of ``other`` (e.g. one router per feature module)."""
        if not isinstance(other, CallbackRouter):
            raise bad_argument("other", f"must be a CallbackRouter, not {type(other).__name__}")
        for registration in other:
            table = self._actions if registration.kind == "card_action" else self._events
            self._add(table, registration)

    def resolve(self, event: CallbackEvent) -> Registration | None:
        """The handler for ``event``, or None."""
        if event.kind == "card_action":
            name = event.action_name
            found = self._actions.get(name) if name is not None else None
            return found or self._actions.get(None)
        return self._events.get(event.event_type) or self._events.get(None)

    def __iter__(self) -> Iterator[Registration]:
        yield from self._events.values()
        yield from self._actions.values()

    def __len__(self) -> int:
        return len(self._events) + len(self._actions)

    def __repr__(self) -> str:
        return (
            f"CallbackRouter(events={sorted(str(k) for k in self._events)}, "
            f"card_actions={sorted(str(k) for k in self._actions)})"
        )

    @staticmethod
    def _add(table: dict[str | None, Registration], registration: Registration) -> None:
        existing = table.get(registration.key)
        if existing is not None and existing.handler is not registration.handler:
            what = registration.key if registration.key is not None else "(catch-all)"
            raise InvalidParameter(
                f"{registration.kind} {what} already has a handler ({existing.name})",
                hint="one handler per event type or action; dispatch inside it if needed",
            )
        table[registration.key] = registration


def _check_key(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidParameter(f"{name} must be a non-empty string of at most 200 characters")
    check_text(value, name)


def _check_handler(handler: object) -> Handler:
    if not callable(handler) or not inspect.iscoroutinefunction(handler):
        raise InvalidParameter(
            f"callback handlers must be async functions, not {type(handler).__name__}",
            hint="define it with `async def handler(event): ...`",
        )
    return handler
