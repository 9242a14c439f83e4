"""The Bitable emulator: bases, tables, typed fields and records (Feishu Bitable docs).

Routes live in the modules of this package and share one table, installed by
every ``FakeLark``. Tests seed and inspect the state through ``BitableEmulator``:

    bt = BitableEmulator.of(fake)
    app_token = bt.create_app(name="Base")
    table_id = bt.create_table(app_token, name="T", fields=[{"field_name": "Name", "type": 1}])
    ...  # the client writes
    assert bt.records(app_token, table_id)[0]["fields"]["Name"] == [{"type": "text", "text": "x"}]

Modules: ``state`` (the shared route table, ``BitableState``, ids, error answers),
``values`` (field types: checking and shaping values), ``filters`` (search filter
and sort), ``formula`` (the legacy list's formula filter), the routes of
``records`` and ``schema``, and ``emulator`` (``BitableEmulator``).
"""

# Importing the route modules registers their handlers on the shared table.
from lark_async.testing.bitable import records, schema
from lark_async.testing.bitable.emulator import BitableEmulator
from lark_async.testing.bitable.state import BitableState, routes

__all__ = ["BitableEmulator", "BitableState", "routes"]
_ROUTE_MODULES = (records, schema)
