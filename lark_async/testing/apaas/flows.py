"""apaas/v1 flow execute (Feishu aPaaS docs) and Aily skill start (Feishu aPaaS docs).

Flows run synchronously (status ``end`` and the flow's outputs in the answer)
or asynchronously (an execution id only). A repeated ``idempotent_key`` is an
error, as documented ("duplicates => error"). Skills answer after their
configured delay (real time here, so a client timeout can be exercised; the
session/run routes in ``aily`` measure it on the emulator's clock).
"""

from __future__ import annotations

import asyncio
import json
import secrets
from typing import Any

from lark_async.testing.apaas.state import (
    AILY_PARAM_INVALID,
    ApaasState,
    apaas_error,
    routes,
)
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import TENANT_ONLY

FLOW = "/open-apis/apaas/v1/applications/{namespace}/flows/{flow_id}/execute"
SKILL = "/open-apis/aily/v1/apps/{app_id}/skills/{skill_id}/start"


@routes.post(FLOW, family="apaas.flow", auth=TENANT_ONLY)
def execute_flow(req: FakeRequest) -> dict[str, Any]:
    state = req.state(ApaasState)
    flow = state.flows.get((req.params["namespace"], req.params["flow_id"]))
    if flow is None:
        raise apaas_error(f"flow not found: {req.params['flow_id']}")
    body = req.json_object()
    try:
        operator = json.loads(body.get("operator") or "")
    except ValueError:
        operator = None
    if not isinstance(operator, dict) or not (operator.get("_id") or operator.get("email")):
        raise apaas_error("operator must be a JSON string with _id or email")
    key = body.get("idempotent_key")
    if key:
        if key in state.keys:
            raise apaas_error(f"idempotent_key duplicated: {key}")
        state.keys.add(key)
    execution_id = secrets.token_hex(8)
    is_async = body.get("is_async") is True
    params = json.loads(body.get("params") or "{}")
    outputs = [{"api_name": "_flowExecutionID", "value": execution_id}]
    outputs += [{"api_name": k, "value": v} for k, v in flow.outputs.items()]
    state.executions[execution_id] = {"flow": flow.flow_id, "params": params, "async": is_async}
    if is_async:
        return {"execution_id": execution_id, "status": "", "out_params": "", "error_msg": ""}
    return {
        "execution_id": execution_id,
        "status": flow.status,
        "out_params": json.dumps(outputs),
        "error_msg": "",
    }


@routes.post(SKILL, family="aily.run")
async def start_skill(req: FakeRequest) -> dict[str, Any]:
    state = req.state(ApaasState)
    skill = state.skills.get((req.params["app_id"], req.params["skill_id"]))
    if skill is None:
        raise FakeError(AILY_PARAM_INVALID, "param is invalid: skill not found")
    if skill.delay > 0:
        await asyncio.sleep(skill.delay)
    return {"output": skill.output, "status": "COMPLETED"}
