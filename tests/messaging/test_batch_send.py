"""message/v4/batch_send: chunking, invalid ids, and chunks that fail."""

from __future__ import annotations

import pytest

from lark_async.core.errors import (
    ErrorKind,
    InvalidParameter,
    NotFound,
    OutcomeUnknown,
    QuotaExceeded,
)
from lark_async.messaging import Card, Markdown, MessageContent, Messaging, RichText
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator

BATCH = "/open-apis/message/v4/batch_send/"


async def test_large_audience_is_chunked_by_200_and_invalid_ids_reported(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    users = im.seed_users(450)
    ghosts = ["ou_ghost1", "ou_ghost2"]
    report = await msg.batch_send("all hands at 3pm", open_ids=users + ghosts)
    bodies = [e.json for e in fake.journal.filter("POST", BATCH)]
    assert [len(b["open_ids"]) for b in bodies] == [200, 200, 52]
    assert len(report.chunks) == 3 and all(c.message_id for c in report.chunks)
    assert [r.receiver for r in report] == users + ghosts
    assert report.invalid_ids == ghosts
    assert isinstance(report[-1].error, NotFound)
    assert report.summary()["sent"] == 450
    assert report.chunks[2].invalid == 2
    assert report[0].message_id == report.chunks[0].message_id
    assert report[0].message_id.startswith("bm-")  # type: ignore[union-attr]
    delivered = sum(len(im.messages(receive_id=u)) for u in users)
    assert delivered == 450


async def test_every_id_list_and_departments(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    a = im.add_user(user_id="emp1")
    b = im.add_user()
    c = im.add_user()
    im.add_department("od-sales", [c["open_id"]])
    report = await msg.batch_send(
        RichText("Q3").paragraph("numbers are in"),
        open_ids=[a["open_id"], a["open_id"]],  # duplicates are sent once
        user_ids=["emp1"],
        union_ids=[b["union_id"]],
        department_ids=["od-sales", "od-none"],
    )
    body = fake.journal.last.json  # type: ignore[union-attr]
    assert body["msg_type"] == "post" and "post" in body["content"]
    assert body["open_ids"] == [a["open_id"]]
    assert [(r.receive_id_type, r.status) for r in report] == [
        ("open_id", "sent"),
        ("user_id", "sent"),
        ("union_id", "sent"),
        ("department_id", "sent"),
        ("department_id", "failed"),
    ]
    assert report.invalid_ids == ["od-none"]


async def test_card_image_and_share_chat_bodies(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    u = im.seed_users(1)
    chat = im.add_chat()
    assert (await msg.batch_send(Card(Markdown("hi")), open_ids=u)).all_sent
    assert "card" in fake.journal.last.json  # type: ignore[union-attr]
    up = await msg.upload_image(b"\x89PNG\r\n\x1a\n" + b"\x00" * 40)
    assert up.data is not None
    assert (await msg.batch_send(MessageContent.image(up.data.image_key), open_ids=u)).all_sent
    assert (await msg.batch_send(MessageContent.share_chat(chat), open_ids=u)).all_sent
    assert fake.journal.last.json["content"] == {"share_chat_id": chat}  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("kwargs", "fragment"),
    [
        ({}, "no ids given"),
        ({"open_ids": "ou_1"}, "single string"),
        ({"open_ids": ["on_1"]}, "ou_"),
        ({"union_ids": ["ou_1"]}, "on_"),
        ({"department_ids": ["0"]}, "root department"),
        ({"user_ids": ["a b"]}, "not a valid id"),
        ({"open_ids": ["ou_1"], "concurrency": 0}, "concurrency"),
    ],
)
async def test_bad_recipient_lists_raise_before_sending(
    msg: Messaging, fake: FakeLark, kwargs: dict[str, object], fragment: str
) -> None:
    with pytest.raises(InvalidParameter, match=fragment):
        await msg.batch_send("hi", **kwargs)  # type: ignore[arg-type]
    assert fake.journal.count("POST", BATCH) == 0


async def test_unsupported_content_raises_before_sending(msg: Messaging, fake: FakeLark) -> None:
    with pytest.raises(InvalidParameter, match="md"):
        await msg.batch_send(RichText("t").markdown("**x**"), open_ids=["ou_1"])
    with pytest.raises(InvalidParameter, match="send_to_many"):
        await msg.batch_send(MessageContent.file("file_1"), open_ids=["ou_1"])
    assert fake.journal.count("POST", BATCH) == 0


async def test_a_failed_chunk_fails_only_its_ids(
    msg: Messaging, im: ImEmulator, fake: FakeLark
) -> None:
    users = im.seed_users(250)
    fake.faults.fail(f"POST {BATCH}", status=200, code=11246, msg="create content fail")
    report = await msg.batch_send("hello", open_ids=users, concurrency=1)
    first, second = report.chunks
    assert first.error is not None and first.error.code == 11246
    assert second.error is None
    assert [r.ok for r in report].count(False) == 200
    assert report[0].error is first.error


async def test_a_lost_answer_is_not_resent(msg: Messaging, im: ImEmulator, fake: FakeLark) -> None:
    users = im.seed_users(3)
    fake.faults.drop(f"POST {BATCH}", after_processing=True)
    report = await msg.batch_send("once", open_ids=users)
    assert fake.journal.count("POST", BATCH) == 1  # no idempotency key: no blind resend
    assert all(isinstance(r.error, OutcomeUnknown) for r in report)
    assert sum(len(im.messages(receive_id=u)) for u in users) == 3  # it did go out


async def test_daily_quota_reads_as_quota_exceeded(msg: Messaging, im: ImEmulator) -> None:
    users = im.seed_users(3)
    im.state.batch_daily_limit = 2
    report = await msg.batch_send("hi", open_ids=users)
    err = report.chunks[0].error
    assert isinstance(err, QuotaExceeded) and err.code == 11247
    assert "500,000" in (err.hint or "")
    assert err.kind is ErrorKind.QUOTA_EXCEEDED


async def test_bad_parameter_code_is_not_a_credentials_problem(
    msg: Messaging, fake: FakeLark
) -> None:
    # 10003 means "bad app credentials" on auth/v3 but "invalid parameter" here
    fake.faults.fail(f"POST {BATCH}", status=200, code=10003, msg="invalid parameter")
    report = await msg.batch_send("hi", open_ids=["ou_1"])
    err = report.chunks[0].error
    assert isinstance(err, InvalidParameter) and err.code == 10003
