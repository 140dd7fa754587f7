"""
Tests of websockets.testing: the virtual clock, the in-memory link, faults.

Each fault is cross-checked once against real sockets: the same scenario runs
in memory on the virtual clock, and over TCP on 127.0.0.1 in real time with
short timeouts, and both must end with the same close codes and causes.

"""

import asyncio
import contextlib
import http
import socket
import struct
import time
import unittest
from typing import Any, AsyncIterator, Awaitable, Callable, List, Optional, Tuple

import pytest

from websockets import testing
from websockets.client import WebSocketClientProtocol, connect
from websockets.connection import CLOSED, CloseReason
from websockets.exceptions import (
    ConnectionClosedError,
    InvalidStatusCode,
)
from websockets.framing import OP_BINARY, OP_CLOSE, OP_TEXT, Frame
from websockets.http import Headers
from websockets.protocol import WebSocketCommonProtocol
from websockets.server import WebSocketServerProtocol, serve
from websockets.testing import (
    DeadlineExceeded,
    FrameRecorder,
    Link,
    TestServer,
    VirtualClockLoop,
    VirtualClockPolicy,
    VirtualClockTestCase,
    virtual_clock,
)


def now() -> float:
    return asyncio.get_running_loop().time()


async def echo(ws: WebSocketServerProtocol, path: str) -> None:
    async for message in ws:
        await ws.send(message)


async def wait_closed(ws: WebSocketServerProtocol, path: str) -> None:
    await ws.wait_closed()


# Virtual clock.


@virtual_clock
async def test_sleep_takes_no_time() -> None:
    assert isinstance(asyncio.get_running_loop(), VirtualClockLoop)
    start = time.monotonic()
    await asyncio.sleep(3600)
    assert now() == 3600
    assert time.monotonic() - start < 1


@virtual_clock
async def test_timers_fire_in_order_at_their_time() -> None:
    fired: List[Tuple[str, float]] = []
    loop = asyncio.get_running_loop()
    loop.call_later(2, lambda: fired.append(("b", now())))
    loop.call_later(1, lambda: fired.append(("a", now())))
    await asyncio.sleep(3)
    assert fired == [("a", 1), ("b", 2)]


@virtual_clock
async def test_wait_for_times_out_on_the_virtual_clock() -> None:
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(never, 10)
    assert now() == 10


def test_virtual_clock_keeps_fixtures(tmp_path: Any) -> None:
    @virtual_clock
    async def check(path: Any) -> Any:
        await asyncio.sleep(1)
        return path

    assert check(tmp_path) is tmp_path


def test_run_cancels_leftover_tasks() -> None:
    cancelled: List[bool] = []

    async def forever() -> None:
        try:
            await asyncio.sleep(10**6)
        except asyncio.CancelledError:
            cancelled.append(True)
            raise

    async def main() -> int:
        task = asyncio.ensure_future(forever())
        await asyncio.sleep(0)
        assert not task.done()
        return 42

    assert testing.run(main()) == 42
    assert cancelled == [True]


def test_deadline_names_a_stuck_test() -> None:
    async def stuck() -> None:
        # No timer and no I/O: nothing can ever wake this up.
        await asyncio.get_running_loop().create_future()

    with pytest.raises(DeadlineExceeded, match="test ran for more than 0.05 s"):
        testing.run(stuck(), deadline=0.05)


def test_real_io_wakes_up_the_loop() -> None:
    async def main() -> bytes:
        loop = asyncio.get_running_loop()
        rsock, wsock = socket.socketpair()
        with rsock, wsock:
            rsock.setblocking(False)
            loop.call_soon(wsock.send, b"x")
            return await loop.sock_recv(rsock, 1)

    assert testing.run(main(), deadline=None) == b"x"


def test_policy_makes_virtual_clock_loops() -> None:
    loop = VirtualClockPolicy(deadline=None).new_event_loop()
    try:
        assert isinstance(loop, VirtualClockLoop)
        assert loop.time() == 0
    finally:
        loop.close()


class VirtualClockTestCaseTests(VirtualClockTestCase):
    async def asyncSetUp(self) -> None:
        await asyncio.sleep(5)

    async def test_runs_on_the_virtual_clock(self) -> None:
        self.assertIsInstance(asyncio.get_running_loop(), VirtualClockLoop)
        await asyncio.sleep(60)
        self.assertEqual(now(), 65)

    async def test_in_memory_connection(self) -> None:
        async with TestServer(echo) as server:
            async with server.connect() as client:
                await client.send("spam")
                self.assertEqual(await client.recv(), "spam")


def test_policy_is_restored_after_a_virtual_clock_test_case() -> None:
    policy = asyncio.get_event_loop_policy()
    suite = unittest.defaultTestLoader.loadTestsFromTestCase(VirtualClockTestCaseTests)
    result = unittest.TestResult()
    suite.run(result)
    assert result.wasSuccessful(), result.errors + result.failures
    assert result.testsRun == 2
    assert asyncio.get_event_loop_policy() is policy


# Recorder.


def test_recorder_parses_head_then_frames() -> None:
    recorder = FrameRecorder(mask=False)
    data = (
        b"HTTP/1.1 101 Switching Protocols\r\n\r\n\x81\x02hi\xc1\x01x\x88\x02\x03\xe8"
    )
    for i in range(len(data)):
        recorder.feed(data[i : i + 1])
    assert recorder.head == b"HTTP/1.1 101 Switching Protocols\r\n\r\n"
    assert recorder.frames == [
        Frame(True, OP_TEXT, b"hi"),
        Frame(True, OP_TEXT, b"x", rsv1=True),
        Frame(True, OP_CLOSE, b"\x03\xe8"),
    ]
    assert recorder.size == len(data)
    assert recorder.error is None


def test_recorder_stops_at_http_error_and_invalid_frames() -> None:
    recorder = FrameRecorder(mask=False)
    recorder.feed(b"HTTP/1.1 403 Forbidden\r\n\r\n\x81\x02hi")
    assert recorder.frames == []
    assert isinstance(recorder.error, ValueError)
    recorder = FrameRecorder(mask=True)
    recorder.feed(b"GET / HTTP/1.1\r\n\r\n\x81\x02hi")
    assert recorder.frames == []
    assert recorder.error is not None
    recorder.feed(b"more")
    assert recorder.size == 26


# In-memory server and client.


@virtual_clock
async def test_conversation_with_real_protocols() -> None:
    async with TestServer(echo, compression=None) as server:
        link = Link()
        async with server.connect("ws://example.com/chat", link=link) as client:
            assert isinstance(client, WebSocketClientProtocol)
            assert isinstance(link.server, WebSocketServerProtocol)
            assert link.client is client
            assert server.connections == {link.server}
            assert link.server.path == "/chat"
            assert client.request_headers["Host"] == "example.com"
            await client.send("hello")
            assert await client.recv() == "hello"
            await client.send(b"\x00" * 100_000)
            assert await client.recv() == b"\x00" * 100_000
        assert client.close_code == 1000
        await link.server.wait_closed()
        assert server.connections == set()
        assert now() == 0
    masked = link.client_to_server.sent
    assert masked.head.startswith(b"GET /chat HTTP/1.1\r\n")
    assert [frame.opcode for frame in masked.frames] == [OP_TEXT, OP_BINARY, OP_CLOSE]
    assert masked.frames[0].data == b"hello"
    unmasked = link.server_to_client.received
    assert unmasked.head.startswith(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert unmasked.frames[0] == Frame(True, OP_TEXT, b"hello")


@virtual_clock
async def test_compression_is_negotiated_and_recorded() -> None:
    async with TestServer(echo) as server:
        link = Link()
        async with server.connect(link=link) as client:
            await client.send("a" * 1000)
            assert await client.recv() == "a" * 1000
            assert client.extensions and link.server.extensions
    frame = link.client_to_server.sent.frames[0]
    assert frame.rsv1 and len(frame.data) < 1000


@virtual_clock
async def test_clients_get_addresses_of_their_own() -> None:
    async with TestServer(wait_closed) as server:
        first = await server.connect()
        second = await server.connect()
        assert first.remote_address == second.remote_address == ("127.0.0.1", 8765)
        assert first.local_address != second.local_address
        assert server.links[0].server.remote_address == first.local_address
        await first.close()
        await second.close()


@virtual_clock
async def test_server_close_sends_1001() -> None:
    server = TestServer(wait_closed)
    client = await server.connect()
    server.close()
    await server.wait_closed()
    await client.wait_closed()
    assert client.close_code == 1001
    assert server.server.sockets is None
    with pytest.raises(ConnectionRefusedError):
        await server.connect()


@virtual_clock
async def test_refuse_connections() -> None:
    async with TestServer(wait_closed) as server:
        server.refuse_connections = True
        with pytest.raises(ConnectionRefusedError, match="Connection refused"):
            await server.connect()
        server.refuse_connections = False
        async with server.connect():
            pass


def test_unexpected_arguments() -> None:
    with pytest.raises(TypeError, match="unexpected arguments: ssl"):
        TestServer(echo, ssl=True)
    server = TestServer(echo)
    with pytest.raises(TypeError, match="unexpected arguments: sock"):
        server.connect(sock=None)
    listener = server.server.server
    assert listener is not None
    with pytest.raises(NotImplementedError):
        testing.run(listener.serve_forever())
    testing.run(listener.start_serving())
    assert isinstance(testing.run(get_loop(listener)), VirtualClockLoop)


async def get_loop(listener: Any) -> Any:
    return listener.get_loop()


@virtual_clock
async def test_rejected_handshake() -> None:
    async def forbid(path: str, headers: Headers) -> Any:
        return http.HTTPStatus.FORBIDDEN, [], b"go away\n"

    async with TestServer(echo, process_request=forbid) as server:
        link = Link()
        with pytest.raises(InvalidStatusCode) as raised:
            await server.connect(link=link)
        assert raised.value.status_code == 403
        await link.client.wait_closed()
        assert link.server_to_client.received.error is not None


@virtual_clock
async def test_redirect_opens_a_new_connection() -> None:
    async def redirect(path: str, headers: Headers) -> Any:
        if path == "/old":
            return http.HTTPStatus.FOUND, [("Location", "/new")], b""
        return None

    async with TestServer(wait_closed, process_request=redirect) as server:
        async with server.connect("ws://localhost/old") as client:
            assert client.path == "/new"
        assert len(server.links) == 2


@virtual_clock
async def test_link_cannot_connect_twice() -> None:
    link = Link()
    with pytest.raises(RuntimeError, match="isn't connected"):
        assert link.client
    with pytest.raises(RuntimeError, match="isn't connected"):
        assert link.server
    async with TestServer(wait_closed) as server:
        async with server.connect(link=link):
            with pytest.raises(RuntimeError, match="already connected"):
                link.connect(link.client, link.server)


# Timeouts on the virtual clock.


@virtual_clock
async def test_client_open_timeout_when_server_stalls() -> None:
    async with TestServer(wait_closed) as server:
        link = Link()
        link.client_to_server.stall()
        with pytest.raises(asyncio.TimeoutError):
            await server.connect(link=link, open_timeout=10)
        assert now() == 10


@virtual_clock
async def test_server_open_timeout_when_request_never_arrives() -> None:
    async with TestServer(wait_closed, open_timeout=10, close_timeout=5) as server:
        link = Link()
        link.client_to_server.stall()
        with pytest.raises(Exception, match="did not receive a valid HTTP response"):
            await server.connect(link=link, open_timeout=None)
        # The server drops the connection after open_timeout...
        assert now() == 10
        assert link.server.close_cause is CloseReason.PROTOCOL_ERROR
        # ... and aborts it when the client doesn't close: it stalled.
        await link.server.wait_closed()
        assert now() == 15


async def keepalive_scenario(
    memory: bool, interval: float, close_timeout: float
) -> Tuple[Any, ...]:
    """The server stops reading: the client's keepalive ping times out."""
    server_kwargs = dict(ping_interval=None, close_timeout=close_timeout)
    client_kwargs = dict(
        ping_interval=interval, ping_timeout=interval, close_timeout=close_timeout
    )
    async with open_pair(memory, wait_closed, server_kwargs, client_kwargs) as (
        client,
        server,
        link,
    ):
        if link is not None:
            link.client_to_server.stall()
        else:
            assert server.transport is not None
            server.transport.pause_reading()
        await client.wait_closed()
        if link is not None:
            link.client_to_server.resume()
        else:
            assert server.transport is not None
            server.transport.resume_reading()
        await server.wait_closed()
        return (client.close_code, client.close_cause, server.close_code)


def test_keepalive_timeout_in_memory_matches_real_socket() -> None:
    start = time.monotonic()

    async def in_memory() -> Tuple[Any, ...]:
        result = await keepalive_scenario(True, interval=20, close_timeout=10)
        # Ping after 20 s, timeout after 20 more; the server never answers
        # the close frame: 10 s more.
        assert now() == 50
        return result

    memory = testing.run(in_memory())
    assert time.monotonic() - start < 1
    real = run_real(keepalive_scenario(False, interval=0.05, close_timeout=0.05))
    # The client failed the connection with 1011 and saw no Close frame:
    # 1006 (RFC 6455 7.1.5); the server received its Close frame.
    assert memory == real == (1006, CloseReason.KEEPALIVE_TIMEOUT, 1011)


# Helpers for scenarios that run in memory and over real sockets.


def run_real(coro: Awaitable[Any]) -> Any:
    """Run ``coro`` on a real event loop with a deadline."""
    return asyncio.run(asyncio.wait_for(coro, 10))


@contextlib.asynccontextmanager
async def open_pair(
    memory: bool,
    handler: Callable[[WebSocketServerProtocol, str], Awaitable[Any]],
    server_kwargs: Any,
    client_kwargs: Any,
) -> AsyncIterator[
    Tuple[WebSocketClientProtocol, WebSocketServerProtocol, Optional[Link]]
]:
    """A connected client and server, in memory with a link or over TCP."""
    if memory:
        async with TestServer(handler, **server_kwargs) as test_server:
            link = Link()
            client = await test_server.connect(link=link, **client_kwargs)
            server = link.server
            assert isinstance(server, WebSocketServerProtocol)
            yield client, server, link
        return
    async with serve(handler, "127.0.0.1", 0, **server_kwargs) as real_server:
        port = real_server.sockets[0].getsockname()[1]  # type: ignore[index]
        client = await connect(f"ws://127.0.0.1:{port}/", **client_kwargs)
        (server,) = real_server.websockets
        yield client, server, None


def linger_zero(ws: WebSocketCommonProtocol) -> None:
    """Make closing the socket of ``ws`` send a reset."""
    assert ws.transport is not None
    sock = ws.transport.get_extra_info("socket")
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))


async def drop_scenario(memory: bool, reset: bool) -> Tuple[Any, ...]:
    """The client's connection drops in the middle of a frame."""
    received: List[Any] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        try:
            received.append(await ws.recv())
        except ConnectionClosedError as exc:
            received.append(exc.code)

    kwargs = dict(compression=None, ping_interval=None, close_timeout=1)
    async with open_pair(memory, handler, kwargs, kwargs) as (client, server, link):
        if link is not None:
            link.client_to_server.drop_after(3, reset=reset)
            await client.send("hello")
        else:
            if reset:
                linger_zero(client)
            assert client.transport is not None
            client.transport.write(b"\x81\x85\x00\x00\x00\x00hello"[:3])
            client.transport.abort()
        await client.wait_closed()
        await server.wait_closed()
        return (
            client.close_code,
            client.close_cause,
            server.close_code,
            server.close_cause,
            received,
        )


@pytest.mark.parametrize("reset", [False, True], ids=["eof", "reset"])
def test_drop_mid_frame_in_memory_matches_real_socket(reset: bool) -> None:
    memory = testing.run(drop_scenario(True, reset))
    real = run_real(drop_scenario(False, reset))
    transport_lost = CloseReason.TRANSPORT_LOST
    assert memory == real == (1006, transport_lost, 1006, transport_lost, [1006])


async def unread_scenario(memory: bool) -> Tuple[Any, ...]:
    """The server closes TCP with a message left unread: that's a reset."""
    kwargs = dict(compression=None, ping_interval=None, close_timeout=1)
    async with open_pair(memory, wait_closed, kwargs, kwargs) as (client, server, _):
        assert server.transport is not None
        server.transport.pause_reading()
        await client.send("unread")
        # Wait until the bytes reached the other side: a ping can't pass them.
        if memory:
            await asyncio.sleep(0)
        else:
            loop = asyncio.get_running_loop()
            sock = server.transport.get_extra_info("socket")
            await loop.run_in_executor(None, wait_readable, sock)
        server.transport.close()
        await server.wait_closed()
        with pytest.raises(ConnectionClosedError) as raised:
            await client.recv()
        return (client.close_code, type(raised.value.__cause__), server.close_code)


def wait_readable(sock: Any) -> None:
    import select

    select.select([sock.fileno()], [], [], 5)


def test_close_with_unread_data_in_memory_matches_real_socket() -> None:
    memory = testing.run(unread_scenario(True))
    real = run_real(unread_scenario(False))
    assert memory == real
    assert memory[0] == 1006


@contextlib.asynccontextmanager
async def slow_relay(
    port: int, delay: float, chunk_size: Optional[int]
) -> AsyncIterator[int]:
    """
    A TCP relay to ``port`` on 127.0.0.1 that delays what it forwards, or
    forwards it in writes of ``chunk_size`` bytes: the real-socket version of
    a link's ``delay`` and ``chunk_size``. Yield the relay's port.

    """
    loop = asyncio.get_running_loop()
    tasks: List[asyncio.Task[None]] = []

    async def forward(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        while data := await reader.read(65536):
            pieces = [data]
            if chunk_size is not None:
                pieces = [
                    data[i : i + chunk_size] for i in range(0, len(data), chunk_size)
                ]
            for piece in pieces:
                if delay:
                    loop.call_later(delay, writer.write, piece)
                else:
                    writer.write(piece)
                    await writer.drain()
        await asyncio.sleep(delay)
        writer.close()

    async def relay(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer_reader, peer_writer = await asyncio.open_connection("127.0.0.1", port)
        tasks.append(asyncio.ensure_future(forward(reader, peer_writer)))
        tasks.append(asyncio.ensure_future(forward(peer_reader, writer)))

    server = await asyncio.start_server(relay, "127.0.0.1", 0)
    try:
        yield server.sockets[0].getsockname()[1]
    finally:
        server.close()
        await server.wait_closed()
        await asyncio.gather(*tasks, return_exceptions=True)


async def slow_link_scenario(
    memory: bool, delay: float, chunk_size: Optional[int]
) -> Tuple[Any, ...]:
    """A conversation through a link with latency or small writes."""
    reads: List[int] = []
    servers: List[WebSocketServerProtocol] = []

    class Counting(WebSocketServerProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            servers.append(self)
            super().connection_made(transport)

        def data_received(self, data: bytes) -> None:
            reads.append(len(data))
            super().data_received(data)

    async def talk(client: WebSocketClientProtocol) -> Tuple[str, float]:
        loop = asyncio.get_running_loop()
        start = loop.time()
        await (await client.ping())
        latency = loop.time() - start
        await client.send("hello" * 10)
        reply = await client.recv()
        assert isinstance(reply, str)
        return reply, latency

    kwargs = dict(compression=None, ping_interval=None, create_protocol=Counting)
    if memory:
        async with TestServer(echo, **kwargs) as test_server:
            link = Link(delay=delay)
            if chunk_size is not None:
                link.client_to_server.chunk_size = chunk_size
            async with test_server.connect(link=link) as client:
                reply, latency = await talk(client)
            await servers[0].wait_closed()
    else:
        async with serve(echo, "127.0.0.1", 0, **kwargs) as real_server:
            port = real_server.sockets[0].getsockname()[1]  # type: ignore[index]
            async with slow_relay(port, delay, chunk_size) as relay_port:
                uri = f"ws://127.0.0.1:{relay_port}/"
                async with connect(uri, compression=None) as client:
                    reply, latency = await talk(client)
                await servers[0].wait_closed()
    close_codes = (client.close_code, servers[0].close_code)
    return reply, close_codes, latency, max(reads)


def test_delay_in_memory_matches_real_socket() -> None:
    memory = testing.run(slow_link_scenario(True, delay=0.05, chunk_size=None))
    real = run_real(slow_link_scenario(False, delay=0.05, chunk_size=None))
    # A round trip takes at least twice the delay: exactly on the virtual
    # clock, a bit more over TCP.
    assert memory[2] == 0.1
    assert real[2] >= 0.1
    assert memory[:2] == real[:2] == ("hello" * 10, (1000, 1000))


def test_chunk_size_in_memory_matches_real_socket() -> None:
    memory = testing.run(slow_link_scenario(True, delay=0, chunk_size=1))
    real = run_real(slow_link_scenario(False, delay=0, chunk_size=1))
    assert memory[:2] == real[:2] == ("hello" * 10, (1000, 1000))
    # In memory, the server reads one byte at a time; over TCP, the kernel
    # may coalesce small segments when the reader is slower than the writer.
    assert memory[3] == 1


# Faults.


@pytest.mark.parametrize(
    "kwargs", [{"chunk_size": 0}, {"chunk_size": None}, {"delay": -1}]
)
def test_link_rejects_invalid_settings(kwargs: Any) -> None:
    with pytest.raises(ValueError):
        Link(**kwargs)


@virtual_clock
async def test_delay() -> None:
    async with TestServer(echo) as server:
        link = Link(delay=0.5)
        async with server.connect(link=link) as client:
            # Handshake: request and response, 0.5 s each.
            assert now() == 1
            await client.send("ping")
            assert await client.recv() == "ping"
            assert now() == 2
            link.server_to_client.delay = 0
            await client.send("ping")
            assert await client.recv() == "ping"
            assert now() == 2.5


@virtual_clock
async def test_chunk_size_splits_writes() -> None:
    received: List[int] = []

    class Counting(WebSocketServerProtocol):
        def data_received(self, data: bytes) -> None:
            received.append(len(data))
            super().data_received(data)

    async with TestServer(echo, create_protocol=Counting) as server:
        link = Link(chunk_size=1)
        async with server.connect(link=link) as client:
            await client.send("hello")
            assert await client.recv() == "hello"
    assert set(received) == {1}
    assert len(received) == link.client_to_server.received.size


@virtual_clock
async def test_stalled_peer_makes_sender_wait() -> None:
    async with TestServer(echo, max_size=None) as server:
        link = Link()
        async with server.connect(link=link, max_size=None, compression=None) as client:
            link.client_to_server.stall()
            sending = asyncio.ensure_future(client.send(bytes(2**20)))
            await asyncio.sleep(1)
            assert not sending.done()
            assert client.transport is not None
            assert client.transport.get_write_buffer_size() == 2**20 + 14 - 2**16
            link.client_to_server.resume()
            await sending
            assert await client.recv() == bytes(2**20)


@virtual_clock
async def test_max_queue_pauses_reading_and_fills_the_sender_buffer() -> None:
    async with TestServer(wait_closed, max_queue=1) as server:
        link = Link(capacity=0)
        async with server.connect(
            link=link, compression=None, write_limit=100
        ) as client:
            await client.send("first")
            sending = asyncio.ensure_future(client.send("x" * 200))
            await asyncio.sleep(1)
            assert not sending.done()
            assert not link.server.transport.is_reading()  # type: ignore[union-attr]
            assert await link.server.recv() == "first"
            await sending
            assert await link.server.recv() == "x" * 200


@virtual_clock
async def test_drop_after_zero_bytes_drops_now() -> None:
    async with TestServer(wait_closed) as server:
        link = Link()
        client = await server.connect(link=link)
        link.server_to_client.drop_after(0)
        await client.wait_closed()
        await link.server.wait_closed()
        assert (client.close_code, link.server.close_code) == (1006, 1006)


@pytest.mark.parametrize("reset", [False, True], ids=["eof", "reset"])
@virtual_clock
async def test_network_drops_the_connection(reset: bool) -> None:
    async with TestServer(wait_closed) as server:
        link = Link()
        client = await server.connect(link=link)
        link.drop(reset=reset)
        with pytest.raises(ConnectionClosedError):
            await client.recv()
        await link.server.wait_closed()
        assert client.close_code == link.server.close_code == 1006
        assert client.close_cause is CloseReason.TRANSPORT_LOST
        # Writes after the drop go nowhere.
        with pytest.raises(ConnectionClosedError):
            await client.send("lost")


@virtual_clock
async def test_reset_seen_on_write_while_not_reading() -> None:
    async with TestServer(wait_closed) as server:
        link = Link()
        client = await server.connect(link=link, ping_interval=None)
        assert client.transport is not None
        client.transport.pause_reading()
        link.server.transport.abort()  # type: ignore[union-attr]
        linked = link.server_to_client
        linked.push_reset()
        await asyncio.sleep(1)
        assert client.state is not CLOSED
        client.transport.write(b"x")
        await client.wait_closed()
        assert client.close_code == 1006


@virtual_clock
async def test_write_to_closed_peer_resets() -> None:
    async with TestServer(wait_closed) as server:
        link = Link()
        client = await server.connect(link=link, ping_interval=None)
        server_transport = link.server.transport
        assert server_transport is not None and client.transport is not None
        client.transport.pause_reading()
        server_transport.abort()
        await link.server.wait_closed()
        client.transport.write(b"\x81\x80\x00\x00\x00\x00")
        client.transport.resume_reading()
        await client.wait_closed()
        assert client.close_code == 1006


# The transport's own API.


@virtual_clock
async def test_transport_api() -> None:
    async with TestServer(wait_closed) as server:
        async with server.connect() as client:
            transport = client.transport
            assert isinstance(transport, testing.MemoryTransport)
            assert transport.can_write_eof()
            assert transport.get_write_buffer_limits() == (2**14, 2**16)
            transport.set_write_buffer_limits(low=100)
            assert transport.get_write_buffer_limits() == (100, 400)
            transport.set_write_buffer_limits(high=100)
            assert transport.get_write_buffer_limits() == (25, 100)
            with pytest.raises(ValueError):
                transport.set_write_buffer_limits(high=1, low=2)
            transport.pause_reading()
            transport.pause_reading()
            assert not transport.is_reading()
            transport.resume_reading()
            transport.resume_reading()
            assert transport.is_reading()
            transport.write(b"")
        assert transport.is_closing()
        transport.write(b"ignored")
        transport.close()
        transport.write_eof()
        transport.resume_reading()
        assert not transport.is_reading()


@virtual_clock
async def test_write_after_write_eof() -> None:
    async with TestServer(wait_closed) as server:
        client = await server.connect()
        assert client.transport is not None
        client.transport.write_eof()
        with pytest.raises(RuntimeError, match="after write_eof"):
            client.transport.write(b"x")
        await client.wait_closed()


@virtual_clock
async def test_delayed_bytes_truncated_by_abort() -> None:
    async with TestServer(wait_closed) as server:
        link = Link(capacity=4)
        client = await server.connect(link=link, compression=None, ping_interval=None)
        link.client_to_server.stall()
        link.client_to_server.delay = 1
        await client.send("a")
        await client.send("bb")
        assert client.transport is not None
        client.transport.abort()
        assert link.client_to_server.pending == 4
        link.client_to_server.resume()
        await link.server.wait_closed()
        assert link.server.close_code == 1006
