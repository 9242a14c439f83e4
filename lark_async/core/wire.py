"""The wire: the only module that imports aiohttp.

One pooled ``aiohttp.ClientSession`` per event loop (a client may be used from
several ``asyncio.run`` calls in a row), sending one attempt and reporting what
happened as an :class:`Attempt`: a status and body, a streamed download, or a
network error together with whether the request may have reached the server.
No retries, tokens or logs here.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any
from urllib.parse import unquote

import aiohttp

from lark_async.core.errors import InvalidParameter, LarkError, LarkTimeout, NetworkError
from lark_async.core.options import FileField, Timeouts
from lark_async.core.perloop import PerLoop
from lark_async.core.response import Download


@dataclass(slots=True)
class Attempt:
    """What one send produced."""

    status: int | None = None
    headers: Mapping[str, str] | None = None
    body: Any = None  # raw bytes, later the parsed JSON
    error: LarkError | None = None
    sent: bool = True  # whether the request may have reached the server
    streamed: bool = False  # a binary body went to the download sink


class Sink:
    """Streams a binary answer to a path (via a .part file) or a file object.

    Each attempt starts over, so a retried download never leaves a mix of two
    bodies; a path only appears once the whole body arrived. With ``resume``
    (a path only), a broken attempt keeps its ``.part`` and the next one asks
    for the rest (``Range: bytes=N-``); a server that answers 200 instead of
    206 sends the whole body again, which replaces the part.
    """

    def __init__(self, dest: Path | IO[bytes], chunk_size: int, *, resume: bool = False) -> None:
        self.dest = dest
        self.chunk_size = chunk_size
        self.resume = resume and isinstance(dest, Path)
        self._kept = 0  # bytes of the .part that a resumed attempt continues from
        self.bytes_written = 0
        self.content_type: str | None = None
        self.filename: str | None = None
        self._fh: IO[bytes] | None = None
        self._dirty = False  # bytes went into a non-seekable stream
        self._start = 0
        if not isinstance(dest, Path):
            self._start = dest.tell() if dest.seekable() else 0

    @property
    def started(self) -> bool:
        return self._fh is not None

    @property
    def restartable(self) -> bool:
        """False once bytes went into a stream that cannot be rewound to where it began."""
        return not self._dirty or isinstance(self.dest, Path) or self.dest.seekable()

    @property
    def _part(self) -> Path:
        assert isinstance(self.dest, Path)
        return self.dest.with_name(self.dest.name + ".part")

    def range_header(self) -> str | None:
        """``Range`` for the next attempt: the rest after what an earlier one kept."""
        return f"bytes={self._kept}-" if self.resume and self._kept else None

    def accepts(self, status: int) -> bool:
        return status == 200 or (status == 206 and self.range_header() is not None)

    def begin(self, headers: Mapping[str, str], status: int = 200) -> None:
        self.content_type = headers.get("Content-Type")
        self.filename = filename_from(headers.get("Content-Disposition"))
        if isinstance(self.dest, Path):
            resumed = status == 206 and _range_start(headers) == self._kept > 0
            self.bytes_written = self._kept if resumed else 0
            # closed in finish(), pause() or abort()
            self._fh = self._part.open("ab" if resumed else "wb")
        else:
            self.bytes_written = 0
            if self.dest.seekable():
                self.dest.seek(self._start)
                self.dest.truncate()
            elif self._dirty:
                raise NetworkError(
                    "the download broke off and cannot restart into a non-seekable stream",
                    hint="download to a path or a seekable file to get automatic retries",
                )
            self._fh = self.dest

    def write(self, chunk: bytes) -> None:
        assert self._fh is not None
        self._fh.write(chunk)
        self.bytes_written += len(chunk)
        self._dirty = True

    def finish(self) -> Download:
        if isinstance(self.dest, Path):
            assert self._fh is not None
            self._fh.close()
            self._part.replace(self.dest)
            return Download(self.dest, self.bytes_written, self.content_type, self.filename)
        return Download(None, self.bytes_written, self.content_type, self.filename)

    def pause(self) -> None:
        """An attempt broke off: keep what arrived when resuming, else drop it."""
        if not self.resume:
            self.abort()
            return
        if self._fh is not None:
            self._fh.close()
            self._fh = None
        self._kept = self.bytes_written

    def abort(self) -> None:
        if isinstance(self.dest, Path):
            if self._fh is not None:
                self._fh.close()
            self._part.unlink(missing_ok=True)
        self._fh = None
        self._kept = 0


def _range_start(headers: Mapping[str, str]) -> int | None:
    """The first byte of a 206 answer (``Content-Range: bytes 100-999/1000``)."""
    value = headers.get("Content-Range", "")
    unit, _, rest = value.partition(" ")
    start = rest.partition("-")[0]
    return int(start) if unit == "bytes" and start.isdigit() else None


def check_dest(dest: Path) -> None:
    if dest.is_dir():
        raise InvalidParameter(f"dest {dest} is a directory; give a file path")
    if not dest.parent.is_dir():
        raise InvalidParameter(f"the folder of dest does not exist: {dest.parent}")


def filename_from(disposition: str | None) -> str | None:
    if not disposition:
        return None
    for part in disposition.split(";"):
        key, _, value = part.strip().partition("=")
        if key.lower() == "filename*" and "''" in value:
            return unquote(value.split("''", 1)[1])
        if key.lower() == "filename":
            return value.strip('"')
    return None


def client_timeout(t: Timeouts) -> aiohttp.ClientTimeout:
    return aiohttp.ClientTimeout(total=t.total, sock_connect=t.connect, sock_read=t.read)


class Wire:
    """Sends one attempt over a pooled session of the running event loop."""

    def __init__(
        self,
        base_url: str,
        *,
        timeouts: Timeouts,
        connector_limit: int,
        user_agent: str,
        json_dumps: Callable[[Any], str],
    ) -> None:
        self.base = base_url.rstrip("/")
        self._default = timeouts
        self._default_timeout = client_timeout(timeouts)
        self._limit = connector_limit
        self._user_agent = user_agent
        self._dumps = json_dumps
        # One session per loop: a session (and its connections) belongs to the loop
        # that made it, and is closed when that loop shuts down.
        self._sessions: PerLoop[aiohttp.ClientSession] = PerLoop(
            self._new_session, close=_close_session, drop=_abandon
        )

    async def _new_session(self) -> aiohttp.ClientSession:
        return aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(
                limit=self._limit, ttl_dns_cache=300, enable_cleanup_closed=True
            ),
            timeout=self._default_timeout,
            headers={"User-Agent": self._user_agent},
            json_serialize=self._dumps,
        )

    async def session(self) -> aiohttp.ClientSession:
        """The running loop's pooled session."""
        session = await self._sessions.get()
        if session.closed:  # closed by hand: make a new one
            await self._sessions.discard(session)
            session = await self._sessions.get()
        return session

    async def aclose(self) -> None:
        """Close this loop's session; those of other loops close with their loops."""
        await self._sessions.aclose()

    def timeout(self, t: Timeouts | None) -> aiohttp.ClientTimeout:
        return self._default_timeout if t is None or t is self._default else client_timeout(t)

    def send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        data: Any,
        files: Mapping[str, FileField] | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
        sink: Sink | None = None,
    ) -> Coroutine[Any, Any, Attempt]:
        """One attempt. A plain function so that the common case adds no coroutine."""
        send = self._send(
            method,
            path,
            params=params,
            json=json,
            data=data,
            files=files,
            headers=headers,
            timeout=timeout,
            sink=sink,
        )
        return send if sink is None else self._into_sink(send, sink)

    @staticmethod
    async def _into_sink(send: Coroutine[Any, Any, Attempt], sink: Sink) -> Attempt:
        attempt = await send
        if attempt.error is not None and not sink.restartable:
            # A retry would append a second copy after the bytes already written:
            # end the call here, with the cause and how much went out.
            cause = attempt.error
            attempt.error = type(cause)(
                f"{cause.message}; {sink.bytes_written} bytes had gone into a non-seekable "
                "stream, so the download cannot restart",
                retryable=False,
                hint="download to a path or a seekable file to get automatic retries",
            )
        return attempt

    async def _send(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None,
        json: Any,
        data: Any,
        files: Mapping[str, FileField] | None,
        headers: Mapping[str, str],
        timeout: aiohttp.ClientTimeout,
        sink: Sink | None,
    ) -> Attempt:
        session = await self.session()
        opened: list[IO[bytes]] = []
        try:
            body: Any = None
            if files:
                body = _form(data if isinstance(data, Mapping) else None, files, opened)
            elif data is not None:
                body = data
            async with session.request(
                method,
                self.base + path,
                params=params,
                json=json,
                data=body,
                headers=headers,
                timeout=timeout,
            ) as resp:
                if sink is not None and sink.accepts(resp.status):
                    ctype = resp.headers.get("Content-Type", "")
                    if "json" not in ctype:
                        sink.begin(resp.headers, resp.status)
                        try:
                            async for chunk in resp.content.iter_chunked(sink.chunk_size):
                                sink.write(chunk)
                        except BaseException:
                            sink.pause()
                            raise
                        return Attempt(status=resp.status, headers=resp.headers, streamed=True)
                raw = await resp.read()
                return Attempt(status=resp.status, headers=resp.headers, body=raw)
        except aiohttp.ClientConnectorError as exc:
            return Attempt(
                error=NetworkError(
                    f"cannot connect to {self.base}: {type(exc).__name__}",
                    retryable=True,
                    hint="check the network / domain; retried with backoff",
                ),
                sent=False,
            )
        except aiohttp.ConnectionTimeoutError:
            # The connection never opened, so nothing reached the server.
            return Attempt(
                error=LarkTimeout(
                    f"could not connect within {timeout.sock_connect}s",
                    retryable=True,
                    hint="check the network / domain; retried with backoff",
                ),
                sent=False,
            )
        except aiohttp.SocketTimeoutError:
            return Attempt(
                error=LarkTimeout(
                    f"the server sent nothing for {timeout.sock_read}s (read timeout)",
                    retryable=True,
                    hint="raise timeout= for this call if the endpoint is slow",
                )
            )
        except TimeoutError:
            return Attempt(
                error=LarkTimeout(
                    f"no answer within the timeout ({timeout.total}s total)",
                    retryable=True,
                    hint="raise timeout= for this call if the endpoint is slow",
                )
            )
        except (
            aiohttp.ServerDisconnectedError,
            aiohttp.ClientOSError,
            aiohttp.ClientPayloadError,
        ) as exc:
            return Attempt(
                error=NetworkError(
                    f"connection lost: {type(exc).__name__}",
                    retryable=True,
                    hint="transient network failure",
                )
            )
        except aiohttp.ClientError as exc:
            return Attempt(
                error=NetworkError(f"HTTP client error: {type(exc).__name__}", retryable=True)
            )
        finally:
            for fh in opened:
                fh.close()


async def _close_session(session: aiohttp.ClientSession) -> None:
    await session.close()


async def _abandon(session: aiohttp.ClientSession) -> None:
    """Let go of a session whose loop has closed: it can no longer be awaited on.

    Its sockets died with their loop; detaching marks the session closed so
    that it does not warn about being left open.
    """
    connector = session.connector
    session.detach()
    if connector is not None:
        connector._close()  # the synchronous part of close(): no loop needed


def _form(
    fields: Mapping[str, Any] | None, files: Mapping[str, FileField], opened: list[IO[bytes]]
) -> aiohttp.FormData:
    """Multipart body, rebuilt for every attempt so a retry resends whole files."""
    form = aiohttp.FormData()
    for k, v in (fields or {}).items():
        if v is not None:
            form.add_field(k, str(v))
    for name, (filename, content, ctype) in files.items():
        payload: Any
        if isinstance(content, Path):
            fh = content.open("rb")  # streamed from disk, not read whole
            opened.append(fh)
            payload = fh
        elif isinstance(content, (bytes, bytearray)):
            payload = bytes(content)
        else:
            if content.seekable():
                content.seek(0)
            payload = content
        form.add_field(
            name, payload, filename=filename, content_type=ctype or "application/octet-stream"
        )
    return form
