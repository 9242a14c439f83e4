"""contact/v3 departments: get one, list children (Feishu contact docs).

An unknown or deleted department answers 40015 "department not exist" (the
docs give no separate code for a deleted one); one outside the
app's contact scope 40004 (HTTP 403). The root ``0`` has no details of its own
here; its children are the top-level departments. ``children`` pages with
``page_size`` 1..50 (default 10); ``fetch_child=true`` lists every descendant.
"""

from __future__ import annotations

from typing import Any

from lark_async.testing.contact.state import (
    DEPARTMENTS,
    PAGE_TOKEN_INVALID,
    ROOT,
    SCOPE_DEPT_READ,
    ContactState,
    Department,
    contact_error,
    id_type_param,
    page,
    page_size,
    routes,
)
from lark_async.testing.im.state import ImState
from lark_async.testing.server.request import FakeRequest

DEPT_ID_TYPES = ("open_department_id", "department_id")


@routes.get(f"{DEPARTMENTS}/{{department_id}}")
def get_department(req: FakeRequest) -> dict[str, Any]:
    state, im = req.state(ContactState), req.state(ImState)
    state.require(req, SCOPE_DEPT_READ)
    id_type = id_type_param(req, "department_id_type", DEPT_ID_TYPES, "open_department_id")
    dept = state.live_department(req, req.params["department_id"], id_type)
    if dept is None:  # the root
        root = Department(ROOT, "", parent="", department_id=ROOT)
        return {"department": state.department_view(root, id_type, len(state.members(im, ROOT)))}
    members = len(state.members(im, dept.open_department_id))
    return {"department": state.department_view(dept, id_type, members)}


@routes.get(f"{DEPARTMENTS}/{{department_id}}/children")
def list_children(req: FakeRequest) -> dict[str, Any]:
    state, im, app_id = req.state(ContactState), req.state(ImState), req.app_id or ""
    state.require(req, SCOPE_DEPT_READ)
    id_type = id_type_param(req, "department_id_type", DEPT_ID_TYPES, "open_department_id")
    size = page_size(req, 10, 50)
    dept = state.live_department(req, req.params["department_id"], id_type)
    parent = dept.open_department_id if dept is not None else ROOT
    kids = (
        _descendants(state, parent)
        if req.query.get("fetch_child") == "true"
        else state.children(parent)
    )
    kids = [d for d in kids if d.visible_to is None or app_id in d.visible_to]
    chunk, fields = page(req, kids, f"children:{parent}", size, contact_error(PAGE_TOKEN_INVALID))
    items = [
        state.department_view(d, id_type, len(state.members(im, d.open_department_id)))
        for d in chunk
    ]
    return {"items": items, **fields}


def _descendants(state: ContactState, parent: str) -> list[Department]:
    out: list[Department] = []
    queue = [parent]
    while queue:
        for kid in state.children(queue.pop(0)):
            out.append(kid)
            queue.append(kid.open_department_id)
    return out
