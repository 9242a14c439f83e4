"""Fixtures of the Bitable emulator tests."""

from __future__ import annotations

import aiohttp
import pytest

from lark_async.testing import BitableEmulator, FakeLark
from tests.emulator.bitable.helpers import FIELDS, Api
from tests.emulator.helpers import tenant_token


@pytest.fixture
async def api(fake: FakeLark, session: aiohttp.ClientSession) -> Api:
    """A base with a "Main" table of every field type (plus a link to "Other") and a token."""
    # Most tests send many requests at one instant of the hand-driven clock: the
    # limits get their own tests (test_records.py), so they are off here.
    fake.enforce_rate_limits = False
    bt = BitableEmulator.of(fake)
    app_token = bt.create_app(name="Tests")
    other = bt.create_table(app_token, name="Other", fields=[{"field_name": "Title", "type": 1}])
    fields = [*FIELDS, {"field_name": "Ref", "type": 18, "property": {"table_id": other}}]
    table_id = bt.create_table(app_token, name="Main", fields=fields)
    return Api(fake, session, await tenant_token(session, fake), bt, app_token, table_id, other)
