"""drive permission routes: collaborators and public settings (Feishu permission docs).

Tokens are the emulator's documents (``type=docx``); a member id must fit its
member type (``ou_`` for openid, ``oc_`` for openchat …), else 1063001.
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import unquote

from lark_async.testing.docs.state import (
    PERM_INVALID,
    PERM_READ,
    PERM_WRITE,
    PUBLIC_DEFAULTS,
    DocsState,
    routes,
)
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest

V1 = "/open-apis/drive/v1/permissions/{token}"
V2 = "/open-apis/drive/v2/permissions/{token}/public"
PERMS = ("view", "edit", "full_access")
_SHAPES: dict[str, re.Pattern[str]] = {
    "openid": re.compile(r"ou_\w+"),
    "unionid": re.compile(r"on_\w+"),
    "openchat": re.compile(r"oc_\w+"),
    "opendepartmentid": re.compile(r"od-\w+"),
    "email": re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+"),
    "userid": re.compile(r"\w+"),
    "groupid": re.compile(r"\w+"),
    "wikispaceid": re.compile(r"\w+"),
}
PUBLIC_VALUES: dict[str, tuple[str, ...]] = {
    "external_access_entity": ("open", "closed", "allow_share_partner_tenant"),
    "security_entity": ("anyone_can_view", "anyone_can_edit", "only_full_access"),
    "comment_entity": ("anyone_can_view", "anyone_can_edit"),
    "share_entity": ("anyone", "same_tenant"),
    "manage_collaborator_entity": (
        "collaborator_can_view",
        "collaborator_can_edit",
        "collaborator_full_access",
    ),
    "link_share_entity": (
        "tenant_readable",
        "tenant_editable",
        "partner_tenant_readable",
        "partner_tenant_editable",
        "anyone_readable",
        "anyone_editable",
        "closed",
    ),
    "copy_entity": ("anyone_can_view", "anyone_can_edit", "only_full_access"),
}


def _invalid(msg: str) -> FakeError:
    return FakeError(PERM_INVALID, f"invalid parameter: {msg}", status=400)


def _token(req: FakeRequest) -> str:
    state = req.state(DocsState)
    token = req.params["token"]
    kind = req.query.get("type")
    if kind is None:
        raise _invalid("type is required")
    if token not in state.documents or kind != "docx":
        raise _invalid(f"token {token} is not a {kind} this emulator knows")
    return token


def _member_key(member_type: Any, member_id: Any) -> tuple[str, str]:
    shape = _SHAPES.get(str(member_type))
    if shape is None:
        raise _invalid(f"member_type {member_type!r}")
    if not isinstance(member_id, str) or not shape.fullmatch(member_id):
        raise _invalid(f"member_id {member_id!r} does not fit member_type {member_type}")
    return str(member_type), member_id


@routes.post(V1 + "/members", family=PERM_WRITE)
def add_member(req: FakeRequest) -> dict[str, Any]:
    token = _token(req)
    body = req.json_object()
    key = _member_key(body.get("member_type"), body.get("member_id"))
    perm = body.get("perm")
    if perm not in PERMS:
        raise _invalid(f"perm {perm!r}")
    member = {"member_type": key[0], "member_id": key[1], "perm": perm, "type": "user"}
    req.state(DocsState).members.setdefault(token, {})[key] = member
    return {"member": dict(member)}


@routes.get(V1 + "/members", family=PERM_READ)
def list_members(req: FakeRequest) -> dict[str, Any]:
    token = _token(req)
    members = req.state(DocsState).members.get(token, {})
    return {"items": [dict(m) for m in members.values()]}


@routes.put(V1 + "/members/{member_id}", family=PERM_WRITE)
def update_member(req: FakeRequest) -> dict[str, Any]:
    token = _token(req)
    body = req.json_object()
    key = _member_key(body.get("member_type"), unquote(req.params["member_id"]))
    members = req.state(DocsState).members.setdefault(token, {})
    if key not in members:
        raise _invalid("not a collaborator")
    perm = body.get("perm")
    if perm not in PERMS:
        raise _invalid(f"perm {perm!r}")
    members[key]["perm"] = perm
    return {"member": dict(members[key])}


@routes.delete(V1 + "/members/{member_id}", family=PERM_WRITE)
def remove_member(req: FakeRequest) -> dict[str, Any]:
    token = _token(req)
    key = _member_key(req.query.get("member_type"), unquote(req.params["member_id"]))
    req.state(DocsState).members.get(token, {}).pop(key, None)
    return {}


@routes.get(V2, family=PERM_READ)
def get_public(req: FakeRequest) -> dict[str, Any]:
    token = _token(req)
    settings = req.state(DocsState).public.setdefault(token, dict(PUBLIC_DEFAULTS))
    return {"permission_public": dict(settings)}


@routes.patch(V2, family=PERM_WRITE)
def patch_public(req: FakeRequest) -> dict[str, Any]:
    token = _token(req)
    body = req.json_object()
    for name, value in body.items():
        allowed = PUBLIC_VALUES.get(name)
        if allowed is None or value not in allowed:
            raise _invalid(f"{name}={value!r}")
    settings = req.state(DocsState).public.setdefault(token, dict(PUBLIC_DEFAULTS))
    if str(body.get("link_share_entity", "")).startswith("anyone") and (
        body.get("external_access_entity", settings["external_access_entity"]) == "closed"
    ):
        raise _invalid("anyone_* link sharing needs external access open")
    settings.update(body)
    return {"permission_public": dict(body)}
