"""``RequestOptions``: everything about one logical call, built and checked once.

Services and ``lark.request(...)`` describe a call with keyword arguments; they
become one frozen object here, validated before anything is sent, and that
object travels through the transport unchanged (no keyword forwarding).
"""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any, Literal, Protocol
from urllib.parse import unquote

from lark_async.core.checks import (
    bad_argument,
    check_bool,
    check_int,
    check_json,
    check_number,
    check_str,
    check_text,
    has_surrogates,
)
from lark_async.core.errors import InvalidParameter, LarkError
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

    def __post_init__(self) -> None:
        # 0 or a negative value would silently mean "no bound" further down; None says so.
        for name in ("connect", "read", "total"):
            value = getattr(self, name)
            if value is not None:
                check_number(value, f"Timeouts {name}", positive=True)

    @classmethod
    def of(cls, timeout: float | Timeouts | None, default: Timeouts) -> Timeouts:
        """A per-call ``timeout=`` (seconds or a ``Timeouts``) on top of ``default``."""
        if timeout is None:
            return default
        if isinstance(timeout, Timeouts):
            return timeout
        seconds = check_timeout(timeout)
        connect = default.connect
        read = default.read
        return cls(
            connect=None if connect is None else min(connect, seconds),
            read=None if read is None else min(read, seconds),
            total=seconds,
        )


def check_timeout(
    timeout: object, name: str = "timeout", *, error: type[LarkError] = InvalidParameter
) -> float:
    """Seconds for a timeout: a finite number > 0 (``None`` / ``Timeouts`` are the caller's)."""
    if isinstance(timeout, bool) or not isinstance(timeout, int | float):
        raise bad_argument(
            name, f"must be seconds or a Timeouts, not {type(timeout).__name__}", error=error
        )
    return check_number(timeout, name, positive=True, error=error)


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
    as_user: str | None = None  # an open_id: the library gets (and refreshes) that user's token
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
        as_user: str | None = None,
    ) -> RequestOptions:
        method = check_str(method, "method").upper()
        if method not in METHODS:
            raise bad_argument("method", f"is not a supported HTTP method: {method[:10]!r}")
        if not (auth == "none" and path in UNTOKENED_PATHS):
            check_path(path)
        if json is not None and (data is not None or files is not None):
            raise InvalidParameter("pass either json= or data=/files=, not both")
        if not isinstance(auth, str) or auth not in _AUTH_KINDS:
            shown = repr(auth[:10]) if isinstance(auth, str) else type(auth).__name__
            raise bad_argument("auth", f"must be tenant, app, user or none, not {shown}")
        if user_access_token is not None:
            check_str(user_access_token, "user_access_token", printable=True)
        if as_user is not None:
            _check_open_id(as_user)
            if user_access_token is not None:
                raise InvalidParameter("pass either as_user= or user_access_token=, not both")
            if auth not in ("tenant", "user"):
                raise InvalidParameter(f"as_user= calls with a user token, not auth={auth!r}")
            auth = "user"
        elif user_access_token is not None and auth == "tenant":
            auth = "user"  # a user token given means the call is made as that user
        if auth == "user" and not user_access_token and as_user is None:
            raise InvalidParameter("auth='user' needs user_access_token= or as_user=")
        if timeout is not None:
            Timeouts.of(timeout, Timeouts())  # checks it
        if idempotency_key is not None:
            check_str(idempotency_key, "idempotency_key", printable=True)
        check_bool(idempotent, "idempotent")
        if family is not None:
            check_str(family, "family", printable=True)
        if max_retries is not None:
            check_int(max_retries, "max_retries", min=0)
        if pace is not None and not isinstance(pace, Pace):
            raise bad_argument("pace", f"must be a Pace, not {type(pace).__name__}")
        if slot is not None and not callable(slot):
            raise bad_argument(
                "slot",
                f"must be a callable returning an async context manager, not {type(slot).__name__}",
            )
        if json is not None:
            check_json(json, "json")
        if data is not None:
            _check_data(data, form=files is not None)
        if files is not None:
            _check_files(files)
        trace_id = None
        if headers:
            kept: dict[str, str] = {}
            for key, value in _check_headers(headers).items():
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
            idempotent=idempotent,
            auth=auth,
            user_access_token=user_access_token,
            as_user=as_user,
            family=family,
            max_retries=max_retries,
            pace=pace,
            trace_id=trace_id,
            key_name=_key_name(idempotency_key, params, json),
            slot=slot,
        )


def _check_open_id(value: object) -> None:
    if (
        not isinstance(value, str)
        or not value
        or len(value) > 128
        or any(c.isspace() or ord(c) < 32 for c in value)
    ):
        raise InvalidParameter(
            "as_user must be the user's open_id (ou_...)",
            hint="the user authorises first: lark.user_auth.start_session(...)",
        )


def clean_params(params: Mapping[str, Any] | None) -> dict[str, str] | None:
    """Drop None values; booleans as Feishu expects ('true'/'false').

    Values are str, int or float (finite); anything else is refused rather than
    sent as its ``str()`` (a list would go out as "['a', 'b']").
    """
    if params is None:
        return None
    if not isinstance(params, Mapping):
        raise bad_argument("params", f"must be a mapping, not {type(params).__name__}")
    out: dict[str, str] = {}
    for k, v in params.items():
        _check_key("params", k)
        if v is None:
            continue
        if isinstance(v, str):
            if not v.isascii() and has_surrogates(v):
                check_text(v, _item_name("params", k))  # raises, naming the key
            out[k] = v
        elif isinstance(v, bool):
            out[k] = "true" if v else "false"
        elif isinstance(v, int):
            out[k] = str(v)
        elif isinstance(v, float):
            out[k] = str(check_number(v, _item_name("params", k)))
        else:
            raise bad_argument(
                _item_name("params", k),
                f"must be a str, int, float or bool, not {type(v).__name__}",
            )
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


def _check_key(mapping: str, key: object) -> None:
    """A key of ``params`` / ``data`` / ``files`` / ``headers``: a printable str."""
    if not isinstance(key, str) or not key or not key.isprintable() or len(key) > 200:
        check_str(key, f"{mapping} key", printable=True, max_len=200)


def _item_name(mapping: str, key: str) -> str:
    """``params['page_size']``: names an entry in an error (built only then)."""
    return f"{mapping}[{key[:40]!r}]"


_FORM_VALUE = (str, int, float)


def _check_data(data: object, *, form: bool) -> None:
    if isinstance(data, bytes | bytearray) and not form:
        return
    if not isinstance(data, Mapping):
        what = "a mapping of form fields" if form else "bytes or a mapping of form fields"
        raise bad_argument("data", f"must be {what}, not {type(data).__name__}")
    for k, v in data.items():
        _check_key("data", k)
        if v is None:
            continue
        if isinstance(v, bool) or not isinstance(v, _FORM_VALUE):
            raise bad_argument(
                _item_name("data", k), f"must be a str or a number, not {type(v).__name__}"
            )
        if isinstance(v, str):
            check_text(v, _item_name("data", k))
        elif isinstance(v, float):
            check_number(v, _item_name("data", k))


def _check_files(files: object) -> None:
    if not isinstance(files, Mapping) or not files:
        raise bad_argument(
            "files", "must be a non-empty mapping of field -> (filename, content, type)"
        )
    for k, v in files.items():
        _check_key("files", k)
        name = _item_name("files", k)
        if not isinstance(v, tuple) or len(v) != 3:
            raise bad_argument(name, "must be a (filename, content, content_type) tuple")
        filename, content, ctype = v
        check_str(filename, f"{name} filename", printable=True, max_len=1024)
        if ctype is not None:
            check_str(ctype, f"{name} content_type", printable=True, max_len=255)
        if isinstance(content, Path):
            if not content.is_file():
                raise bad_argument(name, "names no readable file")
        elif isinstance(content, io.TextIOBase) or not (
            isinstance(content, bytes | bytearray) or callable(getattr(content, "read", None))
        ):
            raise bad_argument(
                name,
                f"content must be bytes, a Path or a binary file, not {type(content).__name__}",
            )


def _check_headers(headers: object) -> Mapping[str, str]:
    if not isinstance(headers, Mapping):
        raise bad_argument("headers", f"must be a mapping, not {type(headers).__name__}")
    for k, v in headers.items():
        _check_key("headers", k)
        if ":" in k or " " in k:
            raise bad_argument(_item_name("headers", k), "is not a valid header name")
        if not isinstance(v, str) or not v.isprintable() or not v.isascii():
            check_str(v, _item_name("headers", k), empty_ok=True, printable=True)
    return headers


# -- the path guard -----------------------------------------------------------

_PREFIX = "/open-apis/"
# Outside /open-apis/ but sent without a token (auth="none"), so nothing can leak:
# where the long connection gets its WebSocket URL (the app proves itself in the body).
UNTOKENED_PATHS = frozenset({"/callback/ws/endpoint"})
_MAX_DECODES = 4  # "%25252e" is "." encoded three times over; deeper is refused outright


def check_path(path: object) -> str:
    """The path of an OpenAPI call: it must stay under ``/open-apis/``.

    The client attaches the app's token to whatever path it is given, so a path
    that a server or proxy would resolve elsewhere (``/open-apis/../x``, or the
    same spelled ``%2e%2e``, ``%252E%252E``, with backslashes) is refused, as are
    empty segments (``//``), ``.`` segments and control characters. The path is
    checked after percent-decoding until nothing changes, and sent unchanged.
    A query after ``?`` is not a path and is left alone.
    """
    if not isinstance(path, str) or not path.startswith(_PREFIX):
        shown = repr(path[:60]) if isinstance(path, str) else type(path).__name__
        raise bad_argument(
            "path",
            f"must start with /open-apis/, got {shown}",
            hint="pass the path only; the domain comes from the client",
        )
    if not path.isprintable():
        raise bad_argument("path", "contains control or unprintable characters")
    route = path.partition("?")[0].partition("#")[0]
    # Fast path: nothing that could hide a segment the server would resolve.
    if "%" not in route and "\\" not in route and "/." not in route and "//" not in route:
        return path
    decoded = route
    for _ in range(_MAX_DECODES + 1):
        once = unquote(decoded)
        if once == decoded:
            break
        decoded = once
    else:
        raise bad_argument("path", "is percent-encoded too many times over")
    segments = decoded.replace("\\", "/").split("/")[1:]
    if "\\" in route or any(seg in (".", "..") for seg in segments) or "" in segments[:-1]:
        raise bad_argument(
            "path",
            "must not contain '.', '..' or empty segments or backslashes, "
            "even percent-encoded: it must stay under /open-apis/",
        )
    if not decoded.isprintable():
        raise bad_argument("path", "contains percent-encoded control characters")
    return path


def check_download(dest: object, chunk_size: object, resume: object = False) -> None:
    """``download``'s own arguments: where the body goes, in what pieces, resumed or not."""
    check_bool(resume, "resume")
    if isinstance(dest, Path):
        pass
    elif isinstance(dest, io.TextIOBase) or not all(
        callable(getattr(dest, m, None)) for m in ("write", "seekable", "tell")
    ):
        raise bad_argument(
            "dest", f"must be a Path or a binary file opened for writing, not {type(dest).__name__}"
        )
    check_int(chunk_size, "chunk_size", min=1)
