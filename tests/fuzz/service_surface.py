"""The public surface of a service, enumerated, and the bad values fed to it.

Shared by the messaging, bitable and sheets fuzz tests: every public method of
a service class is found with ``dir`` and ``inspect.signature`` (so a method
added later is fuzzed without editing a test), each argument gets a valid base
value from a table keyed by argument name, and one argument at a time is
replaced by a bad value.
"""

from __future__ import annotations

import datetime as dt
import decimal
import enum
import inspect
import math
from collections.abc import AsyncIterable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from hypothesis import strategies as st

from lark_async.core.errors import LarkError


# -- the surface ---------------------------------------------------------------------
def public_methods(cls: type) -> dict[str, Callable[..., Any]]:
    """Public methods of ``cls`` by their own name (aliases such as ``reply`` collapse)."""
    out: dict[str, Callable[..., Any]] = {}
    for name in dir(cls):
        if name.startswith("_"):
            continue
        static = inspect.getattr_static(cls, name)
        if isinstance(static, property | classmethod | staticmethod) or not inspect.isfunction(
            static
        ):
            continue
        out.setdefault(static.__name__, static)
    return dict(sorted(out.items()))


def arguments(func: Callable[..., Any]) -> list[inspect.Parameter]:
    """The parameters a caller passes (``self`` left out)."""
    params = list(inspect.signature(func).parameters.values())
    if params and params[0].name == "self":
        params = params[1:]
    return params


def cases(
    methods: Mapping[str, Callable[..., Any]],
    var_keyword: Mapping[str, tuple[str, ...]] | None = None,
) -> list[tuple[str, str]]:
    """(method, argument) pairs to fuzz; ``**options`` expand to ``var_keyword[method]``."""
    out: list[tuple[str, str]] = []
    for name, func in methods.items():
        for p in arguments(func):
            if p.kind is p.VAR_KEYWORD:
                out += [(name, opt) for opt in (var_keyword or {}).get(name, ())]
            elif p.kind is not p.VAR_POSITIONAL:
                out.append((name, p.name))
    return out


def missing_bases(
    methods: Mapping[str, Callable[..., Any]],
    bases: Mapping[str, Any],
    overrides: Mapping[str, Mapping[str, Any]],
) -> list[str]:
    """Required arguments that neither table gives a valid value for."""
    missing = []
    for name, func in methods.items():
        for p in arguments(func):
            if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL) or p.default is not p.empty:
                continue
            if p.name not in overrides.get(name, {}) and p.name not in bases:
                missing.append(f"{name}({p.name})")
    return missing


def base_kwargs(
    func: Callable[..., Any],
    bases: Mapping[str, Any],
    overrides: Mapping[str, Any],
) -> dict[str, Any]:
    """Valid keyword arguments for every required parameter (and any override)."""
    kwargs: dict[str, Any] = {}
    for p in arguments(func):
        if p.kind in (p.VAR_KEYWORD, p.VAR_POSITIONAL):
            continue
        if p.name in overrides:
            kwargs[p.name] = overrides[p.name]
        elif p.default is p.empty:
            kwargs[p.name] = bases[p.name]
    for name, value in overrides.items():
        kwargs.setdefault(name, value)
    return kwargs


@dataclass(frozen=True)
class Target:
    """A builder or helper to fuzz: ``make()`` gives the callable (a class, a function,
    or a method bound to a fresh valid instance)."""

    label: str
    make: Callable[[], Callable[..., Any]]


def exported_targets(
    names: Iterable[str],
    resolve: Callable[[str], Any],
    instances: Mapping[str, Callable[[], Any]],
) -> list[Target]:
    """Every exported class (its constructor and public methods) and function.

    Methods are called on ``instances[class name]()``; a class without an instance
    factory contributes its constructor and class methods only.
    """
    targets: list[Target] = []
    for name in sorted(names):
        obj = resolve(name)
        if inspect.isfunction(obj):
            targets.append(Target(name, lambda obj=obj: obj))
            continue
        if not inspect.isclass(obj):
            continue
        targets.append(Target(name, lambda obj=obj: obj))
        for attr in dir(obj):
            if attr.startswith("_"):
                continue
            static = inspect.getattr_static(obj, attr)
            if isinstance(static, classmethod | staticmethod):
                targets.append(
                    Target(f"{name}.{attr}", lambda obj=obj, attr=attr: getattr(obj, attr))
                )
            elif inspect.isfunction(static) and name in instances:
                make = instances[name]
                targets.append(
                    Target(f"{name}.{attr}", lambda make=make, attr=attr: getattr(make(), attr))
                )
    return targets


def target_cases(targets: Iterable[Target]) -> list[tuple[Target, str]]:
    """(target, argument) pairs; a ``*args`` argument is fuzzed as one bad item."""
    out = []
    for target in targets:
        for p in inspect.signature(target.make()).parameters.values():
            if p.kind is not p.VAR_KEYWORD:
                out.append((target, p.name))
    return out


def target_missing(targets: Iterable[Target], bases: Mapping[str, Any]) -> list[str]:
    missing = []
    for target in targets:
        for p in inspect.signature(target.make()).parameters.values():
            required = p.default is p.empty and p.kind not in (p.VAR_KEYWORD,)
            if required and p.kind is not p.VAR_POSITIONAL and p.name not in bases:
                missing.append(f"{target.label}({p.name})")
    return missing


def invoke(func: Callable[..., Any], bases: Mapping[str, Any], arg: str, bad: Any) -> Any:
    """Call ``func`` with valid required arguments and ``bad`` for ``arg``."""
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    for p in inspect.signature(func).parameters.values():
        if p.kind is p.VAR_POSITIONAL:
            args = [bad] if p.name == arg else list(bases.get(p.name, ()))
        elif p.kind is p.VAR_KEYWORD:
            continue
        elif p.name == arg:
            kwargs[p.name] = bad
        elif p.default is p.empty:
            kwargs[p.name] = bases[p.name]
    positional = [
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind is p.POSITIONAL_OR_KEYWORD and args
    ]
    if args:  # positional parameters before *args cannot be given by keyword
        return func(*[kwargs.pop(n) for n in positional if n in kwargs], *args, **kwargs)
    return func(**kwargs)


def typed_or_works(call: Callable[[], Any], arg: str) -> None:
    """``call()`` works, or raises a LarkError naming ``arg``; nothing else."""
    try:
        call()
    except LarkError as err:
        assert arg in str(err), f"the error does not name {arg!r}: {err!r}"


@dataclass
class Outcome:
    raised: LarkError | None
    requests: int  # emulator journal entries made by the call itself


async def run(call: Callable[[], Any], journal: Any, arg: str) -> Outcome:
    """Call, await or start iterating; only a ``LarkError`` naming ``arg`` may escape.

    A call that raises must not have sent anything. Iteration errors (a page the
    server refused) come after requests by nature, so only their type is checked.
    """
    before = len(journal)
    try:
        result = call()
        if inspect.isawaitable(result):
            result = await result
    except LarkError as err:
        assert arg in str(err), f"the error does not name {arg!r}: {err!r}"
        sent = len(journal) - before
        assert sent == 0, f"{sent} request(s) reached the emulator before {err!r}"
        return Outcome(err, 0)
    if isinstance(result, AsyncIterable):
        try:
            async for _ in result:
                break
        except LarkError:
            pass
    return Outcome(None, len(journal) - before)


# -- bad values -----------------------------------------------------------------------
class Opaque:
    """An arbitrary object no argument accepts."""

    def __repr__(self) -> str:
        return "Opaque()"


class Colour(enum.Enum):
    RED = 1


def nested(depth: int, leaf: Any = 1) -> Any:
    value: Any = leaf
    for _ in range(depth):
        value = [value]
    return value


LONE_SURROGATES = ("\ud800", "a\udfffb", "\udc80")
CONTROL = ("\x00", "a\x07b", "\x1b[31m", "\r\n", "\x7f", "\u2028")

#: Values every argument is tried with (explicit hypothesis examples).
NASTIES: tuple[Any, ...] = (
    None,
    True,
    False,
    0,
    -1,
    2**70,
    -(2**70),
    1.5,
    math.nan,
    math.inf,
    -math.inf,
    b"bytes",
    bytearray(b"ba"),
    1j,
    decimal.Decimal("1.1"),
    dt.datetime(2024, 1, 1),
    Colour.RED,
    Opaque(),
    object,
    print,
    "",
    " ",
    "x" * 70_000,
    *LONE_SURROGATES,
    *CONTROL,
    "../x",
    "a/b?c#d%e",
    "ou_\ud800",
    "om_\x00",
    "img_\n",
    "file_\udfff",
    "tbl\u2028",
    "rec\ud800",
    "c-\x00",
    [],
    [None],
    [math.nan],
    [Opaque()],
    ["\ud800"],
    [[1, 2], [3]],
    [{1: 2}],
    (),
    {1, 2},
    {},
    {1: "a"},
    {None: 1},
    {"k": math.nan},
    {"k": math.inf},
    {"k": Opaque()},
    {"k": b"x"},
    {"k": {1, 2}},
    {"k": 2**70},
    {"k": "\ud800"},
    {"\ud800": "v"},
    {"k": {"n": {"m": [Opaque()]}}},
    {"tag": ["text"]},
    {"tag": {"a": 1}},
    nested(300),
)

_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.integers(min_value=2**63),
    st.floats(),
    st.text(max_size=8),
    st.sampled_from(LONE_SURROGATES + CONTROL),
    st.binary(max_size=4),
    st.builds(Opaque),
    st.complex_numbers(max_magnitude=4),
)
_shapes = st.recursive(
    _leaf,
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.tuples(inner, inner),
        st.dictionaries(
            st.one_of(st.text(max_size=6), st.integers(), st.none(), st.sampled_from(CONTROL)),
            inner,
            max_size=3,
        ),
        st.frozensets(st.integers(), max_size=2),
    ),
    max_leaves=8,
)
_strings = st.one_of(
    st.text(max_size=30),
    st.text(st.characters(categories=["Cc", "Cs", "Zl", "Zp"]), max_size=5),
    st.tuples(
        st.sampled_from(["ou_", "on_", "oc_", "om_", "img_", "file_", "c-", "tbl", "rec", "vew"]),
        st.text(max_size=10),
    ).map("".join),
)

#: Anything: wrong types, wrong strings and wrong shapes.
bad_values = st.one_of(st.sampled_from(NASTIES), _leaf, _strings, _shapes)
