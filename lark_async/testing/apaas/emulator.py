"""ApaasEmulator: seeding and inspecting one emulator's workspaces, flows and skills."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from lark_async.testing.apaas.state import ApaasState, Flow, Skill, Table, new_record_id

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark


class ApaasEmulator:
    """aPaaS workspaces, flows and Aily skills of one emulator: ``ApaasEmulator.of(fake)``.

    apaas = ApaasEmulator.of(fake)
    apaas.add_table("workspace_a", "orders", columns=["item", "qty"])
    rid = apaas.add_record("workspace_a", "orders", {"item": "pen", "qty": 2})
    apaas.add_flow("app_ns", "flow_1", outputs={"ok": True})
    apaas.add_skill("spring_x__c", "skill_1", output="hi", delay=0.5)
    """

    def __init__(self, fake: FakeLark) -> None:
        self._fake = fake
        self.state = fake.state(ApaasState)

    @classmethod
    def of(cls, fake: FakeLark) -> ApaasEmulator:
        return cls(fake)

    def add_table(
        self,
        workspace_id: str,
        name: str,
        *,
        columns: Iterable[str] = (),
        description: str = "",
    ) -> None:
        """A table (its system columns ``_id``, ``_updated_at`` come first)."""
        cols = [{"name": "_id", "data_type": "varchar", "is_primary_key": True}]
        cols.append({"name": "_updated_at", "data_type": "bigint"})
        cols += [{"name": c, "data_type": "varchar"} for c in columns]
        tables = self.state.workspaces.setdefault(workspace_id, {})
        tables[name] = Table(name=name, description=description, columns=cols)

    def add_record(self, workspace_id: str, table: str, values: Mapping[str, Any]) -> str:
        """One row (of the table's declared columns); returns its ``_id``."""
        found = self.state.table(workspace_id, table)
        known = {c["name"] for c in found.columns}
        unknown = [k for k in values if k not in known]
        if unknown:
            raise ValueError(
                f"table {table!r} has no column {unknown[0]!r}: declare it in add_table"
            )
        row = {"_id": new_record_id(), **values, "_updated_at": found.stamp(self._fake.now())}
        found.rows.append(row)
        return str(row["_id"])

    def records(self, workspace_id: str, table: str) -> list[dict[str, Any]]:
        return [dict(r) for r in self.state.table(workspace_id, table).rows]

    def add_flow(
        self, namespace: str, flow_id: str, *, outputs: Mapping[str, Any] | None = None
    ) -> None:
        self.state.flows[(namespace, flow_id)] = Flow(namespace, flow_id, dict(outputs or {}))

    def executions(self) -> dict[str, dict[str, Any]]:
        """Every execution started: id -> {flow, params, async}."""
        return dict(self.state.executions)

    def add_skill(
        self,
        app_id: str,
        skill_id: str,
        *,
        output: str = "ok",
        delay: float = 0.0,
        outcome: str = "COMPLETED",
        error: str = "",
    ) -> None:
        """An Aily skill: its runs take ``delay`` seconds of the emulator's clock
        (QUEUED, then IN_PROGRESS), then end ``outcome`` (COMPLETED with ``output``
        as the answer, FAILED with ``error``, or EXPIRED)."""
        if outcome not in ("COMPLETED", "FAILED", "EXPIRED"):
            raise ValueError("outcome must be COMPLETED, FAILED or EXPIRED")
        self.state.skills[(app_id, skill_id)] = Skill(
            app_id, skill_id, output, delay, outcome, error
        )

    def runs(self) -> dict[str, str]:
        """Every Aily run: id -> its status now."""
        now = self._fake.now()
        return {rid: run.status(now) for rid, run in self.state.runs.items()}

    def __repr__(self) -> str:
        tables = sum(len(t) for t in self.state.workspaces.values())
        return f"ApaasEmulator(tables={tables}, flows={len(self.state.flows)})"
