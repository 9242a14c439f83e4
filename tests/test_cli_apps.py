"""The ``lark-async`` CLI: keygen and every ``apps`` command, through typer's CliRunner."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from typer.testing import CliRunner, Result

from lark_async.auth.crypto import SECRET_KEY_ENV, SecretBox
from lark_async.auth.models import AppConfig, AppStatus
from lark_async.auth.registry import REGISTRY_PATH_ENV, AppRegistry, AuditEntry
from lark_async.cli.main import app

SECRET = "cli-TEST-secret-0001"
ENCRYPT_KEY = "cli-TEST-encrypt-0002"
TOKEN = "cli-TEST-token-0003"
ALL_SECRETS = (SECRET, ENCRYPT_KEY, TOKEN)


class Cli:
    """Runs the CLI against one registry file with one key."""

    def __init__(self, db: Path, key: str) -> None:
        self.db = db
        self.key = key
        self.runner = CliRunner()

    def __call__(self, *args: str, input: str | None = None, key: str | None = None) -> Result:
        env = {SECRET_KEY_ENV: key if key is not None else self.key, "USER": "tester"}
        return self.runner.invoke(app, ["--registry", str(self.db), *args], input=input, env=env)

    def add(self, app_id: str = "cli_alpha", *extra: str) -> Result:
        result = self("apps", "add", app_id, "--secret-stdin", *extra, input=f"{SECRET}\n")
        assert result.exit_code == 0, result.output
        return result

    def stored(self, app_id: str = "cli_alpha") -> tuple[AppConfig | None, list[AuditEntry]]:
        async def read() -> tuple[AppConfig | None, list[AuditEntry]]:
            async with AppRegistry(self.db, SecretBox(self.key)) as reg:
                return await reg.find(app_id), await reg.audit(app_id)

        return asyncio.run(read())


@pytest.fixture
def cli(tmp_path: Path, secret_key: str) -> Cli:
    return Cli(tmp_path / "apps.sqlite3", secret_key)


def assert_no_secret(result: Result) -> None:
    for secret in ALL_SECRETS:
        assert secret not in result.output


def assert_one_error_line(result: Result, *needles: str) -> None:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error:")
    for needle in needles:
        assert needle in lines[0]


# --------------------------------------------------------------------------- root


def test_keygen_prints_a_fernet_key(cli: Cli) -> None:
    result = cli("keygen")
    assert result.exit_code == 0
    Fernet(result.stdout.strip().encode())  # raises if not a valid key


def test_help_lists_the_sub_apps(cli: Cli) -> None:
    result = cli("--help")
    assert result.exit_code == 0
    assert "apps" in result.stdout and "keygen" in result.stdout


def test_sub_apps_are_imported_lazily() -> None:
    code = (
        "import sys; import lark_async.cli.main as m; "
        "assert 'lark_async.cli.apps' not in sys.modules; "
        "assert callable(m.main)"
    )
    subprocess.run([sys.executable, "-c", code], check=True, timeout=60)


# --------------------------------------------------------------------------- add


def test_add_with_secret_stdin_reads_one_secret_per_line(cli: Cli) -> None:
    result = cli(
        "apps",
        "add",
        "cli_alpha",
        "--name",
        "Alpha",
        "--description",
        "the first",
        "--with-encrypt-key",
        "--with-verification-token",
        "--secret-stdin",
        input=f"{SECRET}\n{ENCRYPT_KEY}\n{TOKEN}\n",
    )
    assert result.exit_code == 0, result.output
    assert "registered cli_alpha" in result.stdout
    assert_no_secret(result)
    config, trail = cli.stored()
    assert config is not None
    assert config.app_secret.get_secret_value() == SECRET
    assert config.encrypt_key is not None and config.encrypt_key.get_secret_value() == ENCRYPT_KEY
    assert config.verification_token is not None
    assert config.verification_token.get_secret_value() == TOKEN
    assert (config.name, config.description, config.created_by) == ("Alpha", "the first", "tester")
    assert trail[0].actor == "tester"


def test_add_prompts_for_the_secret_without_echo(cli: Cli) -> None:
    result = cli("apps", "add", "cli_alpha", "--by", "ops", input=f"{SECRET}\n")
    assert result.exit_code == 0, result.output
    assert "App secret" in result.output
    assert_no_secret(result)
    config, trail = cli.stored()
    assert config is not None and config.app_secret.get_secret_value() == SECRET
    assert trail[0].actor == "ops"


def test_add_duplicate_fails_before_asking_for_the_secret(cli: Cli) -> None:
    cli.add()
    result = cli("apps", "add", "cli_alpha", input="other\n")
    assert_one_error_line(result, "already registered", "lark-async apps update")
    assert "App secret" not in result.output


def test_add_bad_app_id(cli: Cli) -> None:
    result = cli("apps", "add", "not-an-app", input=f"{SECRET}\n")
    assert_one_error_line(result, "invalid app_id", "cli_")
    assert not cli.db.exists()


def test_add_bad_secret_is_not_echoed(cli: Cli) -> None:
    result = cli("apps", "add", "cli_alpha", "--secret-stdin", input="bad secret\n")
    assert_one_error_line(result, "whitespace")
    assert "bad secret" not in result.output


def test_add_secret_stdin_with_missing_lines(cli: Cli) -> None:
    result = cli("apps", "add", "cli_alpha", "--secret-stdin", "--with-encrypt-key", input="x\n")
    assert_one_error_line(result, "Encrypt key")
    assert cli.stored()[0] is None


# --------------------------------------------------------------------------- list / show


def test_list_table_and_json_show_no_secrets(cli: Cli) -> None:
    cli.add("cli_alpha", "--name", "Alpha")
    cli.add("cli_beta")
    cli("apps", "disable", "cli_beta")
    table = cli("apps", "list")
    assert table.exit_code == 0, table.output
    for text in ("cli_alpha", "Alpha", "active", "cli_beta", "disabled", "updated_at"):
        assert text in table.stdout
    assert_no_secret(table)
    as_json = cli("apps", "list", "--json")
    rows = json.loads(as_json.stdout)
    assert [(r["app_id"], r["status"]) for r in rows] == [
        ("cli_alpha", "active"),
        ("cli_beta", "disabled"),
    ]
    assert not {"app_secret", "encrypt_key", "verification_token"} & set(rows[0])
    assert_no_secret(as_json)


def test_list_when_empty(cli: Cli) -> None:
    result = cli("apps", "list")
    assert result.exit_code == 0
    assert "no apps registered" in result.stdout
    assert json.loads(cli("apps", "list", "--json").stdout) == []


def test_show_fields_secret_presence_and_audit_trail(cli: Cli) -> None:
    cli(
        "apps",
        "add",
        "cli_alpha",
        "--with-encrypt-key",
        "--secret-stdin",
        input=f"{SECRET}\n{ENCRYPT_KEY}\n",
    )
    cli("apps", "update", "cli_alpha", "--name", "Renamed", "--by", "bob")
    result = cli("apps", "show", "cli_alpha")
    assert result.exit_code == 0, result.output
    out = result.stdout
    assert "Renamed" in out and "audit trail" in out
    assert "not set" in out  # verification_token
    assert "add" in out and "update" in out and "bob" in out
    assert_no_secret(result)
    doc = json.loads(cli("apps", "show", "cli_alpha", "--json").stdout)
    assert (doc["app_secret"], doc["encrypt_key"], doc["verification_token"]) == (
        "set",
        "set",
        "not set",
    )
    assert [(e["action"], e["changes"]) for e in doc["audit"]] == [
        ("add", ["app_secret", "encrypt_key"]),
        ("update", ["name"]),
    ]


def test_show_unknown_app(cli: Cli) -> None:
    cli.add()
    assert_one_error_line(cli("apps", "show", "cli_ghost"), "lark-async apps add cli_ghost")


# --------------------------------------------------------------------------- update


def test_update_name_and_secret(cli: Cli) -> None:
    cli.add()
    result = cli(
        "apps", "update", "cli_alpha", "--name", "New", "--secret", "--secret-stdin", input="n3w\n"
    )
    assert result.exit_code == 0, result.output
    assert "updated cli_alpha: app_secret, name" in result.stdout
    config, trail = cli.stored()
    assert config is not None
    assert (config.name, config.app_secret.get_secret_value()) == ("New", "n3w")
    assert trail[-1].changes == ("app_secret", "name")


def test_update_secret_by_prompt_and_clear_optional(cli: Cli) -> None:
    cli.add()
    result = cli("apps", "update", "cli_alpha", "--encrypt-key", input=f"{ENCRYPT_KEY}\n")
    assert result.exit_code == 0, result.output
    assert "New encrypt key" in result.output
    assert_no_secret(result)
    config, _ = cli.stored()
    assert config is not None and config.encrypt_key is not None
    cleared = cli("apps", "update", "cli_alpha", "--clear-encrypt-key")
    assert cleared.exit_code == 0, cleared.output
    config, _ = cli.stored()
    assert config is not None and config.encrypt_key is None


def test_update_with_unchanged_values_and_with_nothing(cli: Cli) -> None:
    cli.add("cli_alpha", "--name", "Same")
    same = cli("apps", "update", "cli_alpha", "--name", "Same")
    assert same.exit_code == 0 and "unchanged" in same.stdout
    assert_one_error_line(cli("apps", "update", "cli_alpha"), "nothing to update")


def test_update_unknown_app_fails_before_prompting(cli: Cli) -> None:
    cli.add()
    result = cli("apps", "update", "cli_ghost", "--secret", input="x\n")
    assert_one_error_line(result, "not registered")
    assert "secret" not in result.stdout


# --------------------------------------------------------------------------- status / remove


def test_disable_then_enable(cli: Cli) -> None:
    cli.add()
    result = cli("apps", "disable", "cli_alpha", "--by", "bob")
    assert result.exit_code == 0 and "cli_alpha is disabled" in result.stdout
    assert (config := cli.stored()[0]) is not None and config.status is AppStatus.DISABLED
    result = cli("apps", "enable", "cli_alpha")
    assert result.exit_code == 0 and "cli_alpha is active" in result.stdout
    assert [(e.action, e.actor) for e in cli.stored()[1]] == [
        ("add", "tester"),
        ("disable", "bob"),
        ("enable", "tester"),
    ]
    assert_one_error_line(cli("apps", "enable", "cli_ghost"), "not registered")


def test_remove_asks_for_confirmation(cli: Cli) -> None:
    cli.add()
    refused = cli("apps", "remove", "cli_alpha", input="n\n")
    assert refused.exit_code == 1
    assert cli.stored()[0] is not None
    confirmed = cli("apps", "remove", "cli_alpha", input="y\n")
    assert confirmed.exit_code == 0, confirmed.output
    config, trail = cli.stored()
    assert config is None and trail[-1].action == "remove"


def test_remove_with_yes_and_unknown(cli: Cli) -> None:
    cli.add()
    assert cli("apps", "remove", "cli_alpha", "--yes").exit_code == 0
    assert cli.stored()[0] is None
    assert_one_error_line(cli("apps", "remove", "cli_alpha", "--yes"), "not registered")


# --------------------------------------------------------------------------- keys


def test_rotate_key_then_drop_the_old_key(cli: Cli) -> None:
    cli.add("cli_alpha")
    cli.add("cli_beta")
    new_key = Fernet.generate_key().decode()
    result = cli("apps", "rotate-key", key=f"{new_key},{cli.key}")
    assert result.exit_code == 0, result.output
    assert "2 app(s)" in result.stdout
    after = cli("apps", "list", "--json", key=new_key)
    assert after.exit_code == 0, after.output
    assert len(json.loads(after.stdout)) == 2
    assert_one_error_line(cli("apps", "list", key=cli.key), SECRET_KEY_ENV)


def test_wrong_key_is_one_clear_line(cli: Cli) -> None:
    cli.add()
    result = cli("apps", "show", "cli_alpha", key=Fernet.generate_key().decode())
    assert_one_error_line(result, SECRET_KEY_ENV, "does not match")
    assert_no_secret(result)


def test_missing_or_invalid_key(cli: Cli) -> None:
    assert_one_error_line(cli("apps", "list", key=""), f"{SECRET_KEY_ENV} is not set")
    assert_one_error_line(cli("apps", "list", key="nope"), "not a valid Fernet key")


def test_registry_path_from_the_environment(tmp_path: Path, secret_key: str) -> None:
    db = tmp_path / "from-env.sqlite3"
    env = {SECRET_KEY_ENV: secret_key, REGISTRY_PATH_ENV: str(db)}
    result = CliRunner().invoke(
        app, ["apps", "add", "cli_alpha", "--secret-stdin"], input=f"{SECRET}\n", env=env
    )
    assert result.exit_code == 0, result.output
    assert db.exists()
