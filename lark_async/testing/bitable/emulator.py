"""BitableEmulator: seeding and inspecting one emulator's Bitable state from a test."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lark_async.testing.bitable.records import insert_record
from lark_async.testing.bitable.state import Base, BitableState, Table, new_id
from lark_async.testing.bitable.values import convert_fields, make_field, record_json
from lark_async.testing.server.envelope import FakeError

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark

MAX_TABLES = 100
MAX_FIELDS = 300


class BitableEmulator:
    """Seeding and inspection of one emulator's Bitable state: ``BitableEmulator.of(fake)``."""

    def __init__(self, fake: FakeLark) -> None:
        self._fake = fake
        self.state = fake.state(BitableState)

    @classmethod
    def of(cls, fake: FakeLark) -> BitableEmulator:
        """The Bitable state of ``fake`` (created on first use; every view shares it)."""
        return cls(fake)

    # --- seeding ------------------------------------------------------------------
    def create_app(
        self, name: str = "Base", app_token: str | None = None, *, time_zone: str = "Asia/Shanghai"
    ) -> str:
        """A new base; returns its app_token (``bascn`` + 22 characters unless given).

        ``time_zone`` is the base's: date filters count days in it.
        """
        token = app_token or new_id("bascn", 22)
        if not token or len(token) > 100 or not token.replace("_", "").isalnum():
            raise ValueError(f"app_token must be 1..100 letters, digits or '_': {token!r}")
        if token in self.state.bases:
            raise ValueError(f"a base {token!r} already exists")
        self.state.bases[token] = Base(token, name, time_zone)
        return token

    def create_table(
        self,
        app_token: str,
        name: str = "Table",
        fields: Iterable[Mapping[str, Any]] = ({"field_name": "Text", "type": 1},),
    ) -> str:
        """A table with ``fields`` (``{"field_name", "type", "property"?}``; the first is primary).

        Types follow the Feishu Bitable docs (1 text, 2 number, 3 single select, 4 multi
        select, 5 date, 7 checkbox, 11 person, 13 phone, 15 url, 17 attachment,
        18/21 link with ``property={"table_id": ...}``, 1001-1005 automatic…).
        The table gets one grid view. Returns the ``tbl`` id.
        """
        base = self._base(app_token)
        if len(base.tables) >= MAX_TABLES:
            raise ValueError(f"a base holds at most {MAX_TABLES} tables")
        specs = list(fields)
        if not specs or len(specs) > MAX_FIELDS:
            raise ValueError(f"a table needs 1..{MAX_FIELDS} fields")
        table = Table(table_id=new_id("tbl", 13), name=name)
        for i, spec in enumerate(specs):
            f = make_field(spec, primary=i == 0)
            if f.name in table.by_name:
                raise ValueError(f"duplicate field name {f.name!r}")
            table.add_field(f)
        table.views.append(new_id("vew", 7))
        base.tables[table.table_id] = table
        return table.table_id

    def add_records(
        self,
        app_token: str,
        table_id: str,
        records: Iterable[Mapping[str, Any]],
        *,
        user_id_type: str = "open_id",
    ) -> list[str]:
        """Store rows of ``{field_name: value}`` (values as a write sends them); their ids.

        Values are checked as the create endpoint checks them (a ValueError names
        the row); no write slot, rate limit or journal entry is involved.
        """
        base, table = self._base(app_token), self._table(app_token, table_id)
        rows = []
        for i, fields in enumerate(records):
            try:
                rows.append(
                    convert_fields(base, table, dict(fields), user_id_type, where=f"records[{i}]")
                )
            except FakeError as err:
                raise ValueError(f"records[{i}]: {err.msg}") from None
            except (TypeError, ValueError) as err:
                raise ValueError(f"records[{i}]: {err}") from None
        now_ms = int(self._fake.now() * 1000)
        ids = [insert_record(table, values, None, now_ms).record_id for values in rows]
        if ids:
            table.touch()
        return ids

    def set_write_latency(self, seconds: float) -> None:
        """Each record write holds its table's write slot this long (real seconds; default 0)."""
        if seconds < 0:
            raise ValueError("write latency cannot be negative")
        self.state.write_latency = float(seconds)

    # --- inspection -------------------------------------------------------------------
    def records(self, app_token: str, table_id: str) -> list[dict[str, Any]]:
        """Every record, oldest first, as search returns it (text as segments) plus
        ``created_time`` and ``last_modified_time`` (ms)."""
        table = self._table(app_token, table_id)
        out = []
        for record in table.records.values():
            item = record_json(table, record, "read")
            item["created_time"] = record.created_time
            item["last_modified_time"] = record.last_modified_time
            out.append(item)
        return out

    def views(self, app_token: str, table_id: str) -> list[str]:
        """The table's view ids (one grid view)."""
        return list(self._table(app_token, table_id).views)

    def fields(self, app_token: str, table_id: str) -> dict[str, dict[str, Any]]:
        """Field name → ``{field_id, type, property}`` (select options added by writes too)."""
        table = self._table(app_token, table_id)
        return {
            f.name: {"field_id": f.field_id, "type": f.type, "property": f.property}
            for f in table.fields.values()
        }

    @property
    def write_conflicts(self) -> int:
        """Record writes answered 1254291 because another write held the table."""
        return self.state.write_conflicts

    @property
    def write_calls(self) -> int:
        """Record writes that took their table's write slot (not conflicts, not throttled)."""
        return self.state.write_calls

    # --- helpers ---------------------------------------------------------------------------
    def _base(self, app_token: str) -> Base:
        base = self.state.bases.get(app_token)
        if base is None:
            raise KeyError(f"no base {app_token!r}")
        return base

    def _table(self, app_token: str, table_id: str) -> Table:
        table = self._base(app_token).tables.get(table_id)
        if table is None:
            raise KeyError(f"no table {table_id!r} in base {app_token!r}")
        return table

    def __repr__(self) -> str:
        tables = sum(len(b.tables) for b in self.state.bases.values())
        return f"BitableEmulator(bases={len(self.state.bases)}, tables={tables})"
