"""contact/v3 users: batch_get_id, get, find_by_department (Feishu contact docs).

``batch_get_id`` is tenant-only, takes at most 50 emails and 50 mobiles and
leaves ``user_id`` out for anyone unknown, resigned (unless
``include_resigned``) or outside the app's contact scope. ``GET users/:id``
answers 41012 for an unknown id (another app's open_id included) and 41050 for
a person outside the app's contact scope. ``find_by_department`` pages
(``page_size`` 1..50, default 10) through the department's direct members;
an unknown or deleted department is 40015 (the contract's "department not
exist"; the docs name no code of their own for find_by_department).
"""

from __future__ import annotations

from typing import Any

from lark_async.testing.contact.state import (
    DEPT_NOT_EXIST,
    NO_USER_AUTHORITY,
    PAGE_TOKEN_INVALID,
    ROOT,
    SCOPE_USER_ID_LOOKUP,
    SCOPE_USER_READ,
    USER_ID_INVALID,
    USERS,
    ContactState,
    Profile,
    contact_error,
    field_error,
    id_type_param,
    page,
    page_size,
    routes,
)
from lark_async.testing.im.state import ImState
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import TENANT_ONLY

MAX_IDS = 50
USER_ID_TYPES = ("open_id", "union_id", "user_id")
DEPT_ID_TYPES = ("open_department_id", "department_id")


def _id_of(state: ContactState, im: ImState, profile: Profile, app_id: str, id_type: str) -> str:
    if id_type == "open_id":
        return state.open_id(im, profile, app_id)
    return profile.union_id if id_type == "union_id" else profile.user_id


def _strings(body: dict[str, Any], name: str) -> list[str]:
    values = body.get(name) or []
    if not isinstance(values, list) or not all(isinstance(v, str) for v in values):
        raise field_error(name, values, f"{name} must be an array of strings")
    if len(values) > MAX_IDS:
        raise field_error(name, len(values), f"{name} takes at most {MAX_IDS} items")
    return values


@routes.post(f"{USERS}/batch_get_id", auth=TENANT_ONLY)
def batch_get_id(req: FakeRequest) -> dict[str, Any]:
    state, im, app_id = req.state(ContactState), req.state(ImState), req.app_id or ""
    state.require(req, SCOPE_USER_ID_LOOKUP)
    id_type = id_type_param(req, "user_id_type", USER_ID_TYPES, "open_id")
    body = req.json_object()
    emails, mobiles = _strings(body, "emails"), _strings(body, "mobiles")
    include_resigned = body.get("include_resigned", False) is True
    out: list[dict[str, Any]] = []
    for kind, values in (("email", emails), ("mobile", mobiles)):
        for value in values:
            profile = state.by_email(im, value) if kind == "email" else state.by_mobile(im, value)
            entry: dict[str, Any] = {kind: value}
            if (
                profile is not None
                and profile.visible(app_id)
                and (include_resigned or not profile.resigned)
            ):
                entry["user_id"] = _id_of(state, im, profile, app_id, id_type)
                entry["status"] = {
                    "is_resigned": profile.resigned,
                    "is_activated": not profile.resigned,
                }
            out.append(entry)
    return {"user_list": out}


@routes.get(f"{USERS}/find_by_department")
def find_by_department(req: FakeRequest) -> dict[str, Any]:
    state, im, app_id = req.state(ContactState), req.state(ImState), req.app_id or ""
    state.require(req, SCOPE_USER_READ)
    id_type = id_type_param(req, "user_id_type", USER_ID_TYPES, "open_id")
    dept_type = id_type_param(req, "department_id_type", DEPT_ID_TYPES, "open_department_id")
    dept_id = req.query.get("department_id") or ""
    if not dept_id:
        raise field_error("department_id", "", "department_id is required")
    size = page_size(req, 10, 50)
    dept = state.live_department(req, dept_id, dept_type)
    open_dept = dept.open_department_id if dept is not None else ROOT
    if dept is None and dept_id != ROOT:
        raise contact_error(DEPT_NOT_EXIST, dept_id)
    people = [p for p in state.members(im, open_dept) if p.visible(app_id)]
    chunk, fields = page(req, people, f"dept:{open_dept}", size, contact_error(PAGE_TOKEN_INVALID))
    del id_type  # the views carry every id the app may read
    return {"items": [state.user_view(im, p, app_id) for p in chunk], **fields}


@routes.get(f"{USERS}/{{user_id}}")
def get_user(req: FakeRequest) -> dict[str, Any]:
    state, im, app_id = req.state(ContactState), req.state(ImState), req.app_id or ""
    state.require(req, SCOPE_USER_READ)
    id_type = id_type_param(req, "user_id_type", USER_ID_TYPES, "open_id")
    profile = state.find(im, id_type, req.params["user_id"], app_id)
    if profile is None:
        raise contact_error(USER_ID_INVALID, req.params["user_id"])
    if not profile.visible(app_id):
        raise contact_error(NO_USER_AUTHORITY)
    return {"user": state.user_view(im, profile, app_id)}
