"""An in-process fake Feishu / Lark OpenAPI server for tests (imports nothing from the client).

    async with FakeLark() as fake:
        fake.add_app("cli_abc", "secret")
        ...  # point the client at fake.url

The engine (server, routing, gateway, limits, faults, journal) is in ``server/``;
each API family has its package: ``im/``, ``bitable/``, ``sheets/``, ``docs/``,
``contact/``, ``oauth/``, ``callbacks/``, ``apaas/``. ``seed`` puts tables, sheets,
people and chats in it in one call; ``ThreadedFakeLark`` serves from its own thread
(for synchronous tests such as FastAPI's ``TestClient``).
See docs/emulator.md.
"""

from lark_async.testing.apaas import ApaasEmulator
from lark_async.testing.bitable import BitableEmulator
from lark_async.testing.contact import ContactEmulator
from lark_async.testing.docs import DocsEmulator
from lark_async.testing.im import ImEmulator
from lark_async.testing.oauth import OAuthEmulator
from lark_async.testing.seed import (
    SeededSheet,
    SeededTable,
    SeededUser,
    seed_chat,
    seed_department,
    seed_records,
    seed_sheet,
    seed_table,
    seed_user,
    seed_users,
)
from lark_async.testing.server.apps import FakeApp, IssuedToken
from lark_async.testing.server.clock import ManualClock
from lark_async.testing.server.envelope import FakeError, error_body, json_response, success_body
from lark_async.testing.server.fake_lark import (
    DEFAULT_APP_ID,
    DEFAULT_APP_SECRET,
    DEFAULT_TENANT_KEY,
    FakeLark,
)
from lark_async.testing.server.faults import Fault, Faults
from lark_async.testing.server.journal import Journal, JournalEntry
from lark_async.testing.server.ratelimit import DEFAULT_FAMILIES, FamilyLimit, RateLimiter
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import (
    DEFAULT_AUTH,
    TENANT_ONLY,
    USER_ONLY,
    Route,
    RouteTable,
    TokenKind,
)
from lark_async.testing.sheets import SheetsEmulator
from lark_async.testing.threaded import ThreadedFakeLark

__all__ = [
    "DEFAULT_APP_ID",
    "DEFAULT_APP_SECRET",
    "DEFAULT_AUTH",
    "DEFAULT_FAMILIES",
    "DEFAULT_TENANT_KEY",
    "TENANT_ONLY",
    "USER_ONLY",
    "ApaasEmulator",
    "BitableEmulator",
    "ContactEmulator",
    "DocsEmulator",
    "FakeApp",
    "FakeError",
    "FakeLark",
    "FakeRequest",
    "FamilyLimit",
    "Fault",
    "Faults",
    "ImEmulator",
    "IssuedToken",
    "Journal",
    "JournalEntry",
    "ManualClock",
    "OAuthEmulator",
    "RateLimiter",
    "Route",
    "RouteTable",
    "SeededSheet",
    "SeededTable",
    "SeededUser",
    "SheetsEmulator",
    "ThreadedFakeLark",
    "TokenKind",
    "error_body",
    "json_response",
    "seed_chat",
    "seed_department",
    "seed_records",
    "seed_sheet",
    "seed_table",
    "seed_user",
    "seed_users",
    "success_body",
]
