"""Fixtures of the Sheets emulator tests."""

from __future__ import annotations

import aiohttp
import pytest

from lark_async.testing import FakeLark, SheetsEmulator
from tests.emulator.helpers import tenant_token
from tests.emulator.sheets.helpers import Api


@pytest.fixture
async def api(fake: FakeLark, session: aiohttp.ClientSession) -> Api:
    """Raw requests against one seeded spreadsheet ("Sheet1" 200 × 20, "Data" 10 × 5)."""
    fake.enforce_rate_limits = False  # the limits have their own tests
    sh = SheetsEmulator.of(fake)
    book = sh.create_spreadsheet(title="Tests", sheets=[("Sheet1", 200, 20), ("Data", 10, 5)])
    token = await tenant_token(session, fake)
    return Api(
        fake, session, token, sh, book, sh.sheet_id(book, "Sheet1"), sh.sheet_id(book, "Data")
    )
