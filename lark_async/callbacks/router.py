"""Handler registration: which async function gets which event or card action.

    router = CallbackRouter()

    @router.card_action("approve")            # value {"action": "approve", ...}
    async def approve(event: CallbackEvent) -> CardUpdate: ...

    # a card sent with on_action=approve (or on_action="approve") reaches it too,
    # in whichever process consumes the click
    await lark.messaging.send_interactive_card("ou_...", card, on_action=approve)

    @router.card_action("ping", sync=True, budget=1.0)   # answers inline
    async def ping(event: CallbackEvent) -> Toast: ...

    @router.event("im.message.receive_v1")
    async def on_message(event: CallbackEvent) -> None: ...

Card actions are matched by :attr:`CallbackEvent.action_name`, then by a catch-all
``card_action()``; events by type, then by a catch-all ``event()``. A click on a
card sent with ``on_action=`` names its handler (the value's reserved key
``__lark_async_action``): only that handler runs it, never the catch-all.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import Awaitable, Callable, Coroutine, Iterator
from dataclasses import dataclass
from typing import Any, Generic, ParamSpec, TypeVar, overload

from lark_async.callbacks.events import CallbackEvent, EventKind
from lark_async.callbacks.replies import HandlerResult, Toast
from lark_async.core.checks import bad_argument, check_bool, check_number, check_text
from lark_async.core.errors import InvalidParameter

Handler = Callable[[CallbackEvent], Awaitable[HandlerResult]]
F = TypeVar("F", bound=Handler)
P = ParamSpec("P")
R = TypeVar("R")

#: The answer to a click whose card names a handler nobody registered (a renamed or
#: removed handler, or a worker deployed without it).
UNKNOWN_ACTION_TOAST = Toast(
    "This button is no longer handled",
    type="error",
    i18n={"zh_cn": "该按钮的处理程序不存在", "en_us": "This button is no longer handled"},
)

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


class CardActionHandler(Generic[P, R]):
    """A handler registered with ``card_action(name)``: still callable as the handler.

    ``card_action_name`` is the name it was registered under; pass the object (or
    the name) as ``on_action=`` when sending a card, and that card's clicks come
    back to it, in whichever process consumes them.
    """

    def __init__(self, handler: Callable[P, Coroutine[Any, Any, R]], name: str) -> None:
        functools.update_wrapper(self, handler)  # __name__, __doc__, __wrapped__ …
        self.__wrapped__ = handler
        self.card_action_name = name
        # Still an async function to inspect.iscoroutinefunction (frameworks and
        # schedulers ask it): on 3.11 only a function-like object passes.
        for attribute in ("__code__", "__defaults__", "__kwdefaults__"):
            if hasattr(handler, attribute):
                setattr(self, attribute, getattr(handler, attribute))

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> Coroutine[Any, Any, R]:
        return self.__wrapped__(*args, **kwargs)

    def __repr__(self) -> str:
        qualname = getattr(self.__wrapped__, "__qualname__", "?")
        return f"<card action {self.card_action_name!r}: {qualname}>"


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

    @overload
    def card_action(
        self,
        action: str,
        *,
        sync: bool = False,
        budget: float = DEFAULT_SYNC_BUDGET,
        ack: Toast | None = None,
    ) -> Callable[[Callable[P, Coroutine[Any, Any, R]]], CardActionHandler[P, R]]: ...

    @overload
    def card_action(
        self,
        action: None = None,
        *,
        sync: bool = False,
        budget: float = DEFAULT_SYNC_BUDGET,
        ack: Toast | None = None,
    ) -> Callable[[F], F]: ...

    def card_action(
        self,
        action: str | None = None,
        *,
        sync: bool = False,
        budget: float = DEFAULT_SYNC_BUDGET,
        ack: Toast | None = None,
    ) -> Callable[[Any], Any]:
        """Register an async handler for a card action (None: any action without one).

        ``sync=True`` runs it while Feishu waits, within ``budget`` seconds (at most
        2.5), so its toast or card goes back inline. Otherwise the click is queued
        and answered at once, with ``ack`` as the toast if given. With a name, it
        returns a :class:`CardActionHandler` (callable as the handler, with
        ``card_action_name``) to pass as ``on_action=`` when sending a card.
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

        def register(handler: Any) -> Any:
            checked: Handler = _check_handler(handler)
            if action is not None:  # the handler the router runs is the one returned
                if isinstance(handler, CardActionHandler) and handler.card_action_name == action:
                    checked = handler
                else:
                    checked = CardActionHandler(_unwrap(handler), action)
            registration = Registration(checked, "card_action", action, sync, float(budget), ack)
            self._add(self._actions, registration)
            return registration.handler

        return register

    def include(self, other: CallbackRouter) -> None:
        """Add every handler of ``other`` (e.g. one router per feature module)."""
        if not isinstance(other, CallbackRouter):
            raise bad_argument("other", f"must be a CallbackRouter, not {type(other).__name__}")
        for registration in other:
            table = self._actions if registration.kind == "card_action" else self._events
            self._add(table, registration)

    def resolve(self, event: CallbackEvent) -> Registration | None:
        """The handler for ``event``, or None.

        A click on a card sent with ``on_action=`` goes to that name's handler or
        to none (an unknown name is never given to the catch-all).
        """
        if event.kind == "card_action":
            if event.action is not None and event.action.routed_to is not None:
                return self._actions.get(event.action.routed_to)
            name = event.action_name
            found = self._actions.get(name) if name is not None else None
            return found or self._actions.get(None)
        return self._events.get(event.event_type) or self._events.get(None)

    def knows_action_names(self) -> bool:
        """Whether any handler is registered by name (then unknown names can be refused)."""
        return any(key is not None for key in self._actions)

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
        if existing is not None and _unwrap(existing.handler) is not _unwrap(registration.handler):
            what = registration.key if registration.key is not None else "(catch-all)"
            raise InvalidParameter(
                f"{registration.kind} {what} already has a handler ({existing.name})",
                hint="one handler per event type or action; dispatch inside it if needed",
            )
        table[registration.key] = registration


def unknown_action(router: CallbackRouter, event: CallbackEvent) -> str | None:
    """The handler name ``event``'s card carries, when this router can tell it is unknown.

    Only a router with handlers registered by name can tell: an ingress without
    handlers passes every click on to the workers.
    """
    action = event.action
    if event.kind != "card_action" or action is None or action.routed_to is None:
        return None
    if not router.knows_action_names() or router.resolve(event) is not None:
        return None
    return action.routed_to


def _check_key(name: str, value: object) -> None:
    if not isinstance(value, str) or not value.strip() or len(value) > 200:
        raise InvalidParameter(f"{name} must be a non-empty string of at most 200 characters")
    check_text(value, name)


def _unwrap(handler: Any) -> Any:
    # A CardActionHandler registered again (another name, another router).
    return handler.__wrapped__ if isinstance(handler, CardActionHandler) else handler


def _check_handler(handler: object) -> Handler:
    handler = _unwrap(handler)
    if not callable(handler) or not inspect.iscoroutinefunction(handler):
        raise InvalidParameter(
            f"callback handlers must be async functions, not {type(handler).__name__}",
            hint="define it with `async def handler(event): ...`",
        )
    return handler
