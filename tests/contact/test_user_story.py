"""User story 4 (spec): each acceptance scenario, on the memory, SQLite and PostgreSQL stores."""

from __future__ import annotations

from lark_async.contact import User
from tests.contact.conftest import Env
from tests.helpers import APP_ID

DAY = 24 * 3600.0
BATCH_GET_ID = "/contact/v3/users/batch_get_id"
USERS = "/contact/v3/users/"


async def test_1_email_lookup_gives_every_id_and_is_stored(stored_env: Env) -> None:
    env = stored_env
    dept = env.contact.add_department("Finance")
    ann = env.contact.add_user("Ann", email="ann@example.com", departments=[dept])
    user = (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap()
    assert isinstance(user, User)
    assert user.open_id == env.contact.open_id(ann, APP_ID)
    assert user.union_id == ann
    assert user.user_id == env.contact.person(ann).user_id
    assert user.name == "Ann" and user.avatar is not None and user.avatar.avatar_72
    assert user.department_ids == [dept]
    # stored: another client on the same store answers without calling Feishu
    if env.store_url:
        before = env.calls("/contact/")
        async with env.client() as other:
            again = (await other.contact.get_user_by_email("ann@example.com")).unwrap()
            assert again == user
            assert other.contact.cache_stats().hits == 1
        assert env.calls("/contact/") == before


async def test_2_a_fresh_entry_is_served_without_an_api_call(stored_env: Env) -> None:
    env = stored_env
    env.contact.add_user("Ann", email="ann@example.com")
    first = (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap()
    calls = env.calls("/contact/")
    env.clock.advance(DAY - 60)  # still inside the 24 h
    second = (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap()
    assert second == first
    assert env.calls("/contact/") == calls
    stats = env.lark.contact.cache_stats()
    assert (stats.hits, stats.misses, stats.hit_rate) == (1, 1, 0.5)


async def test_3_an_expired_entry_is_refreshed_from_feishu(stored_env: Env) -> None:
    env = stored_env
    ann = env.contact.add_user("Ann", email="ann@example.com", job_title="clerk")
    await env.lark.contact.get_user_by_email("ann@example.com")
    env.contact.update_user(ann, job_title="manager")
    cached = (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap()
    assert cached is not None and cached.job_title == "clerk"  # fresh: the stored copy
    env.clock.advance(DAY + 1)
    calls = env.calls(BATCH_GET_ID)
    refreshed = (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap()
    assert refreshed is not None and refreshed.job_title == "manager"
    assert env.calls(BATCH_GET_ID) == calls + 1
    assert env.lark.contact.cache_stats().refreshed == 1
    # and the store holds the new copy
    env.contact.update_user(ann, job_title="director")
    again = (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap()
    assert again is not None and again.job_title == "manager"


async def test_4_a_chat_by_its_name(stored_env: Env) -> None:
    env = stored_env
    chat_id = env.contact.add_chat("报销审批群", members=["ou_a", "ou_b"])
    env.contact.add_chat("报销审批群 (archive)")
    chat = (await env.lark.contact.get_chat_by_name("报销审批群")).unwrap()
    assert chat is not None and chat.chat_id == chat_id and chat.name == "报销审批群"
    details = (await env.lark.contact.get_chat(chat_id)).unwrap()
    assert details.member_count == 2 and details.owner_id == "ou_a"


async def test_5_department_members_with_every_id_warm_the_cache_in_one_write(
    stored_env: Env,
) -> None:
    env = stored_env
    dept = env.contact.add_department("Sales")
    people = env.contact.seed_users(120, department=dept)
    contact = env.lark.contact
    store = contact._cache.store
    writes: list[int] = []
    put_many = store.put_many

    async def counting(app_id: str, rows: dict[str, tuple[str, float]]) -> None:
        writes.append(len(rows))
        await put_many(app_id, rows)

    store.put_many = counting  # type: ignore[method-assign]
    users = (await contact.get_department_users(dept)).unwrap()
    assert len(users) == 120 and len(writes) == 1  # 3 pages of 50, one batch write
    assert {u.union_id for u in users} == set(people)
    assert all(u.open_id and u.user_id and u.union_id for u in users)
    calls = env.calls("/contact/")
    hit = (await contact.get_user_by_email("user7@example.com")).unwrap()
    assert hit is not None and hit.union_id == people[7]
    assert env.calls("/contact/") == calls  # warmed: no API call


async def test_6_two_apps_see_one_person_with_the_same_union_id_and_their_own_open_ids(
    stored_env: Env,
) -> None:
    env = stored_env
    env.fake.add_app("cli_second00000002", "second-secret")
    ann = env.contact.add_user("Ann", email="ann@example.com")
    mine = (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap()
    async with env.client("cli_second00000002", "second-secret") as other:
        theirs = (await other.contact.get_user_by_email("ann@example.com")).unwrap()
        assert env.calls(BATCH_GET_ID, "cli_second00000002") == 1  # not served from app 1's rows
        assert theirs is not None and mine is not None
        assert theirs.union_id == mine.union_id == ann
        assert theirs.open_id != mine.open_id
        assert theirs.open_id == env.contact.open_id(ann, "cli_second00000002")
        # isolated: forgetting app 2's rows leaves app 1's
        assert await other.contact.invalidate() > 0
    calls = env.calls("/contact/")
    assert (await env.lark.contact.get_user_by_email("ann@example.com")).unwrap() == mine
    assert env.calls("/contact/") == calls
