"""AppRegistry against real SQLite files: CRUD, validation, encryption, audit, hot reload."""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from lark_async.auth.crypto import SECRET_KEY_ENV, SecretBox
from lark_async.auth.models import AppStatus
from lark_async.auth.registry import (
    DEFAULT_REGISTRY_PATH,
    REGISTRY_PATH_ENV,
    AppRegistry,
    AuditEntry,
)
from lark_async.core.errors import ConfigError, Conflict, InvalidParameter, NotFound

T0 = 1_700_000_000.0
SECRET = "s3cr3t-APP-secret-value"
ENCRYPT_KEY = "enc-KEY-value-42"
TOKEN = "verif-TOKEN-value-7"


class Ticker:
    """An injected clock that moves one second per reading."""

    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        self.now += 1
        return self.now


@pytest.fixture
def box(secret_key: str) -> SecretBox:
    return SecretBox(secret_key)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return tmp_path / "apps.sqlite3"


@pytest.fixture
async def reg(db: Path, box: SecretBox) -> AsyncIterator[AppRegistry]:
    async with AppRegistry(db, box, clock=Ticker()) as registry:
        yield registry


async def add_app(reg: AppRegistry, app_id: str = "cli_alpha", **kw: str) -> None:
    await reg.add(app_id, SECRET, created_by="alice", **kw)


def raw_rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


# --------------------------------------------------------------------------- CRUD


async def test_add_then_get_find_list(reg: AppRegistry) -> None:
    added = await reg.add(
        "cli_alpha",
        SECRET,
        encrypt_key=ENCRYPT_KEY,
        verification_token=TOKEN,
        name="Alpha",
        description="first app",
        created_by="alice",
    )
    got = await reg.get("cli_alpha")
    assert got == added
    assert got.app_secret.get_secret_value() == SECRET
    assert got.encrypt_key is not None and got.encrypt_key.get_secret_value() == ENCRYPT_KEY
    assert got.verification_token is not None
    assert got.verification_token.get_secret_value() == TOKEN
    assert (got.name, got.description, got.created_by) == ("Alpha", "first app", "alice")
    assert got.status is AppStatus.ACTIVE and got.active
    assert got.created_at == datetime.fromtimestamp(T0 + 1, UTC) == got.updated_at
    assert await reg.find("cli_alpha") == got
    assert await reg.find("cli_other") is None
    await add_app(reg, "cli_beta")
    assert [c.app_id for c in await reg.list()] == ["cli_alpha", "cli_beta"]


async def test_optional_secrets_default_to_none(reg: AppRegistry, db: Path) -> None:
    await reg.add("cli_alpha", SECRET, encrypt_key="", created_by="alice")
    got = await reg.get("cli_alpha")
    assert got.encrypt_key is None and got.verification_token is None
    assert raw_rows(db, "SELECT encrypt_key, verification_token FROM apps") == [(None, None)]


async def test_get_unknown_app_is_config_error_with_hint(reg: AppRegistry) -> None:
    with pytest.raises(ConfigError) as err:
        await reg.get("cli_missing")
    assert err.value.hint == "register it: lark-async apps add cli_missing"


async def test_duplicate_add_is_conflict(reg: AppRegistry) -> None:
    await add_app(reg)
    with pytest.raises(Conflict) as err:
        await reg.add("cli_alpha", "other", created_by="bob")
    assert "already registered" in err.value.message
    assert "lark-async apps update" in (err.value.hint or "")
    assert (await reg.get("cli_alpha")).app_secret.get_secret_value() == SECRET
    assert [e.action for e in await reg.audit()] == ["add"]


async def test_update_writes_and_audits_only_real_changes(reg: AppRegistry) -> None:
    await add_app(reg, name="Alpha")
    before = await reg.get("cli_alpha")
    after = await reg.update(
        "cli_alpha", by="bob", app_secret="new-secret", name="Alpha", description="d"
    )
    assert after.app_secret.get_secret_value() == "new-secret"
    assert (after.name, after.description) == ("Alpha", "d")
    assert after.created_at == before.created_at
    assert after.updated_at is not None and before.updated_at is not None
    assert after.updated_at > before.updated_at
    last = (await reg.audit("cli_alpha"))[-1]
    assert (last.action, last.actor, last.changes) == (
        "update",
        "bob",
        ("app_secret", "description"),
    )


async def test_update_with_same_values_writes_nothing(reg: AppRegistry) -> None:
    await add_app(reg, name="Alpha")
    same = await reg.update("cli_alpha", by="bob", app_secret=SECRET, name="Alpha")
    assert same == await reg.get("cli_alpha")
    assert [e.action for e in await reg.audit()] == ["add"]


async def test_update_clears_optional_secret_with_empty_string(reg: AppRegistry) -> None:
    await add_app(reg, encrypt_key=ENCRYPT_KEY)
    cleared = await reg.update("cli_alpha", by="bob", encrypt_key="")
    assert cleared.encrypt_key is None
    assert (await reg.audit())[-1].changes == ("encrypt_key",)


async def test_update_needs_something_to_change(reg: AppRegistry) -> None:
    await add_app(reg)
    with pytest.raises(InvalidParameter, match="nothing to update"):
        await reg.update("cli_alpha", by="bob")


async def test_enable_disable_and_idempotence(reg: AppRegistry) -> None:
    await add_app(reg)
    disabled = await reg.disable("cli_alpha", by="bob")
    assert disabled.status is AppStatus.DISABLED and not disabled.active
    assert (await reg.disable("cli_alpha", by="bob")).status is AppStatus.DISABLED
    enabled = await reg.enable("cli_alpha", by="carol")
    assert enabled.status is AppStatus.ACTIVE
    trail = [(e.action, e.actor, e.changes) for e in await reg.audit()]
    assert trail == [
        ("add", "alice", ("app_secret",)),
        ("disable", "bob", ("status",)),
        ("enable", "carol", ("status",)),
    ]


async def test_remove_keeps_the_audit_trail(reg: AppRegistry) -> None:
    await add_app(reg)
    await reg.remove("cli_alpha", by="bob")
    assert await reg.find("cli_alpha") is None
    assert [e.action for e in await reg.audit("cli_alpha")] == ["add", "remove"]


@pytest.mark.parametrize("operation", ["update", "enable", "disable", "remove"])
async def test_unknown_app_is_not_found(reg: AppRegistry, operation: str) -> None:
    method = getattr(reg, operation)
    kwargs = {"name": "x"} if operation == "update" else {}
    with pytest.raises(NotFound) as err:
        await method("cli_ghost", by="bob", **kwargs)
    assert "not registered" in err.value.message
    assert "lark-async apps" in (err.value.hint or "")
    assert await reg.audit() == []


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    "app_id",
    ["", "cli_", "cli_a", "CLI_abc", "app_abc", "cli_ab-cd", "cli_ab cd", "cli_" + "a" * 65],
)
async def test_bad_app_id_is_rejected_before_writing(reg: AppRegistry, app_id: str) -> None:
    with pytest.raises(InvalidParameter) as err:
        await reg.add(app_id, SECRET, created_by="alice")
    assert "cli_" in (err.value.hint or "")
    assert await reg.list() == []


async def test_longest_valid_app_id(reg: AppRegistry) -> None:
    await add_app(reg, "cli_" + "A_9" * 21 + "z")
    assert len(await reg.list()) == 1


@pytest.mark.parametrize(
    ("secret", "problem"),
    [
        ("", "empty"),
        ("has space", "whitespace"),
        ("tab\there", "whitespace"),
        ("x" * 257, "longer"),
    ],
)
async def test_bad_secret_is_rejected_without_echoing_it(
    reg: AppRegistry, secret: str, problem: str
) -> None:
    with pytest.raises(InvalidParameter) as err:
        await reg.add("cli_alpha", secret, created_by="alice")
    assert problem in err.value.message
    if secret:
        assert secret not in str(err.value)
    assert await reg.list() == []


async def test_bad_optional_secret_and_actor(reg: AppRegistry) -> None:
    with pytest.raises(InvalidParameter, match="encrypt_key"):
        await reg.add("cli_alpha", SECRET, encrypt_key="a b", created_by="alice")
    with pytest.raises(InvalidParameter, match="actor"):
        await reg.add("cli_alpha", SECRET, created_by=" ")
    with pytest.raises(InvalidParameter, match="name"):
        await reg.add("cli_alpha", SECRET, name="n" * 500, created_by="alice")
    await add_app(reg)
    with pytest.raises(InvalidParameter, match="app_secret"):
        await reg.update("cli_alpha", by="bob", app_secret="")


# --------------------------------------------------------------------------- secrets


async def test_secrets_are_ciphertext_at_rest_and_never_in_audit(
    reg: AppRegistry, db: Path
) -> None:
    await reg.add(
        "cli_alpha",
        SECRET,
        encrypt_key=ENCRYPT_KEY,
        verification_token=TOKEN,
        created_by="alice",
    )
    await reg.update("cli_alpha", by="bob", app_secret="second-SECRET-value")
    await reg.rotate_key(by="bob")
    raw = db.read_bytes()
    for plaintext in (SECRET, ENCRYPT_KEY, TOKEN, "second-SECRET-value"):
        assert plaintext.encode() not in raw
    ciphertexts = raw_rows(db, "SELECT app_secret, encrypt_key, verification_token FROM apps")[0]
    audit_text = repr(raw_rows(db, "SELECT * FROM app_audit"))
    for value in ciphertexts:
        assert isinstance(value, str) and value not in audit_text
    assert "app_secret" in audit_text  # field names, not values


async def test_reprs_hide_secrets(reg: AppRegistry, box: SecretBox) -> None:
    await reg.add("cli_alpha", SECRET, encrypt_key=ENCRYPT_KEY, created_by="alice")
    config = await reg.current("cli_alpha")
    for text in (repr(config), str(config), repr(reg), repr(await reg.audit())):
        assert SECRET not in text and ENCRYPT_KEY not in text
    assert "**" in repr(config)
    assert repr(box) == "SecretBox(<keys hidden>)"


async def test_wrong_key_is_config_error_naming_the_variable(db: Path, box: SecretBox) -> None:
    async with AppRegistry(db, box) as reg:
        await add_app(reg)
        stored = raw_rows(db, "SELECT app_secret FROM apps")[0][0]
    async with AppRegistry(db, SecretBox(Fernet.generate_key().decode())) as wrong:
        for read in (wrong.get, wrong.current):
            with pytest.raises(ConfigError) as err:
                await read("cli_alpha")
            text = str(err.value)
            assert SECRET_KEY_ENV in text
            assert "does not match the key the registry was written with" in text
            assert SECRET not in text and str(stored) not in text
        with pytest.raises(ConfigError, match=SECRET_KEY_ENV):
            await wrong.list()


def test_missing_key_is_config_error_naming_the_variable(db: Path) -> None:
    with pytest.raises(ConfigError, match=SECRET_KEY_ENV):
        AppRegistry.from_env({REGISTRY_PATH_ENV: str(db)})


def test_from_env_reads_path_and_key(db: Path, secret_key: str) -> None:
    reg = AppRegistry.from_env({REGISTRY_PATH_ENV: str(db), SECRET_KEY_ENV: secret_key})
    assert reg.path == str(db)
    default = AppRegistry.from_env({SECRET_KEY_ENV: secret_key})
    assert default.path == DEFAULT_REGISTRY_PATH


async def test_rotation_to_a_new_key_then_dropping_the_old(db: Path, secret_key: str) -> None:
    async with AppRegistry(db, SecretBox(secret_key)) as reg:
        await reg.add("cli_alpha", SECRET, encrypt_key=ENCRYPT_KEY, created_by="alice")
        await add_app(reg, "cli_beta")
    new_key = Fernet.generate_key().decode()
    async with AppRegistry(db, SecretBox(f"{new_key},{secret_key}")) as both:
        assert await both.rotate_key(by="ops") == 2
        rotations = [e for e in await both.audit() if e.action == "rotate-key"]
        assert [(e.app_id, e.changes) for e in rotations] == [
            ("cli_alpha", ("app_secret", "encrypt_key")),
            ("cli_beta", ("app_secret",)),
        ]
    async with AppRegistry(db, SecretBox(new_key)) as new_only:
        alpha = await new_only.get("cli_alpha")
        assert alpha.app_secret.get_secret_value() == SECRET
        assert alpha.encrypt_key is not None
        assert alpha.encrypt_key.get_secret_value() == ENCRYPT_KEY
        assert len(await new_only.list()) == 2
    async with AppRegistry(db, SecretBox(secret_key)) as old_only:
        with pytest.raises(ConfigError, match=SECRET_KEY_ENV):
            await old_only.get("cli_alpha")


async def test_rotation_with_an_unreadable_row_changes_nothing(db: Path, secret_key: str) -> None:
    async with AppRegistry(db, SecretBox(secret_key)) as reg:
        await add_app(reg, "cli_alpha")
    other = Fernet.generate_key().decode()
    async with AppRegistry(db, SecretBox(other)) as reg:
        await add_app(reg, "cli_beta")
    before = raw_rows(db, "SELECT * FROM apps ORDER BY app_id")
    async with AppRegistry(db, SecretBox(f"{Fernet.generate_key().decode()},{secret_key}")) as reg:
        with pytest.raises(ConfigError, match="cli_beta"):
            await reg.rotate_key(by="ops")
    assert raw_rows(db, "SELECT * FROM apps ORDER BY app_id") == before
    assert [r[0] for r in raw_rows(db, "SELECT action FROM app_audit")] == ["add", "add"]


# --------------------------------------------------------------------------- audit


async def test_audit_entries(reg: AppRegistry) -> None:
    await add_app(reg, "cli_alpha", name="A")
    await add_app(reg, "cli_beta")
    await reg.update("cli_alpha", by="bob", name="B")
    everything = await reg.audit()
    assert [e.id for e in everything] == sorted(e.id for e in everything)
    assert [e.app_id for e in everything] == ["cli_alpha", "cli_beta", "cli_alpha"]
    alpha = await reg.audit("cli_alpha")
    assert alpha[0] == AuditEntry(
        id=alpha[0].id,
        app_id="cli_alpha",
        action="add",
        actor="alice",
        at=datetime.fromtimestamp(T0 + 1, UTC),
        changes=("app_secret", "name"),
    )
    assert alpha[1].changes == ("name",)
    with pytest.raises(AttributeError):
        alpha[0].actor = "mallory"  # type: ignore[misc]


async def test_audit_table_is_append_only(reg: AppRegistry, db: Path) -> None:
    await add_app(reg)
    with sqlite3.connect(db) as conn:
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("UPDATE app_audit SET actor = 'mallory'")
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            conn.execute("DELETE FROM app_audit")
    assert [e.actor for e in await reg.audit()] == ["alice"]


# --------------------------------------------------------------------------- file and schema


async def test_schema_creation_is_idempotent_and_file_private(db: Path, box: SecretBox) -> None:
    async with AppRegistry(db, box) as reg:
        await add_app(reg)
    async with AppRegistry(db, box) as reg:
        assert len(await reg.list()) == 1
    assert raw_rows(db, "PRAGMA user_version") == [(1,)]
    assert raw_rows(db, "PRAGMA journal_mode") == [("delete",)]
    assert db.stat().st_mode & 0o777 == 0o600


async def test_newer_schema_is_refused(db: Path, box: SecretBox) -> None:
    with sqlite3.connect(db) as conn:
        conn.execute("PRAGMA user_version = 99")
    with pytest.raises(ConfigError, match="schema version 99"):
        await AppRegistry(db, box).open()


async def test_not_a_database_or_bad_path_is_config_error(tmp_path: Path, box: SecretBox) -> None:
    junk = tmp_path / "junk.sqlite3"
    junk.write_bytes(b"this is not a database" * 100)
    with pytest.raises(ConfigError, match="cannot open"):
        await AppRegistry(junk, box).open()
    with pytest.raises(ConfigError, match="cannot open"):
        await AppRegistry(tmp_path / "no" / "such" / "dir.sqlite3", box).open()


async def test_use_before_open_is_a_programming_error(db: Path, box: SecretBox) -> None:
    with pytest.raises(RuntimeError, match="not open"):
        await AppRegistry(db, box).list()


async def test_concurrent_writers_on_two_connections(db: Path, box: SecretBox) -> None:
    async with AppRegistry(db, box) as one, AppRegistry(db, box) as two:
        await asyncio.gather(
            *(add_app(one, f"cli_one_{i}") for i in range(10)),
            *(add_app(two, f"cli_two_{i}") for i in range(10)),
        )
        assert len(await one.list()) == 20
        assert len(await two.audit()) == 20


# --------------------------------------------------------------------------- current()


class CountingScalar:
    """Counts the PRAGMA queries current() makes, to prove the fast path skips them."""

    def __init__(self, reg: AppRegistry) -> None:
        self.calls = 0
        self._real = reg._scalar

    async def __call__(self, conn: object, sql: str) -> int:
        self.calls += 1
        return await self._real(conn, sql)  # type: ignore[arg-type]


def age_file(db: Path, seconds: float = 10.0) -> None:
    st = db.stat()
    past = st.st_mtime_ns - int(seconds * 1e9)
    os.utime(db, ns=(past, past))


async def test_current_is_cached_and_quiet_file_costs_no_query(
    reg: AppRegistry, db: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    await add_app(reg)
    first = await reg.current("cli_alpha")
    age_file(db)
    assert await reg.current("cli_alpha") is first  # stat changed: checked, still valid
    spy = CountingScalar(reg)
    monkeypatch.setattr(reg, "_scalar", spy)
    for _ in range(5):
        assert await reg.current("cli_alpha") is first
    assert spy.calls == 0


async def test_current_sees_own_writes_at_once(reg: AppRegistry, db: Path) -> None:
    await add_app(reg)
    await reg.current("cli_alpha")
    age_file(db)
    await reg.current("cli_alpha")
    await reg.disable("cli_alpha", by="bob")
    assert (await reg.current("cli_alpha")).status is AppStatus.DISABLED


async def test_current_sees_another_connections_change_immediately(
    db: Path, box: SecretBox
) -> None:
    async with AppRegistry(db, box) as client, AppRegistry(db, box) as admin:
        await add_app(admin)
        assert (await client.current("cli_alpha")).name == ""
        await admin.update("cli_alpha", by="bob", name="renamed", app_secret="rotated-secret")
        now = await client.current("cli_alpha")
        assert now.name == "renamed"
        assert now.app_secret.get_secret_value() == "rotated-secret"
        await admin.disable("cli_alpha", by="bob")
        assert not (await client.current("cli_alpha")).active
        await admin.remove("cli_alpha", by="bob")
        with pytest.raises(ConfigError, match="not registered"):
            await client.current("cli_alpha")


async def test_current_catches_a_change_that_leaves_the_stat_unchanged(
    db: Path, box: SecretBox
) -> None:
    # A coarse-mtime filesystem: the second commit lands in the same tick, so
    # (inode, size, mtime) look untouched. The settle window still catches it.
    async with AppRegistry(db, box) as client, AppRegistry(db, box) as admin:
        await add_app(admin, name="aaaa")
        await client.current("cli_alpha")
        st = db.stat()
        await admin.update("cli_alpha", by="bob", name="bbbb")
        os.utime(db, ns=(st.st_atime_ns, st.st_mtime_ns))
        assert db.stat().st_size == st.st_size
        assert (await client.current("cli_alpha")).name == "bbbb"


async def test_current_reopens_when_the_file_is_replaced(
    tmp_path: Path, db: Path, box: SecretBox
) -> None:
    staged = tmp_path / "staged.sqlite3"
    async with AppRegistry(db, box) as client:
        await add_app(client, "cli_alpha")
        await client.current("cli_alpha")
        async with AppRegistry(staged, box) as builder:
            await add_app(builder, "cli_alpha", name="from the new file")
        await client.update("cli_alpha", by="bob", name="old file")  # a write just before
        shutil.copy(staged, tmp_path / "tmp.sqlite3")
        os.replace(tmp_path / "tmp.sqlite3", db)
        assert (await client.current("cli_alpha")).name == "from the new file"


async def test_current_when_the_file_disappears(reg: AppRegistry, db: Path) -> None:
    await add_app(reg)
    await reg.current("cli_alpha")
    db.unlink()
    with pytest.raises(ConfigError, match="disappeared"):
        await reg.current("cli_alpha")


async def test_current_sees_a_change_made_by_another_process(
    db: Path, box: SecretBox, secret_key: str
) -> None:
    async with AppRegistry(db, box) as client:
        await add_app(client)
        assert (await client.current("cli_alpha")).name == ""
        env = {**os.environ, SECRET_KEY_ENV: secret_key}
        args = ["--registry", str(db), "apps", "update", "cli_alpha", "--name", "via-cli"]
        done = subprocess.run(
            [sys.executable, "-m", "lark_async.cli.main", *args, "--by", "ops"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert done.returncode == 0, done.stderr
        assert (await client.current("cli_alpha")).name == "via-cli"
        assert (await client.audit())[-1].actor == "ops"
