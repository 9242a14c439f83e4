"""lark.contact against the emulator: lookups, single flight, logs, typed errors, departments."""

from __future__ import annotations

import asyncio
import logging

import pytest

from lark_async.contact import User
from lark_async.core.errors import InvalidParameter, NotFound, PermissionDenied
from lark_async.testing.contact import FIELD_SCOPES
from tests.contact.conftest import Env, events
from tests.helpers import APP_ID

BATCH_GET_ID = "/contact/v3/users/batch_get_id"
GET_USER = "/contact/v3/users/ou_"


async def test_concurrent_lookups_of_one_person_make_one_fetch(env: Env) -> None:
    env.contact.add_user("Ann", email="ann@example.com")
    results = await asyncio.gather(
        *(env.lark.contact.get_user_by_email("ann@example.com") for _ in range(25))
    )
    users = {r.unwrap().open_id for r in results if r.unwrap() is not None}  # type: ignore[union-attr]
    assert len(users) == 1 and all(r.ok for r in results)
    assert env.calls(BATCH_GET_ID) == 1 and env.calls(GET_USER) == 1


async def test_concurrent_batches_share_the_people_they_have_in_common(env: Env) -> None:
    emails = [f"user{i}@example.com" for i in range(10)]
    env.contact.seed_users(10)
    first, second = await asyncio.gather(
        env.lark.contact.get_users_by_email(emails[:6]),
        env.lark.contact.get_users_by_email(emails[3:]),
    )
    assert all(first.unwrap().values()) and all(second.unwrap().values())
    assert env.calls(GET_USER) == 10  # each person read once


async def test_batches_are_sent_fifty_at_a_time_and_keep_the_callers_spelling(env: Env) -> None:
    env.contact.seed_users(120)
    asked = [f"User{i}@Example.com" for i in range(120)] + ["nobody@example.com"]
    found = (await env.lark.contact.get_users_by_email(asked)).unwrap()
    assert list(found) == asked
    assert found["nobody@example.com"] is None
    assert all(found[a] is not None for a in asked[:120])
    assert env.calls(BATCH_GET_ID) == 3


async def test_a_generator_of_emails_is_read_once(env: Env) -> None:
    env.contact.seed_users(3)
    found = (
        await env.lark.contact.get_users_by_email(f"user{i}@example.com" for i in range(3))
    ).unwrap()
    assert len(found) == 3 and all(found.values())


async def test_mobile_lookups(env: Env) -> None:
    ann = env.contact.add_user("Ann", mobile="+8613800000001")
    user = (await env.lark.contact.get_user_by_mobile("+86 138-0000-0001")).unwrap()
    assert user is not None and user.union_id == ann
    many = (
        await env.lark.contact.get_users_by_mobile(["+8613800000001", "+8613999999999"])
    ).unwrap()
    assert many["+8613800000001"] == user and many["+8613999999999"] is None


async def test_get_user_by_any_id_type(env: Env) -> None:
    ann = env.contact.add_user("Ann", email="ann@example.com", user_id="a1b2c3")
    open_id = env.contact.open_id(ann, APP_ID)
    by_open = (await env.lark.contact.get_user(open_id)).unwrap()
    by_union = (await env.lark.contact.get_user(ann)).unwrap()
    by_user = (await env.lark.contact.get_user("a1b2c3", user_id_type="user_id")).unwrap()
    assert by_open is not None and by_open == by_union == by_user
    # one read: the record was stored under every id (and the email) it carries
    assert env.calls("/contact/") == 1
    assert (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap() == by_open
    assert env.calls("/contact/") == 1


async def test_not_found_is_none_and_one_info_line(env: Env, log_lines: list[str]) -> None:
    resp = await env.lark.contact.get_user_by_email("nobody@example.com")
    assert resp.ok and resp.data is None and resp.unwrap() is None
    lines = events(log_lines, "contact.not_found")
    assert len(lines) == 1 and lines[0]["level"] == "info"
    assert "nobody@example.com" not in str(lines[0])  # masked: n***@example.com
    assert (await env.lark.contact.get_user("ou_doesnotexist")).unwrap() is None
    assert (await env.lark.contact.get_chat_by_name("no such chat")).unwrap() is None


async def test_omitted_fields_are_none_and_warned_once_naming_the_scope(
    env: Env, log_lines: list[str]
) -> None:
    env.contact.revoke_scopes(APP_ID, FIELD_SCOPES["email"], FIELD_SCOPES["mobile"])
    env.contact.seed_users(3)
    found = (
        await env.lark.contact.get_users_by_mobile([f"+86139{i:08d}" for i in range(3)])
    ).unwrap()
    assert all(u is not None and u.email is None and u.mobile is None for u in found.values())
    assert all(u is not None and u.name for u in found.values())
    warnings = events(log_lines, "contact.fields_omitted")
    assert len(warnings) == 1 and warnings[0]["level"] == "warning"
    assert "contact:user.email:readonly" in str(warnings[0]["scopes"])
    assert "contact:user.phone:readonly" in str(warnings[0]["scopes"])


async def test_a_missing_api_scope_is_permission_denied_naming_it(env: Env) -> None:
    env.contact.revoke_scopes(APP_ID, "contact:user.id:readonly")
    resp = await env.lark.contact.get_user_by_email("ann@example.com")
    assert isinstance(resp.error, PermissionDenied)
    assert resp.error.code == 99991672
    assert resp.error.missing_scopes == ["contact:user.id:readonly"]
    assert "contact:user.id:readonly" in str(resp.error)
    with pytest.raises(PermissionDenied):
        resp.unwrap()


async def test_a_person_outside_the_apps_visibility_is_permission_denied(env: Env) -> None:
    ann = env.contact.add_user("Ann", email="ann@example.com")
    open_id = env.contact.open_id(ann, APP_ID)
    env.contact.hide_user(ann, APP_ID)
    resp = await env.lark.contact.get_user(open_id)
    assert isinstance(resp.error, PermissionDenied) and resp.error.code == 41050
    assert resp.error.hint and "contact scope" in resp.error.hint
    # the id lookup leaves them out, as Feishu does: not found
    assert (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap() is None


async def test_another_apps_open_id_is_not_found(env: Env) -> None:
    env.fake.add_app("cli_second00000002", "second-secret")
    ann = env.contact.add_user("Ann")
    theirs = env.contact.open_id(ann, "cli_second00000002")
    assert (await env.lark.contact.get_user(theirs)).unwrap() is None


async def test_chats_by_name(env: Env) -> None:
    a = env.contact.add_chat("Ops")
    b = env.contact.add_chat("Ops")
    env.contact.add_chat("Ops review")
    resp = await env.lark.contact.get_chat_by_name("Ops")
    assert isinstance(resp.error, InvalidParameter)
    assert a in str(resp.error) and b in str(resp.error)
    assert sorted(resp.error.details["chat_ids"]) == sorted([a, b])
    env.contact.dissolve_chat(b)
    only = (await env.lark.contact.get_chat_by_name("Ops")).unwrap()
    assert only is not None and only.chat_id == a
    found = (await env.lark.contact.search_chats("ops")).unwrap()
    assert len(found) == 3


async def test_chat_search_follows_every_page(env: Env) -> None:
    for i in range(130):
        env.contact.add_chat(f"team {i}")
    assert len((await env.lark.contact.search_chats("team")).unwrap()) == 130


async def test_an_unknown_or_dissolved_chat_is_not_found(env: Env) -> None:
    unknown = await env.lark.contact.get_chat("oc_doesnotexist")
    assert isinstance(unknown.error, NotFound)
    chat_id = env.contact.add_chat("Old team")
    env.contact.dissolve_chat(chat_id)
    dissolved = await env.lark.contact.get_chat(chat_id)
    assert isinstance(dissolved.error, NotFound)


async def test_department_tree_and_stream(env: Env) -> None:
    sales = env.contact.add_department("Sales", order=1)
    eng = env.contact.add_department("Engineering", order=2)
    eu = env.contact.add_department("EU", parent=sales)
    backend = env.contact.add_department("Backend", parent=eng)
    for i in range(60):  # more than a page of children
        env.contact.add_department(f"squad {i}", parent=backend)
    tree = (await env.lark.contact.get_department_tree()).unwrap()
    assert [c.department.name for c in tree.children] == ["Sales", "Engineering"]
    assert [c.id for c in tree.children[0].children] == [eu]
    assert len(tree.children[1].children[0].children) == 60
    assert len(tree) == 1 + 4 + 60
    streamed = [d.open_department_id async for d in env.lark.contact.iter_departments()]
    assert len(streamed) == 64 and streamed[:2] == [sales, eng]
    sub = (await env.lark.contact.get_department_tree(eng)).unwrap()
    assert sub.department.name == "Engineering" and len(sub) == 62


async def test_a_deleted_department_is_not_found_not_empty(env: Env) -> None:
    dept = env.contact.add_department("Closed")
    env.contact.seed_users(2, department=dept)
    env.contact.delete_department(dept)
    users = await env.lark.contact.get_department_users(dept)
    assert isinstance(users.error, NotFound) and users.data is None
    tree = await env.lark.contact.get_department_tree(dept)
    assert isinstance(tree.error, NotFound)
    with pytest.raises(NotFound):
        [d async for d in env.lark.contact.iter_departments(dept)]


async def test_invalidate_one_person_or_everyone(env: Env) -> None:
    env.contact.seed_users(3)
    contact = env.lark.contact
    found = (await contact.get_users_by_email([f"user{i}@example.com" for i in range(3)])).unwrap()
    user0 = found["user0@example.com"]
    assert isinstance(user0, User)
    assert await contact.invalidate(user0) >= 3  # every key it was stored under
    calls = env.calls(BATCH_GET_ID)
    await contact.get_user_by_email("user0@example.com")
    await contact.get_user_by_email("user1@example.com")
    assert env.calls(BATCH_GET_ID) == calls + 1
    assert await contact.invalidate(email="user1@example.com") >= 1
    assert await contact.invalidate() > 0
    assert await contact.invalidate() == 0


async def test_bad_input_is_refused_before_any_request(env: Env) -> None:
    contact = env.lark.contact
    cases = [
        (contact.get_user_by_email, ("not-an-email",), "email"),
        (contact.get_user_by_mobile, ("abc",), "mobile"),
        (contact.get_users_by_email, ("a@b.c",), "emails"),
        (contact.get_users_by_mobile, ([123],), "mobiles[0]"),
        (contact.get_user, ("../etc/passwd",), "user_id"),
        (contact.get_chat, ("chat",), "chat_id"),
        (contact.get_chat_by_name, ("",), "name"),
        (contact.search_chats, ("x" * 65,), "query"),
        (contact.get_department_users, ("a/b",), "department_id"),
        (contact.get_department_tree, ("",), "root"),
    ]
    for call, args, arg in cases:
        with pytest.raises(InvalidParameter, match=arg.replace("[", r"\[")):
            await call(*args)  # type: ignore[operator]
    with pytest.raises(InvalidParameter, match="user_id_type"):
        await contact.get_user("ou_x", user_id_type="email")
    assert env.calls() == 0


async def test_a_failing_store_is_bypassed_with_a_warning(env: Env, log_lines: list[str]) -> None:
    env.contact.add_user("Ann", email="ann@example.com")
    store = env.lark.contact._cache.store

    tries: list[int] = []

    async def broken(*args: object, **kwargs: object) -> object:
        tries.append(1)
        raise OSError("disk on fire")

    store.get_many = broken  # type: ignore[method-assign]
    store.put_many = broken  # type: ignore[method-assign]
    for _ in range(2):
        user = (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap()
        assert user is not None and user.name == "Ann"
    assert len(events(log_lines, "contact.cache_unavailable")) == 1  # not once per call
    assert len(tries) == 1  # then left alone for a while: no timeout per lookup


def test_the_client_works_across_event_loops(tmp_path: object, secret_key: str) -> None:
    from tests.helpers import ThreadedEmulator, client_for

    with ThreadedEmulator() as emu:
        assert emu.fake is not None
        from lark_async.testing import ContactEmulator

        ContactEmulator.of(emu.fake).add_user("Ann", email="ann@example.com")
        lark = client_for(emu.fake, token_store=f"sqlite:///{tmp_path}/s.db", secret_key=secret_key)

        async def look() -> User | None:
            return (await lark.contact.get_user_by_email("ann@example.com")).unwrap()

        first = asyncio.run(look())
        second = asyncio.run(look())  # a new loop: a new SQLite connection, the same rows
        assert first is not None and first == second
        assert lark.contact.cache_stats().hits == 1
        logging.getLogger(__name__).debug("done")
