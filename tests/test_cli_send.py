"""``lark-async send``, ``--version``, ``-h`` and CLI-worded errors, against the emulator.

The emulator runs on its own loop in a background thread, since each CLI
command runs its own ``asyncio.run``.
"""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner, Result

from lark_async import __version__
from lark_async.cli import in_cli_terms
from lark_async.cli.main import app
from lark_async.core.errors import ConfigError, InvalidParameter
from lark_async.testing import FakeLark
from lark_async.testing.im import ImEmulator

APP_ID, SECRET = "cli_sendcli000001", "send-cli-secret-01"
PNG = b"\x89PNG\r\n\x1a\n" + bytes(64)


class Hosted:
    """A FakeLark with IM state, on its own loop and thread."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.fake = FakeLark()
        self.call(self.fake.start)
        self.fake.add_app(APP_ID, SECRET)
        self.im = ImEmulator.of(self.fake)

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
def hosted() -> Iterator[Hosted]:
    h = Hosted()
    yield h
    h.close()


def send(h: Hosted | None, *args: str, env: dict[str, str] | None = None, **kw: Any) -> Result:
    base = {"LARK_ASYNC_APP_ID": APP_ID, "LARK_ASYNC_APP_SECRET": SECRET}
    domain = ["--domain", h.fake.url] if h else ["--domain", "http://127.0.0.1:9"]
    return CliRunner().invoke(app, ["send", *args, *domain], env={**base, **(env or {})}, **kw)


def requests_made(h: Hosted) -> int:
    return len(h.fake.journal)


def test_send_text_to_a_user_by_open_id_and_by_email(hosted: Hosted) -> None:
    user = hosted.call(lambda: hosted.im.add_user(name="Ann", email="ann@example.com"))
    first = send(hosted, user["open_id"], "--text", "deploy done")
    second = send(hosted, "ann@example.com", "-t", "second")
    assert first.exit_code == 0, first.output
    assert second.exit_code == 0, second.output
    stored = hosted.call(lambda: hosted.im.messages(receive_id=user["open_id"]))
    assert [json.loads(m["body"]["content"])["text"] for m in stored] == ["deploy done", "second"]
    assert first.stdout.strip() == stored[0]["message_id"]


def test_send_to_a_user_id_needs_the_id_type(hosted: Hosted) -> None:
    user = hosted.call(lambda: hosted.im.add_user(user_id="u1a2b3c4", name="Bo"))
    ok = send(hosted, "u1a2b3c4", "--id-type", "user_id", "--text", "hi", "--json")
    assert ok.exit_code == 0, ok.output
    sent = json.loads(ok.stdout)
    assert sent["message_id"].startswith("om_") and sent["msg_type"] == "text"
    assert len(hosted.call(lambda: hosted.im.messages(receive_id=user["open_id"]))) == 1


def test_send_a_card_file_to_a_chat(hosted: Hosted, tmp_path: Path) -> None:
    chat = hosted.call(lambda: hosted.im.add_chat(name="ops"))
    card = tmp_path / "card.json"
    card.write_text(
        json.dumps(
            {
                "config": {"wide_screen_mode": True},
                "header": {"title": {"tag": "plain_text", "content": "Deploy"}},
                "elements": [{"tag": "div", "text": {"tag": "lark_md", "content": "**done**"}}],
            }
        ),
        encoding="utf-8",
    )
    result = send(hosted, chat, "--card", str(card))
    assert result.exit_code == 0, result.output
    (stored,) = hosted.call(lambda: hosted.im.messages(chat_id=chat))
    assert stored["msg_type"] == "interactive"
    assert "Deploy" in stored["body"]["content"]


def test_send_a_file_and_an_image_uploads_them_first(hosted: Hosted, tmp_path: Path) -> None:
    chat = hosted.call(lambda: hosted.im.add_chat(name="reports"))
    report = tmp_path / "report.txt"
    report.write_text("numbers\n", encoding="utf-8")
    chart = tmp_path / "chart.png"
    chart.write_bytes(PNG)
    assert send(hosted, chat, "--file", str(report)).exit_code == 0
    assert send(hosted, chat, "--image", str(chart)).exit_code == 0
    stored = hosted.call(lambda: hosted.im.messages(chat_id=chat))
    assert [m["msg_type"] for m in stored] == ["file", "image"]


def test_text_from_stdin(hosted: Hosted) -> None:
    chat = hosted.call(lambda: hosted.im.add_chat(name="stdin"))
    result = send(hosted, chat, "--text", "-", input="from a pipe\n")
    assert result.exit_code == 0, result.output
    (stored,) = hosted.call(lambda: hosted.im.messages(chat_id=chat))
    assert json.loads(stored["body"]["content"])["text"] == "from a pipe\n"


@pytest.mark.parametrize(
    ("args", "says"),
    [
        ([], "give exactly one of --text, --card, --file, --image"),
        (["--text", "a", "--file", "x.pdf"], "(got --text, --file)"),
        (["--file", "missing.pdf"], "--file: no such file: missing.pdf"),
        (["--card", "missing.json"], "--card: no such file"),
        (["--text", ""], "--text: must be a non-empty string"),
    ],
)
def test_bad_options_fail_before_any_request(
    hosted: Hosted, args: list[str], says: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    chat = hosted.call(lambda: hosted.im.add_chat(name="bad"))
    result = send(hosted, chat, *args)
    assert result.exit_code == 2
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert requests_made(hosted) == 0


def test_a_card_file_that_is_not_a_card_object(hosted: Hosted, tmp_path: Path) -> None:
    chat = hosted.call(lambda: hosted.im.add_chat(name="cards"))
    (tmp_path / "list.json").write_text("[1, 2]", encoding="utf-8")
    (tmp_path / "bad.json").write_text("{not json", encoding="utf-8")
    listed = send(hosted, chat, "--card", str(tmp_path / "list.json"))
    broken = send(hosted, chat, "--card", str(tmp_path / "bad.json"))
    assert listed.exit_code == broken.exit_code == 2
    assert "holds a JSON list, not an object" in listed.stderr
    assert "is not JSON" in broken.stderr
    assert requests_made(hosted) == 0


def test_a_bad_receiver_is_named_as_the_cli_names_it(hosted: Hosted) -> None:
    result = send(hosted, "u1a2b3c4", "--id-type", "chat_id", "--text", "x")
    assert result.exit_code == 2
    assert "receive_id" not in result.stderr
    assert "--id-type" in result.stderr or "TO" in result.stderr
    assert requests_made(hosted) == 0


def test_missing_credentials_speak_of_variables_not_arguments() -> None:
    result = CliRunner().invoke(
        app,
        ["send", "ou_x", "--text", "hi", "--domain", "http://127.0.0.1:9"],
        env={"LARK_ASYNC_APP_ID": None, "LARK_ASYNC_APP_SECRET": None},
    )
    assert result.exit_code == 2
    assert "app_id=" not in result.stderr and "LarkClient" not in result.stderr
    assert "LARK_ASYNC_APP_ID" in result.stderr
    assert "LARK_ASYNC_APP_SECRET" in result.stderr
    assert "--registry / LARK_ASYNC_REGISTRY_PATH" in result.stderr


def test_a_feishu_error_is_one_line(hosted: Hosted) -> None:
    result = send(hosted, "ou_nobody00000000", "--text", "hi")
    assert result.exit_code == 2
    # The CLI shows lark-async's warnings (the failed call's log line), then one error line.
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: open_id not exist (ou_nobody00000000) (hint: open_id does not exist (or belongs to another app))"
    ]
    assert "Traceback" not in result.output


def test_version_and_short_help() -> None:
    runner = CliRunner()
    version = runner.invoke(app, ["--version"])
    assert version.exit_code == 0
    assert version.stdout.strip() == f"lark-async {__version__}"
    for argv in (["-h"], ["send", "-h"], ["bitable", "import", "-h"], ["apps", "-h"]):
        result = runner.invoke(app, argv)
        assert result.exit_code == 0, (argv, result.output)
        assert "Usage:" in result.stdout, argv
    assert "--id-type" in runner.invoke(app, ["send", "-h"]).stdout


def test_in_cli_terms_rewrites_the_argument_and_name_equals_hints() -> None:
    err = InvalidParameter(
        "receive_id: must be a string",
        hint="pass receive_id= or",
        details={"parameter": "receive_id"},
    )
    in_cli_terms(err, {"receive_id": "TO"})
    assert err.message == "TO: must be a string"
    assert err.hint == "set TO or"
    config = ConfigError(
        "app_id must not be empty", hint="see the docs", details={"argument": "app_id"}
    )
    assert in_cli_terms(config).message == "--app-id / LARK_ASYNC_APP_ID must not be empty"
    # Words that only contain a name are left alone.
    other = InvalidParameter("the app_identity is wrong", hint="my_app_id=3")
    assert (in_cli_terms(other).message, other.hint) == ("the app_identity is wrong", "my_app_id=3")


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["import", "{csv}", "--chunk-size", "5000"], "--chunk-size"),
        (["import", "{csv}", "--failed", "{tmp}/no/such/dir/failed.jsonl"], "--failed: the folder"),
        (["import", "{csv}", "--failed", "{tmp}"], "--failed: "),
        (["import", "{csv}", "--mode", "upsert"], "--mode upsert needs --key FIELD"),
        (["export", "-o", "{tmp}/no/such/dir/out.csv"], "--out: the folder"),
    ],
)
def test_bitable_options_are_checked_before_any_request(
    hosted: Hosted, tmp_path: Path, argv: list[str], says: str
) -> None:
    csv = tmp_path / "rows.csv"
    csv.write_text("Name\nAda\n", encoding="utf-8")
    args = [a.format(csv=csv, tmp=tmp_path) for a in argv]
    env = {"LARK_ASYNC_APP_ID": APP_ID, "LARK_ASYNC_APP_SECRET": SECRET}
    result = CliRunner().invoke(
        app,
        ["bitable", *args, "--app-token", "bascnX", "--table", "tblX", "--domain", hosted.fake.url],
        env=env,
    )
    assert result.exit_code == 2, result.output
    assert says in result.stderr
    assert "Traceback" not in result.output
    assert requests_made(hosted) == 0  # no token fetch, no list_fields, no progress bar


@pytest.mark.parametrize(
    ("argv", "env", "says"),
    [
        (
            ["send", "ou_x", "--text", "hi", "--domain", "not-a-url"],
            {},
            "https://open.feishu.cn, https://open.larksuite.com, or the emulator's URL",
        ),
        (
            ["send", "ou_x", "--text", "hi", "--domain", "{url}"],
            {"LARK_ASYNC_APP_SECRET": "wrong-secret"},
            "check LARK_ASYNC_APP_ID / LARK_ASYNC_APP_SECRET",
        ),
        (
            ["send", "ou_x", "--text", "hi", "--domain", "http://127.0.0.1:9"],
            {"LARK_ASYNC_MAX_RETRIES": "0"},
            "check the network and --domain / LARK_ASYNC_DOMAIN",
        ),
        (
            [
                "bitable",
                "export",
                "--app-token",
                "bascnx",
                "--table",
                "tblx",
                "-o",
                "{tmp}/out.txt",
            ],
            {},
            "--format csv|jsonl",
        ),
        (
            ["bitable", "import", "{tmp}/rows.txt", "--app-token", "bascnx", "--table", "tblx"],
            {},
            "name it .csv or .jsonl)",
        ),
    ],
)
def test_hints_name_options_and_variables_not_python(
    hosted: Hosted, tmp_path: Path, argv: list[str], env: dict[str, str], says: str
) -> None:
    (tmp_path / "rows.txt").write_text("Name\na\n")
    argv = [a.format(url=hosted.fake.url, tmp=tmp_path) for a in argv]
    base = {"LARK_ASYNC_APP_ID": APP_ID, "LARK_ASYNC_APP_SECRET": SECRET}
    result = CliRunner().invoke(app, argv, env={**base, **env})
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert result.exit_code == 2 and len(errors) == 1, result.output
    assert says in errors[0]
    for python in ("app_id /", "lark_async.", "fake.url", "explicitly"):
        assert python not in errors[0], errors[0]


def test_the_root_registry_option_reaches_send_and_bitable(hosted: Hosted, tmp_path: Path) -> None:
    # `lark-async --registry PATH send ...` used to ignore PATH ("no app configured",
    # with a hint to use --registry); only LARK_ASYNC_REGISTRY_PATH worked.
    from lark_async.auth.crypto import SecretBox

    registry = str(tmp_path / "apps.sqlite3")
    env = {
        "LARK_ASYNC_APP_ID": None,
        "LARK_ASYNC_APP_SECRET": None,
        "LARK_ASYNC_REGISTRY_PATH": None,
        "LARK_ASYNC_SECRET_KEY": SecretBox.generate_key(),
    }
    runner = CliRunner()
    added = runner.invoke(
        app,
        ["--registry", registry, "apps", "add", APP_ID, "--secret-stdin"],
        input=SECRET + "\n",
        env=env,
    )
    assert added.exit_code == 0, added.output
    user = hosted.call(lambda: hosted.im.add_user(name="Ann"))["open_id"]
    sent = runner.invoke(
        app,
        [
            "--registry",
            registry,
            "send",
            user,
            "--text",
            "hi",
            "--app-id",
            APP_ID,
            "--domain",
            hosted.fake.url,
        ],
        env=env,
    )
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.strip().startswith("om_")
    table = runner.invoke(
        app,
        [
            "--registry",
            registry,
            "bitable",
            "export",
            "--app-token",
            "bascnNoSuchBase01",
            "--table",
            "tblNoSuchTable01",
            "--app-id",
            APP_ID,
            "--domain",
            hosted.fake.url,
        ],
        env=env,
    )
    # the app was found in the registry: the error is Feishu's about the base, not "no app"
    assert table.exit_code == 2 and "no app configured" not in table.output, table.output
    assert "error:" in table.output


def test_app_id_option_with_the_secret_variable_sends(hosted: Hosted) -> None:
    # The "no app configured" hint says: set --app-id / LARK_ASYNC_APP_ID and
    # LARK_ASYNC_APP_SECRET. --app-id with the secret used to fail ("given without app_id").
    user = hosted.call(lambda: hosted.im.add_user(name="Ann"))["open_id"]
    env = {"LARK_ASYNC_APP_ID": None, "LARK_ASYNC_REGISTRY_PATH": None}
    sent = send(hosted, user, "--text", "hi", "--app-id", APP_ID, env=env)
    assert sent.exit_code == 0, sent.output
    assert sent.stdout.strip().startswith("om_")
    no_secret = send(
        hosted, user, "--text", "hi", "--app-id", APP_ID, env={**env, "LARK_ASYNC_APP_SECRET": None}
    )
    errors = [line for line in no_secret.stderr.splitlines() if line.startswith("error:")]
    assert no_secret.exit_code == 2 and len(errors) == 1, no_secret.output
    assert f"no LARK_ASYNC_APP_SECRET for {APP_ID}" in errors[0]
    assert "app_secret" not in errors[0]
