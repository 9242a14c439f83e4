"""Plain data the auth layer passes around."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lark_async.core.secret import Secret


class TokenKind(StrEnum):
    TENANT = "tenant_access_token"
    APP = "app_access_token"


class AppStatus(StrEnum):
    ACTIVE = "active"
    DISABLED = "disabled"


@dataclass(frozen=True, slots=True)
class AppConfig:
    """One self-built app's configuration. Secrets are ``Secret``: they never print."""

    app_id: str
    app_secret: Secret
    encrypt_key: Secret | None = None
    verification_token: Secret | None = None
    name: str = ""
    description: str = ""
    status: AppStatus = AppStatus.ACTIVE
    created_by: str = ""
    created_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def active(self) -> bool:
        return self.status is AppStatus.ACTIVE


@dataclass(slots=True)
class StoredToken:
    """An access token with its timing. ``value`` never appears in repr."""

    app_id: str
    kind: TokenKind
    value: str = field(repr=False)
    expires_at: float  # epoch seconds
    lifetime: float  # seconds the server granted when it was issued to us
    fetched_at: float  # epoch seconds

    def remaining(self, now: float) -> float:
        return self.expires_at - now

    def needs_refresh(self, now: float, fraction: float = 0.1) -> bool:
        """Less than ``fraction`` of the lifetime is left."""
        return self.remaining(now) < self.lifetime * fraction

    def expired(self, now: float, skew: float = 5.0) -> bool:
        return self.remaining(now) <= skew
