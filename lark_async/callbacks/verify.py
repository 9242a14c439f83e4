"""Verifying one request at the ingress: under which scheme, for which app, as what event.

The checks themselves are pure code in :mod:`~lark_async.callbacks.security`. This
module decides how the two routes use them: ``/events`` accepts the event scheme
only; ``/cards`` tries the event scheme first (new card callbacks) and falls back
to the legacy card scheme (SHA-1, plain) when the app accepts it. The body must
name the app in the URL, if it names one.
"""

from __future__ import annotations

from collections.abc import Mapping

from lark_async.callbacks.events import LEGACY_CARD_TYPE, CallbackEvent, from_verified
from lark_async.callbacks.security import (
    TIMESTAMP_HEADER,
    CallbackRejected,
    CallbackVerifier,
    VerifiedCallback,
)

# Event-scheme failures that may just mean "this is a legacy (SHA-1) card callback".
_LEGACY_FALLBACK = frozenset(
    {"bad_signature", "missing_headers", "unknown_envelope", "encryption_required"}
)
_UNAUTHENTICATED = frozenset(
    {
        "missing_headers",
        "bad_timestamp",
        "stale_timestamp",
        "future_timestamp",
        "bad_signature",
        "replayed_nonce",
    }
)


def verify_request(
    verifier: CallbackVerifier,
    headers: Mapping[str, str],
    body: bytes,
    *,
    endpoint: str,
    app_id: str,
) -> VerifiedCallback:
    """The verified callback, or :class:`CallbackRejected` with the reason to log."""
    callback = _verify(verifier, headers, body, endpoint)
    if callback.app_id is not None and callback.app_id != app_id:
        verifier.release(callback)
        raise CallbackRejected("app_mismatch", 400)
    return callback


def event_of(
    callback: VerifiedCallback,
    verifier: CallbackVerifier,
    headers: Mapping[str, str],
    *,
    app_id: str,
    received_at: float,
) -> CallbackEvent:
    """The event handlers see, noting how it was authenticated."""
    legacy = callback.event_type == LEGACY_CARD_TYPE
    return from_verified(
        callback,
        app_id=app_id,
        received_at=received_at,
        signed=verifier.signed("card_v1" if legacy else "event"),
        timestamp=headers.get(TIMESTAMP_HEADER),
    )


def _verify(
    verifier: CallbackVerifier, headers: Mapping[str, str], body: bytes, endpoint: str
) -> VerifiedCallback:
    if endpoint == "events":
        return verifier.verify(headers, body, scheme="event")
    try:
        return verifier.verify(headers, body, scheme="event")
    except CallbackRejected as first:
        if first.reason not in _LEGACY_FALLBACK or not verifier.accepts_legacy_cards:
            raise
        try:
            return verifier.verify(headers, body, scheme="card_v1")
        except CallbackRejected as second:
            # Report the legacy reason only if the request authenticated as legacy.
            raise (first if second.reason in _UNAUTHENTICATED else second) from None
