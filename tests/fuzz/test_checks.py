"""The shared argument checks: what they accept, and the error they give otherwise."""

from __future__ import annotations

import math
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from lark_async.core.checks import (
    check_bool,
    check_int,
    check_json,
    check_number,
    check_str,
    check_text,
)
from lark_async.core.errors import ConfigError, InvalidParameter, LarkError


def _refused(call: Any, name: str, error: type[LarkError] = InvalidParameter) -> LarkError:
    with pytest.raises(error) as info:
        call()
    assert str(info.value.message).startswith(name)
    assert info.value.details["argument"] == name
    return info.value


@pytest.mark.parametrize(
    "value", [None, 5, 1.5, True, b"x", ["a"], {"a": 1}, object(), "", "\ud800", "a\udfffb"]
)
def test_check_str_refuses(value: object) -> None:
    _refused(lambda: check_str(value, "app_id"), "app_id")


def test_check_str_options() -> None:
    assert check_str("", "x", empty_ok=True) == ""
    assert check_str("飞书 ok", "x", printable=True) == "飞书 ok"
    _refused(lambda: check_str("a\nb", "x", printable=True), "x")
    _refused(lambda: check_str("abc", "x", max_len=2), "x")
    _refused(lambda: check_str(1, "domain", error=ConfigError), "domain", ConfigError)
    assert check_text("line\nnext\x00", "text") == "line\nnext\x00"
    _refused(lambda: check_text("\ud83d", "text"), "text")


def test_secret_values_are_never_shown() -> None:
    err = _refused(lambda: check_str("top\ud800secret", "app_secret"), "app_secret")
    assert "secret" not in str(err).replace("app_secret", "")


@pytest.mark.parametrize("value", [None, "3", 3.0, True, [3], math.nan])
def test_check_int_refuses(value: object) -> None:
    _refused(lambda: check_int(value, "max_retries", min=0), "max_retries")


def test_check_int_bounds() -> None:
    assert check_int(0, "n", min=0, max=3) == 0
    _refused(lambda: check_int(-1, "n", min=0), "n")
    _refused(lambda: check_int(4, "n", max=3), "n")


@pytest.mark.parametrize(
    "value", [None, "1", True, math.nan, math.inf, -math.inf, 10**400, [1], 0, -1]
)
def test_check_number_refuses(value: object) -> None:
    _refused(lambda: check_number(value, "timeout", positive=True), "timeout")


def test_check_number_bounds() -> None:
    assert check_number(3, "f", min=0, max=3) == 3.0
    _refused(lambda: check_number(1.0, "f", max=0.5), "f")
    _refused(lambda: check_number(-0.1, "f", min=0), "f")


def test_check_bool() -> None:
    assert check_bool(False, "b") is False
    for value in (0, 1, "false", None):
        _refused(lambda value=value: check_bool(value, "b"), "b")


@pytest.mark.parametrize(
    "value",
    [
        {"a": {1, 2}},
        {1: "a"},
        {"a": object()},
        {"a": b"bytes"},
        ["\ud800"],
        2**70,
    ],
)
def test_check_json_refuses(value: object) -> None:
    _refused(lambda: check_json(value, "json"), "json")


def test_check_json_refuses_cycles_and_depth() -> None:
    cyclic: list[Any] = []
    cyclic.append(cyclic)
    _refused(lambda: check_json(cyclic, "json"), "json")
    deep: Any = "x"
    for _ in range(10_000):
        deep = [deep]
    _refused(lambda: check_json(deep, "json"), "json")


json_values = st.recursive(
    st.none() | st.booleans() | st.integers(-(2**63), 2**63 - 1) | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(), inner, max_size=4),
    max_leaves=20,
)


@given(json_values)
def test_check_json_accepts_json(value: object) -> None:
    check_json(value, "json")
