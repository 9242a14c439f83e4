"""``lark.contact``: people, chats and departments, with a per-app user cache (Feishu contact docs).

What the service does for you:

- looks people up by email or mobile (``batch_get_id``, 50 a request, tenant
  token), then reads each found person's details, and caches the record for
  24 hours per app (an open_id is per app; a union_id is shared by one
  developer's apps) in the client's store: memory, SQLite or PostgreSQL;
- shares one fetch among concurrent lookups of the same person (single flight);
- answers ``None`` for someone who does not exist (one INFO line), never an
  exception; a person outside the app's contact scope is a ``PermissionDenied``;
- warns once, naming the scope, when Feishu leaves out fields the app may not
  read (email, mobile, ...): those fields are ``None``;
- finds chats by name, reads a chat, lists a department's users (every page,
  warming the cache in one write) and its tree of sub-departments.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any, TypeVar

from lark_async.contact import checks
from lark_async.contact.cache import UserCache, normalise_mobile, user_keys
from lark_async.contact.models import (
    CacheStats,
    Chat,
    ChatSummary,
    Department,
    DepartmentEnvelope,
    DepartmentNode,
    Page,
    User,
    UserIdList,
)
from lark_async.contact.store import store_for
from lark_async.core.errors import ErrorKind, InvalidParameter, LarkError, NotFound, ServerError
from lark_async.core.logging import get_logger
from lark_async.core.paging import PageGuard
from lark_async.core.response import LarkResponse
from lark_async.core.service import Service, ServiceContext, parse_model
from lark_async.core.transport import new_request_id

T = TypeVar("T")

USERS = "/open-apis/contact/v3/users"
DEPARTMENTS = "/open-apis/contact/v3/departments"
CHATS = "/open-apis/im/v1/chats"
ID_CHUNK = 50  # batch_get_id: at most 50 emails and 50 mobiles a request (Feishu contact docs)
USER_PAGE = 50  # find_by_department, department children: page_size max 50
CHAT_PAGE = 100  # chat search: page_size max 100
CONCURRENCY = 8  # detail reads and department levels in flight at once
DISSOLVED = ("dissolved", "dissolved_save")

#: Fields Feishu leaves out when the app lacks their scope (Feishu contact docs).
FIELD_SCOPES: Mapping[str, str] = {
    "name": "contact:user.base:readonly",
    "email": "contact:user.email:readonly",
    "mobile": "contact:user.phone:readonly",
    "department_ids": "contact:user.department:readonly",
    "job_title": "contact:user.employee:readonly",
    "employee_no": "contact:user.employee_number:read",
    "user_id": "contact:user.employee_id:readonly",
}


@dataclass(slots=True)
class Found(LarkResponse[T]):
    """A lookup's response: ``unwrap()`` returns ``None`` for "no such thing", not ``{}``."""

    def unwrap(self) -> T:
        if self.error is not None:
            raise self.error
        return self.data  # type: ignore[return-value]


def _found(data: T, request_id: str | None = None) -> Found[T]:
    return Found(
        ok=True, code=0, msg="success", request_id=request_id or new_request_id(), data=data
    )


def _failure(err: LarkError) -> Found[Any]:
    err.request_id = err.request_id or new_request_id()
    return Found(
        ok=False,
        code=err.code if err.code is not None else -1,
        msg=err.message,
        request_id=err.request_id,
        log_id=err.log_id,
        error=err,
        http_status=err.http_status,
    )


def _mask(kind: str, value: str) -> str:
    """Enough of an email or phone number to recognise it in a log, not to harvest it."""
    if kind == "email":
        local, _, domain = value.partition("@")
        return f"{local[:1]}***@{domain}"
    if kind == "mobile":
        return f"{value[:3]}***{value[-4:]}" if len(value) > 7 else "***"
    return value


class Contact(Service):
    """People, chats and departments. Reach it as ``lark.contact`` or ``lark.app(id).contact``.

    Lookups return a response whose ``data`` is the answer (``None`` when the
    person or chat does not exist); failures are typed errors in ``error``.
    """

    name = "contact"

    def __init__(self, ctx: ServiceContext) -> None:
        super().__init__(ctx)
        # The client's store URL (token_store=...); None keeps the cache in memory.
        url = getattr(ctx, "state_url", None)
        self._cache = UserCache(store_for(url), ctx.app_id, ctx.clock)
        self._warned: set[str] = set()

    async def aclose(self) -> None:
        """Close the cache store's connection or pool (``LarkClient.aclose()`` calls it)."""
        await self._cache.store.close()

    # -- people ------------------------------------------------------------------

    async def get_user_by_email(self, email: str) -> Found[User | None]:
        """The person with this email (``None`` if there is none visible to the app)."""
        value = checks.email(email)
        resp = await self._lookup("email", {email: value})
        if resp.error is not None:
            return _failure(resp.error)
        return _found(resp.data[email] if resp.data else None, resp.request_id)

    async def get_user_by_mobile(self, mobile: str) -> Found[User | None]:
        """The person with this mobile number (``+<country code>`` outside mainland China)."""
        value = checks.mobile(mobile)
        resp = await self._lookup("mobile", {mobile: value})
        if resp.error is not None:
            return _failure(resp.error)
        return _found(resp.data[mobile] if resp.data else None, resp.request_id)

    async def get_users_by_email(self, emails: Iterable[str]) -> Found[dict[str, User | None]]:
        """Each email -> its person or ``None``; sent 50 a request, cached ones not at all."""
        return await self._lookup("email", checks.many(emails, checks.email, "emails"))

    async def get_users_by_mobile(self, mobiles: Iterable[str]) -> Found[dict[str, User | None]]:
        """Each mobile number -> its person or ``None``."""
        return await self._lookup("mobile", checks.many(mobiles, checks.mobile, "mobiles"))

    async def get_user(
        self, user_id: str, *, user_id_type: str | None = None
    ) -> Found[User | None]:
        """A person by open_id (``ou_``), union_id (``on_``) or user_id (inferred, or say which)."""
        uid, id_type = checks.user_id(user_id, user_id_type)
        key = f"{id_type}:{uid}"

        async def fill(keys: list[str]) -> tuple[dict[str, User | None], dict[str, User]]:
            user = await self._read_user(uid, id_type)
            return {key: user}, self._rows({key: user})

        try:
            found = await self._cache.lookup([key], fill)
        except LarkError as err:
            return _failure(err)
        user = found.get(key)
        if user is None:
            self._not_found(id_type, [uid])
        return _found(user)

    # -- departments --------------------------------------------------------------

    async def get_department_users(
        self, department_id: str, *, department_id_type: str = "open_department_id"
    ) -> Found[list[User]]:
        """The users directly in a department (every page); they warm the cache in one write.

        A department that does not exist (or was deleted) is a ``NotFound``, not ``[]``.
        """
        dept = checks.department_id(department_id)
        id_type = checks.department_id_type(department_id_type)
        params = {
            "department_id": dept,
            "department_id_type": id_type,
            "user_id_type": "open_id",
            "page_size": USER_PAGE,
        }
        try:
            users = [
                self._user(item)
                async for item in self._pages(f"{USERS}/find_by_department", params)
            ]
        except LarkError as err:
            return _failure(err)
        await self._cache.remember(users)
        return _found(users)

    async def get_department_tree(
        self, root: str = "0", *, department_id_type: str = "open_department_id"
    ) -> Found[DepartmentNode]:
        """``root`` and every department under it, as a tree (children read level by level)."""
        root_id = checks.department_id(root, "root")
        id_type = checks.department_id_type(department_id_type)
        try:
            top = DepartmentNode(await self._department(root_id, id_type), [])
            level, seen = [top], {root_id}
            gate = asyncio.Semaphore(CONCURRENCY)

            async def children(node: DepartmentNode) -> list[Department]:
                async with gate:
                    return [
                        d
                        async for d in self._children(
                            _dept_key(node.department, id_type, root_id), id_type
                        )
                    ]

            while level:
                found = await asyncio.gather(*(children(node) for node in level))
                below: list[DepartmentNode] = []
                for node, kids in zip(level, found, strict=True):
                    for kid in kids:
                        kid_id = _dept_key(kid, id_type, "")
                        if kid_id and kid_id not in seen:  # a cycle would never end
                            seen.add(kid_id)
                            child = DepartmentNode(kid, [])
                            node.children.append(child)
                            below.append(child)
                level = below
        except LarkError as err:
            return _failure(err)
        return _found(top)

    async def iter_departments(
        self, root: str = "0", *, department_id_type: str = "open_department_id"
    ) -> AsyncIterator[Department]:
        """Every department under ``root``, streamed breadth first (raises a ``LarkError``)."""
        root_id = checks.department_id(root, "root")
        id_type = checks.department_id_type(department_id_type)
        queue, seen = [root_id], {root_id}
        while queue:
            parent = queue.pop(0)
            async for dept in self._children(parent, id_type):
                dept_id = _dept_key(dept, id_type, "")
                if dept_id and dept_id not in seen:
                    seen.add(dept_id)
                    queue.append(dept_id)
                    yield dept

    # -- chats --------------------------------------------------------------------

    async def search_chats(self, query: str) -> Found[list[ChatSummary]]:
        """Every chat the search finds for ``query`` (the app's chats and public ones)."""
        checks.text(query, "query", 64)
        try:
            items = [
                ChatSummary.model_validate(item)
                async for item in self._pages(
                    f"{CHATS}/search", {"query": query, "page_size": CHAT_PAGE}
                )
            ]
        except LarkError as err:
            return _failure(err)
        except ValueError:
            return _failure(ServerError("unexpected answer shape for the chat search"))
        return _found(items)

    async def get_chat_by_name(self, name: str) -> Found[ChatSummary | None]:
        """The one live chat named exactly ``name``; ``None`` if none.

        Several chats with that name are an ``InvalidParameter`` listing their ids.
        """
        checks.text(name, "name", 64)
        resp = await self.search_chats(name)
        if not resp.ok or resp.data is None:
            return _failure(resp.error) if resp.error else _found(None)
        exact = [c for c in resp.data if c.name == name and c.chat_status not in DISSOLVED]
        if not exact:
            get_logger().info("contact.not_found", kind="chat_name", value=name, app_id=self.app_id)
            return _found(None, resp.request_id)
        if len(exact) > 1:
            ids = ", ".join(c.chat_id for c in exact)
            err = InvalidParameter(
                f"name: {len(exact)} chats are named {name!r}: {ids}",
                hint="use the chat_id of the one you mean (get_chat(chat_id))",
                details={"chat_ids": [c.chat_id for c in exact]},
            )
            return _failure(err)
        return _found(exact[0], resp.request_id)

    async def get_chat(self, chat_id: str) -> Found[Chat]:
        """A chat's details (name, owner, member count...). Unknown or dissolved: ``NotFound``."""
        cid = checks.chat_id(chat_id)
        resp = parse_model(await self._request("GET", f"{CHATS}/{cid}"), Chat)
        if not resp.ok or resp.data is None:
            return (
                _failure(resp.error) if resp.error else _failure(ServerError("empty chat answer"))
            )
        chat = resp.data
        chat.chat_id = chat.chat_id or cid
        if chat.chat_status in DISSOLVED:
            return _failure(
                NotFound(
                    f"chat {cid} was dissolved",
                    request_id=resp.request_id,
                    log_id=resp.log_id,
                    hint="the chat no longer exists; remove it from your configuration",
                )
            )
        return _found(chat, resp.request_id)

    # -- the cache ------------------------------------------------------------------

    def cache_stats(self) -> CacheStats:
        """Hits, misses, hit_rate (and refreshes, API calls) of this app's user cache."""
        return self._cache.stats()

    async def invalidate(
        self,
        user: User | None = None,
        *,
        email: str | None = None,
        mobile: str | None = None,
        user_id: str | None = None,
        user_id_type: str | None = None,
    ) -> int:
        """Forget cached people: the one named (by any of its keys), or everyone when no
        argument is given. Returns how many cache rows went."""
        keys: list[str] = []
        if user is not None:
            if not isinstance(user, User):
                raise InvalidParameter(
                    "user: must be a User", hint="pass the User a lookup returned"
                )
            keys.extend(user_keys(user))
        if email is not None:
            keys.append(f"email:{checks.email(email)}")
        if mobile is not None:
            keys.append(f"mobile:{checks.mobile(mobile)}")
        if user_id is not None:
            uid, id_type = checks.user_id(user_id, user_id_type)
            keys.append(f"{id_type}:{uid}")
        if user is None and email is None and mobile is None and user_id is None:
            return await self._cache.forget(None)
        return await self._cache.forget(keys)

    # -- internals ------------------------------------------------------------------

    async def _lookup(self, kind: str, values: Mapping[str, str]) -> Found[dict[str, User | None]]:
        """``values``: what the caller gave -> its normalised form."""
        if not values:
            return _found({})
        keys = {given: f"{kind}:{value}" for given, value in values.items()}
        try:
            found = await self._cache.lookup(list(keys.values()), self._fill_by(kind))
        except LarkError as err:
            return _failure(err)
        answer = {given: found.get(key) for given, key in keys.items()}
        absent = [values[g] for g, user in answer.items() if user is None]
        if absent:
            self._not_found(kind, absent)
        return _found(answer)

    def _fill_by(
        self, kind: str
    ) -> Callable[[list[str]], Awaitable[tuple[dict[str, User | None], dict[str, User]]]]:
        field = "emails" if kind == "email" else "mobiles"

        async def fill(keys: list[str]) -> tuple[dict[str, User | None], dict[str, User]]:
            values = [k.partition(":")[2] for k in keys]
            ids: dict[str, str] = {}
            for start in range(0, len(values), ID_CHUNK):
                chunk = values[start : start + ID_CHUNK]
                resp = await self._request(
                    "POST",
                    f"{USERS}/batch_get_id",
                    params={"user_id_type": "open_id"},
                    json={field: chunk, "include_resigned": False},
                    idempotent=True,  # a read, safe to repeat
                )
                self._cache.api_calls += 1
                listed = parse_model(resp, UserIdList)
                if listed.error is not None:
                    raise listed.error
                for entry in listed.data.user_list if listed.data else ():
                    echo = entry.email if kind == "email" else entry.mobile
                    if entry.user_id and echo:
                        norm = echo.strip().lower() if kind == "email" else normalise_mobile(echo)
                        ids[norm] = entry.user_id
            people = await self._details(sorted(set(ids.values())))
            found = {
                key: people.get(ids.get(value, "")) for key, value in zip(keys, values, strict=True)
            }
            return found, self._rows(found)

        return fill

    async def _details(self, open_ids: list[str]) -> dict[str, User | None]:
        """Each open_id's record: from the cache when fresh, else read (8 at a time)."""
        cached = await self._cache.peek([f"open_id:{i}" for i in open_ids])
        out: dict[str, User | None] = {k.partition(":")[2]: v for k, v in cached.items()}
        gate = asyncio.Semaphore(CONCURRENCY)

        async def one(open_id: str) -> None:
            async with gate:
                out[open_id] = await self._read_user(open_id, "open_id")

        await asyncio.gather(*(one(i) for i in open_ids if i not in out))
        return out

    async def _read_user(self, uid: str, id_type: str) -> User | None:
        resp = await self._request(
            "GET",
            f"{USERS}/{uid}",
            params={"user_id_type": id_type, "department_id_type": "open_department_id"},
        )
        self._cache.api_calls += 1
        if resp.error is not None:
            if resp.error.kind is ErrorKind.NOT_FOUND:
                return None
            raise resp.error
        raw = (resp.data or {}).get("user")
        if not isinstance(raw, dict):
            raise ServerError("the user answer has no user object", request_id=resp.request_id)
        return self._user(raw)

    def _user(self, raw: Mapping[str, Any]) -> User:
        self._check_fields(raw)
        try:
            return User.model_validate(raw)
        except ValueError:
            raise ServerError("unexpected answer shape for a user") from None

    def _check_fields(self, raw: Mapping[str, Any]) -> None:
        """One WARNING the first time fields are left out for lack of a scope."""
        missing = [f for f in FIELD_SCOPES if f not in raw and f not in self._warned]
        if missing:
            self._warned.update(missing)
            get_logger().warning(
                "contact.fields_omitted",
                app_id=self.app_id,
                fields=", ".join(missing),
                scopes=", ".join(dict.fromkeys(FIELD_SCOPES[f] for f in missing)),
                hint="Feishu leaves out fields the app may not read; they are None. "
                "Grant these scopes in the developer console to fill them",
            )

    @staticmethod
    def _rows(found: Mapping[str, User | None]) -> dict[str, User]:
        rows: dict[str, User] = {}
        for key, user in found.items():
            if user is not None:
                rows[key] = user
                rows.update((k, user) for k in user_keys(user))
        return rows

    def _not_found(self, kind: str, values: list[str]) -> None:
        shown = [_mask(kind, v) for v in values[:5]]
        get_logger().info(
            "contact.not_found",
            kind=kind,
            count=len(values),
            values=", ".join(shown) + (" ..." if len(values) > 5 else ""),
            app_id=self.app_id,
        )

    async def _department(self, dept_id: str, id_type: str) -> Department:
        if dept_id == "0":  # the root: Feishu does not serve its details (40161)
            return Department(name="", department_id="0", open_department_id="0")
        resp = parse_model(
            await self._request(
                "GET", f"{DEPARTMENTS}/{dept_id}", params={"department_id_type": id_type}
            ),
            DepartmentEnvelope,
        )
        if resp.error is not None:
            raise resp.error
        assert resp.data is not None
        dept = resp.data.department
        if dept.status is not None and dept.status.is_deleted:
            raise NotFound(
                f"department {dept_id} was deleted",
                request_id=resp.request_id,
                hint="the department no longer exists",
            )
        return dept

    async def _children(self, dept_id: str, id_type: str) -> AsyncIterator[Department]:
        params = {"department_id_type": id_type, "fetch_child": "false", "page_size": USER_PAGE}
        async for item in self._pages(f"{DEPARTMENTS}/{dept_id}/children", params):
            try:
                yield Department.model_validate(item)
            except ValueError:
                raise ServerError("unexpected answer shape for a department") from None

    async def _pages(self, path: str, params: Mapping[str, Any]) -> AsyncIterator[dict[str, Any]]:
        """Every item of a paged GET; raises the first failure."""
        token: str | None = None
        guard = PageGuard(f"GET {path}")
        while True:
            query = dict(params)
            if token:
                query["page_token"] = token
            resp = parse_model(await self._request("GET", path, params=query), Page)
            if resp.error is not None:
                raise resp.error
            assert resp.data is not None
            for item in resp.data.items:
                yield item
            token = guard.next_token(resp.data.has_more, resp.data.page_token, resp)
            if token is None:
                return


def _dept_key(dept: Department, id_type: str, fallback: str) -> str:
    if id_type == "department_id":
        return dept.department_id or fallback
    return dept.open_department_id or fallback


__all__ = ["FIELD_SCOPES", "Contact", "Found"]
