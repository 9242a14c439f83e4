"""State shared by every process and host of an app, through PostgreSQL.

A client whose ``token_store`` is a ``postgresql://`` URL shares its per-app
rate limits (:class:`SharedRateLimiter`) and its Bitable / Sheets write slots
(:class:`PostgresSlots`) through that database, unless built with
``shared_limits=False``. ``lark-async serve|worker --state postgresql://...``
keeps the callback memories here too (:func:`callback_state`). See
docs/scaling.md.
"""

from lark_async.core.ratelimit import ClientRateLimiter
from lark_async.core.state_url import is_postgres_url
from lark_async.shared.callbacks import (
    CallbackState,
    PostgresProcessedStore,
    PostgresReplayStore,
    callback_state,
)
from lark_async.shared.db import SharedDatabase, SharedUnavailable
from lark_async.shared.limiter import SharedRateLimiter
from lark_async.shared.slots import PostgresSlots

__all__ = [
    "CallbackState",
    "PostgresProcessedStore",
    "PostgresReplayStore",
    "PostgresSlots",
    "SharedDatabase",
    "SharedRateLimiter",
    "SharedUnavailable",
    "Sharing",
    "callback_state",
    "is_postgres_url",
]


class Sharing:
    """What a client shares through its PostgreSQL store: limiter, write slots, database."""

    def __init__(self, url: str, local: ClientRateLimiter) -> None:
        self.db = SharedDatabase(url)
        self.limiter = SharedRateLimiter(self.db, local)
        self.slots = PostgresSlots(self.db)

    async def aclose(self) -> None:
        await self.db.aclose()
