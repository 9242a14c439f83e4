"""``lark-async bitable import|export`` against an emulator running in a background thread."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from typer.testing import CliRunner, Result

from lark_async.bitable import plain_text
from lark_async.cli.main import app
from lark_async.testing import FakeLark
from tests.bitable.conftest import PEOPLE

APP_ID, SECRET = "cli_bitablecli0001", "bitable-cli-secret-01"
T = TypeVar("T")


class Hosted:
    """A FakeLark on its own loop and thread, since the CLI runs its own asyncio.run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeLark()
        self.call(self.fake.start)
        self.fake.add_app(APP_ID, SECRET)

    def call(self, fn: Callable[[], Any]) -> Any:
        async def run() -> Any:
            result = fn()
            return await result if asyncio.iscoroutine(result) else result

        return asyncio.run_coroutine_threadsafe(run(), self.loop).result(30)

    def close(self) -> None:
        self.call(self.fake.stop)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@pytest.fixture
def hosted() -> Iterator[tuple[Hosted, Any, str, str]]:
    from lark_async.testing.bitable import BitableEmulator

    h = Hosted()
    bt = BitableEmulator.of(h.fake)
    app_token = h.call(lambda: bt.create_app(name="CLI"))
    table_id = h.call(lambda: bt.create_table(app_token, name="People", fields=PEOPLE))
    yield h, bt, app_token, table_id
    h.close()


def cli(h: Hosted, *args: str) -> Result:
    env = {"LARK_ASYNC_APP_ID": APP_ID, "LARK_ASYNC_APP_SECRET": SECRET}
    return CliRunner().invoke(app, ["bitable", *args, "--domain", h.fake.url], env=env)


def stored(h: Hosted, bt: Any, app_token: str, table_id: str) -> list[dict[str, Any]]:
    records = h.call(lambda: bt.records(app_token, table_id))
    return [{k: plain_text(v) for k, v in r["fields"].items()} for r in records]


def test_import_csv_types_cells_and_refuses_a_bad_file_before_writing(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = hosted
    src = tmp_path / "people.csv"
    src.write_text(
        "Name,Age,Active,Team\nAda,36,true,Core\nBob,25,no,Ops\nCy,old,yes,Ops\nDi,30,1,Core\n",
        encoding="utf-8",
    )
    result = cli(h, "import", str(src), "--app-token", app_token, "--table", table_id)
    assert result.exit_code == 2, result.output
    assert "people.csv line 4, column 'Age': 'old' is not a number" in result.output
    assert "1 problem; nothing was imported" in result.output
    assert stored(h, bt, app_token, table_id) == []

    src.write_text(
        "Name,Age,Active,Team\nAda,36,true,Core\nBob,25,no,Ops\nDi,30,1,Core\n",
        encoding="utf-8",
    )
    result = cli(h, "import", str(src), "--app-token", app_token, "--table", table_id)
    assert result.exit_code == 0, result.output
    rows = {r["Name"]: r for r in stored(h, bt, app_token, table_id)}
    assert sorted(rows) == ["Ada", "Bob", "Di"]
    assert (
        rows["Ada"]["Age"] == 36 and rows["Bob"]["Active"] is False and rows["Di"]["Active"] is True
    )


def test_import_jsonl_then_upsert_then_export(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = hosted
    src = tmp_path / "people.jsonl"
    src.write_text(
        "\n".join(json.dumps({"Name": f"n{i}", "Age": i}) for i in range(50)), encoding="utf-8"
    )
    result = cli(
        h, "import", str(src), "--app-token", app_token, "--table", table_id, "--chunk-size", "20"
    )
    assert result.exit_code == 0, result.output
    assert len(stored(h, bt, app_token, table_id)) == 50

    upd = tmp_path / "upd.jsonl"
    upd.write_text('{"Name": "n1", "Age": 100}\n{"Name": "new", "Age": 1}\n', encoding="utf-8")
    result = cli(
        h,
        "import",
        str(upd),
        "--app-token",
        app_token,
        "--table",
        table_id,
        "--mode",
        "upsert",
        "--key",
        "Name",
    )
    assert result.exit_code == 0, result.output
    rows = stored(h, bt, app_token, table_id)
    assert len(rows) == 51 and next(r for r in rows if r["Name"] == "n1")["Age"] == 100

    out = tmp_path / "out.csv"
    result = cli(
        h,
        "export",
        "--app-token",
        app_token,
        "--table",
        table_id,
        "-o",
        str(out),
        "--where",
        "Name=new",
    )
    assert result.exit_code == 0, result.output
    lines = out.read_text().splitlines()
    assert lines[0] == "record_id,Name,Age,Active,Team,Note"
    assert len(lines) == 2 and ",new,1," in lines[1]

    result = cli(
        h,
        "export",
        "--app-token",
        app_token,
        "--table",
        table_id,
        "--format",
        "jsonl",
        "--field",
        "Name",
    )
    assert result.exit_code == 0, result.output
    records = [json.loads(x) for x in result.stdout.splitlines() if x.startswith("{")]
    assert len(records) == 51 and all(set(r["fields"]) <= {"Name"} for r in records)


def test_export_then_reimport_as_updates(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = hosted
    src = tmp_path / "p.csv"
    src.write_text("Name,Age\na,1\nb,2\n", encoding="utf-8")
    assert cli(h, "import", str(src), "--app-token", app_token, "--table", table_id).exit_code == 0
    out = tmp_path / "out.csv"
    assert (
        cli(h, "export", "--app-token", app_token, "--table", table_id, "-o", str(out)).exit_code
        == 0
    )
    edited = out.read_text().replace(",1,", ",10,").replace(",2,", ",20,")
    out.write_text(edited)
    result = cli(
        h, "import", str(out), "--app-token", app_token, "--table", table_id, "--mode", "update"
    )
    assert result.exit_code == 0, result.output
    assert sorted(r["Age"] for r in stored(h, bt, app_token, table_id)) == [10, 20]


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (["import", "missing.csv"], "no such file"),
        (["import", "rows.xlsx"], "format"),
        (["import", "rows.csv", "--mode", "upsert"], "--key"),
        (["export", "--where", "NoEquals"], "FIELD=VALUE"),
    ],
)
def test_usage_errors_are_one_clear_line(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path, args: list[str], says: str
) -> None:
    h, _, app_token, table_id = hosted
    (tmp_path / "rows.csv").write_text("Name\na\n")
    (tmp_path / "rows.xlsx").write_text("x")
    args = [str(tmp_path / a) if a.startswith(("missing", "rows")) else a for a in args]
    result = cli(h, *args, "--app-token", app_token, "--table", table_id)
    assert result.exit_code == 2 and says in result.output
    assert "Traceback" not in result.output


def test_a_missing_table_is_a_typed_error(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, _, app_token, _ = hosted
    src = tmp_path / "rows.csv"
    src.write_text("Name\na\n")
    result = cli(h, "import", str(src), "--app-token", app_token, "--table", "tblNoSuchTable01")
    assert result.exit_code == 2 and "error" in result.output and SECRET not in result.output


def test_a_broken_jsonl_file_is_refused_before_any_write(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path
) -> None:
    h, bt, app_token, table_id = hosted
    src = tmp_path / "broken.jsonl"
    good = "\n".join(json.dumps({"Name": f"n{i}"}) for i in range(30))
    src.write_text(good + "\n{not json\n", encoding="utf-8")
    result = cli(
        h, "import", str(src), "--app-token", app_token, "--table", table_id, "--chunk-size", "10"
    )
    assert result.exit_code == 2
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "broken.jsonl line 31: not JSON" in said
    assert "1 problem; nothing was imported" in said
    assert stored(h, bt, app_token, table_id) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--mode", "upsert", "--key", "Emial"],
            "--key Emial: no field named 'Emial' in the table",
        ),
        (["--mode", "upsert", "--key", "Note"], "rows.csv line 1 has no 'Note' column"),
        (["--key", "Name"], "--key is an option of --mode upsert"),
    ],
)
def test_a_bad_key_is_refused_before_the_progress_bar(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path, args: list[str], says: str
) -> None:
    h, bt, app_token, table_id = hosted
    src = tmp_path / "rows.csv"
    src.write_text("Name,Age\na,1\n")
    result = cli(h, "import", str(src), "--app-token", app_token, "--table", table_id, *args)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert says in said
    assert "rows read" not in said and "→" not in said  # no progress bar, no report
    assert "key=" not in said
    assert stored(h, bt, app_token, table_id) == []


@pytest.mark.parametrize(
    ("args", "says"),
    [
        (
            ["--field", "Name", "--field", "Nmae"],
            "--field Nmae: no field named 'Nmae' in the table",
        ),
        (["--where", "Taem=Core"], "--where Taem: no field named 'Taem' in the table"),
    ],
)
def test_export_refuses_an_unknown_field_before_touching_the_output(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path, args: list[str], says: str
) -> None:
    h, _, app_token, table_id = hosted
    out = tmp_path / "people.csv"
    out.write_text("an earlier export\n")
    result = cli(h, "export", "--app-token", app_token, "--table", table_id, "-o", str(out), *args)
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert says in said
    assert "export tbl" not in said  # no progress bar
    assert out.read_text() == "an earlier export\n"  # not truncated


@pytest.mark.parametrize("option", [["--dates", "ms"], ["--tz", "UTC"]])
def test_date_options_on_a_jsonl_export_are_refused_not_ignored(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path, option: list[str]
) -> None:
    h, _, app_token, table_id = hosted
    out = tmp_path / "people.jsonl"
    requests = len(h.fake.journal.entries)
    result = cli(
        h, "export", "--app-token", app_token, "--table", table_id, "-o", str(out), *option
    )
    said = " ".join(result.output.split())
    assert result.exit_code == 2, said
    assert f"{option[0]} applies to CSV exports" in said
    assert not out.exists() and len(h.fake.journal.entries) == requests  # nothing sent


def test_an_interrupted_export_leaves_the_earlier_file_whole_and_says_so(
    hosted: tuple[Hosted, Any, str, str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from lark_async.bitable import files

    h, bt, app_token, table_id = hosted
    h.call(lambda: bt.add_records(app_token, table_id, [{"Name": f"n{i}"} for i in range(5)]))
    real = files.write_rows

    async def ctrl_c_after_two(records: Any, out: Any, **kw: Any) -> int:
        async def two() -> Any:
            n = 0
            async for record in records:
                yield record
                n += 1
                if n == 2:
                    raise KeyboardInterrupt

        return await real(two(), out, **kw)

    monkeypatch.setattr(files, "write_rows", ctrl_c_after_two)
    out = tmp_path / "people.csv"
    out.write_text("an earlier export\n")
    result = cli(h, "export", "--app-token", app_token, "--table", table_id, "-o", str(out))
    assert result.exit_code == 130, result.output
    said = " ".join(result.output.split())  # the console wraps long lines
    assert "interrupted:" in said and "people.csv was not written" in said
    assert out.read_text() == "an earlier export\n"  # not a half export
    assert [p.name for p in tmp_path.iterdir()] == ["people.csv"]  # no .part left behind


def test_the_resume_command_repeats_the_options_that_shape_the_run(tmp_path: Path) -> None:
    from rich.console import Console

    from lark_async import cli as cli_state
    from lark_async.cli import CliState
    from lark_async.cli.bitable import Mode, _ImportJob

    job = _ImportJob(
        tmp_path / "people.csv", "csv", "bascnX", "tblX", Mode.create, None, 100, True,
        None, True, Console(), "http://127.0.0.1:1", "cli_x",
    )  # fmt: skip
    job.tz_name, job.failed_out = "+08:00", tmp_path / "failed.jsonl"
    before = cli_state.current
    cli_state.current = CliState(registry="apps.sqlite3")
    try:
        command = job.resume_command()
    finally:
        cli_state.current = before
    assert command.startswith("lark-async --registry apps.sqlite3 bitable import ")
    for part in ("--chunk-size 100", f"--failed {tmp_path / 'failed.jsonl'}", "--tz +08:00",
                 "--domain http://127.0.0.1:1", "--app-id cli_x"):  # fmt: skip
        assert part in command
    assert "--restart" not in command
