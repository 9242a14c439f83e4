"""Where the ingress gets each app's callback keys, and one verifier per app.

The callbacks package may not import ``lark_async.auth``, so keys arrive through
:class:`KeySource`. Three ready-made sources: :class:`StaticKeys` (a dict),
:class:`RegistryKeys` (anything with an async ``current(app_id)`` returning an object
with ``encrypt_key`` / ``verification_token`` attributes, such as
``lark_async.auth.registry.AppRegistry``), and any object you write with ``keys_for()``.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from lark_async.callbacks.security import CallbackVerifier, MemoryReplayStore
from lark_async.core.checks import bad_argument, check_int, check_number, check_text
from lark_async.core.errors import ConfigError, InvalidParameter, LarkError

APP_ID_RE = re.compile(r"cli_[A-Za-z0-9_]{2,64}")


@dataclass(frozen=True, slots=True)
class AppKeys:
    """One app's callback secrets, from the developer console (Events & Callbacks).

    Either may be None, not both. They never appear in a repr.
    """

    encrypt_key: str | None = field(default=None, repr=False)
    verification_token: str | None = field(default=None, repr=False)

    def __post_init__(self) -> None:
        for name in ("encrypt_key", "verification_token"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, str):
                raise InvalidParameter(f"{name} must be a string or None")
            if value is not None:
                check_text(value, name)  # it is hashed and compared as UTF-8
        if not self.encrypt_key and not self.verification_token:
            raise InvalidParameter(
                "AppKeys needs an encrypt_key or a verification_token",
                hint="copy them from the developer console: Events & Callbacks > Encryption",
            )

    def fingerprint(self) -> str:
        """A digest that changes when either key changes (to notice rotation)."""
        raw = f"{self.encrypt_key or ''}\x00{self.verification_token or ''}"
        return hashlib.sha256(raw.encode("utf-8")).hexdigest()

    def __repr__(self) -> str:
        return (
            f"AppKeys(encrypt_key={'set' if self.encrypt_key else None}, "
            f"verification_token={'set' if self.verification_token else None})"
        )


@runtime_checkable
class KeySource(Protocol):
    """Looks up an app's callback keys; None means "not an app we serve"."""

    async def keys_for(self, app_id: str) -> AppKeys | None: ...


class StaticKeys:
    """Keys given in code: ``StaticKeys({"cli_x": AppKeys(encrypt_key=..., ...)})``."""

    def __init__(self, keys: Mapping[str, AppKeys]) -> None:
        if not isinstance(keys, Mapping):
            raise bad_argument("keys", f"must map app_id to AppKeys, not {type(keys).__name__}")
        for app_id, value in keys.items():
            check_app_id(app_id, "keys")
            if not isinstance(value, AppKeys):
                raise InvalidParameter(f"keys[{app_id!r}] must be an AppKeys")
        self._keys = dict(keys)

    async def keys_for(self, app_id: str) -> AppKeys | None:
        return self._keys.get(app_id)

    def __repr__(self) -> str:
        return f"StaticKeys(apps={sorted(self._keys)})"


class AppLookup(Protocol):
    """Anything with ``async current(app_id)`` (``AppRegistry`` is one)."""

    async def current(self, app_id: str) -> Any: ...


class RegistryKeys:
    """Reads keys from an app registry: ``RegistryKeys(registry)``.

    ``current(app_id)`` may return None or raise a ``LarkError`` (unknown app): both
    mean "not served". Disabled apps (``active`` false) are not served either.
    Attribute values may be ``str``, pydantic ``SecretStr`` or None.
    """

    def __init__(self, registry: AppLookup) -> None:
        self._registry = registry

    async def keys_for(self, app_id: str) -> AppKeys | None:
        try:
            config = await self._registry.current(app_id)
        except LarkError:
            return None
        if config is None or getattr(config, "active", True) is False:
            return None
        encrypt_key = _plain(getattr(config, "encrypt_key", None))
        token = _plain(getattr(config, "verification_token", None))
        if not encrypt_key and not token:
            return None  # registered, but callbacks were never configured for it
        return AppKeys(encrypt_key=encrypt_key, verification_token=token)

    def __repr__(self) -> str:
        return f"RegistryKeys({type(self._registry).__name__})"


def _plain(value: object) -> str | None:
    getter = getattr(value, "get_secret_value", None)
    if callable(getter):
        value = getter()
    return value if isinstance(value, str) and value else None


def key_source(keys: KeySource | AppLookup | Mapping[str, AppKeys]) -> KeySource:
    """Accept the three shapes users have at hand and return a :class:`KeySource`."""
    if isinstance(keys, Mapping):
        return StaticKeys(keys)
    if isinstance(keys, KeySource):
        return keys
    if callable(getattr(keys, "current", None)):
        return RegistryKeys(keys)
    raise InvalidParameter(
        f"keys must be a KeySource, a mapping of app_id to AppKeys, or a registry, "
        f"not {type(keys).__name__}",
        hint="e.g. keys={'cli_x': AppKeys(encrypt_key=..., verification_token=...)}",
    )


def check_app_id(app_id: str, name: str = "app_id") -> None:
    """``name`` is the argument the app_id came in (``keys``, ``default_app_id`` …)."""
    if not isinstance(app_id, str) or not APP_ID_RE.fullmatch(app_id):
        shown = repr(app_id[:70]) if isinstance(app_id, str) else f"(a {type(app_id).__name__})"
        label = "app_id" if name == "app_id" else f"{name}: app_id"
        raise InvalidParameter(
            f"invalid {label} {shown}",
            hint="an app_id looks like cli_a1b2c3d4e5 (cli_ then 2-64 letters, digits or _)",
            details={"argument": name},
        )


class VerifierPool:
    """One :class:`CallbackVerifier` per app, rebuilt when the app's keys change.

    Each app keeps its replay memory across key rotation, so a request seen under
    the old keys is still a replay under the new ones.
    """

    def __init__(
        self,
        source: KeySource,
        *,
        now: Callable[[], float],
        window: float,
        max_body_bytes: int,
        event_id_ttl: float,
        max_replay_entries: int | None,
    ) -> None:
        check_number(event_id_ttl, "event_id_ttl", positive=True, error=ConfigError)
        if max_replay_entries is not None:
            check_int(max_replay_entries, "max_replay_entries", min=1, error=ConfigError)
        self._source = source
        self._now = now
        self._window = window
        self._max_body = max_body_bytes
        self._event_ttl = event_id_ttl
        self._max_entries = max_replay_entries
        self._verifiers: dict[str, tuple[str, CallbackVerifier]] = {}
        self._stores: dict[str, MemoryReplayStore] = {}

    async def get(self, app_id: str) -> CallbackVerifier | None:
        """The app's verifier, or None when the source does not know the app."""
        keys = await self._source.keys_for(app_id)
        if keys is None:
            return None
        fingerprint = keys.fingerprint()
        cached = self._verifiers.get(app_id)
        if cached is not None and cached[0] == fingerprint:
            return cached[1]
        store = self._stores.get(app_id)
        if store is None:
            store = MemoryReplayStore(max_entries=self._max_entries, now=self._now)
            self._stores[app_id] = store
        verifier = CallbackVerifier(
            encrypt_key=keys.encrypt_key,
            verification_token=keys.verification_token,
            window=self._window,
            max_body_bytes=self._max_body,
            event_id_ttl=self._event_ttl,
            replay_store=store,
            now=self._now,
        )
        self._verifiers[app_id] = (fingerprint, verifier)
        return verifier
