"""A loopback TCP proxy tests can stop, restart or blackhole, to make a real server vanish.

Used for PostgreSQL and RabbitMQ outages without touching the real servers
(other tests use them at the same time). ``blackhole()`` is a network partition:
connections stay open and new ones are accepted, but every byte is dropped and no
close is passed on, so only timeouts and heartbeats can tell; ``heal()`` ends it.
``blackhole(hold=True)`` holds the bytes instead and delivers them at ``heal()``,
as TCP retransmits across a short partition: what was sent before lands late.
"""

from __future__ import annotations

import asyncio
import socket


class Proxy:
    """Forwards 127.0.0.1:<port> to the real server; can be stopped and restarted."""

    def __init__(self, target_port: int = 5432) -> None:
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = sock.getsockname()[1]
        self._target_port = target_port
        self._server: asyncio.Server | None = None
        self._writers: list[asyncio.StreamWriter] = []
        self._tasks: set[asyncio.Task[None]] = set()
        self.blackholed = False
        self._hold = False
        self._healed = asyncio.Event()
        self.dropped = 0  # bytes dropped while blackholed
        self.accepted = 0  # connections accepted so far

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", self.port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in self._writers:
            writer.transport.abort()  # like a server crash: connections just die
        self._writers.clear()
        if self._tasks:
            await asyncio.wait(self._tasks, timeout=5)

    def blackhole(self, *, hold: bool = False) -> None:
        """Drop (or, with ``hold``, hold back) every byte both ways, on open and new connections."""
        self._healed = asyncio.Event()
        self._hold = hold
        self.blackholed = True

    def heal(self) -> None:
        """Forward again: held bytes go first; dropped ones are gone."""
        self.blackholed = False
        self._healed.set()

    def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.accepted += 1
        task = asyncio.create_task(self._serve(reader, writer))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection("127.0.0.1", self._target_port)
        except OSError:
            writer.transport.abort()
            return
        self._writers += [writer, up_writer]
        await asyncio.gather(self._pipe(reader, up_writer), self._pipe(up_reader, writer))

    async def _pipe(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                if self.blackholed and not self._hold:
                    self.dropped += len(data)
                    continue
                if self.blackholed:  # read no more until the heal: the rest waits in buffers
                    await self._healed.wait()
                writer.write(data)
                await writer.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            if self.blackholed and self._hold:
                # The close travels behind the held bytes: delivered at the heal.
                await self._healed.wait()
                writer.close()
            elif not self.blackholed:  # a partition passes no close on either
                writer.transport.abort()
