"""
Load: one server holds 5,000 concurrent connections and messages them all.

The clients are ours, in the same process, without compression or keepalive,
connecting in batches. The test reports the memory that a connection costs,
both ends together: :mod:`tracemalloc` on the last batch of connections,
which is precise, and the growth of the resident set size for all of them,
which includes what tracemalloc doesn't see. It's printed (``pytest -s``)
and recorded in the ``user_properties`` of the test's report (``--junitxml``
writes them with ``junit_family=xunit1``). Nothing is timed.

"""

import asyncio
import contextlib
import os
import sys
import tracemalloc
from typing import Any, Callable, Dict, Iterator, List, Set

import pytest

from websockets.client import WebSocketClientProtocol, connect
from websockets.server import WebSocketServerProtocol, serve


resource = pytest.importorskip("resource")

CONNECTIONS = 5000
BATCH = 250
# File descriptors: both ends of each connection, and some to spare.
NEEDED_FDS = 2 * CONNECTIONS + 200

# Options of the server and of the clients.
OPTIONS: Dict[str, Any] = dict(compression=None, ping_interval=None)

# A generous bound, both ends of a connection together.
MAX_MEMORY_PER_CONNECTION = 64 * 1024

# A hang fails the test rather than the whole run.
DEADLINE = 120


@contextlib.contextmanager
def file_descriptors(needed: int) -> Iterator[None]:
    """Raise the soft limit of open files to the hard limit, if it's needed."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != resource.RLIM_INFINITY and hard < needed:
        pytest.skip(
            f"this test needs {needed} file descriptors; "
            f"the hard limit of RLIMIT_NOFILE is {hard}"
        )
    if soft != resource.RLIM_INFINITY and soft < needed:
        limit = needed if hard == resource.RLIM_INFINITY else hard
        resource.setrlimit(resource.RLIMIT_NOFILE, (limit, hard))
    try:
        yield
    finally:
        resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def resident_set_size() -> int:
    """Resident set size of this process in bytes, or 0 if it isn't known."""
    try:
        with open("/proc/self/statm") as statm:
            pages = int(statm.read().split()[1])
    except OSError:  # pragma: no cover
        return 0
    return pages * os.sysconf("SC_PAGE_SIZE")


async def in_batches(
    count: int, make: Callable[[int], Any], batch: int = BATCH
) -> List[Any]:
    """Await ``make(index)`` for each index, ``batch`` at a time."""
    results: List[Any] = []
    for start in range(0, count, batch):
        stop = min(start + batch, count)
        results += await asyncio.gather(*[make(index) for index in range(start, stop)])
    return results


async def hold_connections(count: int) -> Dict[str, int]:
    """Open ``count`` connections, send a message on each, drop them."""
    connections: Set[WebSocketServerProtocol] = set()
    all_connected = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        connections.add(ws)
        if len(connections) == count:
            all_connected.set()
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, backlog=1024, **OPTIONS) as server:
        assert server.sockets
        port = server.sockets[0].getsockname()[1]
        uri = f"ws://127.0.0.1:{port}/"

        async def connect_one(index: int) -> WebSocketClientProtocol:
            return await connect(uri, **OPTIONS)

        # All connections but the last batch, then the last batch, traced.
        traced = min(BATCH, count)
        rss_before = resident_set_size()
        clients = await in_batches(count - traced, connect_one)
        tracemalloc.start()
        try:
            clients += await in_batches(traced, connect_one)
            # Handlers start once their opening handshake is complete.
            await all_connected.wait()
            traced_memory = tracemalloc.get_traced_memory()[0]
        finally:
            tracemalloc.stop()
        rss_after = resident_set_size()
        assert len(server.websockets) == count

        # The server sends a message to every client.
        for ws in connections:
            await ws.send("hello")

        async def receive(index: int) -> Any:
            return await clients[index].recv()

        assert await in_batches(count, receive) == ["hello"] * count

        # Drop the connections: 5,000 closing handshakes would cost as much
        # time as the opening handshakes, and they're tested elsewhere.
        for client in clients:
            assert client.transport is not None
            client.transport.abort()
        await in_batches(count, lambda index: clients[index].wait_closed())

    return {
        "connections": count,
        "traced_bytes_per_connection": traced_memory // traced,
        "rss_bytes_per_connection": max(rss_after - rss_before, 0) // count,
    }


@pytest.mark.slow
@pytest.mark.skipif(sys.platform == "win32", reason="needs POSIX resource limits")
def test_server_holds_5000_connections(request: pytest.FixtureRequest) -> None:
    with file_descriptors(NEEDED_FDS):
        # Debug mode, on in `make test`, records a traceback for every
        # callback: it would measure itself rather than websockets.
        results = asyncio.run(
            asyncio.wait_for(hold_connections(CONNECTIONS), DEADLINE), debug=False
        )
    # Like the record_property fixture, which warns with junit_family=xunit2.
    request.node.user_properties.extend(results.items())
    print(
        f"\n{results['connections']} connections: "
        f"{results['traced_bytes_per_connection']} bytes per connection "
        f"(tracemalloc, both ends), "
        f"{results['rss_bytes_per_connection']} bytes (resident set size)"
    )
    assert results["traced_bytes_per_connection"] < MAX_MEMORY_PER_CONNECTION


def test_file_descriptors_limit_is_restored() -> None:
    before = resource.getrlimit(resource.RLIMIT_NOFILE)
    with file_descriptors(before[0]):
        pass
    assert resource.getrlimit(resource.RLIMIT_NOFILE) == before
