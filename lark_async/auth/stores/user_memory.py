"""Users' grants and sessions in dicts: one process, nothing persisted."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator
from contextlib import AbstractAsyncContextManager, asynccontextmanager

from lark_async.auth.user_models import SessionStatus, UserAuthSession, UserGrant


class MemoryUserTokenStore:
    name = "memory"

    def __init__(self) -> None:
        self._grants: dict[tuple[str, str], UserGrant] = {}
        self._sessions: dict[tuple[str, str], UserAuthSession] = {}

    async def get_grant(self, app_id: str, open_id: str) -> UserGrant | None:
        grant = self._grants.get((app_id, open_id))
        return dataclasses.replace(grant) if grant is not None else None

    async def put_grant(self, grant: UserGrant) -> None:
        self._grants[(grant.app_id, grant.open_id)] = dataclasses.replace(grant)

    async def delete_grant(self, app_id: str, open_id: str, generation: int | None = None) -> None:
        grant = self._grants.get((app_id, open_id))
        if grant is not None and (generation is None or grant.generation == generation):
            del self._grants[(app_id, open_id)]

    def grant_lock(
        self, app_id: str, open_id: str, timeout: float
    ) -> AbstractAsyncContextManager[None]:
        return _no_lock()  # one process: the manager's single flight is enough

    async def put_session(self, session: UserAuthSession) -> None:
        self._sessions[(session.app_id, session.session_id)] = dataclasses.replace(session)

    async def get_session(self, app_id: str, session_id: str) -> UserAuthSession | None:
        found = self._sessions.get((app_id, session_id))
        return dataclasses.replace(found) if found is not None else None

    async def finish_session(
        self, app_id: str, session_id: str, status: SessionStatus, open_id: str | None, now: float
    ) -> UserAuthSession | None:
        found = self._sessions.get((app_id, session_id))
        if found is None or found.status != "pending" or found.expires_at <= now:
            return None
        before = dataclasses.replace(found)
        found.status, found.open_id = status, open_id
        return before

    async def purge_sessions(self, before: float) -> int:
        old = [k for k, s in self._sessions.items() if s.expires_at < before]
        for key in old:
            del self._sessions[key]
        return len(old)

    async def close(self) -> None:
        return None

    def __repr__(self) -> str:
        return f"MemoryUserTokenStore(<{len(self._grants)} grants>)"


@asynccontextmanager
async def _no_lock() -> AsyncIterator[None]:
    yield
