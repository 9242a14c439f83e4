"""The testing kit: the lark_client fixture, the seed_* helpers, ThreadedFakeLark."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest

from lark_async import LarkClient
from lark_async.core.errors import LarkError
from lark_async.testing import (
    BitableEmulator,
    FakeLark,
    ImEmulator,
    SeededTable,
    SheetsEmulator,
    ThreadedFakeLark,
    seed_chat,
    seed_department,
    seed_records,
    seed_sheet,
    seed_table,
    seed_user,
    seed_users,
)
from lark_async.testing.seed import NUMBER, SINGLE_SELECT, TEXT

ECHO = "/open-apis/emulator/v1/echo"


# --- the lark_client fixture ----------------------------------------------------------------
async def test_lark_client_is_wired_to_fake_lark(
    lark_client: LarkClient, fake_lark: FakeLark
) -> None:
    assert lark_client.domain == fake_lark.url
    resp = await lark_client.request("GET", ECHO)
    assert resp.unwrap()["app_id"] == fake_lark.app_id
    assert fake_lark.token_fetches(fake_lark.app_id) == 1


class TestClientOptions:
    @pytest.fixture
    def lark_client_options(self) -> dict[str, Any]:
        return {"max_retries": 0}

    async def test_options_reach_the_client(
        self, lark_client: LarkClient, fake_lark: FakeLark
    ) -> None:
        fake_lark.faults.fail(ECHO, status=500, code=1500, times=1)
        resp = await lark_client.request("GET", ECHO, idempotent=True)
        assert not resp.ok  # no retry with max_retries=0
        assert fake_lark.journal.count("GET", ECHO) == 1


# --- Bitable --------------------------------------------------------------------------------
async def test_seed_table_then_read_it_with_the_client(
    lark_client: LarkClient, fake_lark: FakeLark
) -> None:
    table = seed_table(
        fake_lark,
        [
            {"field_name": "Name", "type": TEXT},
            {"field_name": "Score", "type": NUMBER},
            {"field_name": "Team", "type": SINGLE_SELECT, "property": {"options": ["red", "blue"]}},
        ],
        [{"Name": "Ann", "Score": 7, "Team": "red"}, {"Name": "Bob", "Score": 3}],
        name="People",
    )
    assert isinstance(table, SeededTable)
    assert table.app_token.startswith("bascn") and table.table_id.startswith("tbl")
    assert list(table.field_ids) == ["Name", "Score", "Team"]
    assert len(table.record_ids) == 2
    more = seed_records(fake_lark, table, [{"Name": "Cy", "Score": 5}])
    rows = await lark_client.bitable.search_records(
        table.app_token, table.table_id, sort="Score"
    ).to_list()
    assert [r.record_id for r in rows] == [table.record_ids[1], more[0], table.record_ids[0]]
    assert rows[2].fields["Team"] == "red"


def test_seed_table_in_an_existing_base_and_shorthand_fields(fake_lark_threaded: Any) -> None:
    first = seed_table(fake_lark_threaded, {"Name": TEXT}, app_token="bascnKitBase0001")
    second = seed_table(fake_lark_threaded, {"Title": TEXT}, app_token=first.app_token)
    assert first.app_token == second.app_token == "bascnKitBase0001"
    assert first.table_id != second.table_id
    bitable = BitableEmulator.of(fake_lark_threaded.fake)
    assert list(bitable.state.bases[first.app_token].tables) == [first.table_id, second.table_id]


def test_a_bad_record_is_a_value_error_naming_its_row(fake_lark_threaded: Any) -> None:
    with pytest.raises(ValueError, match=r"records\[1\]"):
        seed_table(
            fake_lark_threaded, {"Name": TEXT, "Score": NUMBER}, [{"Score": 1}, {"Score": "x"}]
        )
    with pytest.raises(ValueError, match="type must be one of"):
        seed_table(fake_lark_threaded, {"Name": 999})


# --- Sheets ---------------------------------------------------------------------------------
async def test_seed_sheet_then_read_it_with_the_client(
    lark_client: LarkClient, fake_lark: FakeLark
) -> None:
    sheet = seed_sheet(fake_lark, [["Name", "Score"], ["Ann", 7], ["Bob", None]], start="B2")
    assert sheet.value_range == f"{sheet.sheet_id}!B2:C4"
    resp = await lark_client.sheets.get_sheet_data(sheet.spreadsheet_token, sheet.value_range)
    assert resp.unwrap().values == [["Name", "Score"], ["Ann", 7], ["Bob", None]]
    empty = seed_sheet(fake_lark, title="Empty", sheet="Data")
    assert empty.value_range == empty.sheet_id
    assert SheetsEmulator.of(fake_lark).sheet_id(empty.spreadsheet_token, "Data") == empty.sheet_id


def test_a_bad_cell_is_a_value_error(fake_lark_threaded: Any) -> None:
    with pytest.raises(ValueError, match="finite"):
        seed_sheet(fake_lark_threaded, [[float("nan")]])
    with pytest.raises(ValueError, match="not one cell"):
        seed_sheet(fake_lark_threaded, [["x"]], start="A1:B2")


# --- contact and chats -------------------------------------------------------------------------
async def test_seed_people_and_find_them_with_the_client(
    lark_client: LarkClient, fake_lark: FakeLark
) -> None:
    ops = seed_department(fake_lark, "Ops")
    ann = seed_user(fake_lark, "Ann", email="ann@example.com", departments=[ops], job_title="SRE")
    assert ann.open_id.startswith("ou_") and ann.union_id.startswith("on_")
    found = (await lark_client.contact.get_user_by_email("ann@example.com")).unwrap()
    assert found is not None and found.open_id == ann.open_id
    crowd = seed_users(fake_lark, 3)
    assert [u.email for u in crowd] == [f"user{i}@example.com" for i in range(3)]
    with pytest.raises(ValueError, match="exists already"):
        seed_user(fake_lark, "Ann again", email="ann@example.com")


async def test_seed_chat_and_send_to_it(lark_client: LarkClient, fake_lark: FakeLark) -> None:
    ann, bob = seed_user(fake_lark, "Ann"), seed_user(fake_lark, "Bob")
    chat_id = seed_chat(fake_lark, "ops", members=[ann, bob.open_id])
    assert chat_id.startswith("oc_")
    sent = (await lark_client.messaging.send_text_message(chat_id, "deploy done")).unwrap()
    stored = ImEmulator.of(fake_lark).messages(chat_id=chat_id)
    assert [m["message_id"] for m in stored] == [sent.message_id]
    assert ImEmulator.of(fake_lark).state.chats[chat_id].members == [ann.open_id, bob.open_id]
    no_bot = seed_chat(fake_lark, "private", bot_in_chat=False)
    with pytest.raises(LarkError) as info:
        (await lark_client.messaging.send_text_message(no_bot, "hi")).unwrap()
    assert info.value.code == 230002


async def test_seed_chat_refuses_members_nobody_seeded(fake_lark: FakeLark) -> None:
    ann = seed_user(fake_lark, "Ann")
    with pytest.raises(ValueError, match="ou_nobody"):
        seed_chat(fake_lark, "ops", members=[ann, "ou_nobody"])
    assert not ImEmulator.of(fake_lark).state.chats  # nothing half made


def test_seed_helpers_refuse_something_else() -> None:
    with pytest.raises(TypeError, match="FakeLark or ThreadedFakeLark"):
        seed_user(object(), "Ann")  # type: ignore[arg-type]


# --- ThreadedFakeLark ---------------------------------------------------------------------------
def test_threaded_emulator_serves_clients_on_any_loop(fake_lark_threaded: ThreadedFakeLark) -> None:
    server = fake_lark_threaded
    ann = seed_user(server, "Ann", email="ann@example.com")

    async def send() -> str:
        async with LarkClient(server.app_id, server.app_secret, domain=server.url) as lark:
            resp = await lark.messaging.send_text_message(ann.open_id, "hi")
            return resp.unwrap().message_id

    first = asyncio.run(send())
    second = asyncio.run(send())  # another loop, the same emulator
    sent = server.call(lambda: ImEmulator.of(server.fake).messages(receive_id=ann.open_id))
    assert [m["message_id"] for m in sent] == [first, second]


def test_threaded_call_and_run_happen_on_the_emulator_thread() -> None:
    with ThreadedFakeLark() as server:
        here = threading.get_ident()
        assert server.call(threading.get_ident) != here

        async def where() -> int:
            await asyncio.sleep(0)
            return threading.get_ident()

        assert server.run(where()) == server.call(threading.get_ident)
        with pytest.raises(KeyError):
            server.call(BitableEmulator.of(server.fake).records, "bascnNope", "tblNope")
    assert not server.running
    server.stop()  # idempotent
    with pytest.raises(RuntimeError, match="not running"):
        _ = server.url
    with pytest.raises(RuntimeError, match="not running"):
        server.call(print)


def test_threaded_start_failure_is_raised_by_start() -> None:
    with ThreadedFakeLark() as taken:
        port = int(taken.url.rsplit(":", 1)[1])
        with pytest.raises(OSError), ThreadedFakeLark(port=port):
            pass
    with pytest.raises(TypeError):
        ThreadedFakeLark(no_such_option=1).start()


def test_threaded_options_come_from_fake_lark_options() -> None:
    with ThreadedFakeLark(time_func=lambda: 1_700_000_000.0, latency=0.0) as server:
        assert server.call(server.fake.now) == 1_700_000_000.0
        assert repr(server).startswith("ThreadedFakeLark(url='http://127.0.0.1:")


# --- the plugin under pytest-asyncio strict mode and under anyio -------------------------------
PLUGIN_TESTS = """
import asyncio

import pytest

from lark_async.testing import ImEmulator, seed_table, seed_user
from lark_async.testing.seed import NUMBER, TEXT


@pytest.fixture
def anyio_backend():
    return "asyncio"


async def _round_trip(fake_lark, lark_client):
    ann = seed_user(fake_lark, "Ann", email="ann@example.com")
    sent = (await lark_client.messaging.send_text_message(ann.open_id, "hi")).unwrap()
    assert [m["message_id"] for m in ImEmulator.of(fake_lark).messages(receive_id=ann.open_id)] == [
        sent.message_id
    ]
    table = seed_table(fake_lark, {"Name": TEXT, "Score": NUMBER}, [{"Name": "Ann", "Score": 1}])
    rows = await lark_client.bitable.search_records(table.app_token, table.table_id).to_list()
    assert [r.record_id for r in rows] == table.record_ids


@pytest.mark.anyio
async def test_with_anyio(fake_lark, lark_client):
    await _round_trip(fake_lark, lark_client)


MARK
async def test_with_pytest_asyncio(fake_lark, lark_client):
    await _round_trip(fake_lark, lark_client)


def test_sync_with_the_threaded_emulator(fake_lark_threaded):
    ann = seed_user(fake_lark_threaded, "Ann")
    assert ann.open_id.startswith("ou_")
"""


def _run_pytest(tmp_path: Path, source: str, *args: str) -> subprocess.CompletedProcess[str]:
    (tmp_path / "test_kit.py").write_text(textwrap.dedent(source))
    (tmp_path / "pytest.ini").write_text("[pytest]\nfilterwarnings = error\n")
    env = {**os.environ, "PYTHONDONTWRITEBYTECODE": "1"}
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", *args],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=90,
        check=False,
    )


def test_the_plugin_under_strict_pytest_asyncio_and_anyio_together(tmp_path: Path) -> None:
    source = PLUGIN_TESTS.replace("MARK", "@pytest.mark.asyncio")
    result = _run_pytest(
        tmp_path,
        source,
        "--asyncio-mode=strict",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


def test_the_plugin_under_anyio_alone(tmp_path: Path) -> None:
    source = PLUGIN_TESTS.replace("MARK", "@pytest.mark.anyio")
    result = _run_pytest(tmp_path, source, "-p", "no:asyncio")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "3 passed" in result.stdout


ANYIO_UNDER_AUTO = """
import pytest


@pytest.fixture
def anyio_backend():
    return "asyncio"


@pytest.fixture
def lark_client_options():
    return {"timeout": 2, "max_retries": 0}  # without the check, fail in seconds, not minutes


@pytest.mark.anyio
async def test_with_anyio(fake_lark, lark_client):
    assert (await lark_client.request("GET", "/open-apis/emulator/v1/echo")).ok
"""


def test_an_anyio_test_under_auto_mode_fails_at_once_and_says_why(tmp_path: Path) -> None:
    # pytest-asyncio in auto mode would run the fixtures on its own loop and anyio the test
    # on another: the emulator is never served and the test used to hang for minutes.
    result = _run_pytest(
        tmp_path,
        ANYIO_UNDER_AUTO,
        "--asyncio-mode=auto",
        "-o",
        "asyncio_default_fixture_loop_scope=function",
    )
    out = result.stdout + result.stderr
    assert result.returncode == 1, out
    assert "1 error" in result.stdout, out
    assert "needs pytest-asyncio in strict mode" in out, out
    assert "-p no:asyncio" in out, out
