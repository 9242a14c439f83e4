"""Collaborators and public settings (CONTRACT §8)."""

from __future__ import annotations

import pytest

from lark_async.core.errors import InvalidParameter
from lark_async.docs.permissions import infer_member_type
from tests.docs.conftest import Env


async def test_grant_list_revoke_round_trip(env: Env) -> None:
    docs = env.lark.docs
    granted = (await docs.grant_permission(env.doc_id, "ou_alice", "edit")).unwrap()
    assert (granted.member_type, granted.perm) == ("openid", "edit")
    (await docs.grant_permission(env.doc_id, "bob@example.com", "view")).unwrap()
    (await docs.grant_permission(env.doc_id, "oc_team", "full_access")).unwrap()
    members = (await docs.list_permissions(env.doc_id)).unwrap()
    assert {(m.member_id, m.member_type, m.perm) for m in members} == {
        ("ou_alice", "openid", "edit"),
        ("bob@example.com", "email", "view"),
        ("oc_team", "openchat", "full_access"),
    }
    (await docs.revoke_permission(env.doc_id, "ou_alice")).unwrap()
    (await docs.revoke_permission(env.doc_id, "bob@example.com")).unwrap()
    left = (await docs.list_permissions(env.doc_id)).unwrap()
    assert [m.member_id for m in left] == ["oc_team"]
    assert env.docs.members(env.doc_id) == [
        {"member_type": "openchat", "member_id": "oc_team", "perm": "full_access", "type": "user"}
    ]


async def test_public_settings(env: Env) -> None:
    docs = env.lark.docs
    changed = await docs.update_public_settings(
        env.doc_id, link_share_entity="tenant_editable", comment_entity="anyone_can_edit"
    )
    assert changed.unwrap().link_share_entity == "tenant_editable"
    now = (await docs.get_public_settings(env.doc_id)).unwrap()
    assert (now.comment_entity, now.copy_entity) == ("anyone_can_edit", "anyone_can_view")


async def test_comment_is_a_public_setting(env: Env) -> None:
    with pytest.raises(InvalidParameter) as caught:
        await env.lark.docs.grant_permission(env.doc_id, "ou_a", "comment")
    assert "comment_entity" in (caught.value.hint or "")
    assert len(env.fake.journal) == 0


@pytest.mark.parametrize(
    ("member_id", "expected"),
    [
        ("ou_1", "openid"),
        ("on_1", "unionid"),
        ("oc_1", "openchat"),
        ("od-1", "opendepartmentid"),
        ("a.b@c.io", "email"),
    ],
)
def test_member_type_from_the_id(member_id: str, expected: str) -> None:
    assert infer_member_type(member_id, None) == expected


async def test_an_ambiguous_id_needs_member_type(env: Env) -> None:
    with pytest.raises(InvalidParameter, match="member_type"):
        await env.lark.docs.grant_permission(env.doc_id, "3f8a91", "view")
    with pytest.raises(InvalidParameter, match="perm"):
        await env.lark.docs.grant_permission(env.doc_id, "ou_a", "owner")
    with pytest.raises(InvalidParameter, match="doc_type"):
        await env.lark.docs.list_permissions(env.doc_id, doc_type="pdf")
    with pytest.raises(InvalidParameter, match="token"):
        await env.lark.docs.list_permissions("https://x.feishu.cn/docx/abc")
    with pytest.raises(InvalidParameter, match="link_share_entity"):
        await env.lark.docs.update_public_settings(env.doc_id, link_share_entity="everyone")
    assert len(env.fake.journal) == 0
    member = await env.lark.docs.grant_permission(
        env.doc_id, "3f8a91", "view", member_type="userid"
    )
    assert member.unwrap().member_type == "userid"
