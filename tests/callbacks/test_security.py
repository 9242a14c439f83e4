"""Inbound callback security: the contract's vectors, every rejection, and properties.

``vectors.json`` is a copy of ``api/vectors.json`` (CONTRACT §4.4-§4.7): requests the
official SDK accepts. The sender side is ``lark_async.testing.signing``, written apart
from the verifier, so a round trip checks both against the contract.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from datetime import UTC, datetime
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from lark_async.callbacks import (
    CallbackRejected,
    CallbackVerifier,
    MemoryReplayStore,
    ReplayMemoryFull,
)
from lark_async.callbacks.security import (
    REASONS,
    DecryptError,
    Scheme,
    VerifiedCallback,
    card_v1_signature,
    decrypt,
    event_signature,
    parse_create_time,
)
from lark_async.core.errors import ConfigError
from lark_async.testing import signing

VEC: dict[str, Any] = json.loads((Path(__file__).parent / "vectors.json").read_text())
EK: str = VEC["encrypt_key"]
VT: str = VEC["verification_token"]
IV = bytes.fromhex(VEC["iv_hex"])
NOW = 1_700_000_000.0
TS = str(int(NOW))
APP = "cli_a1b2c3d4e5f6a7b8"
OPEN_ID = "ou_" + "1" * 32
CARD_TOKEN = "c-" + "ab" * 20
# Nothing of these may ever show in a rejection's message or repr.
SECRETS = (EK, VT, CARD_TOKEN, "ajls384kdjx98XX")


class Clock:
    def __init__(self, t: float = NOW) -> None:
        self.t = t

    def __call__(self) -> float:
        return self.t


def verifier(**kwargs: Any) -> CallbackVerifier:
    kwargs.setdefault("encrypt_key", EK)
    kwargs.setdefault("verification_token", VT)
    kwargs.setdefault("now", lambda: NOW)
    return CallbackVerifier(**kwargs)


def headers_for(
    raw: bytes, *, scheme: Scheme = "event", ts: str = TS, nonce: str = "n-1"
) -> dict[str, str]:
    sign = signing.sign_event if scheme == "event" else signing.sign_card_v1
    secret = EK if scheme == "event" else VT
    return {
        signing.TIMESTAMP_HEADER: ts,
        signing.NONCE_HEADER: nonce,
        signing.SIGNATURE_HEADER: sign(ts, nonce, secret, raw),
    }


def encrypted_raw(ciphertext: str) -> bytes:
    return json.dumps({"encrypt": ciphertext}).encode()


def card_action(**kwargs: Any) -> dict[str, Any]:
    return signing.card_action_event(
        APP,
        open_id=OPEN_ID,
        action_value={"action": "approve"},
        verification_token=kwargs.pop("verification_token", VT),
        token=CARD_TOKEN,
        **kwargs,
    )


def signed(body: dict[str, Any] | bytes, **kwargs: Any) -> tuple[dict[str, str], bytes]:
    kwargs.setdefault("encrypt_key", EK)
    kwargs.setdefault("timestamp", TS)
    return signing.signed_request(body, **kwargs)


def rejected(reason: str, call: Callable[[], object]) -> CallbackRejected:
    with pytest.raises(CallbackRejected) as info:
        call()
    err = info.value
    assert (err.reason, err.status) == (reason, REASONS[reason][0])
    for text in (str(err), repr(err)):
        assert not any(s in text for s in SECRETS), text
    return err


def cbc_without_padding(data: bytes) -> str:
    """AES-CBC under the vectors' key with no PKCS7 step: lets a test choose the pad bytes."""
    key = hashlib.sha256(EK.encode()).digest()
    enc = Cipher(algorithms.AES(key), modes.CBC(IV)).encryptor()
    return base64.b64encode(IV + enc.update(data) + enc.finalize()).decode()


# -- the contract's vectors ----------------------------------------------------------------

ENCRYPTED = ["card_action_v2", "url_verification"]


@pytest.mark.parametrize("name", ENCRYPTED)
def test_vector_decrypts_to_its_plaintext(name: str) -> None:
    assert decrypt(EK, VEC[name]["encrypt"]) == VEC[name]["plaintext"].encode()


@pytest.mark.parametrize("name", ENCRYPTED)
def test_signing_reproduces_vector_ciphertext_and_signature(name: str) -> None:
    vec = VEC[name]
    assert signing.encrypt(EK, vec["plaintext"].encode(), IV) == vec["encrypt"]
    for body in (vec["plaintext"].encode(), json.loads(vec["plaintext"])):
        headers, raw = signing.signed_request(
            body, encrypt_key=EK, timestamp=VEC["timestamp"], nonce=VEC["nonce"], iv=IV
        )
        assert raw == vec["body"].encode()
        assert headers[signing.SIGNATURE_HEADER] == vec["signature_sha256"]
        assert headers[signing.TIMESTAMP_HEADER] == VEC["timestamp"]
        assert headers[signing.NONCE_HEADER] == VEC["nonce"]
        assert headers["Content-Type"] == "application/json; charset=utf-8"
    body = vec["body"].encode()
    assert event_signature(VEC["timestamp"], VEC["nonce"], EK, body) == vec["signature_sha256"]


def test_signing_reproduces_legacy_card_signature() -> None:
    vec = VEC["legacy_card_v1"]
    body = vec["body"].encode()
    headers, raw = signing.signed_request(
        body,
        verification_token=VT,
        scheme="card_v1",
        timestamp=VEC["timestamp"],
        nonce=VEC["nonce"],
    )
    assert raw == body
    assert headers[signing.SIGNATURE_HEADER] == vec["signature_sha1"]
    assert card_v1_signature(VEC["timestamp"], VEC["nonce"], VT, body) == vec["signature_sha1"]


def vector_headers(signature: str) -> dict[str, str]:
    return {
        signing.TIMESTAMP_HEADER: VEC["timestamp"],
        signing.NONCE_HEADER: VEC["nonce"],
        signing.SIGNATURE_HEADER: signature,
    }


def test_card_action_vector_verifies() -> None:
    vec = VEC["card_action_v2"]
    cb = verifier().verify(
        vector_headers(vec["signature_sha256"]), vec["body"].encode(), scheme="event"
    )
    assert cb.kind == "card_action"
    assert cb.event_type == "card.action.trigger"
    assert cb.event_id == "f7984f25108f8137722bb63cee927e66"
    assert cb.app_id == APP
    assert cb.challenge is None
    assert cb.create_time == datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)
    assert cb.payload == json.loads(vec["plaintext"])


def test_url_verification_vector_verifies_and_returns_challenge() -> None:
    vec = VEC["url_verification"]
    cb = verifier().verify(
        vector_headers(vec["signature_sha256"]), vec["body"].encode(), scheme="event"
    )
    assert cb.kind == "url_verification"
    assert {"challenge": cb.challenge} == vec["expected_reply"]
    assert cb.event_id is None


def test_legacy_card_vector_verifies() -> None:
    vec = VEC["legacy_card_v1"]
    cb = verifier().verify(
        vector_headers(vec["signature_sha1"]), vec["body"].encode(), scheme="card_v1"
    )
    assert (cb.kind, cb.event_type, cb.event_id) == ("card_action", "card.action.trigger_v1", None)
    assert cb.payload["action"]["value"] == {"action": "reject"}


# -- round trips ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "kind", "event_type"),
    [
        (card_action(), "card_action", "card.action.trigger"),
        (
            signing.im_message_event(APP, text="hi", verification_token=VT),
            "event",
            "im.message.receive_v1",
        ),
        (signing.url_verification("chal-1", VT), "url_verification", "url_verification"),
    ],
)
def test_round_trip_event_scheme(body: dict[str, Any], kind: str, event_type: str) -> None:
    headers, raw = signed(body)
    assert b"encrypt" in raw and signing.SIGNATURE_HEADER in headers
    cb = verifier().verify(headers, raw, scheme="event")
    assert (cb.kind, cb.event_type, cb.payload) == (kind, event_type, body)


def test_im_message_event_create_time_in_ms_is_parsed() -> None:
    body = signing.im_message_event(APP, text="hi", verification_token=VT)
    cb = verifier().verify(*signed(body), scheme="event")
    assert body["header"]["create_time"].isdigit() and len(body["header"]["create_time"]) == 13
    assert cb.create_time is not None and cb.create_time.year >= 2024


def test_round_trip_legacy_card_scheme() -> None:
    body = signing.legacy_card_action(open_id=OPEN_ID, action_value="x", token=CARD_TOKEN)
    headers, raw = signing.signed_request(
        body, verification_token=VT, scheme="card_v1", timestamp=TS
    )
    cb = verifier().verify(headers, raw, scheme="card_v1")
    assert (cb.kind, cb.event_type, cb.payload) == ("card_action", "card.action.trigger_v1", body)


def test_round_trip_v1_envelope() -> None:
    body = {
        "ts": "1700000000.7171419",
        "uuid": "u-0001",
        "token": VT,
        "type": "event_callback",
        "event": {"type": "message"},
    }
    cb = verifier().verify(*signed(body), scheme="event")
    assert (cb.kind, cb.event_type, cb.event_id) == ("event", "message", "u-0001")
    assert cb.create_time == datetime(2023, 11, 14, 22, 13, 20, 717141, tzinfo=UTC)


def test_token_only_app_accepts_plaintext_with_token() -> None:
    v = verifier(encrypt_key=None)
    body = card_action()
    headers, raw = signing.signed_request(body, timestamp=TS)
    assert signing.SIGNATURE_HEADER not in headers and b"encrypt" not in raw
    assert v.verify(headers, raw, scheme="event").payload == body
    # The headers prove nothing without a key, so they are not required either.
    assert v.verify({}, signing.signed_request(card_action())[1], scheme="event")


def test_signed_event_without_token_is_accepted_like_the_sdk() -> None:
    body = card_action()
    del body["header"]["token"]
    assert verifier().verify(*signed(body), scheme="event").kind == "card_action"


def test_header_names_are_case_insensitive() -> None:
    headers, raw = signed(card_action())
    lower = {k.lower(): v for k, v in headers.items()}
    assert verifier().verify(lower, raw, scheme="event").kind == "card_action"


def test_unsigned_url_verification_is_accepted_on_its_token() -> None:
    raw = VEC["url_verification"]["body"].encode()
    assert verifier().verify({}, raw, scheme="event").challenge == "ajls384kdjx98XX"
    # Like the SDK, a url_verification's signature headers don't matter either.
    bad = vector_headers("0" * 64)
    assert verifier().verify(bad, raw, scheme="event").challenge == "ajls384kdjx98XX"
    legacy = json.dumps(signing.url_verification("c-1", VT)).encode()
    assert verifier().verify({}, legacy, scheme="card_v1").challenge == "c-1"


def test_unsigned_url_verification_needs_the_right_token_and_can_be_disabled() -> None:
    wrong = signed(signing.url_verification("c", "not-the-token"))[1]
    rejected("missing_headers", lambda: verifier().verify({}, wrong, scheme="event"))
    raw = VEC["url_verification"]["body"].encode()
    strict = verifier(allow_unsigned_url_verification=False)
    rejected("missing_headers", lambda: strict.verify({}, raw, scheme="event"))
    no_token = verifier(verification_token=None)
    rejected("missing_headers", lambda: no_token.verify({}, raw, scheme="event"))


def test_unsigned_path_is_no_oracle() -> None:
    """Whatever is wrong with an unsigned body, the answer is the header failure."""
    v = verifier()
    bodies = [
        encrypted_raw("!!!"),
        encrypted_raw(cbc_without_padding(bytes(16))),
        encrypted_raw(signing.encrypt(EK, b"not json")),
        encrypted_raw(signing.encrypt(EK, b"[]")),
        signed(card_action())[1],
        json.dumps(signing.url_verification("c", VT)).encode(),  # plaintext, key configured
        b"x" * 5000,
    ]
    for raw in bodies:
        rejected("missing_headers", partial(v.verify, {}, raw, scheme="event"))


# -- each rejection ------------------------------------------------------------------------


def test_forged_signature() -> None:
    headers, raw = signed(card_action())
    headers[signing.SIGNATURE_HEADER] = "f" * 64
    rejected("bad_signature", lambda: verifier().verify(headers, raw, scheme="event"))


def test_one_flipped_body_byte() -> None:
    headers, raw = signed(card_action())
    flipped = raw[:20] + bytes([raw[20] ^ 0x01]) + raw[21:]
    rejected("bad_signature", lambda: verifier().verify(headers, flipped, scheme="event"))


def test_legacy_card_signed_with_the_wrong_token() -> None:
    body = signing.legacy_card_action(open_id=OPEN_ID, action_value="x")
    headers, raw = signing.signed_request(
        body, verification_token="other", scheme="card_v1", timestamp=TS
    )
    rejected("bad_signature", lambda: verifier().verify(headers, raw, scheme="card_v1"))


def test_card_v1_signature_is_not_accepted_for_events() -> None:
    raw = signed(card_action())[1]
    headers = headers_for(raw, scheme="card_v1")
    rejected("bad_signature", lambda: verifier().verify(headers, raw, scheme="event"))


@pytest.mark.parametrize(
    ("offset", "reason"),
    [(-301, "stale_timestamp"), (301, "future_timestamp")],
)
def test_timestamp_outside_window(offset: int, reason: str) -> None:
    headers, raw = signed(card_action(), timestamp=str(int(NOW) + offset))
    rejected(reason, lambda: verifier().verify(headers, raw, scheme="event"))


def test_timestamp_at_window_edge_is_accepted() -> None:
    for offset in (-300, 300):
        headers, raw = signed(card_action(), timestamp=str(int(NOW) + offset))
        assert verifier().verify(headers, raw, scheme="event")


@pytest.mark.parametrize("ts", ["", "abc", "1.7e9", "-1700000000", " 1700000000", "１７"])
def test_non_numeric_timestamp(ts: str) -> None:
    headers, raw = signed(card_action(), timestamp=ts)
    rejected("bad_timestamp", lambda: verifier().verify(headers, raw, scheme="event"))


@pytest.mark.parametrize(
    "missing", [signing.TIMESTAMP_HEADER, signing.NONCE_HEADER, signing.SIGNATURE_HEADER]
)
def test_missing_header(missing: str) -> None:
    headers, raw = signed(card_action())
    del headers[missing]
    rejected("missing_headers", lambda: verifier().verify(headers, raw, scheme="event"))


def test_replayed_nonce() -> None:
    v = verifier()
    headers, raw = signed(card_action(), nonce="same")
    v.verify(headers, raw, scheme="event")
    rejected("replayed_nonce", lambda: v.verify(headers, raw, scheme="event"))


def test_replayed_event_id_with_a_new_nonce() -> None:
    v = verifier()
    body = card_action()
    v.verify(*signed(body, nonce="n-a"), scheme="event")
    err = rejected("replayed_event", lambda: v.verify(*signed(body, nonce="n-b"), scheme="event"))
    assert err.status == 200  # a duplicate delivery: acknowledge so Feishu stops retrying


def test_replayed_v1_uuid() -> None:
    v = verifier()
    body = {"uuid": "u-9", "token": VT, "type": "event_callback", "event": {"type": "x"}}
    v.verify(*signed(body, nonce="n-a"), scheme="event")
    rejected("replayed_event", lambda: v.verify(*signed(body, nonce="n-b"), scheme="event"))


def test_release_lets_the_retry_through() -> None:
    v = verifier()
    headers, raw = signed(card_action())
    cb = v.verify(headers, raw, scheme="event")
    v.release(cb)
    assert v.verify(headers, raw, scheme="event").event_id == cb.event_id


def test_rejected_requests_consume_no_nonce_or_event_id() -> None:
    v = verifier()
    body = card_action(verification_token="wrong-token")
    headers, raw = signed(body, nonce="n-x")
    rejected("bad_token", lambda: v.verify(headers, raw, scheme="event"))
    body["header"]["token"] = VT
    assert v.verify(*signed(body, nonce="n-x"), scheme="event")


def test_replay_memory_expires() -> None:
    clock = Clock()
    v = verifier(now=clock, event_id_ttl=3600)
    body = card_action()
    v.verify(*signed(body, nonce="n-a"), scheme="event")
    clock.t += 3000
    rejected(
        "replayed_event",
        lambda: v.verify(*signed(body, nonce="n-b", timestamp=str(int(clock.t))), scheme="event"),
    )
    clock.t += 601
    assert v.verify(*signed(body, nonce="n-c", timestamp=str(int(clock.t))), scheme="event")


@pytest.mark.parametrize(
    "body",
    [
        card_action(verification_token="wrong-token"),
        {"uuid": "u-1", "token": "wrong-token", "type": "event_callback", "event": {"type": "x"}},
        signing.url_verification("c", "wrong-token"),
    ],
)
def test_wrong_verification_token(body: dict[str, Any]) -> None:
    rejected("bad_token", lambda: verifier().verify(*signed(body), scheme="event"))


def test_token_only_app_rejects_wrong_or_missing_token() -> None:
    v = verifier(encrypt_key=None)
    wrong = signing.signed_request(card_action(verification_token="wrong-token"), timestamp=TS)
    rejected("bad_token", lambda: v.verify(*wrong, scheme="event"))
    body = card_action()
    del body["header"]["token"]
    rejected("bad_token", lambda: v.verify({}, json.dumps(body).encode(), scheme="event"))


def test_token_only_app_still_checks_headers_when_sent() -> None:
    v = verifier(encrypt_key=None)
    headers, raw = signing.signed_request(card_action(), timestamp="1")
    rejected("stale_timestamp", lambda: v.verify(headers, raw, scheme="event"))


def sign_and_verify(raw: bytes, v: CallbackVerifier | None = None) -> VerifiedCallback:
    return (v or verifier()).verify(headers_for(raw), raw, scheme="event")


@pytest.mark.parametrize(
    "ciphertext",
    [
        "not base64!",
        "AAEC",  # valid base64, far too short
        base64.b64encode(IV).decode(),  # an IV and nothing else
        "AAECAwQFBgcICQoLDA0ODw==\n",  # trailing garbage
        cbc_without_padding(bytes(16)),  # pad byte 0
        cbc_without_padding(b"A" * 15 + b"\x02"),  # pad 2, but bytes differ
        cbc_without_padding(b"A" * 15 + b"\x11"),  # pad > block size
    ],
    ids=["bad-b64", "short", "iv-only", "garbage", "pad-0", "pad-mismatch", "pad-17"],
)
def test_bad_ciphertext(ciphertext: str) -> None:
    with pytest.raises(DecryptError):
        decrypt(EK, ciphertext)
    rejected("bad_ciphertext", lambda: sign_and_verify(encrypted_raw(ciphertext)))


def test_truncated_ciphertext() -> None:
    blob = base64.b64decode(VEC["card_action_v2"]["encrypt"])
    for cut in (1, 5, 16):
        short = base64.b64encode(blob[:-cut]).decode()
        with pytest.raises(DecryptError):
            decrypt(EK, short)
        rejected("bad_ciphertext", partial(sign_and_verify, encrypted_raw(short)))


def test_wrong_encrypt_key_fails_to_decrypt() -> None:
    with pytest.raises(DecryptError):
        # Almost surely bad padding; the vector was checked to fail this way.
        decrypt("another-key", VEC["card_action_v2"]["encrypt"])


def test_non_string_encrypt_field() -> None:
    rejected("bad_ciphertext", lambda: sign_and_verify(b'{"encrypt": 42}'))


def test_oversized_body() -> None:
    rejected("too_large", lambda: verifier().verify({}, b" " * (2**20 + 1), scheme="event"))
    headers, raw = signed(card_action())
    small = verifier(max_body_bytes=len(raw) - 1)
    rejected("too_large", lambda: small.verify(headers, raw, scheme="event"))


@pytest.mark.parametrize(
    "raw",
    [b"{not json", b"\xff\xfe{}", b"[1, 2]", b'"text"', b"[" * 100_000, b""],
    ids=["syntax", "not-utf8", "array", "string", "deep", "empty"],
)
def test_malformed_json(raw: bytes) -> None:
    rejected("malformed_json", lambda: sign_and_verify(raw, verifier(encrypt_key=EK)))


@pytest.mark.parametrize("plaintext", [b"{not json", b"[]", b"\xff"])
def test_malformed_json_inside_the_ciphertext(plaintext: bytes) -> None:
    raw = encrypted_raw(signing.encrypt(EK, plaintext))
    rejected("malformed_json", lambda: sign_and_verify(raw))


def test_array_body_on_token_only_app() -> None:
    v = verifier(encrypt_key=None)
    rejected("malformed_json", lambda: v.verify({}, b"[{}]", scheme="event"))


def test_encrypted_body_without_a_key() -> None:
    v = verifier(encrypt_key=None)
    raw = signed(card_action())[1]
    rejected("encrypt_key_missing", lambda: v.verify({}, raw, scheme="event"))


def test_plaintext_body_when_a_key_is_configured() -> None:
    raw = json.dumps(card_action()).encode()
    rejected("encryption_required", lambda: sign_and_verify(raw))


@pytest.mark.parametrize(
    "body",
    [
        {"hello": "world"},
        {"schema": "3.0", "header": {"event_id": "e", "event_type": "t"}},
        {"schema": "2.0", "header": "nope"},
        {"schema": "2.0", "header": {"event_type": "t", "token": VT}},  # no event_id
        {"uuid": "u", "token": VT, "event": {}},  # no event.type
        {"type": "url_verification", "token": VT, "challenge": 5},
        {"action": {"value": 1}},  # a legacy card body, but on the event URL
    ],
)
def test_unknown_envelope(body: dict[str, Any]) -> None:
    rejected("unknown_envelope", lambda: verifier().verify(*signed(body), scheme="event"))


def test_v2_card_action_on_the_legacy_card_url() -> None:
    headers, raw = signing.signed_request(
        card_action(), verification_token=VT, scheme="card_v1", timestamp=TS
    )
    rejected("unknown_envelope", lambda: verifier().verify(headers, raw, scheme="card_v1"))


# -- configuration -------------------------------------------------------------------------


def test_configuration_errors() -> None:
    with pytest.raises(ConfigError):
        CallbackVerifier()
    with pytest.raises(ConfigError):
        CallbackVerifier(encrypt_key="", verification_token="")
    with pytest.raises(ConfigError):
        CallbackVerifier(encrypt_key=EK, window=0)
    with pytest.raises(ConfigError):
        CallbackVerifier(encrypt_key=EK).verify({}, b"{}", scheme="card_v1")


def test_reprs_hide_secrets() -> None:
    v = verifier()
    assert EK not in repr(v) and VT not in repr(v)
    cb = v.verify(*signed(card_action()), scheme="event")
    assert VT not in repr(cb) and CARD_TOKEN not in repr(cb)


def test_signed_request_refuses_to_encrypt_legacy_card_callbacks() -> None:
    with pytest.raises(ValueError, match="never encrypted"):
        signing.signed_request({}, encrypt_key=EK, scheme="card_v1")


def test_builders_make_fresh_ids() -> None:
    a, b = card_action(), card_action()
    assert a["header"]["event_id"] != b["header"]["event_id"]
    assert len(a["header"]["create_time"]) == 16
    legacy = signing.legacy_card_action(open_id=OPEN_ID, action_value={})
    assert legacy["token"].startswith("c-") and legacy["open_message_id"].startswith("om_")


def test_memory_replay_store_ttl_and_bound() -> None:
    clock = Clock(0.0)
    store = MemoryReplayStore(max_entries=3, now=clock)
    assert store.add("a", 10) and not store.add("a", 10)
    assert store.add("b", 100) and store.add("c", 100)
    with pytest.raises(ReplayMemoryFull):  # a live entry is never forgotten to make room
        store.add("d", 100)
    assert store.seen("a") and store.seen("b") and len(store) == 3
    clock.t = 11  # "a" expired: room again
    assert store.add("d", 100) and not store.seen("a")
    clock.t = 111
    assert not store.seen("b") and len(store) == 0
    assert store.add("b", 1)
    store.discard("b")
    store.discard("never-there")
    assert not store.seen("b")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ("1700000000000", datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("1700000000123456", datetime(2023, 11, 14, 22, 13, 20, 123456, tzinfo=UTC)),
        ("1700000000.5", datetime(2023, 11, 14, 22, 13, 20, 500000, tzinfo=UTC)),
        (1700000000000, datetime(2023, 11, 14, 22, 13, 20, tzinfo=UTC)),
        ("17000000000", None),
        ("soon", None),
        (None, None),
        (True, None),
    ],
)
def test_parse_create_time(value: object, expected: datetime | None) -> None:
    assert parse_create_time(value) == expected


# -- properties ----------------------------------------------------------------------------

json_leaf = st.none() | st.booleans() | st.integers(-(2**53), 2**53) | st.text(max_size=20)
json_value = st.recursive(
    json_leaf,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@FAST
@given(key=st.text(min_size=1, max_size=40), plaintext=st.binary(max_size=300))
def test_encrypt_decrypt_round_trip(key: str, plaintext: bytes) -> None:
    assert decrypt(key, signing.encrypt(key, plaintext)) == plaintext


@FAST
@given(event=st.dictionaries(st.text(max_size=10), json_value, max_size=5), encrypted=st.booleans())
def test_random_bodies_round_trip(event: dict[str, Any], encrypted: bool) -> None:
    body = signing.im_message_event(APP, text="x", verification_token=VT)
    body["event"] = event
    key = EK if encrypted else None
    headers, raw = signing.signed_request(body, encrypt_key=key, timestamp=TS)
    cb = verifier(encrypt_key=key).verify(headers, raw, scheme="event")
    assert cb.payload == body


@st.composite
def mutations(draw: st.DrawFn, raw: bytes) -> bytes:
    i = draw(st.integers(0, len(raw) - 1))
    op = draw(st.sampled_from(["flip", "delete", "insert", "truncate"]))
    if op == "flip":
        return raw[:i] + bytes([raw[i] ^ draw(st.integers(1, 255))]) + raw[i + 1 :]
    if op == "delete":
        return raw[:i] + raw[i + draw(st.integers(1, 8)) :]
    if op == "insert":
        return raw[:i] + draw(st.binary(min_size=1, max_size=8)) + raw[i:]
    return raw[:i]


SIGNED_EVENT = signed(card_action(), iv=IV, nonce="n-mut")
SIGNED_LEGACY = signing.signed_request(
    signing.legacy_card_action(open_id=OPEN_ID, action_value="x"),
    verification_token=VT,
    scheme="card_v1",
    timestamp=TS,
    nonce="n-mut",
)


@FAST
@given(data=st.data(), scheme=st.sampled_from(["event", "card_v1"]))
def test_any_mutation_of_a_signed_body_is_rejected(data: st.DataObject, scheme: Scheme) -> None:
    headers, raw = SIGNED_EVENT if scheme == "event" else SIGNED_LEGACY
    mutated = data.draw(mutations(raw))
    assume(mutated != raw)
    rejected("bad_signature", lambda: verifier().verify(headers, mutated, scheme=scheme))


HEADER_NAMES = st.sampled_from(
    [
        signing.TIMESTAMP_HEADER,
        signing.NONCE_HEADER,
        signing.SIGNATURE_HEADER,
        "x-lark-signature",
        "Content-Type",
    ]
) | st.text(max_size=10)


def _sealed(plaintext: bytes) -> bytes:
    return encrypted_raw(signing.encrypt(EK, plaintext))


ANY_BODY = st.one_of(
    st.binary(max_size=300),
    json_value.map(lambda v: json.dumps(v).encode()),
    st.text(max_size=80).map(lambda s: json.dumps({"encrypt": s}).encode()),
    st.binary(max_size=120).map(_sealed),
    json_value.map(lambda v: _sealed(json.dumps(v).encode())),
)
CONFIGS = [
    {"encrypt_key": EK, "verification_token": VT},
    {"encrypt_key": EK, "verification_token": None},
    {"encrypt_key": None, "verification_token": VT},
]


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    body=ANY_BODY,
    headers=st.dictionaries(HEADER_NAMES, st.text(max_size=70), max_size=5),
    sign=st.booleans(),
    config=st.sampled_from(CONFIGS),
    card_v1=st.booleans(),
)
def test_arbitrary_input_raises_only_callback_rejected(
    body: bytes, headers: dict[str, str], sign: bool, config: dict[str, Any], card_v1: bool
) -> None:
    scheme: Scheme = "card_v1" if card_v1 and config["verification_token"] else "event"
    if sign:  # valid signature headers, so arbitrary bytes reach decryption and parsing
        headers = {**headers, **headers_for(body, scheme=scheme)}
    try:
        cb = verifier(**config).verify(headers, body, scheme=scheme)
    except CallbackRejected as err:
        assert err.reason in REASONS and err.status in {200, 400, 401, 403, 413}
        assert not any(s in str(err) for s in (EK, VT))
    else:
        assert isinstance(cb, VerifiedCallback)
