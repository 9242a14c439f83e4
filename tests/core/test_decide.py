"""The retry decision as a table: every branch of ``decide`` without a network."""

from __future__ import annotations

import random

import pytest

from lark_async.core.errors import (
    Conflict,
    InvalidParameter,
    LarkError,
    LarkTimeout,
    NetworkError,
    OutcomeUnknown,
    RateLimited,
    ServerError,
    TokenInvalid,
)
from lark_async.core.retry import Action, CallTraits, Outcome, RetryPolicy, Tries, decide

POLICY = RetryPolicy(max_retries=3, backoff_base=1.0, jitter=0.0, rate_limit_max_wait=60.0)

READ = CallTraits(is_write=False, retry_safe=True)
KEYED_WRITE = CallTraits(is_write=True, retry_safe=True, idempotency_key="k-1", key_name="uuid")
IDEMPOTENT_WRITE = CallTraits(is_write=True, retry_safe=True, idempotent=True)
BARE_WRITE = CallTraits(is_write=True, retry_safe=False)
USER_READ = CallTraits(is_write=False, retry_safe=True, managed_token=False)
# as_user=: the library manages the user's token and may refresh it once
AS_USER_WRITE = CallTraits(is_write=True, retry_safe=False, managed_token=True, refetch_limit=1)

server = ServerError("boom", code=1500, retryable=True)
network = NetworkError("reset", retryable=True)
timeout = LarkTimeout("slow", retryable=True)
limited = RateLimited("429", code=99991400, retryable=True)
conflict = Conflict("busy table", code=1254291, retryable=True)
bad_param = InvalidParameter("bad", code=1254001)
token_bad = TokenInvalid("expired", code=99991663, retryable=True)


@pytest.mark.parametrize(
    ("outcome", "tries", "call", "action", "delay"),
    [
        # reads retry transient errors with 1, 2, 4 s, then fail
        (Outcome(server), Tries(0), READ, Action.RETRY, 1.0),
        (Outcome(server), Tries(1), READ, Action.RETRY, 2.0),
        (Outcome(network), Tries(2), READ, Action.RETRY, 4.0),
        (Outcome(timeout), Tries(3), READ, Action.FAIL, 0.0),
        # a non-retryable answer fails at once
        (Outcome(bad_param), Tries(0), READ, Action.FAIL, 0.0),
        (Outcome(bad_param), Tries(0), BARE_WRITE, Action.FAIL, 0.0),
        # rate limits wait the reset header (capped), else the default
        (Outcome(limited, not_applied=True, reset_header="7"), Tries(0), READ, Action.RETRY, 7.0),
        (
            Outcome(limited, not_applied=True, reset_header="600"),
            Tries(0),
            READ,
            Action.RETRY,
            60.0,
        ),
        (Outcome(limited, not_applied=True, reset_header="x"), Tries(0), READ, Action.RETRY, 30.0),
        (Outcome(limited, not_applied=True), Tries(0), BARE_WRITE, Action.RETRY, 30.0),
        # keyed writes are resent like reads; out of retries they may have been applied
        (Outcome(server), Tries(0), KEYED_WRITE, Action.RETRY, 1.0),
        (Outcome(network), Tries(3), KEYED_WRITE, Action.UNKNOWN, 0.0),
        (Outcome(network), Tries(3), IDEMPOTENT_WRITE, Action.FAIL, 0.0),
        (Outcome(network, sent=False), Tries(3), KEYED_WRITE, Action.FAIL, 0.0),
        (
            Outcome(limited, not_applied=True, reset_header="1"),
            Tries(3),
            KEYED_WRITE,
            Action.FAIL,
            0.0,
        ),
        (Outcome(bad_param), Tries(0), KEYED_WRITE, Action.FAIL, 0.0),
        # a keyless write that may have been applied is never resent
        (Outcome(server), Tries(0), BARE_WRITE, Action.UNKNOWN, 0.0),
        (Outcome(network), Tries(0), BARE_WRITE, Action.UNKNOWN, 0.0),
        (Outcome(timeout), Tries(3), BARE_WRITE, Action.UNKNOWN, 0.0),
        # ... unless it certainly was not: never connected, or refused before applying
        (Outcome(network, sent=False), Tries(0), BARE_WRITE, Action.RETRY, 1.0),
        (Outcome(network, sent=False), Tries(3), BARE_WRITE, Action.FAIL, 0.0),
        (Outcome(conflict, not_applied=True), Tries(0), BARE_WRITE, Action.RETRY, 1.0),
        # rejected tokens: managed ones are refetched twice, user tokens end the call
        (Outcome(token_bad, token_rejected=True), Tries(0, 0), READ, Action.REFETCH, 0.0),
        (Outcome(token_bad, token_rejected=True), Tries(0, 1), BARE_WRITE, Action.REFETCH, 0.0),
        (Outcome(token_bad, token_rejected=True), Tries(0, 2), READ, Action.FAIL, 0.0),
        (Outcome(token_bad, token_rejected=True), Tries(0, 0), USER_READ, Action.FAIL, 0.0),
        # ... as_user tokens are refreshed and the call replayed once
        (Outcome(token_bad, token_rejected=True), Tries(0, 0), AS_USER_WRITE, Action.REFETCH, 0.0),
        (Outcome(token_bad, token_rejected=True), Tries(0, 1), AS_USER_WRITE, Action.FAIL, 0.0),
        # a token-invalid code without a token sent is an ordinary error
        (Outcome(token_bad), Tries(0), READ, Action.RETRY, 1.0),
    ],
)
def test_decision_table(
    outcome: Outcome, tries: Tries, call: CallTraits, action: Action, delay: float
) -> None:
    decision = decide(outcome, tries, call, POLICY)
    assert decision.action is action
    assert decision.delay == pytest.approx(delay)
    if action in (Action.FAIL, Action.UNKNOWN):
        assert isinstance(decision.error, LarkError)
    else:
        assert decision.error is None


def test_unknown_outcome_keeps_the_cause_and_is_not_retryable() -> None:
    decision = decide(Outcome(timeout), Tries(0), BARE_WRITE, POLICY)
    err = decision.error
    assert isinstance(err, OutcomeUnknown)
    assert err.kind is timeout.kind and not err.retryable
    assert "idempotency key" in (err.hint or "")


def test_keyed_write_out_of_retries_says_retry_with_that_key() -> None:
    decision = decide(Outcome(timeout), Tries(3), KEYED_WRITE, POLICY)
    err = decision.error
    assert isinstance(err, OutcomeUnknown)
    assert err.kind is timeout.kind and err.retryable
    assert err.idempotency_key == "k-1"
    assert "uuid='k-1'" in (err.hint or "")


def test_keyless_unknown_outcome_is_not_retryable() -> None:
    err = decide(Outcome(server), Tries(0), BARE_WRITE, POLICY).error
    assert isinstance(err, OutcomeUnknown) and not err.retryable and err.idempotency_key is None


def test_refetch_budget_exhausted_still_invalidates_and_says_why() -> None:
    decision = decide(Outcome(token_bad, token_rejected=True), Tries(0, 2), READ, POLICY)
    assert decision.invalidate_token
    assert isinstance(decision.error, TokenInvalid) and not decision.error.retryable
    assert "3 tokens in a row" in (decision.error.hint or "")


def test_user_token_is_not_invalidated_and_hint_says_refresh() -> None:
    decision = decide(Outcome(token_bad, token_rejected=True), Tries(), USER_READ, POLICY)
    assert not decision.invalidate_token
    assert isinstance(decision.error, TokenInvalid)
    assert "refresh_token" in (decision.error.hint or "")


def test_backoff_jitter_stays_within_bounds() -> None:
    policy = RetryPolicy(jitter=0.2)
    rng = random.Random(7)
    for retry in range(5):
        d = decide(Outcome(server), Tries(retry), CallTraits(max_retries=10), policy, rng)
        base = min(policy.backoff_max, 2.0**retry)
        assert 0.8 * base <= d.delay <= 1.2 * base


def test_max_retries_zero_fails_first_time() -> None:
    d = decide(Outcome(server), Tries(0), CallTraits(max_retries=0), POLICY)
    assert d.action is Action.FAIL


def test_a_later_refusal_after_a_maybe_applied_attempt_is_still_unknown() -> None:
    # attempt 1 was lost (may have landed), the last one was rate limited: unknown
    outcome = Outcome(limited, not_applied=True, reset_header="1")
    d = decide(outcome, Tries(3, 0, maybe_applied=True), KEYED_WRITE, POLICY)
    assert d.action is Action.UNKNOWN and isinstance(d.error, OutcomeUnknown)
    assert d.error.retryable and d.error.idempotency_key == "k-1"
    # ... but a definite refusal is a refusal
    d = decide(Outcome(bad_param), Tries(1, 0, maybe_applied=True), KEYED_WRITE, POLICY)
    assert d.action is Action.FAIL
