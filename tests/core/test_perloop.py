"""PerLoop: one resource per event loop, closed on its own loop, none left for dead loops."""

from __future__ import annotations

import asyncio
import gc
import logging
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import pytest

from lark_async.core.perloop import PerLoop

LoopFactory = Callable[[], asyncio.AbstractEventLoop] | None

# Nothing may be left for a dead loop to complain about: any warning fails.
pytestmark = pytest.mark.filterwarnings("error")


@pytest.fixture(autouse=True)
def quiet_asyncio(caplog: pytest.LogCaptureFixture) -> Iterator[None]:
    """Fail on anything asyncio reports through its logger (e.g. a destroyed task)."""
    with caplog.at_level(logging.WARNING, logger="asyncio"):
        yield
        gc.collect()
    assert not [r.getMessage() for r in caplog.records if r.name == "asyncio"]


def _loop_factories() -> list[object]:
    factories: list[object] = [pytest.param(None, id="asyncio")]
    try:
        import uvloop
    except ImportError:  # pragma: no cover - uvloop is the optional "fast" extra
        return factories
    return [*factories, pytest.param(uvloop.new_event_loop, id="uvloop")]


@dataclass(eq=False)
class Resource:
    """Remembers the loop it was made on and where it was closed or dropped."""

    loop: asyncio.AbstractEventLoop
    closed_on: asyncio.AbstractEventLoop | None = None
    loop_was_open_at_close: bool | None = None
    dropped_on: asyncio.AbstractEventLoop | None = None


@dataclass
class Factory:
    made: list[Resource] = field(default_factory=list)
    gate: asyncio.Event | None = None
    fail_next: bool = False

    async def create(self) -> Resource:
        if self.gate is not None:
            await self.gate.wait()
        if self.fail_next:
            self.fail_next = False
            raise OSError("cannot make it")
        resource = Resource(asyncio.get_running_loop())
        self.made.append(resource)
        return resource

    @staticmethod
    async def close(resource: Resource) -> None:
        loop = asyncio.get_running_loop()
        resource.closed_on, resource.loop_was_open_at_close = loop, not loop.is_closed()

    @staticmethod
    async def drop(resource: Resource) -> None:
        resource.dropped_on = asyncio.get_running_loop()

    def per_loop(self) -> PerLoop[Resource]:
        return PerLoop(self.create, close=self.close, drop=self.drop)


def run(coro_fn: Callable[[], object], factory: LoopFactory = None) -> object:
    with asyncio.Runner(loop_factory=factory) as runner:
        return runner.run(coro_fn())  # type: ignore[arg-type]


@pytest.mark.parametrize("loop_factory", _loop_factories())
def test_two_consecutive_runs_each_get_their_own_resource(loop_factory: LoopFactory) -> None:
    f = Factory()
    per_loop = f.per_loop()

    async def use() -> Resource:
        first = await per_loop.get()
        assert await per_loop.get() is first  # one per loop
        assert per_loop.peek() is first
        assert first.loop is asyncio.get_running_loop()
        return first

    one = run(use, loop_factory)
    two = run(use, loop_factory)
    assert isinstance(one, Resource) and isinstance(two, Resource)
    assert one is not two and len(f.made) == 2
    # Each was closed on its own loop, while that loop was shutting down.
    assert one.closed_on is one.loop and one.loop_was_open_at_close
    assert two.closed_on is two.loop and two.loop_was_open_at_close
    assert one.dropped_on is None and len(per_loop) == 0


@pytest.mark.parametrize("loop_factory", _loop_factories())
def test_resource_of_a_loop_closed_without_shutdown_is_dropped_on_the_next_loop(
    loop_factory: LoopFactory,
) -> None:
    f = Factory()
    per_loop = f.per_loop()
    old_loop = (loop_factory or asyncio.new_event_loop)()
    old = old_loop.run_until_complete(per_loop.get())
    old_loop.close()  # no shutdown_asyncgens: the resource outlives its loop
    assert len(per_loop) == 1 and old.closed_on is None

    async def use_and_close() -> Resource:
        new = await per_loop.get()
        assert len(per_loop) == 1  # the dead loop's entry is gone
        await per_loop.aclose()
        return new

    new = run(use_and_close, loop_factory)
    assert old.dropped_on is not None and old.dropped_on is not old_loop  # on the live loop
    assert old.closed_on is None  # never awaited on the dead loop
    assert isinstance(new, Resource) and new.closed_on is new.loop
    gc.collect()  # the old generator's finalizer must stay quiet on a closed loop
    assert len(per_loop) == 0


def test_aclose_drops_closed_loops_too() -> None:
    f = Factory()
    per_loop = f.per_loop()
    old_loop = asyncio.new_event_loop()
    old = old_loop.run_until_complete(per_loop.get())
    old_loop.close()

    async def close_only() -> None:
        await per_loop.aclose()

    run(close_only)
    assert old.dropped_on is not None and len(per_loop) == 0


def test_concurrent_first_use_on_one_loop_creates_one_resource() -> None:
    f = Factory()
    per_loop = f.per_loop()

    async def many() -> list[Resource]:
        f.gate = asyncio.Event()
        tasks = [asyncio.create_task(per_loop.get()) for _ in range(10)]
        await asyncio.sleep(0)  # let every task start and wait (a yield, not a timed wait)
        f.gate.set()
        return await asyncio.gather(*tasks)

    got = run(many)
    assert isinstance(got, list) and len(f.made) == 1
    assert all(r is f.made[0] for r in got)


def test_failed_creation_raises_and_the_next_get_tries_again() -> None:
    f = Factory(fail_next=True)
    per_loop = f.per_loop()

    async def use() -> Resource:
        with pytest.raises(OSError, match="cannot make it"):
            await per_loop.get()
        assert per_loop.peek() is None
        return await per_loop.get()

    got = run(use)
    assert isinstance(got, Resource) and f.made == [got]


def test_aclose_then_get_creates_afresh_and_discard_replaces() -> None:
    f = Factory()
    per_loop = f.per_loop()

    async def use() -> None:
        first = await per_loop.get()
        await per_loop.aclose()
        assert first.closed_on is asyncio.get_running_loop() and len(per_loop) == 0
        second = await per_loop.get()
        assert second is not first
        await per_loop.discard(first)  # not the current one: ignored
        assert per_loop.peek() is second and second.closed_on is None
        await per_loop.discard(second)
        assert second.closed_on is asyncio.get_running_loop() and per_loop.peek() is None
        third = await per_loop.get()
        assert third is not second
        await per_loop.aclose()
        await per_loop.aclose()  # twice is fine

    run(use)
    assert len(f.made) == 3 and all(r.closed_on is r.loop for r in f.made)


def test_without_close_a_resource_is_just_forgotten() -> None:
    per_loop: PerLoop[asyncio.Lock] = PerLoop(_new_lock)

    async def hold_contended() -> asyncio.Lock:
        lock = await per_loop.get()
        async with lock:
            waiter = asyncio.create_task(_take(lock))
            await asyncio.sleep(0)  # the waiter now waits, binding the lock to this loop
        await waiter
        return lock

    one = run(hold_contended)
    two = run(hold_contended)  # a lock bound to the first loop would fail here
    assert one is not two and len(per_loop) == 1


def test_a_loop_alive_elsewhere_closes_its_own_resource() -> None:
    f = Factory()
    per_loop = f.per_loop()
    ready, done = threading.Event(), threading.Event()
    other: list[Resource] = []

    def other_thread() -> None:
        async def main() -> None:
            other.append(await per_loop.get())
            ready.set()
            await asyncio.to_thread(done.wait)

        asyncio.run(main())

    thread = threading.Thread(target=other_thread)
    thread.start()
    try:
        assert ready.wait(timeout=10)

        async def mine() -> Resource:
            resource = await per_loop.get()
            assert resource is not other[0]
            await per_loop.aclose()
            return resource

        own = run(mine)
        assert isinstance(own, Resource) and own.closed_on is own.loop
    finally:
        done.set()
        thread.join(timeout=10)
    # The other loop closed its resource itself, on its own loop.
    assert other[0].closed_on is other[0].loop and other[0].dropped_on is None


async def _new_lock() -> asyncio.Lock:
    return asyncio.Lock()


async def _take(lock: asyncio.Lock) -> None:
    async with lock:
        pass


def test_get_needs_a_running_loop() -> None:
    per_loop: PerLoop[asyncio.Lock] = PerLoop(_new_lock)
    coro = per_loop.get()
    with pytest.raises(RuntimeError, match="no running event loop"):
        coro.send(None)
    with pytest.raises(RuntimeError, match="no running event loop"):
        per_loop.peek()
