"""Plain data the auth layer passes around."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from lark_async.core.checks import bad_argument, check_str, check_text
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

    def __post_init__(self) -> None:
        check_str(self.app_id, "app_id", printable=True, max_len=256)
        if not isinstance(self.app_secret, Secret):
            raise bad_argument(
                "app_secret", f"must be a Secret, not {type(self.app_secret).__name__}"
            )
        for name in ("encrypt_key", "verification_token"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, Secret):
                raise bad_argument(name, f"must be a Secret or None, not {type(value).__name__}")
        for name in ("name", "description", "created_by"):
            check_text(getattr(self, name), name)
        if not isinstance(self.status, AppStatus):
            raise bad_argument("status", f"must be an AppStatus, not {type(self.status).__name__}")
        for name in ("created_at", "updated_at"):
            value = getattr(self, name)
            if value is not None and not isinstance(value, datetime):
                raise bad_argument(name, f"must be a datetime or None, not {type(value).__name__}")

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
