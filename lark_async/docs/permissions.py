"""Who may open a document: collaborators and public (link) settings (Feishu permission docs).

``perm`` is view, edit or full_access. Commenting is not a collaborator
permission but a public setting (``update_public_settings(comment_entity=...)``).
The member type is read from the id's shape when it is unambiguous: ``ou_``
open id, ``on_`` union id, ``oc_`` chat, ``od-`` department, an e-mail address;
other ids (user ids, group ids) need ``member_type=``.
"""

from __future__ import annotations

import re
from typing import Any

from lark_async.core.errors import InvalidParameter
from lark_async.core.response import LarkResponse
from lark_async.core.service import parse_model
from lark_async.docs import checks
from lark_async.docs.base import PERMISSIONS_V1, PERMISSIONS_V2, DocsBase
from lark_async.docs.models import PermissionMember, PublicSettings

PERMS = ("view", "edit", "full_access")
DOC_TYPES = (
    "doc",
    "sheet",
    "file",
    "wiki",
    "bitable",
    "docx",
    "folder",
    "mindnote",
    "minutes",
    "slides",
)
MEMBER_TYPES = (
    "email",
    "openid",
    "unionid",
    "openchat",
    "opendepartmentid",
    "userid",
    "groupid",
    "wikispaceid",
)
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_PREFIXES = (
    ("ou_", "openid"),
    ("on_", "unionid"),
    ("oc_", "openchat"),
    ("od-", "opendepartmentid"),
)

#: public setting -> allowed values (Feishu permission docs)
PUBLIC_SETTINGS: dict[str, tuple[str, ...]] = {
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


def infer_member_type(member_id: str, member_type: str | None) -> str:
    """The member type given, else the one the id's shape says; else refused."""
    if member_type is not None:
        return checks.choice(member_type, "member_type", MEMBER_TYPES)
    for prefix, kind in _PREFIXES:
        if member_id.startswith(prefix):
            return kind
    if _EMAIL.fullmatch(member_id):
        return "email"
    raise InvalidParameter(
        f"member_type is needed: the id {member_id[:40]!r} is not an open id (ou_), union id "
        "(on_), chat (oc_), department (od-) or e-mail address",
        hint=f"pass member_type= one of {', '.join(MEMBER_TYPES)}",
    )


def _member_id(value: Any) -> str:
    if not isinstance(value, str) or not value.strip() or len(value) > 256 or "/" in value:
        raise InvalidParameter(f"member_id must be a non-empty id without '/', not {value!r}")
    return value


def _perm(value: Any) -> str:
    if value == "comment":
        raise InvalidParameter(
            "perm='comment' is not a collaborator permission",
            hint="commenting is a public setting: "
            "update_public_settings(token, comment_entity='anyone_can_view')",
        )
    return checks.choice(value, "perm", PERMS)


class PermissionCalls(DocsBase):
    async def grant_permission(
        self,
        token: str,
        member_id: str,
        perm: str,
        *,
        doc_type: str = "docx",
        member_type: str | None = None,
        notify: bool = False,
    ) -> LarkResponse[PermissionMember]:
        """Make ``member_id`` a collaborator with ``perm`` (view, edit, full_access)."""
        tok = checks.doc_id(token, "token")
        member = _member_id(member_id)
        level = _perm(perm)
        kind = checks.choice(doc_type, "doc_type", DOC_TYPES)
        mtype = infer_member_type(member, member_type)
        params: dict[str, Any] = {"type": kind}
        if notify:
            params["need_notification"] = True
        # Granting the same permission twice leaves one collaborator: safe to resend.
        resp = await self._request(
            "POST",
            f"{PERMISSIONS_V1}/{tok}/members",
            params=params,
            json={"member_type": mtype, "member_id": member, "perm": level},
            idempotent=True,
        )
        return _member(resp)

    async def revoke_permission(
        self,
        token: str,
        member_id: str,
        *,
        doc_type: str = "docx",
        member_type: str | None = None,
    ) -> LarkResponse[None]:
        """Remove a collaborator."""
        tok = checks.doc_id(token, "token")
        member = _member_id(member_id)
        kind = checks.choice(doc_type, "doc_type", DOC_TYPES)
        mtype = infer_member_type(member, member_type)
        from urllib.parse import quote

        resp = await self._request(
            "DELETE",
            f"{PERMISSIONS_V1}/{tok}/members/{quote(member, safe='')}",
            params={"type": kind, "member_type": mtype},
            idempotent=True,
        )
        return resp.with_data(None)

    async def list_permissions(
        self, token: str, *, doc_type: str = "docx"
    ) -> LarkResponse[list[PermissionMember]]:
        """Every collaborator (Feishu does not page this list)."""
        tok = checks.doc_id(token, "token")
        kind = checks.choice(doc_type, "doc_type", DOC_TYPES)
        resp = await self._request(
            "GET", f"{PERMISSIONS_V1}/{tok}/members", params={"type": kind, "fields": "*"}
        )
        if not resp.ok:
            return resp.with_data(None)
        items = (resp.data or {}).get("items") or []
        return resp.with_data([PermissionMember.model_validate(item) for item in items])

    async def get_public_settings(
        self, token: str, *, doc_type: str = "docx"
    ) -> LarkResponse[PublicSettings]:
        tok = checks.doc_id(token, "token")
        kind = checks.choice(doc_type, "doc_type", DOC_TYPES)
        resp = await self._request("GET", f"{PERMISSIONS_V2}/{tok}/public", params={"type": kind})
        return _public(resp)

    async def update_public_settings(
        self,
        token: str,
        *,
        doc_type: str = "docx",
        link_share_entity: str | None = None,
        comment_entity: str | None = None,
        copy_entity: str | None = None,
        external_access_entity: str | None = None,
        security_entity: str | None = None,
        share_entity: str | None = None,
        manage_collaborator_entity: str | None = None,
    ) -> LarkResponse[PublicSettings]:
        """Change link sharing, commenting, copying …, e.g.
        ``update_public_settings(tok, link_share_entity="tenant_readable",
        comment_entity="anyone_can_view")``; only the fields changed come back.
        The values are Feishu's (:data:`PUBLIC_SETTINGS` lists them)."""
        tok = checks.doc_id(token, "token")
        kind = checks.choice(doc_type, "doc_type", DOC_TYPES)
        given = {
            "link_share_entity": link_share_entity,
            "comment_entity": comment_entity,
            "copy_entity": copy_entity,
            "external_access_entity": external_access_entity,
            "security_entity": security_entity,
            "share_entity": share_entity,
            "manage_collaborator_entity": manage_collaborator_entity,
        }
        settings = {name: value for name, value in given.items() if value is not None}
        if not settings:
            raise InvalidParameter(
                "update_public_settings needs at least one setting",
                hint=f"settings: {', '.join(PUBLIC_SETTINGS)}",
            )
        for name, value in settings.items():
            checks.choice(value, name, PUBLIC_SETTINGS[name])
        resp = await self._request(
            "PATCH",
            f"{PERMISSIONS_V2}/{tok}/public",
            params={"type": kind},
            json=settings,
            idempotent=True,  # sets a state
        )
        return _public(resp)


def _member(resp: LarkResponse[dict[str, Any]]) -> LarkResponse[PermissionMember]:
    if not resp.ok:
        return resp.with_data(None)
    inner = (resp.data or {}).get("member")
    return parse_model(resp.with_data(inner if isinstance(inner, dict) else {}), PermissionMember)


def _public(resp: LarkResponse[dict[str, Any]]) -> LarkResponse[PublicSettings]:
    if not resp.ok:
        return resp.with_data(None)
    inner = (resp.data or {}).get("permission_public")
    return parse_model(resp.with_data(inner if isinstance(inner, dict) else {}), PublicSettings)
