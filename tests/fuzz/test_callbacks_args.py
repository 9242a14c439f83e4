"""lark_async.callbacks' public constructors and functions over generated bad values."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.callbacks import (
    AppKeys,
    CallbackRouter,
    Callbacks,
    CallbackVerifier,
    CardUpdate,
    HandlerRetry,
    MemoryBroker,
    MemoryProcessedStore,
    MemoryReplayStore,
    RabbitBroker,
    Reply,
    SqliteSpool,
    StaticKeys,
    Toast,
)
from lark_async.callbacks.security import (
    card_v1_signature,
    decrypt,
    event_signature,
    parse_create_time,
)
from lark_async.core.errors import LarkError
from tests.fuzz.checks import typed_or_ok
from tests.fuzz.values import anything, strings

APP = "cli_fuzz0000000001"
KEYS = {APP: AppKeys(encrypt_key="fuzz-encrypt-key", verification_token="fuzz-token")}


CALLBACKS_ARGS = [
    "keys",
    "lark",
    "broker",
    "amqp_url",
    "queue",
    "spool",
    "router",
    "clock",
    "retry",
    "processed",
    "concurrency",
    "answer_grace",
    "window",
    "max_body_bytes",
    "event_id_ttl",
    "max_replay_entries",
    "publish_timeout",
    "answer_budget",
    "default_app_id",
    "replay_interval",
]


@pytest.mark.parametrize("arg", CALLBACKS_ARGS)
@given(value=anything())
def test_callbacks_constructor(arg: str, value: Any, scratch: Path) -> None:
    kwargs: dict[str, Any] = {"keys": KEYS, arg: value}
    if arg == "queue":
        kwargs["amqp_url"] = "amqp://guest:guest@127.0.0.1:1/"
    typed_or_ok(lambda: Callbacks(**kwargs), arg)
    assert not any(scratch.iterdir())


@given(event_type=anything())
def test_router_event(event_type: Any) -> None:
    typed_or_ok(lambda: CallbackRouter().event(event_type), "event_type")


@pytest.mark.parametrize("arg", ["action", "sync", "budget", "ack"])
@given(value=anything())
def test_router_card_action(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"action": "approve", arg: value}
    typed_or_ok(lambda: CallbackRouter().card_action(**kwargs), arg)


@pytest.mark.parametrize("kind", ["event", "card_action"])
@given(handler=anything())
def test_router_handler(kind: str, handler: Any) -> None:
    register = getattr(CallbackRouter(), kind)("x.y" if kind == "event" else "approve")
    typed_or_ok(lambda: register(handler), "handler")


@given(other=anything())
def test_router_include(other: Any) -> None:
    typed_or_ok(lambda: CallbackRouter().include(other), "other")


@pytest.mark.parametrize("arg", ["max_attempts", "delays", "jitter"])
@given(value=anything())
def test_handler_retry(arg: str, value: Any) -> None:
    typed_or_ok(lambda: HandlerRetry(**{arg: value}), arg)


@pytest.mark.parametrize("arg", ["content", "type", "i18n"])
@given(value=anything())
def test_toast(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"content": "已通过", arg: value}
    typed_or_ok(lambda: Toast(**kwargs), arg)


card_json = st.recursive(
    st.one_of(st.none(), st.booleans(), st.integers(), st.floats(), strings()),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3), st.dictionaries(strings(), inner, max_size=3)
    ),
    max_leaves=8,
)


@pytest.mark.parametrize("arg", ["card", "via", "open_ids"])
@given(value=st.one_of(anything(), st.dictionaries(strings(), card_json, min_size=1, max_size=3)))
def test_card_update(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"card": {"elements": []}, arg: value}
    made = typed_or_ok(lambda: CardUpdate(**kwargs), arg)
    if isinstance(made, CardUpdate):
        made.to_dict()
        Reply(card=made).inline_body(legacy=False)


@pytest.mark.parametrize("arg", ["toast", "card"])
@given(value=anything())
def test_reply(arg: str, value: Any) -> None:
    typed_or_ok(lambda: Reply(**{arg: value}), arg)


@pytest.mark.parametrize("arg", ["encrypt_key", "verification_token"])
@given(value=anything())
def test_app_keys(arg: str, value: Any) -> None:
    made = typed_or_ok(lambda: AppKeys(**{arg: value}))
    if isinstance(made, LarkError):
        assert arg in str(made) or "AppKeys" in str(made), str(made)
    else:
        made.fingerprint()


def _hashable(value: Any) -> bool:
    try:
        hash(value)
    except TypeError:
        return False
    return True


@given(
    keys=st.one_of(
        anything(), st.dictionaries(anything().filter(_hashable), anything(), max_size=2)
    )
)
def test_static_keys(keys: Any) -> None:
    typed_or_ok(lambda: StaticKeys(keys), "keys")


@pytest.mark.parametrize("arg", ["timestamp", "nonce", "secret", "body"])
@given(value=anything())
def test_signatures(arg: str, value: Any) -> None:
    args: dict[str, Any] = {"timestamp": "1700000000", "nonce": "n", "secret": "k", "body": b"{}"}
    args[arg] = value
    values = (args["timestamp"], args["nonce"], args["secret"], args["body"])
    name = "encrypt_key" if arg == "secret" else arg
    typed_or_ok(lambda: event_signature(*values), name)
    name = "verification_token" if arg == "secret" else arg
    typed_or_ok(lambda: card_v1_signature(*values), name)


@pytest.mark.parametrize("arg", ["encrypt_key", "ciphertext"])
@given(value=anything())
def test_decrypt(arg: str, value: Any) -> None:
    args = {"encrypt_key": "k", "ciphertext": "AAAA", arg: value}
    out = typed_or_ok(lambda: decrypt(args["encrypt_key"], args["ciphertext"]))
    if isinstance(out, LarkError):  # "AAAA" is no ciphertext: with a good key, that is said
        assert arg in str(out) or "ciphertext" in str(out), str(out)


@given(value=anything())
def test_parse_create_time(value: Any) -> None:
    parse_create_time(value)  # metadata only: None for anything it cannot read


VERIFIER_ARGS = [
    "encrypt_key",
    "verification_token",
    "window",
    "max_body_bytes",
    "event_id_ttl",
    "replay_store",
    "now",
    "allow_unsigned_url_verification",
]


@pytest.mark.parametrize("arg", VERIFIER_ARGS)
@given(value=anything())
def test_callback_verifier(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"encrypt_key": "k", "verification_token": "t", arg: value}
    typed_or_ok(lambda: CallbackVerifier(**kwargs), arg)


@given(
    headers=st.one_of(anything(), st.dictionaries(strings(), anything(), max_size=4)),
    body=st.one_of(anything(), st.binary(max_size=64)),
    scheme=st.one_of(st.sampled_from(["event", "card_v1"]), anything()),
)
def test_callback_verifier_verify(headers: Any, body: Any, scheme: Any) -> None:
    # A rejection (CallbackRejected) is a LarkError too: the answer to a bad request.
    verifier = CallbackVerifier(encrypt_key="k", verification_token="t")
    typed_or_ok(lambda: verifier.verify(headers, body, scheme=scheme))


@pytest.mark.parametrize("arg", ["ttl", "max_entries", "now"])
@given(value=anything())
def test_memory_processed_store(arg: str, value: Any) -> None:
    typed_or_ok(lambda: MemoryProcessedStore(**{arg: value}), arg)


@pytest.mark.parametrize("arg", ["max_entries", "now"])
@given(value=anything())
def test_memory_replay_store(arg: str, value: Any) -> None:
    typed_or_ok(lambda: MemoryReplayStore(**{arg: value}), arg)


@pytest.mark.parametrize("arg", ["clock", "maxsize", "max_dead"])
@given(value=anything())
def test_memory_broker(arg: str, value: Any) -> None:
    typed_or_ok(lambda: MemoryBroker(**{arg: value}), arg)


RABBIT_ARGS = ["url", "queue", "prefetch", "connect_timeout", "reconnect_interval", "start_timeout"]


@pytest.mark.parametrize("arg", RABBIT_ARGS)
@given(value=anything())
def test_rabbit_broker(arg: str, value: Any) -> None:
    kwargs: dict[str, Any] = {"url": "amqp://guest:guest@127.0.0.1:1/", arg: value}
    made = typed_or_ok(lambda: RabbitBroker(**kwargs))
    if isinstance(made, LarkError):
        assert arg in str(made) or (arg == "url" and "URL" in str(made)), str(made)


@given(path=anything())
def test_sqlite_spool(path: Any, scratch: Path) -> None:
    typed_or_ok(lambda: SqliteSpool(path), "path")
    assert not any(scratch.iterdir())
