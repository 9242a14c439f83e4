"""``RabbitBroker``: the durable :class:`~lark_async.callbacks.queue.Broker` (aio-pika).

Topology, all durable (names from ``queue``, default ``lark.callbacks``):

- exchange ``lark.callbacks`` (topic); routing key = the event type, so extra
  queues can subscribe to e.g. ``im.message.#``;
- queue ``lark.callbacks``, bound with ``#``: what the workers consume;
- queues ``lark.callbacks.retry.<ms>ms``, one per retry delay, declared on first
  use with ``x-message-ttl`` and dead-lettering back to ``lark.callbacks`` through
  the default exchange, so a retry reaches only this queue, after its delay;
- queue ``lark.callbacks.dead``: messages that failed ``max_attempts`` times or
  cannot be handled, with ``x-lark-dead-reason``.

Every message is persistent and published with publisher confirms and
``mandatory``: a publish returns only once RabbitMQ has it in a queue.
``message_id`` is the event id. The broker connects in the background and
reconnects after a loss; while it is down, :meth:`publish` fails at once with
:class:`QueueUnavailable` (the ingress then uses its degraded mode).

**Partitions.** A link that silently drops packets keeps its TCP connection open.
AMQP heartbeats (``heartbeat``, 5 s) close such a connection on both sides. Sooner
than that, a publish whose confirm does not come within its timeout marks the
broker down at once (:class:`PublishUnconfirmed`; later publishes fail fast), and
the broker sends a *probe*: a confirmed publish of an empty message that no queue
receives. The broker is available again only once a probe is confirmed, on this
connection or, if the probe times out too, on a new one; ``on_available``
listeners (the spool replay) run only then.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lark_async.callbacks.amqp_logs import OutageLog, quiet_amqp_loggers
from lark_async.callbacks.queue import (
    MAX_ERROR_CHARS,
    ConsumeFn,
    Envelope,
    PublishUnconfirmed,
    QueueUnavailable,
)
from lark_async.core.checks import check_int, check_number, check_text
from lark_async.core.errors import ConfigError, InvalidParameter
from lark_async.core.extras import require
from lark_async.core.logging import get_logger

if TYPE_CHECKING:
    import aio_pika.abc

DEFAULT_NAME = "lark.callbacks"
CONTENT_TYPE = "application/json"
DEFAULT_HEARTBEAT = 5
# "amq." queue names are reserved to the server: no client can declare one, so a
# probe sent to it through the default exchange reaches no queue, and is confirmed.
PROBE_ROUTING_KEY = "amq.lark-async.probe"


def _safe_url(url: str) -> str:
    """The URL without its password, for logs and reprs."""
    from yarl import URL

    try:
        parsed = URL(url)
    except (TypeError, ValueError):
        return "<invalid url>"
    return str(parsed.with_password("***")) if parsed.password else str(parsed)


def _url_problem(url: str) -> str:
    """Why yarl refuses ``url``, unless saying so would repeat part of it (a password)."""
    from yarl import URL

    try:
        URL(url)
    except (TypeError, ValueError) as exc:
        reason = str(exc)
        userinfo = url.split("://", 1)[-1].rpartition("@")[0]
        password = userinfo.partition(":")[2]
        if not password or password not in reason:
            return reason
    return "it cannot be parsed"


class RabbitBroker:
    """RabbitMQ through aio-pika; see the module docstring for the topology."""

    def __init__(
        self,
        url: str,
        *,
        queue: str = DEFAULT_NAME,
        prefetch: int = 64,
        connect_timeout: float = 3.0,
        reconnect_interval: float = 1.0,
        start_timeout: float = 3.0,
        heartbeat: int = DEFAULT_HEARTBEAT,
        probe_timeout: float = 2.0,
    ) -> None:
        if not isinstance(url, str) or not url.startswith(("amqp://", "amqps://")):
            raise ConfigError(
                "the RabbitMQ url must start with amqp:// or amqps://",
                hint="e.g. amqp://guest:guest@127.0.0.1:5672/",
            )
        check_text(url, "url", error=ConfigError)
        if _safe_url(url) == "<invalid url>":  # a bad port or host: retrying won't fix it
            raise ConfigError(
                f"the RabbitMQ url is malformed: {_url_problem(url)}",
                hint="e.g. amqp://guest:guest@127.0.0.1:5672/",
                details={"argument": "url"},
            )
        if not isinstance(queue, str) or not queue or len(queue) > 200:
            raise InvalidParameter("queue must be a non-empty name of at most 200 characters")
        check_int(prefetch, "prefetch", min=1, max=65_535)  # AMQP's prefetch-count is 16-bit
        check_int(heartbeat, "heartbeat", min=0, max=600)  # seconds; 0 turns them off
        for name, seconds in (
            ("connect_timeout", connect_timeout),
            ("reconnect_interval", reconnect_interval),
            ("start_timeout", start_timeout),
            ("probe_timeout", probe_timeout),
        ):
            check_number(seconds, name, positive=True)
        # Checked here so that the methods' own `import aio_pika` always succeeds.
        require("aio_pika", extra="rabbitmq", feature="RabbitBroker")
        self._url = url
        self.exchange_name = queue
        self.queue_name = queue
        self.dead_queue_name = f"{queue}.dead"
        self._prefetch = prefetch
        self._connect_timeout = connect_timeout
        self._reconnect_interval = reconnect_interval
        self._start_timeout = start_timeout
        self._heartbeat = heartbeat
        self._probe_timeout = probe_timeout
        self._connection: aio_pika.abc.AbstractConnection | None = None
        self._channel: aio_pika.abc.AbstractChannel | None = None
        self._exchange: aio_pika.abc.AbstractExchange | None = None
        self._retry_queues: dict[int, str] = {}
        self._declared: set[str] = set()  # every queue this broker declared, ever
        self._ready: asyncio.Event | None = None
        self._lost: asyncio.Event | None = None
        self._attention: asyncio.Event | None = None  # lost, or a publish went unconfirmed
        self._stopping: asyncio.Event | None = None
        self._supervisor: asyncio.Task[None] | None = None
        # One line per state change (amqp_logs): only the first failed connect of a
        # broker never up; a lost one says so itself. aiormq/aio_pika keep quiet.
        self._log_limit = OutageLog()
        self._listeners: list[Callable[[], None]] = [self._log_limit.up]
        quiet_amqp_loggers()
        self.connects = 0  # successful connections so far (tests, metrics)
        self.unconfirmed = 0  # publishes that timed out (tests, metrics)
        self.probes = 0  # probes confirmed (tests, metrics)

    def __repr__(self) -> str:
        return f"RabbitBroker({_safe_url(self._url)!r}, queue={self.queue_name!r})"

    # -- lifecycle --------------------------------------------------------------------

    @property
    def available(self) -> bool:
        return (
            self._ready is not None
            and self._ready.is_set()
            and self._connection is not None
            and not self._connection.is_closed
        )

    def on_available(self, callback: Callable[[], None]) -> None:
        self._listeners.append(callback)

    async def start(self) -> None:
        """Connect in the background; wait up to ``start_timeout`` for the first connection.

        A RabbitMQ that is down at start is not an error: the broker keeps trying.
        """
        if self._supervisor is not None:
            return
        self._ready, self._lost, self._stopping = asyncio.Event(), asyncio.Event(), asyncio.Event()
        self._attention = asyncio.Event()
        self._supervisor = asyncio.create_task(self._supervise())
        # asyncio.timeout, never wait_for: on 3.11 wait_for swallows a cancel that
        # lands as the awaited event is set (the caller's shutdown would hang).
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(self._start_timeout):
                await self._ready.wait()

    async def close(self) -> None:
        if self._stopping is not None:
            self._stopping.set()
        if self._ready is not None:
            self._ready.clear()
        if self._lost is not None:
            self._lost.set()
        if self._attention is not None:
            self._attention.set()
        task, self._supervisor = self._supervisor, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        await self._disconnect()

    async def wait_available(self, timeout: float) -> bool:
        """Wait up to ``timeout`` seconds for a connection; True if there is one."""
        if self._ready is None:
            return False
        with contextlib.suppress(TimeoutError):
            async with asyncio.timeout(timeout):
                await self._ready.wait()
        return self.available

    async def _supervise(self) -> None:
        assert self._ready is not None and self._lost is not None and self._stopping is not None
        log = get_logger()
        while not self._stopping.is_set():
            try:
                await self._connect()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                if self._log_limit.should_log("connect", asyncio.get_running_loop().time()):
                    log.warning(
                        "lark.callback.rabbitmq_unavailable",
                        url=_safe_url(self._url),
                        error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS],
                        retry_in=self._reconnect_interval,
                    )
                await self._disconnect()
            else:
                self.connects += 1
                log.info("lark.callback.rabbitmq_connected", url=_safe_url(self._url))
                await self._while_connected()
                self._ready.clear()
                self._lost.set()  # consumers resubscribe on the next connection
                await self._disconnect()
                if self._stopping.is_set():
                    return
                log.warning("lark.callback.rabbitmq_lost", url=_safe_url(self._url))
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self._reconnect_interval):
                    await self._stopping.wait()

    async def _while_connected(self) -> None:
        """Available until the connection is lost, or a publish and then a probe time out."""
        assert self._ready is not None and self._lost is not None
        assert self._attention is not None
        self._lost.clear()
        self._attention.clear()
        self._mark_available()
        while True:
            await self._attention.wait()
            self._attention.clear()
            if self._lost.is_set():
                return
            # A publish went unconfirmed: publishes fail fast until a probe is confirmed.
            get_logger().warning("lark.callback.rabbitmq_unconfirmed", url=_safe_url(self._url))
            try:
                await self._probe()
            except asyncio.CancelledError:
                raise
            except Exception:
                return  # the link is gone, even if TCP does not know yet: reconnect
            if self._lost.is_set():
                return
            get_logger().info("lark.callback.rabbitmq_confirmed", url=_safe_url(self._url))
            self._mark_available()

    def _mark_available(self) -> None:
        assert self._ready is not None
        self._ready.set()
        for callback in self._listeners:
            callback()

    async def _probe(self) -> None:
        """A confirmed publish that reaches no queue; raises if it is not confirmed in time."""
        import aio_pika

        channel = self._channel
        if channel is None:
            raise QueueUnavailable("RabbitMQ is not connected")
        message = aio_pika.Message(b"", delivery_mode=aio_pika.DeliveryMode.NOT_PERSISTENT)
        async with asyncio.timeout(self._probe_timeout):
            await channel.default_exchange.publish(
                message, routing_key=PROBE_ROUTING_KEY, mandatory=False
            )
        self.probes += 1

    def _suspect(self) -> None:
        """A publish timed out: unavailable until a probe is confirmed."""
        if self._ready is not None and self._ready.is_set():
            self._ready.clear()
            if self._attention is not None:
                self._attention.set()

    async def _connect(self) -> None:
        import aio_pika

        connection = await aio_pika.connect(
            self._url, timeout=self._connect_timeout, heartbeat=self._heartbeat
        )
        self._connection = connection
        connection.close_callbacks.add(self._closed_callback(connection))
        channel = await connection.channel(publisher_confirms=True, on_return_raises=True)
        channel.close_callbacks.add(self._closed_callback(connection))
        self._channel = channel
        self._retry_queues.clear()
        exchange = await channel.declare_exchange(
            self.exchange_name, aio_pika.ExchangeType.TOPIC, durable=True
        )
        queue = await channel.declare_queue(self.queue_name, durable=True)
        await queue.bind(exchange, routing_key="#")
        await channel.declare_queue(self.dead_queue_name, durable=True)
        self._declared.update((self.queue_name, self.dead_queue_name))
        self._exchange = exchange
        await self._probe()  # available only once a publish is confirmed

    def _closed_callback(self, connection: aio_pika.abc.AbstractConnection) -> Callable[..., None]:
        """``_on_close`` for this connection only: a late one from an old connection
        (its close can finish after the next one is up) must not take the new one down."""

        def closed(*_: Any) -> None:
            if connection is self._connection:
                self._on_close()

        return closed

    def _on_close(self, *_: Any) -> None:
        if self._ready is not None:
            self._ready.clear()
        if self._lost is not None:
            self._lost.set()
        if self._attention is not None:
            self._attention.set()

    async def _disconnect(self) -> None:
        connection, self._connection = self._connection, None
        self._channel = self._exchange = None
        if connection is not None and not connection.is_closed:
            with contextlib.suppress(Exception):
                async with asyncio.timeout(2.0):
                    await connection.close()

    # -- publishing -------------------------------------------------------------------

    def _message(self, envelope: Envelope, headers: dict[str, Any] | None = None) -> Any:
        import aio_pika

        event = envelope.event
        return aio_pika.Message(
            envelope.to_bytes(),
            content_type=CONTENT_TYPE,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=event.event_id,
            type=event.event_type,
            headers={
                "x-lark-app-id": event.app_id,
                "x-lark-attempt": envelope.attempt,
                **(headers or {}),
            },
        )

    async def publish(self, envelope: Envelope, *, timeout: float, delay: float = 0.0) -> None:
        if delay > 0:
            queue = await self._retry_queue(delay, timeout)
            await self._send(self._message(envelope), "", queue, timeout)
        else:
            await self._send(self._message(envelope), None, envelope.event.event_type, timeout)

    async def dead_letter(self, envelope: Envelope, reason: str, *, timeout: float) -> None:
        message = self._message(envelope, {"x-lark-dead-reason": reason})
        await self._send(message, "", self.dead_queue_name, timeout)

    async def _send(self, message: Any, exchange: str | None, key: str, timeout: float) -> None:
        """Publish and wait for the confirm; any failure is QueueUnavailable."""
        channel, main = self._channel, self._exchange
        if not self.available or channel is None or main is None:
            raise QueueUnavailable(
                "RabbitMQ is not connected",
                hint="callbacks are handled in degraded mode until it is back",
            )
        target = main if exchange is None else channel.default_exchange
        try:
            # asyncio.timeout, unlike wait_for, needs no extra task: this is the hot path.
            async with asyncio.timeout(timeout):
                await target.publish(message, routing_key=key)
        except TimeoutError:
            # A partition looks like this: mark the broker down, so the next
            # publishes fail fast instead of each waiting out its timeout. (A
            # budget of a few ms, a request that arrived late, proves nothing.)
            self.unconfirmed += 1
            if timeout >= 0.1:
                self._suspect()
            raise PublishUnconfirmed(
                f"RabbitMQ did not confirm within {timeout:.2f} s",
                hint="it may still land: consumers dedupe on the event id",
            ) from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # aio-pika/aiormq/OS errors: all mean "not stored"
            if self._connection is None or self._connection.is_closed or channel.is_closed:
                self._on_close()
            raise QueueUnavailable(
                f"RabbitMQ refused or lost the message: {type(exc).__name__}"
            ) from None

    async def _retry_queue(self, delay: float, timeout: float) -> str:
        ms = max(1, round(delay * 1000))
        name = self._retry_queues.get(ms)
        if name is not None:
            return name
        channel = self._channel
        if not self.available or channel is None:
            raise QueueUnavailable("RabbitMQ is not connected")
        name = f"{self.queue_name}.retry.{ms}ms"
        try:
            async with asyncio.timeout(timeout):
                await channel.declare_queue(
                    name,
                    durable=True,
                    arguments={
                        "x-message-ttl": ms,
                        "x-dead-letter-exchange": "",
                        "x-dead-letter-routing-key": self.queue_name,
                    },
                )
        except TimeoutError:
            raise QueueUnavailable("RabbitMQ did not declare the retry queue in time") from None
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            self._on_close()
            raise QueueUnavailable(
                f"cannot declare retry queue {name}: {type(exc).__name__}"
            ) from None
        self._retry_queues[ms] = name
        self._declared.add(name)
        return name

    def declared_queues(self) -> list[str]:
        """Every queue this broker declared (main, dead, retry), for clean-up tools."""
        return sorted(self._declared)

    # -- consuming --------------------------------------------------------------------

    async def consume(self, fn: ConsumeFn, *, concurrency: int) -> None:
        """Consume until cancelled, resuming after every reconnect.

        ``concurrency`` caps unacknowledged messages (``basic.qos``) and so how many
        handlers run at once. A message is acked only after its decision was carried
        out; if the connection drops first, RabbitMQ redelivers it.
        """
        if self._ready is None or self._lost is None:
            raise QueueUnavailable("the broker is not started", hint="await broker.start()")
        tasks: set[asyncio.Task[None]] = set()
        try:
            while True:
                await self._ready.wait()
                connection = self._connection
                if connection is None or connection.is_closed:
                    await asyncio.sleep(0.01)  # the supervisor is about to notice
                    continue
                try:
                    channel = await connection.channel()
                    channel.close_callbacks.add(self._closed_callback(connection))
                    await channel.set_qos(prefetch_count=min(self._prefetch, concurrency))
                    queue = await channel.get_queue(self.queue_name, ensure=False)

                    async def on_message(message: aio_pika.abc.AbstractIncomingMessage) -> None:
                        task = asyncio.create_task(self._process(message, fn))
                        tasks.add(task)
                        task.add_done_callback(tasks.discard)

                    await queue.consume(on_message)
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    get_logger().warning(
                        "lark.callback.consume_failed",
                        error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS],
                    )
                    self._on_close()
                # _on_close clears _ready before it sets _lost, so the next turn
                # of the loop waits for the supervisor's next connection.
                await self._lost.wait()
        finally:
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def _process(self, message: aio_pika.abc.AbstractIncomingMessage, fn: ConsumeFn) -> None:
        log = get_logger()
        try:
            envelope = Envelope.from_bytes(message.body)
        except InvalidParameter as exc:
            log.error("lark.callback.undecodable", message_id=message.message_id, error=exc.message)
            await self._park_raw(message, "undecodable")
            return
        try:
            decision = await fn(envelope)
            if decision.action == "retry":
                await self.publish(decision.envelope, timeout=5.0, delay=decision.delay)
            elif decision.action == "dead":
                await self.dead_letter(decision.envelope, decision.reason or "?", timeout=5.0)
        except QueueUnavailable:
            # Could not record the decision: leave it unacked, RabbitMQ redelivers it.
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
            return
        except asyncio.CancelledError:
            raise  # shutting down: unacked, so it is redelivered
        except Exception as exc:  # a bug in the consume path: park it, don't spin on it
            log.error(
                "lark.callback.consumer_error",
                event_id=envelope.event_id,
                error=f"{type(exc).__name__}: {exc}"[:MAX_ERROR_CHARS],
            )
            await self._park_raw(message, "consumer_error")
            return
        with contextlib.suppress(Exception):  # a lost channel: it is redelivered, deduped
            await message.ack()

    async def _park_raw(self, message: aio_pika.abc.AbstractIncomingMessage, reason: str) -> None:
        import aio_pika

        raw = aio_pika.Message(
            message.body,
            delivery_mode=aio_pika.DeliveryMode.PERSISTENT,
            message_id=message.message_id,
            headers={"x-lark-dead-reason": reason},
        )
        try:
            await self._send(raw, "", self.dead_queue_name, 5.0)
        except QueueUnavailable:
            with contextlib.suppress(Exception):
                await message.nack(requeue=True)
            return
        with contextlib.suppress(Exception):
            await message.ack()
