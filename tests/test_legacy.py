"""
Code written for websockets 8.x: event loops outside of a running loop, the
attributes and tasks 8.x code reaches for, and 8.x's deprecation paths.

These tests use websockets the way 8.x test suites did: a ``unittest``
``TestCase`` with its own event loop, driven with ``run_until_complete``.

"""

import asyncio
import http
import unittest
import unittest.mock
import warnings
from typing import Any, List

import pytest

import websockets
from websockets.client import WebSocketClientProtocol, connect
from websockets.connection import CLIENT, SERVER, Side
from websockets.exceptions import AbortHandshake, ConnectionClosedError
from websockets.framing import OP_CLOSE, OP_TEXT, Frame
from websockets.handshake import accept, accept_key
from websockets.http import Headers, read_headers
from websockets.protocol import State, WebSocketCommonProtocol, get_loop
from websockets.server import WebSocketServer, WebSocketServerProtocol, serve


pytestmark = pytest.mark.event_loops


async def echo(websocket: Any, path: str) -> None:
    async for message in websocket:
        await websocket.send(message)


async def echo_once(websocket: Any, path: str) -> None:
    await websocket.send(await websocket.recv())


class LegacyTestCase(unittest.TestCase):
    """The pattern of 8.x test suites: a loop per test, set as current."""

    def setUp(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.server = self.loop.run_until_complete(
            serve(echo, "127.0.0.1", 0, loop=self.loop, ping_interval=None)
        )
        self.port = self.server.sockets[0].getsockname()[1]  # type: ignore[index]

    def tearDown(self) -> None:
        # Called outside of the running loop, as 8.x allowed.
        self.server.close()
        self.loop.run_until_complete(self.server.wait_closed())
        self.loop.close()
        asyncio.set_event_loop(None)

    def test_echo(self) -> None:
        client = self.loop.run_until_complete(
            connect(f"ws://127.0.0.1:{self.port}/", loop=self.loop)
        )
        self.loop.run_until_complete(client.send("Hello!"))
        self.assertEqual(self.loop.run_until_complete(client.recv()), "Hello!")
        self.loop.run_until_complete(client.close())
        # The 8.x teardown awaits close_connection_task.
        self.loop.run_until_complete(client.close_connection_task)
        self.assertTrue(client.close_connection_task.done())

    def test_server_uses_given_loop(self) -> None:
        self.assertIs(self.server.loop, self.loop)

    def test_close_server_with_open_connection(self) -> None:
        client = self.loop.run_until_complete(connect(f"ws://127.0.0.1:{self.port}/"))
        self.server.close()
        self.loop.run_until_complete(self.server.wait_closed())
        self.loop.run_until_complete(client.wait_closed())
        self.assertEqual(client.close_code, 1001)

    def test_connect_without_loop_argument(self) -> None:
        # The running loop is used: it's the current one.
        client = self.loop.run_until_complete(connect(f"ws://127.0.0.1:{self.port}/"))
        self.assertIs(client.loop, self.loop)
        self.loop.run_until_complete(client.close())


class LegacyProtocolTestCase(unittest.TestCase):
    """A protocol built and driven outside of a running loop, as in 8.x."""

    def setUp(self) -> None:
        self.loop = asyncio.new_event_loop()
        asyncio.set_event_loop(self.loop)
        self.transport = unittest.mock.Mock()
        self.transport.is_closing.return_value = False
        self.transport.can_write_eof.return_value = True
        self.protocol = WebSocketCommonProtocol(ping_interval=None)

    def tearDown(self) -> None:
        if not self.protocol.closed:
            self.protocol.connection_lost(None)
        self.loop.run_until_complete(asyncio.sleep(0))
        self.loop.close()
        asyncio.set_event_loop(None)

    def open(self) -> None:
        self.protocol.connection_made(self.transport)
        self.protocol.connection_open()

    def test_loop_is_the_current_loop(self) -> None:
        self.open()
        self.assertIs(self.protocol.loop, self.loop)

    def test_given_loop(self) -> None:
        other = asyncio.new_event_loop()
        try:
            protocol = WebSocketCommonProtocol(loop=other)
            self.assertIs(protocol.loop, other)
        finally:
            other.close()

    def test_state_setter(self) -> None:
        self.open()
        self.assertIs(self.protocol.state, State.OPEN)
        self.protocol.state = State.CONNECTING
        self.assertIs(self.protocol.conn.state, State.CONNECTING)

    def test_max_size_set_after_construction(self) -> None:
        self.open()
        self.protocol.max_size = 4
        self.protocol.data_received(b"\x81\x85" + b"\x00" * 4 + b"hello")
        self.assertEqual(self.protocol.conn.close_sent_code, 1009)

    def test_close_connection_task(self) -> None:
        self.open()
        task = self.protocol.close_connection_task
        self.assertIs(self.protocol.close_connection_task, task)
        self.assertFalse(task.done())
        self.protocol.connection_lost(None)
        self.assertIsNone(task.result())

    def test_close_connection_task_after_close(self) -> None:
        self.open()
        self.protocol.connection_lost(None)
        self.assertTrue(self.protocol.close_connection_task.done())

    def test_transfer_data_task(self) -> None:
        self.open()
        task = self.protocol.transfer_data_task
        self.assertFalse(task.done())
        # Receiving a close frame ends the data transfer.
        frame = Frame(True, OP_CLOSE, b"\x03\xe8")
        self.protocol.data_received(frame.serialize(mask=True))
        self.assertTrue(task.done())
        self.assertFalse(self.protocol.closed)

    def test_keepalive_ping_task_without_keepalive(self) -> None:
        self.open()
        self.assertIsNone(self.protocol.keepalive_ping_task.result())

    def test_keepalive_ping_task_cancelled_by_close(self) -> None:
        protocol = self.protocol = WebSocketCommonProtocol(ping_interval=20)
        self.open()
        task = protocol.keepalive_ping_task
        self.assertFalse(task.done())
        protocol.connection_lost(None)
        self.assertTrue(task.cancelled())

    def test_keepalive_ping_task_done_after_timeout(self) -> None:
        protocol = self.protocol = WebSocketCommonProtocol(
            ping_interval=0.001, ping_timeout=0.001
        )
        self.open()
        task = protocol.keepalive_ping_task
        # A ping goes out, then times out: keepalive fails the connection.
        protocol._keepalive_ping()
        protocol._keepalive_timeout()
        self.assertIsNone(task.result())
        self.assertEqual(protocol.conn.close_sent_code, 1011)

    def test_is_client_and_side_set_on_instance(self) -> None:
        self.open()
        self.assertFalse(self.protocol.is_client)
        self.assertEqual(self.protocol.side, "server")
        self.protocol.is_client = True
        self.assertIs(self.protocol.conn.side, CLIENT)
        self.protocol.side = "server"
        self.assertIs(self.protocol.conn.side, SERVER)
        self.assertFalse(self.protocol.is_client)


def test_is_client_and_side_are_class_attributes() -> None:
    assert WebSocketClientProtocol.is_client is True
    assert WebSocketClientProtocol.side == "client"
    assert WebSocketServerProtocol.is_client is False
    assert WebSocketServerProtocol.side == "server"


@pytest.mark.parametrize(
    ("attributes", "side"),
    [
        ({"is_client": True}, CLIENT),
        ({"side": "client"}, CLIENT),
        ({"is_client": False, "side": "server"}, SERVER),
    ],
)
def test_subclass_sets_side(attributes: Any, side: Side) -> None:
    cls = type("Custom", (WebSocketCommonProtocol,), attributes)
    protocol = cls()
    assert protocol.conn.side is side
    assert cls.side is side
    assert protocol.is_client is (side is CLIENT)


def test_side_members_are_strings() -> None:
    assert Side.CLIENT == "client"
    assert Side("server") is SERVER


def test_get_loop_outside_of_a_loop() -> None:
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        assert get_loop() is loop
        other = asyncio.new_event_loop()
        assert get_loop(other) is other
        other.close()
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_server_close_from_synchronous_code() -> None:
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        server = WebSocketServer()
        server.close()
        loop.run_until_complete(server.wait_closed())
        assert server.loop is loop
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_accept_is_accept_key() -> None:
    # RFC 6455 1.3's example.
    assert accept("dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="
    assert accept is accept_key


def test_read_headers() -> None:
    async def run() -> Headers:
        stream = asyncio.StreamReader()
        stream.feed_data(b"Host: example.com\r\nUpgrade: websocket\r\n\r\nrest")
        return await read_headers(stream)

    headers = asyncio.run(run())
    assert headers == Headers([("Host", "example.com"), ("Upgrade", "websocket")])


def test_deprecated_timeout_on_protocol() -> None:
    with pytest.warns(DeprecationWarning, match="^rename timeout to close_timeout$"):
        protocol = WebSocketCommonProtocol(timeout=5)
    assert protocol.close_timeout == 5


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"klass": WebSocketServerProtocol}, "rename klass to create_protocol"),
        ({"timeout": 5}, "rename timeout to close_timeout"),
        ({"origins": [""]}, "use None instead of '' in origins"),
    ],
)
def test_deprecated_serve_arguments(kwargs: Any, message: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"^{message}$") as recorded:
        websockets.serve(echo, "127.0.0.1", 0, **kwargs)
    assert len(recorded) == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"klass": WebSocketClientProtocol}, "rename klass to create_protocol"),
        ({"timeout": 5}, "rename timeout to close_timeout"),
    ],
)
def test_deprecated_connect_arguments(kwargs: Any, message: str) -> None:
    with pytest.warns(DeprecationWarning, match=f"^{message}$") as recorded:
        websockets.connect("ws://localhost/", **kwargs)
    assert len(recorded) == 1


def test_timeout_and_klass_are_used() -> None:
    class Custom(WebSocketServerProtocol):
        pass

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        server = websockets.serve(echo, "127.0.0.1", 0, klass=Custom, timeout=3)
    protocol = server.factory()
    assert isinstance(protocol, Custom)
    assert protocol.close_timeout == 3


async def test_plain_function_process_request() -> None:
    def process_request(path: str, headers: Headers) -> Any:
        return 200, [], b"OK\n"

    async with serve(echo, "127.0.0.1", 0, process_request=process_request) as server:
        port = server.sockets[0].getsockname()[1]  # type: ignore[index]
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
        with pytest.warns(
            DeprecationWarning, match="^declare process_request as a coroutine$"
        ):
            writer.write(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            response = await reader.read()
        writer.close()
    assert response.startswith(b"HTTP/1.1 200 OK\r\n")
    assert response.endswith(b"\r\n\r\nOK\n")


async def test_deprecated_address_attributes() -> None:
    async with serve(echo, "localhost", 0) as server:
        port = server.sockets[0].getsockname()[1]  # type: ignore[index]
        async with connect(f"ws://localhost:{port}/") as client:
            recorded: List[str] = []
            with pytest.warns(DeprecationWarning) as warned:
                attributes = (client.host, client.port, client.secure)
            recorded = [str(warning.message) for warning in warned]
            (websocket,) = server.websockets
            with pytest.warns(DeprecationWarning, match=r"local_address\[0\]"):
                assert websocket.host == "localhost"
    assert attributes == ("localhost", port, False)
    assert recorded == [
        "use remote_address[0] instead of host",
        "use remote_address[1] instead of port",
        "don't use secure",
    ]


async def test_connection_error_in_server_close_drops_connection() -> None:
    with unittest.mock.patch.object(
        WebSocketServerProtocol, "close", side_effect=ConnectionError
    ):
        async with serve(echo_once, "127.0.0.1", 0) as server:
            port = server.sockets[0].getsockname()[1]  # type: ignore[index]
            client = await connect(f"ws://127.0.0.1:{port}/")
            await client.send("Hello!")
            assert await client.recv() == "Hello!"
            # The handler returns, then close() fails: the server drops the
            # connection without a close frame, as 8.x did.
            await client.wait_closed()
    assert client.close_code == 1006


def test_failing_side_reports_1006() -> None:
    # RFC 6455 7.1.5: the close code is 1006 when no Close frame was received,
    # even if this side sent one when it failed the connection.
    loop = asyncio.new_event_loop()
    try:
        asyncio.set_event_loop(loop)
        transport = unittest.mock.Mock()
        transport.is_closing.return_value = False
        protocol = WebSocketServerProtocol(echo, WebSocketServer())
        WebSocketCommonProtocol.connection_made(protocol, transport)
        protocol.connection_open()
        # An unmasked frame from a client is a protocol error.
        protocol.data_received(Frame(True, OP_TEXT, b"hi").serialize(mask=False))
        protocol.connection_lost(None)
        assert protocol.close_code == 1006
        assert protocol.conn.close_sent_code == 1002
        with pytest.raises(ConnectionClosedError) as raised:
            loop.run_until_complete(protocol.recv())
        assert raised.value.code == 1006
    finally:
        asyncio.set_event_loop(None)
        loop.close()


def test_abort_handshake_message_counts_headers_of_an_iterator() -> None:
    # 8.x's message counts headers: an iterator of pairs is read once.
    exc = AbortHandshake(http.HTTPStatus.OK, iter([("X-Test", "1")]), b"OK")
    assert str(exc) == "HTTP 200, 1 headers, 2 bytes"
    assert exc.headers == [("X-Test", "1")]
