"""Retries, decided in one place.

:func:`backoff` is the one backoff formula of the library: the transport, the
Bitable bulk engine and the callback worker all wait what it says.
:class:`RetryPolicy` is the client's policy (public name).
"""

from __future__ import annotations

import contextlib
import math
import random
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

from lark_async.core.checks import check_int, check_number
from lark_async.core.errors import (
    ErrorKind,
    InvalidParameter,
    LarkError,
    OutcomeUnknown,
    TokenInvalid,
)

_RNG = random.Random()


def backoff(
    retry_index: int,
    *,
    base: float = 1.0,
    cap: float = 30.0,
    jitter: float = 0.2,
    schedule: Sequence[float] | None = None,
    rng: random.Random | None = None,
) -> float:
    """Seconds to wait before retry number ``retry_index + 1`` (``retry_index`` >= 0).

    Exponential by default (``base * 2**retry_index``, at most ``cap``); with a
    ``schedule`` the n-th retry waits ``schedule[n]`` (the last entry repeats).
    ``jitter`` spreads each delay by ± that fraction so clients that failed
    together do not retry together.
    """
    index = max(0, retry_index)
    if schedule:
        delay = float(schedule[min(index, len(schedule) - 1)])
    else:
        delay = min(cap, base * (2.0 ** min(index, 62)))
    if jitter:
        delay *= 1 + (rng or _RNG).uniform(-jitter, jitter)
    return max(0.0, delay)


@dataclass(slots=True)
class RetryPolicy:
    """How the client retries a call (``LarkClient(retry=...)``)."""

    max_retries: int = 3
    backoff_base: float = 1.0  # 1 s, 2 s, 4 s ...
    backoff_max: float = 30.0
    jitter: float = 0.2  # ± fraction of each delay
    rate_limit_default_wait: float = 30.0
    rate_limit_max_wait: float = 60.0
    token_refetches: int = 2

    def __post_init__(self) -> None:
        self.check()

    def check(self, prefix: str = "", error: type[LarkError] = InvalidParameter) -> None:
        """Refuse fields that make no sense, naming them (``prefix``: e.g. ``"retry."``)."""
        for name in ("max_retries", "token_refetches"):
            check_int(getattr(self, name), prefix + name, min=0, error=error)
        for name in (
            "backoff_base",
            "backoff_max",
            "rate_limit_default_wait",
            "rate_limit_max_wait",
        ):
            check_number(getattr(self, name), prefix + name, min=0, error=error)
        check_number(self.jitter, prefix + "jitter", min=0, max=1, error=error)

    def backoff(self, retry_index: int, rng: random.Random | None = None) -> float:
        return backoff(
            retry_index, base=self.backoff_base, cap=self.backoff_max, jitter=self.jitter, rng=rng
        )

    def rate_limit_wait(self, reset_header: str | None) -> float:
        wait = self.rate_limit_default_wait
        if reset_header:
            with contextlib.suppress(ValueError):
                wait = float(reset_header)
        if not math.isfinite(wait):
            wait = self.rate_limit_default_wait
        return max(0.0, min(wait, self.rate_limit_max_wait))


# -- the retry decision ---------------------------------------------------------


class Action(StrEnum):
    RETRY = "retry"  # send again after ``delay`` seconds
    REFETCH = "refetch"  # drop the token, get a fresh one, replay (not a retry)
    FAIL = "fail"  # give the error to the caller
    UNKNOWN = "unknown"  # a write may have been applied: OutcomeUnknown, never resent


@dataclass(frozen=True, slots=True)
class Outcome:
    """One failed attempt, as far as retrying is concerned."""

    error: LarkError
    sent: bool = True  # the request may have reached the server
    not_applied: bool = False  # the server said it did nothing (429, write conflict …)
    token_rejected: bool = False  # the answer says the access token is bad
    reset_header: str | None = None  # x-ogw-ratelimit-reset

    def may_have_applied(self, is_write: bool) -> bool:
        """A definite refusal (a code answer) applied nothing; a transient failure
        of a write that reached the server may have been applied."""
        return is_write and self.sent and not self.not_applied and self.error.retryable


@dataclass(frozen=True, slots=True)
class CallTraits:
    """What about the call itself decides whether it may be resent."""

    is_write: bool = False
    retry_safe: bool = True  # a read, or a write with an idempotency key / idempotent
    managed_token: bool = True  # tenant/app tokens, and as_user= tokens, can be refetched
    refetch_limit: int | None = None  # at most this many refetches (as_user=: one refresh)
    max_retries: int = 3
    idempotency_key: str | None = None  # the key the write carries, if any
    key_name: str = "idempotency_key"  # where the caller gives it: uuid=, client_token= …
    idempotent: bool = False  # declared safe to repeat as is: never an unknown outcome


@dataclass(frozen=True, slots=True)
class Tries:
    """How much of the call's budgets is used."""

    retries: int = 0
    refetches: int = 0
    maybe_applied: bool = False  # an earlier attempt of this write may have been applied


@dataclass(frozen=True, slots=True)
class Decision:
    action: Action
    delay: float = 0.0
    invalidate_token: bool = False  # tell the token source that this token is bad
    error: LarkError | None = None  # the error to end with (FAIL / UNKNOWN)


def decide(
    outcome: Outcome,
    tries: Tries,
    call: CallTraits,
    policy: RetryPolicy | None = None,
    rng: random.Random | None = None,
) -> Decision:
    """What to do after a failed attempt. Pure: no I/O, no clock.

    - a rejected managed token is dropped, refetched and the call replayed, at
      most ``policy.token_refetches`` times (``call.refetch_limit`` if lower: a
      user token managed through ``as_user=`` is refreshed and replayed once);
      a user token given by the caller ends the call;
    - a write that may have been applied and carries no key is never resent:
      it ends as :class:`OutcomeUnknown`;
    - otherwise retryable errors are retried ``max_retries`` times, waiting the
      rate-limit reset for 429s and the backoff for the rest;
    - a write whose retries run out after it may have been applied ends as
      :class:`OutcomeUnknown` too: retryable (with the same key) when it has one.
    """
    policy = policy or _DEFAULT_POLICY
    err = outcome.error
    if outcome.token_rejected:
        if not call.managed_token:
            return Decision(Action.FAIL, error=_token_failure(err, _USER_TOKEN_HINT))
        budget = policy.token_refetches
        if call.refetch_limit is not None:
            budget = min(budget, call.refetch_limit)
        if tries.refetches < budget:
            return Decision(Action.REFETCH, invalidate_token=True)
        if call.refetch_limit is not None:
            hint = (
                "Feishu rejected the user's token again after a refresh; the user may "
                "have to authorise again (lark.user_auth.start_session)"
            )
            return Decision(Action.FAIL, invalidate_token=True, error=_token_failure(err, hint))
        hint = (
            f"Feishu rejected {policy.token_refetches + 1} tokens in a row; check that the "
            "app is enabled and installed, and not revoked by an admin"
        )
        return Decision(Action.FAIL, invalidate_token=True, error=_token_failure(err, hint))
    # Only a write that is not safe to repeat as is can be applied "twice":
    # an idempotent one (a PUT of whole values, a token request) just fails.
    applied_now = outcome.may_have_applied(call.is_write and not call.idempotent)
    if not err.retryable or tries.retries >= call.max_retries:
        if applied_now or (tries.maybe_applied and err.retryable):
            return Decision(Action.UNKNOWN, error=outcome_unknown(err, call))
        return Decision(Action.FAIL, error=err)
    if applied_now and not call.retry_safe:
        return Decision(Action.UNKNOWN, error=outcome_unknown(err, call))
    if err.kind is ErrorKind.RATE_LIMITED:
        delay = policy.rate_limit_wait(outcome.reset_header)
    else:
        delay = policy.backoff(tries.retries, rng)
    return Decision(Action.RETRY, delay=delay)


_DEFAULT_POLICY = RetryPolicy()
_USER_TOKEN_HINT = (
    # A user's token can't be refetched here: only the user's refresh token (or
    # re-authorisation) can replace it.
    "the user_access_token is invalid or expired: refresh it with the user's "
    "refresh_token, or ask the user to authorise again"
)


def _token_failure(err: LarkError, hint: str) -> TokenInvalid:
    return TokenInvalid(
        err.message,
        code=err.code,
        retryable=False,
        http_status=err.http_status,
        request_id=err.request_id,
        log_id=err.log_id,
        hint=hint,
    )


def outcome_unknown(err: LarkError, call: CallTraits | None = None) -> OutcomeUnknown:
    """The error of a write that may or may not have been applied.

    With a key it is safe to send again *with the same key* (Feishu de-duplicates
    on it), so it is retryable and the hint names the argument and value.
    """
    key = call.idempotency_key if call is not None else None
    if key:
        assert call is not None
        retryable = True
        hint = (
            f"it may have been applied: retry with the same key ({call.key_name}={key!r}), "
            "which Feishu de-duplicates; a new key could apply it twice"
        )
    else:
        retryable = False
        hint = (
            "not retried blindly: read the resource back, or resend with an idempotency key "
            "(IM uuid, Bitable client_token) so retries are safe"
        )
    return OutcomeUnknown(
        f"the write was sent but its outcome is unknown ({err.message})",
        kind=err.kind,
        code=err.code,
        retryable=retryable,
        http_status=err.http_status,
        request_id=err.request_id,
        log_id=err.log_id,
        hint=hint,
        idempotency_key=key,
    )
