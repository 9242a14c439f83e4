"""CSV import users can trust: exact errors, the base's time zone, dates on export, and
an import journal that resumes after Ctrl-C without doubling a row."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from lark_async.bitable import Schema, TableField
from lark_async.bitable.files import check_csv, date_text, read_header, read_rows, time_zone
from lark_async.bitable.journal import ImportJournal, file_identity, journal_path
from lark_async.core.errors import InvalidParameter
from tests.bitable.test_cli import APP_ID, SECRET, Hosted, cli, stored

FIELDS = [
    {"field_name": "Name", "type": 1},
    {"field_name": "Score", "type": 2},
    {"field_name": "Active", "type": 7},
    {"field_name": "Day", "type": 5},
]
SCHEMA = Schema([TableField(field_name=f["field_name"], type=f["type"]) for f in FIELDS])
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def base() -> Iterator[tuple[Hosted, Any, str, str]]:
    from lark_async.testing.bitable import BitableEmulator

    h = Hosted()
    bt = BitableEmulator.of(h.fake)
    app_token = h.call(lambda: bt.create_app(name="CSV", time_zone="Asia/Shanghai"))
    table_id = h.call(lambda: bt.create_table(app_token, name="Scores", fields=FIELDS))
    yield h, bt, app_token, table_id
    h.close()


def problems(tmp_path: Path, text: str) -> list[str]:
    path = tmp_path / "data.csv"
    path.write_text(text, encoding="utf-8")
    return [str(p) for p in check_csv(path, schema=SCHEMA).problems]


# --- errors that name the line, the column and the value ------------------------------------
def test_the_failing_cell_is_named_not_a_good_neighbour(tmp_path: Path) -> None:
    # Before: "'Score': expects a number, got '7'" (the whole row fell back to text).
    found = problems(tmp_path, "Name,Score,Active\nAda,7,yes\nBob,7,maybe\n")
    assert found == ["line 3, column 'Active': 'maybe' is not a yes/no value"]


def test_every_bad_cell_of_a_file_is_listed(tmp_path: Path) -> None:
    found = problems(
        tmp_path, "Name,Score,Active,Day\nAda,x,yes,2024-05-01\nBob,1,no,soon\nCy,2,yes,\n"
    )
    assert found == [
        "line 2, column 'Score': 'x' is not a number",
        "line 3, column 'Day': 'soon' is neither epoch ms nor an ISO date",
    ]


def test_missing_and_extra_cells_are_errors_with_their_line(tmp_path: Path) -> None:
    found = problems(tmp_path, "Name,Score,Active\nAda,1,yes\n\nBob,2\nCy,3,no,extra\n")
    assert found == [
        "line 4: 2 cells, the header has 3: no 'Active'",
        "line 5: 4 cells, the header has 3: an extra cell 'extra' after 'Active'",
    ]


def test_an_unclosed_quote_is_an_error_not_a_merged_row(tmp_path: Path) -> None:
    found = problems(tmp_path, 'Name,Score\nAda,1\n"Bob,2\nCy,3\n')
    assert found == [
        "line 3: a quoted cell is never closed (it runs to the end of the file, line 4)"
    ]
    # a quote that closes lines later makes a row of the wrong width: named by its first line
    found = problems(tmp_path, 'Name,Score,Active\n"Ada,1,yes\nBob",2\nCy,3,no\n')
    assert found == [
        "line 2: 2 cells, the header has 3: no 'Active' (a quoted cell runs on to line 3)"
    ]


def test_header_problems(tmp_path: Path) -> None:
    assert problems(tmp_path, "Name,Nope\nAda,1\n") == [
        "line 1: no field named 'Nope' in the table (fields: Name, Score, Active, Day)"
    ]
    assert problems(tmp_path, "Name,Name\nAda,Bob\n") == [
        "line 1: the header names column 'Name' twice"
    ]
    assert problems(tmp_path, "Name,Score\nAda,1\n,,\n")[0] == (
        "line 3: 3 cells, the header has 2: an extra cell '' after 'Score'"
    )


def test_read_rows_raises_at_the_first_bad_line(tmp_path: Path) -> None:
    path = tmp_path / "data.csv"
    path.write_text("Name,Score\nAda,1\nBob\n", encoding="utf-8")
    rows = read_rows(path, schema=SCHEMA)
    assert next(rows) == {"Name": "Ada", "Score": 1}
    with pytest.raises(InvalidParameter, match=r"data\.csv line 3: 1 cells, the header has 2"):
        next(rows)


def test_cli_lists_the_problems_and_writes_nothing(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = base
    src = tmp_path / "people.csv"
    src.write_text("Name,Score,Active\nAda,7,maybe\nBob,8\n", encoding="utf-8")
    result = cli(h, "import", str(src), "--app-token", app_token, "--table", table_id)
    assert result.exit_code == 2, result.output
    said = result.output
    assert "people.csv line 2, column 'Active': 'maybe' is not a yes/no value" in said
    assert "people.csv line 3: 2 cells, the header has 3: no 'Active'" in said
    assert "2 problems; nothing was imported" in " ".join(said.split())
    assert stored(h, bt, app_token, table_id) == []
    assert not journal_path(src).exists()


def test_update_without_a_record_id_column_fails_at_the_header(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, _bt, app_token, table_id = base
    src = tmp_path / "people.csv"
    src.write_text("Name,Score\nAda,1\n", encoding="utf-8")
    before = len(h.fake.journal)
    result = cli(
        h, "import", str(src), "--app-token", app_token, "--table", table_id, "--mode", "update"
    )
    assert result.exit_code == 2, result.output
    said = " ".join(result.output.split())
    assert "--mode update needs a record_id column; people.csv line 1 has Name, Score" in said
    assert len(h.fake.journal) == before  # not one request


# --- time zones ----------------------------------------------------------------------------
def test_dates_without_a_zone_are_read_in_the_base_zone_and_exported_back(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = base
    src = tmp_path / "days.csv"
    src.write_text(
        "Name,Day\nlocal,2024-05-01\nnoon,2024-05-01 12:30\nexplicit,2024-05-01T00:00:00+00:00\n"
        "ms,1714521600000\n",
        encoding="utf-8",
    )
    result = cli(h, "import", str(src), "--app-token", app_token, "--table", table_id)
    assert result.exit_code == 0, result.output
    days = {r["Name"]: r["Day"] for r in stored(h, bt, app_token, table_id)}
    shanghai = dt.timezone(dt.timedelta(hours=8))
    assert days["local"] == int(dt.datetime(2024, 5, 1, tzinfo=shanghai).timestamp() * 1000)
    assert days["noon"] == int(dt.datetime(2024, 5, 1, 12, 30, tzinfo=shanghai).timestamp() * 1000)
    assert days["explicit"] == days["ms"] == 1714521600000

    out = tmp_path / "out.csv"
    result = cli(h, "export", "--app-token", app_token, "--table", table_id, "-o", str(out))
    assert result.exit_code == 0, result.output
    cells = {line.split(",")[1]: line.split(",")[-1] for line in out.read_text().splitlines()[1:]}
    assert cells["local"] == "2024-05-01"
    assert cells["noon"] == "2024-05-01T12:30:00+08:00"
    assert cells["explicit"] == "2024-05-01T08:00:00+08:00"

    result = cli(
        h, "export", "--app-token", app_token, "--table", table_id, "-o", str(out), "--dates", "ms"
    )
    assert result.exit_code == 0, result.output
    assert out.read_text().splitlines()[1].endswith(str(days["local"]))
    result = cli(
        h, "export", "--app-token", app_token, "--table", table_id, "-o", str(out), "--tz", "UTC"
    )
    assert "2024-04-30T16:00:00+00:00" in out.read_text()


def test_tz_option_overrides_the_base_zone(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = base
    src = tmp_path / "days.csv"
    src.write_text("Name,Day\nutc,2024-05-01\n", encoding="utf-8")
    result = cli(
        h, "import", str(src), "--app-token", app_token, "--table", table_id, "--tz", "UTC"
    )
    assert result.exit_code == 0, result.output
    assert stored(h, bt, app_token, table_id)[0]["Day"] == 1714521600000
    bad = cli(h, "import", str(src), "--app-token", app_token, "--table", table_id, "--tz", "Mars")
    assert bad.exit_code == 2 and "unknown time zone 'Mars'" in bad.output


def test_zone_helpers() -> None:
    assert time_zone("+08:00").utcoffset(None) == dt.timedelta(hours=8)
    assert time_zone(None) is dt.UTC
    shanghai = time_zone("Asia/Shanghai")
    assert date_text(1714492800000, shanghai) == "2024-05-01"
    assert date_text(1714492800123, shanghai) == "2024-05-01T00:00:00.123+08:00"


# --- the journal ---------------------------------------------------------------------------
def test_a_changed_file_or_another_table_refuses_to_resume(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("Name\nAda\n", encoding="utf-8")
    target = {"app_token": "bascnA", "table_id": "tblA"}
    journal = ImportJournal.open(data, identity=file_identity(data), target=target, batch_size=10)
    journal.begin(0, 0, 1, "3f0c2b9e-0000-4000-8000-000000000000")
    journal.close()
    again = ImportJournal.open(data, identity=file_identity(data), target=target, batch_size=10)
    assert again.token_for(0) == "3f0c2b9e-0000-4000-8000-000000000000"
    again.close()

    data.write_text("Name\nAda\nBob\n", encoding="utf-8")
    with pytest.raises(InvalidParameter, match=r"data\.csv changed since the import") as info:
        ImportJournal.open(data, identity=file_identity(data), target=target, batch_size=10)
    assert "--restart" in (info.value.hint or "")
    with pytest.raises(InvalidParameter, match="another target"):
        data.write_text("Name\nAda\n", encoding="utf-8")
        ImportJournal.open(
            data, identity=file_identity(data), target={**target, "table_id": "tblB"}, batch_size=1
        )
    fresh = ImportJournal.open(
        data, identity=file_identity(data), target=target, batch_size=10, restart=True
    )
    assert fresh.token_for(0) is None and not fresh.done
    fresh.close()


def test_a_line_cut_short_by_a_crash_is_ignored(tmp_path: Path) -> None:
    data = tmp_path / "data.csv"
    data.write_text("Name\nAda\n", encoding="utf-8")
    ident, target = file_identity(data), {"app_token": "a", "table_id": "t"}
    journal = ImportJournal.open(data, identity=ident, target=target, batch_size=1)
    journal.begin(0, 0, 1, "3f0c2b9e-0000-4000-8000-000000000001")
    journal.close()
    with journal_path(data).open("a", encoding="utf-8") as fh:
        fh.write('{"done":0,"start":0,"en')
    again = ImportJournal.open(data, identity=ident, target=target, batch_size=1)
    assert again.rows_done == 0 and again.token_for(0) is not None
    again.close()


def test_a_finished_import_is_not_run_twice(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = base
    src = tmp_path / "people.csv"
    src.write_text("Name,Score\n" + "".join(f"n{i},{i}\n" for i in range(25)), encoding="utf-8")
    args = ("import", str(src), "--app-token", app_token, "--table", table_id, "--chunk-size", "10")
    assert cli(h, *args).exit_code == 0
    again = cli(h, *args)
    assert again.exit_code == 0 and "already imported" in again.output
    assert len(stored(h, bt, app_token, table_id)) == 25
    lines = [json.loads(x) for x in journal_path(src).read_text().splitlines()]
    ids = [rid for x in lines if "done" in x for rid in x["record_ids"]]
    assert len(ids) == len(set(ids)) == 25
    assert cli(h, *args, "--restart").exit_code == 0  # asked for: imported again
    assert len(stored(h, bt, app_token, table_id)) == 50


# --- Ctrl-C in a real process, then resume -------------------------------------------------
def _start(h: Hosted, src: Path, app_token: str, table_id: str) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "LARK_ASYNC_APP_ID": APP_ID,
        "LARK_ASYNC_APP_SECRET": SECRET,
        "PYTHONPATH": str(ROOT),
        "COLUMNS": "200",
    }
    args = [sys.executable, "-m", "lark_async.cli.main", "bitable", "import", str(src)]
    args += ["--app-token", app_token, "--table", table_id, "--chunk-size", "50"]
    args += ["--domain", h.fake.url]
    return subprocess.Popen(
        args, env=env, cwd=src.parent, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait(what: str, cond: Callable[[], bool], proc: subprocess.Popen[str]) -> None:
    deadline = time.monotonic() + 60
    while not cond():
        if proc.poll() is not None:
            raise AssertionError(f"import ended before {what}: {proc.communicate()}")
        if time.monotonic() > deadline:
            proc.kill()
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.02)


def _confirmed(src: Path) -> int:
    path = journal_path(src)
    if not path.exists():
        return 0
    return sum(1 for line in path.read_text().splitlines() if line.startswith('{"done"'))


def _names(h: Hosted, bt: Any, app_token: str, table_id: str) -> list[str]:
    return [str(r["Name"]) for r in stored(h, bt, app_token, table_id)]


@pytest.mark.slow
def test_sigint_mid_import_then_resume_writes_every_row_once(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = base
    # 40 batches of at least 0.1 s each: the run is interrupted after its third
    h.call(lambda: bt.set_write_latency(0.1))
    rows = 2000
    src = tmp_path / "big.csv"
    src.write_text("Name,Score\n" + "".join(f"n{i},{i}\n" for i in range(rows)), encoding="utf-8")

    proc = _start(h, src, app_token, table_id)
    _wait("3 confirmed batches", lambda: _confirmed(src) >= 3, proc)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    said = " ".join(err.split())
    assert proc.returncode == 130, said
    done = _confirmed(src) * 50
    assert f"interrupted: {done} rows imported, {rows - done} rows left" in said
    assert f"to resume: lark-async bitable import {src}" in said
    assert 0 < len(_names(h, bt, app_token, table_id)) < rows

    h.call(lambda: bt.set_write_latency(0))
    proc = _start(h, src, app_token, table_id)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    assert f"resuming: {done} of {rows} rows already imported" in " ".join(err.split())
    names = _names(h, bt, app_token, table_id)
    assert len(names) == rows and sorted(names) == sorted(f"n{i}" for i in range(rows))


@pytest.mark.slow
def test_sigint_between_the_write_and_its_answer_resends_with_the_same_token(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = base
    rows = 1000
    src = tmp_path / "lost.csv"
    src.write_text("Name,Score\n" + "".join(f"n{i},{i}\n" for i in range(rows)), encoding="utf-8")
    h.call(lambda: bt.set_write_latency(0.1))  # 20 batches: time to add the fault after 2
    spec = f"POST /open-apis/bitable/v1/apps/{app_token}/tables/{table_id}/records/batch_create"

    proc = _start(h, src, app_token, table_id)
    _wait("2 confirmed batches", lambda: _confirmed(src) >= 2, proc)
    # From now on each batch is written but its answer is lost (the connection drops);
    # the client resends it with its token for ~30 s of backoff, then would give up.
    drop = h.call(lambda: h.fake.faults.drop(spec, times=None, after_processing=True))
    _wait("a write whose answer was lost", lambda: drop.hits >= 1, proc)
    proc.send_signal(signal.SIGINT)
    _out, err = proc.communicate(timeout=60)
    said = " ".join(err.split())
    assert proc.returncode == 130, said
    confirmed = _confirmed(src) * 50
    assert "1 batch in flight" in said
    # the lost batch is in the table, though the journal could not confirm it
    assert len(_names(h, bt, app_token, table_id)) == confirmed + 50
    tokens = [
        json.loads(line)["token"]
        for line in journal_path(src).read_text().splitlines()
        if line.startswith('{"begin"')
    ]

    h.call(h.fake.faults.clear)
    h.call(lambda: bt.set_write_latency(0))
    proc = _start(h, src, app_token, table_id)
    _out, err = proc.communicate(timeout=120)
    assert proc.returncode == 0, err
    names = _names(h, bt, app_token, table_id)
    assert len(names) == rows and len(set(names)) == rows  # 0 duplicates
    sent = [
        e.query.get("client_token")
        for e in h.fake.journal
        if e.path.endswith("/batch_create") and e.outcome != "dropped"
    ]
    assert tokens[-1] in str(sent)  # the batch in flight went again with its first token


def test_jsonl_rows_are_checked_against_the_fields_with_their_line(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = base
    src = tmp_path / "people.jsonl"
    src.write_text(
        '{"Name": "Ada", "Score": 1}\n\n{"Name": "Bob", "Score": "7"}\n{"Nope": 1}\n{}\n',
        encoding="utf-8",
    )
    result = cli(h, "import", str(src), "--app-token", app_token, "--table", table_id)
    assert result.exit_code == 2, result.output
    said = result.output
    assert "people.jsonl line 3: 'Score': expects a number, got '7'" in said
    assert "people.jsonl line 4: no field named 'Nope' in the table" in said
    assert "people.jsonl line 5: has no fields" in said
    assert stored(h, bt, app_token, table_id) == []


def test_an_empty_file_is_a_problem_but_a_header_alone_is_zero_rows(tmp_path: Path) -> None:
    for empty in ("", "\n\n", "\ufeff"):
        assert problems(tmp_path, empty) == [
            "line 1: the file is empty: no header line naming the columns"
        ]
    path = tmp_path / "data.csv"
    path.write_text("Name,Score\r\n", encoding="utf-8")
    found = check_csv(path, schema=SCHEMA)
    assert (found.ok, found.rows, found.header) == (True, 0, ["Name", "Score"])


def test_a_file_that_is_not_utf8_names_its_first_bad_line(tmp_path: Path) -> None:
    # A GBK or Latin-1 export from Excel: it used to end the CLI in a UnicodeDecodeError traceback.
    path = tmp_path / "data.csv"
    path.write_bytes(b"Name,Score\nAda,1\n" + "张三,2\n".encode("gbk"))
    found = [str(p) for p in check_csv(path, schema=SCHEMA).problems]
    assert len(found) == 1 and found[0].startswith("line 3: is not UTF-8 text (byte 0xd5")
    assert "save the file as UTF-8" in found[0]
    assert isinstance(read_header(path), list)  # no UnicodeDecodeError: check_csv says why
    with pytest.raises(InvalidParameter, match=r"data\.csv line 3: is not UTF-8"):
        list(read_rows(path, schema=SCHEMA))


def test_cli_refuses_a_file_that_is_not_utf8_in_one_line(
    base: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = base
    src = tmp_path / "latin.csv"
    src.write_bytes("Name,Score\nBéa,1\n".encode("latin-1"))
    for mode in ("create", "update"):
        result = cli(
            h, "import", str(src), "--app-token", app_token, "--table", table_id, "--mode", mode
        )
        said = " ".join(result.output.split())
        assert result.exit_code == 2, said
        assert "Traceback" not in said and "UnicodeDecodeError" not in said
        assert "latin.csv line 2: is not UTF-8 text" in said
    assert h.call(lambda: bt.records(app_token, table_id)) == []
