"""``LarkResponse[T]``: the one shape every call returns."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Generic, TypeVar

from lark_async.core.errors import InvalidParameter, LarkError

T = TypeVar("T")
U = TypeVar("U")


@dataclass(slots=True)
class LarkResponse(Generic[T]):
    """The outcome of one logical call (after retries).

    ``ok`` is true when Feishu answered code 0. On failure ``error`` holds the
    typed :class:`LarkError` and ``data`` is ``None``. ``unwrap()`` returns
    ``data`` or raises ``error``.
    """

    ok: bool
    code: int
    msg: str
    request_id: str
    log_id: str | None = None
    data: T | None = None
    error: LarkError | None = None
    http_status: int | None = None
    attempts: int = 1
    raw: dict[str, Any] | None = field(default=None, repr=False)
    idempotency_key: str | None = None  # the key a keyed write carried (IM uuid, client_token)

    def unwrap(self) -> T:
        if self.error is not None:
            raise self.error
        if self.data is None:
            # Action endpoints answer no data; hand back an empty value rather than None.
            return {}  # type: ignore[return-value]
        return self.data

    def with_data(self, data: U | None) -> LarkResponse[U]:
        """The same outcome carrying different (e.g. parsed) data."""
        return LarkResponse(
            ok=self.ok,
            code=self.code,
            msg=self.msg,
            request_id=self.request_id,
            log_id=self.log_id,
            data=data,
            error=self.error,
            http_status=self.http_status,
            attempts=self.attempts,
            raw=self.raw,
            idempotency_key=self.idempotency_key,
        )

    @classmethod
    def failure(cls, error: LarkError, *, request_id: str, attempts: int = 1) -> LarkResponse[Any]:
        if not isinstance(error, LarkError):
            raise InvalidParameter(f"error must be a LarkError, not {type(error).__name__}")
        error.request_id = error.request_id or request_id
        return LarkResponse(
            ok=False,
            code=error.code if error.code is not None else -1,
            msg=error.message,
            request_id=request_id,
            log_id=error.log_id,
            error=error,
            http_status=error.http_status,
            attempts=attempts,
            idempotency_key=error.idempotency_key,
        )


@dataclass(frozen=True, slots=True)
class Download:
    """Where a downloaded body went (the ``data`` of a download's response)."""

    path: Path | None
    bytes_written: int
    content_type: str | None
    filename: str | None
