"""ThreadedFakeLark: the emulator on its own thread and event loop, for synchronous tests.

    with ThreadedFakeLark() as server:
        server.add_app("cli_x", "secret")
        ...  # any thread, any event loop: point the client at server.url

FastAPI's ``TestClient`` runs the application on an event loop in another thread,
so an emulator living on the test's loop is never served while the test blocks
(a deadlock). This one serves from a thread of its own, whoever calls it.
Seed it with :meth:`call` (or the ``seed_*`` helpers, which use it): state is
changed on the emulator's thread, never alongside a request it is serving.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Awaitable, Callable
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar

from lark_async.testing.server.apps import FakeApp
from lark_async.testing.server.fake_lark import FakeLark

P = ParamSpec("P")
T = TypeVar("T")

DEFAULT_TIMEOUT = 30.0


class ThreadedFakeLark:
    """A :class:`FakeLark` serving from a daemon thread; ``options`` are FakeLark's.

    Use it as a context manager or ``start()`` / ``stop()``. ``fake`` is the
    emulator itself (read its journal from any thread once requests are done);
    ``call(fn, ...)`` runs ``fn`` on the emulator's thread, ``run(coro)`` awaits
    a coroutine there.
    """

    def __init__(self, *, timeout: float = DEFAULT_TIMEOUT, **options: Any) -> None:
        self._options = options
        self._timeout = timeout
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._fake: FakeLark | None = None
        self._url: str | None = None
        self._lock = threading.Lock()

    # --- lifecycle -------------------------------------------------------------------
    def start(self) -> None:
        """Start the thread and the server; returns once it listens (errors re-raised here)."""
        with self._lock:
            if self._thread is not None:
                return
            ready = threading.Event()
            failure: list[BaseException] = []
            loop = asyncio.new_event_loop()
            thread = threading.Thread(
                target=self._serve, args=(loop, ready, failure), name="FakeLark", daemon=True
            )
            thread.start()
            if not ready.wait(self._timeout):
                raise RuntimeError(f"the emulator did not start within {self._timeout} s")
            if failure:
                thread.join(self._timeout)
                raise failure[0]
            self._loop, self._thread = loop, thread

    def _serve(
        self, loop: asyncio.AbstractEventLoop, ready: threading.Event, failure: list[BaseException]
    ) -> None:
        asyncio.set_event_loop(loop)
        try:
            fake = FakeLark(**self._options)
            loop.run_until_complete(fake.start())
            self._fake, self._url = fake, fake.url
        except BaseException as exc:  # handed to start(), which re-raises it
            failure.append(exc)
            ready.set()
            loop.close()
            return
        ready.set()
        try:
            loop.run_forever()
        finally:
            _finish(loop)

    def stop(self) -> None:
        """Stop the server and the thread (idempotent)."""
        with self._lock:
            loop, thread, fake = self._loop, self._thread, self._fake
            self._loop = self._thread = None
            self._url = None
        if loop is None or thread is None:
            return
        if fake is not None and not loop.is_closed():
            try:
                asyncio.run_coroutine_threadsafe(fake.stop(), loop).result(self._timeout)
            finally:
                loop.call_soon_threadsafe(loop.stop)
        thread.join(self._timeout)

    def __enter__(self) -> Self:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # --- access ----------------------------------------------------------------------
    @property
    def fake(self) -> FakeLark:
        """The emulator (its seeding classes take it: ``ImEmulator.of(server.fake)``)."""
        if self._fake is None:
            raise RuntimeError("ThreadedFakeLark is not started; use `with` or start()")
        return self._fake

    @property
    def url(self) -> str:
        """Base URL, e.g. ``http://127.0.0.1:54321`` (pass it as the client's domain)."""
        if self._url is None:
            raise RuntimeError("ThreadedFakeLark is not running; use `with` or start()")
        return self._url

    @property
    def running(self) -> bool:
        return self._url is not None

    @property
    def app_id(self) -> str:
        """The first registered app's id."""
        return self.fake.app_id

    @property
    def app_secret(self) -> str:
        return self.fake.app_secret

    def call(self, fn: Callable[P, T], /, *args: P.args, **kwargs: P.kwargs) -> T:
        """``fn(*args, **kwargs)`` on the emulator's thread; its result or its exception."""
        loop = self._running_loop()
        if _on_loop(loop):
            return fn(*args, **kwargs)
        done: concurrent.futures.Future[T] = concurrent.futures.Future()

        def run() -> None:
            if not done.set_running_or_notify_cancel():
                return
            try:
                done.set_result(fn(*args, **kwargs))
            except BaseException as exc:
                done.set_exception(exc)

        loop.call_soon_threadsafe(run)
        return done.result(self._timeout)

    def run(self, awaitable: Awaitable[T]) -> T:
        """Await ``awaitable`` on the emulator's loop (from another thread); its result."""
        loop = self._running_loop()
        if _on_loop(loop):
            raise RuntimeError("run() waits for the emulator's loop; await it there instead")

        async def wrapped() -> T:
            return await awaitable

        return asyncio.run_coroutine_threadsafe(wrapped(), loop).result(self._timeout)

    def add_app(
        self,
        app_id: str,
        app_secret: str,
        *,
        tenant_key: str | None = None,
        token_lifetime: int | None = None,
    ) -> FakeApp:
        """:meth:`FakeLark.add_app`, on the emulator's thread."""
        return self.call(
            self.fake.add_app,
            app_id,
            app_secret,
            tenant_key=tenant_key,
            token_lifetime=token_lifetime,
        )

    def _running_loop(self) -> asyncio.AbstractEventLoop:
        loop = self._loop
        if loop is None or loop.is_closed():
            raise RuntimeError("ThreadedFakeLark is not running; use `with` or start()")
        return loop

    def __repr__(self) -> str:
        return f"ThreadedFakeLark(url={self._url!r})"


def _on_loop(loop: asyncio.AbstractEventLoop) -> bool:
    try:
        return asyncio.get_running_loop() is loop
    except RuntimeError:
        return False


def _finish(loop: asyncio.AbstractEventLoop) -> None:
    """Cancel what is left on the loop (e.g. a delayed write), then close it."""
    try:
        pending = [t for t in asyncio.all_tasks(loop) if not t.done()]
        for task in pending:
            task.cancel()
        if pending:
            loop.run_until_complete(asyncio.gather(*pending, return_exceptions=True))
        loop.run_until_complete(loop.shutdown_asyncgens())
    finally:
        loop.close()
