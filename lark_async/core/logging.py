"""Structured logs for every call, with secrets and tokens redacted.

lark-async keeps its own structlog pipeline (``structlog.wrap_logger``) rather
than calling ``structlog.configure``, so it never changes an application's
global structlog set-up. ``configure_logging`` picks level and format;
``fmt="stdlib"`` hands events to the ``logging`` module (logger ``lark_async``)
for applications that route everything through it.
"""

from __future__ import annotations

import logging
import re
import sys
import time
from collections.abc import Mapping
from typing import IO, TYPE_CHECKING, Any, Literal, TextIO, cast

if TYPE_CHECKING:
    from structlog.typing import EventDict, WrappedLogger

LogFormat = Literal["console", "json", "stdlib"]

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
_HINTS = ("t-", "u-", "a-", "eyJ", "Bearer")


def redact_text(text: str) -> str:
    if not any(h in text for h in _HINTS):
        return text
    return _TOKEN_RE.sub(REDACTED, text)


def redact(value: Any, _depth: int = 0) -> Any:
    """Deep-copy ``value`` with secret keys masked and token-shaped strings removed."""
    if _depth > 6:
        return "..."
    if isinstance(value, Mapping):
        return {
            k: (REDACTED if str(k).lower() in SECRET_KEYS else redact(v, _depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, (list, tuple)):
        return [redact(v, _depth + 1) for v in value]
    if isinstance(value, str):
        return redact_text(value) if len(value) > 17 else value
    return value


def _redact_processor(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    for key, val in event_dict.items():
        if key in SAFE_KEYS or val is None:
            continue
        if key.lower() in SECRET_KEYS:
            event_dict[key] = REDACTED
        elif isinstance(val, (Mapping, list, tuple)):
            event_dict[key] = redact(val)
        elif isinstance(val, str) and len(val) > 17:
            event_dict[key] = redact_text(val)
    return event_dict


def _add_time(_: WrappedLogger, __: str, event_dict: EventDict) -> EventDict:
    event_dict["ts"] = round(time.time(), 3)
    return event_dict


def _json_renderer() -> Any:
    import structlog

    try:
        import orjson

        def dumps(obj: Any, **_: Any) -> str:
            return orjson.dumps(obj, default=str).decode()

        return structlog.processors.JSONRenderer(serializer=dumps)
    except ImportError:  # pragma: no cover - orjson is optional
        return structlog.processors.JSONRenderer()


class _Settings:
    level: int = logging.INFO
    fmt: LogFormat = "console"
    stream: IO[str] | None = None


_settings = _Settings()
_logger: Any = None


def configure_logging(
    level: str | int = "INFO",
    fmt: LogFormat = "console",
    stream: IO[str] | None = None,
) -> None:
    """Set lark-async's log level (DEBUG, INFO, WARNING, ERROR) and output format.

    ``stream`` defaults to stderr for ``console``/``json``.
    """
    global _logger
    if isinstance(level, str):
        name = level.upper()
        if name not in _LEVELS:
            raise ValueError(f"log level must be one of {', '.join(_LEVELS)}, not {level!r}")
        level = _LEVELS[name]
    if fmt not in ("console", "json", "stdlib"):
        raise ValueError(f"log format must be console, json or stdlib, not {fmt!r}")
    _settings.level, _settings.fmt, _settings.stream = level, fmt, stream
    _logger = None


def _build() -> Any:
    # structlog (and the rich it pulls in) loads on the first log line, not at import.
    import structlog

    processors: list[Any] = [
        structlog.processors.add_log_level,
        _add_time,
        _redact_processor,
    ]
    if _settings.fmt == "stdlib":
        std = logging.getLogger("lark_async")
        processors.append(structlog.processors.KeyValueRenderer(key_order=["event"]))
        return structlog.wrap_logger(
            std,
            processors=processors,
            wrapper_class=structlog.make_filtering_bound_logger(_settings.level),
            cache_logger_on_first_use=True,
        )
    if _settings.fmt == "json":
        processors.append(_json_renderer())
    else:
        processors.append(structlog.dev.ConsoleRenderer(colors=False))
    out = _settings.stream if _settings.stream is not None else sys.stderr
    return structlog.wrap_logger(
        structlog.PrintLogger(cast(TextIO, out)),
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(_settings.level),
        cache_logger_on_first_use=True,
    )


def get_logger() -> Any:
    """The library's logger (a structlog filtering bound logger)."""
    global _logger
    if _logger is None:
        _logger = _build()
    return _logger


def log_enabled(level: int) -> bool:
    return _settings.level <= level


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
