"""How the bulk engine reads a Bitable refusal (:func:`verdict`).

Wait and resend, retry, split the chunk (a batch is all-or-nothing, so one bad
row fails the other 999), fail its rows, or stop the run. The codes themselves
(``BITABLE_CODES``) are in :mod:`lark_async.bitable.meta`, from which the client
builds its code table.
"""

from __future__ import annotations

from enum import Enum

from lark_async.bitable.meta import (
    BATCH_TOO_LARGE,
    BITABLE_CODES,
    RECORD_NOT_FOUND,
    TOO_LARGE_CELL,
    TOO_LARGE_RESPONSE,
    TOO_MANY_REQUESTS,
    WRITE_CONFLICT,
)
from lark_async.core.errors import ErrorKind, LarkError

__all__ = [
    "BATCH_TOO_LARGE",
    "BITABLE_CODES",
    "RECORD_NOT_FOUND",
    "SPLIT_CODES",
    "TOO_LARGE_CELL",
    "TOO_LARGE_RESPONSE",
    "TOO_MANY_REQUESTS",
    "WRITE_CONFLICT",
    "Verdict",
    "is_split_worthy",
    "verdict",
]


#: A chunk answered with one of these was refused whole because of its size or
#: of some rows in it: halving it isolates the rows at fault.
SPLIT_CODES = frozenset(
    {
        BATCH_TOO_LARGE,
        TOO_LARGE_CELL,
        TOO_LARGE_RESPONSE,
        RECORD_NOT_FOUND,
        1254006,
        1254007,
        1254015,
        1254027,
        1254045,
        1254106,
        1254303,
        *range(1254060, 1254070),
        1254072,
        1254074,
    }
)


def is_split_worthy(err: LarkError) -> bool:
    """Whether halving the chunk could get some of its rows through."""
    if err.code in SPLIT_CODES:
        return True
    return err.http_status == 413  # a gateway's "payload too large", should one appear


# Codes after which no retry or split can help: stop the run instead of sending the rest.
_FATAL_CODES = frozenset({1254003, 1254004, 1254040, 1254041, 1254301})
_FATAL_KINDS = frozenset(
    {
        ErrorKind.TOKEN_INVALID,
        ErrorKind.PERMISSION_DENIED,
        ErrorKind.CONFIG_ERROR,
        ErrorKind.QUOTA_EXCEEDED,
    }
)


class Verdict(Enum):
    """What a refused write call means for its chunk."""

    WAIT = "wait"  # refused before doing anything (rate limit, write conflict): resend
    TRANSIENT = "transient"  # may or may not have been applied: retry per operation's rule
    SPLIT = "split"  # refused because of its size or some of its rows
    FAIL = "fail"  # refused for good, for these rows
    FATAL = "fatal"  # refused for good, for the whole run


def verdict(err: LarkError) -> Verdict:
    """Classify a failed write: wait, retry, split, fail the rows, or stop the run."""
    if err.code in _FATAL_CODES or err.kind in _FATAL_KINDS:
        return Verdict.FATAL
    if err.kind is ErrorKind.RATE_LIMITED or err.code == WRITE_CONFLICT:
        return Verdict.WAIT
    if is_split_worthy(err):
        return Verdict.SPLIT
    if err.retryable:
        return Verdict.TRANSIENT
    return Verdict.FAIL
