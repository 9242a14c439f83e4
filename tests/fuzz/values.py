"""Hypothesis strategies: the wrong values a caller may pass to a public function."""

from __future__ import annotations

import math
from typing import Any

from hypothesis import strategies as st

SPECIAL_FLOATS = [math.nan, math.inf, -math.inf, 0.0, -0.0, -1.0, 0.5, 1e308, 5e-324, 1e-9]
HUGE_INTS = [0, -1, 1, 2**31, 2**63, 2**64, -(2**63) - 1, 10**30]
SPECIAL_STRINGS = [
    "",
    " ",
    "x" * 100_000,
    "\ud800",
    "a\udfffb",
    "\x00",
    "line\nbreak",
    "\r\n",
    "\t",
    "\u2028",
    "\x7f",
    "../..",
    "%2e%2e",
    "🙂",
    "飞书",
    "null",
    "0",
    "-1",
    "nan",
    "true",
]


class Opaque:
    """An object of no type the library knows, with an unhelpful repr."""

    def __repr__(self) -> str:
        return "<opaque>"


class Exploding:
    """An object whose every dunder a careless check might call raises."""

    def __bool__(self) -> bool:
        raise RuntimeError("__bool__ called")

    def __eq__(self, other: object) -> bool:
        raise RuntimeError("__eq__ called")

    __hash__ = object.__hash__

    def __str__(self) -> str:
        raise RuntimeError("__str__ called")

    def __len__(self) -> int:
        raise RuntimeError("__len__ called")


def strings() -> st.SearchStrategy[str]:
    """Wrong strings: empty, huge, surrogates, control characters, and plain text."""
    return st.one_of(
        st.sampled_from(SPECIAL_STRINGS),
        st.text(max_size=30),
        st.text(st.characters(categories=["Cs", "Cc", "Zl", "Zp"]), min_size=1, max_size=4),
    )


def scalars() -> st.SearchStrategy[Any]:
    return st.one_of(
        st.none(),
        st.booleans(),
        st.sampled_from(HUGE_INTS),
        st.integers(),
        st.sampled_from(SPECIAL_FLOATS),
        st.floats(),
        st.binary(max_size=8),
        strings(),
        st.builds(Opaque),
        st.builds(object),
    )


def anything() -> st.SearchStrategy[Any]:
    """Any wrong value: scalars, and lists, dicts, tuples, sets of them."""
    return st.recursive(
        scalars(),
        lambda inner: st.one_of(
            st.lists(inner, max_size=3),
            st.dictionaries(st.one_of(st.text(max_size=5), st.integers()), inner, max_size=3),
            st.tuples(inner, inner),
            st.frozensets(st.integers(), max_size=3),
        ),
        max_leaves=6,
    )
