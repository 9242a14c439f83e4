"""The app registry: self-built apps' credentials in SQLite, secrets Fernet-encrypted.

One file (``LARK_ASYNC_REGISTRY_PATH``, default ``lark-apps.sqlite3``) holds
two tables: ``apps`` (one row per app; ``app_secret``, ``encrypt_key`` and
``verification_token`` are ciphertext under ``LARK_ASYNC_SECRET_KEY``) and
``app_audit``, an append-only trail of who changed which fields when. Audit
rows name changed *fields*, never values.

The CLI (``lark-async apps ...``) and running clients share the file; a
running client sees a change at its next call through :meth:`AppRegistry.current`.
"""

from __future__ import annotations

import asyncio
import builtins
import contextlib
import json
import os
import re
import sqlite3
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from types import TracebackType
from typing import Any, NamedTuple

import aiosqlite

from lark_async.auth.crypto import SECRET_KEY_ENV, DecryptError, SecretBox
from lark_async.auth.models import AppConfig, AppStatus
from lark_async.core.checks import (
    check_callable,
    check_file_path,
    check_has,
    check_number,
    check_text,
)
from lark_async.core.errors import ConfigError, Conflict, InvalidParameter, NotFound
from lark_async.core.perloop import PerLoop
from lark_async.core.secret import Secret

__all__ = [
    "DEFAULT_REGISTRY_PATH",
    "REGISTRY_PATH_ENV",
    "AppRegistry",
    "AuditEntry",
    "RegistryNotOpen",
    "check_app_id",
]

REGISTRY_PATH_ENV = "LARK_ASYNC_REGISTRY_PATH"
DEFAULT_REGISTRY_PATH = "lark-apps.sqlite3"
SCHEMA_VERSION = 1

APP_ID_PATTERN = re.compile(r"^cli_[A-Za-z0-9_]{2,64}\Z")
MAX_SECRET_LEN = 256
MAX_NAME_LEN = 128
MAX_DESCRIPTION_LEN = 1024
MAX_ACTOR_LEN = 128

# File mtimes are only as fine as the filesystem's clock tick (1-2 s on some),
# so a commit landing in the same tick as the one we last saw leaves the stat
# unchanged. Until we have checked the database at least this long after the
# file's mtime, stat alone cannot prove the cache fresh.
MTIME_SETTLE_SECONDS = 2.0

SECRET_FIELDS = ("app_secret", "encrypt_key", "verification_token")
AUDIT_ACTIONS = ("add", "update", "enable", "disable", "remove", "rotate-key")

_SCHEMA = f"""
CREATE TABLE IF NOT EXISTS apps (
    app_id             TEXT PRIMARY KEY,
    app_secret         TEXT NOT NULL,
    encrypt_key        TEXT,
    verification_token TEXT,
    name               TEXT NOT NULL DEFAULT '',
    description        TEXT NOT NULL DEFAULT '',
    status             TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'disabled')),
    created_by         TEXT NOT NULL,
    created_at         TEXT NOT NULL,
    updated_at         TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS app_audit (
    id      INTEGER PRIMARY KEY AUTOINCREMENT,
    app_id  TEXT NOT NULL,
    action  TEXT NOT NULL CHECK (action IN ({", ".join(repr(a) for a in AUDIT_ACTIONS)})),
    actor   TEXT NOT NULL,
    at      TEXT NOT NULL,
    changes TEXT NOT NULL DEFAULT '[]'
);
CREATE INDEX IF NOT EXISTS app_audit_by_app ON app_audit (app_id, id);
CREATE TRIGGER IF NOT EXISTS app_audit_no_update BEFORE UPDATE ON app_audit
BEGIN SELECT RAISE(ABORT, 'app_audit is append-only'); END;
CREATE TRIGGER IF NOT EXISTS app_audit_no_delete BEFORE DELETE ON app_audit
BEGIN SELECT RAISE(ABORT, 'app_audit is append-only'); END;
"""

_APP_COLUMNS = (
    "app_id, app_secret, encrypt_key, verification_token, name, description, "
    "status, created_by, created_at, updated_at"
)
_SELECT_APP = f"SELECT {_APP_COLUMNS} FROM apps WHERE app_id = ?"  # noqa: S608 (constant)
_SELECT_APPS = f"SELECT {_APP_COLUMNS} FROM apps ORDER BY app_id"  # noqa: S608 (constant)


@dataclass(frozen=True, slots=True)
class AuditEntry:
    """One row of the append-only audit trail. ``changes`` are field names only."""

    id: int
    app_id: str
    action: str
    actor: str
    at: datetime
    changes: tuple[str, ...]


class _FileSig(NamedTuple):
    """What ``os.stat`` tells us about the database file, cheaply."""

    dev: int
    ino: int
    size: int
    mtime_ns: int

    @classmethod
    def of(cls, st: os.stat_result) -> _FileSig:
        return cls(st.st_dev, st.st_ino, st.st_size, st.st_mtime_ns)


class _Handle:
    """One event loop's connection to the file, the lock serialising its use,
    and what that connection has seen (``PRAGMA data_version`` is per connection)."""

    __slots__ = ("conn", "data_version", "file_id", "lock")

    def __init__(self, conn: aiosqlite.Connection, file_id: tuple[int, int]) -> None:
        self.conn = conn
        self.file_id = file_id  # (device, inode) the connection reads
        self.data_version: int | None = None
        self.lock = asyncio.Lock()


# --------------------------------------------------------------------------- validation


def check_app_id(app_id: str) -> None:
    """Raise ``InvalidParameter`` unless ``app_id`` looks like ``cli_...``."""
    if not isinstance(app_id, str) or not APP_ID_PATTERN.match(app_id):
        shown = repr(app_id[:70]) if isinstance(app_id, str) else f"(a {type(app_id).__name__})"
        raise InvalidParameter(
            f"invalid app_id {shown}",
            hint="an app_id looks like cli_a1b2c3d4e5 (cli_ then 2-64 letters, digits or _); "
            "copy it from the developer console",
        )


def _check_secret(field: str, value: str, *, allow_empty: bool = False) -> None:
    # Messages never include the value: it is a secret even when malformed.
    if not isinstance(value, str):
        raise InvalidParameter(f"{field} must be a string")
    if not value and not allow_empty:
        raise InvalidParameter(f"{field} is empty", hint=f"paste the {field} from the console")
    if any(ch.isspace() for ch in value):
        raise InvalidParameter(
            f"{field} contains whitespace",
            hint="check for a stray space or newline when it was pasted",
        )
    if len(value) > MAX_SECRET_LEN:
        raise InvalidParameter(f"{field} is longer than {MAX_SECRET_LEN} characters")
    check_text(value, field)  # lone surrogates


def _check_text(field: str, value: str, limit: int) -> None:
    if not isinstance(value, str):
        raise InvalidParameter(f"{field} must be a string")
    if len(value) > limit:
        raise InvalidParameter(f"{field} is longer than {limit} characters")
    check_text(value, field)  # lone surrogates


def _check_actor(actor: str) -> None:
    if not isinstance(actor, str):
        raise InvalidParameter("the actor (by / created_by) must be a string")
    if not actor.strip():
        raise InvalidParameter("the actor (by / created_by) is empty", hint="say who acts")
    _check_text("actor (by / created_by)", actor, MAX_ACTOR_LEN)


# --------------------------------------------------------------------------- errors


class RegistryNotOpen(ConfigError, RuntimeError):
    """The registry was used before ``open()`` (or ``async with``), or after ``close()``."""


def _not_found(app_id: str) -> NotFound:
    return NotFound(
        f"app {app_id} is not registered",
        hint=f"see lark-async apps list, or register it: lark-async apps add {app_id}",
    )


def _undecryptable(app_id: str) -> ConfigError:
    return ConfigError(
        f"cannot decrypt the secrets of app {app_id}: {SECRET_KEY_ENV} does not match "
        "the key the registry was written with",
        hint=f"set {SECRET_KEY_ENV} to that key; to change keys use NEW,OLD and run "
        "lark-async apps rotate-key",
    )


def _locked(path: str) -> Conflict:
    return Conflict(
        f"the app registry {path} is locked by another writer",
        retryable=True,
        hint="another lark-async process is writing it; try again",
    )


# --------------------------------------------------------------------------- registry


class AppRegistry:
    """Apps and their encrypted secrets in one SQLite file, with an audit trail.

    ``async with AppRegistry(path, box) as reg`` opens (creating the schema if
    needed) and closes it. ``get``/``find``/``list`` always read the file;
    :meth:`current` is the cached read for the request hot path.

    Once open, any event loop may use it, one after another (``asyncio.run``
    twice): each loop gets its own connection, made on first use and closed
    when that loop shuts down; the cache belongs to the registry. After
    :meth:`close` it is closed for every loop until :meth:`open` is called again.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        box: SecretBox,
        *,
        clock: Callable[[], float] = time.time,
        busy_timeout: float = 5.0,
    ) -> None:
        self._path = check_file_path(path, "path", error=ConfigError)
        check_has(box, "box", ("encrypt", "decrypt", "rotate"), "a SecretBox", error=ConfigError)
        self._box = box
        self._clock = check_callable(clock, "clock", error=ConfigError)
        seconds = check_number(busy_timeout, "busy_timeout", min=0, max=86_400, error=ConfigError)
        self._busy_timeout_ms = int(seconds * 1000)
        self._open = False
        self._handles: PerLoop[_Handle] = PerLoop(
            self._connect, close=self._close_handle, drop=self._close_handle
        )
        # current()'s cache and what it was validated against.
        self._cache: dict[str, AppConfig] = {}
        self._generation = 0  # bumped whenever the cache is dropped
        self._sig: _FileSig | None = None
        self._verified_at = 0.0
        # File mtimes are real time, so the settle check compares against the
        # real clock even when a test injects a fake one for timestamps.
        self._wall: Callable[[], float] = time.time

    @classmethod
    def from_env(cls, env: Mapping[str, str] | None = None) -> AppRegistry:
        """From ``LARK_ASYNC_REGISTRY_PATH`` (default ``lark-apps.sqlite3``) and the secret key."""
        if env is not None and not isinstance(env, Mapping):
            raise ConfigError(
                f"env must be a mapping, not {type(env).__name__}", details={"argument": "env"}
            )
        source = os.environ if env is None else env
        path = source.get(REGISTRY_PATH_ENV) or DEFAULT_REGISTRY_PATH
        return cls(path, SecretBox.from_env(dict(source)))

    @property
    def path(self) -> str:
        return self._path

    def __repr__(self) -> str:
        state = "open" if self._open else "closed"
        return f"AppRegistry(path={self._path!r}, {state}, cached={len(self._cache)})"

    # ----------------------------------------------------------------- lifecycle

    async def open(self) -> None:
        """Connect and create the schema (idempotent). Safe to call twice."""
        if not self._open:
            self._create_private_file()
        await self._handles.get()  # this loop's connection, made once per loop
        self._open = True

    async def _connect(self) -> _Handle:
        return _Handle(*await self._open_file())

    async def _open_file(self) -> tuple[aiosqlite.Connection, tuple[int, int]]:
        # Stat first: if the file is swapped in between, we reopen once more
        # rather than miss the swap.
        file_id = self._stat()[:2]
        try:
            conn = await aiosqlite.connect(self._path, isolation_level=None)
        except sqlite3.Error as exc:
            raise self._cannot_open(exc) from None
        try:
            await self._prepare(conn)
        except BaseException:
            await conn.close()
            raise
        # A new connection has seen nothing yet: revalidate from scratch.
        self._reset_cache()
        self._sig = None
        return conn, file_id

    async def _close_handle(self, handle: _Handle) -> None:
        # Also used for a connection whose loop is gone: aiosqlite waits for its
        # worker thread through a future made on the calling loop, so this is
        # safe on any live loop. The bound only matters if that thread died.
        with contextlib.suppress(sqlite3.Error, ValueError, TimeoutError):
            await asyncio.wait_for(handle.conn.close(), self._busy_timeout_ms / 1000 + 1.0)

    async def close(self) -> None:
        """Close the registry (every loop's connection); :meth:`open` reopens it."""
        self._open = False
        self._reset_cache()
        await self._handles.aclose()

    async def __aenter__(self) -> AppRegistry:
        await self.open()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    def _create_private_file(self) -> None:
        # The file holds (encrypted) secrets: create it owner-only, before
        # SQLite would create it with the umask's looser default.
        try:
            fd = os.open(self._path, os.O_CREAT | os.O_RDWR, 0o600)
        except OSError as exc:
            raise ConfigError(
                f"cannot open the app registry {self._path}: {exc.strerror}",
                hint=f"check the directory exists and is writable, or set {REGISTRY_PATH_ENV}",
            ) from None
        os.close(fd)

    def _cannot_open(self, exc: sqlite3.Error) -> ConfigError:
        return ConfigError(
            f"cannot open the app registry {self._path}: {exc}",
            hint=f"is it a lark-async registry file? check {REGISTRY_PATH_ENV}",
        )

    async def _prepare(self, conn: aiosqlite.Connection) -> None:
        try:
            # Rollback journal (SQLite's default), not WAL: the file is tiny and
            # rarely written, and WAL's -wal/-shm files complicate copying it.
            await conn.execute(f"PRAGMA busy_timeout = {self._busy_timeout_ms}")
            version = await self._scalar(conn, "PRAGMA user_version")
            if version > SCHEMA_VERSION:
                raise ConfigError(
                    f"the app registry {self._path} has schema version {version}; "
                    f"this lark-async understands up to {SCHEMA_VERSION}",
                    hint="upgrade lark-async",
                )
            if version < SCHEMA_VERSION:
                await conn.executescript(
                    f"BEGIN IMMEDIATE;{_SCHEMA}PRAGMA user_version = {SCHEMA_VERSION};COMMIT;"
                )
        except sqlite3.OperationalError as exc:
            if "locked" in str(exc):
                raise _locked(self._path) from None
            raise self._cannot_open(exc) from None
        except sqlite3.DatabaseError as exc:
            raise self._cannot_open(exc) from None

    async def _handle(self) -> _Handle:
        """This loop's connection (made on its first use here) once the registry is open."""
        if not self._open:
            raise RegistryNotOpen("the AppRegistry is not open: use `async with` or await open()")
        return await self._handles.get()

    # ----------------------------------------------------------------- reads

    async def find(self, app_id: str) -> AppConfig | None:
        """The app, read from the file now, or ``None`` if it is not registered."""
        check_app_id(app_id)
        handle = await self._handle()
        async with handle.lock:
            row = await self._row(handle.conn, app_id)
        return None if row is None else self._to_config(row)

    async def get(self, app_id: str) -> AppConfig:
        """The app, read from the file now. ``ConfigError`` if it is not registered."""
        config = await self.find(app_id)
        if config is None:
            raise ConfigError(
                f"app {app_id} is not registered in {self._path}",
                hint=f"register it: lark-async apps add {app_id}",
            )
        return config

    async def list(self) -> builtins.list[AppConfig]:
        """Every registered app, ordered by app_id."""
        handle = await self._handle()
        async with handle.lock:
            cursor = await handle.conn.execute(_SELECT_APPS)
            rows = await cursor.fetchall()
        return [self._to_config(row) for row in rows]

    async def audit(self, app_id: str | None = None) -> builtins.list[AuditEntry]:
        """The audit trail, oldest first; one app's, or everyone's."""
        sql = "SELECT id, app_id, action, actor, at, changes FROM app_audit"
        params: tuple[str, ...] = ()
        if app_id is not None:
            check_app_id(app_id)
            sql += " WHERE app_id = ?"
            params = (app_id,)
        handle = await self._handle()
        async with handle.lock:
            cursor = await handle.conn.execute(sql + " ORDER BY id", params)
            rows = await cursor.fetchall()
        return [
            AuditEntry(
                id=int(r[0]),
                app_id=str(r[1]),
                action=str(r[2]),
                actor=str(r[3]),
                at=datetime.fromisoformat(str(r[4])),
                changes=tuple(json.loads(str(r[5]))),
            )
            for r in rows
        ]

    async def current(self, app_id: str) -> AppConfig:
        """The app as it is now, for the request hot path; cached, never stale.

        Rule: a cached entry is served when the database file's (device,
        inode, size, mtime_ns) equal those seen at the last check *and* that
        check ran at least 2 s after the mtime. Otherwise ``PRAGMA
        data_version`` is read, which changes whenever another connection (say
        the CLI in another process) commits; if it moved, the cache is
        dropped. The 2 s settle time covers filesystems whose mtime ticks
        coarsely, where a second commit can leave the stat unchanged. A new
        inode (the file was replaced) reopens the connection. Writes through
        this object drop the cache at once. So a change is seen at the next
        call, and a quiet registry costs one ``os.stat`` per call.

        Disabled apps are returned too (``config.active`` is False); refusing
        them is the caller's decision. Unknown apps raise ``ConfigError``.
        """
        if not isinstance(app_id, str):
            check_app_id(app_id)  # raises
        handle = await self._handle()
        await self._revalidate(handle)
        cached = self._cache.get(app_id)
        if cached is not None:
            return cached
        check_app_id(app_id)
        async with handle.lock:
            generation = self._generation
            row = await self._row(handle.conn, app_id)
        if row is None:
            return await self.get(app_id)  # raises the same error get() does
        config = self._to_config(row)
        # If a write or a reload ran meanwhile, this row may predate it.
        if self._generation == generation:
            self._cache[app_id] = config
        return config

    async def _revalidate(self, handle: _Handle) -> None:
        sig = self._stat()
        if sig == self._sig and self._verified_at - sig.mtime_ns / 1e9 >= MTIME_SETTLE_SECONDS:
            return  # fast path: no thread hop, no query
        async with handle.lock:
            if sig[:2] != handle.file_id:
                await self._reopen(handle)
            checked_at = self._wall()
            version = await self._scalar(handle.conn, "PRAGMA data_version")
            if version != handle.data_version:
                self._reset_cache()
            self._sig, handle.data_version, self._verified_at = sig, version, checked_at

    def _stat(self) -> _FileSig:
        # Synchronous on purpose: a stat is a few microseconds, far less than
        # the thread hop asyncio.to_thread would cost on every call.
        try:
            return _FileSig.of(os.stat(self._path))
        except FileNotFoundError:
            raise ConfigError(
                f"the app registry {self._path} has disappeared",
                hint=f"restore the file or point {REGISTRY_PATH_ENV} at it, then restart",
            ) from None

    async def _reopen(self, handle: _Handle) -> None:
        # The file was replaced (e.g. a new one moved into place); our
        # connection still reads the old inode. The handle (and its lock,
        # which the caller holds) stays; only its connection changes.
        try:
            conn, file_id = await self._open_file()
        except BaseException:
            await self._handles.discard(handle)  # the next call starts afresh
            raise
        old = handle.conn
        handle.conn, handle.file_id, handle.data_version = conn, file_id, None
        await old.close()

    def _reset_cache(self) -> None:
        self._cache = {}
        self._generation += 1

    # ----------------------------------------------------------------- writes

    async def add(
        self,
        app_id: str,
        app_secret: str,
        *,
        encrypt_key: str | None = None,
        verification_token: str | None = None,
        name: str = "",
        description: str = "",
        created_by: str,
    ) -> AppConfig:
        """Register an app. ``Conflict`` if it is already registered."""
        check_app_id(app_id)
        _check_secret("app_secret", app_secret)
        encrypt_key = encrypt_key or None
        verification_token = verification_token or None
        if encrypt_key is not None:
            _check_secret("encrypt_key", encrypt_key)
        if verification_token is not None:
            _check_secret("verification_token", verification_token)
        _check_text("name", name, MAX_NAME_LEN)
        _check_text("description", description, MAX_DESCRIPTION_LEN)
        _check_actor(created_by)
        now = self._now()
        values = {
            "app_secret": app_secret,
            "encrypt_key": encrypt_key,
            "verification_token": verification_token,
            "name": name,
            "description": description,
        }
        async with self._write() as conn:
            if await self._row(conn, app_id) is not None:
                raise Conflict(
                    f"app {app_id} is already registered",
                    hint=f"use lark-async apps update {app_id}",
                )
            await conn.execute(
                f"INSERT INTO apps ({_APP_COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",  # noqa: S608
                (
                    app_id,
                    self._box.encrypt(app_secret),
                    self._encrypt_optional(encrypt_key),
                    self._encrypt_optional(verification_token),
                    name,
                    description,
                    AppStatus.ACTIVE.value,
                    created_by,
                    now.isoformat(),
                    now.isoformat(),
                ),
            )
            changed = [field for field, value in values.items() if value]
            await self._record(conn, app_id, "add", actor=created_by, changes=changed, at=now)
        return AppConfig(
            app_id=app_id,
            app_secret=Secret(app_secret),
            encrypt_key=_secret_or_none(encrypt_key),
            verification_token=_secret_or_none(verification_token),
            name=name,
            description=description,
            status=AppStatus.ACTIVE,
            created_by=created_by,
            created_at=now,
            updated_at=now,
        )

    async def update(
        self,
        app_id: str,
        *,
        by: str,
        app_secret: str | None = None,
        encrypt_key: str | None = None,
        verification_token: str | None = None,
        name: str | None = None,
        description: str | None = None,
    ) -> AppConfig:
        """Change the given fields (``None`` = keep; ``""`` clears encrypt_key/verification_token).

        Only fields whose value really changes are written and audited; if
        none does, nothing is written.
        """
        check_app_id(app_id)
        _check_actor(by)
        if app_secret is not None:
            _check_secret("app_secret", app_secret)
        for field, value in (
            ("encrypt_key", encrypt_key),
            ("verification_token", verification_token),
        ):
            if value is not None:
                _check_secret(field, value, allow_empty=True)
        if name is not None:
            _check_text("name", name, MAX_NAME_LEN)
        if description is not None:
            _check_text("description", description, MAX_DESCRIPTION_LEN)
        wanted: dict[str, str | None] = {
            "app_secret": app_secret,
            "encrypt_key": encrypt_key,
            "verification_token": verification_token,
            "name": name,
            "description": description,
        }
        if all(value is None for value in wanted.values()):
            raise InvalidParameter(
                "nothing to update",
                hint="pass one or more of app_secret, encrypt_key, verification_token, "
                "name, description",
            )
        async with self._write() as conn:
            row = await self._row(conn, app_id)
            if row is None:
                raise _not_found(app_id)
            old = self._to_config(row)
            changed = _changed_fields(old, wanted)
            if not changed:
                return old
            now = self._now()
            stored = dict(zip(_APP_COLUMNS.split(", "), row, strict=True))
            for field in changed:
                stored[field] = self._stored_value(field, wanted[field])
            await conn.execute(
                "UPDATE apps SET app_secret = ?, encrypt_key = ?, verification_token = ?, "
                "name = ?, description = ?, updated_at = ? WHERE app_id = ?",
                (
                    stored["app_secret"],
                    stored["encrypt_key"],
                    stored["verification_token"],
                    stored["name"],
                    stored["description"],
                    now.isoformat(),
                    app_id,
                ),
            )
            await self._record(conn, app_id, "update", actor=by, changes=changed, at=now)
            row = await self._row(conn, app_id)
        assert row is not None
        return self._to_config(row)

    async def enable(self, app_id: str, *, by: str) -> AppConfig:
        """Mark the app active; a no-op (not audited) if it already is."""
        return await self._set_status(app_id, AppStatus.ACTIVE, by)

    async def disable(self, app_id: str, *, by: str) -> AppConfig:
        """Mark the app disabled: token fetches for it are refused."""
        return await self._set_status(app_id, AppStatus.DISABLED, by)

    async def remove(self, app_id: str, *, by: str) -> None:
        """Delete the app. Its audit trail stays."""
        check_app_id(app_id)
        _check_actor(by)
        async with self._write() as conn:
            cursor = await conn.execute("DELETE FROM apps WHERE app_id = ?", (app_id,))
            if cursor.rowcount == 0:
                raise _not_found(app_id)
            await self._record(conn, app_id, "remove", actor=by, changes=[], at=self._now())

    async def rotate_key(self, *, by: str) -> int:
        """Re-encrypt every secret of every app under the first key; returns the app count.

        One transaction: if any row cannot be decrypted, nothing is changed.
        """
        _check_actor(by)
        async with self._write() as conn:
            cursor = await conn.execute(
                "SELECT app_id, app_secret, encrypt_key, verification_token "
                "FROM apps ORDER BY app_id"
            )
            rows = builtins.list(await cursor.fetchall())
            now = self._now()
            for app_id, *secrets in rows:
                rotated = [self._rotate(str(app_id), s) for s in secrets]
                await conn.execute(
                    "UPDATE apps SET app_secret = ?, encrypt_key = ?, verification_token = ? "
                    "WHERE app_id = ?",
                    (*rotated, app_id),
                )
                fields = [f for f, s in zip(SECRET_FIELDS, secrets, strict=True) if s is not None]
                await self._record(
                    conn, str(app_id), "rotate-key", actor=by, changes=fields, at=now
                )
        return len(rows)

    async def _set_status(self, app_id: str, status: AppStatus, by: str) -> AppConfig:
        check_app_id(app_id)
        _check_actor(by)
        async with self._write() as conn:
            row = await self._row(conn, app_id)
            if row is None:
                raise _not_found(app_id)
            if row[6] != status.value:
                now = self._now()
                await conn.execute(
                    "UPDATE apps SET status = ?, updated_at = ? WHERE app_id = ?",
                    (status.value, now.isoformat(), app_id),
                )
                action = "enable" if status is AppStatus.ACTIVE else "disable"
                await self._record(conn, app_id, action, actor=by, changes=["status"], at=now)
                row = await self._row(conn, app_id)
                assert row is not None
        return self._to_config(row)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[aiosqlite.Connection]:
        """One write transaction. IMMEDIATE takes the write lock up front, so a
        concurrent writer waits (busy_timeout) instead of failing mid-way."""
        handle = await self._handle()
        async with handle.lock:
            conn = handle.conn
            try:
                await conn.execute("BEGIN IMMEDIATE")
            except sqlite3.OperationalError as exc:
                if "locked" in str(exc) or "busy" in str(exc):
                    raise _locked(self._path) from None
                raise
            try:
                yield conn
            except BaseException:
                await conn.execute("ROLLBACK")
                raise
            else:
                await conn.execute("COMMIT")
            finally:
                # Our own commits don't move PRAGMA data_version for this
                # connection, so drop the cache explicitly.
                self._reset_cache()
                self._sig = None

    async def _record(
        self,
        conn: aiosqlite.Connection,
        app_id: str,
        action: str,
        *,
        actor: str,
        changes: Sequence[str],
        at: datetime,
    ) -> None:
        await conn.execute(
            "INSERT INTO app_audit (app_id, action, actor, at, changes) VALUES (?, ?, ?, ?, ?)",
            (app_id, action, actor, at.isoformat(), json.dumps(list(changes))),
        )

    # ----------------------------------------------------------------- helpers

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self._clock(), UTC)

    @staticmethod
    async def _row(conn: aiosqlite.Connection, app_id: str) -> sqlite3.Row | None:
        cursor = await conn.execute(_SELECT_APP, (app_id,))
        return await cursor.fetchone()

    @staticmethod
    async def _scalar(conn: aiosqlite.Connection, sql: str) -> int:
        cursor = await conn.execute(sql)
        row = await cursor.fetchone()
        assert row is not None
        return int(row[0])

    def _encrypt_optional(self, value: str | None) -> str | None:
        return self._box.encrypt(value) if value else None

    def _stored_value(self, field: str, value: str | None) -> str | None:
        if field in SECRET_FIELDS:
            return self._encrypt_optional(value)
        return value

    def _decrypt(self, app_id: str, ciphertext: Any) -> Secret | None:
        if ciphertext is None:
            return None
        try:
            return Secret(self._box.decrypt(str(ciphertext)))
        except DecryptError:
            raise _undecryptable(app_id) from None

    def _rotate(self, app_id: str, ciphertext: Any) -> str | None:
        if ciphertext is None:
            return None
        try:
            return self._box.rotate(str(ciphertext))
        except DecryptError:
            raise _undecryptable(app_id) from None

    def _to_config(self, row: Sequence[Any]) -> AppConfig:
        app_id = str(row[0])
        secret = self._decrypt(app_id, row[1])
        assert secret is not None  # NOT NULL column
        return AppConfig(
            app_id=app_id,
            app_secret=secret,
            encrypt_key=self._decrypt(app_id, row[2]),
            verification_token=self._decrypt(app_id, row[3]),
            name=str(row[4]),
            description=str(row[5]),
            status=AppStatus(row[6]),
            created_by=str(row[7]),
            created_at=datetime.fromisoformat(str(row[8])),
            updated_at=datetime.fromisoformat(str(row[9])),
        )


def _secret_or_none(value: str | None) -> Secret | None:
    return Secret(value) if value else None


def _plain(value: Secret | str | None) -> str:
    if isinstance(value, Secret):
        return value.get_secret_value()
    return value or ""


def _changed_fields(old: AppConfig, wanted: Mapping[str, str | None]) -> builtins.list[str]:
    """Names of the requested fields whose value differs from the stored one."""
    return [
        field
        for field, value in wanted.items()
        if value is not None and value != _plain(getattr(old, field))
    ]
