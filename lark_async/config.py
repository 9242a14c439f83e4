"""Settings from ``LARK_ASYNC_*`` environment variables (used by ``LarkClient.from_env``)."""

from __future__ import annotations

from typing import Literal

from pydantic import SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from lark_async._domains import FEISHU, LARK

__all__ = ["FEISHU", "LARK", "LarkSettings"]


class LarkSettings(BaseSettings):
    """Every setting, its variable and default.

    ============================  =========================================
    LARK_ASYNC_APP_ID             default app (optional with a registry)
    LARK_ASYNC_APP_SECRET         its secret (else read from the registry)
    LARK_ASYNC_DOMAIN             base URL (default Feishu)
    LARK_ASYNC_SECRET_KEY         Fernet key(s) for secrets/tokens at rest
    LARK_ASYNC_REGISTRY_PATH      SQLite app registry file
    LARK_ASYNC_TOKEN_STORE        memory | sqlite:///path | postgresql://…
    LARK_ASYNC_LOG_LEVEL          DEBUG | INFO | WARNING | ERROR
    LARK_ASYNC_LOG_FORMAT         console | json | stdlib
    LARK_ASYNC_TIMEOUT            total seconds per attempt
    LARK_ASYNC_MAX_RETRIES        retries per call (default 3)
    LARK_ASYNC_CLIENT_RATE_LIMIT  true/false: client-side limiter
    ============================  =========================================
    """

    model_config = SettingsConfigDict(env_prefix="LARK_ASYNC_", extra="ignore")

    app_id: str | None = None
    app_secret: SecretStr | None = None
    domain: str = FEISHU
    secret_key: SecretStr | None = None
    registry_path: str | None = None
    token_store: str = "memory"
    log_level: Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"] = "INFO"
    log_format: Literal["console", "json", "stdlib"] = "console"
    timeout: float = 60.0
    max_retries: int = 3
    client_rate_limit: bool = True

    @field_validator("log_level", mode="before")
    @classmethod
    def _upper(cls, value: object) -> object:
        return value.upper() if isinstance(value, str) else value
