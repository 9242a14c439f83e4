"""``lark-async serve`` and ``lark-async worker``: argument errors, and real processes."""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import sys
import textwrap
import uuid
from pathlib import Path

import aio_pika
import pytest
from typer.testing import CliRunner

from lark_async.callbacks import CallbackEvent, CallbackRouter, Envelope, RabbitBroker
from lark_async.cli.main import app
from lark_async.cli.serve import load_handlers, static_keys_from_env
from lark_async.core.errors import ConfigError
from lark_async.testing.callbacks import CallbackSender

from .conftest import APP, EK, OPEN_ID, VT

HANDLERS = textwrap.dedent(
    """
    from pathlib import Path
    from lark_async.callbacks import CallbackRouter, Toast

    router = CallbackRouter()
    OUT = Path(__file__).with_name("handled.txt")

    @router.card_action("approve")
    async def approve(event):
        with OUT.open("a") as f:
            f.write(event.event_id + "\\n")

    @router.card_action("ping", sync=True, budget=1.0)
    async def ping(event):
        return Toast("pong")

    @router.event("im.message.receive_v1")
    async def message(event):
        with OUT.open("a") as f:
            f.write(event.event_id + "\\n")

    not_a_router = 42
    """
)


@pytest.fixture
def project(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    module = f"cb_handlers_{uuid.uuid4().hex[:8]}"
    (tmp_path / f"{module}.py").write_text(HANDLERS)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("CB_MODULE", module)
    return tmp_path


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def test_load_handlers(project: Path) -> None:
    module = os.environ["CB_MODULE"]
    router = load_handlers(f"{module}:router")
    assert isinstance(router, CallbackRouter) and len(router) == 3
    for bad, message in (
        ("no-colon", "module:attribute"),
        ("surely_missing_module_xyz:router", "cannot import"),
        (f"{module}:not_a_router", "not a Callbacks"),
    ):
        with pytest.raises(ConfigError, match=message):
            load_handlers(bad)


def test_keys_from_the_environment() -> None:
    assert static_keys_from_env({}) is None
    with pytest.raises(ConfigError, match="LARK_ASYNC_APP_ID"):
        static_keys_from_env({"LARK_ASYNC_ENCRYPT_KEY": EK})
    keys = static_keys_from_env({"LARK_ASYNC_APP_ID": APP, "LARK_ASYNC_VERIFICATION_TOKEN": VT})
    assert keys is not None and APP in repr(keys)


def test_argument_errors_are_one_line(project: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("LARK_ASYNC_AMQP_URL", raising=False)
    runner = CliRunner()
    result = runner.invoke(app, ["serve"])
    assert result.exit_code == 2 and "needs --handlers" in result.output
    result = runner.invoke(app, ["worker", "--handlers", "nope", "--amqp", "amqp://127.0.0.1:1/"])
    assert result.exit_code == 2 and "module:attribute" in result.output
    module = os.environ["CB_MODULE"]
    result = runner.invoke(
        app,
        ["worker", "--handlers", f"{module}:router", "--amqp", "x", "--retry-delays", "a,b"],
    )
    assert result.exit_code == 2 and "retry-delays" in result.output
    monkeypatch.setenv("LARK_ASYNC_REGISTRY_PATH", str(project / "missing.sqlite3"))
    monkeypatch.delenv("LARK_ASYNC_ENCRYPT_KEY", raising=False)
    monkeypatch.delenv("LARK_ASYNC_VERIFICATION_TOKEN", raising=False)
    result = runner.invoke(app, ["serve", "--handlers", f"{module}:router"])
    assert result.exit_code == 2 and "no callback keys" in result.output
    result = runner.invoke(
        app, ["serve", "--handlers", f"{module}:router", "--max-connections", "0"]
    )
    assert result.exit_code == 2 and "max_connections" in result.output


async def _spawn(args: list[str], project: Path, **env: str) -> asyncio.subprocess.Process:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("LARK_ASYNC_")}
    environment.update(env)
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "lark_async.cli.main",
        *args,
        cwd=str(project),
        env=environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _stop(proc: asyncio.subprocess.Process) -> tuple[int, str]:
    proc.send_signal(signal.SIGTERM)
    _, err = await asyncio.wait_for(proc.communicate(), 20)
    return proc.returncode or 0, err.decode()


async def _wait_for_line(path: Path, lines: int, timeout: float = 20) -> list[str]:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while loop.time() < deadline:
        if path.exists() and len(found := path.read_text().split()) >= lines:
            return found
        await asyncio.sleep(0.05)
    raise AssertionError(f"{path} did not get {lines} lines")


async def test_serve_process_embedded(project: Path) -> None:
    port = free_port()
    proc = await _spawn(
        ["serve", "--port", str(port), "--handlers", f"{os.environ['CB_MODULE']}:router"],
        project,
        LARK_ASYNC_APP_ID=APP,
        LARK_ASYNC_ENCRYPT_KEY=EK,
        LARK_ASYNC_VERIFICATION_TOKEN=VT,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert f"listening on http://127.0.0.1:{port}/lark/" in line.decode()
        base = f"http://127.0.0.1:{port}/lark"
        async with CallbackSender(
            APP,
            encrypt_key=EK,
            verification_token=VT,
            cards_url=f"{base}/cards",  # the single-app route
            events_url=f"{base}/{APP}/events",
        ) as sender:
            check = await sender.url_verification(challenge="hello")
            assert check.body == {"challenge": "hello"}
            pong = await sender.card_action(open_id=OPEN_ID, value={"action": "ping"})
            assert pong.body == {"toast": {"type": "info", "content": "pong"}}
            click = await sender.card_action(open_id=OPEN_ID, value={"action": "approve"})
            assert (click.status, click.body) == (200, {})
        handled = await _wait_for_line(project / "handled.txt", 1)
        assert len(handled) == 1
    finally:
        code, err = await _stop(proc)
    assert code == 0, err
    assert EK not in err and VT not in err


@pytest.mark.rabbitmq
async def test_worker_process_consumes_rabbitmq(project: Path, amqp_url: str) -> None:
    queue = f"lark.test.{uuid.uuid4().hex[:12]}"
    proc = await _spawn(
        [
            "worker",
            "--amqp",
            amqp_url,
            "--queue",
            queue,
            "--handlers",
            f"{os.environ['CB_MODULE']}:router",
        ],
        project,
    )
    broker = RabbitBroker(amqp_url, queue=queue)
    try:
        assert proc.stdout is not None
        first = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert b"no app credentials" in first  # said plainly, not a crash
        line = await asyncio.wait_for(proc.stdout.readline(), 20)
        assert b"consuming" in line
        await broker.start()
        event = CallbackEvent(
            event_id="ev-cli-1",
            app_id=APP,
            kind="event",
            event_type="im.message.receive_v1",
            received_at=0.0,
            verified_by="signature",
            payload={"event": {}},
        )
        await broker.publish(Envelope(event), timeout=5)
        assert await _wait_for_line(project / "handled.txt", 1) == ["ev-cli-1"]
    finally:
        code, err = await _stop(proc)
        await broker.close()
        connection = await aio_pika.connect(amqp_url)
        async with connection:
            channel = await connection.channel()
            for name in (queue, f"{queue}.dead"):
                await channel.queue_delete(name)
            await channel.exchange_delete(queue)
    assert code == 0, err


async def test_serve_long_connection_process(project: Path) -> None:
    from lark_async.testing import FakeLark
    from lark_async.testing.callbacks.longconn import LongConnectionEmulator

    async with FakeLark() as fake:
        fake.add_app(APP, "cli-long-connection-secret")
        ws = LongConnectionEmulator.of(fake)
        ws.configure(ReconnectNonce=0, ReconnectInterval=1)
        proc = await _spawn(
            ["serve", "--long-connection", "--handlers", f"{os.environ['CB_MODULE']}:router"],
            project,
            LARK_ASYNC_APP_ID=APP,
            LARK_ASYNC_APP_SECRET="cli-long-connection-secret",
            LARK_ASYNC_DOMAIN=fake.url,
        )
        try:
            assert proc.stdout is not None
            line = await asyncio.wait_for(proc.stdout.readline(), 30)
            assert f"long connection for {APP}" in line.decode()
            await ws.wait_connected(APP)
            pong = await ws.wait_answer(
                await ws.push_card({"action": "ping"}, app_id=APP), timeout=20
            )
            assert pong.body == {"toast": {"type": "info", "content": "pong"}}
            event = await ws.push_event("im.message.receive_v1", {"message": {}}, app_id=APP)
            assert (await ws.wait_answer(event, timeout=20)).code == 200
            handled = await _wait_for_line(project / "handled.txt", 1)
            assert len(handled) == 1
        finally:
            code, err = await _stop(proc)
    assert code == 0, err
    assert "cli-long-connection-secret" not in err


async def test_sigterm_while_the_long_connection_is_starting_stops_cleanly(
    project: Path,
) -> None:
    # Feishu's endpoint never answers: the process is still starting when told to stop.
    async def hold(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await reader.read()
        writer.close()

    silent = await asyncio.start_server(hold, "127.0.0.1", 0)
    port = silent.sockets[0].getsockname()[1]
    try:
        proc = await _spawn(
            ["serve", "--long-connection", "--handlers", f"{os.environ['CB_MODULE']}:router"],
            project,
            LARK_ASYNC_APP_ID=APP,
            LARK_ASYNC_APP_SECRET="cli-starting-secret",
            LARK_ASYNC_DOMAIN=f"http://127.0.0.1:{port}",
        )
        assert proc.stderr is not None
        async with asyncio.timeout(30):
            while b"worker_started" not in await proc.stderr.readline():
                pass
        proc.send_signal(signal.SIGTERM)
        _, err = await asyncio.wait_for(proc.communicate(), 20)
    finally:
        silent.close()
    # stopped through asyncio (clean-up ran), not killed by the signal
    assert proc.returncode != -signal.SIGTERM, err
    assert b"Traceback" not in err and b"cli-starting-secret" not in err


def test_serve_builds_its_card_client_with_the_root_registry(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`lark-async --registry PATH serve`: card updates use that registry (it was ignored)."""
    from lark_async import cli
    from lark_async.auth.crypto import SecretBox
    from lark_async.cli import serve

    for name in ("LARK_ASYNC_APP_ID", "LARK_ASYNC_APP_SECRET", "LARK_ASYNC_REGISTRY_PATH"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("LARK_ASYNC_SECRET_KEY", SecretBox.generate_key())
    monkeypatch.setattr(cli.current, "registry", None)  # an earlier CLI run may have set it
    assert serve._client() is None  # no credentials anywhere: no card client
    monkeypatch.setattr(cli.current, "registry", str(tmp_path / "apps.sqlite3"))
    client = serve._client()
    assert client is not None and str(client._registry_arg) == str(tmp_path / "apps.sqlite3")
