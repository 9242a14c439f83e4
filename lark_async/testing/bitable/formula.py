"""The formula ``filter`` of the legacy ``GET .../records`` list (Feishu Bitable docs): a subset.

Supported: ``CurrentValue.[Field] <op> literal`` with ``= != <> > >= < <=``,
``CurrentValue.[Field].contains("x")``, literals ``"text"``, numbers,
``TRUE()``/``FALSE()``, combined with ``AND(...)``, ``OR(...)``, ``NOT(...)``.
An empty cell equals ``""``. Anything else answers 1254001, naming the spot.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any, NoReturn

from lark_async.testing.bitable.state import (
    FIELD_NAME_NOT_FOUND,
    WRONG_REQUEST_BODY,
    Field,
    Record,
    Table,
    bitable_error,
)
from lark_async.testing.bitable.values import CHECKBOX, NUMBER, stored

Predicate = Callable[[Record], bool]
Operand = Callable[[Record], Any]

_TOKEN = re.compile(
    r"""\s*(?:
        (?P<field>CurrentValue\.\[(?P<name>[^\]]+)\])
      | (?P<string>"(?:[^"\\]|\\.)*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|<>|>=|<=|=|>|<)
      | (?P<punct>[(),.])
      | (?P<word>[A-Za-z_]+)
    )""",
    re.VERBOSE,
)
_COMPARE: dict[str, Callable[[Any, Any], bool]] = {
    "=": lambda a, b: a == b,
    "!=": lambda a, b: a != b,
    "<>": lambda a, b: a != b,
    ">": lambda a, b: a > b,
    ">=": lambda a, b: a >= b,
    "<": lambda a, b: a < b,
    "<=": lambda a, b: a <= b,
}


def compile_formula(text: str, table: Table) -> Predicate:
    """A predicate for a formula filter, or 1254001 / 1254045."""
    parser = _Parser(_tokens(text), text, table)
    predicate = parser.expression()
    if parser.pos != len(parser.tokens):
        parser.fail("unexpected text after the expression")
    return predicate


def _tokens(text: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    while pos < len(text):
        if text[pos:].strip() == "":
            break
        m = _TOKEN.match(text, pos)
        if m is None or m.end() == pos:
            _fail(text, f"cannot read the formula at character {pos}")
        kind = m.lastgroup or ""
        if kind == "name":
            kind = "field"
        out.append((kind, m.group("name") if kind == "field" else m.group(kind)))
        pos = m.end()
    return out


def _fail(text: str, why: str) -> NoReturn:
    raise bitable_error(WRONG_REQUEST_BODY, f"filter {text[:100]!r}: {why}")


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]], text: str, table: Table) -> None:
        self.tokens, self.text, self.table, self.pos = tokens, text, table, 0

    def fail(self, why: str) -> NoReturn:
        _fail(self.text, why)

    def peek(self) -> tuple[str, str]:
        return self.tokens[self.pos] if self.pos < len(self.tokens) else ("end", "")

    def take(self, kind: str, value: str | None = None) -> str:
        got_kind, got = self.peek()
        if got_kind != kind or (value is not None and got != value):
            self.fail(f"expected {value or kind}, found {got or 'the end'}")
        self.pos += 1
        return got

    def expression(self) -> Predicate:
        kind, value = self.peek()
        if kind == "word" and value.upper() in ("AND", "OR", "NOT"):
            self.pos += 1
            self.take("punct", "(")
            args = [self.expression()]
            while self.peek() == ("punct", ","):
                self.pos += 1
                args.append(self.expression())
            self.take("punct", ")")
            return _combine(value.upper(), args, self)
        left = self.operand()
        if self.peek() == ("punct", "."):
            self.pos += 1
            if self.take("word").lower() != "contains":
                self.fail("the only method is .contains(...)")
            self.take("punct", "(")
            needle = self.operand()
            self.take("punct", ")")
            return lambda r: str(needle(r)) in _text(left(r))
        op = self.take("op")
        compare = _COMPARE[op]
        right = self.operand()

        def test(r: Record) -> bool:
            a, b = left(r), right(r)
            if isinstance(a, bool) or isinstance(b, bool):  # checkboxes: equality only
                return op in ("=", "!=", "<>") and compare(a, b)
            if isinstance(a, int | float) and isinstance(b, int | float):
                return compare(a, b)
            if isinstance(a, int | float) or isinstance(b, int | float):
                # a blank cell against a number: unequal, and neither greater nor less
                return op in ("!=", "<>") if "" in (a, b) else compare(_text(a), _text(b))
            return compare(_text(a), _text(b))

        return test

    def operand(self) -> Operand:
        kind, value = self.peek()
        self.pos += 1
        if kind == "field":
            f = self.table.by_name.get(value)
            if f is None:
                raise bitable_error(FIELD_NAME_NOT_FOUND, f"no field named {value!r} in filter")
            return _field_value(f)
        if kind == "string":
            literal = value[1:-1].replace('\\"', '"')
            return lambda r: literal
        if kind == "number":
            number = float(value)
            return lambda r: number
        if kind == "word" and value.upper() in ("TRUE", "FALSE"):
            self.take("punct", "(")
            self.take("punct", ")")
            truth = value.upper() == "TRUE"
            return lambda r: truth
        self.pos -= 1
        self.fail(f"expected a field, a string or a number, found {value or 'the end'}")


def _combine(name: str, args: list[Predicate], parser: _Parser) -> Predicate:
    if name == "NOT":
        if len(args) != 1:
            parser.fail("NOT takes one argument")
        inner = args[0]
        return lambda r: not inner(r)
    if name == "AND":
        return lambda r: all(a(r) for a in args)
    return lambda r: any(a(r) for a in args)


def _field_value(f: Field) -> Operand:
    def value(r: Record) -> Any:
        raw = stored(f, r)
        if f.type == NUMBER:
            return raw if raw is not None else ""
        if f.type == CHECKBOX:
            return bool(raw)
        return _text(raw)

    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, dict):
        return str(value.get("text", ""))
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)
