"""The connection of the threading API: receiving, sending, pings, closing."""

import contextlib
import socket
import threading
from typing import Any, Iterator, List, Tuple

import pytest

from websockets.connection import CloseReason
from websockets.exceptions import ConnectionClosedError, ConnectionClosedOK
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
from websockets.sansio import (
    ClientConnection as ClientProtocol,
    Response,
    ServerConnection as ServerProtocol,
)
from websockets.sync.client import connect
from websockets.sync.server import ServerConnection
from websockets.uri import parse_uri

from .sync_utils import QUIET, TIMEOUT, raw_peer, read_until_eof, sync_server


def test_send_and_recv_text_and_binary() -> None:
    with sync_server() as uri, connect(uri, **QUIET) as ws:
        ws.send("café ✓")
        assert ws.recv(TIMEOUT) == "café ✓"
        ws.send(b"\x00\xff")
        assert ws.recv(TIMEOUT) == b"\x00\xff"
        ws.send(bytearray(b"ba"))
        assert ws.recv(TIMEOUT) == b"ba"
        ws.send(memoryview(b"mv"))
        assert ws.recv(TIMEOUT) == b"mv"


def test_send_fragments() -> None:
    with sync_server() as uri, connect(uri, **QUIET) as ws:
        ws.send(["a", "", "b✓"])
        assert ws.recv(TIMEOUT) == "ab✓"
        ws.send(iter([b"x", bytearray(b"y")]))
        assert ws.recv(TIMEOUT) == b"xy"
        ws.send([])  # nothing to send
        ws.send("after")
        assert ws.recv(TIMEOUT) == "after"


def test_send_rejects_unsupported_types() -> None:
    with sync_server() as uri, connect(uri, **QUIET) as ws:
        with pytest.raises(TypeError, match="unsupported type: int"):
            ws.send(42)  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="unsupported type: dict"):
            ws.send({"a": "b"})  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="all be str or all be bytes-like"):
            ws.send(["a", b"b"])
        with pytest.raises(ConnectionClosedError):
            ws.recv(TIMEOUT)
    # The client failed the connection with 1011 (RFC 6455 7.1.5: then its
    # close code is 1006).
    assert (ws.close_code, ws.protocol.close_sent_code) == (1006, 1011)


def test_recv_times_out() -> None:
    with sync_server() as uri, connect(uri, **QUIET) as ws:
        with pytest.raises(TimeoutError, match="no message received within 0.01"):
            ws.recv(0.01)


def test_iteration_ends_when_closed_normally() -> None:
    def handler(connection: ServerConnection) -> None:
        connection.send("one")
        connection.send("two")

    with sync_server(handler) as uri, connect(uri, **QUIET) as ws:
        assert list(ws) == ["one", "two"]
    assert (ws.close_code, ws.close_reason) == (1000, "")


def test_iteration_raises_when_closed_with_error() -> None:
    def handler(connection: ServerConnection) -> None:
        raise RuntimeError("boom")

    with sync_server(handler) as uri, connect(uri, **QUIET) as ws:
        with pytest.raises(ConnectionClosedError, match="1011"):
            list(ws)


def test_operations_on_closed_connection_raise() -> None:
    with sync_server() as uri:
        ws = connect(uri, **QUIET)
        ws.close(1000, "bye")
        ws.close()  # idempotent
        assert ws.wait_closed(0)
        assert (ws.close_code, ws.close_reason) == (1000, "bye")
        for operation in (ws.recv, lambda: ws.send("x"), ws.ping, ws.pong):
            with pytest.raises(ConnectionClosedOK):
                operation()


def test_ping_event_is_set_on_pong() -> None:
    with sync_server() as uri, connect(uri, **QUIET) as ws:
        assert ws.ping().wait(TIMEOUT)
        assert ws.ping("text ✓").wait(TIMEOUT)
        ws.pong(b"unsolicited")
        ws.pong("unsolicited ✓")
        ws.send("x")
        assert ws.recv(TIMEOUT) == "x"


def test_pong_answers_earlier_pings() -> None:
    def script(sock: socket.socket, protocol: ServerProtocol) -> None:
        pings: List[Frame] = []
        while len(pings) < 2:
            protocol.receive_data(sock.recv(4096))
            pings += protocol.events_received()
        protocol.data_to_send()  # drop the automatic pongs
        protocol.send_pong(b"second")  # RFC 6455 5.5.3: answers both
        sock.sendall(b"".join(protocol.data_to_send()))
        read_until_eof(sock, protocol)

    with raw_peer(script) as uri, connect(uri, **QUIET) as ws:
        first = ws.ping(b"first")
        with pytest.raises(ValueError, match="already waiting for a pong"):
            ws.ping(b"first")
        second = ws.ping(b"second")
        assert second.wait(TIMEOUT) and first.is_set()


def test_keepalive_pings_are_answered() -> None:
    pings = threading.Event()

    def script(sock: socket.socket, protocol: ServerProtocol) -> None:
        count = 0
        while count < 3:
            protocol.receive_data(sock.recv(4096))
            for event in protocol.events_received():
                count += isinstance(event, Frame) and event.opcode == OP_PING
            sock.sendall(b"".join(protocol.data_to_send()))
        pings.set()
        read_until_eof(sock, protocol)

    with raw_peer(script) as uri:
        with connect(uri, ping_interval=0.01, ping_timeout=TIMEOUT) as ws:
            assert pings.wait(TIMEOUT)
        assert ws.close_code == 1000


def test_keepalive_fails_connection_without_pong() -> None:
    def script(sock: socket.socket, protocol: ServerProtocol) -> None:
        # Read without answering; wait for the client to close.
        while sock.recv(4096):
            pass

    with raw_peer(script) as uri:
        ws = connect(uri, ping_interval=0.01, ping_timeout=0.01, close_timeout=0.05)
        with pytest.raises(ConnectionClosedError) as raised:
            ws.recv(TIMEOUT)
        # The client sent a Close frame with 1011; no answer came: 1006.
        assert (raised.value.code, raised.value.reason) == (1006, "")
        assert ws.protocol.close_sent_code == 1011
        assert ws.protocol.close_sent_reason == "keepalive ping timeout"
        assert ws.close_cause is CloseReason.KEEPALIVE_TIMEOUT
        ws.close()


def test_close_times_out_when_peer_does_not_answer() -> None:
    closed = threading.Event()

    def script(sock: socket.socket, protocol: ServerProtocol) -> None:
        # Never answer the Close frame, never close the TCP connection.
        closed.wait(TIMEOUT)

    with raw_peer(script) as uri:
        ws = connect(uri, ping_interval=None, close_timeout=0.02)
        ws.close()
        closed.set()
    assert ws.close_code == 1006


def test_peer_closes_while_messages_wait() -> None:
    def handler(connection: ServerConnection) -> None:
        for index in range(5):
            connection.send(str(index))
        connection.close(4001, "done")

    with sync_server(handler) as uri, connect(uri, max_queue=1, **QUIET) as ws:
        received: List[Any] = []
        with pytest.raises(ConnectionClosedError):
            for _ in range(10):
                received.append(ws.recv(TIMEOUT))
        assert received == ["0", "1", "2", "3", "4"]
        assert (ws.close_code, ws.close_reason) == (4001, "done")


def test_context_manager_closes_with_1011_on_error() -> None:
    codes: List[Any] = []

    def handler(connection: ServerConnection) -> None:
        with pytest.raises(ConnectionClosedError):
            connection.recv(TIMEOUT)
        codes.append(connection.close_code)

    with sync_server(handler) as uri:
        with pytest.raises(RuntimeError), connect(uri, **QUIET) as ws:
            raise RuntimeError
        assert ws.close_code == 1011


def test_properties() -> None:
    with sync_server(subprotocols=["chat"]) as uri:
        with connect(uri, subprotocols=["chat"], **QUIET) as ws:
            assert ws.subprotocol == "chat"
            assert [ext.name for ext in ws.extensions] == ["permessage-deflate"]
            assert ws.remote_address[0] == "127.0.0.1"
            assert ws.local_address[0] == "127.0.0.1"
            assert ws.close_code is None
            assert ws.response is not None and ws.response.status_code == 101


# A violation after messages in the same read: the application answers them,
# then the connection fails (Autobahn|Testsuite 3.2, 4.1.3, 5.15...).

MESSAGES = [Frame(True, OP_TEXT, b"one"), Frame(True, OP_TEXT, b"two")]

# An invalid frame and the close code it causes, with max_size=10.
VIOLATIONS = [
    pytest.param(Frame(True, OP_TEXT, b"x", rsv2=True), 1002, id="rsv2"),
    pytest.param(Frame(True, 3, b""), 1002, id="reserved-opcode"),
    pytest.param(Frame(True, OP_CONT, b"x"), 1002, id="continuation"),
    pytest.param(Frame(True, OP_TEXT, b"\xff"), 1007, id="invalid-utf8"),
    pytest.param(Frame(True, OP_BINARY, b"x" * 20), 1009, id="too-big"),
]

# The frames come with the handshake message or in a later write.
WITH_HANDSHAKE = pytest.mark.parametrize(
    "with_handshake", [True, False], ids=["with-handshake", "after-handshake"]
)


def frames(mask: bool, *frames: Frame) -> bytes:
    return b"".join(serialize_frame(frame, mask) for frame in frames)


@contextlib.contextmanager
def raw_server(data: bytes, with_response: bool) -> Iterator[Tuple[str, List[Any]]]:
    """
    Send ``data`` in one write, with the handshake response or after it;
    yield the URI, and the events received until EOF once the block is left.

    """
    events: List[Any] = []

    def script(sock: socket.socket, protocol: ServerProtocol) -> None:
        if not with_response:
            sock.sendall(data)
        events.extend(read_until_eof(sock, protocol))

    with raw_peer(script, data if with_response else b"") as uri:
        yield uri, events


def raw_client(uri: str, data: bytes, with_request: bool) -> List[Any]:
    """
    Send ``data`` in one write, with the handshake request or after the
    response; return the events received until EOF.

    """
    protocol = ClientProtocol(parse_uri(uri))
    protocol.send_request(protocol.connect())
    request = b"".join(protocol.data_to_send())
    with socket.create_connection((protocol.wsuri.host, protocol.wsuri.port)) as sock:
        sock.settimeout(TIMEOUT)
        if with_request:
            sock.sendall(request + data)
        else:
            sock.sendall(request)
            while protocol.response is None:
                protocol.receive_data(sock.recv(4096))
            sock.sendall(data)
        return read_until_eof(sock, protocol)


@WITH_HANDSHAKE
@pytest.mark.parametrize("violation, code", VIOLATIONS)
def test_client_answers_messages_before_violation(
    violation: Frame, code: int, with_handshake: bool
) -> None:
    data = frames(False, *MESSAGES, violation)
    with raw_server(data, with_handshake) as (uri, events):
        with connect(uri, max_size=10, **QUIET) as ws:
            with pytest.raises(ConnectionClosedError):
                for message in ws:
                    ws.send(message)
        assert ws.protocol.close_sent_code == code
        assert ws.close_cause is not CloseReason.LOCAL_CLOSE
    # The echoes went out before the Close frame.
    assert events[:2] == ["one", "two"]
    assert events[2].opcode == OP_CLOSE
    assert parse_close(events[2].data)[0] == code


@WITH_HANDSHAKE
@pytest.mark.parametrize("violation, code", VIOLATIONS)
def test_server_answers_messages_before_violation(
    violation: Frame, code: int, with_handshake: bool
) -> None:
    data = frames(True, *MESSAGES, violation)
    with sync_server(max_size=10) as uri:
        events = raw_client(uri, data, with_handshake)
    assert isinstance(events[0], Response) and events[0].status_code == 101
    # The echoes went out before the Close frame.
    assert events[1:3] == ["one", "two"]
    assert events[3].opcode == OP_CLOSE
    assert parse_close(events[3].data)[0] == code


def test_violation_without_messages_before_fails_at_once() -> None:
    data = frames(False, Frame(True, OP_TEXT, b"x", rsv2=True))
    with raw_server(data, with_response=True) as (uri, events):
        with connect(uri, **QUIET) as ws:
            with pytest.raises(ConnectionClosedError):
                ws.recv(TIMEOUT)
            assert ws.protocol.close_sent_code == 1002
    assert [event.opcode for event in events] == [OP_CLOSE]


def test_violation_fails_after_close_timeout_without_recv() -> None:
    data = frames(False, *MESSAGES, Frame(True, OP_TEXT, b"x", rsv2=True))
    with raw_server(data, with_response=False) as (uri, events):
        ws = connect(uri, ping_interval=None, close_timeout=0.05)
        # Nobody reads: the connection fails after close_timeout.
        assert ws.wait_closed(TIMEOUT)
        assert ws.protocol.close_sent_code == 1002
        # The messages are still there for the application.
        assert list(ws.recv(0) for _ in MESSAGES) == ["one", "two"]
        with pytest.raises(ConnectionClosedError):
            ws.recv(0)
    assert [event.opcode for event in events] == [OP_CLOSE]


def test_close_fails_with_the_violation_held() -> None:
    data = frames(False, *MESSAGES, Frame(True, 3, b""))
    with raw_server(data, with_response=True) as (uri, events):
        with connect(uri, **QUIET) as ws:
            assert ws.recv(TIMEOUT) == "one"
        # close(1000) sent 1002: the peer broke the protocol.
        assert ws.protocol.close_sent_code == 1002
    assert [event.opcode for event in events] == [OP_CLOSE]
    assert parse_close(events[0].data)[0] == 1002
