"""The docs emulator answered raw: block tree, caps, de-dup, revisions, paging,
media uploads and permissions (CONTRACT §6-§8)."""

from __future__ import annotations

from typing import Any

import aiohttp
import pytest

from lark_async.testing import DocsEmulator, FakeLark
from tests.emulator.helpers import call, tenant_token

DOCS = "/open-apis/docx/v1/documents"
MEDIAS = "/open-apis/drive/v1/medias"


class Api:
    def __init__(self, fake: FakeLark, session: aiohttp.ClientSession, token: str) -> None:
        self.fake, self.session, self.token = fake, session, token
        self.docs = DocsEmulator.of(fake)
        self.doc = self.docs.create_document("T")

    async def __call__(self, method: str, path: str, **kwargs: Any) -> tuple[int, dict[str, Any]]:
        status, body, _ = await call(
            self.session, self.fake, method, path, token=self.token, **kwargs
        )
        assert isinstance(body, dict), body
        return status, body

    async def add(
        self, children: list[dict[str, Any]], **params: Any
    ) -> tuple[int, dict[str, Any]]:
        path = f"{DOCS}/{self.doc}/blocks/{self.doc}/children"
        return await self("POST", path, json={"children": children}, params=params)


def para(text: str) -> dict[str, Any]:
    return {"block_type": 2, "text": {"elements": [{"text_run": {"content": text}}]}}


@pytest.fixture
async def api(fake: FakeLark, session: aiohttp.ClientSession) -> Api:
    fake.enforce_rate_limits = False  # the limits have their own tests
    api = Api(fake, session, await tenant_token(session, fake))
    api.docs.set_edits_per_document(None)
    return api


async def test_children_cap_and_client_token_replay(api: Api) -> None:
    status, body = await api.add([para(str(i)) for i in range(51)])
    assert (status, body["code"]) == (400, 1770007)
    first = await api.add([para("a")], client_token="tok-1")
    again = await api.add([para("a")], client_token="tok-1")
    assert first == again and api.docs.texts(api.doc) == ["a"]
    assert first[1]["data"]["client_token"] == "tok-1"


async def test_resource_cap_and_uncreatable_blocks(api: Api) -> None:
    images = [{"block_type": 27, "image": {}} for _ in range(21)]
    assert (await api.add(images))[1]["code"] == 1770035
    assert (await api.add([{"block_type": 1, "page": {}}]))[1]["code"] == 1770029
    assert api.docs.blocks(api.doc)[0]["children"] == []  # nothing half-created


async def test_revision_window_and_paging(api: Api) -> None:
    for start in range(0, 600, 50):
        assert (await api.add([para(str(i)) for i in range(start, start + 50)]))[1]["code"] == 0
    rev = api.docs.revision(api.doc)
    assert rev == 13
    api.docs.bump_revision(api.doc, 1001)
    _, body = await api.add([para("x")], document_revision_id=rev - 1)
    assert body["code"] == 1770021
    _, page1 = await api("GET", f"{DOCS}/{api.doc}/blocks", params={"page_size": 500})
    assert page1["data"]["has_more"] and len(page1["data"]["items"]) == 500
    token = page1["data"]["page_token"]
    _, page2 = await api("GET", f"{DOCS}/{api.doc}/blocks", params={"page_token": token})
    assert len(page2["data"]["items"]) == 101 and not page2["data"]["has_more"]
    _, bad = await api("GET", f"{DOCS}/{api.doc}/blocks", params={"page_token": "zz"})
    assert bad["code"] == 1770022


async def test_table_cells_come_with_an_empty_paragraph(api: Api) -> None:
    table = {"block_type": 31, "table": {"property": {"row_size": 2, "column_size": 3}}}
    _, body = await api.add([table])
    made = body["data"]["children"][0]
    assert len(made["children"]) == 6 == len(made["table"]["cells"])
    tree = api.docs.blocks(api.doc)
    assert [b["block_type"] for b in tree[2:4]] == [32, 2]


async def test_multipart_needs_every_part(api: Api) -> None:
    _, made = await api.add([{"block_type": 27, "image": {}}])
    block = made["data"]["children"][0]["block_id"]
    prep = {"file_name": "a.png", "parent_type": "docx_image", "parent_node": block, "size": 5}
    _, prepared = await api("POST", f"{MEDIAS}/upload_prepare", json=prep)
    upload_id = prepared["data"]["upload_id"]
    assert prepared["data"]["block_num"] == 1
    _, early = await api(
        "POST", f"{MEDIAS}/upload_finish", json={"upload_id": upload_id, "block_num": 1}
    )
    assert early["code"] == 1062010
    form = aiohttp.FormData()
    for k, v in {"upload_id": upload_id, "seq": "0", "size": "4"}.items():
        form.add_field(k, v)
    form.add_field("file", b"12345", filename="a.png")
    _, wrong = await api("POST", f"{MEDIAS}/upload_part", data=form)
    assert wrong["code"] == 1062009
    bad_parent = {**prep, "parent_node": "nope"}
    assert (await api("POST", f"{MEDIAS}/upload_prepare", json=bad_parent))[1]["code"] == 1061044


async def test_members_must_fit_their_type(api: Api) -> None:
    path = f"/open-apis/drive/v1/permissions/{api.doc}/members"
    body = {"member_type": "openid", "member_id": "oc_chat", "perm": "view"}
    assert (await api("POST", path, params={"type": "docx"}, json=body))[1]["code"] == 1063001
    assert (await api("GET", path, params={"type": "sheet"}))[1]["code"] == 1063001


async def test_stopping_the_emulator_deletes_the_drive_folder() -> None:
    """Uploaded bytes live on disk until FakeLark.stop(), not until garbage collection."""
    from lark_async.testing import FakeLark
    from lark_async.testing.docs.state import DocsState

    fake = FakeLark()
    await fake.start()
    folder = fake.state(DocsState).folder
    (folder / "part").write_bytes(b"1234")
    await fake.stop()
    assert not folder.exists()
    assert fake.state(DocsState).folder.is_dir()  # a later upload gets a new folder
    fake.state(DocsState).release_files()
