"""Library logging: stdlib ``logging`` under the ``lark_async`` logger, quiet by default.

Call sites write ``get_logger().info("lark.request", request_id=..., status=...)``:
an event name and keyword fields. The logger ``lark_async`` has a ``NullHandler``
and no level of its own, so nothing is written until the application configures
logging (``logging.basicConfig(...)``, its own handlers, structlog, or the
explicit helper :func:`configure_logging`).

When the level is off, a call returns after one ``isEnabledFor`` check. When it
is on, secrets are masked here, before the record exists, and the fields travel
on the record as ``record.lark`` (a dict) with the event name as
``record.lark_event``; ``record.getMessage()`` renders ``event key=value ...``
lazily, for plain ``%(message)s`` formatters. The JSON and console formatters
of :func:`configure_logging` live in :mod:`lark_async.core.logfmt`; while that
handler is the logger's only consumer, a line is rendered without a record.
"""

from __future__ import annotations

import logging
import re
import sys
from collections.abc import Mapping, MutableMapping
from typing import IO, TYPE_CHECKING, Any, Literal

from lark_async.core.checks import check_has, check_int
from lark_async.core.errors import InvalidParameter

if TYPE_CHECKING:
    from lark_async.core.logfmt import LarkStreamHandler

__all__ = [
    "LOGGER_NAME",
    "REDACTED",
    "SAFE_KEYS",
    "SECRET_KEYS",
    "LarkLogger",
    "LogFormat",
    "RateLimitedLog",
    "add_lark_fields",
    "configure_logging",
    "get_logger",
    "log_enabled",
    "redact",
    "redact_fields",
    "redact_text",
    "render_pairs",
]

LogFormat = Literal["console", "json", "stdlib"]

LOGGER_NAME = "lark_async"

REDACTED = "***"

# Keys whose values are always secret, whatever they hold.
SECRET_KEYS = frozenset(
    {
        "app_secret",
        "client_secret",
        "secret",
        "password",
        "authorization",
        "access_token",
        "tenant_access_token",
        "app_access_token",
        "user_access_token",
        "refresh_token",
        "encrypt_key",
        "verification_token",
        "token",
        "app_ticket",
        "code_verifier",
        "secret_key",
        "x-lark-signature",
    }
)

# Values that look like Feishu tokens, wherever they appear in text.
_TOKEN_RE = re.compile(
    r"(?:\b[tua]-[A-Za-z0-9_\-\.]{16,})|(?:\beyJ[A-Za-z0-9_\-]{10,}\.[A-Za-z0-9_\-\.]+)|(?:Bearer\s+\S+)"
)

_LEVELS = {"DEBUG": 10, "INFO": 20, "WARNING": 30, "ERROR": 40, "CRITICAL": 50}


# Fields the library itself fills with ids, numbers and enums: never secret, so
# the hot path does not scan them.
SAFE_KEYS = frozenset(
    {
        "event",
        "level",
        "ts",
        "request_id",
        "app_id",
        "method",
        "status",
        "code",
        "log_id",
        "attempt",
        "latency_ms",
        "error_kind",
        "kind",
        "outcome",
        "duration_ms",
        "delay",
        "expires_in",
        "store",
        "operation",
        "suppressed",
    }
)


def redact_text(text: str) -> str:
    # Plain substring tests first: most text has none of the hints, and this
    # is much cheaper than the regex (or any() over a generator).
    if not ("t-" in text or "u-" in text or "a-" in text or "eyJ" in text or "Bearer" in text):
        return text
    return _TOKEN_RE.sub(REDACTED, text)


def redact(value: Any, _depth: int = 0) -> Any:
    """Deep-copy ``value`` with secret keys masked and token-shaped strings removed."""
    if _depth > 6:
        return "..."
    kind = type(value)
    if kind is str:  # exact type checks first: isinstance against the ABCs is slow
        return redact_text(value) if len(value) > 17 else value
    if kind is int or kind is float or kind is bool or value is None:
        return value
    if kind is dict:
        # The common case (query parameters): short text under harmless keys.
        for k, v in value.items():
            if type(v) is not str or len(v) > 17 or type(k) is not str or k.lower() in SECRET_KEYS:
                break
        else:
            return dict(value)
    if kind is dict or isinstance(value, Mapping):
        return {
            k: (REDACTED if str(k).lower() in SECRET_KEYS else redact(v, _depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, _depth + 1) for v in value]
    if isinstance(value, str):
        return redact_text(value) if len(value) > 17 else value
    return value


def redact_fields(fields: dict[str, Any]) -> dict[str, Any]:
    """Mask secrets in ``fields`` in place (the fresh keyword dict of one log call).

    SAFE_KEYS are skipped unread. Objects other than text, numbers and
    containers become their (scanned) ``str()`` now, so no formatter later
    renders an unscanned value.
    """
    for key, val in fields.items():
        if val is None or key in SAFE_KEYS:
            continue
        if key.lower() in SECRET_KEYS:
            fields[key] = REDACTED
            continue
        kind = type(val)
        if kind is str:
            if len(val) > 17:
                fields[key] = redact_text(val)
        elif kind is int or kind is float or kind is bool:
            continue
        elif kind is dict or kind is list or kind is tuple:
            fields[key] = redact(val)
        elif isinstance(val, str):
            if len(val) > 17:
                fields[key] = redact_text(val)
        elif isinstance(val, (int, float)):
            continue
        elif isinstance(val, (Mapping, list, tuple)):
            fields[key] = redact(val)
        else:
            fields[key] = redact_text(_text_of(val))
    return fields


def _text_of(value: Any) -> str:
    try:
        return str(value)
    except Exception:  # a broken __str__ must not break the call that logs it
        return f"<unprintable {type(value).__name__}>"


def render_pairs(fields: Mapping[str, Any]) -> str:
    """``key=value`` pairs, None values left out; text with spaces is quoted."""
    parts = []
    for key, val in fields.items():
        if val is None:
            continue
        if isinstance(val, str):
            text = val if val and not any(c in val for c in " \t\n\"'=") else repr(val)
        else:
            text = str(val)
        parts.append(f"{key}={text}")
    return " ".join(parts)


class _Pairs:
    """The single ``%s`` argument of a record: renders the fields only when formatted."""

    __slots__ = ("_fields", "_text")

    def __init__(self, fields: dict[str, Any]) -> None:
        self._fields = fields
        self._text: str | None = None

    def __str__(self) -> str:
        if self._text is None:
            self._text = render_pairs(self._fields)
        return self._text

    def __reduce__(self) -> tuple[Any, ...]:
        # Pickled (QueueHandler, SocketHandler) as its text.
        return (str, (str(self),))


def _exception_text() -> str | None:
    import traceback

    exc_type, exc, tb = sys.exc_info()
    if exc_type is None:
        return None
    return redact_text("".join(traceback.format_exception(exc_type, exc, tb)).rstrip("\n"))


class LarkLogger:
    """``get_logger()``: event name plus keyword fields, logged through stdlib ``logging``.

    (A %-style message with positional arguments works too; it is formatted
    and scanned only when the level is on.)

    Each method checks ``isEnabledFor`` first and returns when the level is
    off. A caller that builds an expensive fields dict checks
    :meth:`is_enabled` itself first.
    """

    __slots__ = ("logger",)

    def __init__(self, logger: logging.Logger) -> None:
        self.logger = logger

    def is_enabled(self, level: int) -> bool:
        return self.logger.isEnabledFor(level)

    def isEnabledFor(self, level: int) -> bool:  # the stdlib spelling
        return self.logger.isEnabledFor(level)

    def debug(self, event: str, /, *args: Any, **fields: Any) -> None:
        if self.logger.isEnabledFor(logging.DEBUG):
            self._emit(logging.DEBUG, event, args, fields)

    def info(self, event: str, /, *args: Any, **fields: Any) -> None:
        if self.logger.isEnabledFor(logging.INFO):
            self._emit(logging.INFO, event, args, fields)

    def warning(self, event: str, /, *args: Any, **fields: Any) -> None:
        if self.logger.isEnabledFor(logging.WARNING):
            self._emit(logging.WARNING, event, args, fields)

    def error(self, event: str, /, *args: Any, **fields: Any) -> None:
        if self.logger.isEnabledFor(logging.ERROR):
            self._emit(logging.ERROR, event, args, fields)

    def critical(self, event: str, /, *args: Any, **fields: Any) -> None:
        if self.logger.isEnabledFor(logging.CRITICAL):
            self._emit(logging.CRITICAL, event, args, fields)

    def exception(self, event: str, /, *args: Any, **fields: Any) -> None:
        """ERROR, with the current exception's traceback (scanned for tokens)."""
        if self.logger.isEnabledFor(logging.ERROR):
            self._emit(logging.ERROR, event, args, fields, with_exception=True)

    def log(self, level: int, event: str, /, *args: Any, **fields: Any) -> None:
        if self.logger.isEnabledFor(level):
            self._emit(level, event, args, fields)

    def _emit(
        self,
        level: int,
        event: str,
        args: tuple[Any, ...],
        fields: dict[str, Any],
        with_exception: bool = False,
    ) -> None:
        if args:
            # A %-style message (a few call sites): formatted, then scanned like any text.
            event = redact_text(event % args)
        redact_fields(fields)
        logger = self.logger
        exc_text = _exception_text() if with_exception else None
        direct = _direct
        if (
            direct is not None
            and logger is _LOGGER
            and _is_only_consumer(direct, level)
            and direct.emit_event(level, event, fields, exc_text)
        ):
            return
        # The caller of debug()/info()/...: a frame lookup, not findCaller's walk.
        frame = sys._getframe(2)
        code = frame.f_code
        template = event.replace("%", "%%") if "%" in event else event
        msg, msg_args = (template + " %s", (_Pairs(fields),)) if fields else (template, ())
        record = logger.makeRecord(
            logger.name, level, code.co_filename, frame.f_lineno, msg, msg_args, None, code.co_name
        )
        record.lark_event = event
        record.lark = fields
        # A traceback goes out as scanned text only (never the live exc_info), so
        # no formatter can render an unscanned message.
        record.exc_text = exc_text
        logger.handle(record)


_LOGGER = logging.getLogger(LOGGER_NAME)
if not any(isinstance(h, logging.NullHandler) for h in _LOGGER.handlers):
    _LOGGER.addHandler(logging.NullHandler())
_DEFAULT = LarkLogger(_LOGGER)

# The handler configure_logging attached (console/json), else None.
_direct: LarkStreamHandler | None = None


def _is_only_consumer(handler: LarkStreamHandler, level: int) -> bool:
    """Whether ``handler`` is the one thing that would see a record of ``_LOGGER``.

    Then a ``LogRecord`` is not needed: nobody else (no other handler, no
    filter, no propagation to the root logger, no pytest capture) could look
    at it, and building one costs more than the JSON line itself.
    """
    handlers = _LOGGER.handlers
    return (
        len(handlers) == 2
        and handlers[1] is handler
        and type(handlers[0]) is logging.NullHandler
        and not _LOGGER.propagate
        and not _LOGGER.filters
        and not handler.filters
        and level >= handler.level
    )


def get_logger(name: str | None = None) -> LarkLogger:
    """The library's logger (``lark_async``), or its child ``lark_async.<name>``."""
    if name is None or name == LOGGER_NAME:
        return _DEFAULT
    if not name.startswith(LOGGER_NAME + "."):
        name = f"{LOGGER_NAME}.{name}"
    return LarkLogger(logging.getLogger(name))


def log_enabled(level: int) -> bool:
    """Whether the ``lark_async`` logger lets ``level`` through."""
    return _LOGGER.isEnabledFor(level)


def add_lark_fields(
    _logger: Any, _method: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """A structlog processor for ``ProcessorFormatter(foreign_pre_chain=[...])``.

    Turns a lark-async record into a structlog event: ``event`` is the event
    name and the fields become keys (existing keys win). Other records pass
    through unchanged. Needs no structlog import.
    """
    record = event_dict.get("_record")
    fields = getattr(record, "lark", None)
    if fields is None:
        return event_dict
    event_dict["event"] = record.lark_event  # type: ignore[union-attr]
    for key, val in fields.items():
        event_dict.setdefault(key, val)
    exc_text = getattr(record, "exc_text", None)
    if exc_text:
        event_dict.setdefault("exception", exc_text)
    return event_dict


def _level_number(level: str | int) -> int:
    if isinstance(level, int) and not isinstance(level, bool):
        return check_int(level, "level", min=0)
    name = level.upper() if isinstance(level, str) else None
    if name not in _LEVELS:
        shown = repr(level[:20]) if isinstance(level, str) else type(level).__name__
        raise InvalidParameter(
            f"log level must be one of {', '.join(_LEVELS)}, not {shown}",
            details={"argument": "level"},
        )
    return _LEVELS[name]


def configure_logging(
    level: str | int = "INFO",
    fmt: LogFormat = "console",
    stream: IO[str] | None = None,
) -> None:
    """Show lark-async's log lines: set the ``lark_async`` logger's level and output.

    ``console`` and ``json`` attach one handler of ours to the ``lark_async``
    logger (writing to ``stream``, default stderr at the time of each line) and
    stop propagation, so the lines are not also written by the root logger's
    handlers. ``stdlib`` attaches nothing: records propagate to the
    application's handlers. Calling it again replaces our handler. The root
    logger and structlog's global configuration are never touched.
    """
    global _direct
    number = _level_number(level)
    if not isinstance(fmt, str) or fmt not in ("console", "json", "stdlib"):
        shown = repr(fmt[:20]) if isinstance(fmt, str) else type(fmt).__name__
        raise InvalidParameter(
            f"log format (fmt) must be console, json or stdlib, not {shown}",
            details={"argument": "fmt"},
        )
    if stream is not None:
        check_has(stream, "stream", ("write",), "a text stream")
    from lark_async.core.logfmt import LarkStreamHandler

    _direct = None
    for handler in list(_LOGGER.handlers):
        if isinstance(handler, LarkStreamHandler):
            _LOGGER.removeHandler(handler)
            handler.close()
    _LOGGER.setLevel(number)
    if fmt == "stdlib":
        _LOGGER.propagate = True
        return
    _direct = LarkStreamHandler(fmt, stream)
    _LOGGER.addHandler(_direct)
    _LOGGER.propagate = False


class RateLimitedLog:
    """Emit at most one record per ``interval`` seconds per key (e.g. a store that is down)."""

    def __init__(self, interval: float = 60.0) -> None:
        self.interval = interval
        self._last: dict[str, float] = {}
        self.suppressed: dict[str, int] = {}

    def should_log(self, key: str, now: float) -> bool:
        last = self._last.get(key)
        if last is not None and now - last < self.interval:
            self.suppressed[key] = self.suppressed.get(key, 0) + 1
            return False
        self._last[key] = now
        return True

    def take_suppressed(self, key: str) -> int:
        return self.suppressed.pop(key, 0)
