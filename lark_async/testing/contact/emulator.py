"""ContactEmulator: seeding and inspecting one emulator's people, departments and scopes."""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any

from lark_async.testing.contact.state import (
    ALL_SCOPES,
    ROOT,
    ContactState,
    Department,
    Profile,
    new_department_id,
    new_user_id,
)
from lark_async.testing.im.emulator import ImEmulator
from lark_async.testing.im.state import ImState, new_id

if TYPE_CHECKING:
    from lark_async.testing.server.fake_lark import FakeLark


class ContactEmulator:
    """People, departments, chats and scopes of one emulator: ``ContactEmulator.of(fake)``.

    People are shared with the IM emulator (``ImEmulator.of(fake)``): a person
    added here can be messaged, and IM users are found by the contact endpoints.
    """

    def __init__(self, fake: FakeLark) -> None:
        self._fake = fake
        self.state = fake.state(ContactState)
        self.im = fake.state(ImState)

    @classmethod
    def of(cls, fake: FakeLark) -> ContactEmulator:
        return cls(fake)

    # --- people ------------------------------------------------------------------
    def add_user(
        self,
        name: str,
        *,
        email: str | None = None,
        mobile: str | None = None,
        departments: Iterable[str] = (ROOT,),
        en_name: str = "",
        job_title: str = "",
        employee_no: str = "",
        user_id: str | None = None,
        union_id: str | None = None,
        visible_to: Iterable[str] | None = None,
        resigned: bool = False,
    ) -> str:
        """Add a person; returns their union_id. ``departments``: open_department_ids
        (``"0"`` is the root). ``visible_to``: the apps whose contact scope holds them
        (None: every app). Their open_id in an app: :meth:`open_id`."""
        profile = Profile(
            union_id=union_id or new_id("on_"),
            user_id=user_id or new_user_id(),
            name=name,
            en_name=en_name,
            email=email,
            mobile=mobile,
            department_ids=list(departments),
            job_title=job_title,
            employee_no=employee_no,
            resigned=resigned,
            visible_to=set(visible_to) if visible_to is not None else None,
        )
        if not profile.union_id.startswith("on_"):
            raise ValueError(f"union_id must start with 'on_': {profile.union_id!r}")
        if email is not None and "@" not in email:
            raise ValueError(f"email must contain '@': {email!r}")
        for other in self.state.people(self.im):
            if other.union_id == profile.union_id or other.user_id == profile.user_id:
                raise ValueError(f"a person with union_id/user_id of {name!r} exists already")
            if email and other.email and other.email.lower() == email.lower():
                raise ValueError(f"a person with email {email!r} exists already")
        for dept in profile.department_ids:
            if dept != ROOT and dept not in self.state.departments:
                raise ValueError(f"no department {dept!r}; add_department() first")
        self.state.profiles[profile.union_id] = profile
        return profile.union_id

    def seed_users(
        self, n: int, *, department: str = ROOT, domain: str = "example.com"
    ) -> list[str]:
        """``n`` people named ``user i`` with emails ``user{i}@<domain>``; their union_ids.

        ``i`` counts on across calls (0, 1, ... for the first call's people).
        """
        made = []
        for _ in range(n):
            i = self.state.seeded
            made.append(
                self.add_user(
                    f"user {i}",
                    email=f"user{i}@{domain}",
                    mobile=f"+86139{i:08d}",
                    departments=(department,),
                    employee_no=f"E{i:06d}",
                    job_title="engineer",
                )
            )
            self.state.seeded += 1
        return made

    def open_id(self, union_id: str, app_id: str | None = None) -> str:
        """The person's open_id in ``app_id`` (default: the first app), made on first use."""
        profile = self.state.profile(self.im, union_id)
        if profile is None:
            raise KeyError(f"no person {union_id!r}")
        return self.state.open_id(self.im, profile, app_id or self._fake.app_id)

    def person(self, union_id: str) -> Profile:
        profile = self.state.profile(self.im, union_id)
        if profile is None:
            raise KeyError(f"no person {union_id!r}")
        return profile

    def update_user(self, union_id: str, **changes: Any) -> None:
        """Change a person's profile fields (name, email, mobile, job_title, resigned...)."""
        profile = self.person(union_id)
        for key, value in changes.items():
            if not hasattr(profile, key) or key == "union_id":
                raise AttributeError(f"a profile has no changeable field {key!r}")
            setattr(profile, key, value)

    def hide_user(self, union_id: str, *app_ids: str) -> None:
        """Take the person out of these apps' contact scope (41050, left out of lookups)."""
        profile = self.person(union_id)
        apps = set(app_ids or [a.app_id for a in self._fake.apps.apps])
        visible = (
            profile.visible_to
            if profile.visible_to is not None
            else {a.app_id for a in self._fake.apps.apps}
        )
        profile.visible_to = visible - apps

    # --- departments ---------------------------------------------------------------
    def add_department(
        self,
        name: str,
        *,
        parent: str = ROOT,
        department_id: str | None = None,
        order: int = 0,
    ) -> str:
        """Add a department under ``parent`` (an open_department_id); returns its ``od-`` id."""
        if parent != ROOT and parent not in self.state.departments:
            raise ValueError(f"no parent department {parent!r}")
        open_id = new_department_id()
        self.state.departments[open_id] = Department(
            open_department_id=open_id,
            name=name,
            parent=parent,
            department_id=department_id or f"D{secrets.token_hex(4)}",
            order=order,
        )
        return open_id

    def delete_department(self, open_department_id: str) -> None:
        """Mark it deleted: reads of it answer 40015, it leaves its parent's children."""
        self._dept(open_department_id).deleted = True

    def hide_department(self, open_department_id: str, *app_ids: str) -> None:
        """Take it out of these apps' contact scope (40004)."""
        apps = set(app_ids or [a.app_id for a in self._fake.apps.apps])
        self._dept(open_department_id).visible_to = {a.app_id for a in self._fake.apps.apps} - apps

    # --- chats ---------------------------------------------------------------------
    def add_chat(self, name: str, *, members: Iterable[str] = (), bot_in_chat: bool = True) -> str:
        """A group chat (in the IM emulator); returns its ``oc_`` id."""
        return ImEmulator.of(self._fake).add_chat(
            name=name, members=members, bot_in_chat=bot_in_chat
        )

    def dissolve_chat(self, chat_id: str) -> None:
        ImEmulator.of(self._fake).dissolve_chat(chat_id)

    # --- scopes --------------------------------------------------------------------
    def set_scopes(self, app_id: str, scopes: Iterable[str]) -> None:
        """The app's granted scopes, replacing the default (every scope)."""
        self.state.scopes[app_id] = set(scopes)

    def revoke_scopes(self, app_id: str, *scopes: str) -> None:
        """Take scopes away from the app: its user answers lose those fields, or its calls
        of an endpoint needing one answer 99991672."""
        granted = set(self.state.scopes.get(app_id, ALL_SCOPES))
        self.state.scopes[app_id] = granted - set(scopes)

    # --- helpers -------------------------------------------------------------------
    def _dept(self, open_department_id: str) -> Department:
        dept = self.state.departments.get(open_department_id)
        if dept is None:
            raise KeyError(f"no department {open_department_id!r}")
        return dept

    def __repr__(self) -> str:
        s = self.state
        return f"ContactEmulator(people={len(s.profiles)}, departments={len(s.departments)})"
