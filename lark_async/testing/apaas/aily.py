"""aily/v1 sessions, messages and runs (the documented way to run a skill and poll it).

A run of a skill is QUEUED, then IN_PROGRESS, then ends as the skill says
(COMPLETED, FAILED or EXPIRED) once its delay has passed on the emulator's
clock; ``POST .../cancel`` ends it CANCELLED. A completed run adds the skill's
answer to the session as an assistant message, which the messages list returns
(filtered by ``run_id``). Tenant or user tokens; errors use 2700001.
"""

from __future__ import annotations

import secrets
from typing import Any

from lark_async.testing.apaas.state import (
    AILY_PARAM_INVALID,
    AilySession,
    ApaasState,
    Run,
    routes,
)
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import DEFAULT_AUTH as TENANT_OR_USER

SESSIONS = "/open-apis/aily/v1/sessions"
SESSION = SESSIONS + "/{session_id}"
TERMINAL = ("COMPLETED", "FAILED", "CANCELLED", "EXPIRED")


def _error(detail: str) -> FakeError:
    return FakeError(AILY_PARAM_INVALID, f"param is invalid: {detail}")


def _ms(seconds: float) -> str:
    return str(int(seconds * 1000))


def _session(req: FakeRequest) -> AilySession:
    found = req.state(ApaasState).sessions.get(req.params["session_id"])
    if found is None:
        raise _error(f"session not found: {req.params['session_id']}")
    return found


def _run(req: FakeRequest) -> Run:
    session = _session(req)
    run = req.state(ApaasState).runs.get(req.params["run_id"])
    if run is None or run.session_id != session.id:
        raise _error(f"run not found: {req.params['run_id']}")
    return run


def _message(
    session: AilySession, run_id: str, content: str, sender: str, at: float
) -> dict[str, Any]:
    message = {
        "id": f"message_{secrets.token_hex(8)}",
        "session_id": session.id,
        "run_id": run_id,
        "content_type": "TEXT",
        "content": content,
        "plain_text": content,
        "sender": {"sender_type": sender},
        "created_at": _ms(at),
        "status": "COMPLETED",
    }
    session.messages.append(message)
    return message


def _view(state: ApaasState, run: Run, now: float) -> dict[str, Any]:
    status = run.status(now)
    ended = status in TERMINAL
    if status == "COMPLETED" and not run.answered:
        # The skill's answer lands in the session when the run is first seen done.
        _message(state.sessions[run.session_id], run.id, run.skill.output, "ASSISTANT", now)
        run.answered = True
    error = {"code": "", "message": ""}
    if status == "FAILED":
        error = {"code": "skill_failed", "message": run.skill.error or "the skill failed"}
    end = run.cancelled_at if run.cancelled_at is not None else run.created_at + run.skill.delay
    return {
        "id": run.id,
        "app_id": run.skill.app_id,
        "session_id": run.session_id,
        "status": status,
        "created_at": _ms(run.created_at),
        "started_at": _ms(run.created_at + run.skill.delay / 4),
        "ended_at": _ms(end) if ended else "",
        "error": error,
        "metadata": "",
    }


@routes.post(SESSIONS, family="aily", auth=TENANT_OR_USER)
def create_session(req: FakeRequest) -> dict[str, Any]:
    body = req.json_object()
    for key in ("channel_context", "metadata"):
        if len(str(body.get(key) or "")) > 255:
            raise _error(f"{key} is longer than 255 characters")
    session = AilySession(id=f"session_{secrets.token_hex(8)}", created_at=req.now())
    req.state(ApaasState).sessions[session.id] = session
    stamp = _ms(session.created_at)
    return {
        "session": {
            "id": session.id,
            "created_at": stamp,
            "modified_at": stamp,
            "channel_context": body.get("channel_context") or "",
            "metadata": body.get("metadata") or "",
        }
    }


@routes.post(SESSION + "/messages", family="aily", auth=TENANT_OR_USER)
def send_message(req: FakeRequest) -> dict[str, Any]:
    session = _session(req)
    body = req.json_object()
    key = body.get("idempotent_id")
    content = body.get("content")
    if not isinstance(key, str) or not key or len(key) > 64:
        raise _error("idempotent_id is required (at most 64 characters)")
    if body.get("content_type") not in ("MDX", "TEXT", "CLIP", "SmartCard"):
        raise _error("content_type must be MDX, TEXT, CLIP or SmartCard")
    if not isinstance(content, str) or not content or len(content) > 61_440:
        raise _error("content is required (at most 61440 characters)")
    if key in session.idempotent:  # the same message again: the first answer
        return {"message": session.idempotent[key]}
    message = _message(session, "", content, "USER", req.now())
    session.idempotent[key] = message
    return {"message": message}


@routes.post(SESSION + "/runs", family="aily.run", auth=TENANT_OR_USER)
def create_run(req: FakeRequest) -> dict[str, Any]:
    session = _session(req)
    body = req.json_object()
    state = req.state(ApaasState)
    skill = state.skills.get((str(body.get("app_id") or ""), str(body.get("skill_id") or "")))
    if skill is None:
        raise _error("app_id / skill_id: no such skill")
    for key in ("skill_input", "metadata"):
        if len(str(body.get(key) or "")) > 255:
            raise _error(f"{key} is longer than 255 characters")
    run = Run(
        id=f"run_{secrets.token_hex(8)}", session_id=session.id, skill=skill, created_at=req.now()
    )
    state.runs[run.id] = run
    return {"run": _view(state, run, req.now())}


@routes.get(SESSION + "/runs/{run_id}", family="aily", auth=TENANT_OR_USER)
def get_run(req: FakeRequest) -> dict[str, Any]:
    return {"run": _view(req.state(ApaasState), _run(req), req.now())}


@routes.post(SESSION + "/runs/{run_id}/cancel", family="aily", auth=TENANT_OR_USER)
def cancel_run(req: FakeRequest) -> dict[str, Any]:
    run = _run(req)
    if run.status(req.now()) not in TERMINAL:
        run.cancelled_at = req.now()
    return {"run": _view(req.state(ApaasState), run, req.now())}


@routes.get(SESSION + "/messages", family="aily", auth=TENANT_OR_USER)
def list_messages(req: FakeRequest) -> dict[str, Any]:
    session = _session(req)
    run_id = req.query.get("run_id")
    raw_size = req.query.get("page_size") or "20"
    raw_start = req.query.get("page_token") or "0"
    if not raw_size.isdigit() or not 1 <= int(raw_size) <= 100 or not raw_start.isdigit():
        raise _error("page_size / page_token")
    size, start = int(raw_size), int(raw_start)
    found = [m for m in session.messages if not run_id or m["run_id"] == run_id]
    more = start + size < len(found)
    return {
        "messages": found[start : start + size],
        "has_more": more,
        "page_token": str(start + size) if more else "",
    }
