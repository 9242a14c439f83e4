"""A record of every request the emulator received, with secrets masked."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any, Literal

from lark_async.testing.server.routing import RouteSpec

#: Body/query keys whose values are credentials; the journal stores "***" instead.
SECRET_KEYS = frozenset(
    {
        "app_secret",
        "client_secret",
        "app_access_token",
        "tenant_access_token",
        "user_access_token",
        "access_token",
        "refresh_token",
        "app_ticket",
        "code_verifier",
        "client_assertion",
        "encrypt_key",
        "verification_token",
    }
)
MASK = "***"

Outcome = Literal["response", "dropped", "cancelled"]


def redact(value: Any) -> Any:
    """A copy of a JSON value with every secret-named key's value masked."""
    if isinstance(value, dict):
        return {k: MASK if k in SECRET_KEYS else redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass(frozen=True)
class JournalEntry:
    """One request. ``status``/``code`` are None when no response was sent.

    ``authorization`` is the header's shape ("Bearer *** (tenant)"), never its token;
    ``outcome`` is "dropped" for a drop fault, "cancelled" when the client went away.
    """

    method: str
    path: str
    query: dict[str, str | list[str]]
    json: Any
    status: int | None
    code: int | None
    app_id: str | None
    request_id: str | None
    time: float
    log_id: str
    route: str | None = None
    token_kind: str | None = None
    authorization: str | None = None
    form: dict[str, str] | None = None
    faults: tuple[str, ...] = ()
    outcome: Outcome = "response"


class Journal:
    """Requests in arrival order of their answers; filter by method, path, code, app."""

    def __init__(self) -> None:
        self._entries: list[JournalEntry] = []

    def record(self, entry: JournalEntry) -> None:
        self._entries.append(entry)

    @property
    def entries(self) -> list[JournalEntry]:
        return list(self._entries)

    @property
    def last(self) -> JournalEntry | None:
        return self._entries[-1] if self._entries else None

    def filter(
        self,
        method: str | None = None,
        path: str | None = None,
        code: int | None = None,
        *,
        app_id: str | None = None,
        status: int | None = None,
    ) -> list[JournalEntry]:
        """Entries matching every given criterion; ``path`` may be a ``{param}`` template."""
        spec = RouteSpec(f"{method or '*'} {path or '*'}")
        return [
            e
            for e in self._entries
            if spec.matches(e.method, e.path, e.route)
            and (code is None or e.code == code)
            and (app_id is None or e.app_id == app_id)
            and (status is None or e.status == status)
        ]

    def count(
        self,
        method: str | None = None,
        path: str | None = None,
        code: int | None = None,
        *,
        app_id: str | None = None,
        status: int | None = None,
    ) -> int:
        return len(self.filter(method, path, code, app_id=app_id, status=status))

    def clear(self) -> None:
        self._entries.clear()

    def __iter__(self) -> Iterator[JournalEntry]:
        return iter(self.entries)

    def __len__(self) -> int:
        return len(self._entries)

    def __repr__(self) -> str:
        return f"Journal(entries={len(self._entries)})"
