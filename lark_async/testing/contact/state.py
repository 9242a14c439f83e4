"""What the contact emulator modules share: the route table, the state, scopes, paging, errors.

People are the IM emulator's users (``ImState.users``) plus a contact profile
each (mobile, departments, job title...), keyed by union_id. An open_id is per
app: the first time an app sees a person, the person gets an open_id for that
app (an IM user record with ``app_id`` set), so sends by that open_id work
for that app and are refused for another (99992361), as on Feishu. A user the
IM emulator added without an ``app_id`` keeps one open_id for every app.

Scopes are per app; an app not configured has every scope. Without a field's
scope the field is left out of user answers (Feishu contact docs); without an
endpoint's API scope the call answers 99991672 naming it.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from lark_async.testing.im.state import ImState, User, new_id
from lark_async.testing.server.envelope import FakeError
from lark_async.testing.server.request import FakeRequest
from lark_async.testing.server.routing import RouteTable

#: users, find_by_department, batch_get_id, departments: 1000/min & 50/s per app
#: (Feishu rate-limit docs).
routes = RouteTable("contact", family="contact")

USERS = "/open-apis/contact/v3/users"
DEPARTMENTS = "/open-apis/contact/v3/departments"
CHATS = "/open-apis/im/v1/chats"
ROOT = "0"

# --- codes (Feishu chat, contact and API-call docs) ------------------------------------
MISSING_SCOPE = 99991672
FIELD_VALIDATION = 99992402
NO_DEPT_AUTHORITY = 40004
PAGE_SIZE_INVALID = 40011
PAGE_TOKEN_INVALID = 40012
DEPT_NOT_EXIST = 40015
USER_ID_INVALID = 41012
NO_USER_AUTHORITY = 41050
CHAT_INVALID_PARAM = 232001
CHAT_ID_INVALID = 232006
CHAT_DISSOLVED = 232009

MESSAGES: dict[int, str] = {
    NO_DEPT_AUTHORITY: "no dept authority error",
    PAGE_SIZE_INVALID: "page size is invalid",
    PAGE_TOKEN_INVALID: "page token is invalid",
    DEPT_NOT_EXIST: "department not exist",
    USER_ID_INVALID: "user id invalid",
    NO_USER_AUTHORITY: "no user authority error",
    CHAT_INVALID_PARAM: "invalid param",
    CHAT_ID_INVALID: "invalid chat_id",
    CHAT_DISSOLVED: "Your request specifies a chat which has already been dissolved.",
}

# --- scopes ----------------------------------------------------------------------------
SCOPE_USER_ID_LOOKUP = "contact:user.id:readonly"  # batch_get_id
SCOPE_USER_READ = "contact:user.base:readonly"  # users get, find_by_department
SCOPE_DEPT_READ = "contact:department.base:readonly"  # departments get, children
SCOPE_CHAT_READ = "im:chat:readonly"  # chat search, chat get
#: user field -> the scope without which Feishu leaves it out (Feishu contact docs).
FIELD_SCOPES: dict[str, str] = {
    "name": "contact:user.base:readonly",
    "en_name": "contact:user.base:readonly",
    "avatar": "contact:user.base:readonly",
    "email": "contact:user.email:readonly",
    "mobile": "contact:user.phone:readonly",
    "department_ids": "contact:user.department:readonly",
    "job_title": "contact:user.employee:readonly",
    "employee_no": "contact:user.employee_number:read",
    "user_id": "contact:user.employee_id:readonly",
}
ALL_SCOPES: frozenset[str] = frozenset(
    {
        SCOPE_USER_ID_LOOKUP,
        SCOPE_USER_READ,
        SCOPE_DEPT_READ,
        SCOPE_CHAT_READ,
        *FIELD_SCOPES.values(),
    }
)


def contact_error(code: int, detail: str | None = None, status: int = 400) -> FakeError:
    msg = MESSAGES.get(code, "request failed")
    return FakeError(code, f"{msg}: {detail}" if detail else msg, status=status)


def missing_scope(req: FakeRequest, scope: str) -> FakeError:
    """99991672 in the documented shape (Feishu API-call docs)."""
    return FakeError(
        MISSING_SCOPE,
        f"Access denied. One of the following scopes is required: [{scope}]",
        error={
            "permission_violations": [{"type": "action_scope_required", "subject": scope}],
            "helps": [
                {
                    "url": f"https://open.feishu.cn/app/{req.app_id}/auth?q={scope}&op_from=openapi",
                    "description": f"Learn more about scopes and how to add them: [{scope}]",
                }
            ],
        },
    )


def field_error(name: str, value: Any, description: str) -> FakeError:
    return FakeError(
        FIELD_VALIDATION,
        "field validation failed",
        error={
            "field_violations": [
                {"field": name, "value": str(value)[:100], "description": description}
            ]
        },
    )


# --- records ---------------------------------------------------------------------------
@dataclass
class Profile:
    """The contact side of a person (the IM user records hold the ids per app)."""

    union_id: str
    user_id: str
    name: str = ""
    en_name: str = ""
    email: str | None = None
    mobile: str | None = None
    department_ids: list[str] = field(default_factory=list)  # open_department_ids
    job_title: str = ""
    employee_no: str = ""
    resigned: bool = False
    visible_to: set[str] | None = None  # app ids whose contact scope holds them; None: all

    def visible(self, app_id: str) -> bool:
        return self.visible_to is None or app_id in self.visible_to


@dataclass
class Department:
    open_department_id: str
    name: str
    parent: str = ROOT  # the parent's open_department_id
    department_id: str = ""  # the custom id (department_id_type=department_id)
    order: int = 0
    deleted: bool = False
    chat_id: str = ""
    visible_to: set[str] | None = None


@dataclass
class ContactState:
    """Profiles, departments and scopes of one emulator (the people are ``ImState.users``)."""

    profiles: dict[str, Profile] = field(default_factory=dict)  # union_id -> profile
    departments: dict[str, Department] = field(default_factory=dict)  # open id -> dept
    scopes: dict[str, set[str]] = field(default_factory=dict)  # app_id -> granted
    seeded: int = 0  # people made by seed_users: the next one is user{seeded}

    # --- scopes ------------------------------------------------------------------
    def granted(self, app_id: str | None) -> frozenset[str] | set[str]:
        return self.scopes.get(app_id or "", ALL_SCOPES)

    def require(self, req: FakeRequest, scope: str) -> None:
        if scope not in self.granted(req.app_id):
            raise missing_scope(req, scope)

    # --- people ------------------------------------------------------------------
    def profile(self, im: ImState, union_id: str) -> Profile | None:
        """The person's profile; an IM-only user gets a minimal one on first sight."""
        found = self.profiles.get(union_id)
        if found is None:
            user = im.user_by("union_id", union_id)
            if user is None:
                return None
            found = Profile(
                union_id=union_id, user_id=user.user_id, name=user.name, email=user.email
            )
            self.profiles[union_id] = found
        return found

    def people(self, im: ImState) -> list[Profile]:
        for user in im.users:
            self.profile(im, user.union_id)
        return list(self.profiles.values())

    def open_id(self, im: ImState, profile: Profile, app_id: str) -> str:
        """The person's open_id in ``app_id``, made on first use (per app, like Feishu's)."""
        shared: User | None = None
        for user in im.users:
            if user.union_id != profile.union_id:
                continue
            if user.app_id == app_id:
                return user.open_id
            if user.app_id is None and shared is None:
                shared = user
        if shared is not None:
            return shared.open_id
        record = User(
            open_id=new_id("ou_"),
            union_id=profile.union_id,
            user_id=profile.user_id,
            email=profile.email,
            name=profile.name,
            app_id=app_id,
        )
        im.users.append(record)
        return record.open_id

    def find(self, im: ImState, id_type: str, value: str, app_id: str) -> Profile | None:
        """The person an id names, as ``app_id`` sees it (another app's open_id: nobody)."""
        if id_type == "open_id":
            for user in im.users:
                if user.open_id == value and user.app_id in (None, app_id):
                    return self.profile(im, user.union_id)
            return None
        if id_type == "union_id":
            return self.profile(im, value)
        for profile in self.people(im):
            if profile.user_id == value:
                return profile
        return None

    def by_email(self, im: ImState, email: str) -> Profile | None:
        wanted = email.strip().lower()
        return next((p for p in self.people(im) if p.email and p.email.lower() == wanted), None)

    def by_mobile(self, im: ImState, mobile: str) -> Profile | None:
        wanted = _digits(mobile)
        return next((p for p in self.people(im) if p.mobile and _digits(p.mobile) == wanted), None)

    def user_view(
        self, im: ImState, profile: Profile, app_id: str, id_type: str = "open_id"
    ) -> dict[str, Any]:
        """The API's user object, less the fields the app may not read."""
        open_id = self.open_id(im, profile, app_id)
        full: dict[str, Any] = {
            "open_id": open_id,
            "union_id": profile.union_id,
            "user_id": profile.user_id,
            "name": profile.name,
            "en_name": profile.en_name,
            "email": profile.email or "",
            "mobile": profile.mobile or "",
            "avatar": {
                size: f"https://example.invalid/avatar/{profile.union_id}/{size}"
                for size in ("avatar_72", "avatar_240", "avatar_640", "avatar_origin")
            },
            "department_ids": [
                self.dept_id_of(d, "open_department_id")
                for d in profile.department_ids
                if d in self.departments or d == ROOT
            ],
            "job_title": profile.job_title,
            "employee_no": profile.employee_no,
            "status": {
                "is_frozen": False,
                "is_resigned": profile.resigned,
                "is_activated": not profile.resigned,
                "is_exited": profile.resigned,
                "is_unjoin": False,
            },
        }
        granted = self.granted(app_id)
        return {k: v for k, v in full.items() if FIELD_SCOPES.get(k) in (None, *granted)}

    # --- departments ---------------------------------------------------------------
    def department(self, dept_id: str, id_type: str) -> Department | None:
        if id_type == "department_id":
            return next((d for d in self.departments.values() if d.department_id == dept_id), None)
        return self.departments.get(dept_id)

    def live_department(self, req: FakeRequest, dept_id: str, id_type: str) -> Department | None:
        """A department the app may read, None for the root; 40015 if unknown or deleted,
        40004 if hidden."""
        if dept_id == ROOT:
            return None
        dept = self.department(dept_id, id_type)
        if dept is None or dept.deleted:
            raise contact_error(DEPT_NOT_EXIST, dept_id)
        if dept.visible_to is not None and (req.app_id or "") not in dept.visible_to:
            raise contact_error(NO_DEPT_AUTHORITY, dept_id, status=403)
        return dept

    def dept_id_of(self, open_id: str, id_type: str) -> str:
        if open_id == ROOT:
            return ROOT
        dept = self.departments.get(open_id)
        if dept is None:
            return open_id
        return dept.department_id if id_type == "department_id" else dept.open_department_id

    def department_view(self, dept: Department, id_type: str, members: int) -> dict[str, Any]:
        return {
            "name": dept.name,
            "i18n_name": {"zh_cn": dept.name, "en_us": dept.name, "ja_jp": ""},
            "parent_department_id": self.dept_id_of(dept.parent, id_type),
            "department_id": dept.department_id,
            "open_department_id": dept.open_department_id,
            "leader_user_id": "",
            "chat_id": dept.chat_id,
            "order": str(dept.order),
            "member_count": members,
            "primary_member_count": members,
            "status": {"is_deleted": dept.deleted},
        }

    def children(self, parent: str) -> list[Department]:
        kids = [d for d in self.departments.values() if d.parent == parent and not d.deleted]
        return sorted(kids, key=lambda d: (d.order, d.open_department_id))

    def members(self, im: ImState, open_dept_id: str) -> list[Profile]:
        return [p for p in self.people(im) if open_dept_id in p.department_ids and not p.resigned]


# --- paging and query parameters ----------------------------------------------------------
def page_size(req: FakeRequest, default: int, maximum: int, code: int = PAGE_SIZE_INVALID) -> int:
    raw = req.query.get("page_size")
    if raw is None or raw == "":
        return default
    if not raw.isdigit() or not 1 <= int(raw) <= maximum:
        raise contact_error(code, f"page_size must be 1..{maximum}")
    return int(raw)


def _scope_tag(scope: str) -> str:
    return hashlib.sha256(scope.encode()).hexdigest()[:8]


def page(
    req: FakeRequest,
    items: Sequence[Any],
    scope: str,
    size: int,
    bad_token: FakeError,
) -> tuple[list[Any], dict[str, Any]]:
    """One page of ``items`` and the paging fields; ``page_token`` is ``<tag>.<offset>``."""
    raw = req.query.get("page_token") or ""
    start = 0
    if raw:
        tag, _, offset = raw.partition(".")
        if tag != _scope_tag(scope) or not offset.isdigit():
            raise bad_token
        start = int(offset)
    chunk = list(items[start : start + size])
    more = start + size < len(items)
    fields: dict[str, Any] = {"has_more": more}
    if more:
        fields["page_token"] = f"{_scope_tag(scope)}.{start + size}"
    return chunk, fields


def id_type_param(req: FakeRequest, name: str, allowed: Iterable[str], default: str) -> str:
    value = req.query.get(name) or default
    if value not in allowed:
        raise field_error(name, value, f"{name} must be one of {', '.join(allowed)}")
    return value


def _digits(mobile: str) -> str:
    digits = "".join(ch for ch in mobile if ch.isdigit())
    return digits[-11:] if len(digits) > 11 else digits


def new_user_id() -> str:
    return secrets.token_hex(4)


def new_department_id() -> str:
    return new_id("od-", 16)
