"""OpenTelemetry spans and metrics, at no cost when OpenTelemetry is not installed.

Call sites call cheap hooks on :data:`recorder`. It is resolved once, when this
module is imported: a :class:`Recorder` that does nothing if ``opentelemetry``
cannot be imported (or ``LARK_ASYNC_TELEMETRY=off``), else an
:class:`OTelRecorder` on the global tracer and meter providers (OpenTelemetry's
own no-ops until the application installs its SDK). :func:`install` swaps in a
recorder on given providers (tests, or an application that does not use the
global ones).

What is recorded (HTTP client semantic conventions, plus ``lark.*``):

- a span per logical call, ``{METHOD} {url.template}`` (kind CLIENT), with an
  ``lark.attempt`` event per attempt; attributes ``http.request.method``,
  ``url.template``, ``server.address``, ``server.port``, ``http.response.status_code``,
  ``http.request.resend_count``, ``lark.attempt``, ``lark.app_id``, ``lark.code``,
  ``lark.log_id``, ``error.type``. Never a token, a header, a query or a body.
- ``http.client.request.duration`` (s, per attempt), ``lark.retries``,
  ``lark.token.refreshes``, ``lark.limiter.wait`` (s), ``lark.callbacks.published``,
  ``lark.callbacks.handled``, ``lark.bulk.rows``.
"""

from __future__ import annotations

import functools
import os
import re
import time
from collections.abc import Awaitable
from typing import Any, Protocol, TypeVar

__all__ = ["OTelRecorder", "Recorder", "counted_handle", "install", "recorder", "url_template"]

_ID_SEGMENT = re.compile(r"[^a-z_]")  # API words are lowercase; ids carry digits or capitals
_PREFIX = "/open-apis/"
# the HTTP semantic conventions' advice for http.client.request.duration
_DURATION_BUCKETS = [
    0.005,
    0.01,
    0.025,
    0.05,
    0.075,
    0.1,
    0.25,
    0.5,
    0.75,
    1.0,
    2.5,
    5.0,
    7.5,
    10.0,
]


@functools.lru_cache(maxsize=2048)
def url_template(path: str) -> str:
    """A path with its ids replaced by ``{id}``: ``/open-apis/im/v1/messages/{id}/reply``.

    Feishu's resource words are lowercase (``messages``, ``batch_create``); a
    segment with a digit, a capital or another character is an id, so spans and
    metrics keep a low cardinality. The service and version (``im/v1``) stay.
    """
    if not path.startswith(_PREFIX):
        return "{other}"  # not an OpenAPI path: no shape worth keeping
    parts = path[len(_PREFIX) :].split("/")
    out = [p if i < 2 or not _ID_SEGMENT.search(p) else "{id}" for i, p in enumerate(parts)]
    return _PREFIX + "/".join(out)


class _Decision(Protocol):
    @property
    def action(self) -> str: ...


D = TypeVar("D", bound=_Decision)


class Recorder:
    """The hooks; this base class records nothing (OpenTelemetry absent or turned off)."""

    enabled = False

    def call_started(
        self, method: str, path: str, app_id: str, host: str, port: int | None = None
    ) -> Any:
        """A logical call begins; returns a handle for the other call hooks."""
        return None

    def attempt(
        self, handle: Any, number: int, seconds: float, status: int | None, error: str | None
    ) -> None:
        """One attempt of the call came back (or failed on the wire)."""

    def call_ended(
        self,
        handle: Any,
        attempts: int,
        status: int | None,
        code: int | None,
        log_id: str | None,
        error: str | None,
    ) -> None:
        """The call's answer: success (``error`` None) or its error kind."""

    def retry(self, handle: Any, reason: str) -> None:
        """The transport will send the call again (``reason``: an error kind or ``token``)."""

    def token_refreshed(self, app_id: str, kind: str, reason: str) -> None:
        """An app or tenant token is being fetched (``reason``: first use, refresh-ahead, ...)."""

    def limiter_waited(self, app_id: str, family: str, seconds: float) -> None:
        """The client's limiter held a call back this long."""

    def callback_published(self, event_type: str | None) -> None:
        """A verified callback is on the queue."""

    def callback_handled(self, event_type: str | None, action: str) -> None:
        """A handler's run settled: ``ack``, ``retry`` or ``dead``."""

    def bulk_rows(
        self, operation: str, written: int, failed: int, unknown: int, skipped: int
    ) -> None:
        """A bulk run ended: its rows by outcome."""


class OTelRecorder(Recorder):
    """Records through OpenTelemetry's API (the SDK, if installed, exports)."""

    enabled = True

    def __init__(self, tracer_provider: Any = None, meter_provider: Any = None) -> None:
        from opentelemetry import metrics, trace

        version = _version()

        self._trace = trace
        self._kind = trace.SpanKind.CLIENT
        self._error = trace.StatusCode.ERROR
        self.tracer = trace.get_tracer("lark_async", version, tracer_provider=tracer_provider)
        meter = metrics.get_meter("lark_async", version, meter_provider=meter_provider)
        self.duration = meter.create_histogram(
            "http.client.request.duration",
            unit="s",
            description="Duration of HTTP client requests (one per attempt).",
            explicit_bucket_boundaries_advisory=_DURATION_BUCKETS,
        )
        self.retries = meter.create_counter(
            "lark.retries", unit="{retry}", description="Calls sent again by the transport."
        )
        self.refreshes = meter.create_counter(
            "lark.token.refreshes", unit="{refresh}", description="App/tenant token fetches."
        )
        self.limiter_wait = meter.create_histogram(
            "lark.limiter.wait", unit="s", description="Time calls waited for the rate limiter."
        )
        self.published = meter.create_counter(
            "lark.callbacks.published", unit="{callback}", description="Callbacks queued."
        )
        self.handled = meter.create_counter(
            "lark.callbacks.handled", unit="{callback}", description="Handler runs settled."
        )
        self.rows = meter.create_counter(
            "lark.bulk.rows", unit="{row}", description="Rows of Bitable bulk runs, by outcome."
        )

    def call_started(
        self, method: str, path: str, app_id: str, host: str, port: int | None = None
    ) -> Any:
        template = url_template(path)
        attributes: dict[str, Any] = {
            "http.request.method": method,
            "url.template": template,
            "server.address": host,
        }
        if port is not None:  # required by the conventions: the emulator's is not 443
            attributes["server.port"] = port
        attributes["lark.app_id"] = app_id
        span = self.tracer.start_span(
            f"{method} {template}", kind=self._kind, attributes=attributes
        )
        return (span, attributes)

    def attempt(
        self, handle: Any, number: int, seconds: float, status: int | None, error: str | None
    ) -> None:
        span, base = handle
        attributes = {
            "http.request.method": base["http.request.method"],
            "url.template": base["url.template"],
            "server.address": base["server.address"],
        }
        if "server.port" in base:
            attributes["server.port"] = base["server.port"]
        if status is not None:
            attributes["http.response.status_code"] = status
        if error is not None:
            attributes["error.type"] = error
        self.duration.record(seconds, attributes)
        event: dict[str, Any] = {"lark.attempt": number}
        if status is not None:
            event["http.response.status_code"] = status
        if error is not None:
            event["error.type"] = error
        span.add_event("lark.attempt", event)

    def call_ended(
        self,
        handle: Any,
        attempts: int,
        status: int | None,
        code: int | None,
        log_id: str | None,
        error: str | None,
    ) -> None:
        span = handle[0]
        span.set_attribute("lark.attempt", attempts)
        if attempts > 1:
            span.set_attribute("http.request.resend_count", attempts - 1)
        if status is not None:
            span.set_attribute("http.response.status_code", status)
        if code is not None:
            span.set_attribute("lark.code", code)
        if log_id:
            span.set_attribute("lark.log_id", log_id)
        if error is not None:
            span.set_attribute("error.type", error)
            span.set_status(self._error, error)
        span.end()

    def retry(self, handle: Any, reason: str) -> None:
        base = handle[1]
        self.retries.add(
            1,
            {
                "lark.app_id": base["lark.app_id"],
                "http.request.method": base["http.request.method"],
                "url.template": base["url.template"],
                "error.type": reason,
            },
        )

    def token_refreshed(self, app_id: str, kind: str, reason: str) -> None:
        self.refreshes.add(1, {"lark.app_id": app_id, "lark.token.kind": kind, "reason": reason})

    def limiter_waited(self, app_id: str, family: str, seconds: float) -> None:
        self.limiter_wait.record(seconds, {"lark.app_id": app_id, "lark.family": family})

    def callback_published(self, event_type: str | None) -> None:
        self.published.add(1, {"lark.event_type": event_type or "unknown"})

    def callback_handled(self, event_type: str | None, action: str) -> None:
        self.handled.add(1, {"lark.event_type": event_type or "unknown", "outcome": action})

    def bulk_rows(
        self, operation: str, written: int, failed: int, unknown: int, skipped: int
    ) -> None:
        for outcome, rows in (
            ("written", written),
            ("failed", failed),
            ("unknown", unknown),
            ("skipped", skipped),
        ):
            if rows:
                self.rows.add(rows, {"lark.bulk.operation": operation, "outcome": outcome})


def _version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("lark-async")
    except PackageNotFoundError:  # running from a checkout
        return ""


def _resolve() -> Recorder:
    if os.environ.get("LARK_ASYNC_TELEMETRY", "").lower() in ("0", "off", "false", "no"):
        return Recorder()
    try:
        return OTelRecorder()
    except ImportError:  # the [otel] extra is not installed
        return Recorder()


recorder: Recorder = _resolve()


def install(recorder_or_none: Recorder | None = None, **providers: Any) -> Recorder:
    """Use ``recorder_or_none``, or an :class:`OTelRecorder` on ``tracer_provider=`` /
    ``meter_provider=``; returns the one it replaced. Call before building clients."""
    global recorder
    if recorder_or_none is None:
        from lark_async.core.extras import require

        require("opentelemetry", extra="otel", feature="spans and metrics (telemetry.install)")
    previous = recorder
    recorder = recorder_or_none if recorder_or_none is not None else OTelRecorder(**providers)
    return previous


async def counted_handle(handling: Awaitable[D]) -> D:
    """Await a callback handler's run (a ``Decision``) and count how it settled."""
    decision = await handling
    event = getattr(getattr(decision, "envelope", None), "event", None)
    recorder.callback_handled(getattr(event, "event_type", None), decision.action)
    return decision


def now() -> float:
    """Wall-clock seconds for durations (the injectable clock may be fake in tests)."""
    return time.perf_counter()
