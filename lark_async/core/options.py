"""``RequestOptions``: everything about one logical call, built and checked once.

Services and ``lark.request(...)`` describe a call with keyword arguments; they
become one frozen object here, validated before anything is sent, and that
object travels through the transport unchanged (no keyword forwarding).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Protocol

from lark_async.core.errors import InvalidParameter
from lark_async.core.ratelimit import Pace

AuthKind = Literal["tenant", "app", "user", "none"]
FileContent = bytes | Path | IO[bytes]
FileField = tuple[str, FileContent, str | None]

METHODS = frozenset({"GET", "POST", "PUT", "PATCH", "DELETE", "HEAD"})
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
_AUTH_KINDS = ("tenant", "app", "user", "none")

#: ``slot()`` gives an async context manager held around each attempt on the wire
#: (not around token fetches, rate-limit waits or backoff): a service's "one write
#: at a time per resource" rule, so a call waiting to retry blocks nobody.
SlotFactory = Callable[[], AbstractAsyncContextManager[object]]


class SharedSlots(Protocol):
    """Write slots shared by every process of an app (e.g. through PostgreSQL).

    A service offered one (``getattr(ctx, "shared_slots", None)``) holds
    ``hold(key)`` inside its own per-process slot, around one request on the
    wire, so two processes never write to one table or spreadsheet at once.
    Keys are namespaced by the service (``"bitable:<app_token>/<table_id>"``).
    """

    def hold(self, key: str) -> AbstractAsyncContextManager[object]: ...


@dataclass(frozen=True, slots=True)
class Timeouts:
    """Seconds. ``total`` bounds each attempt; ``connect`` the connection set-up.

    ``read`` (the longest silence between two chunks of the answer) is off by
    default: the total already bounds the call, and each extra timer costs.
    """

    connect: float | None = 5.0
    read: float | None = None
    total: float | None = 60.0

    @classmethod
    def of(cls, timeout: float | Timeouts | None, default: Timeouts) -> Timeouts:
        """A per-call ``timeout=`` (seconds or a ``Timeouts``) on top of ``default``."""
        if timeout is None:
            return default
        if isinstance(timeout, Timeouts):
            return timeout
        if isinstance(timeout, bool) or not isinstance(timeout, (int, float)):
            raise InvalidParameter(f"timeout must be seconds or a Timeouts, not {timeout!r}")
        if not timeout > 0:
            raise InvalidParameter(f"timeout must be positive, got {timeout}")
        connect = default.connect
        read = default.read
        return cls(
            connect=None if connect is None else min(connect, timeout),
            read=None if read is None else min(read, timeout),
            total=float(timeout),
        )


@dataclass(frozen=True, slots=True)
class RequestOptions:
    """One logical call: what to send, how it authenticates, how it may be retried.

    Build it with :meth:`build`, which checks and normalises the arguments.
    ``idempotency_key`` is the key placed in the request (IM ``uuid``, Bitable
    ``client_token``): it makes a write safe to resend. ``idempotent=True``
    says the write is naturally safe to repeat.
    """

    method: str
    path: str
    params: dict[str, str] | None = None
    json: Any = field(default=None, repr=False)
    data: Mapping[str, Any] | bytes | None = field(default=None, repr=False)
    files: Mapping[str, FileField] | None = field(default=None, repr=False)
    headers: Mapping[str, str] | None = field(default=None, repr=False)
    timeout: float | Timeouts | None = None
    idempotency_key: str | None = None
    idempotent: bool = False
    auth: AuthKind = "tenant"
    user_access_token: str | None = field(default=None, repr=False)
    family: str | None = None
    max_retries: int | None = None
    pace: Pace | None = None  # spacing per key (e.g. 5 QPS per IM recipient), see ratelimit
    trace_id: str | None = None
    key_name: str = "idempotency_key"  # where the key sits in the request: uuid, client_token …
    slot: SlotFactory | None = field(default=None, repr=False, compare=False)

    @property
    def is_write(self) -> bool:
        return self.method in WRITE_METHODS

    @property
    def retry_safe(self) -> bool:
        """Reads, and writes carrying a key or declared idempotent, may be resent."""
        return not self.is_write or self.idempotent or bool(self.idempotency_key)

    @classmethod
    def build(
        cls,
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
        family: str | None = None,
        max_retries: int | None = None,
        pace: Pace | None = None,
        slot: SlotFactory | None = None,
    ) -> RequestOptions:
        if not isinstance(method, str):
            raise InvalidParameter(f"method must be a str, not {type(method).__name__}")
        method = method.upper()
        if method not in METHODS:
            raise InvalidParameter(f"unsupported HTTP method {method!r}")
        if not isinstance(path, str) or not path.startswith("/open-apis/"):
            shown = path[:60] if isinstance(path, str) else type(path).__name__
            raise InvalidParameter(
                f"path must start with /open-apis/, got {shown!r}",
                hint="pass the path only; the domain comes from the client",
            )
        if json is not None and (data is not None or files is not None):
            raise InvalidParameter("pass either json= or data=/files=, not both")
        if auth not in _AUTH_KINDS:
            raise InvalidParameter(f"auth must be tenant, app, user or none, not {auth!r}")
        if auth == "user" and not user_access_token:
            raise InvalidParameter("auth='user' needs user_access_token=")
        if timeout is not None:
            Timeouts.of(timeout, Timeouts())  # checks it
        if idempotency_key is not None and not isinstance(idempotency_key, str):
            raise InvalidParameter("idempotency_key must be a str")
        if max_retries is not None and (
            isinstance(max_retries, bool) or not isinstance(max_retries, int) or max_retries < 0
        ):
            raise InvalidParameter(f"max_retries must be an int >= 0, not {max_retries!r}")
        if pace is not None and not isinstance(pace, Pace):
            raise InvalidParameter(f"pace must be a Pace, not {type(pace).__name__}")
        if slot is not None and not callable(slot):
            raise InvalidParameter(
                f"slot must be a callable returning an async context manager, not "
                f"{type(slot).__name__}"
            )
        trace_id = None
        if headers:
            kept: dict[str, str] = {}
            for key, value in headers.items():
                if key.lower() == "x-request-id":
                    trace_id = value or None
                else:
                    kept[key] = value
            headers = kept
        return cls(
            method=method,
            path=path,
            params=clean_params(params),
            json=json,
            data=data,
            files=files,
            headers=headers or None,
            timeout=timeout,
            idempotency_key=idempotency_key,
            idempotent=bool(idempotent),
            auth=auth,
            user_access_token=user_access_token,
            family=family,
            max_retries=max_retries,
            pace=pace,
            trace_id=trace_id,
            key_name=_key_name(idempotency_key, params, json),
            slot=slot,
        )


def clean_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Drop None values; booleans as Feishu expects ('true'/'false')."""
    if not params:
        return None
    out: dict[str, str] = {}
    for k, v in params.items():
        if v is None:
            continue
        if isinstance(v, bool):
            out[k] = "true" if v else "false"
        else:
            out[k] = str(v)
    return out or None


def _key_name(key: str | None, params: Mapping[str, Any] | None, body: Any) -> str:
    """The name the key travels under (``client_token`` in the query, ``uuid`` in
    the body …): a caller retries by giving that argument the same value."""
    if key:
        for source in (params, body):
            if isinstance(source, Mapping):
                for name, value in source.items():
                    if value == key and isinstance(name, str):
                        return name
    return "idempotency_key"
