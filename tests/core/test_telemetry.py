"""OpenTelemetry spans and metrics: read back with the SDK's in-memory exporter and reader."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from lark_async.core import telemetry
from lark_async.core.clock import FakeClock
from lark_async.core.ratelimit import ClientRateLimiter
from tests.helpers import APP_ID, APP_SECRET, client_for, emulator

ECHO = "/open-apis/emulator/v1/echo"
ROOT = Path(__file__).resolve().parents[2]


@dataclass
class Otel:
    spans: InMemorySpanExporter
    reader: InMemoryMetricReader

    def finished(self) -> list[ReadableSpan]:
        return list(self.spans.get_finished_spans())

    def points(self, name: str) -> list[Any]:
        data = self.reader.get_metrics_data()
        found: list[Any] = []
        for resource in data.resource_metrics if data else []:
            for scope in resource.scope_metrics:
                for metric in scope.metrics:
                    if metric.name == name:
                        found.extend(metric.data.data_points)
        return found

    def total(self, name: str, **attrs: Any) -> float:
        return sum(
            p.value
            for p in self.points(name)
            if all(p.attributes.get(k) == v for k, v in attrs.items())
        )


@pytest.fixture
def otel() -> Iterator[Otel]:
    spans = InMemorySpanExporter()
    tracer_provider = TracerProvider()
    tracer_provider.add_span_processor(SimpleSpanProcessor(spans))
    reader = InMemoryMetricReader()
    previous = telemetry.install(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader])
    )
    yield Otel(spans, reader)
    telemetry.install(previous)


def test_url_templates_keep_words_and_hide_ids() -> None:
    assert telemetry.url_template(
        "/open-apis/im/v1/messages/om_dc13264520392913993dd051dba21dcf/reply"
    ) == ("/open-apis/im/v1/messages/{id}/reply")
    assert (
        telemetry.url_template(
            "/open-apis/bitable/v1/apps/bascnAbC/tables/tblXyZ123/records/batch_create"
        )
        == "/open-apis/bitable/v1/apps/{id}/tables/{id}/records/batch_create"
    )
    assert telemetry.url_template("/open-apis/auth/v3/tenant_access_token/internal") == (
        "/open-apis/auth/v3/tenant_access_token/internal"
    )
    assert telemetry.url_template("/elsewhere/x") == "{other}"


async def test_a_retried_call_is_one_span_with_an_event_per_attempt(otel: Otel) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake:
        fake.faults.fail(f"GET {ECHO}", status=500, code=1500)
        async with client_for(fake, clock) as lark:
            resp = await lark.request("GET", ECHO)
            assert resp.ok and resp.attempts == 2
            token_values = [t.value for t in fake.apps.tokens(APP_ID)]

    spans = {s.name: s for s in otel.finished()}
    call = spans[f"GET {ECHO}"]
    attrs = dict(call.attributes or {})
    assert attrs["http.request.method"] == "GET"
    assert attrs["url.template"] == ECHO
    assert attrs["server.address"] == "127.0.0.1"
    assert attrs["http.response.status_code"] == 200
    assert attrs["lark.app_id"] == APP_ID
    assert attrs["lark.attempt"] == 2 and attrs["http.request.resend_count"] == 1
    assert attrs["lark.code"] == 0 and attrs["lark.log_id"] == resp.log_id
    events = [(e.name, dict(e.attributes or {})) for e in call.events]
    assert events == [
        (
            "lark.attempt",
            {"lark.attempt": 1, "http.response.status_code": 500, "error.type": "Server"},
        ),
        ("lark.attempt", {"lark.attempt": 2, "http.response.status_code": 200}),
    ]
    assert "POST /open-apis/auth/v3/tenant_access_token/internal" in spans

    assert otel.total("lark.retries", **{"error.type": "Server"}) == 1
    assert otel.total("lark.token.refreshes", **{"lark.app_id": APP_ID}) == 1
    durations = [p for p in otel.points("http.client.request.duration")]
    assert sum(p.count for p in durations) == 3  # token fetch + two attempts
    assert {p.attributes.get("http.response.status_code") for p in durations} == {200, 500}

    # nothing secret anywhere: no token, no app secret, no query or header
    seen = json.dumps(
        [dict(s.attributes or {}) for s in otel.finished()]
        + [dict(e.attributes or {}) for s in otel.finished() for e in s.events]
        + [
            dict(p.attributes)
            for name in ("lark.retries", "lark.token.refreshes", "http.client.request.duration")
            for p in otel.points(name)
        ],
        default=str,
    )
    assert token_values and not any(t in seen for t in token_values)
    assert APP_SECRET not in seen and "Bearer" not in seen


async def test_a_failed_call_has_its_code_and_error_type(otel: Otel) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake:
        fake.faults.fail(f"GET {ECHO}", status=400, code=99991672, msg="no permission")
        async with client_for(fake, clock) as lark:
            resp = await lark.request("GET", ECHO)
    assert not resp.ok
    call = next(s for s in otel.finished() if s.name == f"GET {ECHO}")
    attrs = dict(call.attributes or {})
    assert attrs["lark.code"] == 99991672 and attrs["http.response.status_code"] == 400
    assert attrs["error.type"] == resp.error.kind.value  # type: ignore[union-attr]
    assert call.status.status_code.name == "ERROR"


async def test_limiter_waits_are_measured(otel: Otel) -> None:
    clock = FakeClock()
    limiter = ClientRateLimiter({"default": (2, 1.0)}, clock=clock)
    for _ in range(4):
        await limiter.acquire(APP_ID, "default")
    points = otel.points("lark.limiter.wait")
    assert sum(p.count for p in points) >= 2 and sum(p.sum for p in points) > 0
    assert {p.attributes["lark.family"] for p in points} == {"default"}


async def test_bulk_rows_are_counted_by_outcome(otel: Otel) -> None:
    from lark_async.testing.bitable import BitableEmulator

    clock = FakeClock()
    async with emulator(clock) as fake:
        bt = BitableEmulator.of(fake)
        app = bt.create_app()
        table = bt.create_table(app, fields=[{"field_name": "Name", "type": 1}])
        async with client_for(fake, clock) as lark:
            report = await lark.bitable.bulk_create(
                app, table, [{"Name": "a"}, {"Name": "b"}, {"Nope": "c"}]
            )
    assert report.written == 2 and report.failed_count == 1
    assert otel.total("lark.bulk.rows", outcome="written", **{"lark.bulk.operation": "create"}) == 2
    assert otel.total("lark.bulk.rows", outcome="failed") == 1


async def test_callbacks_published_and_handled(otel: Otel) -> None:
    @dataclass
    class Event:
        event_type: str

    @dataclass
    class Envelope:
        event: Event

    @dataclass
    class Decision:
        action: str
        envelope: Envelope

    async def handle() -> Decision:
        return Decision("ack", Envelope(Event("card.action.trigger")))

    decision = await telemetry.counted_handle(handle())
    assert decision.action == "ack"
    telemetry.recorder.callback_published("card.action.trigger")
    assert otel.total("lark.callbacks.handled", outcome="ack") == 1
    assert otel.total("lark.callbacks.published", **{"lark.event_type": "card.action.trigger"}) == 1


def test_without_opentelemetry_the_client_works_and_records_nothing(tmp_path: Path) -> None:
    script = textwrap.dedent(
        f"""
        import asyncio, sys
        for name in ("opentelemetry", "opentelemetry.trace", "opentelemetry.metrics"):
            sys.modules[name] = None  # as if the [otel] extra were not installed

        from lark_async import LarkClient
        from lark_async.core import telemetry
        from lark_async.testing import FakeLark

        assert type(telemetry.recorder) is telemetry.Recorder, telemetry.recorder
        assert not telemetry.recorder.enabled

        async def main():
            async with FakeLark() as fake:
                fake.add_app({APP_ID!r}, {APP_SECRET!r})
                async with LarkClient({APP_ID!r}, {APP_SECRET!r}, domain=fake.url) as lark:
                    resp = await lark.request("GET", {ECHO!r})
                    assert resp.ok, resp
            assert not any(m.startswith("opentelemetry") and sys.modules[m] is not None
                           for m in sys.modules)
            print("ok")

        asyncio.run(main())
        """
    )
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    out = subprocess.run(
        [sys.executable, "-c", script],
        check=False,
        env=env,
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "ok"


def test_the_noop_recorder_takes_every_hook() -> None:
    rec = telemetry.Recorder()
    handle = rec.call_started("GET", ECHO, APP_ID, "h")
    rec.attempt(handle, 1, 0.1, 200, None)
    rec.retry(handle, "ServerError")
    rec.call_ended(handle, 1, 200, 0, None, None)
    rec.token_refreshed(APP_ID, "tenant_access_token", "missing")
    rec.limiter_waited(APP_ID, "default", 0.5)
    rec.callback_published(None)
    rec.callback_handled(None, "ack")
    rec.bulk_rows("create", 1, 0, 0, 0)
    assert handle is None and not rec.enabled
    assert asyncio.iscoroutinefunction(telemetry.counted_handle)


async def test_a_worker_counts_each_handled_callback(otel: Otel) -> None:
    from lark_async.callbacks import CallbackRouter, Dispatcher
    from lark_async.callbacks.queue import Envelope, MemoryBroker
    from lark_async.callbacks.worker import Worker
    from tests.callbacks.test_dispatch import world

    async with world() as w:
        message_id = await w.send_card()
        router = CallbackRouter()
        seen: list[str] = []

        @router.card_action("approve")
        async def approve(event: Any) -> None:
            seen.append(event.event_id)

        broker = MemoryBroker(clock=w.clock)
        async with Worker(broker, Dispatcher(router, lark=w.lark, clock=w.clock)):
            await broker.publish(Envelope(w.event(message_id)), timeout=1)
            await broker.publish(Envelope(w.event(message_id)), timeout=1)  # a duplicate
            await broker.drain()
    assert len(seen) == 1
    handled = otel.total(
        "lark.callbacks.handled", outcome="ack", **{"lark.event_type": "card.action.trigger"}
    )
    assert handled == 2  # the run, and the duplicate acked without running


async def test_spans_and_durations_carry_server_port_as_the_conventions_require(
    otel: Otel,
) -> None:
    clock = FakeClock()
    async with emulator(clock) as fake:
        port = int(fake.url.rsplit(":", 1)[1])
        async with client_for(fake, clock) as lark:
            assert (await lark.request("GET", ECHO)).ok
    call = next(s for s in otel.finished() if s.name == f"GET {ECHO}")
    assert (call.attributes or {})["server.port"] == port
    durations = list(otel.points("http.client.request.duration"))
    assert durations and {p.attributes.get("server.port") for p in durations} == {port}
