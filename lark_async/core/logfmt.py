"""The formatters and the handler behind ``configure_logging``: JSON lines or console text.

Both read lark-async records' ``record.lark_event`` and ``record.lark`` (fields
already redacted) and fall back to the scanned message for other records in
the ``lark_async`` hierarchy (the emulator's ``lark_async.testing``, say).
Applications may put them on their own handlers too.
"""

from __future__ import annotations

import logging
import sys
import time
from collections.abc import Callable
from typing import IO, Any

from lark_async.core.logging import LOGGER_NAME, redact_text, render_pairs

__all__ = ["ConsoleFormatter", "JsonFormatter", "LarkStreamHandler", "iso_utc"]

# (whole second, its "YYYY-MM-DDTHH:MM:SS" text): one strftime per second, not per line.
_second: tuple[int, str] = (-1, "")


def iso_utc(created: float) -> str:
    """ISO 8601 UTC with milliseconds, e.g. ``2024-05-01T12:34:56.789Z``."""
    global _second
    whole = int(created)
    cached = _second
    if cached[0] == whole:
        prefix = cached[1]
    else:
        prefix = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole))
        _second = (whole, prefix)
    # Via whole microseconds, so float noise (x.001 stored as x.000999...) doesn't lose a ms.
    millis = min(round((created - whole) * 1_000_000) // 1000, 999)
    return f"{prefix}.{millis:03d}Z"


def _json_dumps() -> Callable[[dict[str, Any]], str]:
    import json

    def std_dumps(obj: dict[str, Any]) -> str:
        return json.dumps(obj, default=str, ensure_ascii=False, separators=(",", ":"))

    try:
        import orjson
    except ImportError:  # pragma: no cover - orjson is optional (the "fast" extra)
        return std_dumps

    option = orjson.OPT_NON_STR_KEYS

    def fast_dumps(obj: dict[str, Any]) -> str:
        try:
            return orjson.dumps(obj, default=str, option=option).decode()
        except TypeError:  # e.g. an int beyond 64 bits
            return std_dumps(obj)

    return fast_dumps


def _parts(record: logging.LogRecord) -> tuple[str, dict[str, Any], str | None]:
    """Event name, fields and scanned traceback text of any record."""
    fields: dict[str, Any] | None = getattr(record, "lark", None)
    if fields is not None:
        return record.lark_event, fields, record.exc_text  # type: ignore[attr-defined]
    # A plain stdlib record from the lark_async hierarchy: scan what it says.
    exc_text = record.exc_text
    if record.exc_info and not exc_text:
        exc_text = logging.Formatter().formatException(record.exc_info)
    return (
        redact_text(record.getMessage()),
        {},
        redact_text(exc_text) if exc_text else None,
    )


class _LineFormatter(logging.Formatter):
    """A formatter that renders from the parts of an event, with or without a record."""

    def format(self, record: logging.LogRecord) -> str:
        event, fields, exc_text = _parts(record)
        return self.render(record.created, record.levelname, record.name, event, fields, exc_text)

    def render(
        self,
        created: float,
        levelname: str,
        name: str,
        event: str,
        fields: dict[str, Any],
        exc_text: str | None,
    ) -> str:
        raise NotImplementedError


class JsonFormatter(_LineFormatter):
    """One JSON object per record: ``ts``, ``level``, ``event``, the fields, and
    ``logger`` (for child loggers) and ``exception`` when present."""

    def __init__(self) -> None:
        super().__init__()
        self._dumps = _json_dumps()

    def render(
        self,
        created: float,
        levelname: str,
        name: str,
        event: str,
        fields: dict[str, Any],
        exc_text: str | None,
    ) -> str:
        ts = iso_utc(created)
        level = levelname.lower()
        out = {"ts": ts, "level": level, "event": event, **fields}
        if len(out) != 3 + len(fields):  # a field named ts/level/event: ours win
            out.update(ts=ts, level=level, event=event)
        if name != LOGGER_NAME:
            out["logger"] = name
        if exc_text:
            out["exception"] = exc_text
        return self._dumps(out)


class ConsoleFormatter(_LineFormatter):
    """``2024-05-01T12:34:56.789Z info     lark.request request_id=... status=200``."""

    def render(
        self,
        created: float,
        levelname: str,
        name: str,
        event: str,
        fields: dict[str, Any],
        exc_text: str | None,
    ) -> str:
        head = f"{iso_utc(created)} {levelname.lower():<8} "
        if name != LOGGER_NAME:
            head += f"[{name}] "
        pairs = render_pairs(fields)
        line = f"{head}{event} {pairs}" if pairs else f"{head}{event}"
        return f"{line}\n{exc_text}" if exc_text else line


class LarkStreamHandler(logging.Handler):
    """The one handler ``configure_logging`` attaches: a line per record, one write each.

    With no stream it writes to whatever ``sys.stderr`` is when the line is
    written (a CLI test runner may swap it). Flushes like ``StreamHandler``.
    """

    def __init__(self, fmt: str, stream: IO[str] | None = None) -> None:
        super().__init__()
        self.stream = stream
        self.setFormatter(JsonFormatter() if fmt == "json" else ConsoleFormatter())

    def emit(self, record: logging.LogRecord) -> None:
        try:
            self._write(self.format(record))
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def emit_event(
        self, level: int, event: str, fields: dict[str, Any], exc_text: str | None
    ) -> bool:
        """Write one lark-async event without building a ``LogRecord``.

        Only for when this handler is the event's one consumer (the caller
        checks): then the record would be built just to be taken apart again.
        False when our formatter was replaced; the caller then logs normally.
        """
        formatter = self.formatter
        if not isinstance(formatter, _LineFormatter):
            return False
        levelname = logging.getLevelName(level)
        try:
            line = formatter.render(time.time(), levelname, LOGGER_NAME, event, fields, exc_text)
            self.acquire()
            try:
                self._write(line)
            finally:
                self.release()
        except RecursionError:
            raise
        except Exception:
            self.handleError(logging.LogRecord(LOGGER_NAME, level, "", 0, event, (), None))
        return True

    def _write(self, line: str) -> None:
        stream = self.stream if self.stream is not None else sys.stderr
        stream.write(line + "\n")
        flush = getattr(stream, "flush", None)
        if flush is not None:
            flush()
