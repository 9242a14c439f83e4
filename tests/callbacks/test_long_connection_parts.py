"""Pieces of the long connection that need no server: joining parts, the server's settings."""

from __future__ import annotations

from typing import Any

import pytest

from lark_async.callbacks.longconn.client import classify
from lark_async.callbacks.longconn.endpoint import ClientConfig
from lark_async.callbacks.longconn.parts import Reassembler


def test_parts_join_in_any_order_and_repeats_change_nothing() -> None:
    parts = Reassembler()
    assert parts.add("m", 3, 2, b"c", now=0) is None
    assert parts.add("m", 3, 0, b"a", now=0) is None
    assert parts.add("m", 3, 0, b"X", now=0) is None  # a repeated part
    assert parts.add("m", 3, 1, b"b", now=0) == b"abc"
    assert len(parts) == 0 and parts.dropped == 0


def test_incomplete_payloads_expire_and_memory_is_bounded() -> None:
    parts = Reassembler(ttl=5, max_bytes=10)
    assert parts.add("old", 2, 0, b"12345", now=0) is None
    assert parts.add("new", 2, 0, b"1", now=6) is None  # "old" expired first
    assert len(parts) == 1 and parts.dropped == 1
    assert parts.add("big", 2, 0, b"1234567890", now=6) is None  # over the cap: "new" goes
    assert len(parts) == 1 and parts.dropped == 2
    assert parts.add("huge", 2, 0, b"x" * 11, now=6) is None  # alone over the cap: itself
    assert len(parts) == 0


@pytest.mark.parametrize(("total", "seq"), [(2, 2), (2, -1)])
def test_parts_out_of_range_are_refused(total: int, seq: int) -> None:
    with pytest.raises(ValueError, match="outside"):
        Reassembler().add("m", total, seq, b"x", now=0)


def test_parts_disagreeing_on_sum_are_refused() -> None:
    parts = Reassembler()
    parts.add("m", 2, 0, b"x", now=0)
    with pytest.raises(ValueError, match="disagree"):
        parts.add("m", 3, 1, b"y", now=0)


def test_client_config_takes_what_the_server_sends() -> None:
    config = ClientConfig().updated(
        {"ReconnectCount": 3, "ReconnectInterval": 10, "ReconnectNonce": 0, "PingInterval": 5}
    )
    assert config == ClientConfig(3, 10.0, 0.0, 5.0)
    # Absent (the Go SDK omits zeros), wrong types and nonsense keep the current value.
    assert config.updated({"PingInterval": 0, "ReconnectInterval": "9", "X": 1}) == config
    assert config.updated({"ReconnectCount": True}) == config
    assert config.updated(None) is config


@pytest.mark.parametrize(
    ("payload", "kind"),
    [
        ({"schema": "2.0", "header": {"event_type": "im.x", "event_id": "e"}}, "event"),
        (
            {"schema": "2.0", "header": {"event_type": "card.action.trigger", "event_id": "e"}},
            "card_action",
        ),
        ({"uuid": "u", "event": {"type": "message"}}, "event"),
        ({"schema": "2.0", "header": {"event_type": "im.x"}}, None),
        ({"schema": "1.0", "header": {}}, None),
        ({"uuid": "u", "event": {}}, None),
        ({"type": "url_verification", "challenge": "x"}, None),
    ],
)
def test_classify_matches_the_http_ingress(payload: dict[str, Any], kind: str | None) -> None:
    verified = classify(payload)
    assert (verified.kind if verified is not None else None) == kind
