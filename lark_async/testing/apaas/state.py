"""aPaaS emulator state: workspaces of tables by name, flows, Aily skills (Feishu aPaaS docs).

Rows carry ``_id`` and ``_updated_at`` (ms, strictly increasing per row). Errors
use the API's only documented code, 2320001, with a message saying what is
missing, as the real service does.
"""

from __future__ import annotations

import json
import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from lark_async.testing.oauth.state import OAuthState
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import RouteTable

routes = RouteTable("apaas", family="apaas")

PARAM_INVALID = 2320001
AILY_PARAM_INVALID = 2700001
OPS = ("eq", "neq", "gt", "gte", "lt", "lte", "is")


USER_PRIVILEGE_REQUIRED = 99991679
SCOPE_TABLE_READ = "app_engine:workspace.table:read"
SCOPE_RECORD_READ = "app_engine:workspace.table.record:read"
SCOPE_RECORD_WRITE = "app_engine:workspace.table.record:write"


def require_grant(req: FakeRequest, scope: str) -> None:
    """A user token whose grant lacks ``scope``: 99991679 naming it (Feishu API-call docs).

    A grant made without any scope list (the emulator's default page) holds every scope.
    """
    token = req.raw.headers.get("Authorization", "").removeprefix("Bearer ").strip()
    oauth = req.state(OAuthState)
    grant = oauth.grants.get(oauth.access_of.get(token, ""))
    if grant is None or not grant.scopes or scope in grant.scopes:
        return
    raise FakeError(
        USER_PRIVILEGE_REQUIRED,
        f"Unauthorized. required one of these privileges: [{scope}]",
        error={"permission_violations": [{"type": "action_privilege_required", "subject": scope}]},
    )


def apaas_error(detail: str) -> FakeError:
    return FakeError(PARAM_INVALID, f"param is invalid: {detail}")


@dataclass
class Table:
    name: str
    description: str = ""
    columns: list[dict[str, Any]] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)
    last_ms: int = 0

    def check(self, names: Iterable[str], what: str) -> None:
        """PostgREST refuses a column the table does not have (its error 42703)."""
        known = {c["name"] for c in self.columns}
        for name in names:
            if name not in known:
                raise apaas_error(f"{what}: column {self.name}.{name} does not exist")

    def stamp(self, now: float) -> int:
        """A new ``_updated_at``: now in ms, never equal to an earlier one."""
        self.last_ms = max(int(now * 1000), self.last_ms + 1)
        return self.last_ms


@dataclass
class Flow:
    namespace: str
    flow_id: str
    outputs: dict[str, Any] = field(default_factory=dict)
    status: str = "end"


@dataclass
class Skill:
    app_id: str
    skill_id: str
    output: str = "ok"
    delay: float = 0.0  # seconds (the emulator's clock) a run takes
    outcome: str = "COMPLETED"  # how its runs end: COMPLETED, FAILED or EXPIRED
    error: str = ""  # a failed run's error message


@dataclass
class Run:
    """An Aily run: QUEUED for the first quarter of the skill's delay, IN_PROGRESS
    until the delay is over, then the skill's outcome (or CANCELLED)."""

    id: str
    session_id: str
    skill: Skill
    created_at: float
    cancelled_at: float | None = None
    answered: bool = False

    def status(self, now: float) -> str:
        if self.cancelled_at is not None:
            return "CANCELLED"
        elapsed = now - self.created_at
        if elapsed < self.skill.delay / 4:
            return "QUEUED"
        if elapsed < self.skill.delay:
            return "IN_PROGRESS"
        return self.skill.outcome


@dataclass
class AilySession:
    id: str
    created_at: float
    messages: list[dict[str, Any]] = field(default_factory=list)
    idempotent: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class ApaasState:
    workspaces: dict[str, dict[str, Table]] = field(default_factory=dict)
    flows: dict[tuple[str, str], Flow] = field(default_factory=dict)
    executions: dict[str, dict[str, Any]] = field(default_factory=dict)
    keys: set[str] = field(default_factory=set)
    skills: dict[tuple[str, str], Skill] = field(default_factory=dict)
    sessions: dict[str, AilySession] = field(default_factory=dict)
    runs: dict[str, Run] = field(default_factory=dict)

    def table(self, workspace_id: str, name: str) -> Table:
        tables = self.workspaces.get(workspace_id)
        if tables is None:
            raise apaas_error(f"workspace not found: {workspace_id}")
        table = tables.get(name)
        if table is None:
            raise apaas_error(f"table not found: {name}")
        return table


def new_record_id() -> str:
    return secrets.token_hex(8)


def _coerce(raw: str, like: Any) -> Any:
    """The filter's text as the type of the row's value."""
    if isinstance(like, bool):
        return raw == "true"
    if isinstance(like, int):
        try:
            return int(raw)
        except ValueError:
            return float(raw)
    if isinstance(like, float):
        return float(raw)
    return raw


def _holds(row: dict[str, Any], column: str, op: str, raw: str) -> bool:
    value = row.get(column)
    if op == "is":
        return value is None if raw == "null" else str(value).lower() == raw
    if value is None:
        return False
    try:
        other = _coerce(raw, value)
    except ValueError:
        return False
    if op == "eq":
        return bool(value == other)
    if op == "neq":
        return bool(value != other)
    try:
        if op == "gt":
            return bool(value > other)
        if op == "gte":
            return bool(value >= other)
        if op == "lt":
            return bool(value < other)
        return bool(value <= other)
    except TypeError:
        return False


_AMP_JOINED = re.compile(r"&[^=&]+=(?:not\.)?(?:eq|neq|gt|gte|lt|lte|is)\.")


def _split_tree(inner: str) -> list[str]:
    """``a.eq.1,b.eq."x,y"`` -> its terms: commas outside double quotes split."""
    terms, buf, quoted, escaped = [], [], False, False
    for ch in inner:
        if escaped:
            buf.append(ch)
            escaped = False
        elif ch == "\\" and quoted:
            buf.append(ch)
            escaped = True
        elif ch == '"':
            quoted = not quoted
            buf.append(ch)
        elif ch == "," and not quoted:
            terms.append("".join(buf))
            buf = []
        else:
            buf.append(ch)
    if quoted:
        raise apaas_error("filter: unbalanced double quote")
    terms.append("".join(buf))
    return terms


def _unquote(raw: str) -> str:
    if len(raw) >= 2 and raw[0] == raw[-1] == '"':
        return re.sub(r"\\(.)", r"\1", raw[1:-1])
    return raw


def _term(column: str, rest: str, text: str) -> tuple[str, str, str, bool]:
    negate = rest.startswith("not.")
    if negate:
        rest = rest[4:]
    op, dot, raw = rest.partition(".")
    if not column or not dot or op not in OPS:
        raise apaas_error(f"filter: cannot parse {text!r}")
    return column, op, raw, negate


def matcher(text: str | None, table: Table | None = None) -> Any:
    """A predicate for the API's ``filter`` (PostgREST horizontal filtering).

    One condition ``col=op.value``, or several in a logical tree
    ``and=(col.op.value,...)`` / ``or=(...)`` (values may be double-quoted).
    Conditions joined with ``&`` are refused: in one query parameter that is
    not how PostgREST combines them.
    """
    if not text:
        return lambda row: True
    if _AMP_JOINED.search(text):
        raise apaas_error("filter: combine conditions with and=(...), not '&'")
    head, eq, body = text.partition("=")
    if eq and head in ("and", "or") and body.startswith("(") and body.endswith(")"):
        terms = []
        for part in _split_tree(body[1:-1]):
            column, dot, rest = part.partition(".")
            if not dot:
                raise apaas_error(f"filter: cannot parse {part!r}")
            col, op, raw, neg = _term(column, rest, part)
            terms.append((col, op, _unquote(raw), neg))
        if table is not None:
            table.check((t[0] for t in terms), "filter")
        combine = all if head == "and" else any
        return lambda row: combine(_holds(row, c, o, r) != n for c, o, r, n in terms)
    col, op, raw, neg = _term(head if eq else "", body, text)
    if table is not None:
        table.check([col], "filter")
    return lambda row: _holds(row, col, op, raw) != neg


def sort_rows(
    rows: list[dict[str, Any]], order: str | None, table: Table | None = None
) -> list[dict[str, Any]]:
    out = list(rows)
    if not order:
        return out
    for term in reversed(order.split(",")):
        column, _, direction = term.partition(".")
        if direction not in ("", "asc", "desc"):
            raise apaas_error(f"order: cannot parse {term!r}")
        if table is not None:
            table.check([column], "order")
        out.sort(
            key=lambda r: (
                (r.get(column) is None, json.dumps(r.get(column), sort_keys=True))
                if not isinstance(r.get(column), int | float)
                else (False, r.get(column))
            ),
            reverse=direction == "desc",
        )
    return out
