"""
End-to-end tests of the opening handshake: connect(), serve() and friends.

Every test runs on real sockets (TCP on 127.0.0.1, port 0, or Unix sockets in
a temporary directory), once per event loop: see ``conftest.py``. Malformed
requests and responses come from raw asyncio clients and servers.

"""

import asyncio
import contextlib
import errno
import http
import logging
import os
import re
import socket
import ssl
import sys
import tempfile
import unittest.mock
from typing import (
    Any,
    AsyncIterator,
    Callable,
    List,
    Optional,
    Sequence,
    Tuple,
    Type,
)

import pytest
import trustme

from websockets.client import (
    MAX_REDIRECTS,
    WebSocketClientProtocol,
    connect,
    unix_connect,
)
from websockets.connection import CLOSED, OPEN, CloseReason
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidStatusCode,
    InvalidUpgrade,
    InvalidURI,
    NegotiationError,
    PayloadTooBig,
    SecurityError,
)
from websockets.extensions.base import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.framing import OP_TEXT, Frame
from websockets.handshake import (
    accept_key,
    build_request as build_handshake_request,
    build_response as build_handshake_response,
)
from websockets.http import (
    USER_AGENT,
    Headers,
    LineReader,
    build_request,
    build_response,
    parse_request,
    parse_response,
)
from websockets.protocol import READ_SIZE, broadcast
from websockets.server import (
    HTTPResponse,
    WebSocketServer,
    WebSocketServerProtocol,
    serve,
    unix_serve,
)
from websockets.typing import ExtensionName, ExtensionParameter, Subprotocol


pytestmark = pytest.mark.event_loops


# Helpers: servers and clients.


async def wait_closed_handler(ws: WebSocketServerProtocol, path: str) -> None:
    """Connection handler that keeps the connection open until the client closes."""
    await ws.wait_closed()


async def echo_handler(ws: WebSocketServerProtocol, path: str) -> None:
    """Connection handler that sends back every message."""
    async for message in ws:
        await ws.send(message)


def get_port(server: WebSocketServer) -> int:
    assert server.sockets
    port: int = server.sockets[0].getsockname()[1]
    return port


def get_uri(server: WebSocketServer, path: str = "/") -> str:
    return f"ws://127.0.0.1:{get_port(server)}{path}"


def server_side(server: WebSocketServer) -> WebSocketServerProtocol:
    """The only connection of ``server``; its opening handshake is complete."""
    (ws,) = server.websockets
    return ws


def deprecated(message: str) -> Any:
    """Expect a DeprecationWarning with the exact text of websockets 8.x."""
    return pytest.warns(DeprecationWarning, match=f"^{re.escape(message)}$")


def signal_connections(
    event: asyncio.Event,
) -> Type[WebSocketServerProtocol]:
    """A server protocol that sets ``event`` when the server accepts a connection."""

    class SignallingProtocol(WebSocketServerProtocol):
        def connection_made(self, transport: asyncio.BaseTransport) -> None:
            super().connection_made(transport)
            event.set()

    return SignallingProtocol


def handshake_headers(host: str = "127.0.0.1") -> Headers:
    """Headers of a valid handshake request, to break in tests."""
    headers = Headers()
    headers["Host"] = host
    build_handshake_request(headers)
    return headers


def handshake_request(path: str = "/", headers: Optional[Headers] = None) -> bytes:
    if headers is None:
        headers = handshake_headers()
    return build_request(path, headers)


@contextlib.asynccontextmanager
async def raw_client(
    server: WebSocketServer,
) -> AsyncIterator[Tuple[asyncio.StreamReader, asyncio.StreamWriter]]:
    """Open a plain TCP connection to ``server``."""
    reader, writer = await asyncio.open_connection("127.0.0.1", get_port(server))
    try:
        yield reader, writer
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()


async def read_http_response(
    reader: asyncio.StreamReader,
) -> Tuple[int, Headers, bytes]:
    """Read an HTTP response up to EOF: status code, headers and body."""
    data = bytearray(await reader.read())
    result = LineReader(parse_response()).feed(data)
    assert result is not None, f"incomplete HTTP response: {bytes(data)!r}"
    status_code, _, headers = result
    return status_code, headers, bytes(data)


async def http_exchange(
    server: WebSocketServer, data: bytes
) -> Tuple[int, Headers, bytes]:
    """Send ``data`` to ``server`` and read the HTTP response."""
    async with raw_client(server) as (reader, writer):
        writer.write(data)
        return await read_http_response(reader)


def check_error_response(headers: Headers, body: bytes) -> None:
    """Check the headers of an HTTP error response from the server."""
    assert headers["Content-Type"] == "text/plain; charset=utf-8"
    assert headers["Content-Length"] == str(len(body))
    assert headers["Connection"] == "close"
    assert headers["Server"] == USER_AGENT
    assert "Date" in headers


def switching_protocols(
    key: str, *extra: Tuple[str, str], drop: Sequence[str] = ()
) -> bytes:
    """A 101 response to a request with ``key``, changed for tests."""
    headers = Headers()
    build_handshake_response(headers, key)
    for name in drop:
        del headers[name]
    for name, value in extra:
        headers[name] = value
    return build_response(101, headers)


@contextlib.asynccontextmanager
async def raw_server(
    respond: Callable[[str], Optional[bytes]], *, close_after: bool = False
) -> AsyncIterator[str]:
    """
    Run a TCP server that answers a handshake request with ``respond(key)``.

    Without an answer (``None``), it waits for the client to close. Yield the
    URI of the server.

    """

    async def handle(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        try:
            buffer = bytearray(await reader.readuntil(b"\r\n\r\n"))
            request = LineReader(parse_request()).feed(buffer)
            assert request is not None
            response = respond(request[1]["Sec-WebSocket-Key"])
            if response is not None:
                writer.write(response)
            if not close_after:
                await reader.read()
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"ws://127.0.0.1:{port}/"
    finally:
        server.close()
        await server.wait_closed()


class NoOpExtension(Extension):
    name = ExtensionName("x-no-op")

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        return frame

    def encode(self, frame: Frame) -> Frame:
        return frame


class ClientNoOpFactory(ClientExtensionFactory):
    name = ExtensionName("x-no-op")

    def get_request_params(self) -> List[ExtensionParameter]:
        return [("flag", None)]

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Extension:
        return NoOpExtension()


class ServerNoOpFactory(ServerExtensionFactory):
    name = ExtensionName("x-no-op")

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Tuple[List[ExtensionParameter], Extension]:
        return list(params), NoOpExtension()


# TLS: a certificate authority and a certificate for localhost, made for the tests.


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="module")
def server_cert(ca: trustme.CA) -> trustme.LeafCert:
    return ca.issue_cert("localhost", "127.0.0.1")


@pytest.fixture
def server_context(server_cert: trustme.LeafCert) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(context)
    return context


@pytest.fixture
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(context)
    return context


# Client and server: basics.


async def test_connect_and_serve_with_await() -> None:
    server = await serve(echo_handler, "127.0.0.1", 0)
    try:
        assert isinstance(server, WebSocketServer)
        ws = await connect(get_uri(server))
        try:
            assert isinstance(ws, WebSocketClientProtocol)
            await ws.send("Hello!")
            assert await ws.recv() == "Hello!"
        finally:
            await ws.close()
        assert ws.closed
        assert ws.close_code == 1000
    finally:
        server.close()
        await server.wait_closed()


async def test_connect_and_serve_as_context_managers() -> None:
    async with serve(echo_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            await ws.send(b"\x01\x02")
            assert await ws.recv() == b"\x01\x02"
        assert ws.closed
        assert ws.close_code == 1000
    assert server.sockets is None


async def test_open_connections_keep_no_instance_dict() -> None:
    # Memory per connection: every attribute is a slot. A new attribute
    # missing from __slots__ would create a dict of several hundred bytes.
    server_sides: List[WebSocketServerProtocol] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        server_sides.append(ws)
        await echo_handler(ws, path)

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            await ws.send("Hello!")
            assert await ws.recv() == "Hello!"
            await ws.ping()
            for obj in (ws, ws.conn, server_sides[0], server_sides[0].conn):
                assert obj.__dict__ == {}, type(obj)
            # Arbitrary attributes still work, as on any object.
            ws.user = "alice"  # type: ignore[attr-defined]
            assert ws.__dict__ == {"user": "alice"}


async def test_broadcast_to_clients_with_and_without_compression() -> None:
    connected: List[WebSocketServerProtocol] = []
    ready = asyncio.Event()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        connected.append(ws)
        if len(connected) == 3:
            ready.set()
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0) as server:
        clients = [
            await connect(get_uri(server)),
            await connect(get_uri(server)),
            await connect(get_uri(server), compression=None),
        ]
        try:
            await ready.wait()
            assert [bool(ws.extensions) for ws in connected].count(True) == 2
            broadcast(connected, "hello " * 100)
            broadcast(connected, b"\x00\x01")
            for ws in clients:
                assert await ws.recv() == "hello " * 100
                assert await ws.recv() == b"\x00\x01"
        finally:
            for ws in clients:
                await ws.close()


async def test_handler_gets_path_with_query_string() -> None:
    paths: List[str] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        paths.append(path)

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server, "/path/to?query=1&q=%20")) as ws:
            await ws.wait_closed()
    assert paths == ["/path/to?query=1&q=%20"]


async def test_connection_closes_with_1000_when_handler_returns() -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.send("bye")

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            assert await ws.recv() == "bye"
            with pytest.raises(ConnectionClosedOK, match=r"1000 \(OK\)") as raised:
                await ws.recv()
            assert raised.value.code == 1000


async def test_connection_closes_with_1011_when_handler_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        raise RuntimeError("handler crashed")

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            with pytest.raises(ConnectionClosedError, match="1011") as raised:
                await ws.recv()
            assert raised.value.code == 1011
    (record,) = [r for r in caplog.records if r.name == "websockets.server"]
    assert record.levelno == logging.ERROR
    assert record.getMessage() == "error in connection handler"
    assert record.exc_info is not None
    assert str(record.exc_info[1]) == "handler crashed"


async def test_handler_raising_connection_closed_is_logged_without_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The handler doesn't catch ConnectionClosed: the connection is closed
    # already, with the client's code, and the error is logged.
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.recv()

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)):
            pass
    records = [r for r in caplog.records if r.name == "websockets.server"]
    assert [r.getMessage() for r in records] == ["error in connection handler"]
    exc_info = records[0].exc_info
    assert exc_info is not None and isinstance(exc_info[1], ConnectionClosedOK)


# Client: options.


async def test_connect_create_protocol() -> None:
    class CustomClientProtocol(WebSocketClientProtocol):
        pass

    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), create_protocol=CustomClientProtocol) as ws:
            assert type(ws) is CustomClientProtocol


async def test_connect_klass() -> None:
    class CustomClientProtocol(WebSocketClientProtocol):
        pass

    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        with deprecated("rename klass to create_protocol"):
            client = connect(get_uri(server), klass=CustomClientProtocol)
        async with client as ws:
            assert type(ws) is CustomClientProtocol


async def test_connect_protocol_options() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(
            get_uri(server),
            ping_interval=5,
            ping_timeout=6,
            close_timeout=7,
            max_size=8000,
            max_queue=9,
            read_limit=10000,
            write_limit=11000,
            legacy_recv=True,
            loop=asyncio.get_running_loop(),
        ) as ws:
            assert ws.ping_interval == 5
            assert ws.ping_timeout == 6
            assert ws.close_timeout == 7
            assert ws.max_size == 8000
            assert ws.max_queue == 9
            assert ws.read_limit == 10000
            assert ws.write_limit == 11000
            assert ws.legacy_recv
            assert ws.loop is asyncio.get_running_loop()
            assert ws.transport is not None
            assert ws.transport.get_write_buffer_limits() == (2750, 11000)


async def test_connect_default_options() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            assert ws.ping_interval == 20
            assert ws.ping_timeout == 20
            assert ws.close_timeout == 10
            assert ws.max_size == 2**20
            assert ws.max_queue == 2**5
            assert ws.read_limit == 2**16
            assert ws.write_limit == 2**16
            assert not ws.legacy_recv


async def test_connect_max_size() -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        await ws.send("x" * 1024)
        await ws.send("x" * 1025)
        await ws.wait_closed()

    async with serve(handler, "127.0.0.1", 0, compression=None) as server:
        async with connect(get_uri(server), max_size=1024) as ws:
            assert await ws.recv() == "x" * 1024
            with pytest.raises(ConnectionClosedError) as raised:
                await ws.recv()
            # The client failed the connection with 1009; it received no
            # close frame: 1006 (RFC 6455 7.1.5).
            assert raised.value.code == 1006
            assert isinstance(raised.value.__cause__, PayloadTooBig)
            assert ws.conn.close_sent_code == 1009


async def test_connect_legacy_recv() -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        pass

    async with serve(handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), legacy_recv=True) as ws:
            assert await ws.recv() is None


async def test_connect_timeout_is_deprecated_alias_of_close_timeout() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        with deprecated("rename timeout to close_timeout"):
            client = connect(get_uri(server), timeout=3)
        async with client as ws:
            assert ws.close_timeout == 3


async def test_connect_origin() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), origin="https://example.com") as ws:
            assert ws.request_headers["Origin"] == "https://example.com"
            assert server_side(server).origin == "https://example.com"
            assert (
                server_side(server).request_headers["Origin"] == "https://example.com"
            )


async def test_connect_without_origin() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            assert "Origin" not in ws.request_headers
            assert server_side(server).origin is None


async def test_connect_subprotocols() -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, subprotocols=["superchat", "chat"]
    ) as server:
        async with connect(get_uri(server), subprotocols=["chat"]) as ws:
            assert ws.request_headers["Sec-WebSocket-Protocol"] == "chat"
            assert ws.response_headers["Sec-WebSocket-Protocol"] == "chat"
            assert ws.subprotocol == "chat"
            assert server_side(server).subprotocol == "chat"


async def test_connect_without_subprotocols() -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, subprotocols=["chat"]
    ) as server:
        async with connect(get_uri(server)) as ws:
            assert "Sec-WebSocket-Protocol" not in ws.request_headers
            assert "Sec-WebSocket-Protocol" not in ws.response_headers
            assert ws.subprotocol is None
            assert server_side(server).subprotocol is None


@pytest.mark.parametrize(
    "extra_headers",
    [
        Headers([("X-Spam", "eggs"), ("X-Spam", "ham")]),
        [("X-Spam", "eggs"), ("X-Spam", "ham")],
    ],
    ids=["Headers", "pairs"],
)
async def test_connect_extra_headers(extra_headers: Any) -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), extra_headers=extra_headers):
            headers = server_side(server).request_headers
            assert headers.get_all("X-Spam") == ["eggs", "ham"]


async def test_connect_extra_headers_dict() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), extra_headers={"X-Spam": "eggs"}):
            headers = server_side(server).request_headers
            assert headers.get_all("X-Spam") == ["eggs"]


async def test_connect_extra_headers_override_user_agent() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)):
            assert server_side(server).request_headers["User-Agent"] == USER_AGENT
        async with connect(get_uri(server), extra_headers={"User-Agent": "custom/1"}):
            headers = server_side(server).request_headers
            assert headers.get_all("User-Agent") == ["custom/1"]


async def test_connect_extensions() -> None:
    factory = ClientPerMessageDeflateFactory(server_max_window_bits=10)
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), extensions=[factory]) as ws:
            assert ws.request_headers["Sec-WebSocket-Extensions"] == (
                "permessage-deflate; server_max_window_bits=10"
            )
            assert ws.response_headers["Sec-WebSocket-Extensions"] == (
                "permessage-deflate; server_max_window_bits=10"
            )
            (extension,) = ws.extensions
            assert isinstance(extension, PerMessageDeflate)
            assert extension.remote_max_window_bits == 10


async def test_extensions_on_both_sides() -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, extensions=[ServerNoOpFactory()]
    ) as server:
        async with connect(get_uri(server), extensions=[ClientNoOpFactory()]) as ws:
            assert ws.request_headers["Sec-WebSocket-Extensions"] == (
                "x-no-op; flag, permessage-deflate; client_max_window_bits"
            )
            assert ws.response_headers["Sec-WebSocket-Extensions"] == (
                "x-no-op; flag, permessage-deflate; server_max_window_bits=12; "
                "client_max_window_bits=12"
            )
            for extensions in [ws.extensions, server_side(server).extensions]:
                assert [type(ext) for ext in extensions] == [
                    NoOpExtension,
                    PerMessageDeflate,
                ]
            await ws.send("still works")


async def test_extensions_unknown_to_the_server_are_ignored() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), extensions=[ClientNoOpFactory()]) as ws:
            assert ws.response_headers["Sec-WebSocket-Extensions"] == (
                "permessage-deflate; server_max_window_bits=12; "
                "client_max_window_bits=12"
            )
            assert [type(ext) for ext in ws.extensions] == [PerMessageDeflate]


async def test_server_declines_unacceptable_extension_offer() -> None:
    # The server requires client_max_window_bits in the offer.
    server_factory = ServerPerMessageDeflateFactory(client_max_window_bits=10)
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, extensions=[server_factory]
    ) as server:
        async with connect(
            get_uri(server),
            compression=None,
            extensions=[ClientPerMessageDeflateFactory()],
        ) as ws:
            assert ws.request_headers["Sec-WebSocket-Extensions"] == (
                "permessage-deflate"
            )
            assert "Sec-WebSocket-Extensions" not in ws.response_headers
            assert ws.extensions == []
            assert server_side(server).extensions == []


async def test_connect_passes_unknown_arguments_to_create_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        local_port = probe.getsockname()[1]
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), local_addr=("127.0.0.1", local_port)) as ws:
            assert ws.local_address == ("127.0.0.1", local_port)
            assert server_side(server).remote_address == ("127.0.0.1", local_port)


async def test_connect_rejects_unknown_argument() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        with pytest.raises(TypeError, match="spam"):
            await connect(get_uri(server), spam=True)


async def test_connect_sock() -> None:
    async with serve(echo_handler, "127.0.0.1", 0) as server:
        sock = socket.create_connection(("127.0.0.1", get_port(server)))
        async with connect("ws://example.com/path", sock=sock) as ws:
            await ws.send("Hello!")
            assert await ws.recv() == "Hello!"
            assert ws.remote_address == ("127.0.0.1", get_port(server))
            assert server_side(server).request_headers["Host"] == "example.com"
            assert server_side(server).path == "/path"


async def test_connect_host_and_port_override_tcp_destination() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(
            "ws://example.com/", host="127.0.0.1", port=get_port(server)
        ) as ws:
            assert ws.remote_address == ("127.0.0.1", get_port(server))
            with deprecated("use remote_address[0] instead of host"):
                assert ws.host == "example.com"
            with deprecated("use remote_address[1] instead of port"):
                assert ws.port == 80
            assert server_side(server).request_headers["Host"] == "example.com"


async def test_connect_host_override_keeps_port_of_uri() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        port = get_port(server)
        async with connect(f"ws://[::1]:{port}/", host="127.0.0.1") as ws:
            assert ws.remote_address == ("127.0.0.1", port)
            assert server_side(server).request_headers["Host"] == f"[::1]:{port}"


async def test_connect_compression_none() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), compression=None) as ws:
            assert "Sec-WebSocket-Extensions" not in ws.request_headers
            assert "Sec-WebSocket-Extensions" not in ws.response_headers
            assert ws.extensions == []
            assert server_side(server).extensions == []


async def test_connect_unsupported_compression() -> None:
    with pytest.raises(ValueError, match="unsupported compression: zstd"):
        await connect("ws://127.0.0.1/", compression="zstd")


# Client: TLS.


async def test_connect_wss(
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    async with serve(echo_handler, "127.0.0.1", 0, ssl=server_context) as server:
        port = get_port(server)
        async with connect(
            f"wss://localhost:{port}/", host="127.0.0.1", ssl=client_context
        ) as ws:
            await ws.send("Hello!")
            assert await ws.recv() == "Hello!"
            with deprecated("don't use secure"):
                assert ws.secure is True
            assert ws.transport is not None
            assert ws.transport.get_extra_info("ssl_object") is not None
            with deprecated("don't use secure"):
                assert server_side(server).secure is True


async def test_client_transport_is_closed_when_server_closes(
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        pass

    async with serve(handler, "127.0.0.1", 0, ssl=server_context) as server:
        port = get_port(server)
        ws = await connect(
            f"wss://localhost:{port}/", host="127.0.0.1", ssl=client_context
        )
        await ws.wait_closed()
        assert ws.transport is not None
        closing = ws.transport.is_closing()
        # If the assertion fails, its traceback mustn't keep the transport alive.
        del ws
    assert closing


async def test_connect_wss_sends_uri_host_in_sni_and_host_header(
    server_cert: trustme.LeafCert,
    client_context: ssl.SSLContext,
) -> None:
    server_names: List[Optional[str]] = []
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(context)
    context.sni_callback = lambda sslobj, name, ctx: server_names.append(name)
    async with serve(wait_closed_handler, "127.0.0.1", 0, ssl=context) as server:
        port = get_port(server)
        async with connect(
            "wss://localhost/", host="127.0.0.1", port=port, ssl=client_context
        ) as ws:
            assert ws.remote_address == ("127.0.0.1", port)
            with deprecated("use remote_address[1] instead of port"):
                assert ws.port == 443
            assert server_side(server).request_headers["Host"] == "localhost"
    assert server_names == ["localhost"]


async def test_connect_wss_with_sock(
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    async with serve(echo_handler, "127.0.0.1", 0, ssl=server_context) as server:
        sock = socket.create_connection(("127.0.0.1", get_port(server)))
        async with connect("wss://localhost/", sock=sock, ssl=client_context) as ws:
            await ws.send("Hello!")
            assert await ws.recv() == "Hello!"


async def test_connect_wss_uses_default_ssl_context(
    server_context: ssl.SSLContext,
) -> None:
    # The default context doesn't trust the CA made for the tests.
    async with serve(wait_closed_handler, "127.0.0.1", 0, ssl=server_context) as server:
        with pytest.raises(
            ssl.SSLCertVerificationError, match="certificate verify failed"
        ):
            await connect(f"wss://localhost:{get_port(server)}/", host="127.0.0.1")


async def test_connect_ws_rejects_ssl_argument(client_context: ssl.SSLContext) -> None:
    with pytest.raises(ValueError, match="ssl argument for a ws:// URI"):
        await connect("ws://localhost/", ssl=client_context)


# Client: credentials, redirects.


async def test_connect_sends_credentials_in_uri() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        uri = f"ws://user:p%40ss@127.0.0.1:{get_port(server)}/"
        async with connect(uri) as ws:
            # base64("user:p@ss")
            assert ws.request_headers["Authorization"] == "Basic dXNlcjpwQHNz"
            headers = server_side(server).request_headers
            assert headers["Authorization"] == "Basic dXNlcjpwQHNz"


async def test_connect_without_credentials() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)):
            assert "Authorization" not in server_side(server).request_headers


def redirecting(
    location: Callable[[], str],
    status: int = 302,
    requests: Optional[List[str]] = None,
    source: str = "/redirect",
) -> Any:
    """A process_request that redirects requests for ``source``."""

    async def process_request(path: str, headers: Headers) -> Any:
        if requests is not None:
            requests.append(path)
        if path == source:
            return http.HTTPStatus(status), [("Location", location())], b""
        return None

    return process_request


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_connect_follows_relative_redirect(status: int) -> None:
    paths: List[str] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        paths.append(path)
        await ws.wait_closed()

    async with serve(
        handler,
        "127.0.0.1",
        0,
        process_request=redirecting(lambda: "/target?x=1", status),
    ) as server:
        async with connect(get_uri(server, "/redirect")) as ws:
            assert ws.path == "/target?x=1"
            await ws.close()
    assert paths == ["/target?x=1"]


@pytest.mark.parametrize("status", [301, 302, 303, 307, 308])
async def test_connect_follows_absolute_redirect(status: int) -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as target:
        async with serve(
            wait_closed_handler,
            "127.0.0.1",
            0,
            process_request=redirecting(lambda: get_uri(target, "/target"), status),
        ) as server:
            async with connect(get_uri(server, "/redirect")) as ws:
                assert ws.remote_address == ("127.0.0.1", get_port(target))
                assert server_side(target).path == "/target"
                assert not server.websockets


async def test_connect_redirect_keeps_host_override_on_same_origin() -> None:
    async with serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        process_request=redirecting(lambda: "/target"),
    ) as server:
        async with connect(
            "ws://example.com/redirect", host="127.0.0.1", port=get_port(server)
        ) as ws:
            assert ws.path == "/target"
            with deprecated("use remote_address[0] instead of host"):
                assert ws.host == "example.com"
            assert server_side(server).request_headers["Host"] == "example.com"


async def test_connect_redirect_drops_host_override_on_cross_origin() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as target:
        async with serve(
            wait_closed_handler,
            "127.0.0.1",
            0,
            process_request=redirecting(lambda: get_uri(target, "/target")),
        ) as server:
            async with connect(
                "ws://example.com/redirect",
                host="127.0.0.1",
                port=get_port(server),
            ) as ws:
                assert ws.remote_address == ("127.0.0.1", get_port(target))
                headers = server_side(target).request_headers
                assert headers["Host"] == f"127.0.0.1:{get_port(target)}"


async def test_connect_redirect_drops_server_hostname_on_cross_origin(
    server_cert: trustme.LeafCert,
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    server_names: List[Optional[str]] = []
    target_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    server_cert.configure_cert(target_context)
    target_context.sni_callback = lambda sslobj, name, ctx: server_names.append(name)
    async with serve(wait_closed_handler, "127.0.0.1", 0, ssl=target_context) as target:
        location = f"wss://127.0.0.1:{get_port(target)}/"
        async with serve(
            wait_closed_handler,
            "127.0.0.1",
            0,
            ssl=server_context,
            process_request=redirecting(lambda: location),
        ) as server:
            async with connect(
                "wss://example.com/redirect",
                host="127.0.0.1",
                port=get_port(server),
                ssl=client_context,
                server_hostname="localhost",
            ):
                assert server_side(target).request_headers["Host"] == (
                    f"127.0.0.1:{get_port(target)}"
                )
    # There's no SNI for an IP address.
    assert server_names == [None]


async def test_connect_redirect_from_ws_to_wss_uses_tls(
    server_context: ssl.SSLContext,
) -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0, ssl=server_context) as target:
        location = f"wss://127.0.0.1:{get_port(target)}/"
        async with serve(
            wait_closed_handler,
            "127.0.0.1",
            0,
            process_request=redirecting(lambda: location),
        ) as server:
            # The default SSL context is used, and it doesn't trust the test CA.
            with pytest.raises(ssl.SSLCertVerificationError, match="verify failed"):
                await connect(get_uri(server, "/redirect"))


async def test_connect_refuses_redirect_from_wss_to_ws(
    server_context: ssl.SSLContext, client_context: ssl.SSLContext
) -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as target:
        async with serve(
            wait_closed_handler,
            "127.0.0.1",
            0,
            ssl=server_context,
            process_request=redirecting(lambda: get_uri(target)),
        ) as server:
            with pytest.raises(SecurityError, match="redirect from WSS to WS"):
                await connect(
                    f"wss://localhost:{get_port(server)}/redirect",
                    host="127.0.0.1",
                    ssl=client_context,
                )
            assert not target.websockets


async def test_connect_follows_redirect_between_wss_servers(
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0, ssl=server_context) as target:
        location = f"wss://127.0.0.1:{get_port(target)}/target"
        async with serve(
            wait_closed_handler,
            "127.0.0.1",
            0,
            ssl=server_context,
            process_request=redirecting(lambda: location),
        ) as server:
            async with connect(
                f"wss://localhost:{get_port(server)}/redirect",
                host="127.0.0.1",
                ssl=client_context,
            ) as ws:
                assert ws.path == "/target"
                with deprecated("don't use secure"):
                    assert ws.secure
                assert server_side(target).path == "/target"


async def test_connect_stops_after_too_many_redirects() -> None:
    requests: List[str] = []
    async with serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        process_request=redirecting(lambda: "/redirect", requests=requests),
    ) as server:
        with pytest.raises(SecurityError, match=f"more than {MAX_REDIRECTS} redirects"):
            await connect(get_uri(server, "/redirect"))
    assert len(requests) == MAX_REDIRECTS + 1


async def test_connect_follows_up_to_max_redirects() -> None:
    requests: List[str] = []

    async def process_request(path: str, headers: Headers) -> Any:
        requests.append(path)
        if len(requests) <= MAX_REDIRECTS:
            return http.HTTPStatus.FOUND, {"Location": "/redirect"}, b""
        return None

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_request
    ) as server:
        async with connect(get_uri(server, "/redirect")):
            pass
    assert len(requests) == MAX_REDIRECTS + 1


async def test_connect_redirect_without_location() -> None:
    async def process_request(path: str, headers: Headers) -> Any:
        return http.HTTPStatus.FOUND, [], b""

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_request
    ) as server:
        with pytest.raises(InvalidHeader, match="missing Location header"):
            await connect(get_uri(server))


async def test_connect_redirect_to_invalid_uri() -> None:
    async with serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        process_request=redirecting(lambda: "http://example.com/"),
    ) as server:
        with pytest.raises(InvalidURI, match="scheme isn't ws or wss"):
            await connect(get_uri(server, "/redirect"))


# Client and server: Unix sockets.


async def test_unix_connect_and_unix_serve() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "websocket")
        async with unix_serve(echo_handler, path) as server:
            assert server.sockets is not None and len(server.sockets) == 1
            async with unix_connect(path) as ws:
                await ws.send("Hello!")
                assert await ws.recv() == "Hello!"
                assert ws.path == "/"
                assert ws.request_headers["Host"] == "localhost"
                assert ws.remote_address == path
                assert server_side(server).local_address == path
            async with unix_connect(path, "ws://example.com/path?q") as ws:
                assert server_side(server).path == "/path?q"
                assert server_side(server).request_headers["Host"] == "example.com"


async def test_unix_connect_sock() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "websocket")
        async with unix_serve(echo_handler, path):
            sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            sock.connect(path)
            async with unix_connect(sock=sock) as ws:
                await ws.send("Hello!")
                assert await ws.recv() == "Hello!"


async def test_unix_connect_needs_path_or_sock() -> None:
    with pytest.raises(TypeError, match="unix_connect\\(\\) needs a path or a sock"):
        await unix_connect()


async def test_unix_connect_wss(
    server_context: ssl.SSLContext,
    client_context: ssl.SSLContext,
) -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "websocket")
        async with unix_serve(echo_handler, path, ssl=server_context):
            async with unix_connect(path, "wss://localhost/", ssl=client_context) as ws:
                await ws.send("Hello!")
                assert await ws.recv() == "Hello!"


async def test_unix_connect_follows_same_origin_redirect() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "websocket")
        async with unix_serve(
            wait_closed_handler, path, process_request=redirecting(lambda: "/target")
        ) as server:
            async with unix_connect(path, "ws://localhost/redirect") as ws:
                assert ws.path == "/target"
                assert server_side(server).path == "/target"


async def test_unix_connect_refuses_cross_origin_redirect() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = os.path.join(directory, "websocket")
        async with unix_serve(
            wait_closed_handler,
            path,
            process_request=redirecting(lambda: "ws://example.com/"),
        ):
            with pytest.raises(
                InvalidHandshake,
                match="cross-origin redirect to ws://example.com/ on a Unix socket",
            ):
                await unix_connect(path, "ws://localhost/redirect")


# Client: failures.


async def test_connect_invalid_uri() -> None:
    with pytest.raises(InvalidURI, match="scheme isn't ws or wss"):
        await connect("http://localhost/")


async def test_connect_refused_by_process_request() -> None:
    async def process_request(path: str, headers: Headers) -> Any:
        return http.HTTPStatus.FORBIDDEN, [], b"Go away.\n"

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_request
    ) as server:
        with pytest.raises(InvalidStatusCode, match="HTTP 403") as raised:
            await connect(get_uri(server))
        assert raised.value.status_code == 403


async def test_connect_accepts_minimal_response() -> None:
    # Sanity check of raw_server: the other tests break this response.
    async with raw_server(switching_protocols, close_after=True) as uri:
        ws = await connect(uri)
        assert ws.response_headers["Upgrade"] == "websocket"
        await ws.wait_closed()
        assert ws.close_code == 1006


@pytest.mark.parametrize(
    "respond, exc_type, message",
    [
        (
            lambda key: b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n",
            InvalidStatusCode,
            "server rejected WebSocket connection: HTTP 200",
        ),
        (
            lambda key: switching_protocols(key, drop=["Connection"]),
            InvalidUpgrade,
            "missing Connection header",
        ),
        (
            lambda key: switching_protocols(key, drop=["Upgrade"]),
            InvalidUpgrade,
            "missing Upgrade header",
        ),
        (
            lambda key: switching_protocols(key, ("Upgrade", "h2c"), drop=["Upgrade"]),
            InvalidUpgrade,
            "invalid Upgrade header: h2c",
        ),
        (
            lambda key: switching_protocols(key, drop=["Sec-WebSocket-Accept"]),
            InvalidHeader,
            "missing Sec-WebSocket-Accept header",
        ),
        (
            lambda key: switching_protocols(
                key,
                ("Sec-WebSocket-Accept", accept_key("AAAAAAAAAAAAAAAAAAAAAA==")),
                drop=["Sec-WebSocket-Accept"],
            ),
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Accept header",
        ),
        (
            lambda key: switching_protocols(
                key, ("Sec-WebSocket-Accept", accept_key(key))
            ),
            InvalidHeader,
            "more than one Sec-WebSocket-Accept header found",
        ),
        (
            lambda key: b"HELLO\r\n\r\n",
            InvalidMessage,
            "did not receive a valid HTTP response",
        ),
        (
            lambda key: switching_protocols(key, ("Sec-WebSocket-Protocol", "chat")),
            InvalidHandshake,
            "no subprotocols supported",
        ),
    ],
    ids=[
        "status 200",
        "no Connection",
        "no Upgrade",
        "wrong Upgrade",
        "no Sec-WebSocket-Accept",
        "wrong Sec-WebSocket-Accept",
        "two Sec-WebSocket-Accept",
        "garbage",
        "unexpected subprotocol",
    ],
)
async def test_connect_fails_on_bad_response(
    respond: Callable[[str], bytes], exc_type: Type[Exception], message: str
) -> None:
    async with raw_server(respond) as uri:
        with pytest.raises(exc_type, match=re.escape(message)):
            await connect(uri)


async def test_connect_fails_on_garbage_with_cause() -> None:
    async with raw_server(lambda key: b"HELLO\r\n\r\n") as uri:
        with pytest.raises(InvalidMessage) as raised:
            await connect(uri)
    assert isinstance(raised.value.__cause__, ValueError)
    assert str(raised.value.__cause__) == "invalid HTTP status line: HELLO"


async def test_connect_fails_when_connection_closes_before_response() -> None:
    async with raw_server(lambda key: b"HTTP/1.1 101 ", close_after=True) as uri:
        with pytest.raises(
            InvalidMessage, match="did not receive a valid HTTP"
        ) as raised:
            await connect(uri)
    assert isinstance(raised.value.__cause__, EOFError)


@pytest.mark.parametrize(
    "options, extensions, exc_type, message",
    [
        (
            {"compression": None},
            "permessage-deflate",
            InvalidHandshake,
            "no extensions supported",
        ),
        (
            {},
            "x-unknown",
            NegotiationError,
            "unsupported extension: name = x-unknown, params = []",
        ),
        (
            {},
            "permessage-deflate; server_max_window_bits=7",
            NegotiationError,
            "unsupported extension: name = permessage-deflate, "
            "params = [('server_max_window_bits', '7')]",
        ),
        (
            {},
            "permessage-deflate, permessage-deflate",
            NegotiationError,
            "unsupported extension: name = permessage-deflate, params = []",
        ),
        (
            {},
            "permessage-deflate;",
            InvalidHeaderFormat,
            "invalid Sec-WebSocket-Extensions header",
        ),
    ],
    ids=[
        "not offered",
        "unknown extension",
        "bad parameter",
        "accepted twice",
        "malformed",
    ],
)
async def test_connect_fails_on_bad_extensions(
    options: Any, extensions: str, exc_type: Type[Exception], message: str
) -> None:
    async with raw_server(
        lambda key: switching_protocols(key, ("Sec-WebSocket-Extensions", extensions))
    ) as uri:
        with pytest.raises(exc_type, match=re.escape(message)):
            await connect(uri, **options)


@pytest.mark.parametrize(
    "subprotocol, exc_type, message",
    [
        ("superchat", NegotiationError, "unsupported subprotocol: superchat"),
        ("chat, chat", InvalidHandshake, "multiple subprotocols: chat, chat"),
        (
            "chat superchat",
            InvalidHeaderFormat,
            "invalid Sec-WebSocket-Protocol header",
        ),
    ],
    ids=["not offered", "several", "malformed"],
)
async def test_connect_fails_on_bad_subprotocol(
    subprotocol: str, exc_type: Type[Exception], message: str
) -> None:
    async with raw_server(
        lambda key: switching_protocols(key, ("Sec-WebSocket-Protocol", subprotocol))
    ) as uri:
        with pytest.raises(exc_type, match=re.escape(message)):
            await connect(uri, subprotocols=["chat"])


async def test_connect_open_timeout() -> None:
    # The server never answers: the timeout always fires.
    async with raw_server(lambda key: None) as uri:
        with pytest.raises(asyncio.TimeoutError):
            await connect(uri, open_timeout=0.05)


async def test_connect_open_timeout_none() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server), open_timeout=None) as ws:
            assert ws.open


# Server: options.


async def test_serve_create_protocol() -> None:
    class CustomServerProtocol(WebSocketServerProtocol):
        pass

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, create_protocol=CustomServerProtocol
    ) as server:
        async with connect(get_uri(server)):
            assert type(server_side(server)) is CustomServerProtocol


async def test_serve_klass() -> None:
    class CustomServerProtocol(WebSocketServerProtocol):
        pass

    with deprecated("rename klass to create_protocol"):
        server_context = serve(
            wait_closed_handler, "127.0.0.1", 0, klass=CustomServerProtocol
        )
    async with server_context as server:
        async with connect(get_uri(server)):
            assert type(server_side(server)) is CustomServerProtocol


async def test_serve_protocol_options() -> None:
    async with serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        ping_interval=5,
        ping_timeout=6,
        close_timeout=7,
        max_size=8000,
        max_queue=9,
        read_limit=10000,
        write_limit=11000,
        legacy_recv=True,
        loop=asyncio.get_running_loop(),
    ) as server:
        async with connect(get_uri(server)):
            ws = server_side(server)
            assert ws.ping_interval == 5
            assert ws.ping_timeout == 6
            assert ws.close_timeout == 7
            assert ws.max_size == 8000
            assert ws.max_queue == 9
            assert ws.read_limit == 10000
            assert ws.write_limit == 11000
            assert ws.legacy_recv
            assert ws.loop is asyncio.get_running_loop()
            assert ws.transport is not None
            assert ws.transport.get_write_buffer_limits() == (2750, 11000)


async def test_serve_max_size() -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        assert await ws.recv() == "x" * 1024
        await ws.recv()

    async with serve(handler, "127.0.0.1", 0, max_size=1024) as server:
        async with connect(get_uri(server)) as ws:
            await ws.send("x" * 1024)
            await ws.send("x" * 1025)
            await ws.wait_closed()
            assert ws.close_code == 1009


async def test_serve_timeout_is_deprecated_alias_of_close_timeout() -> None:
    with deprecated("rename timeout to close_timeout"):
        server_context = serve(wait_closed_handler, "127.0.0.1", 0, timeout=3)
    async with server_context as server:
        async with connect(get_uri(server)):
            assert server_side(server).close_timeout == 3


async def test_serve_unsupported_compression() -> None:
    with pytest.raises(ValueError, match="unsupported compression: zstd"):
        await serve(wait_closed_handler, "127.0.0.1", 0, compression="zstd")


async def test_serve_on_several_hosts() -> None:
    async with serve(wait_closed_handler, ["127.0.0.1"], 0) as server:
        async with connect(get_uri(server)):
            with deprecated("use local_address[0] instead of host"):
                assert server_side(server).host is None


async def test_serve_passes_unknown_arguments_to_create_server() -> None:
    for reuse_address in [False, True]:
        async with serve(
            wait_closed_handler, "127.0.0.1", 0, reuse_address=reuse_address
        ) as server:
            assert server.sockets is not None
            (sock,) = server.sockets
            option = sock.getsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR)
            assert bool(option) is reuse_address


async def test_serve_rejects_unknown_argument() -> None:
    with pytest.raises(TypeError, match="spam"):
        await serve(wait_closed_handler, "127.0.0.1", 0, spam=True)


@pytest.mark.parametrize(
    "origins, origin",
    [
        (["https://example.com"], "https://example.com"),
        (["https://example.com", None], None),
        (None, "https://example.com"),
        (None, None),
    ],
)
async def test_serve_accepts_origin(
    origins: Optional[List[Optional[str]]], origin: Optional[str]
) -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0, origins=origins) as server:
        async with connect(get_uri(server), origin=origin):
            assert server_side(server).origin == origin


async def test_serve_accepts_no_origin_given_as_empty_string() -> None:
    # "" meant "no Origin header" in 8.x; it's deprecated in favor of None.
    with deprecated("use None instead of '' in origins"):
        server_context = serve(
            wait_closed_handler, "127.0.0.1", 0, origins=["https://example.com", ""]
        )
    async with server_context as server:
        async with connect(get_uri(server), origin=None):
            assert server_side(server).origin is None


@pytest.mark.parametrize(
    "origins, origin, message",
    [
        (
            ["https://example.com"],
            "https://evil.example",
            "invalid Origin header: " "https://evil.example",
        ),
        (["https://example.com"], None, "missing Origin header"),
        ([None], "https://example.com", "invalid Origin header: https://example.com"),
    ],
)
async def test_serve_refuses_origin(
    origins: List[Optional[str]], origin: Optional[str], message: str
) -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0, origins=origins) as server:
        headers = handshake_headers()
        if origin is not None:
            headers["Origin"] = origin
        status, response_headers, body = await http_exchange(
            server, handshake_request(headers=headers)
        )
        assert status == 403
        assert body == f"Failed to open a WebSocket connection: {message}.\n".encode()
        check_error_response(response_headers, body)

        with pytest.raises(InvalidStatusCode, match="HTTP 403") as raised:
            await connect(get_uri(server), origin=origin)
        assert raised.value.status_code == 403


async def test_serve_refuses_several_origins() -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, origins=["https://example.com"]
    ) as server:
        headers = handshake_headers()
        headers["Origin"] = "https://example.com"
        headers["Origin"] = "https://example.com"
        status, _, body = await http_exchange(
            server, handshake_request(headers=headers)
        )
        assert status == 400
        assert body == (
            b"Failed to open a WebSocket connection: "
            b"invalid Origin header: more than one Origin header found: "
            b"'Origin'.\n"
        )


async def test_serve_extensions() -> None:
    factory = ServerPerMessageDeflateFactory(server_max_window_bits=10)
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, extensions=[factory]
    ) as server:
        async with connect(get_uri(server)) as ws:
            assert ws.response_headers["Sec-WebSocket-Extensions"] == (
                "permessage-deflate; server_max_window_bits=10"
            )
            (extension,) = server_side(server).extensions
            assert isinstance(extension, PerMessageDeflate)
            assert extension.local_max_window_bits == 10


@pytest.mark.parametrize(
    "client_subprotocols, server_subprotocols, expected",
    [
        # Each side's first choice is the other side's last one.
        (["a", "m", "x", "y", "b"], ["b", "m", "z", "w", "a"], "m"),
        # The client's preference decides.
        (["a", "b", "c"], ["d", "e", "c", "a"], "a"),
        # The server's preference decides.
        (["a", "b", "c"], ["c", "x", "y", "b"], "c"),
        # Ties go to the server's preference.
        (["a", "b"], ["b", "a"], "b"),
        (["a", "b"], ["c"], None),
    ],
)
async def test_serve_select_subprotocol_default(
    client_subprotocols: List[Subprotocol],
    server_subprotocols: List[Subprotocol],
    expected: Optional[str],
) -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, subprotocols=server_subprotocols
    ) as server:
        async with connect(get_uri(server), subprotocols=client_subprotocols) as ws:
            assert ws.subprotocol == expected
            assert server_side(server).subprotocol == expected


async def test_serve_select_subprotocol_argument() -> None:
    calls = []

    def select_subprotocol(
        client_subprotocols: Sequence[Subprotocol],
        server_subprotocols: Sequence[Subprotocol],
    ) -> Subprotocol:
        calls.append((list(client_subprotocols), list(server_subprotocols)))
        return client_subprotocols[-1]

    async with serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        subprotocols=["chat", "superchat"],
        select_subprotocol=select_subprotocol,
    ) as server:
        async with connect(get_uri(server), subprotocols=["superchat", "chat"]) as ws:
            assert ws.subprotocol == "chat"
            assert server_side(server).subprotocol == "chat"
    assert calls == [(["superchat", "chat"], ["chat", "superchat"])]


async def test_serve_select_subprotocol_override() -> None:
    class CustomServerProtocol(WebSocketServerProtocol):
        def select_subprotocol(
            self,
            client_subprotocols: Sequence[Subprotocol],
            server_subprotocols: Sequence[Subprotocol],
        ) -> Optional[Subprotocol]:
            return server_subprotocols[-1]

    async with serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        subprotocols=["chat", "superchat"],
        create_protocol=CustomServerProtocol,
    ) as server:
        async with connect(get_uri(server), subprotocols=["chat", "superchat"]) as ws:
            assert ws.subprotocol == "superchat"
            assert server_side(server).subprotocol == "superchat"


@pytest.mark.parametrize(
    "extra_headers",
    [
        Headers([("X-Spam", "eggs"), ("X-Spam", "ham")]),
        [("X-Spam", "eggs"), ("X-Spam", "ham")],
        lambda path, headers: [("X-Spam", "eggs"), ("X-Spam", "ham")],
    ],
    ids=["Headers", "pairs", "callable"],
)
async def test_serve_extra_headers(extra_headers: Any) -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, extra_headers=extra_headers
    ) as server:
        async with connect(get_uri(server)) as ws:
            assert ws.response_headers.get_all("X-Spam") == ["eggs", "ham"]


async def test_serve_extra_headers_mapping_and_callable_arguments() -> None:
    def extra_headers(path: str, headers: Headers) -> Any:
        return {"X-Path": path, "X-Host": headers["Host"]}

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, extra_headers=extra_headers
    ) as server:
        async with connect(get_uri(server, "/path?q")) as ws:
            assert ws.response_headers["X-Path"] == "/path?q"
            assert ws.response_headers["X-Host"] == f"127.0.0.1:{get_port(server)}"


async def test_serve_extra_headers_override_server_header() -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, extra_headers={"Server": "custom/1"}
    ) as server:
        async with connect(get_uri(server)) as ws:
            assert ws.response_headers.get_all("Server") == ["custom/1"]
            assert "Date" in ws.response_headers

    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            assert ws.response_headers["Server"] == USER_AGENT


@pytest.mark.parametrize(
    "headers",
    [
        Headers([("X-Spam", "eggs"), ("Content-Type", "text/plain")]),
        {"X-Spam": "eggs", "Content-Type": "text/plain"},
        [("X-Spam", "eggs"), ("Content-Type", "text/plain")],
    ],
    ids=["Headers", "dict", "pairs"],
)
async def test_serve_process_request_returns_response(headers: Any) -> None:
    calls = []

    async def process_request(path: str, request_headers: Headers) -> Any:
        calls.append((path, request_headers["Host"]))
        if path == "/health":
            return http.HTTPStatus.OK, headers, b"OK\n"
        return None

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_request
    ) as server:
        port = get_port(server)
        status, response_headers, body = await http_exchange(
            server, handshake_request("/health")
        )
        assert status == 200
        assert body == b"OK\n"
        assert response_headers["X-Spam"] == "eggs"
        assert response_headers["Content-Type"] == "text/plain"
        assert response_headers["Content-Length"] == "3"
        assert response_headers["Connection"] == "close"
        assert response_headers["Server"] == USER_AGENT
        assert "Date" in response_headers

        # Returning None continues the handshake.
        async with connect(get_uri(server, "/ws")) as ws:
            assert ws.open
    assert calls == [("/health", "127.0.0.1"), ("/ws", f"127.0.0.1:{port}")]


async def test_serve_process_request_override() -> None:
    class HealthCheckProtocol(WebSocketServerProtocol):
        async def process_request(self, path: str, request_headers: Headers) -> Any:
            if path == "/health":
                return http.HTTPStatus.OK, [], b"OK\n"
            return await super().process_request(path, request_headers)

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, create_protocol=HealthCheckProtocol
    ) as server:
        status, _, body = await http_exchange(server, handshake_request("/health"))
        assert (status, body) == (200, b"OK\n")
        async with connect(get_uri(server, "/ws")) as ws:
            assert ws.open


async def test_serve_process_request_raises(caplog: pytest.LogCaptureFixture) -> None:
    async def process_request(path: str, headers: Headers) -> Any:
        raise RuntimeError("process_request crashed")

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_request
    ) as server:
        status, headers, body = await http_exchange(server, handshake_request())
        assert status == 500
        assert body == (
            b"Failed to open a WebSocket connection.\n"
            b"See server log for more information.\n"
        )
        check_error_response(headers, body)

        with pytest.raises(InvalidStatusCode, match="HTTP 500") as raised:
            await connect(get_uri(server))
        assert raised.value.status_code == 500

    errors = [
        r
        for r in caplog.records
        if r.name == "websockets.server" and r.levelno == logging.ERROR
    ]
    assert [r.getMessage() for r in errors] == ["opening handshake failed"] * 2
    for record in errors:
        assert record.exc_info is not None
        assert str(record.exc_info[1]) == "process_request crashed"


async def test_serve_process_request_returns_invalid_response(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def process_request(path: str, headers: Headers) -> Any:
        return http.HTTPStatus.OK, [("X-Spam", "eggs\r\nX-Injected: ham")], b""

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_request
    ) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(handshake_request())
            assert await reader.read() == b""
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == ["invalid HTTP response"]


async def test_serve_process_request_raises_connection_error(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="websockets.server")

    async def process_request(path: str, headers: Headers) -> Any:
        raise ConnectionResetError

    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_request
    ) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(handshake_request())
            assert await reader.read() == b""
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.server"]
    assert "connection error in the opening handshake" in messages


async def test_serve_drops_connection_closed_during_handshake(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG, logger="websockets.server")
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(b"GET / HTTP/1.1\r\n")
            writer.write_eof()
            assert await reader.read() == b""
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.server"]
    assert "connection closed during the opening handshake" in messages


async def test_serve_open_timeout(caplog: pytest.LogCaptureFixture) -> None:
    # The client never sends a request: the timeout always fires.
    caplog.set_level(logging.INFO, logger="websockets.server")
    async with serve(wait_closed_handler, "127.0.0.1", 0, open_timeout=0.05) as server:
        async with raw_client(server) as (reader, writer):
            assert await reader.read() == b""
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.server"]
    assert "opening handshake timed out: dropping the connection" in messages


class RecordingProtocol(WebSocketServerProtocol):
    """A server protocol that records what it did while receiving bytes."""

    instances: List["RecordingProtocol"] = []
    connected: Optional[asyncio.Event] = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.task_at_connection = self.handler_task
        self.open_after_data: List[bool] = []
        self.instances.append(self)
        if self.connected is not None:
            self.connected.set()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self.open_after_data.append(self.open and self.handler_task is not None)


async def test_serve_handshake_runs_in_data_received() -> None:
    # Without process_request, the whole opening handshake runs when the
    # request arrives: no task, no turn of the event loop until the handler.
    RecordingProtocol.instances = []
    async with serve(
        echo_handler, "127.0.0.1", 0, create_protocol=RecordingProtocol
    ) as server:
        async with connect(get_uri(server)) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
    (protocol,) = RecordingProtocol.instances
    assert protocol.task_at_connection is None
    assert protocol.open_after_data[0] is True


async def test_serve_handshake_with_frames_in_same_read() -> None:
    async with serve(echo_handler, "127.0.0.1", 0) as server:
        async with raw_client(server) as (reader, writer):
            frame = Frame(True, OP_TEXT, b"hello").serialize(mask=True)
            writer.write(handshake_request() + frame)
            head = bytearray(await reader.readuntil(b"\r\n\r\n"))
            result = LineReader(parse_response()).feed(head)
            assert result is not None and result[0] == 101
            assert await reader.readexactly(7) == b"\x81\x05hello"


async def test_serve_handshake_in_task_for_8x_subclass() -> None:
    # 8.x code may override a coroutine of the handshake: it's awaited.
    class EarlyResponse(RecordingProtocol):
        async def process_request(
            self, path: str, request_headers: Headers
        ) -> Optional[HTTPResponse]:
            await asyncio.sleep(0)
            if path == "/health":
                return http.HTTPStatus.OK, [], b"OK\n"
            return None

    RecordingProtocol.instances = []
    async with serve(
        echo_handler, "127.0.0.1", 0, create_protocol=EarlyResponse
    ) as server:
        status, _, body = await http_exchange(server, handshake_request("/health"))
        assert (status, body) == (200, b"OK\n")
        async with connect(get_uri(server)) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"
    for protocol in RecordingProtocol.instances:
        assert protocol.task_at_connection is not None
        assert protocol.open_after_data[0] is False


async def test_serve_handshake_in_task_when_a_coroutine_is_patched() -> None:
    # 8.x's tests patch the class after it's created.
    with unittest.mock.patch.object(
        WebSocketServerProtocol,
        "process_request",
        side_effect=Exception("process_request crashed"),
    ) as process_request:
        async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
            with pytest.raises(InvalidStatusCode) as raised:
                await connect(get_uri(server))
    assert raised.value.status_code == 500
    process_request.assert_called_once()


async def test_serve_open_timeout_in_task(caplog: pytest.LogCaptureFixture) -> None:
    # With process_request, the handshake runs in the handler task.
    caplog.set_level(logging.INFO, logger="websockets.server")
    never: asyncio.Future[None] = asyncio.get_running_loop().create_future()

    async def process_request(path: str, headers: Headers) -> None:
        await never

    async with serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        open_timeout=0.05,
        process_request=process_request,
    ) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(handshake_request())
            assert await reader.read() == b""
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.server"]
    assert "opening handshake timed out: dropping the connection" in messages


async def process_nothing(path: str, headers: Headers) -> None:
    """A process_request coroutine: the opening handshake runs in a task."""


async def test_serve_handshake_in_task_answers_400_to_bad_request() -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_nothing
    ) as server:
        status, _, body = await http_exchange(server, b"GET / HTTP/1.0\r\n\r\n")
        assert status == 400
        assert b"did not receive a valid HTTP request" in body


async def test_serve_handshake_in_task_eof(caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG, logger="websockets.server")
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_nothing
    ) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(b"GET / HTTP/1.1\r\n")
            writer.write_eof()
            assert await reader.read() == b""
    messages = [r.getMessage() for r in caplog.records if r.name == "websockets.server"]
    assert "connection closed during the opening handshake" in messages


async def test_serve_handshake_in_task_without_open_timeout() -> None:
    async with serve(
        echo_handler,
        "127.0.0.1",
        0,
        process_request=process_nothing,
        open_timeout=None,
    ) as server:
        async with connect(get_uri(server)) as ws:
            await ws.send("hello")
            assert await ws.recv() == "hello"


async def test_serve_unregisters_connection_lost_in_handshake() -> None:
    RecordingProtocol.instances = []
    RecordingProtocol.connected = connected = asyncio.Event()
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, create_protocol=RecordingProtocol
    ) as server:
        async with raw_client(server) as (reader, writer):
            writer.write(b"GET / HTTP/1.1\r\nHost: ex")
            await connected.wait()
        (protocol,) = RecordingProtocol.instances
        await protocol.wait_closed()
        assert server.websockets == set()
        assert protocol.handler_task is None


async def test_reads_stay_under_mmap_threshold() -> None:
    # Reads of asyncio's socket transports come from the heap: see READ_SIZE.
    async with serve(echo_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            assert ws.transport is not None
            if not isinstance(getattr(type(ws.transport), "max_size", None), int):
                pytest.skip("this event loop's transports have no read size")
            assert ws.transport.max_size == READ_SIZE  # type: ignore[attr-defined]
            # A bytes object of READ_SIZE, with glibc's chunk header, stays
            # under glibc's default mmap threshold of 128 KiB.
            assert sys.getsizeof(b"x" * READ_SIZE) + 16 < 128 * 1024
            await ws.send("x" * 200_000)
            assert await ws.recv() == "x" * 200_000


async def test_serve_open_timeout_none() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0, open_timeout=None) as server:
        async with connect(get_uri(server)) as ws:
            assert ws.open


# Server: bad requests.


async def test_serve_answers_400_to_missing_key() -> None:
    headers = handshake_headers()
    del headers["Sec-WebSocket-Key"]
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        status, response_headers, body = await http_exchange(
            server, handshake_request(headers=headers)
        )
    assert status == 400
    assert body == (
        b"Failed to open a WebSocket connection: missing Sec-WebSocket-Key header.\n"
    )
    check_error_response(response_headers, body)


@pytest.mark.parametrize(
    "request_bytes, detail",
    [
        (b"GET / HTTP/1.0\r\n\r\n", "HTTP/1.0"),
        (b"POST / HTTP/1.1\r\n\r\n", "POST"),
        (b"GET / HTTP/1.1\nHost: localhost\n\n", "LF without CR"),
    ],
    ids=["HTTP/1.0", "POST", "bare LF"],
)
async def test_serve_answers_400_to_malformed_request(
    request_bytes: bytes, detail: str
) -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        status, headers, body = await http_exchange(server, request_bytes)
    assert status == 400
    prefix = (
        b"Failed to open a WebSocket connection: did not receive a valid HTTP request: "
    )
    assert body.startswith(prefix)
    assert detail.encode() in body
    check_error_response(headers, body)


async def test_serve_answers_426_to_wrong_version() -> None:
    headers = handshake_headers()
    del headers["Sec-WebSocket-Version"]
    headers["Sec-WebSocket-Version"] = "8"
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        status, response_headers, body = await http_exchange(
            server, handshake_request(headers=headers)
        )
    assert status == 426
    assert response_headers["Sec-WebSocket-Version"] == "13"
    assert body == (
        b"Failed to open a WebSocket connection: "
        b"invalid Sec-WebSocket-Version header: 8.\n"
    )
    check_error_response(response_headers, body)


async def test_serve_answers_426_to_missing_upgrade() -> None:
    headers = handshake_headers()
    del headers["Upgrade"]
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        status, response_headers, body = await http_exchange(
            server, handshake_request(headers=headers)
        )
    assert status == 426
    assert response_headers["Upgrade"] == "websocket"
    assert body == b"Failed to open a WebSocket connection: missing Upgrade header.\n"
    check_error_response(response_headers, body)


async def test_serve_answers_431_to_long_header_line() -> None:
    headers = handshake_headers()
    headers["X-Spam"] = "x" * 8192
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        status, response_headers, body = await http_exchange(
            server, handshake_request(headers=headers)
        )
    assert status == 431
    assert body == (
        b"Failed to open a WebSocket connection: "
        b"did not receive a valid HTTP request: line longer than 8192 bytes.\n"
    )
    check_error_response(response_headers, body)


async def test_serve_answers_431_to_too_many_headers() -> None:
    headers = handshake_headers()
    for index in range(300):
        headers[f"X-Spam-{index}"] = "eggs"
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        status, response_headers, body = await http_exchange(
            server, handshake_request(headers=headers)
        )
        assert status == 431
        assert body == (
            b"Failed to open a WebSocket connection: "
            b"did not receive a valid HTTP request: more than 256 headers.\n"
        )
        check_error_response(response_headers, body)

        with pytest.raises(InvalidStatusCode, match="HTTP 431") as raised:
            await connect(get_uri(server), extra_headers=headers.raw_items())
        assert raised.value.status_code == 431


async def test_serve_answers_431_before_end_of_long_line() -> None:
    # The line never ends: the server answers as soon as it's too long.
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        status, _, body = await http_exchange(
            server, b"GET / HTTP/1.1\r\nX-Spam: " + b"x" * 60000
        )
    assert status == 431
    assert b"line longer than 8192 bytes" in body


async def test_serve_reads_until_client_closes_after_431() -> None:
    connected = asyncio.Event()
    async with serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        read_limit=1000,
        close_timeout=1,
        create_protocol=signal_connections(connected),
    ) as server:
        async with raw_client(server) as (reader, writer):
            await connected.wait()
            server_ws = server_side(server)
            writer.write(b"GET / HTTP/1.1\r\nX-Spam: " + b"x" * 60000)
            status, _, _ = await read_http_response(reader)
            assert status == 431
            # The server half-closes after the error response and reads again,
            # although reading was paused while the request was too large, to
            # see the client close (RFC 7230 6.6).
            assert server_ws.transport is not None
            assert server_ws.transport.is_reading()
            assert await reader.read() == b""
            writer.close()
            await server_ws.wait_closed()
            assert server_ws.close_cause is CloseReason.PROTOCOL_ERROR


# Server: shutdown.


async def test_server_sockets() -> None:
    server = await serve(wait_closed_handler, "127.0.0.1", 0)
    sockets = server.sockets
    assert isinstance(sockets, list)
    assert len(sockets) == 1
    assert sockets[0].getsockname()[0] == "127.0.0.1"
    server.close()
    assert server.sockets is None
    await server.wait_closed()
    assert server.sockets is None


async def test_server_close_stops_listening() -> None:
    server = await serve(wait_closed_handler, "127.0.0.1", 0)
    uri = get_uri(server)
    server.close()
    await server.wait_closed()
    with pytest.raises(ConnectionRefusedError) as raised:
        await connect(uri)
    assert raised.value.errno == errno.ECONNREFUSED


async def test_server_close_is_idempotent() -> None:
    server = await serve(wait_closed_handler, "127.0.0.1", 0)
    server.close()
    server.close()
    await server.wait_closed()
    server.close()
    await server.wait_closed()


async def test_server_wait_closed_waits_for_close() -> None:
    server = await serve(wait_closed_handler, "127.0.0.1", 0)
    wait_closed = asyncio.ensure_future(server.wait_closed())
    await asyncio.wait([wait_closed], timeout=0)
    assert not wait_closed.done()
    server.close()
    await wait_closed


async def test_server_without_listener() -> None:
    server = WebSocketServer()
    assert not server.is_serving()
    assert server.sockets is None
    server.close()
    await server.wait_closed()


async def test_server_close_closes_connections_with_1001() -> None:
    async with serve(echo_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            server.close()
            with pytest.raises(ConnectionClosedOK, match="1001") as raised:
                await ws.recv()
            assert raised.value.code == 1001
            await server.wait_closed()
            assert ws.close_code == 1001


async def test_server_wait_closed_waits_for_handlers() -> None:
    loop = asyncio.get_running_loop()
    cleaning_up = asyncio.Event()
    release: asyncio.Future[None] = loop.create_future()
    handler_done: List[int] = []
    connections: List[WebSocketServerProtocol] = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        connections.append(ws)
        try:
            await ws.recv()
        except ConnectionClosedOK as exc:
            cleaning_up.set()
            await release
            handler_done.append(exc.code)

    server = await serve(handler, "127.0.0.1", 0)
    async with connect(get_uri(server)) as ws:
        server.close()
        wait_closed = asyncio.ensure_future(server.wait_closed())
        await cleaning_up.wait()
        await ws.wait_closed()
        assert ws.close_code == 1001
        assert not wait_closed.done()
        release.set_result(None)
        await wait_closed
    assert handler_done == [1001]
    # Every TCP connection is closed and unregistered.
    assert connections[0].closed
    assert not server.websockets


async def test_server_close_loses_no_messages() -> None:
    sent = asyncio.Event()

    # 1000 messages of 1 KiB exceed the buffers of the server and the OS:
    # some are still waiting to be sent when the server closes.
    messages = [f"message {index}".ljust(1024) for index in range(1000)]

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        for message in messages:
            await ws.send(message)
        sent.set()
        await ws.wait_closed()

    server = await serve(handler, "127.0.0.1", 0, compression=None)
    async with connect(get_uri(server)) as ws:

        async def receive() -> List[str]:
            received = []
            with pytest.raises(ConnectionClosedOK, match="1001"):
                while True:
                    received.append(str(await ws.recv()))
            return received

        received = asyncio.ensure_future(receive())
        await sent.wait()
        server.close()
        assert await received == messages
        await server.wait_closed()


async def test_server_close_answers_503_to_pending_handshake() -> None:
    # One raw client sends its request after close(), one sends nothing.
    connected = asyncio.Event()
    server = await serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        create_protocol=signal_connections(connected),
    )
    async with raw_client(server) as (reader1, writer1):
        await connected.wait()
        connected.clear()
        async with raw_client(server) as (reader2, writer2):
            await connected.wait()
            assert len(server.websockets) == 2
            server.close()
            writer1.write(handshake_request())
            for reader in [reader1, reader2]:
                status, headers, body = await read_http_response(reader)
                assert status == 503
                assert body == b"Server is shutting down.\n"
                check_error_response(headers, body)
    await server.wait_closed()


async def test_server_close_answers_503_after_process_request() -> None:
    loop = asyncio.get_running_loop()
    processing = asyncio.Event()
    release: asyncio.Future[None] = loop.create_future()

    async def process_request(path: str, headers: Headers) -> None:
        processing.set()
        await release

    server = await serve(
        wait_closed_handler, "127.0.0.1", 0, process_request=process_request
    )
    client = asyncio.ensure_future(connect(get_uri(server)))
    await processing.wait()
    server.close()
    release.set_result(None)
    with pytest.raises(InvalidStatusCode, match="HTTP 503") as raised:
        await client
    assert raised.value.status_code == 503
    await server.wait_closed()


async def test_server_closing_skips_process_request() -> None:
    # A request arrives just as the server starts closing.
    calls: List[str] = []

    class ClosingProtocol(WebSocketServerProtocol):
        def data_received(self, data: bytes) -> None:
            super().data_received(data)
            self.ws_server.close()

    async def process_request(path: str, headers: Headers) -> None:
        calls.append(path)

    server = await serve(
        wait_closed_handler,
        "127.0.0.1",
        0,
        create_protocol=ClosingProtocol,
        process_request=process_request,
    )
    status, _, body = await http_exchange(server, handshake_request())
    assert (status, body) == (503, b"Server is shutting down.\n")
    assert calls == []
    await server.wait_closed()


# Compression.


async def test_compression_negotiated_by_default() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0) as server:
        async with connect(get_uri(server)) as ws:
            assert ws.request_headers["Sec-WebSocket-Extensions"] == (
                "permessage-deflate; client_max_window_bits"
            )
            assert ws.response_headers["Sec-WebSocket-Extensions"] == (
                "permessage-deflate; server_max_window_bits=12; "
                "client_max_window_bits=12"
            )
            # Settings measured with bench/deflate_settings.py.
            for extension in [*ws.extensions, *server_side(server).extensions]:
                assert isinstance(extension, PerMessageDeflate)
                assert extension.local_max_window_bits == 12
                assert extension.remote_max_window_bits == 12
                assert extension.compress_settings == {"memLevel": 5}
            await ws.send("café " * 1000)


async def test_compression_disabled_on_server() -> None:
    async with serve(wait_closed_handler, "127.0.0.1", 0, compression=None) as server:
        async with connect(get_uri(server)) as ws:
            assert "Sec-WebSocket-Extensions" in ws.request_headers
            assert "Sec-WebSocket-Extensions" not in ws.response_headers
            assert ws.extensions == []
            assert server_side(server).extensions == []


async def test_compression_of_large_message() -> None:
    received: List[int] = []

    class CountingProtocol(WebSocketServerProtocol):
        def data_received(self, data: bytes) -> None:
            if self.state is OPEN:
                received.append(len(data))
            super().data_received(data)

    message = "websockets " * 50_000
    async with serve(
        echo_handler, "127.0.0.1", 0, create_protocol=CountingProtocol
    ) as server:
        async with connect(get_uri(server)) as ws:
            await ws.send(message)
            assert await ws.recv() == message
            # The message went over the network compressed.
            assert 0 < sum(received) < len(message) // 10


# Attributes.


async def test_attributes_after_handshake() -> None:
    async with serve(
        wait_closed_handler, "127.0.0.1", 0, subprotocols=["chat"]
    ) as server:
        port = get_port(server)
        async with connect(get_uri(server, "/path?q=1"), subprotocols=["chat"]) as ws:
            server_ws = server_side(server)
            for side in [ws, server_ws]:
                assert side.path == "/path?q=1"
                assert side.request_headers["Host"] == f"127.0.0.1:{port}"
                assert side.response_headers["Sec-WebSocket-Protocol"] == "chat"
                assert side.subprotocol == "chat"
                assert side.state is OPEN
                assert side.open
                assert not side.closed
            assert ws.remote_address == ("127.0.0.1", port)
            assert server_ws.local_address == ("127.0.0.1", port)
            assert ws.local_address == server_ws.remote_address
            # Deprecated in 8.x.
            with pytest.warns(DeprecationWarning) as warned:
                assert (ws.host, ws.port, ws.secure) == ("127.0.0.1", port, False)
                assert (server_ws.host, server_ws.secure) == ("127.0.0.1", False)
            assert [str(warning.message) for warning in warned] == [
                "use remote_address[0] instead of host",
                "use remote_address[1] instead of port",
                "don't use secure",
                "use local_address[0] instead of host",
                "don't use secure",
            ]
        assert ws.state is CLOSED


async def test_attributes_before_connection() -> None:
    ws = WebSocketClientProtocol()
    assert ws.local_address is None
    assert ws.remote_address is None
