"""The sender side of Feishu webhook security, for the emulator and for tests.

It builds requests exactly as Feishu sends them (Feishu callback docs): encrypted
``{"encrypt": …}`` bodies and ``X-Lark-*`` headers. Written independently of
``lark_async.callbacks`` (stdlib and ``cryptography`` only), so a test that signs
here and verifies there checks the client against the contract, not against itself.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import secrets
import time
import uuid
from typing import Any, Literal

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

TIMESTAMP_HEADER = "X-Lark-Request-Timestamp"
NONCE_HEADER = "X-Lark-Request-Nonce"
SIGNATURE_HEADER = "X-Lark-Signature"
CONTENT_TYPE = "application/json; charset=utf-8"
DEFAULT_TENANT_KEY = "736588c9260f175d"

_BLOCK = 16


def encrypt(encrypt_key: str, plaintext: bytes, iv: bytes | None = None) -> str:
    """base64(iv ‖ AES-256-CBC(key=sha256(encrypt_key), PKCS7(plaintext))); random IV."""
    iv = os.urandom(_BLOCK) if iv is None else iv
    if len(iv) != _BLOCK:
        raise ValueError("iv must be 16 bytes")
    padder = padding.PKCS7(8 * _BLOCK).padder()
    padded = padder.update(plaintext) + padder.finalize()
    key = hashlib.sha256(encrypt_key.encode("utf-8")).digest()
    encryptor = Cipher(algorithms.AES(key), modes.CBC(iv)).encryptor()
    return base64.b64encode(iv + encryptor.update(padded) + encryptor.finalize()).decode("ascii")


def sign_event(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """hex(sha256(timestamp + nonce + encrypt_key + raw body)) — events, new callbacks."""
    return hashlib.sha256((timestamp + nonce + encrypt_key).encode("utf-8") + body).hexdigest()


def sign_card_v1(timestamp: str, nonce: str, verification_token: str, body: bytes) -> str:
    """hex(sha1(timestamp + nonce + verification_token + raw body)) — legacy card callbacks."""
    # SHA-1 is what Feishu uses for this legacy protocol.
    data = (timestamp + nonce + verification_token).encode("utf-8") + body
    return hashlib.sha1(data).hexdigest()  # noqa: S324


def _compact_json(value: dict[str, Any]) -> bytes:
    # Feishu sends compact UTF-8 JSON (as in the encryption examples of Feishu's event docs).
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")


def signed_request(
    body: dict[str, Any] | bytes,
    *,
    encrypt_key: str | None = None,
    verification_token: str | None = None,
    scheme: Literal["event", "card_v1"] = "event",
    timestamp: str | None = None,
    nonce: str | None = None,
    iv: bytes | None = None,
) -> tuple[dict[str, str], bytes]:
    """Headers and raw body of one webhook POST, as Feishu would send it.

    ``scheme="event"`` (events, url_verification, ``card.action.trigger``): with an
    ``encrypt_key`` the body is encrypted and signed with SHA-256; without one it is
    sent plain and unsigned. ``scheme="card_v1"``: never encrypted; signed with SHA-1
    over the ``verification_token`` when one is given.
    """
    plaintext = body if isinstance(body, bytes) else _compact_json(body)
    timestamp = str(int(time.time())) if timestamp is None else timestamp
    nonce = secrets.token_hex(8) if nonce is None else nonce
    headers = {TIMESTAMP_HEADER: timestamp, NONCE_HEADER: nonce, "Content-Type": CONTENT_TYPE}
    if scheme == "event":
        if encrypt_key is None:
            return headers, plaintext
        # The wrapper keeps json.dumps' default ", "/": " separators, as Feishu's does.
        raw = json.dumps({"encrypt": encrypt(encrypt_key, plaintext, iv)}).encode("utf-8")
        headers[SIGNATURE_HEADER] = sign_event(timestamp, nonce, encrypt_key, raw)
        return headers, raw
    if scheme == "card_v1":
        if encrypt_key is not None:
            raise ValueError("legacy card callbacks are never encrypted (Feishu callback docs)")
        if verification_token is not None:
            headers[SIGNATURE_HEADER] = sign_card_v1(
                timestamp, nonce, verification_token, plaintext
            )
        return headers, plaintext
    raise ValueError(f"unknown scheme {scheme!r}")


# -- payload builders (fresh ids each call) ------------------------------------------------


def _hex_id(prefix: str, length: int = 32) -> str:
    return prefix + secrets.token_hex(length // 2)


def _now_us() -> str:
    return str(time.time_ns() // 1_000)


def _now_ms() -> str:
    return str(time.time_ns() // 1_000_000)


def _v2_header(
    event_type: str, app_id: str, verification_token: str, tenant_key: str, create_time: str
) -> dict[str, str]:
    return {
        "event_id": uuid.uuid4().hex,
        "token": verification_token,
        "create_time": create_time,
        "event_type": event_type,
        "tenant_key": tenant_key,
        "app_id": app_id,
    }


def url_verification(challenge: str, verification_token: str) -> dict[str, Any]:
    """The body Feishu POSTs when a request URL is saved (Feishu callback docs)."""
    return {"challenge": challenge, "token": verification_token, "type": "url_verification"}


def card_action_event(
    app_id: str,
    *,
    open_id: str,
    action_value: dict[str, Any] | str,
    verification_token: str,
    token: str | None = None,
    message_id: str | None = None,
    chat_id: str | None = None,
    tag: str = "button",
    tenant_key: str = DEFAULT_TENANT_KEY,
    name: str | None = None,
    form_value: dict[str, Any] | None = None,
    create_time: str | None = None,
) -> dict[str, Any]:
    """A schema 2.0 ``card.action.trigger`` callback; ``token`` is the card-update token.

    ``create_time`` (16-digit µs string) defaults to now.
    """
    action: dict[str, Any] = {"value": action_value, "tag": tag}
    if name is not None:
        action["name"] = name
    if form_value is not None:
        action["form_value"] = form_value
    return {
        "schema": "2.0",
        "header": _v2_header(
            "card.action.trigger", app_id, verification_token, tenant_key, create_time or _now_us()
        ),
        "event": {
            "operator": {"tenant_key": tenant_key, "open_id": open_id},
            "token": token or _hex_id("c-", 40),
            "action": action,
            "host": "im_message",
            "context": {
                "open_message_id": message_id or _hex_id("om_"),
                "open_chat_id": chat_id or _hex_id("oc_"),
            },
        },
    }


def legacy_card_action(
    *,
    open_id: str,
    action_value: dict[str, Any] | str,
    token: str | None = None,
    message_id: str | None = None,
    chat_id: str | None = None,
    user_id: str | None = None,
    tag: str = "button",
    tenant_key: str = DEFAULT_TENANT_KEY,
) -> dict[str, Any]:
    """A flat legacy ``card.action.trigger_v1`` callback; ``token`` is the card token."""
    body: dict[str, Any] = {
        "open_id": open_id,
        "open_message_id": message_id or _hex_id("om_"),
        "open_chat_id": chat_id or _hex_id("oc_"),
        "tenant_key": tenant_key,
        "token": token or _hex_id("c-", 40),
        "action": {"value": action_value, "tag": tag},
    }
    if user_id is not None:
        body["user_id"] = user_id
    return body


def im_message_event(
    app_id: str,
    *,
    text: str,
    verification_token: str,
    open_id: str | None = None,
    chat_id: str | None = None,
    message_id: str | None = None,
    chat_type: Literal["p2p", "group"] = "p2p",
    tenant_key: str = DEFAULT_TENANT_KEY,
    create_time: str | None = None,
) -> dict[str, Any]:
    """A v2 ``im.message.receive_v1`` event carrying a text message (13-digit ms times).

    ``create_time`` (13-digit ms string) defaults to now.
    """
    now_ms = create_time or _now_ms()
    return {
        "schema": "2.0",
        "header": _v2_header(
            "im.message.receive_v1", app_id, verification_token, tenant_key, now_ms
        ),
        "event": {
            "sender": {
                "sender_id": {"open_id": open_id or _hex_id("ou_")},
                "sender_type": "user",
                "tenant_key": tenant_key,
            },
            "message": {
                "message_id": message_id or _hex_id("om_"),
                "create_time": now_ms,
                "update_time": now_ms,
                "chat_id": chat_id or _hex_id("oc_"),
                "chat_type": chat_type,
                "message_type": "text",
                "content": json.dumps({"text": text}, ensure_ascii=False),
            },
        },
    }
