"""The aPaaS part of ``make demo``: workspace tables as a user, a conflict, a workflow, a skill.

The emulator plays the user on the authorisation page (workspace tables take
user tokens only), holds a table of 50 orders, an approval flow and an Aily
skill.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlsplit

from rich.console import Console

from lark_async.apaas import SCOPES
from lark_async.client import LarkClient
from lark_async.core.errors import Conflict, PermissionDenied
from lark_async.testing import ApaasEmulator, ImEmulator

REDIRECT = "https://app.example/lark/oauth"
WS = "workspace_demo0001"


async def demo(fake: Any, lark: LarkClient, console: Console) -> dict[str, str]:
    """Run the walk-through; returns summary rows (step -> result)."""
    user = ImEmulator.of(fake).add_user(name="赵六 Zhao Liu")["open_id"]
    apaas = ApaasEmulator.of(fake)
    apaas.add_table(WS, "orders", columns=["item", "qty"], description="订单")
    for i in range(50):
        apaas.add_record(WS, "orders", {"item": f"item {i}", "qty": i})
    apaas.add_flow("package_demo__c", "approve_order", outputs={"approved": True})
    # Its runs take 0.6 s: the client polls the run until it completes.
    apaas.add_skill("spring_demo__c", "skill_summary", output="50 orders, 49 open", delay=0.6)
    summary: dict[str, str] = {}

    console.rule("[bold]aPaaS: workspace tables need a user token")
    try:
        await lark.apaas.list_workspace_tables(WS)
    except PermissionDenied as err:
        console.print(
            "without a user token: PermissionDenied before sending "
            f"(pass as_user= or user_access_token=; scope {err.details['scope']})"
        )
    session = await lark.user_auth.start_session(
        method="link", redirect_uri=REDIRECT, scopes=SCOPES
    )
    query = dict(parse_qsl(urlsplit(fake.oauth.approve(session.url, user)).query))
    await lark.user_auth.complete(query["code"], query["state"])
    tables = (await lark.apaas.list_workspace_tables(WS, as_user=user)).unwrap()
    rows = [
        r
        async for r in lark.apaas.iter_table_records(
            WS, "orders", {"qty": ("gte", 10)}, page_size=20, as_user=user
        )
    ]
    console.print(f"tables {[t.name for t in tables]}; {len(rows)} orders with qty >= 10")
    both = (
        await lark.apaas.query_table_records(
            WS, "orders", {"qty": ("gte", 10), "item": ("neq", "item 10")}, as_user=user
        )
    ).unwrap()
    console.print(f"two conditions, one filter and=(...): {both.total} orders")
    added = (
        await lark.apaas.insert_table_records(
            WS, "orders", [{"item": "新订单 new", "qty": 3}], as_user=user
        )
    ).unwrap()
    console.print(f"inserted {added}")
    summary["apaas: tables"] = f"{len(tables)} table, {len(rows)} records read in pages of 20"

    console.rule("[bold]aPaaS: a conditional update loses to a write in between")
    row = rows[0]
    first = await lark.apaas.update_table_record(
        WS, "orders", row["_id"], {"qty": 1}, expected_updated_at=row["_updated_at"], as_user=user
    )
    second = await lark.apaas.update_table_record(
        WS, "orders", row["_id"], {"qty": 2}, expected_updated_at=row["_updated_at"], as_user=user
    )
    conflict = isinstance(second.error, Conflict)
    console.print(f"first update ok: {first.ok}; second: {type(second.error).__name__}")
    summary["apaas: conflict"] = f"first ok, second Conflict: {conflict}"

    console.rule("[bold]aPaaS: a workflow and an Aily skill")
    run = (
        await lark.apaas.trigger_workflow(
            "approve_order",
            {"order": row["_id"]},
            namespace="package_demo__c",
            operator="zhao.liu@example.com",  # an aPaaS user id or an e-mail, not an open_id
        )
    ).unwrap()
    status = (await lark.apaas.get_workflow_status(run.execution_id)).unwrap()
    result = (
        await lark.apaas.invoke_ai_capability(
            "spring_demo__c/skill_summary", "summarise", timeout=5
        )
    ).unwrap()
    console.print(
        f"workflow {run.execution_id}: {status.status}; "
        f"skill run {result.run_id} said {result.output!r}"
    )
    summary["apaas: workflow + AI"] = f"workflow {status.status}, skill {result.status}"
    return summary
