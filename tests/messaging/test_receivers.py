"""Receiver inference and validation (no network)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.core.errors import InvalidParameter
from lark_async.messaging import Receiver, infer_receive_id_type, resolve_receiver


@pytest.mark.parametrize(
    ("receive_id", "kind"),
    [
        ("ou_7d8a6e6df7621556ce0d21922b676706", "open_id"),
        ("on_94a1ee5551019f18cd73d9f111898cf2", "union_id"),
        ("oc_a0553eda9014c201e6969b478895c230", "chat_id"),
        ("ann.lee@example.com", "email"),
    ],
)
def test_shape_decides_the_type(receive_id: str, kind: str) -> None:
    assert infer_receive_id_type(receive_id) == kind
    assert resolve_receiver(receive_id) == Receiver(receive_id, kind)


def test_user_id_has_no_shape_so_it_must_be_named() -> None:
    assert infer_receive_id_type("3e9a1f2b") is None
    with pytest.raises(InvalidParameter) as exc:
        resolve_receiver("3e9a1f2b")
    assert exc.value.details["parameter"] == "receive_id_type"
    assert "receive_id_type='user_id'" in (exc.value.hint or "")
    assert resolve_receiver("3e9a1f2b", "user_id") == Receiver("3e9a1f2b", "user_id")


@pytest.mark.parametrize(
    ("receive_id", "kind", "fragment"),
    [
        ("oc_abc", "open_id", "not a open_id"),
        ("ou_abc", "chat_id", "not a chat_id"),
        ("ou_abc", "user_id", "looks like a open_id"),
        ("not-an-email", "email", "not an e-mail"),
        ("ou_abc", "phone", "not a receive_id_type"),
        ("a b", "user_id", "spaces"),
    ],
)
def test_contradictions_are_refused(receive_id: str, kind: str, fragment: str) -> None:
    with pytest.raises(InvalidParameter) as exc:
        resolve_receiver(receive_id, kind)
    assert fragment in str(exc.value)


@pytest.mark.parametrize("bad", ["", "   ", " ou_x", "ou_" + "x" * 300, None, 42])
def test_empty_padded_long_or_non_string_ids(bad: object) -> None:
    with pytest.raises(InvalidParameter) as exc:
        resolve_receiver(bad)  # type: ignore[arg-type]
    assert exc.value.details["parameter"] == "receive_id"


def test_a_receiver_object_keeps_its_type_and_refuses_another() -> None:
    r = Receiver("3e9a1f2b", "user_id")
    assert resolve_receiver(r) is not None
    assert resolve_receiver(r, "user_id").id_type == "user_id"
    with pytest.raises(InvalidParameter, match="contradicts"):
        resolve_receiver(r, "open_id")
    assert str(Receiver("oc_1", "chat_id")) == "oc_1"
    assert Receiver("oc_1", "chat_id").is_chat


@given(st.text(max_size=80))
def test_any_string_either_resolves_or_raises_invalid_parameter(value: str) -> None:
    try:
        r = resolve_receiver(value)
    except InvalidParameter:
        return
    assert r.id == value
    assert r.id_type in ("open_id", "union_id", "chat_id", "email")
