"""Who a message goes to: ``receive_id`` + ``receive_id_type`` (Feishu IM docs).

The type is inferred from the id's shape where that is unambiguous
(``ou_`` open_id, ``on_`` union_id, ``oc_`` chat_id, an e-mail address);
a tenant ``user_id`` has no recognisable shape, so it must be named.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Literal, get_args

from lark_async.messaging._checks import invalid

ReceiveIdType = Literal["open_id", "union_id", "user_id", "email", "chat_id"]
RECEIVE_ID_TYPES: tuple[str, ...] = get_args(ReceiveIdType)

_PREFIXES: dict[str, ReceiveIdType] = {"ou_": "open_id", "on_": "union_id", "oc_": "chat_id"}
_EXPECTED_PREFIX = {v: k for k, v in _PREFIXES.items()}
# Deliberately simple: one @, a dot in the domain, no spaces. Feishu does the real check.
_EMAIL = re.compile(r"^[^@\s\"'<>]+@[^@\s\"'<>]+\.[^@\s\"'<>]+\Z")
_MAX_ID_LEN = 256


@dataclass(frozen=True, slots=True)
class Receiver:
    """A resolved recipient: the id and the ``receive_id_type`` it is sent with."""

    id: str
    id_type: ReceiveIdType

    def __post_init__(self) -> None:
        if not isinstance(self.id, str) or not self.id:
            raise invalid(
                "id",
                f"must be a non-empty string, got {type(self.id).__name__}",
                "the id to send to",
            )
        if not isinstance(self.id_type, str) or self.id_type not in RECEIVE_ID_TYPES:
            raise invalid(
                "id_type",
                f"{self.id_type!r:.40} is not a receive_id_type",
                f"use one of {', '.join(RECEIVE_ID_TYPES)}",
            )

    @property
    def is_chat(self) -> bool:
        return self.id_type == "chat_id"

    def __str__(self) -> str:
        return self.id


def infer_receive_id_type(receive_id: str) -> ReceiveIdType | None:
    """The type an id's shape implies, or None when it could be anything (a user_id)."""
    if not isinstance(receive_id, str):
        raise invalid(
            "receive_id",
            f"must be a string, got {type(receive_id).__name__}",
            "pass an open_id (ou_...), union_id (on_...), chat_id (oc_...), e-mail or user_id",
        )
    for prefix, kind in _PREFIXES.items():
        if receive_id.startswith(prefix):
            return kind
    if _EMAIL.match(receive_id):
        return "email"
    return None


def resolve_receiver(
    receive_id: str | Receiver, receive_id_type: ReceiveIdType | str | None = None
) -> Receiver:
    """Check an id and settle its type, or raise ``InvalidParameter`` saying why.

    An explicit type that contradicts the id's shape (``open_id`` for ``oc_...``)
    is refused rather than sent, since Feishu would only answer 230034.
    """
    if isinstance(receive_id, Receiver):
        if receive_id_type is not None and receive_id_type != receive_id.id_type:
            raise invalid(
                "receive_id_type",
                f"{receive_id_type!r} contradicts the Receiver's {receive_id.id_type!r}",
                "leave receive_id_type out when passing a Receiver",
            )
        receive_id_type = receive_id.id_type
        receive_id = receive_id.id
    if not isinstance(receive_id, str) or not receive_id.strip():
        raise invalid(
            "receive_id",
            f"must be a non-empty string, got {receive_id!r}"[:120],
            "pass an open_id (ou_...), union_id (on_...), chat_id (oc_...), e-mail or user_id",
        )
    if receive_id != receive_id.strip() or len(receive_id) > _MAX_ID_LEN:
        raise invalid(
            "receive_id",
            f"{receive_id[:60]!r} has surrounding whitespace or is too long",
            f"ids are at most {_MAX_ID_LEN} characters without spaces",
        )
    if not receive_id.isprintable():
        raise invalid(
            "receive_id",
            f"{receive_id[:60]!r} contains control or invalid characters",
            "Feishu ids are printable text",
        )
    inferred = infer_receive_id_type(receive_id)
    if receive_id_type is None:
        if inferred is None:
            raise invalid(
                "receive_id_type",
                f"cannot tell what kind of id {receive_id[:60]!r} is",
                "ids without a known prefix are tenant user_ids: pass receive_id_type='user_id' "
                "(open_id ou_..., union_id on_..., chat_id oc_... and e-mails are recognised)",
            )
        return Receiver(receive_id, inferred)
    if not isinstance(receive_id_type, str) or receive_id_type not in RECEIVE_ID_TYPES:
        raise invalid(
            "receive_id_type",
            f"{receive_id_type!r} is not a receive_id_type",
            f"use one of {', '.join(RECEIVE_ID_TYPES)}",
        )
    kind: ReceiveIdType = receive_id_type  # type: ignore[assignment]
    _check_shape(receive_id, kind, inferred)
    return Receiver(receive_id, kind)


def _check_shape(receive_id: str, kind: ReceiveIdType, inferred: ReceiveIdType | None) -> None:
    if any(c.isspace() or c in "\"'<>" for c in receive_id):
        raise invalid(
            "receive_id",
            f"{receive_id[:60]!r} contains spaces, quotes or angle brackets",
            "Feishu ids never contain these",
        )
    if kind == "email":
        if inferred != "email":
            raise invalid(
                "receive_id",
                f"{receive_id[:60]!r} is not an e-mail address",
                "receive_id_type='email' needs an address like name@example.com",
            )
        return
    prefix = _EXPECTED_PREFIX.get(kind)
    if prefix is not None and not receive_id.startswith(prefix):
        raise invalid(
            "receive_id",
            f"{receive_id[:60]!r} is not a {kind} (those start with {prefix!r})",
            f"pass receive_id_type={inferred!r} or leave it out"
            if inferred
            else f"a {kind} looks like {prefix}...",
        )
    if kind == "user_id" and inferred is not None:
        raise invalid(
            "receive_id",
            f"{receive_id[:60]!r} looks like a {inferred}, not a tenant user_id",
            f"pass receive_id_type={inferred!r} or leave it out",
        )
