"""Verify inbound Feishu webhooks (events and card callbacks) before anything trusts them.

Pure code, no I/O: the aiohttp ingress hands over headers and the raw body and gets
back a :class:`VerifiedCallback` or a :class:`CallbackRejected` saying which HTTP
status to answer. The algorithms are those of the Feishu callback docs; the order of checks
and the policy choices are explained in ``docs/callbacks-security.md``.
"""

from __future__ import annotations

import base64
import hashlib
import heapq
import hmac
import json
import re
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol

from cryptography.hazmat.primitives import padding
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

from lark_async.core.checks import (
    bad_argument,
    check_bool,
    check_callable,
    check_has,
    check_int,
    check_number,
    check_text,
)
from lark_async.core.errors import ConfigError, ErrorKind, InvalidParameter, LarkError

Scheme = Literal["event", "card_v1"]
CallbackKind = Literal["url_verification", "event", "card_action"]

TIMESTAMP_HEADER = "X-Lark-Request-Timestamp"
NONCE_HEADER = "X-Lark-Request-Nonce"
SIGNATURE_HEADER = "X-Lark-Signature"

DEFAULT_WINDOW = 300.0
DEFAULT_MAX_BODY_BYTES = 1 << 20
# No cap by default: the replay memory is bounded by time (its TTLs). A cap, when
# configured, is never met by forgetting a live entry (ReplayMemoryFull instead).
DEFAULT_MAX_REPLAY_ENTRIES: int | None = None
# A url_verification body is ~100 bytes plain, ~200 encrypted. Requests that failed
# the header checks are only looked at if they are this small (see _try_unsigned).
UNSIGNED_MAX_BODY_BYTES = 4096

_BLOCK = 16
_TIMESTAMP_RE = re.compile(r"[0-9]{1,12}")
_SECONDS_RE = re.compile(r"([0-9]{10})(?:\.([0-9]+))?")
_MS_OR_US_RE = re.compile(r"[0-9]{13}|[0-9]{16}")
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

# reason -> (HTTP status, safe description). The description never includes input.
REASONS: dict[str, tuple[int, str]] = {
    "too_large": (413, "request body exceeds the size limit"),
    "missing_headers": (401, "timestamp, nonce or signature header missing"),
    "bad_timestamp": (400, "X-Lark-Request-Timestamp is not a whole number of seconds"),
    "stale_timestamp": (401, "request timestamp is older than the allowed window"),
    "future_timestamp": (401, "request timestamp is further ahead than the allowed window"),
    "bad_signature": (401, "X-Lark-Signature does not match the request"),
    "replayed_nonce": (401, "this nonce was already used within the window"),
    "replayed_event": (200, "duplicate delivery of an event already accepted; do not process"),
    "encrypt_key_missing": (400, "body is encrypted but no encrypt key is configured"),
    "encryption_required": (403, "body is plaintext but an encrypt key is configured"),
    "bad_ciphertext": (400, "encrypted body is not valid base64 AES-256-CBC data"),
    "malformed_json": (400, "body is not a UTF-8 JSON object"),
    "bad_token": (401, "verification token missing or wrong"),
    "unknown_envelope": (400, "body is not a recognised Feishu event or callback"),
    # Raised by the ingress, not the verifier:
    "unknown_app": (404, "no callback keys are configured for this app"),
    "app_mismatch": (400, "the body names a different app than the URL"),
}


class CallbackRejected(LarkError):
    """An inbound callback failed verification.

    ``reason`` is a short machine-readable code (a key of :data:`REASONS`), ``status``
    the HTTP status to answer. The message never contains keys, tokens or body content.
    """

    def __init__(self, reason: str, status: int) -> None:
        description = REASONS.get(reason, (status, "callback rejected"))[1]
        kind = ErrorKind.INVALID_PARAMETER if status in (400, 413) else ErrorKind.PERMISSION_DENIED
        if reason == "replayed_event":
            kind = ErrorKind.CONFLICT
        super().__init__(
            f"callback rejected ({reason}): {description}", kind=kind, http_status=status
        )
        self.reason = reason
        self.status = status


def _reject(reason: str) -> CallbackRejected:
    return CallbackRejected(reason, REASONS[reason][0])


class DecryptError(InvalidParameter):
    """The ciphertext is not valid base64 / AES-256-CBC / PKCS7 (message is input-free)."""


# -- primitives ---------------------------------------------------------------------------


def decrypt(encrypt_key: str, ciphertext_b64: str) -> bytes:
    """Decrypt a Feishu ``encrypt`` field: base64(iv ‖ AES-256-CBC(sha256(key), PKCS7(p)))."""
    check_text(encrypt_key, "encrypt_key")
    if not isinstance(ciphertext_b64, str | bytes):
        raise DecryptError(f"ciphertext must be a str, not {type(ciphertext_b64).__name__}")
    try:
        blob = base64.b64decode(ciphertext_b64, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII str
        raise DecryptError("ciphertext is not valid base64") from None
    if len(blob) < 2 * _BLOCK or len(blob) % _BLOCK:
        raise DecryptError("ciphertext length is not IV plus whole AES blocks")
    key = hashlib.sha256(encrypt_key.encode("utf-8")).digest()
    decryptor = Cipher(algorithms.AES(key), modes.CBC(blob[:_BLOCK])).decryptor()
    padded = decryptor.update(blob[_BLOCK:]) + decryptor.finalize()
    unpadder = padding.PKCS7(8 * _BLOCK).unpadder()
    try:
        return unpadder.update(padded) + unpadder.finalize()
    except ValueError:
        raise DecryptError(
            "ciphertext has an invalid PKCS7 padding (wrong key or corrupted data)"
        ) from None


def _signing_input(timestamp: str, nonce: str, secret: str, body: bytes) -> bytes:
    # Header values may hold anything; surrogatepass keeps hashing total (never raises).
    return (timestamp + nonce + secret).encode("utf-8", "surrogatepass") + body


def _check_signing(
    timestamp: object, nonce: object, secret: object, name: str, body: object
) -> None:
    # Checked for the public helpers; the verifier passes header strings and bytes.
    for arg, value in (("timestamp", timestamp), ("nonce", nonce), (name, secret)):
        if not isinstance(value, str):
            raise bad_argument(arg, f"must be a str, not {type(value).__name__}")
    if not isinstance(body, bytes | bytearray):
        raise bad_argument("body", f"must be bytes, not {type(body).__name__}")


def event_signature(timestamp: str, nonce: str, encrypt_key: str, body: bytes) -> str:
    """``X-Lark-Signature`` of events and new-style callbacks: hex SHA-256."""
    _check_signing(timestamp, nonce, encrypt_key, "encrypt_key", body)
    return hashlib.sha256(_signing_input(timestamp, nonce, encrypt_key, body)).hexdigest()


def card_v1_signature(timestamp: str, nonce: str, verification_token: str, body: bytes) -> str:
    """``X-Lark-Signature`` of legacy ``card.action.trigger_v1`` callbacks: hex SHA-1."""
    _check_signing(timestamp, nonce, verification_token, "verification_token", body)
    # SHA-1 is Feishu's choice for this legacy protocol, not ours.
    digest = hashlib.sha1(_signing_input(timestamp, nonce, verification_token, body))  # noqa: S324
    return digest.hexdigest()


def parse_create_time(value: object) -> datetime | None:
    """``header.create_time`` (13-digit ms or 16-digit µs) or v1 ``ts`` (seconds) → UTC.

    Metadata only: anything else gives None rather than a rejection.
    """
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return None
    if match := _SECONDS_RE.fullmatch(value):
        fraction = (match[2] or "")[:6].ljust(6, "0")
        micros = int(match[1]) * 1_000_000 + int(fraction)
    elif _MS_OR_US_RE.fullmatch(value):
        micros = int(value) * (1_000 if len(value) == 13 else 1)
    else:
        return None
    return _EPOCH + timedelta(microseconds=micros)


# -- replay store -------------------------------------------------------------------------


class ReplayStore(Protocol):
    """Remembers keys for a while. A shared (cross-process) store can replace the default."""

    def seen(self, key: str) -> bool:
        """True if ``key`` is remembered and not yet expired."""

    def add(self, key: str, ttl: float) -> bool:
        """Remember ``key`` for ``ttl`` seconds; False if it was already there (atomically)."""

    def discard(self, key: str) -> None:
        """Forget ``key`` (no error if absent)."""


class ReplayMemoryFull(Exception):
    """The replay memory holds ``cap`` live entries: nothing may be forgotten to add one.

    Forgetting a live nonce or event id would let a replay in; the ingress
    answers 503 instead (Feishu retries events) and logs the cap to raise.
    """

    def __init__(self, cap: int) -> None:
        super().__init__(f"the callback replay memory is full ({cap} live entries)")
        self.cap = cap


class MemoryReplayStore:
    """In-process :class:`ReplayStore`: entries expire by time (their TTL).

    ``max_entries`` (default: none) caps the live entries; at the cap ``add``
    raises :class:`ReplayMemoryFull` rather than forgetting a live one.
    """

    def __init__(
        self,
        *,
        max_entries: int | None = DEFAULT_MAX_REPLAY_ENTRIES,
        now: Callable[[], float] = time.time,
    ) -> None:
        if max_entries is not None:
            check_int(max_entries, "max_entries", min=1)
        check_callable(now, "now")
        self._max = max_entries
        self._now = now
        self._expiry: OrderedDict[str, float] = OrderedDict()
        self._heap: list[tuple[float, str]] = []  # (expiry, key); stale rows skipped lazily

    def __len__(self) -> int:
        self._prune()
        return len(self._expiry)

    def seen(self, key: str) -> bool:
        expiry = self._expiry.get(key)
        return expiry is not None and expiry > self._now()

    def add(self, key: str, ttl: float) -> bool:
        self._prune()
        if key in self._expiry:
            return False
        if self._max is not None and len(self._expiry) >= self._max:
            raise ReplayMemoryFull(self._max)
        expiry = self._now() + ttl
        self._expiry[key] = expiry
        heapq.heappush(self._heap, (expiry, key))
        if len(self._heap) > 2 * len(self._expiry) + 64:  # discarded rows piled up
            self._heap = [(e, k) for k, e in self._expiry.items()]
            heapq.heapify(self._heap)
        return True

    def discard(self, key: str) -> None:
        self._expiry.pop(key, None)

    def _prune(self) -> None:
        now = self._now()
        while self._heap and self._heap[0][0] <= now:
            expiry, key = heapq.heappop(self._heap)
            if self._expiry.get(key) == expiry:
                del self._expiry[key]


# -- the verifier -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class VerifiedCallback:
    """A request that passed every check, classified."""

    kind: CallbackKind
    event_type: str
    event_id: str | None
    app_id: str | None
    # Hidden from repr: it holds the verification token and the card-update token.
    payload: dict[str, Any] = field(repr=False)
    challenge: str | None = None
    create_time: datetime | None = None
    # The nonce it consumed, so release() can forget it.
    nonce: str | None = None


def _header_str(headers: Mapping[str, str], name: str) -> str | None:
    lowered = name.lower()
    for key, value in headers.items():
        if isinstance(key, str) and key.lower() == lowered and isinstance(value, str):
            return value
    return None


def _parse_object(raw: bytes) -> dict[str, Any]:
    try:
        value = json.loads(raw)
    except (ValueError, RecursionError):  # includes UnicodeDecodeError, JSONDecodeError
        raise _reject("malformed_json") from None
    if not isinstance(value, dict):
        raise _reject("malformed_json")
    return value


def _nonempty_str(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


class CallbackVerifier:
    """Checks one app's inbound webhooks; see ``docs/callbacks-security.md``.

    ``encrypt_key`` authenticates events and new-style callbacks (SHA-256 signature) and
    decrypts them; ``verification_token`` authenticates legacy card callbacks (SHA-1
    signature), url_verification, and, without an encrypt key, events (token in body).
    """

    def __init__(
        self,
        *,
        encrypt_key: str | None = None,
        verification_token: str | None = None,
        window: float = DEFAULT_WINDOW,
        max_body_bytes: int = DEFAULT_MAX_BODY_BYTES,
        event_id_ttl: float | None = None,
        replay_store: ReplayStore | None = None,
        now: Callable[[], float] = time.time,
        allow_unsigned_url_verification: bool = True,
    ) -> None:
        for name, value in (
            ("encrypt_key", encrypt_key),
            ("verification_token", verification_token),
        ):
            if value is not None:
                check_text(value, name, error=ConfigError)
        check_number(window, "window", positive=True, error=ConfigError)
        check_int(max_body_bytes, "max_body_bytes", min=1, error=ConfigError)
        if event_id_ttl is not None:
            check_number(event_id_ttl, "event_id_ttl", positive=True, error=ConfigError)
        if replay_store is not None:
            check_has(
                replay_store,
                "replay_store",
                ("seen", "add", "discard"),
                "a ReplayStore",
                error=ConfigError,
            )
        check_callable(now, "now", error=ConfigError)
        check_bool(
            allow_unsigned_url_verification, "allow_unsigned_url_verification", error=ConfigError
        )
        # "" means "not configured", as in the developer console and the official SDK.
        self._encrypt_key = encrypt_key or None
        self._token = verification_token or None
        if self._encrypt_key is None and self._token is None:
            raise ConfigError(
                "a callback verifier needs an encrypt_key or a verification_token",
                hint="copy them from the developer console: Events & Callbacks > Encryption",
            )
        if window <= 0 or max_body_bytes <= 0:
            raise ConfigError("window and max_body_bytes must be positive")
        self._window = float(window)
        self._max_body = max_body_bytes
        # A timestamp may be up to `window` ahead, and it stays fresh until `window`
        # after it, both ends included: keep the nonce a second beyond that.
        self._nonce_ttl = 2 * self._window + 1.0
        self._event_ttl = self._nonce_ttl if event_id_ttl is None else float(event_id_ttl)
        self._now = now
        self._store: ReplayStore = (
            replay_store if replay_store is not None else MemoryReplayStore(now=now)
        )
        self._allow_unsigned_url_verification = allow_unsigned_url_verification

    def __repr__(self) -> str:
        return (
            f"CallbackVerifier(encrypt_key={'set' if self._encrypt_key else None}, "
            f"verification_token={'set' if self._token else None}, window={self._window})"
        )

    @property
    def replay_ttls(self) -> tuple[float, float]:
        """Seconds a nonce and an event id are remembered: ``(nonce, event id)``."""
        return self._nonce_ttl, self._event_ttl

    @property
    def accepts_legacy_cards(self) -> bool:
        """True when a verification token is set, so ``scheme="card_v1"`` can be checked."""
        return self._token is not None

    def signed(self, scheme: Scheme) -> bool:
        """Whether requests on ``scheme`` are authenticated by signature (else by token)."""
        return self._encrypt_key is not None if scheme == "event" else self._token is not None

    def verify(
        self, headers: Mapping[str, str], body: bytes, *, scheme: Scheme
    ) -> VerifiedCallback:
        """Run every check in order; return the classified callback or raise CallbackRejected."""
        if not isinstance(body, bytes | bytearray):
            raise bad_argument("body", f"must be bytes, not {type(body).__name__}")
        if not isinstance(headers, Mapping):
            raise bad_argument("headers", f"must be a mapping, not {type(headers).__name__}")
        if len(body) > self._max_body:
            raise _reject("too_large")
        secret = self._signing_secret(scheme)
        try:
            nonce = self._check_headers(headers, body, scheme, secret)
        except CallbackRejected as rejected:
            return self._try_unsigned(body, scheme, rejected)
        payload = self._open(body, scheme)
        callback = self._classify(payload, scheme, nonce)
        self._check_token(callback, signed=secret is not None)
        self._remember(callback)
        return callback

    def release(self, callback: VerifiedCallback) -> None:
        """Forget a callback's nonce and event id, so Feishu's retry is accepted.

        Call it when the callback was verified but could not be handed on (e.g. the
        queue was down) and you answer an error: otherwise the retry is a duplicate.
        """
        if callback.nonce is not None:
            self._store.discard(f"nonce:{callback.nonce}")
        if callback.event_id is not None:
            self._store.discard(f"event:{callback.event_id}")

    # -- steps ----------------------------------------------------------------------------

    def _signing_secret(self, scheme: Scheme) -> str | None:
        if scheme == "event":
            return self._encrypt_key  # None: token-only mode, nothing to sign with
        if scheme == "card_v1":
            if self._token is None:
                raise ConfigError("legacy card callbacks (card_v1) need a verification_token")
            return self._token
        raise ConfigError(f"unknown callback scheme {scheme!r}")

    def _check_headers(
        self, headers: Mapping[str, str], body: bytes, scheme: Scheme, secret: str | None
    ) -> str | None:
        """Timestamp window, signature, nonce not seen. Returns the nonce to remember."""
        timestamp = _header_str(headers, TIMESTAMP_HEADER)
        nonce = _header_str(headers, NONCE_HEADER)
        signature = _header_str(headers, SIGNATURE_HEADER)
        if secret is not None:
            if timestamp is None or not nonce or signature is None:
                raise _reject("missing_headers")
            self._check_timestamp(timestamp)
            sign = event_signature if scheme == "event" else card_v1_signature
            expected = sign(timestamp, nonce, secret, body).encode("ascii")
            if not hmac.compare_digest(expected, signature.encode("utf-8", "surrogatepass")):
                raise _reject("bad_signature")
        elif timestamp is None or not nonce:
            return None  # token-only events: these headers prove nothing; checked if sent
        else:
            self._check_timestamp(timestamp)
        if self._store.seen(f"nonce:{nonce}"):
            raise _reject("replayed_nonce")
        return nonce

    def _check_timestamp(self, timestamp: str) -> None:
        if not _TIMESTAMP_RE.fullmatch(timestamp):
            raise _reject("bad_timestamp")
        age = self._now() - int(timestamp)
        if age > self._window:
            raise _reject("stale_timestamp")
        if age < -self._window:
            raise _reject("future_timestamp")

    def _try_unsigned(
        self, body: bytes, scheme: Scheme, rejected: CallbackRejected
    ) -> VerifiedCallback:
        """Accept a url_verification that failed the header checks, on its token alone.

        The official SDK never checks signatures on url_verification, and Feishu may
        send it unsigned (Feishu callback docs). Anything else re-raises the header failure.
        Every failure here gives that same reason, so this path can't serve as a
        padding or parsing oracle for attacker-supplied ciphertext.
        """
        if (
            not self._allow_unsigned_url_verification
            or self._token is None
            or len(body) > UNSIGNED_MAX_BODY_BYTES
        ):
            raise rejected
        try:
            callback = self._classify(self._open(body, scheme), scheme, None)
            if callback.kind == "url_verification":
                self._check_token(callback, signed=False)
                return callback
        except CallbackRejected:
            pass
        raise rejected

    def _open(self, body: bytes, scheme: Scheme) -> dict[str, Any]:
        """Parse the body; decrypt ``{"encrypt": …}`` bodies; enforce the encryption policy."""
        outer = _parse_object(body)
        if "encrypt" not in outer:
            # Feishu encrypts every event and new-style callback once a key is set
            # (Feishu callback docs); plaintext then means someone else sent it. Legacy
            # card callbacks are never encrypted, so card_v1 accepts plaintext.
            if scheme == "event" and self._encrypt_key is not None:
                raise _reject("encryption_required")
            return outer
        if self._encrypt_key is None:
            raise _reject("encrypt_key_missing")
        ciphertext = outer["encrypt"]
        if not isinstance(ciphertext, str):
            raise _reject("bad_ciphertext")
        try:
            plaintext = decrypt(self._encrypt_key, ciphertext)
        except DecryptError:
            raise _reject("bad_ciphertext") from None
        return _parse_object(plaintext)

    def _classify(
        self, payload: dict[str, Any], scheme: Scheme, nonce: str | None
    ) -> VerifiedCallback:
        # Same precedence as the official SDK: schema ⇒ v2, else uuid ⇒ v1, else type.
        if scheme == "event" and "schema" in payload:
            return _classify_v2(payload, nonce)
        if scheme == "event" and "uuid" in payload:
            return _classify_v1(payload, nonce)
        if payload.get("type") == "url_verification":
            challenge = payload.get("challenge")
            if not isinstance(challenge, str):
                raise _reject("unknown_envelope")
            return VerifiedCallback(
                kind="url_verification",
                event_type="url_verification",
                event_id=None,
                app_id=None,
                payload=payload,
                challenge=challenge,
                nonce=nonce,
            )
        if scheme == "card_v1" and isinstance(payload.get("action"), dict):
            return VerifiedCallback(
                kind="card_action",
                event_type="card.action.trigger_v1",
                event_id=None,  # legacy callbacks carry no id; the nonce guards replays
                app_id=None,
                payload=payload,
                nonce=nonce,
            )
        raise _reject("unknown_envelope")

    def _check_token(self, callback: VerifiedCallback, *, signed: bool) -> None:
        """Compare the verification token carried in the body, where there is one."""
        if self._token is None or callback.event_type == "card.action.trigger_v1":
            return  # legacy card `token` is the card-update token, not ours
        payload = callback.payload
        # v2 keeps it in header.token; v1 and url_verification at the top level.
        header = payload.get("header")
        if "schema" in payload and isinstance(header, dict):
            provided = header.get("token")
        else:
            provided = payload.get("token")
        if provided is None and signed and callback.kind != "url_verification":
            return  # the signature already proved the sender; the SDK allows this too
        if not isinstance(provided, str) or not hmac.compare_digest(
            provided.encode("utf-8", "surrogatepass"), self._token.encode("utf-8")
        ):
            raise _reject("bad_token")

    def _remember(self, callback: VerifiedCallback) -> None:
        # add() is the atomic test-and-set; seen() earlier was only the cheap early exit.
        if callback.nonce is not None and not self._store.add(
            f"nonce:{callback.nonce}", self._nonce_ttl
        ):
            raise _reject("replayed_nonce")
        try:
            fresh = callback.event_id is None or self._store.add(
                f"event:{callback.event_id}", self._event_ttl
            )
        except ReplayMemoryFull:
            if callback.nonce is not None:  # accepted by nothing: the retry may use it
                self._store.discard(f"nonce:{callback.nonce}")
            raise
        if not fresh:
            raise _reject("replayed_event")


def _classify_v2(payload: dict[str, Any], nonce: str | None) -> VerifiedCallback:
    header = payload.get("header")
    if payload.get("schema") != "2.0" or not isinstance(header, dict):
        raise _reject("unknown_envelope")
    event_type = _nonempty_str(header.get("event_type"))
    event_id = _nonempty_str(header.get("event_id"))
    if event_type is None or event_id is None:
        raise _reject("unknown_envelope")
    return VerifiedCallback(
        kind="card_action" if event_type == "card.action.trigger" else "event",
        event_type=event_type,
        event_id=event_id,
        app_id=_nonempty_str(header.get("app_id")),
        payload=payload,
        create_time=parse_create_time(header.get("create_time")),
        nonce=nonce,
    )


def _classify_v1(payload: dict[str, Any], nonce: str | None) -> VerifiedCallback:
    event = payload.get("event")
    event_id = _nonempty_str(payload.get("uuid"))
    event_type = _nonempty_str(event.get("type")) if isinstance(event, dict) else None
    if event_type is None or event_id is None:
        raise _reject("unknown_envelope")
    return VerifiedCallback(
        kind="event",
        event_type=event_type,
        event_id=event_id,
        app_id=None,
        payload=payload,
        create_time=parse_create_time(payload.get("ts")),
        nonce=nonce,
    )
