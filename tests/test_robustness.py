"""
Robustness against hostile, broken, slow and vanishing peers, end to end.

Servers listen on 127.0.0.1, port 0. Three kinds of abuse:

* Handshake abuse from raw TCP clients: endless header lines, too many
  headers, a request line of megabytes, one byte at a time, garbage, a TLS
  ClientHello. The server answers 400 or 431, or drops the connection, and
  keeps serving other clients meanwhile and afterwards.
* Frame abuse from raw TCP clients that complete the opening handshake by
  hand, then send crafted frames. The test reads the close frame that the
  server sends back and checks its code (RFC 6455 7.4.1).
* Slow and vanished peers: a consumer that never reads, a peer that vanishes
  in the middle of a frame, a server shut down with messages in flight.

Memory is measured with :mod:`tracemalloc` in this process, which runs the
server: the peak of what's allocated during the abuse. Bounds are generous
and don't depend on the speed of the machine. Nothing is timed: tests wait
for events, e.g. the server pausing reading, never for a duration.

"""

import asyncio
import contextlib
import os
import random
import socket
import ssl
import struct
import tracemalloc
from types import TracebackType
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    List,
    Optional,
    Tuple,
    Type,
    cast,
)

import pytest

from websockets.client import connect
from websockets.connection import SERVER, Connection
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidMessage,
    InvalidStatusCode,
    PayloadTooBig,
    ProtocolError,
    SecurityError,
)
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_TEXT,
    Frame,
    parse_close,
    serialize_frame,
)
from websockets.handshake import (
    build_request as build_handshake_request,
    check_response,
)
from websockets.http import (
    Headers,
    LineReader,
    build_request,
    parse_request,
    parse_response,
)
from websockets.server import WebSocketServer, WebSocketServerProtocol, serve

from .utils import async_test


KiB = 1024
MiB = 1024 * KiB

# Options of every server, unless a test says otherwise: no compression and no
# keepalive, so that only the test's frames go on the wire, and a short close
# timeout, since raw clients don't always close properly.
OPTIONS: Dict[str, Any] = dict(compression=None, ping_interval=None, close_timeout=1)


# Helpers: memory.


class MemoryPeak:
    """
    Measure the peak of memory allocated in this process while a block runs.

    Only allocations made inside the block count: prepare large inputs before.

    """

    peak = 0

    def __enter__(self) -> "MemoryPeak":
        self.was_tracing = tracemalloc.is_tracing()
        if self.was_tracing:  # pragma: no cover
            tracemalloc.clear_traces()
        else:
            tracemalloc.start()
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.peak = tracemalloc.get_traced_memory()[1]
        if not self.was_tracing:
            tracemalloc.stop()


# Helpers: servers.


async def echo(ws: WebSocketServerProtocol, path: str) -> None:
    async for message in ws:
        await ws.send(message)


async def never_reads(ws: WebSocketServerProtocol, path: str) -> None:
    await ws.wait_closed()


class Receiver:
    """Connection handler that receives until the connection closes."""

    def __init__(self) -> None:
        self.messages: List[Any] = []
        self.closed: Optional[ConnectionClosed] = None
        self.ws: Optional[WebSocketServerProtocol] = None
        self.done = asyncio.Event()

    async def __call__(self, ws: WebSocketServerProtocol, path: str) -> None:
        self.ws = ws
        try:
            while True:
                self.messages.append(await ws.recv())
        except ConnectionClosed as exc:
            self.closed = exc
        finally:
            self.done.set()


# What makes the server fail the connection with each close code.
FAILURES: Dict[int, Type[Exception]] = {
    1002: ProtocolError,
    1007: UnicodeDecodeError,
    1009: PayloadTooBig,
}


def check_failed(receiver: Receiver, code: int) -> None:
    """
    Check that the server failed the connection with ``code``.

    It sent a close frame with ``code`` and discarded the answer: its close
    code is 1006 (RFC 6455 7.1.5), and the failure is the cause.

    """
    assert isinstance(receiver.closed, ConnectionClosedError)
    assert receiver.closed.code == 1006
    assert isinstance(receiver.closed.__cause__, FAILURES[code])
    assert receiver.ws is not None
    assert receiver.ws.conn.close_sent_code == code


class Recording(WebSocketServerProtocol):
    """
    Server protocol that records flow control after each read.

    Attributes:
        max_write_buffer: largest size of the transport's write buffer seen.
        paused: set once the protocol paused reading.
        writing_paused: set once the transport asked to pause writing.
        bytes_received: bytes received so far.

    """

    # Socket buffers set on accepted connections; small ones make the kernel
    # hold little, so that backpressure shows at once.
    sndbuf: Optional[int] = None
    rcvbuf: Optional[int] = None
    # Every connection of the server, and an event set when there's one.
    instances: List["Recording"]
    connected: asyncio.Event

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.max_write_buffer = 0
        self.paused = asyncio.Event()
        self.writing_paused = asyncio.Event()
        self.bytes_received = 0
        self.received: Optional[asyncio.Future[None]] = None
        self.instances.append(self)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        sock = transport.get_extra_info("socket")
        if self.sndbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, self.sndbuf)
        if self.rcvbuf is not None:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, self.rcvbuf)
        super().connection_made(transport)
        self.connected.set()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self.bytes_received += len(data)
        transport = self.transport
        assert transport is not None
        self.record()
        if not transport.is_reading():
            self.paused.set()
        if self.received is not None and not self.received.done():
            self.received.set_result(None)

    def pause_writing(self) -> None:
        super().pause_writing()
        self.writing_paused.set()

    def record(self) -> None:
        """Record the size of the write buffer now."""
        assert self.transport is not None
        size = self.transport.get_write_buffer_size()
        self.max_write_buffer = max(self.max_write_buffer, size)


def recording(
    sndbuf: Optional[int] = None, rcvbuf: Optional[int] = None
) -> Type[Recording]:
    """A :class:`Recording` class of its own, with these socket buffers."""

    class TestRecording(Recording):
        pass

    TestRecording.sndbuf = sndbuf
    TestRecording.rcvbuf = rcvbuf
    TestRecording.instances = []
    TestRecording.connected = asyncio.Event()
    return TestRecording


def get_port(server: WebSocketServer) -> int:
    assert server.sockets
    port: int = server.sockets[0].getsockname()[1]
    return port


def get_uri(server: WebSocketServer) -> str:
    return f"ws://127.0.0.1:{get_port(server)}/"


Handler = Callable[[WebSocketServerProtocol, str], Awaitable[None]]


def routed(handler: Handler) -> Handler:
    """Run ``handler``, except for :func:`check_server_works`: :func:`echo` then."""

    async def route(ws: WebSocketServerProtocol, path: str) -> None:
        if path == "/check":
            await echo(ws, path)
        else:
            await handler(ws, path)

    return route


async def check_server_works(server: WebSocketServer) -> None:
    """A well-behaved client connects to ``server`` and gets its message back."""
    uri = get_uri(server) + "check"
    async with connect(uri, compression=None, ping_interval=None) as ws:
        await ws.send("still serving")
        assert await ws.recv() == "still serving"


# Helpers: raw clients.


@contextlib.asynccontextmanager
async def raw_client(
    server: WebSocketServer,
    *,
    sndbuf: Optional[int] = None,
    rcvbuf: Optional[int] = None,
) -> AsyncIterator[Tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """Open a TCP connection to ``server``, with these socket buffers."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    if sndbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_SNDBUF, sndbuf)
    if rcvbuf is not None:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
    sock.setblocking(False)
    try:
        await asyncio.get_running_loop().sock_connect(
            sock, ("127.0.0.1", get_port(server))
        )
    except BaseException:  # pragma: no cover
        sock.close()
        raise
    reader, writer = await asyncio.open_connection(sock=sock)
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def handshake(
    server: WebSocketServer,
    reader: asyncio.StreamReader,
    writer: asyncio.StreamWriter,
    extensions: Optional[str] = None,
) -> Headers:
    """Perform the client side of the opening handshake by hand."""
    headers = Headers()
    headers["Host"] = f"127.0.0.1:{get_port(server)}"
    key = build_handshake_request(headers)
    if extensions is not None:
        headers["Sec-WebSocket-Extensions"] = extensions
    writer.write(build_request("/", headers))
    response = bytearray(await reader.readuntil(b"\r\n\r\n"))
    result = LineReader(parse_response()).feed(response)
    assert result is not None
    status, _, response_headers = result
    assert status == 101
    check_response(response_headers, key)
    return response_headers


def frame(
    opcode: int, data: bytes = b"", *, fin: bool = True, rsv1: bool = False
) -> bytes:
    """A masked frame from a client, unchecked: it may break the protocol."""
    return serialize_frame(Frame(fin, opcode, data, rsv1=rsv1), mask=True)


def frame_header(opcode: int, length: int) -> bytes:
    """The header of a masked frame announcing ``length`` bytes, of any size."""
    return bytes([0x80 | opcode, 0xFF]) + length.to_bytes(8, "big") + os.urandom(4)


async def read_close(reader: asyncio.StreamReader) -> Tuple[int, str]:
    """
    Read what the server sends up to its close frame, then EOF.

    Return the code and reason of the close frame.

    """
    while True:
        received = await Frame.read(reader.readexactly, mask=False)
        if received.opcode == OP_CLOSE:
            break
    assert await reader.read() == b""
    return parse_close(received.data)


async def write_all(writer: asyncio.StreamWriter, data: bytes) -> None:
    """Write ``data`` in chunks of 64 KiB, waiting for each to drain."""
    for start in range(0, len(data), 64 * KiB):
        writer.write(data[start : start + 64 * KiB])
        await writer.drain()


async def first_of(*aws: "asyncio.Future[Any]") -> "asyncio.Future[Any]":
    """Wait until one of ``aws`` completes, then cancel the others; return it."""
    done, pending = await asyncio.wait(aws, return_when=asyncio.FIRST_COMPLETED)
    for future in pending:
        future.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    (first,) = done
    return first


async def read_http_status(reader: asyncio.StreamReader) -> Optional[int]:
    """
    Read what the server sends up to EOF or a reset.

    Return the HTTP status code, or ``None`` if the server dropped the
    connection without answering.

    """
    data = b""
    with contextlib.suppress(ConnectionResetError):
        while True:
            chunk = await reader.read(64 * KiB)
            if not chunk:
                break
            data += chunk
    if not data:
        return None
    result = LineReader(parse_response()).feed(bytearray(data))
    assert result is not None, f"incomplete HTTP response: {data!r}"
    return result[0]


# Handshake abuse.


@async_test
async def test_endless_header_lines_get_431() -> None:
    # 16 MiB of header lines, in the background, unless the server answers.
    lines = b"GET / HTTP/1.1\r\n" + b"X-Spam: eggs\r\n" * (16 * MiB // 14)
    async with serve(echo, "127.0.0.1", 0, **OPTIONS) as server:
        with MemoryPeak() as memory:
            async with raw_client(server) as (reader, writer):
                flood = asyncio.ensure_future(write_all(writer, lines))
                status, _ = await asyncio.gather(
                    read_http_status(reader), check_server_works(server)
                )
                flood.cancel()
                await asyncio.gather(flood, return_exceptions=True)
        await check_server_works(server)
    # When the server closes while the client is still sending, the client's
    # kernel may get a reset before the response (RFC 7230 6.6).
    assert status in (431, None)
    assert memory.peak < 4 * MiB


@async_test
async def test_too_many_headers_get_431() -> None:
    request = b"GET / HTTP/1.1\r\n"
    request += b"".join(b"X-Header-%d: value\r\n" % index for index in range(257))
    request += b"\r\n"
    async with serve(echo, "127.0.0.1", 0, **OPTIONS) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(request)
            await check_server_works(server)
            status = await read_http_status(reader)
        await check_server_works(server)
    assert status == 431


@async_test
async def test_request_line_of_megabytes_gets_431() -> None:
    request = b"GET /" + b"a" * (4 * MiB) + b" HTTP/1.1\r\n\r\n"
    async with serve(echo, "127.0.0.1", 0, **OPTIONS) as server:
        with MemoryPeak() as memory:
            async with raw_client(server) as (reader, writer):
                flood = asyncio.ensure_future(write_all(writer, request))
                status, _ = await asyncio.gather(
                    read_http_status(reader), check_server_works(server)
                )
                flood.cancel()
                await asyncio.gather(flood, return_exceptions=True)
        await check_server_works(server)
    assert status in (431, None)
    assert memory.peak < 4 * MiB


@async_test
async def test_client_sending_one_byte_at_a_time_is_dropped_by_open_timeout() -> None:
    # Short header lines, and many of them, so that no limit is reached
    # before the timeout, even if each byte took a microsecond.
    request = b"GET / HTTP/1.1\r\n" + b"".join(
        b"X-Slow-%d: %s\r\n" % (index, b"a" * 4000) for index in range(200)
    )
    protocol = recording()
    handled = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        handled.append(ws)  # pragma: no cover

    async with serve(
        routed(handler),
        "127.0.0.1",
        0,
        open_timeout=0.5,
        create_protocol=protocol,
        **OPTIONS,
    ) as server:
        async with raw_client(server) as (reader, writer):
            await protocol.connected.wait()
            (server_side,) = protocol.instances
            eof = asyncio.ensure_future(read_http_status(reader))
            # A normal client connects while this one is trickling.
            other = asyncio.ensure_future(check_server_works(server))
            sent = 0
            for byte in request:
                # Send the next byte once the server received the previous one.
                received = asyncio.get_running_loop().create_future()
                server_side.received = received
                writer.write(bytes([byte]))
                sent += 1
                await asyncio.wait([received, eof], return_when=asyncio.FIRST_COMPLETED)
                if eof.done():
                    break
            else:  # pragma: no cover
                pytest.fail("the whole request was sent before the timeout")
            await other
            # Dropped, without an HTTP response.
            assert eof.result() is None
        await check_server_works(server)
    assert not handled
    assert sent < len(request)


# Bytes that aren't an HTTP request.
RANDOM = random.Random(42)
GARBAGE = {
    "random": bytes(RANDOM.getrandbits(8) for _ in range(10000)),
    "random-no-lf": bytes(RANDOM.choice(range(11, 256)) for _ in range(10000)),
    "nul": bytes(100_000),
    "crlf": b"\r\n" * 1000,
    "lf": b"\n" * 1000,
    "http2": b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n",
    "binary-frame": b"\x82\x85" + bytes(9),
}


@pytest.mark.parametrize("garbage", list(GARBAGE.values()), ids=list(GARBAGE))
@async_test
async def test_garbage_instead_of_http_gets_400_or_431_or_dropped(
    garbage: bytes,
) -> None:
    async with serve(echo, "127.0.0.1", 0, open_timeout=0.5, **OPTIONS) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(garbage)
            status, _ = await asyncio.gather(
                read_http_status(reader), check_server_works(server)
            )
        await check_server_works(server)
    assert status in (400, 431, None)


def client_hello() -> bytes:
    """The first bytes a TLS client sends: a ClientHello record."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context.wrap_bio(incoming, outgoing, server_hostname="localhost")
    with pytest.raises(ssl.SSLWantReadError):
        tls.do_handshake()
    return outgoing.read()


@async_test
async def test_tls_client_hello_on_plain_port_gets_400_or_431_or_dropped() -> None:
    hello = client_hello()
    assert hello[:1] == b"\x16"  # TLS handshake record
    async with serve(echo, "127.0.0.1", 0, open_timeout=0.5, **OPTIONS) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(hello)
            status, _ = await asyncio.gather(
                read_http_status(reader), check_server_works(server)
            )
        await check_server_works(server)
    assert status in (400, 431, None)


@async_test
async def test_tls_client_on_plain_port_fails_cleanly() -> None:
    # A real TLS client gets an error, and the server keeps serving.
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    async with serve(echo, "127.0.0.1", 0, open_timeout=0.5, **OPTIONS) as server:
        with pytest.raises((ssl.SSLError, ConnectionError)):
            await asyncio.open_connection(
                "127.0.0.1",
                get_port(server),
                ssl=context,
                server_hostname="localhost",
            )
        await check_server_works(server)


# Frame abuse.


@contextlib.asynccontextmanager
async def abused_server(
    handler: Handler,
    **kwargs: Any,
) -> AsyncIterator[Tuple[WebSocketServer, asyncio.StreamReader, asyncio.StreamWriter]]:
    """A server, and a raw client that completed the opening handshake."""
    options = {**OPTIONS, **kwargs}
    extensions = options.pop("client_extensions", None)
    client_options = options.pop("client_options", {})
    async with serve(routed(handler), "127.0.0.1", 0, **options) as server:
        async with raw_client(server, **client_options) as (reader, writer):
            await handshake(server, reader, writer, extensions)
            yield server, reader, writer


@pytest.mark.parametrize(
    "length, code, reason",
    [
        (2**63, 1002, "payload length with the most significant bit set"),
        (2**64 - 1, 1002, "payload length with the most significant bit set"),
        (2**63 - 1, 1009, f"frame of {2**63 - 1} bytes over max_size 65536"),
        (65537, 1009, "frame of 65537 bytes over max_size 65536"),
    ],
)
@async_test
async def test_huge_frame_length_closes_without_buffering(
    length: int, code: int, reason: str
) -> None:
    receiver = Receiver()
    payload = bytes(MiB)
    async with abused_server(receiver, max_size=2**16) as (server, reader, writer):
        with MemoryPeak() as memory:
            # The payload follows, as far as the server reads.
            writer.write(frame_header(OP_BINARY, length))
            flood = asyncio.ensure_future(write_all(writer, payload))
            assert await read_close(reader) == (code, reason)
            flood.cancel()
            await asyncio.gather(flood, return_exceptions=True)
        await receiver.done.wait()
        await check_server_works(server)
    check_failed(receiver, code)
    assert memory.peak < MiB


@async_test
async def test_flood_of_tiny_messages_pauses_reading() -> None:
    # The handler doesn't read until told: after max_queue messages, the
    # server stops reading, and TCP blocks the sender.
    message = frame(OP_BINARY, b"x")
    flood = message * (512 * KiB // len(message))
    protocol = recording(rcvbuf=16 * KiB)
    start = asyncio.Event()
    received: List[bytes] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await start.wait()
        with contextlib.suppress(ConnectionClosed):
            async for message in ws:
                received.append(cast(bytes, message))

    async with abused_server(
        handler,
        max_queue=4,
        create_protocol=protocol,
        client_options=dict(sndbuf=16 * KiB),
    ) as (server, reader, writer):
        (server_side,) = protocol.instances
        with MemoryPeak() as memory:
            sending = asyncio.ensure_future(write_all(writer, flood))
            paused = asyncio.ensure_future(server_side.paused.wait())
            done_first, _ = await asyncio.wait(
                [sending, paused], return_when=asyncio.FIRST_COMPLETED
            )
        assert done_first == {paused}, "the server read the whole flood"
        # A read from the kernel holds at most 256 KiB, then its messages:
        # megabytes for the whole flood, if the server didn't stop reading.
        assert memory.peak < 2 * MiB
        # Once the handler reads, the server reads again.
        before = server_side.bytes_received
        server_side.received = asyncio.get_running_loop().create_future()
        start.set()
        await server_side.received
        assert server_side.bytes_received > before
        assert received[:4] == [b"x"] * 4
        sending.cancel()
        await asyncio.gather(sending, return_exceptions=True)
        # Drop the rest of the flood.
        writer.transport.abort()
        await check_server_works(server)


@async_test
async def test_endless_continuation_frames_close_1009() -> None:
    chunk = bytes(1000)
    fragments = frame(OP_BINARY, chunk, fin=False) + frame(
        OP_CONT, chunk, fin=False
    ) * (2 * 2**16 // len(chunk))
    receiver = Receiver()
    async with abused_server(receiver, max_size=2**16) as (server, reader, writer):
        with MemoryPeak() as memory:
            flood = asyncio.ensure_future(write_all(writer, fragments))
            code, reason = await read_close(reader)
            await asyncio.gather(flood, return_exceptions=True)
        await receiver.done.wait()
    assert code == 1009
    assert reason == (
        "fragmented message over max_size 65536: 65000 bytes received, "
        "then frame of 1000 bytes over max_size 536"
    )
    check_failed(receiver, 1009)
    assert memory.peak < 2 * MiB


# Fragmented messages, on the Sans-I/O core: the frames above, without the
# network, so that memory is measured exactly.


def receive_in_chunks(conn: Connection, data: bytes) -> None:
    """Feed ``data`` to ``conn`` in chunks of 4 KiB, as reads from a socket."""
    for start in range(0, len(data), 4 * KiB):
        conn.receive_data(data[start : start + 4 * KiB])


def fragments(opcode: int, chunks: List[bytes], count: int) -> bytes:
    """The first ``count`` frames of a message in fragments, cycling ``chunks``."""
    first = frame(opcode, chunks[0], fin=False)
    others = [frame(OP_CONT, chunk, fin=False) for chunk in chunks]
    return first + b"".join(others[index % len(chunks)] for index in range(1, count))


MAX_SIZE = 2**14


@pytest.mark.parametrize("size", [1000, 100])
def test_fragments_up_to_max_size_use_memory_bounded_by_max_size(size: int) -> None:
    data = fragments(OP_BINARY, [bytes(size)], MAX_SIZE // size + 2)
    conn = Connection(SERVER, max_size=MAX_SIZE)
    with MemoryPeak() as memory:
        receive_in_chunks(conn, data)
    assert conn.close_code == 1006
    assert conn.close_sent_code == 1009
    # The message and a chunk of input, with copies: 30 kB; 1-byte
    # fragments take 700 kB.
    assert memory.peak < 4 * MAX_SIZE


@pytest.mark.parametrize(
    "opcode, chunks",
    [
        (OP_BINARY, [b"x"]),
        (OP_TEXT, [b"\xe2", b"\x82", b"\xac"]),  # "€", one byte at a time
    ],
    ids=["binary", "text"],
)
def test_one_byte_fragments_use_memory_bounded_by_max_size(
    opcode: int, chunks: List[bytes]
) -> None:
    data = fragments(opcode, chunks, MAX_SIZE + 3)
    conn = Connection(SERVER, max_size=MAX_SIZE)
    with MemoryPeak() as memory:
        receive_in_chunks(conn, data)
    assert conn.close_code == 1006
    assert conn.close_sent_code == 1009
    assert memory.peak < 4 * MAX_SIZE


def test_empty_continuation_frames_use_bounded_memory() -> None:
    # 120 kB of empty fragments, then the end of the message.
    data = fragments(OP_TEXT, [b""], 20_000)
    conn = Connection(SERVER, max_size=MAX_SIZE)
    with MemoryPeak() as memory:
        receive_in_chunks(conn, data)
    conn.receive_data(frame(OP_CONT, b"end"))
    assert conn.events_received() == ["end"]
    # The message is empty until its last frame: a chunk of input and its
    # copies take 11 kB; a list item per fragment, 180 kB.
    assert memory.peak < 4 * MAX_SIZE


@async_test
async def test_ping_flood_from_peer_that_never_reads_pongs() -> None:
    ping = frame(OP_PING, b"p" * 125)
    flood = ping * (2 * MiB // len(ping))
    protocol = recording(sndbuf=4 * KiB)
    async with abused_server(
        never_reads,
        create_protocol=protocol,
        client_options=dict(rcvbuf=4 * KiB),
    ) as (server, reader, writer):
        (server_side,) = protocol.instances
        with MemoryPeak() as memory:
            # Either the server stops reading pings while its pongs pile up,
            # or it keeps reading and doesn't pile them up (RFC 6455 5.5.3
            # allows answering only the most recent ping).
            sending = asyncio.ensure_future(write_all(writer, flood))
            paused = asyncio.ensure_future(server_side.paused.wait())
            await first_of(sending, paused)
        await check_server_works(server)
    # Without flow control, the pongs to 2 MiB of pings pile up: 1.9 MB.
    assert server_side.max_write_buffer < 512 * KiB
    assert memory.peak < 1.5 * MiB


def compressed(data: bytes, *fragments: int) -> bytes:
    """
    A compressed message, as a peer with permessage-deflate sends it.

    Without ``fragments``, it's one frame; else the message is cut at these
    offsets, each fragment compressed on its own.

    """
    extension = PerMessageDeflate(False, False, 15, 15)
    cuts = [0, *fragments, len(data)]
    frames = []
    for index, (start, end) in enumerate(zip(cuts, cuts[1:])):
        opcode = OP_CONT if index else OP_BINARY
        fin = end == len(data)
        encoded = extension.encode(Frame(fin, opcode, data[start:end]))
        frames.append(serialize_frame(encoded, mask=True))
    return b"".join(frames)


@pytest.mark.parametrize(
    "bomb, reason",
    [
        (
            lambda: compressed(bytes(16 * MiB)),
            "frame over 65536 bytes after decompression",
        ),
        (
            lambda: compressed(bytes(200_000), 60_000, 120_000),
            "fragmented message over max_size 65536: 60000 bytes received, "
            "then frame over 5536 bytes after decompression",
        ),
    ],
    ids=["frame", "fragments"],
)
@async_test
async def test_deflate_bomb_closes_1009(bomb: Callable[[], bytes], reason: str) -> None:
    data = bomb()
    receiver = Receiver()
    async with abused_server(
        receiver,
        compression="deflate",
        max_size=2**16,
        client_extensions="permessage-deflate",
    ) as (server, reader, writer):
        assert len(data) < 100 * KiB
        with MemoryPeak() as memory:
            writer.write(data)
            assert await read_close(reader) == (1009, reason)
        await receiver.done.wait()
    check_failed(receiver, 1009)
    # Inflating stops at max_size: 16 MiB never exist.
    assert memory.peak < 2 * MiB


# Invalid UTF-8 in a text message in fragments, and the position of the error
# in the message.
INVALID_UTF8_IDS = {
    "bad-continuation": ([b"caf\xc3", b"\x28"], 3),
    "bad-byte": ([b"\xe2\x82", b"\xac\xff"], 3),
    "surrogate": ([b"ok\xed\xa0", b"\x80"], 2),
    "extra-continuation": ([b"\xf0\x9f\x98", b"\x80", b"\x80"], 4),
    "overlong": ([b"\xc0", b"\xaf"], 0),
    "truncated": ([b"ok\xf0\x9f", b""], 2),
}
INVALID_UTF8 = list(INVALID_UTF8_IDS.values())


def fragmented_text(fragments: List[bytes]) -> bytes:
    """A text message in these fragments, from a client."""
    data = frame(OP_TEXT, fragments[0], fin=False)
    for index, fragment in enumerate(fragments[1:], 2):
        data += frame(OP_CONT, fragment, fin=index == len(fragments))
    return data


@pytest.mark.parametrize(
    "fragments, position", INVALID_UTF8, ids=list(INVALID_UTF8_IDS)
)
@async_test
async def test_invalid_utf8_split_across_fragments_closes_1007(
    fragments: List[bytes], position: int
) -> None:
    receiver = Receiver()
    async with abused_server(receiver) as (server, reader, writer):
        with MemoryPeak() as memory:
            writer.write(fragmented_text(fragments))
            code, reason = await read_close(reader)
        await receiver.done.wait()
    assert memory.peak < MiB
    assert code == 1007
    assert reason.startswith("invalid UTF-8 at position ")
    assert receiver.messages == []
    check_failed(receiver, 1007)


@pytest.mark.parametrize(
    "fragments, position",
    # In the other cases, the position happens to be right.
    [
        INVALID_UTF8_IDS[name]
        for name in ["bad-continuation", "surrogate", "extra-continuation", "truncated"]
    ],
)
def test_invalid_utf8_reason_gives_position_in_message(
    fragments: List[bytes], position: int
) -> None:
    conn = Connection(SERVER)
    conn.receive_data(fragmented_text(fragments))
    assert conn.close_code == 1006
    assert conn.close_sent_code == 1007
    assert conn.close_sent_reason == f"invalid UTF-8 at position {position}"


@pytest.mark.parametrize(
    "payload, code, reason",
    [
        *[
            (code.to_bytes(2, "big"), 1002, f"invalid status code: {code}")
            for code in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]
        ],
        (b"\x03", 1002, "close frame payload of 1 byte: too short for a code"),
        (b"\x03\xe8\xff", 1007, "invalid UTF-8 at position 0"),
    ],
)
@async_test
async def test_invalid_close_frame_gets_close_code_of_rfc(
    payload: bytes, code: int, reason: str
) -> None:
    receiver = Receiver()
    async with abused_server(receiver) as (server, reader, writer):
        with MemoryPeak() as memory:
            writer.write(frame(OP_CLOSE, payload))
            assert await read_close(reader) == (code, reason)
        await receiver.done.wait()
    assert memory.peak < MiB
    check_failed(receiver, code)


# Slow and vanished peers.


@async_test
async def test_consumer_that_never_reads_blocks_the_sender() -> None:
    # The server sends 2 MiB; the client doesn't read: backpressure goes
    # through TCP to the server's send(), which waits.
    count, size = 128, 16 * KiB
    sent = []
    sender_memory = []
    protocol = recording(sndbuf=16 * KiB)

    async def producer(ws: WebSocketServerProtocol, path: str) -> None:
        assert isinstance(ws, Recording)
        for index in range(count):
            await ws.send(index.to_bytes(4, "big") * (size // 4))
            ws.record()
            sent.append(index)
        sender_memory.append(ws.max_write_buffer)

    async with serve(
        producer, "127.0.0.1", 0, create_protocol=protocol, **OPTIONS
    ) as server:
        # Small socket buffers: the kernel holds little of the 2 MiB.
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 16 * KiB)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(
            sock, ("127.0.0.1", get_port(server))
        )
        with MemoryPeak() as memory:
            async with connect(
                get_uri(server),
                sock=sock,
                compression=None,
                ping_interval=None,
                max_queue=2,
            ) as client:
                (server_side,) = protocol.instances
                await server_side.writing_paused.wait()
                # send() waits for the buffer to drain: the producer is stuck.
                assert len(sent) < count
                # One frame over the high-water mark at most.
                limit = server_side.write_limit + size + 4
                assert server_side.max_write_buffer <= limit
                waiting = memory_now()
                # Once the client reads, everything arrives, in order.
                for index in range(count):
                    message = await client.recv()
                    assert message[:4] == index.to_bytes(4, "big")
    assert sent == list(range(count))
    assert sender_memory[0] <= 2**16 + size + 4
    assert waiting < MiB
    assert memory.peak < 1.5 * MiB


def memory_now() -> int:
    """Memory allocated now, since tracing started."""
    return tracemalloc.get_traced_memory()[0]


@pytest.mark.parametrize("reset", [False, True], ids=["fin", "rst"])
@async_test
async def test_peer_vanishing_mid_frame_closes_1006(reset: bool) -> None:
    receiver = Receiver()
    protocol = recording()
    async with abused_server(receiver, create_protocol=protocol) as (
        server,
        reader,
        writer,
    ):
        (server_side,) = protocol.instances
        hello = frame(OP_TEXT, b"hello")
        expected = server_side.bytes_received + len(hello) + 100
        writer.write(hello + frame(OP_BINARY, bytes(1000))[:100])
        # Vanish once the server has received the first 100 bytes of a frame.
        while server_side.bytes_received < expected:
            server_side.received = asyncio.get_running_loop().create_future()
            await server_side.received
        if reset:
            # SO_LINGER with a zero timeout: closing sends RST.
            sock = writer.get_extra_info("socket")
            linger = struct.pack("ii", 1, 0)
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, linger)
            writer.transport.abort()
        else:
            writer.close()
        # The handler's recv() raises, and the handler returns.
        await receiver.done.wait()
        await server_side.wait_closed()
        await check_server_works(server)
    assert receiver.messages == ["hello"]
    assert isinstance(receiver.closed, ConnectionClosedError)
    assert receiver.closed.code == 1006
    assert server_side.close_code == 1006


@async_test
async def test_server_shutdown_loses_no_message_sent_to_clients() -> None:
    # Handlers send as fast as they can; the server shuts down while
    # thousands of messages are in flight. Every message that send()
    # accepted arrives; the next send() raises.
    clients, limit = 4, 50_000
    sent: Dict[str, int] = {}
    errors: List[BaseException] = []

    async def producer(ws: WebSocketServerProtocol, path: str) -> None:
        count = 0
        try:
            while count < limit:
                await ws.send(f"{path}:{count}")
                count += 1
                if count % 100 == 0:
                    await asyncio.sleep(0)  # let other tasks run
        except ConnectionClosed as exc:
            errors.append(exc)
        finally:
            sent[path] = count

    async def consumer(uri: str, started: asyncio.Event) -> int:
        count = 0
        async with connect(uri, compression=None, ping_interval=None) as ws:
            try:
                while True:
                    message = await ws.recv()
                    assert message == f"{ws.path}:{count}"
                    count += 1
                    if count == 1000:
                        started.set()
            except ConnectionClosedOK as exc:
                assert exc.code == 1001
        return count

    server = await serve(producer, "127.0.0.1", 0, **OPTIONS)
    events = [asyncio.Event() for _ in range(clients)]
    tasks = [
        asyncio.ensure_future(consumer(f"{get_uri(server)}{index}", events[index]))
        for index in range(clients)
    ]
    for event in events:
        await event.wait()
    server.close()
    await server.wait_closed()
    received = await asyncio.gather(*tasks)
    assert len(errors) == clients
    assert all(isinstance(exc, ConnectionClosedOK) for exc in errors)
    assert received == [sent[f"/{index}"] for index in range(clients)]
    # The shutdown happened while messages were in flight.
    assert all(1000 <= count < limit for count in received)


@async_test
async def test_server_shutdown_loses_no_message_sent_by_clients() -> None:
    clients, limit = 4, 50_000
    received: Dict[str, int] = {}
    started = [asyncio.Event() for _ in range(clients)]

    async def counter(ws: WebSocketServerProtocol, path: str) -> None:
        count = 0
        try:
            async for message in ws:
                assert message == f"{path}:{count}"
                count += 1
                if count == 1000:
                    started[int(path[1:])].set()
        finally:
            received[path] = count

    async def producer(uri: str) -> Tuple[int, BaseException]:
        count = 0
        async with connect(uri, compression=None, ping_interval=None) as ws:
            try:
                while count < limit:
                    await ws.send(f"{ws.path}:{count}")
                    count += 1
                    if count % 100 == 0:
                        await asyncio.sleep(0)  # let other tasks run
            except ConnectionClosed as exc:
                return count, exc
        raise AssertionError("the server didn't shut down")  # pragma: no cover

    server = await serve(counter, "127.0.0.1", 0, **OPTIONS)
    tasks = [
        asyncio.ensure_future(producer(f"{get_uri(server)}{index}"))
        for index in range(clients)
    ]
    for event in started:
        await event.wait()
    server.close()
    await server.wait_closed()
    results = await asyncio.gather(*tasks)
    for index, (count, exc) in enumerate(results):
        assert isinstance(exc, ConnectionClosedOK)
        assert exc.code == 1001
        assert received[f"/{index}"] == count
        assert 1000 <= count < limit


def test_memory_peak_measures_allocations_in_the_block() -> None:
    with MemoryPeak() as memory:
        data = bytearray(MiB)
        del data
    assert MiB <= memory.peak < 2 * MiB
    assert not tracemalloc.is_tracing()


# A hostile server: the client parses its response too.


@contextlib.asynccontextmanager
async def hostile_server(
    respond: Callable[[asyncio.StreamWriter, str], Awaitable[None]],
) -> AsyncIterator[str]:
    """A TCP server that answers each request with ``respond(writer, path)``."""

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            request = bytearray(await reader.readuntil(b"\r\n\r\n"))
            result = LineReader(parse_request()).feed(request)
            assert result is not None
            await respond(writer, result[0])
        except ConnectionError:  # pragma: no cover
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.close()
        await server.wait_closed()


@async_test
async def test_client_rejects_endless_response_headers() -> None:
    lines = b"HTTP/1.1 101 Switching Protocols\r\n" + b"X-Spam: eggs\r\n" * (
        4 * MiB // 14
    )

    async def respond(writer: asyncio.StreamWriter, path: str) -> None:
        with contextlib.suppress(ConnectionError):
            await write_all(writer, lines)

    async with hostile_server(respond) as uri:
        with MemoryPeak() as memory:
            with pytest.raises(InvalidMessage) as raised:
                await connect(uri, compression=None, ping_interval=None)
    assert isinstance(raised.value.__cause__, SecurityError)
    assert str(raised.value.__cause__) == "more than 256 headers"
    assert memory.peak < 2 * MiB


@async_test
async def test_client_follows_redirect_to_location_with_utf8_bytes() -> None:
    paths = []

    async def respond(writer: asyncio.StreamWriter, path: str) -> None:
        paths.append(path)
        if path == "/":
            writer.write(
                b"HTTP/1.1 302 Found\r\n"
                b"Location: /caf\xc3\xa9\r\n"
                b"Content-Length: 0\r\n\r\n"
            )
        else:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")

    async with hostile_server(respond) as uri:
        with pytest.raises(InvalidStatusCode, match="HTTP 404"):
            await connect(uri, compression=None, ping_interval=None)
    # The bytes of the Location header, percent-encoded (RFC 3986 2.1).
    assert paths == ["/", "/caf%C3%A9"]
