"""App credential sources the token manager reads from."""

from __future__ import annotations

from lark_async.auth.models import AppConfig
from lark_async.auth.tokens import AppSource
from lark_async.core.errors import ConfigError


class StaticApps:
    """Apps given in code (``LarkClient(app_id, app_secret)``)."""

    def __init__(self, *apps: AppConfig) -> None:
        self._apps = {a.app_id: a for a in apps}

    def add(self, app: AppConfig) -> None:
        self._apps[app.app_id] = app

    def get(self, app_id: str) -> AppConfig | None:
        return self._apps.get(app_id)

    def __contains__(self, app_id: object) -> bool:
        return app_id in self._apps

    async def current(self, app_id: str) -> AppConfig:
        try:
            return self._apps[app_id]
        except KeyError:
            raise ConfigError(
                f"unknown app {app_id}",
                hint="pass its app_secret to LarkClient, or register it: lark-async apps add "
                f"{app_id} (and give the client the registry)",
            ) from None

    def __repr__(self) -> str:
        return f"StaticApps({sorted(self._apps)})"


class ChainedApps:
    """Static apps first, then the registry (once it is open)."""

    def __init__(self, first: StaticApps, then: AppSource | None = None) -> None:
        self.first = first
        self.then = then

    def peek(self, app_id: str) -> AppConfig | None:
        """An app given in code, found without I/O (None: ask ``current``)."""
        return self.first.get(app_id)

    def use(self, then: AppSource) -> None:
        """Look up apps not given in code in ``then`` (the registry, once opened)."""
        self.then = then

    async def current(self, app_id: str) -> AppConfig:
        app = self.first.get(app_id)  # the common case, without another coroutine
        if app is not None or self.then is None:
            return app or await self.first.current(app_id)
        return await self.then.current(app_id)
