"""Each optional feature, without its extra, is a ConfigError that names the extra.

The missing package is simulated in a fresh interpreter with
``sys.modules[name] = None`` (Python then refuses to import it), so this
process's already imported modules don't hide the check.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from lark_async.core.errors import ConfigError
from lark_async.core.extras import EXTRAS, install_hint, require

ROOT = Path(__file__).resolve().parent.parent

# Runs `body` with `blocked` unimportable; prints the ConfigError it raised as JSON.
_PRELUDE = """
import asyncio, json, sys
for name in {blocked!r}:
    sys.modules[name] = None
from lark_async.core.errors import ConfigError
try:
{body}
except ConfigError as err:
    print(json.dumps({{"message": err.message, "hint": err.hint}}))
else:
    print(json.dumps(None))
"""


def _config_error(blocked: list[str], body: str) -> dict[str, str]:
    code = _PRELUDE.format(blocked=blocked, body=textwrap.indent(textwrap.dedent(body), "    "))
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    env.pop("LARK_ASYNC_TOKEN_STORE", None)
    proc = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        cwd=ROOT,
    )
    assert proc.returncode == 0, proc.stderr
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    assert result is not None, f"no ConfigError with {blocked} blocked"
    return dict(result)


def _fernet_key() -> str:
    from cryptography.fernet import Fernet

    return Fernet.generate_key().decode()


FEATURES = {
    "postgres token store": (
        ["asyncpg"],
        """
        from lark_async import LarkClient
        LarkClient("cli_x", "secret", token_store="postgresql://u@127.0.0.1/db",
                   secret_key="{key}")
        """,
        "postgres",
    ),
    "postgres contact cache": (
        ["asyncpg"],
        """
        from lark_async.contact.store import store_for
        store_for("postgresql://u@127.0.0.1/db")
        """,
        "postgres",
    ),
    "postgres aPaaS execution records": (
        ["asyncpg"],
        """
        from lark_async.apaas.store import store_for
        store_for("postgresql://u@127.0.0.1/db")
        """,
        "postgres",
    ),
    "shared limits": (
        ["asyncpg"],
        """
        from lark_async.shared import Sharing
        """,
        "postgres",
    ),
    "migrations without alembic": (
        ["alembic"],
        """
        from lark_async.auth import migrations
        asyncio.run(migrations.upgrade("postgresql://u@127.0.0.1:1/db"))
        """,
        "postgres",
    ),
    "migrations without sqlalchemy": (
        ["sqlalchemy"],
        """
        from lark_async.auth import migrations
        asyncio.run(migrations.upgrade("postgresql://u@127.0.0.1:1/db"))
        """,
        "postgres",
    ),
    "rabbitmq broker": (
        ["aio_pika"],
        """
        from lark_async.callbacks import RabbitBroker
        RabbitBroker("amqp://guest:guest@127.0.0.1:5672/")
        """,
        "rabbitmq",
    ),
}


@pytest.mark.parametrize("feature", sorted(FEATURES))
def test_a_feature_without_its_extra_names_the_extra(feature: str) -> None:
    blocked, body, extra = FEATURES[feature]
    err = _config_error(blocked, body.replace("{key}", _fernet_key()))
    assert err["hint"] == f"pip install 'lark-async[{extra}]'"
    assert repr(blocked[0]) in err["message"]


def test_the_cli_without_its_extra_prints_one_line_naming_it() -> None:
    code = "import sys; sys.modules['typer'] = None\nfrom lark_async.cli import main\nmain()"
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 1
    assert proc.stdout == ""
    assert proc.stderr.strip().count("\n") == 0, proc.stderr  # one line, no traceback
    assert "pip install 'lark-async[cli]'" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_the_core_imports_with_every_extra_blocked() -> None:
    blocked = sorted({name for names in EXTRAS.values() for name in names})
    code = textwrap.dedent(
        f"""
        import sys
        for name in {blocked!r}:
            sys.modules[name] = None
        import lark_async, lark_async.testing, lark_async.messaging, lark_async.callbacks
        from lark_async import LarkClient
        LarkClient("cli_x", "secret")
        print("ok")
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "ok"


def test_require_returns_the_module() -> None:
    assert require("json", extra="fast", feature="JSON") is sys.modules["json"]


def test_require_names_the_extra_and_the_package(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "asyncpg", None)
    with pytest.raises(ConfigError) as caught:
        require("asyncpg", extra="postgres", feature="PostgreSQL stores")
    assert caught.value.hint == install_hint("postgres") == "pip install 'lark-async[postgres]'"
    assert (
        caught.value.message
        == "the 'asyncpg' package is not installed (needed for PostgreSQL stores)"
    )
    assert caught.value.details == {"extra": "postgres", "package": "asyncpg"}


def test_require_of_a_submodule_names_the_top_package(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in [n for n in sys.modules if n.split(".")[0] == "sqlalchemy"]:
        monkeypatch.delitem(sys.modules, name)  # loaded by other tests: forget them here
    monkeypatch.setitem(sys.modules, "sqlalchemy", None)
    with pytest.raises(ConfigError, match="'sqlalchemy' package") as caught:
        require("sqlalchemy.ext.asyncio", extra="postgres", feature="PostgreSQL migrations")
    assert "lark-async[postgres]" in str(caught.value.hint)


def test_require_keeps_the_error_of_a_broken_install(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The package is there but fails importing something else: not a missing extra.
    (tmp_path / "lark_broken_pkg.py").write_text("import lark_no_such_dependency\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ModuleNotFoundError) as caught:
        require("lark_broken_pkg", extra="x", feature="y")
    assert not isinstance(caught.value, ConfigError)
    assert caught.value.name == "lark_no_such_dependency"


def test_a_cli_command_without_its_extra_is_one_error_line() -> None:
    code = (
        "import sys\n"
        "sys.modules['asyncpg'] = None\n"
        "sys.argv = ['lark-async', 'db', 'upgrade', '--dsn', 'postgresql://u@127.0.0.1:1/x']\n"
        "from lark_async.cli import main\n"
        "main()\n"
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.run(
        [sys.executable, "-c", code],
        check=False,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    assert errors == [
        "error: the 'asyncpg' package is not installed (needed for PostgreSQL stores) "
        "(hint: pip install 'lark-async[postgres]')"
    ]


def test_telemetry_install_without_the_otel_extra_names_it(monkeypatch: pytest.MonkeyPatch) -> None:
    from lark_async.core import telemetry

    for name in [n for n in sys.modules if n.split(".")[0] == "opentelemetry"]:
        monkeypatch.delitem(sys.modules, name)  # loaded by other tests: forget them here
    monkeypatch.setitem(sys.modules, "opentelemetry", None)
    before = telemetry.recorder
    with pytest.raises(ConfigError) as caught:
        telemetry.install(tracer_provider=object())
    assert caught.value.hint == "pip install 'lark-async[otel]'"
    assert telemetry.recorder is before  # nothing was swapped
    # turning recording off needs no extra
    assert telemetry.install(telemetry.Recorder()) is before
    telemetry.install(before)
