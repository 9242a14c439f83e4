"""``LarkClient``: the one entry point users write against."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine, Mapping
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any, cast
from urllib.parse import urlsplit

from lark_async._domains import FEISHU, LARK
from lark_async.auth.apps import ChainedApps, StaticApps
from lark_async.auth.models import AppConfig
from lark_async.auth.stores.base import TokenStore
from lark_async.auth.tokens import TokenManager
from lark_async.core.checks import (
    bad_argument,
    check_bool,
    check_has,
    check_int,
    check_number,
    check_str,
    check_text,
)
from lark_async.core.clock import SYSTEM_CLOCK, Clock
from lark_async.core.errors import ConfigError, InvalidParameter
from lark_async.core.logging import LogFormat, configure_logging, get_logger
from lark_async.core.options import (
    AuthKind,
    FileField,
    RequestOptions,
    SlotFactory,
    Timeouts,
    check_download,
    check_timeout,
)
from lark_async.core.perloop import PerLoop
from lark_async.core.ratelimit import ClientRateLimiter, LimitSpec, Pace, as_limits
from lark_async.core.response import Download, LarkResponse
from lark_async.core.retry import RetryPolicy
from lark_async.core.secret import Secret
from lark_async.core.service import Service

if TYPE_CHECKING:
    from lark_async.apaas import APaaS
    from lark_async.auth.crypto import SecretBox
    from lark_async.auth.flow import TokenAuth
    from lark_async.auth.registry import AppRegistry
    from lark_async.auth.user_tokens import UserTokenManager
    from lark_async.bitable import Bitable
    from lark_async.contact import Contact
    from lark_async.core.options import SharedSlots
    from lark_async.core.transport import Transport
    from lark_async.docs import Docs
    from lark_async.messaging import Messaging
    from lark_async.shared import Sharing
    from lark_async.sheets import Sheets
    from lark_async.user_auth import UserAuth

__all__ = ["FEISHU", "LARK", "AppClient", "LarkClient"]


class AppClient:
    """One app's view of the client: ``lark.app("cli_x")``. Services hang off it."""

    def __init__(self, client: LarkClient, app_id: str) -> None:
        if not isinstance(client, LarkClient):
            raise bad_argument(
                "client", f"must be a LarkClient, not {type(client).__name__}", error=ConfigError
            )
        check_str(app_id, "app_id", printable=True, max_len=_MAX_ID, error=ConfigError)
        self._client = client
        self._app_id = app_id
        self._services: dict[str, Service] = {}
        self._user_auth: UserAuth | None = None

    @property
    def app_id(self) -> str:
        return self._app_id

    @property
    def clock(self) -> Clock:
        return self._client.clock

    @property
    def state_url(self) -> str | None:
        """The client's store URL (``token_store=``), for services that keep state; None: memory."""
        return self._client._state_url

    @property
    def shared_slots(self) -> SharedSlots | None:
        """Write slots shared with other processes (a PostgreSQL store), else None."""
        return None if self._client._sharing is None else self._client._sharing.slots

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | None = None,
        files: Mapping[str, FileField] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeouts | None = None,
        idempotency_key: str | None = None,
        idempotent: bool = False,
        auth: AuthKind = "tenant",
        user_access_token: str | None = None,
        as_user: str | None = None,
        family: str | None = None,
        max_retries: int | None = None,
        pace: Pace | None = None,
        slot: SlotFactory | None = None,
    ) -> LarkResponse[dict[str, Any]]:
        """Call any OpenAPI endpoint through the full pipeline (token, limits, retries, logs).

        ``idempotency_key``: the key you placed in the request (IM ``uuid``, Bitable
        ``client_token`` …); it makes a write safe to retry. ``idempotent=True``
        says the write is naturally safe to repeat (e.g. a PUT of whole values).
        ``pace``: keep calls with the same key this far apart (per-recipient limits).
        ``slot``: a factory of async context managers held around each attempt on
        the wire only (e.g. a service's "one write per table at a time" slot).
        ``as_user``: an open_id; the call carries that user's token (see ``user_auth``).
        """
        opts = RequestOptions.build(
            method,
            path,
            params=params,
            json=json,
            data=data,
            files=files,
            headers=headers,
            timeout=timeout,
            idempotency_key=idempotency_key,
            idempotent=idempotent,
            auth=auth,
            user_access_token=user_access_token,
            as_user=as_user,
            family=family,
            max_retries=max_retries,
            pace=pace,
            slot=slot,
        )
        client = self._client
        if not client._started:
            await client._start()
        return await client._transport.request(opts, app_id=self._app_id, auth=client._auth)

    async def download(
        self,
        method: str,
        path: str,
        dest: Path | IO[bytes],
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeouts | None = None,
        chunk_size: int = 65536,
        auth: AuthKind = "tenant",
        user_access_token: str | None = None,
        as_user: str | None = None,
        max_retries: int | None = None,
        resume: bool = False,
    ) -> LarkResponse[Download]:
        """Stream a binary endpoint (a file, an image) to a path or file object.

        ``resume``: after a broken transfer, retry with ``Range`` for the rest.
        """
        check_download(dest, chunk_size, resume)
        opts = RequestOptions.build(
            method,
            path,
            params=params,
            headers=headers,
            timeout=timeout,
            auth=auth,
            user_access_token=user_access_token,
            as_user=as_user,
            max_retries=max_retries,
        )
        client = self._client
        if not client._started:
            await client._start()
        return await client._transport.download(
            opts,
            dest,
            app_id=self._app_id,
            auth=client._auth,
            chunk_size=chunk_size,
            resume=resume,
        )

    # -- services ------------------------------------------------------------
    @property
    def messaging(self) -> Messaging:
        """Messages, cards, files (``lark_async.messaging``)."""
        return cast("Messaging", self.service("messaging"))

    @property
    def bitable(self) -> Bitable:
        """Bitable (Base) records, tables and bulk writes (``lark_async.bitable``)."""
        return cast("Bitable", self.service("bitable"))

    @property
    def sheets(self) -> Sheets:
        """Spreadsheets (``lark_async.sheets``)."""
        return cast("Sheets", self.service("sheets"))

    @property
    def docs(self) -> Docs:
        """Cloud documents, their media and permissions (``lark_async.docs``)."""
        return cast("Docs", self.service("docs"))

    @property
    def contact(self) -> Contact:
        """People, chats, departments, with a user cache (``lark_async.contact``)."""
        return cast("Contact", self.service("contact"))

    @property
    def apaas(self) -> APaaS:
        """aPaaS workspace tables, workflows and Aily skills (``lark_async.apaas``)."""
        return cast("APaaS", self.service("apaas"))

    @property
    def user_auth(self) -> UserAuth:
        """User authorisation: card and link flows, user tokens (``lark_async.user_auth``)."""
        if self._user_auth is None:
            from lark_async.user_auth import UserAuth

            self._user_auth = UserAuth(self, self._client._user_sessions)
        return self._user_auth

    def service(self, name: str) -> Service:
        """The service registered as ``name``, built once per app."""
        svc = self._services.get(name)
        if svc is None:
            cls = self._client._catalog.service_class(name)
            if cls is None:
                raise AttributeError(
                    f"no service named {name!r}; built in and registered: "
                    "see lark_async.core.service.registered_services()"
                )
            svc = cls(self)
            self._services[name] = svc
        return svc

    async def _close_services(self) -> None:
        """Let each service built for this app release what it opened (its stores)."""
        services, self._services = list(self._services.values()), {}
        for svc in services:
            try:
                await svc.aclose()
            except Exception as exc:  # one service failing to close must not stop the rest
                get_logger().warning(
                    "lark.client.service_close_failed",
                    app_id=self._app_id,
                    service=svc.name,
                    error=type(exc).__name__,
                )

    def __getattr__(self, name: str) -> Any:
        # Only services a user registered arrive here; built-ins are properties.
        if name.startswith("_"):
            raise AttributeError(name)
        return self.service(name)

    def __repr__(self) -> str:
        return f"AppClient(app_id={self._app_id!r})"


class LarkClient:
    """Async client for the Feishu / Lark OpenAPI.

    >>> async with LarkClient(app_id="cli_x", app_secret="...", domain=FEISHU) as lark:
    ...     resp = await lark.request("GET", "/open-apis/...")

    Tokens are fetched on first use and never handled by the caller. With a
    ``registry`` the client serves every app in it via ``lark.app(app_id)``.
    """

    def __init__(
        self,
        app_id: str | None = None,
        app_secret: str | None = None,
        *,
        domain: str = FEISHU,
        encrypt_key: str | None = None,
        verification_token: str | None = None,
        token_store: TokenStore | str | None = None,
        registry: AppRegistry | str | os.PathLike[str] | None = None,
        secret_key: str | None = None,
        timeout: float | Timeouts | None = None,
        max_retries: int = 3,
        retry: RetryPolicy | None = None,
        rate_limits: Mapping[str, LimitSpec] | None = None,
        client_rate_limit: bool = True,
        shared_limits: bool = True,
        connector_limit: int = 100,
        clock: Clock | None = None,
        lock_timeout: float = 30.0,
        lock_lease: float | None = None,
        refresh_fraction: float = 0.1,
        log_level: str | None = None,
        log_format: LogFormat | None = None,
        accounts_url: str | None = None,
    ) -> None:
        # Every argument is checked here, before any I/O: a bad one is a ConfigError
        # naming it, not a TypeError from the first call (or from aclose()).
        _check_credentials(app_id, app_secret, encrypt_key, verification_token, secret_key)
        _check_domain(domain)
        _check_sources(token_store, registry)
        if timeout is not None and not isinstance(timeout, Timeouts):
            check_timeout(timeout, error=ConfigError)
        check_int(max_retries, "max_retries", min=0, error=ConfigError)
        if retry is not None:
            _check_retry(retry)
        _check_rate_limits(rate_limits)
        check_bool(client_rate_limit, "client_rate_limit", error=ConfigError)
        check_int(connector_limit, "connector_limit", min=0, error=ConfigError)
        if clock is not None:
            check_has(clock, "clock", ("time", "monotonic", "sleep"), "a Clock", error=ConfigError)
        check_number(lock_timeout, "lock_timeout", positive=True, error=ConfigError)
        check_number(refresh_fraction, "refresh_fraction", error=ConfigError)
        if not 0 < refresh_fraction < 1:
            raise ConfigError(f"refresh_fraction must be between 0 and 1, got {refresh_fraction}")
        if app_secret is not None and not app_id:
            raise ConfigError("app_secret given without app_id")
        if log_level is not None or log_format is not None:
            try:
                configure_logging(log_level or "INFO", log_format or "console")
            except InvalidParameter as exc:
                arg = {"level": "log_level", "fmt": "log_format"}.get(
                    str(exc.details.get("argument")), "log_level"
                )
                raise ConfigError(
                    f"{arg}: {exc.message}",
                    hint="log_level: DEBUG, INFO, WARNING, ERROR; "
                    "log_format: console, json, stdlib",
                    details={"argument": arg},
                ) from None
        self.domain = domain.rstrip("/")
        self.clock: Clock = clock or SYSTEM_CLOCK
        self._default_app_id = app_id
        self._static = StaticApps()
        if app_id and app_secret:
            self._static.add(
                AppConfig(
                    app_id=app_id,
                    app_secret=Secret(app_secret),
                    encrypt_key=Secret(encrypt_key) if encrypt_key else None,
                    verification_token=Secret(verification_token) if verification_token else None,
                )
            )
        self._secret_key = secret_key
        self._registry_arg = registry
        self._registry: AppRegistry | None = None
        self._owns_registry = False
        if app_id and not app_secret and registry is None:
            raise ConfigError(
                f"no app_secret for {app_id}",
                hint="pass app_secret=, or a registry= holding the app",
            )
        if not app_id and registry is None:
            raise ConfigError(
                "no app configured",
                hint="pass app_id= and app_secret=, or registry= (see LarkClient.from_env)",
            )
        policy = retry or RetryPolicy(max_retries=max_retries)
        timeouts = (
            timeout
            if isinstance(timeout, Timeouts)
            else Timeouts(total=timeout)
            if timeout is not None
            else Timeouts()
        )
        # Everything the first call needs (aiohttp, the wire, the token manager) is
        # imported here, while the client is built, not on the event loop mid-call.
        # pydantic's model machinery (~45 ms) is what every built-in service's models
        # share; loading it here leaves each service's own import chain at ~30 ms.
        import pydantic.main  # noqa: F401

        from lark_async.auth.flow import TokenAuth
        from lark_async.auth.oauth import accounts_url_for
        from lark_async.auth.user_sessions import UserAuthSessions
        from lark_async.auth.user_tokens import UserTokenManager
        from lark_async.core.transport import Transport, TransportConfig
        from lark_async.services import ServiceCatalog, catalog

        # What the services say about themselves (codes, limits, path families).
        self._catalog: ServiceCatalog = catalog()
        limiter = ClientRateLimiter(
            rate_limits,
            defaults=self._catalog.limits,
            enabled=client_rate_limit,
            clock=self.clock,
        )
        # A PostgreSQL store also shares the app's limits and write slots between
        # processes (docs/scaling.md); shared_limits=False keeps them per process.
        self._sharing: Sharing | None = None
        if shared_limits and isinstance(token_store, str) and _is_postgres(token_store):
            from lark_async.shared import Sharing

            self._sharing = Sharing(token_store, limiter)
        self._transport: Transport = Transport(
            TransportConfig(
                base_url=self.domain,
                timeouts=timeouts,
                retry=policy,
                connector_limit=connector_limit,
            ),
            codes=self._catalog.codes,
            family_of=self._catalog.family_of,
            limiter=limiter if self._sharing is None else self._sharing.limiter,
            clock=self.clock,
        )
        self._apps_source = ChainedApps(self._static)
        # Services that keep state (the contact cache) use the same store, by URL.
        self._state_url = token_store if isinstance(token_store, str) else None
        self._tokens = TokenManager(
            self._transport,
            self._apps_source,
            self._store(token_store),  # built now (no I/O) so a bad store URL fails fast
            clock=self.clock,
            lock_timeout=lock_timeout,
            lock_lease=lock_lease,
            refresh_fraction=refresh_fraction,
        )
        # Users' tokens live in the same store; sessions link to the accounts host.
        self._user_tokens = UserTokenManager(
            self._transport,
            self._apps_source,
            self._tokens.store,
            clock=self.clock,
            refresh_fraction=refresh_fraction,
            lock_timeout=lock_timeout,
        )
        self._user_sessions = UserAuthSessions(
            self._transport,
            self._user_tokens,
            accounts_url=accounts_url or accounts_url_for(self.domain),
        )
        self._auth: TokenAuth = TokenAuth(self._tokens, self._user_tokens)
        self._apps: dict[str, AppClient] = {}
        self._start_locks: PerLoop[asyncio.Lock] = PerLoop(_new_lock)
        self._started = False
        self._closed = False

    # -- construction helpers ---------------------------------------------
    def _box(self) -> SecretBox | None:
        from lark_async.auth.crypto import SecretBox

        if self._secret_key:
            return SecretBox(self._secret_key)
        if os.environ.get("LARK_ASYNC_SECRET_KEY"):
            return SecretBox.from_env()
        return None

    def _store(self, store: TokenStore | str | None) -> TokenStore:
        from lark_async.auth.stores import store_from_url

        if store is None or isinstance(store, str):
            box = self._box() if store not in (None, "memory") else None
            return store_from_url(store or "memory", box)
        return store

    @classmethod
    def from_env(cls, **overrides: Any) -> LarkClient:
        """Build a client from ``LARK_ASYNC_*`` variables (see :class:`LarkSettings`).

        Keyword arguments override what the environment says.
        """
        from pydantic import ValidationError

        from lark_async.config import LarkSettings

        unknown = sorted(set(overrides) - _init_arguments())
        if unknown:
            raise ConfigError(
                f"from_env got unknown argument(s): {', '.join(n[:40] for n in unknown[:5])}",
                hint="use LarkClient's keyword arguments (see docs/configuration.md)",
                details={"argument": unknown[0]},
            )
        try:
            s = LarkSettings()
        except ValidationError as exc:
            bad = ", ".join(
                "LARK_ASYNC_" + str(e["loc"][0]).upper() for e in exc.errors() if e.get("loc")
            )
            raise ConfigError(
                f"invalid environment settings: {bad or 'see LarkSettings'}",
                hint="fix these LARK_ASYNC_* variables (see docs/configuration.md)",
            ) from None
        kwargs: dict[str, Any] = {
            "app_id": s.app_id,
            "app_secret": s.app_secret.get_secret_value() if s.app_secret else None,
            "domain": s.domain,
            "secret_key": s.secret_key.get_secret_value() if s.secret_key else None,
            "token_store": s.token_store,
            "timeout": s.timeout,
            "max_retries": s.max_retries,
            "client_rate_limit": s.client_rate_limit,
        }
        # LARK_ASYNC_LOG_* are read by the CLI, not here: a library never changes
        # the process's logging because of its environment.
        if s.registry_path:
            kwargs["registry"] = s.registry_path
        kwargs.update(overrides)
        return cls(**kwargs)

    # -- lifecycle ----------------------------------------------------------
    async def _start(self) -> None:
        """First use: open the registry if one was given. Cheap after that."""
        if self._closed:
            raise ConfigError("the client is closed", hint="create a new LarkClient")
        if self._started:
            return
        if self._registry_arg is None:
            self._started = True
            return
        async with await self._start_locks.get():
            if not self._started:
                await self._open_registry()
                self._started = True

    async def _open_registry(self) -> None:
        from lark_async.auth.registry import AppRegistry

        reg = self._registry_arg
        if isinstance(reg, (str, os.PathLike)):
            box = self._box()
            if box is None:
                raise ConfigError(
                    "LARK_ASYNC_SECRET_KEY is not set",
                    hint="the app registry is encrypted; "
                    "set LARK_ASYNC_SECRET_KEY (or secret_key=)",
                )
            reg = AppRegistry(Path(reg), box)
            await reg.open()
            self._owns_registry = True
        assert reg is not None
        self._registry = reg
        self._apps_source.use(reg)

    async def __aenter__(self) -> LarkClient:
        await self._start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self, grace: float = 5.0) -> None:
        """Close the HTTP session, the token store and an owned registry.

        New calls are refused at once; calls in flight get ``grace`` seconds to
        finish, then end with an error (``OutcomeUnknown`` for a write that may
        have been applied) rather than an exception in their callers.
        """
        if self._closed:
            return
        self._closed = True
        await self._transport.aclose(grace)
        for handle in list(self._apps.values()):
            await handle._close_services()
        await self._user_tokens.aclose()
        await self._tokens.aclose()
        if self._sharing is not None:
            await self._sharing.aclose()
        if self._registry is not None and self._owns_registry:
            await self._registry.close()

    # -- apps and calls -------------------------------------------------------
    def app(self, app_id: str) -> AppClient:
        """The client for one app (from the registry or given in code)."""
        handle = self._apps.get(app_id) if isinstance(app_id, str) else None
        if handle is not None:  # the hot path: an app already seen was checked then
            return handle
        check_str(app_id, "app_id", printable=True, max_len=_MAX_ID, error=ConfigError)
        handle = self._apps.get(app_id)
        if handle is None:
            handle = AppClient(self, app_id)
            self._apps[app_id] = handle
        return handle

    @property
    def default_app(self) -> AppClient:
        if not self._default_app_id:
            raise ConfigError(
                "this client has no default app",
                hint="use lark.app(app_id), or set app_id= / LARK_ASYNC_APP_ID",
            )
        return self.app(self._default_app_id)

    # Plain functions returning the app's coroutine: no extra coroutine layer per call.
    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: Mapping[str, Any] | bytes | None = None,
        files: Mapping[str, FileField] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeouts | None = None,
        idempotency_key: str | None = None,
        idempotent: bool = False,
        auth: AuthKind = "tenant",
        user_access_token: str | None = None,
        as_user: str | None = None,
        family: str | None = None,
        max_retries: int | None = None,
        pace: Pace | None = None,
        slot: SlotFactory | None = None,
    ) -> Coroutine[Any, Any, LarkResponse[dict[str, Any]]]:
        """Call any endpoint as the default app; see :meth:`AppClient.request`."""
        return self.default_app.request(
            method,
            path,
            params=params,
            json=json,
            data=data,
            files=files,
            headers=headers,
            timeout=timeout,
            idempotency_key=idempotency_key,
            idempotent=idempotent,
            auth=auth,
            user_access_token=user_access_token,
            as_user=as_user,
            family=family,
            max_retries=max_retries,
            pace=pace,
            slot=slot,
        )

    def download(
        self,
        method: str,
        path: str,
        dest: Path | IO[bytes],
        *,
        params: Mapping[str, Any] | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | Timeouts | None = None,
        chunk_size: int = 65536,
        auth: AuthKind = "tenant",
        user_access_token: str | None = None,
        as_user: str | None = None,
        max_retries: int | None = None,
        resume: bool = False,
    ) -> Coroutine[Any, Any, LarkResponse[Download]]:
        """Stream a binary endpoint as the default app; see :meth:`AppClient.download`."""
        return self.default_app.download(
            method,
            path,
            dest,
            params=params,
            headers=headers,
            timeout=timeout,
            chunk_size=chunk_size,
            auth=auth,
            user_access_token=user_access_token,
            as_user=as_user,
            max_retries=max_retries,
            resume=resume,
        )

    @property
    def messaging(self) -> Messaging:
        """The default app's messaging service; see :attr:`AppClient.messaging`."""
        return self.default_app.messaging

    @property
    def bitable(self) -> Bitable:
        """The default app's Bitable service; see :attr:`AppClient.bitable`."""
        return self.default_app.bitable

    @property
    def sheets(self) -> Sheets:
        """The default app's Sheets service; see :attr:`AppClient.sheets`."""
        return self.default_app.sheets

    @property
    def docs(self) -> Docs:
        """The default app's docs service; see :attr:`AppClient.docs`."""
        return self.default_app.docs

    @property
    def contact(self) -> Contact:
        """The default app's contact service; see :attr:`AppClient.contact`."""
        return self.default_app.contact

    @property
    def apaas(self) -> APaaS:
        """The default app's aPaaS service; see :attr:`AppClient.apaas`."""
        return self.default_app.apaas

    @property
    def user_auth(self) -> UserAuth:
        """The default app's user authorisation; see :attr:`AppClient.user_auth`."""
        return self.default_app.user_auth

    @property
    def tokens(self) -> TokenManager:
        return self._tokens

    @property
    def user_tokens(self) -> UserTokenManager:
        """Users' access tokens (``as_user=``), for every app of the client."""
        return self._user_tokens

    @property
    def registry(self) -> AppRegistry | None:
        return self._registry

    def __getattr__(self, name: str) -> Any:
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.default_app, name)

    def __repr__(self) -> str:
        return f"LarkClient(app_id={self._default_app_id!r}, domain={self.domain!r})"


async def _new_lock() -> asyncio.Lock:
    return asyncio.Lock()


def _is_postgres(url: str) -> bool:
    return urlsplit(url).scheme in ("postgresql", "postgres", "postgresql+asyncpg")


_MAX_ID = 256  # app ids are ~20 characters; a longer one is a mistake, not an app


def _check_credentials(
    app_id: object,
    app_secret: object,
    encrypt_key: object,
    verification_token: object,
    secret_key: object,
) -> None:
    if app_id is not None:
        check_str(
            app_id, "app_id", empty_ok=True, printable=True, max_len=_MAX_ID, error=ConfigError
        )
    for name, value in (
        ("app_secret", app_secret),
        ("encrypt_key", encrypt_key),
        ("verification_token", verification_token),
        ("secret_key", secret_key),
    ):
        if value is not None:  # "" means "not given", as before
            check_text(value, name, error=ConfigError)


def _check_domain(domain: object) -> None:
    check_str(domain, "domain", printable=True, max_len=2048, error=ConfigError)
    assert isinstance(domain, str)
    parts = urlsplit(domain)
    try:
        port_ok = parts.port is None or parts.port > 0
    except ValueError:
        port_ok = False
    if (
        parts.scheme not in ("http", "https")
        or not parts.hostname
        or parts.path not in ("", "/")
        or not port_ok
        or " " in domain
    ):
        raise ConfigError(
            f"domain must be a base URL such as {FEISHU} or {LARK}, got {domain[:100]!r}",
            hint="use lark_async.FEISHU, lark_async.LARK, or the emulator's fake.url",
            details={"argument": "domain"},
        )
    # Credentials in the URL would be sent (and logged) with every call; a query
    # or fragment would be glued onto every path.
    if "@" in parts.netloc or parts.query or parts.fragment or "?" in domain or "#" in domain:
        raise ConfigError(
            "domain must hold no user:password@, query or fragment: scheme://host[:port] only",
            hint="use lark_async.FEISHU, lark_async.LARK, or the emulator's fake.url",
            details={"argument": "domain"},
        )


_STORE_METHODS = ("get", "put", "delete", "lock", "close")


def _check_sources(token_store: object, registry: object) -> None:
    if isinstance(token_store, str):
        check_text(token_store, "token_store", error=ConfigError)
    elif token_store is not None:
        check_has(
            token_store,
            "token_store",
            _STORE_METHODS,
            "a store URL or a TokenStore",
            error=ConfigError,
        )
    if isinstance(registry, str | os.PathLike):
        path = os.fspath(registry)
        if not isinstance(path, str):
            raise bad_argument("registry", "must be a str path, not bytes", error=ConfigError)
        check_str(path, "registry", error=ConfigError)
    elif registry is not None:
        check_has(registry, "registry", ("current",), "a path or an AppRegistry", error=ConfigError)


def _check_retry(retry: object) -> None:
    if not isinstance(retry, RetryPolicy):
        raise bad_argument(
            "retry", f"must be a RetryPolicy, not {type(retry).__name__}", error=ConfigError
        )
    retry.check("retry.", ConfigError)  # fields may have changed since it was made


def _check_rate_limits(rate_limits: object) -> None:
    if rate_limits is None:
        return
    if not isinstance(rate_limits, Mapping):
        raise bad_argument(
            "rate_limits",
            f"must map a family to its limits, not {type(rate_limits).__name__}",
            error=ConfigError,
        )
    for family, spec in rate_limits.items():
        check_str(family, "rate_limits key", printable=True, error=ConfigError)
        name = f"rate_limits[{family[:40]!r}]"
        try:
            as_limits(spec, name)
        except InvalidParameter as exc:
            arg = str(exc.details.get("argument", name))
            raise bad_argument(
                arg, exc.message.removeprefix(arg).lstrip(), error=ConfigError
            ) from None


def _init_arguments() -> frozenset[str]:
    import inspect

    return frozenset(inspect.signature(LarkClient.__init__).parameters) - {"self"}
