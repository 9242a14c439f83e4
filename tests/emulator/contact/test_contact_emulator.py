"""The contact emulator over raw HTTP: shapes, paging, per-app open_ids, scopes and codes."""

from __future__ import annotations

from typing import Any

import aiohttp

from lark_async.testing import ContactEmulator, FakeLark, ImEmulator
from tests.emulator.helpers import APP_ID, call, tenant_token

USERS = "/open-apis/contact/v3/users"
DEPTS = "/open-apis/contact/v3/departments"
CHATS = "/open-apis/im/v1/chats"
OTHER_APP, OTHER_SECRET = "cli_other000000002", "other-secret-0002"


async def get(
    session: aiohttp.ClientSession, fake: FakeLark, token: str, path: str, **params: Any
) -> tuple[int, Any]:
    status, body, _ = await call(session, fake, "GET", path, token=token, params=params)
    return status, body


async def test_batch_get_id_per_app_open_ids_and_omissions(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    contact = ContactEmulator.of(fake)
    fake.add_app(OTHER_APP, OTHER_SECRET)
    ann = contact.add_user("Ann", email="Ann@Example.com", mobile="+8613800000001")
    gone = contact.add_user("Gone", email="gone@example.com", resigned=True)
    token = await tenant_token(session, fake)
    body = {"emails": ["ann@example.com", "gone@example.com", "x@y.z"], "mobiles": ["13800000001"]}
    status, answer, _ = await call(
        session, fake, "POST", f"{USERS}/batch_get_id", token=token, json=body
    )
    assert status == 200 and answer["code"] == 0
    listed = answer["data"]["user_list"]
    mine = contact.open_id(ann, APP_ID)
    assert listed[0] == {
        "email": "ann@example.com",
        "user_id": mine,
        "status": {"is_resigned": False, "is_activated": True},
    }
    assert "user_id" not in listed[1] and "user_id" not in listed[2]  # resigned, unknown
    assert listed[3]["user_id"] == mine and listed[3]["mobile"] == "13800000001"
    other = await tenant_token(session, fake, OTHER_APP, OTHER_SECRET)
    _, theirs, _ = await call(
        session,
        fake,
        "POST",
        f"{USERS}/batch_get_id",
        token=other,
        json={"emails": ["ann@example.com"], "include_resigned": True},
    )
    assert theirs["data"]["user_list"][0]["user_id"] == contact.open_id(ann, OTHER_APP) != mine
    assert gone.startswith("on_")
    # the other app's open_id means nobody to this app
    status, answer = await get(session, fake, token, f"{USERS}/{contact.open_id(ann, OTHER_APP)}")
    assert (status, answer["code"]) == (400, 41012)
    # a sent message reaches Ann by the open_id this app got
    assert any(u.open_id == mine and u.app_id == APP_ID for u in ImEmulator.of(fake).state.users)


async def test_batch_get_id_limits_and_token_kind(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    token = await tenant_token(session, fake)
    emails = [f"u{i}@x.io" for i in range(51)]
    status, answer, _ = await call(
        session, fake, "POST", f"{USERS}/batch_get_id", token=token, json={"emails": emails}
    )
    assert (status, answer["code"]) == (400, 99992402)
    user_token = fake.issue_token(APP_ID, "user", subject="ou_x")
    status, answer, _ = await call(
        session, fake, "POST", f"{USERS}/batch_get_id", token=user_token, json={"emails": []}
    )
    assert status >= 400 and answer["code"] != 0


async def test_scopes(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    contact = ContactEmulator.of(fake)
    ann = contact.add_user("Ann", email="ann@example.com", mobile="+8613800000001")
    contact.revoke_scopes(APP_ID, "contact:user.phone:readonly", "contact:user.id:readonly")
    token = await tenant_token(session, fake)
    _, answer = await get(session, fake, token, f"{USERS}/{ann}", user_id_type="union_id")
    user = answer["data"]["user"]
    assert "mobile" not in user and user["email"] == "ann@example.com"
    status, answer, _ = await call(
        session, fake, "POST", f"{USERS}/batch_get_id", token=token, json={"emails": ["a@b.c"]}
    )
    assert (status, answer["code"]) == (400, 99991672)
    violation = answer["error"]["permission_violations"][0]
    assert violation == {"type": "action_scope_required", "subject": "contact:user.id:readonly"}
    assert "contact:user.id:readonly" in answer["msg"]


async def test_visibility(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    contact = ContactEmulator.of(fake)
    ann = contact.add_user("Ann", email="ann@example.com")
    contact.hide_user(ann, APP_ID)
    token = await tenant_token(session, fake)
    status, answer = await get(session, fake, token, f"{USERS}/{ann}", user_id_type="union_id")
    assert (status, answer["code"]) == (400, 41050)
    dept = contact.add_department("Secret")
    contact.hide_department(dept, APP_ID)
    status, answer = await get(session, fake, token, f"{DEPTS}/{dept}")
    assert (status, answer["code"]) == (403, 40004)


async def test_department_paging_and_deletion(
    fake: FakeLark, session: aiohttp.ClientSession
) -> None:
    contact = ContactEmulator.of(fake)
    dept = contact.add_department("Sales", department_id="D100")
    contact.seed_users(23, department=dept)
    token = await tenant_token(session, fake)
    seen: list[str] = []
    params: dict[str, Any] = {"department_id": dept, "page_size": 10}
    while True:
        status, answer = await get(session, fake, token, f"{USERS}/find_by_department", **params)
        assert status == 200, answer
        seen += [u["union_id"] for u in answer["data"]["items"]]
        if not answer["data"]["has_more"]:
            assert "page_token" not in answer["data"]
            break
        params["page_token"] = answer["data"]["page_token"]
    assert len(seen) == len(set(seen)) == 23
    _, by_custom = await get(
        session,
        fake,
        token,
        f"{USERS}/find_by_department",
        department_id="D100",
        department_id_type="department_id",
        page_size=50,
    )
    assert len(by_custom["data"]["items"]) == 23
    for bad, code in (({"page_size": 51}, 40011), ({"page_token": "nonsense"}, 40012)):
        status, answer = await get(
            session, fake, token, f"{USERS}/find_by_department", department_id=dept, **bad
        )
        assert (status, answer["code"]) == (400, code)
    contact.delete_department(dept)
    for path, params in (
        (f"{USERS}/find_by_department", {"department_id": dept}),
        (f"{DEPTS}/{dept}", {}),
        (f"{DEPTS}/{dept}/children", {}),
    ):
        status, answer = await get(session, fake, token, path, **params)
        assert (status, answer["code"]) == (400, 40015), path


async def test_department_children(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    contact = ContactEmulator.of(fake)
    top = contact.add_department("Top")
    mid = contact.add_department("Mid", parent=top)
    contact.add_department("Leaf", parent=mid)
    token = await tenant_token(session, fake)
    _, root = await get(session, fake, token, f"{DEPTS}/0/children")
    assert [d["name"] for d in root["data"]["items"]] == ["Top"]
    _, everything = await get(session, fake, token, f"{DEPTS}/0/children", fetch_child="true")
    assert [d["name"] for d in everything["data"]["items"]] == ["Top", "Mid", "Leaf"]
    _, one = await get(session, fake, token, f"{DEPTS}/{mid}")
    assert one["data"]["department"]["parent_department_id"] == top


async def test_chats(fake: FakeLark, session: aiohttp.ClientSession) -> None:
    im = ImEmulator.of(fake)
    ops = im.add_chat(name="Ops", members=["ou_a"])
    im.add_chat(name="ops review")
    im.add_chat(name="Ops hidden", bot_in_chat=False)
    token = await tenant_token(session, fake)
    _, found = await get(session, fake, token, f"{CHATS}/search", query="OPS")
    names = sorted(c["name"] for c in found["data"]["items"])
    assert names == ["Ops", "ops review"]
    _, chat = await get(session, fake, token, f"{CHATS}/{ops}")
    assert chat["data"]["user_count"] == "1" and chat["data"]["chat_status"] == "normal"
    status, answer = await get(session, fake, token, f"{CHATS}/oc_unknown")
    assert (status, answer["code"]) == (400, 232006)
    im.dissolve_chat(ops)
    status, answer = await get(session, fake, token, f"{CHATS}/{ops}")
    assert (status, answer["code"]) == (400, 232009)
    _, found = await get(session, fake, token, f"{CHATS}/search", query="Ops")
    statuses = {c["name"]: c["chat_status"] for c in found["data"]["items"]}
    assert statuses["Ops"] == "dissolved"
