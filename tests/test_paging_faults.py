"""Every page_token loop stops on a server that repeats a token or says has_more without one.

Each case replaces one paged route of the emulator with an answer that always says
``has_more: true`` and hands back the same ``page_token`` (or an empty one); the
listing must end with a typed ``ServerError`` after a bounded number of requests.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest

from lark_async import LarkClient
from lark_async.core.clock import FakeClock
from lark_async.core.errors import LarkError, ServerError
from lark_async.testing import ApaasEmulator, FakeLark, FakeRequest
from tests.helpers import client_for, emulator

UAT = "u-paging-test-token"  # the replaced aPaaS routes take any token
WS = "/open-apis/apaas/v1/workspaces/{workspace_id}"
AILY = "/open-apis/aily/v1/sessions/{session_id}/messages"
CONTACT = "/open-apis/contact/v3"
DOC = "/open-apis/docx/v1/documents/{document_id}"
BASE = "/open-apis/bitable/v1/apps/{app_token}"
TABLE = BASE + "/tables/{table_id}"
DOC_ID = "doxcnPagingTest000000000001"
APP_TOKEN = "bascnPagingTest00000000001"
TABLE_ID = "tblPagingTest001"
NAME_FIELD = {"field_id": "fld1", "field_name": "Name", "type": 1}

Call = Callable[[LarkClient], Awaitable[LarkError | None]]


async def raised(items: Any) -> LarkError | None:
    """An async iterator's error (iterators raise)."""
    try:
        async for _ in items:
            pass
    except LarkError as err:
        return err
    return None


@dataclass
class Case:
    id: str
    method: str
    template: str
    items_key: str
    call: Call
    auth_none: bool = False  # aPaaS tables take user tokens only: the test route takes any


CASES = [
    Case(
        "apaas.list_workspace_tables",
        "GET",
        WS + "/tables",
        "items",
        lambda lark: _error(lark.apaas.list_workspace_tables("ws_1", user_access_token=UAT)),
        auth_none=True,
    ),
    Case(
        "apaas.iter_table_records",
        "GET",
        WS + "/tables/{table_name}/records",
        "items",
        lambda lark: raised(lark.apaas.iter_table_records("ws_1", "t1", user_access_token=UAT)),
        auth_none=True,
    ),
    Case(
        "apaas.invoke_ai_capability (run messages)",
        "GET",
        AILY,
        "messages",
        lambda lark: _error(lark.apaas.invoke_ai_capability("spring_a__c/s", "hi")),
    ),
    Case(
        "contact.get_department_users",
        "GET",
        CONTACT + "/users/find_by_department",
        "items",
        lambda lark: _error(lark.contact.get_department_users("od-1")),
    ),
    Case(
        "contact.iter_departments",
        "GET",
        CONTACT + "/departments/{department_id}/children",
        "items",
        lambda lark: raised(lark.contact.iter_departments()),
    ),
    Case(
        "contact.search_chats",
        "GET",
        "/open-apis/im/v1/chats/search",
        "items",
        lambda lark: _error(lark.contact.search_chats("team")),
    ),
    Case(
        "docs.iter_blocks",
        "GET",
        DOC + "/blocks",
        "items",
        lambda lark: raised(lark.docs.iter_blocks(DOC_ID)),
    ),
    Case(
        "docs.get_document_content",
        "GET",
        DOC + "/blocks",
        "items",
        lambda lark: _error(lark.docs.get_document_content(DOC_ID)),
    ),
    Case(
        "docs descendants (append_content's table fill)",
        "GET",
        DOC + "/blocks/{block_id}/children",
        "items",
        lambda lark: _error(lark.docs._descendants(DOC_ID, "blk1")),
    ),
    Case(
        "bitable.search_records",
        "POST",
        TABLE + "/records/search",
        "items",
        lambda lark: raised(lark.bitable.search_records(APP_TOKEN, TABLE_ID)),
    ),
    Case(
        "bitable.list_tables",
        "GET",
        BASE + "/tables",
        "items",
        lambda lark: raised(lark.bitable.list_tables(APP_TOKEN)),
    ),
    Case(
        "bitable.list_fields",
        "GET",
        TABLE + "/fields",
        "items",
        lambda lark: raised(lark.bitable.list_fields(APP_TOKEN, TABLE_ID)),
    ),
    Case(
        "bitable bulk key scan",
        "POST",
        TABLE + "/records/search",
        "items",
        lambda lark: _aborted(lark, "scan"),
    ),
    Case(
        "bitable bulk key search",
        "POST",
        TABLE + "/records/search",
        "items",
        lambda lark: _aborted(lark, "search"),
    ),
]


async def _error(call: Awaitable[Any]) -> LarkError | None:
    """A ``LarkResponse``'s error (those functions return it, never raise)."""
    resp = await call
    assert not resp.ok
    error: LarkError | None = resp.error
    return error


async def _aborted(lark: LarkClient, lookup: Any) -> LarkError | None:
    report = await lark.bitable.bulk_upsert(
        APP_TOKEN, TABLE_ID, [{"Name": "a"}], key="Name", lookup=lookup
    )
    assert not report.ok
    return report.aborted or report.failed[0].error


def _looping(fake: FakeLark, case: Case, token: str) -> list[int]:
    hits = [0]

    def answer(req: FakeRequest) -> dict[str, Any]:
        hits[0] += 1
        return {case.items_key: [], "has_more": True, "page_token": token}

    kwargs: dict[str, Any] = {"auth": None} if case.auth_none else {}
    fake.route(case.method, case.template, **kwargs)(answer)
    if "bulk" in case.id and case.template.endswith("/records/search"):

        @fake.route("GET", TABLE + "/fields")
        def fields(req: FakeRequest) -> dict[str, Any]:
            return {"items": [NAME_FIELD], "has_more": False, "page_token": ""}

    return hits


@pytest.mark.parametrize("token", ["same", ""], ids=["repeated-token", "no-token"])
@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
async def test_a_looping_server_ends_the_listing_with_a_server_error(
    case: Case, token: str
) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake:
        ApaasEmulator.of(fake).add_skill("spring_a__c", "s", output="done", delay=0.5)
        hits = _looping(fake, case, token)
        async with client_for(fake, clock) as lark:
            err = await case.call(lark)
        assert fake.handler_errors == []
    assert isinstance(err, ServerError), err
    assert 1 <= hits[0] <= 3
    if token:
        assert "repeated page token 'same' after 2 pages" in err.message
    else:
        assert "has_more but gave no page_token after 1 page" in err.message
    assert err.hint is not None and "server-side paging fault" in err.hint
    assert "log_id" in err.hint
    assert err.request_id and err.log_id


async def test_bulk_field_check_stops_on_a_looping_server(caplog: pytest.LogCaptureFixture) -> None:
    """A bulk run reads the table's fields first; a looping answer ends that read
    (the run then writes without a field check, as on any non-fatal schema error)."""
    clock = FakeClock()
    async with emulator(clock) as fake:
        hits = _looping(fake, Case("bulk fields", "GET", TABLE + "/fields", "items", _none), "same")
        async with client_for(fake, clock) as lark:
            await lark.bitable.bulk_create(APP_TOKEN, TABLE_ID, [{"Name": "a"}])
        assert fake.handler_errors == []
    assert hits[0] == 2
    assert any(
        "writing without a field check" in r.getMessage() and "error_kind=Server" in r.getMessage()
        for r in caplog.records
    )


async def _none(lark: LarkClient) -> None:
    return None
