"""Library logging: quiet by default, cheap when off, redacted in every format."""

from __future__ import annotations

import io
import json
import logging
import re
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from lark_async import LarkClient
from lark_async.core.logfmt import LarkStreamHandler, iso_utc
from lark_async.core.logging import (
    LOGGER_NAME,
    REDACTED,
    add_lark_fields,
    configure_logging,
    get_logger,
    log_enabled,
)
from tests.helpers import APP_ID, APP_SECRET, client_for, emulator

ROOT = Path(__file__).resolve().parents[2]
ECHO = "/open-apis/emulator/v1/echo"
TOKEN = "t-" + "Q7x" * 12
USER_TOKEN = "u-" + "Zk3q" * 10
SECRET = "s3cr3t-app-secret-never-logged"
ISO_MS = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")


def run_script(code: str) -> subprocess.CompletedProcess[str]:
    """A fresh interpreter with no logging set up (the suite's conftest is not involved)."""
    return subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"},
        check=False,
    )


def our_handlers(logger: logging.Logger) -> list[logging.Handler]:
    return [h for h in logger.handlers if isinstance(h, LarkStreamHandler)]


@pytest.fixture
def lark_logger() -> Iterator[logging.Logger]:
    """The lark_async logger, put back as the suite's conftest left it afterwards."""
    logger = logging.getLogger(LOGGER_NAME)
    saved = (our_handlers(logger), logger.level, logger.propagate)
    yield logger
    # Only our handler is swapped (pytest's capture handlers come and go by themselves).
    for handler in our_handlers(logger):
        logger.removeHandler(handler)
    for handler in saved[0]:
        logger.addHandler(handler)
    logger.setLevel(saved[1])
    logger.propagate = saved[2]


class AppHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The application's side: a plain handler that also keeps the records it saw."""

    def __init__(self) -> None:
        super().__init__(io.StringIO())
        self.setFormatter(logging.Formatter("%(levelname)s %(name)s %(message)s"))
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        super().emit(record)

    @property
    def text(self) -> str:
        return self.stream.getvalue()  # type: ignore[no-any-return]


@pytest.fixture
def app_handler() -> Iterator[AppHandler]:
    """An AppHandler on the root logger, as an application would set up."""
    handler = AppHandler()
    root = logging.getLogger()
    root.addHandler(handler)
    yield handler
    root.removeHandler(handler)


# --- quiet unless the application configures logging --------------------------
def test_a_call_writes_nothing_when_logging_is_not_configured() -> None:
    result = run_script(
        """
        import asyncio, logging, sys
        from lark_async import LarkClient
        from lark_async.testing import FakeLark

        async def main():
            async with FakeLark() as fake:
                fake.add_app("cli_a1b2c3d4e5f6", "my-app-secret")
                async with LarkClient(app_id="cli_a1b2c3d4e5f6", app_secret="my-app-secret",
                                      domain=fake.url) as lark:
                    assert (await lark.request("GET", "/open-apis/emulator/v1/echo")).ok
                    # A failure is logged at WARNING: still nothing without a handler.
                    fake.faults.fail("GET /open-apis/emulator/v1/echo", times=1, status=404,
                                     code=1254045, msg="not found")
                    assert not (await lark.request("GET", "/open-apis/emulator/v1/echo")).ok

        asyncio.run(main())
        lark = logging.getLogger("lark_async")
        assert [type(h).__name__ for h in lark.handlers] == ["NullHandler"], lark.handlers
        assert lark.level == logging.NOTSET and not logging.getLogger().handlers
        assert "structlog" not in sys.modules
        print("done")
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "done"
    assert result.stderr == ""


def test_lark_lines_reach_the_applications_root_handler_by_default() -> None:
    result = run_script(
        """
        import asyncio, logging
        from lark_async import LarkClient
        from lark_async.testing import FakeLark

        logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s %(message)s")

        async def main():
            async with FakeLark() as fake:
                fake.add_app("cli_a1b2c3d4e5f6", "my-app-secret")
                async with LarkClient(app_id="cli_a1b2c3d4e5f6", app_secret="my-app-secret",
                                      domain=fake.url) as lark:
                    await lark.request("GET", "/open-apis/emulator/v1/echo")

        asyncio.run(main())
        """
    )
    assert result.returncode == 0, result.stderr
    last = result.stderr.splitlines()[-1]
    assert last.startswith("INFO lark_async lark.request request_id="), last
    assert f"path={ECHO}" in last and "status=200" in last


async def test_constructing_a_client_leaves_logging_alone(
    lark_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    root = logging.getLogger()

    def snapshot() -> tuple[Any, ...]:
        return (
            list(root.handlers),
            root.level,
            list(lark_logger.handlers),
            lark_logger.level,
            lark_logger.propagate,
        )

    before = snapshot()
    async with emulator() as fake:
        async with client_for(fake) as lark:
            assert (await lark.request("GET", ECHO)).ok
        for name in ("LARK_ASYNC_LOG_LEVEL", "LARK_ASYNC_LOG_FORMAT"):
            monkeypatch.delenv(name, raising=False)
        monkeypatch.setenv("LARK_ASYNC_APP_ID", APP_ID)
        monkeypatch.setenv("LARK_ASYNC_APP_SECRET", APP_SECRET)
        monkeypatch.setenv("LARK_ASYNC_DOMAIN", fake.url)
        async with LarkClient.from_env() as lark:
            assert (await lark.request("GET", ECHO)).ok
    assert snapshot() == before


# --- nothing is built when the level is off ------------------------------------
class Unprintable:
    renders = 0

    def __str__(self) -> str:
        Unprintable.renders += 1
        raise RuntimeError("must not be rendered")

    __repr__ = __str__


def test_nothing_is_built_when_the_level_is_off(lark_logger: logging.Logger) -> None:
    configure_logging("WARNING", "json", stream=io.StringIO())
    records: list[logging.LogRecord] = []
    factory = logging.getLogRecordFactory()

    def counting(*args: Any, **kwargs: Any) -> logging.LogRecord:
        record = factory(*args, **kwargs)
        records.append(record)
        return record

    logging.setLogRecordFactory(counting)
    try:
        log = get_logger()
        Unprintable.renders = 0
        log.info("lark.test", thing=Unprintable())
        log.debug("lark.test %s", Unprintable())
        assert Unprintable.renders == 0 and records == []

        # The caller's guard: the fields dict itself is not built.
        built = []

        def fields() -> dict[str, Any]:
            built.append(1)
            return {"n": 1}

        if log.is_enabled(logging.INFO):
            log.info("lark.test", **fields())
        assert built == [] and not log.isEnabledFor(logging.INFO)
        assert not log_enabled(logging.INFO) and log_enabled(logging.WARNING)

        log.warning("lark.test", thing=Unprintable())  # on: rendered once, safely
        assert len(records) == 1 and Unprintable.renders == 1
        assert records[0].lark == {"thing": "<unprintable Unprintable>"}  # type: ignore[attr-defined]
    finally:
        logging.setLogRecordFactory(factory)


def test_the_applications_level_on_the_logger_decides(lark_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    lark_logger.setLevel(logging.ERROR)  # the application turned it down
    get_logger().warning("lark.test")
    assert out.getvalue() == ""
    logging.disable(logging.CRITICAL)
    try:
        get_logger().error("lark.test")
    finally:
        logging.disable(logging.NOTSET)
    assert out.getvalue() == ""


# --- configure_logging ---------------------------------------------------------
def test_configure_logging_twice_leaves_one_handler(lark_logger: logging.Logger) -> None:
    root = logging.getLogger()
    root_before = (list(root.handlers), root.level)
    first, second = io.StringIO(), io.StringIO()
    configure_logging("INFO", "json", stream=first)
    configure_logging("DEBUG", "console", stream=second)
    assert len(our_handlers(lark_logger)) == 1
    assert any(isinstance(h, logging.NullHandler) for h in lark_logger.handlers)
    assert lark_logger.level == logging.DEBUG and not lark_logger.propagate
    get_logger().info("lark.test", n=1)
    assert first.getvalue() == "" and "lark.test n=1" in second.getvalue()

    configure_logging("INFO", "stdlib")
    assert our_handlers(lark_logger) == [] and lark_logger.propagate
    assert lark_logger.level == logging.INFO
    assert (list(root.handlers), root.level) == root_before


def test_stdlib_format_hands_records_to_the_application(
    lark_logger: logging.Logger, app_handler: AppHandler
) -> None:
    configure_logging("INFO", "stdlib")
    get_logger().info("lark.test", request_id="abc", n=3, note="two words")
    assert app_handler.text == "INFO lark_async lark.test request_id=abc n=3 note='two words'\n"


def test_one_write_per_line(lark_logger: logging.Logger) -> None:
    class Counting(io.StringIO):
        writes = 0

        def write(self, text: str) -> int:
            Counting.writes += 1
            return super().write(text)

    out = Counting()
    configure_logging("INFO", "json", stream=out)
    for i in range(3):
        get_logger().info("lark.test", i=i)
    assert Counting.writes == 3 and len(out.getvalue().splitlines()) == 3


def test_default_stream_is_stderr_at_the_time_of_the_line(
    lark_logger: logging.Logger, monkeypatch: pytest.MonkeyPatch
) -> None:
    configure_logging("INFO", "console")
    swapped = io.StringIO()
    monkeypatch.setattr(sys, "stderr", swapped)
    get_logger().info("lark.test", n=1)
    assert "lark.test n=1" in swapped.getvalue()


def test_bad_settings_raise_value_error() -> None:
    with pytest.raises(ValueError, match="log level"):
        configure_logging("LOUD")
    with pytest.raises(ValueError, match="log format"):
        configure_logging("INFO", "xml")  # type: ignore[arg-type]


# --- JSON and console output -----------------------------------------------------
def test_json_lines_have_iso_8601_utc_timestamps(lark_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    get_logger().info("lark.test", request_id="abc", latency_ms=1.5, log_id=None)
    line = json.loads(out.getvalue())
    assert list(line)[:3] == ["ts", "level", "event"]
    assert line == {
        "ts": line["ts"],
        "level": "info",
        "event": "lark.test",
        "request_id": "abc",
        "latency_ms": 1.5,
        "log_id": None,
    }
    assert ISO_MS.match(line["ts"]), line["ts"]
    when = datetime.fromisoformat(line["ts"])
    assert when.utcoffset() == timedelta(0)
    assert abs(datetime.now(UTC) - when) < timedelta(minutes=1)


def test_iso_utc_formatting() -> None:
    assert iso_utc(0.0) == "1970-01-01T00:00:00.000Z"
    assert iso_utc(1714566896.789) == "2024-05-01T12:34:56.789Z"
    assert iso_utc(1714566896.001) == "2024-05-01T12:34:56.001Z"  # same second, cached prefix


def test_console_lines(lark_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", "console", stream=out)
    get_logger().warning("lark.test", request_id="abc", error="two words", log_id=None)
    line = out.getvalue().rstrip("\n")
    ts, level, rest = line.split(maxsplit=2)
    assert ISO_MS.match(ts) and level == "warning"
    assert rest == "lark.test request_id=abc error='two words'"


def test_child_loggers_and_plain_records_share_the_handler(lark_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", "json", stream=out)
    get_logger("bitable").info("lark.test", n=1)
    logging.getLogger("lark_async.testing").warning("served %s with %s", ECHO, TOKEN)
    first, second = (json.loads(x) for x in out.getvalue().splitlines())
    assert first["logger"] == "lark_async.bitable" and first["event"] == "lark.test"
    assert second["logger"] == "lark_async.testing"
    assert second["event"] == f"served {ECHO} with {REDACTED}"
    assert get_logger("lark_async.x").logger.name == "lark_async.x"
    assert get_logger() is get_logger(LOGGER_NAME)


# --- redaction, in every format ------------------------------------------------------
def log_every_kind_of_secret() -> None:
    log = get_logger()
    log.info(
        "lark.test",
        request_id="abc",
        app_secret=SECRET,
        token=TOKEN,
        params={"user_access_token": USER_TOKEN, "note": f"forwarded Bearer {USER_TOKEN}"},
        error=f"rejected {TOKEN}",
        items=[{"refresh_token": "r-anything"}, TOKEN],
    )
    log.warning("token %s was rejected", TOKEN)
    try:
        raise RuntimeError(f"boom with {USER_TOKEN}")
    except RuntimeError:
        log.exception("lark.test.failed", request_id="abc")


def assert_redacted(text: str) -> None:
    assert text.strip()
    for secret in (SECRET, TOKEN, USER_TOKEN, "r-anything", "Q7xQ7x", "Zk3qZk3q"):
        assert secret not in text, f"{secret} leaked: {text}"
    assert REDACTED in text


@pytest.mark.parametrize("fmt", ["json", "console"])
def test_our_formats_redact(fmt: str, lark_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("DEBUG", fmt, stream=out)  # type: ignore[arg-type]
    log_every_kind_of_secret()
    assert_redacted(out.getvalue())
    if fmt == "json":
        lines = [json.loads(x) for x in out.getvalue().splitlines()]
        assert lines[0]["app_secret"] == REDACTED and lines[0]["token"] == REDACTED
        assert lines[0]["params"] == {"user_access_token": REDACTED, "note": "forwarded ***"}
        assert lines[1]["event"] == f"token {REDACTED} was rejected"
        assert (
            lines[2]["level"] == "error" and "RuntimeError: boom with ***" in lines[2]["exception"]
        )


def test_stdlib_records_are_redacted_before_the_application_sees_them(
    lark_logger: logging.Logger, app_handler: AppHandler
) -> None:
    configure_logging("DEBUG", "stdlib")
    log_every_kind_of_secret()
    assert_redacted(app_handler.text)
    assert "RuntimeError: boom with ***" in app_handler.text  # the traceback, scanned
    records = app_handler.records
    assert len(records) == 3
    # What a handler could reach on the record: scanned fields and text, no live exception.
    for record in records:
        assert_redacted(repr(record.__dict__) + record.getMessage() + (record.exc_text or ""))
        assert record.exc_info is None
    assert records[0].msg == "lark.test %s"  # constant per event (groups in error trackers)
    assert records[0].lark_event == "lark.test"  # type: ignore[attr-defined]


# --- structlog on the application's side ------------------------------------------------
def test_structlog_processor_formatter_renders_our_fields(
    lark_logger: logging.Logger,
) -> None:
    structlog = pytest.importorskip("structlog")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.add_log_level, add_lark_fields],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )
    )
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        configure_logging("INFO", "stdlib")
        get_logger().info("lark.request", request_id="abc", status=200, token=TOKEN)
        try:
            raise ValueError(f"bad {TOKEN}")
        except ValueError:
            get_logger().exception("lark.test.failed")
    finally:
        root.removeHandler(handler)
    first, second = (json.loads(x) for x in out.getvalue().splitlines())
    assert first == {
        "event": "lark.request",
        "level": "info",
        "request_id": "abc",
        "status": 200,
        "token": REDACTED,
    }
    assert second["event"] == "lark.test.failed" and second["level"] == "error"
    assert "ValueError: bad ***" in second["exception"]
    assert TOKEN not in out.getvalue()


def test_structlog_extra_adder_sees_the_fields(lark_logger: logging.Logger) -> None:
    structlog = pytest.importorskip("structlog")
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(
        structlog.stdlib.ProcessorFormatter(
            foreign_pre_chain=[structlog.stdlib.ExtraAdder(allow=["lark", "lark_event"])],
            processors=[
                structlog.stdlib.ProcessorFormatter.remove_processors_meta,
                structlog.processors.JSONRenderer(sort_keys=True),
            ],
        )
    )
    lark_logger.addHandler(handler)
    try:
        configure_logging("INFO", "stdlib")
        get_logger().info("lark.request", request_id="abc")
    finally:
        lark_logger.removeHandler(handler)
    line = json.loads(out.getvalue())
    assert line["lark"] == {"request_id": "abc"} and line["lark_event"] == "lark.request"


def test_add_lark_fields_passes_other_records_through() -> None:
    record = logging.LogRecord("app", logging.INFO, "x.py", 1, "hello", (), None)
    event_dict = {"event": "hello", "_record": record}
    assert add_lark_fields(None, "info", event_dict) == {"event": "hello", "_record": record}


# --- import cost ---------------------------------------------------------------------
def test_importing_the_logging_module_is_light() -> None:
    result = run_script(
        """
        import sys
        import lark_async.core.logging
        heavy = [m for m in ("structlog", "rich", "orjson", "json", "lark_async.core.logfmt")
                 if m in sys.modules]
        print(",".join(heavy))
        """
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""


# --- the CLI is an application: it shows the lines ------------------------------------------
def test_the_cli_turns_logging_on_from_the_environment() -> None:
    code = """
        import logging
        from lark_async.cli.main import app
        app(["keygen"], standalone_mode=False)
        lark = logging.getLogger("lark_async")
        print(logging.getLevelName(lark.level), [type(h).__name__ for h in lark.handlers])
        """
    result = run_script(code)
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "INFO ['NullHandler', 'LarkStreamHandler']"

    bad = subprocess.run(
        [sys.executable, "-c", "from lark_async.cli.main import main; main()", "keygen"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=ROOT,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin", "LARK_ASYNC_LOG_FORMAT": "xml"},
        check=False,
    )
    assert bad.returncode == 2 and "log format" in bad.stderr and bad.stdout == ""


def test_the_cli_keeps_a_logging_setup_it_finds(lark_logger: logging.Logger) -> None:
    from typer.testing import CliRunner

    from lark_async.cli.main import app

    out = io.StringIO()
    configure_logging("WARNING", "json", stream=out)
    handlers = list(lark_logger.handlers)
    assert CliRunner().invoke(app, ["keygen"]).exit_code == 0
    assert lark_logger.handlers == handlers and lark_logger.level == logging.WARNING


# --- the direct path: our handler alone skips the LogRecord, same lines -----------------------
def test_direct_and_record_paths_write_the_same_lines(lark_logger: logging.Logger) -> None:
    def lines_from(direct: bool) -> list[dict[str, Any]]:
        out = io.StringIO()
        configure_logging("DEBUG", "json", stream=out)
        others = [
            h
            for h in lark_logger.handlers
            if not isinstance(h, (logging.NullHandler, LarkStreamHandler))
        ]
        for h in others:  # pytest's capture handlers: they would force the record path
            lark_logger.removeHandler(h)
        extra = logging.NullHandler()
        if not direct:
            lark_logger.addHandler(extra)  # a second consumer: records are built
        built: list[logging.LogRecord] = []
        factory = logging.getLogRecordFactory()

        def counting(*args: Any, **kwargs: Any) -> logging.LogRecord:
            built.append(factory(*args, **kwargs))
            return built[-1]

        logging.setLogRecordFactory(counting)
        try:
            log_every_kind_of_secret()
        finally:
            logging.setLogRecordFactory(factory)
            lark_logger.removeHandler(extra)
            for h in others:
                lark_logger.addHandler(h)
        assert (built == []) is direct
        return [
            {k: v for k, v in json.loads(x).items() if k != "ts"}
            for x in out.getvalue().splitlines()
        ]

    direct, via_records = lines_from(True), lines_from(False)
    assert len(direct) == 3 and direct == via_records
    assert_redacted(json.dumps(direct))


def test_direct_path_respects_filters_and_levels(lark_logger: logging.Logger) -> None:
    out = io.StringIO()
    configure_logging("INFO", "json", stream=out)
    ours = our_handlers(lark_logger)[0]
    ours.addFilter(lambda record: "drop" not in record.getMessage())
    get_logger().info("lark.keep")
    get_logger().info("lark.drop")
    ours.filters.clear()
    ours.setLevel(logging.ERROR)
    get_logger().warning("lark.below")
    assert [json.loads(x)["event"] for x in out.getvalue().splitlines()] == ["lark.keep"]
