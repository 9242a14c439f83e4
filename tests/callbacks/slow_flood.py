"""A flood of slow clients for test_slow_clients.py (run as a child process).

    python slow_flood.py PORT N PATH

Keeps N connections open that never finish their request: even ones send part of
a request head, odd ones a complete head and part of the body. When the server
closes one, it is opened again, as an attacker would (after up to 0.4 s, so the
flood is a steady stream rather than waves in step with the server's timeouts). Prints ``ready`` once N have
been opened; then, for each line read on stdin, ``<open now> <opened in all>``;
exits when stdin closes. Runs in its own process so its sockets are not the
server's file descriptors.
"""

from __future__ import annotations

import asyncio
import random
import sys


class State:
    open = 0
    opened = 0


async def slow_client(port: int, path: str, index: int, state: State) -> None:
    head_only = index % 2 == 0
    await asyncio.sleep(random.random() * 0.5)
    while True:
        try:
            reader, writer = await asyncio.open_connection("127.0.0.1", port)
        except OSError:
            await asyncio.sleep(0.05)
            continue
        if head_only:
            data = f"POST {path} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
        else:
            data = f'POST {path} HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n\r\n{{"encrypt": "'
        state.open += 1
        state.opened += 1
        try:
            writer.write(data.encode())
            await reader.read()  # until the server closes it
        except OSError:
            pass
        finally:
            state.open -= 1
            writer.close()
        await asyncio.sleep(random.random() * 0.4)


async def main() -> None:
    port, count, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
    try:
        import resource

        _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    except (ImportError, OSError, ValueError):
        pass
    state = State()
    tasks = [asyncio.create_task(slow_client(port, path, i, state)) for i in range(count)]
    while state.opened < count:
        await asyncio.sleep(0.01)
    print("ready", flush=True)
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while await reader.readline():
        print(state.open, state.opened, flush=True)
    for task in tasks:
        task.cancel()


if __name__ == "__main__":
    asyncio.run(main())
