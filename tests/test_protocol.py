"""Tests for websockets.protocol: the asyncio adapter around the Sans-I/O core."""

import array
import asyncio
import collections
import logging
import socket
from typing import (
    Any,
    AsyncIterator,
    Awaitable,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Tuple,
    Type,
)

import pytest

from websockets import connection, protocol
from websockets.connection import (
    CLIENT,
    CLOSED,
    CLOSING,
    CONNECTING,
    OPEN,
    SERVER,
    CloseReason,
    Side,
)
from websockets.exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
)
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    serialize_close,
)
from websockets.http import parse_request, parse_response
from websockets.protocol import WebSocketCommonProtocol
from websockets.testing import Link, virtual_clock
from websockets.utils import apply_mask

from . import test_connection
from .test_connection import (  # noqa: F401 (implementation: autouse fixture)
    RFC_MASK,
    close_frame,
    frame_in,
    implementation,
    parse_one,
)
from .utils import FakeTransport, async_test


SIDES = [SERVER, CLIENT]

fixed_mask = test_connection.fixed_mask


class ClientProtocol(WebSocketCommonProtocol):
    """The client side of the data transfer phase, without the handshake."""

    is_client = True
    side = CLIENT


def protocol_class(side: Side) -> type:
    return ClientProtocol if side is CLIENT else WebSocketCommonProtocol


def make(
    side: Side = SERVER,
    *,
    open: bool = True,
    transport: Optional[Dict[str, Any]] = None,
    **kwargs: Any,
) -> Tuple[WebSocketCommonProtocol, FakeTransport]:
    """A protocol connected to a :class:`FakeTransport`; no keepalive by default."""
    kwargs.setdefault("ping_interval", None)
    ws: WebSocketCommonProtocol = protocol_class(side)(**kwargs)
    fake = FakeTransport(ws, **(transport or {}))
    ws.connection_made(fake)
    if open:
        ws.connection_open()
    fake.clear()
    return ws, fake


def output(ws: WebSocketCommonProtocol, transport: FakeTransport) -> List[Any]:
    """Calls on the transport since the last time: frames parsed, others by name."""
    result = [
        parse_one(call[1], mask=ws.side is CLIENT) if call[0] == "write" else call[0]
        for call in transport.calls
    ]
    transport.clear()
    return result


def feed(
    ws: WebSocketCommonProtocol, opcode: int, data: bytes = b"", **kw: Any
) -> None:
    """Deliver a frame from the peer."""
    assert ws.transport is not None
    ws.data_received(frame_in(ws.side, opcode, data, **kw))


def feed_close(ws: WebSocketCommonProtocol, code: int = 1000, reason: str = "") -> None:
    feed(ws, OP_CLOSE, serialize_close(code, reason))


def peer_closes(ws: WebSocketCommonProtocol) -> None:
    """The peer sends a close frame, then closes TCP."""
    feed_close(ws)
    assert isinstance(ws.transport, FakeTransport)
    ws.transport.feed_eof()


async def started(coro: Any) -> "asyncio.Future[Any]":
    """Run ``coro`` in a task until it waits for something."""
    task: asyncio.Future[Any] = asyncio.ensure_future(coro)
    await asyncio.sleep(0)
    assert not task.done()
    return task


async def ping(
    ws: WebSocketCommonProtocol, data: Optional[Any] = None
) -> "asyncio.Future[None]":
    """Call :meth:`~WebSocketCommonProtocol.ping`; its awaitable is a future."""
    waiter = await ws.ping(data)
    assert isinstance(waiter, asyncio.Future)
    return waiter


def now() -> float:
    return asyncio.get_running_loop().time()


# Receiving.


@pytest.mark.parametrize("side", SIDES)
@async_test
async def test_recv_text_and_binary(side: Side) -> None:
    ws, _ = make(side)
    feed(ws, OP_TEXT, "café".encode())
    feed(ws, OP_BINARY, b"\x00\xff")
    assert await ws.recv() == "café"
    message = await ws.recv()
    assert message == b"\x00\xff"
    assert type(message) is bytes


@async_test
async def test_recv_waits_for_message() -> None:
    ws, _ = make()
    task = await started(ws.recv())
    feed(ws, OP_TEXT, b"spam", fin=False)
    await asyncio.sleep(0)
    assert not task.done()
    feed(ws, OP_CONT, b"eggs", fin=True)
    assert await task == "spameggs"


@async_test
async def test_recv_cancelled_while_waiting_loses_nothing() -> None:
    ws, _ = make()
    task = await started(ws.recv())
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    feed(ws, OP_TEXT, b"spam")
    assert await ws.recv() == "spam"


@async_test
async def test_recv_cancelled_after_message_arrived_loses_nothing() -> None:
    ws, _ = make()
    task = await started(ws.recv())
    # The message wakes recv() up, but recv() is cancelled before it resumes.
    feed(ws, OP_TEXT, b"spam")
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await ws.recv() == "spam"


@virtual_clock
async def test_recv_with_timeout_loses_nothing() -> None:
    ws, _ = make()
    with pytest.raises(asyncio.TimeoutError):
        await asyncio.wait_for(ws.recv(), 5)
    assert now() == 5
    feed(ws, OP_TEXT, b"spam")
    assert await asyncio.wait_for(ws.recv(), 5) == "spam"


@async_test
async def test_concurrent_recv() -> None:
    ws, _ = make()
    task = await started(ws.recv())
    with pytest.raises(
        RuntimeError,
        match="^cannot call recv while another coroutine "
        "is already waiting for the next message$",
    ):
        await ws.recv()
    feed(ws, OP_TEXT, b"spam")
    assert await task == "spam"


@pytest.mark.parametrize(
    ("code", "exc_type"),
    [
        (1000, ConnectionClosedOK),
        (1001, ConnectionClosedOK),
        (1002, ConnectionClosedError),
        (1011, ConnectionClosedError),
        (4000, ConnectionClosedError),
    ],
)
@async_test
async def test_recv_returns_messages_then_raises_by_close_code(
    code: int, exc_type: Type[ConnectionClosed]
) -> None:
    ws, _ = make(CLIENT)
    feed(ws, OP_TEXT, b"spam")
    feed(ws, OP_BINARY, b"eggs")
    feed_close(ws, code, "bye")
    assert await ws.recv() == "spam"
    assert await ws.recv() == b"eggs"
    for _ in range(2):
        with pytest.raises(exc_type) as raised:
            await ws.recv()
        assert (raised.value.code, raised.value.reason) == (code, "bye")


@async_test
async def test_recv_woken_up_by_close() -> None:
    ws, _ = make(CLIENT)
    task = await started(ws.recv())
    feed_close(ws, 1001)
    with pytest.raises(ConnectionClosedOK, match=r"^code = 1001 \(going away\), "):
        await task


@async_test
async def test_recv_after_connection_lost() -> None:
    ws, transport = make()
    feed(ws, OP_TEXT, b"spam")
    assert await ws.recv() == "spam"
    task = await started(ws.recv())
    transport.abort()
    with pytest.raises(ConnectionClosedError) as raised:
        await task
    assert (raised.value.code, raised.value.reason) == (1006, "")
    assert (ws.close_code, ws.close_reason) == (1006, "")
    assert ws.close_cause is CloseReason.TRANSPORT_LOST


@async_test
async def test_legacy_recv_returns_none() -> None:
    ws, _ = make(legacy_recv=True)
    feed(ws, OP_TEXT, b"spam")
    feed_close(ws, 1011)
    assert await ws.recv() == "spam"
    assert await ws.recv() is None


@async_test
async def test_recv_before_handshake() -> None:
    ws, _ = make(open=False)
    with pytest.raises(InvalidState, match="^the opening handshake isn't complete$"):
        await ws.recv()


@pytest.mark.parametrize("code", [1000, 1001])
@async_test
async def test_iteration_ends_on_normal_closure(code: int) -> None:
    ws, _ = make()
    feed(ws, OP_TEXT, b"spam")
    feed(ws, OP_BINARY, b"eggs")
    feed_close(ws, code)
    assert [message async for message in ws] == ["spam", b"eggs"]


@pytest.mark.parametrize("code", [1002, 1011, 1006])
@async_test
async def test_iteration_raises_on_error(code: int) -> None:
    ws, transport = make()
    feed(ws, OP_TEXT, b"spam")
    if code == 1006:
        transport.abort()
    else:
        feed_close(ws, code)
    messages = []
    with pytest.raises(ConnectionClosedError) as raised:
        async for message in ws:
            messages.append(message)
    assert messages == ["spam"]
    assert raised.value.code == code


@async_test
async def test_protocol_error_closes_connection() -> None:
    ws, transport = make()
    feed(ws, 3)
    assert output(ws, transport) == [
        close_frame(1002, "invalid opcode: 3"),
        "write_eof",
    ]
    # No close frame was received: 1006 (RFC 6455 7.1.5); the protocol error
    # is the cause, and the code and reason sent are on the core.
    with pytest.raises(ConnectionClosedError) as raised:
        await ws.recv()
    assert (raised.value.code, raised.value.reason) == (1006, "")
    assert isinstance(raised.value.__cause__, ProtocolError)
    assert str(raised.value.__cause__) == "invalid opcode: 3"
    assert (ws.conn.close_sent_code, ws.conn.close_sent_reason) == (
        1002,
        "invalid opcode: 3",
    )
    assert ws.close_cause is CloseReason.PROTOCOL_ERROR


@async_test
async def test_reset_connection_is_aborted_when_half_closing() -> None:
    # A peer that sent an invalid frame and reset the connection: write_eof
    # raises ENOTCONN. It mustn't escape data_received (found by Autobahn 7.x).
    ws, transport = make(CLIENT)

    def write_eof() -> None:
        raise OSError(107, "Transport endpoint is not connected")

    transport.write_eof = write_eof  # type: ignore[method-assign]
    feed(ws, 3)
    assert output(ws, transport) == [close_frame(1002, "invalid opcode: 3"), "abort"]
    await ws.wait_closed()
    assert ws.closed


@async_test
async def test_max_size_closes_connection() -> None:
    ws, transport = make(CLIENT, max_size=4)
    feed(ws, OP_TEXT, b"spam")
    ws.data_received(b"\x82\x05")
    # "spam" is unread: failing waits until the application has read it.
    assert output(ws, transport) == ["pause_reading"]
    assert await ws.recv() == "spam"
    with pytest.raises(ConnectionClosedError) as raised:
        await ws.recv()
    assert output(ws, transport)[:2] == [
        close_frame(1009, "frame of 5 bytes over max_size 4"),
        "write_eof",
    ]
    # No close frame was received: 1006 (RFC 6455 7.1.5); 1009 was sent.
    assert raised.value.code == 1006
    assert raised.value.reason == ""
    assert isinstance(raised.value.__cause__, PayloadTooBig)
    assert (ws.conn.close_sent_code, ws.conn.close_sent_reason) == (
        1009,
        "frame of 5 bytes over max_size 4",
    )


# Sending.


@pytest.mark.parametrize(
    ("message", "expected"),
    [
        ("café", b"\x81\x05caf\xc3\xa9"),
        (b"tea", b"\x82\x03tea"),
        (bytearray(b"tea"), b"\x82\x03tea"),
        (memoryview(b"tea"), b"\x82\x03tea"),
        (memoryview(b"t-e-a-")[::2], b"\x82\x03tea"),
        (
            memoryview(array.array("H", [1, 2])),
            b"\x82\x04" + array.array("H", [1, 2]).tobytes(),
        ),
        ("", b"\x81\x00"),
    ],
)
@async_test
async def test_server_sends_message(message: Any, expected: bytes) -> None:
    ws, transport = make()
    await ws.send(message)
    assert transport.written == expected


@async_test
async def test_client_sends_masked_message(fixed_mask: None) -> None:
    ws, transport = make(CLIENT)
    await ws.send("Hello")
    assert transport.written == bytes.fromhex("818537fa213d7f9f4d5158")


@async_test
async def test_side_set_on_the_instance(fixed_mask: None) -> None:
    # As websockets 8.1's tests do: the connection's side decides masking,
    # on the C paths too, not the class's.
    ws, transport = make(SERVER)
    ws.is_client = True
    await ws.send("Hello")
    assert transport.written == bytes.fromhex("818537fa213d7f9f4d5158")
    ws.data_received(bytes.fromhex("810548656c6c6f"))  # unmasked, from a server
    assert await ws.recv() == "Hello"


@pytest.mark.parametrize(
    "message",
    # Factories: the fixture implementation runs each test twice.
    [lambda: ["ca", "fé"], lambda: ("ca", "fé"), lambda: iter(["ca", "fé"])],
    ids=["list", "tuple", "iterator"],
)
@async_test
async def test_send_iterable_of_str(message: Any) -> None:
    message = message()
    ws, transport = make()
    await ws.send(message)
    assert output(ws, transport) == [
        Frame(False, OP_TEXT, b"ca"),
        Frame(False, OP_CONT, "fé".encode()),
        Frame(True, OP_CONT, b""),
    ]
    assert ws.open


@async_test
async def test_client_sends_iterable_of_bytes_like(fixed_mask: None) -> None:
    ws, transport = make(CLIENT)
    await ws.send([b"te", bytearray(b"ap"), memoryview(b"ot")])
    assert transport.written == b"".join(
        [
            b"\x02\x82" + RFC_MASK + apply_mask(b"te", RFC_MASK),
            b"\x00\x82" + RFC_MASK + apply_mask(b"ap", RFC_MASK),
            b"\x00\x82" + RFC_MASK + apply_mask(b"ot", RFC_MASK),
            b"\x80\x80" + RFC_MASK,
        ]
    )


async def agen(*items: Any) -> AsyncIterator[Any]:
    for item in items:
        yield item


@async_test
async def test_send_async_iterable() -> None:
    ws, transport = make()
    await ws.send(agen(b"tea", b"pot"))
    assert output(ws, transport) == [
        Frame(False, OP_BINARY, b"tea"),
        Frame(False, OP_CONT, b"pot"),
        Frame(True, OP_CONT, b""),
    ]


@async_test
async def test_send_fragments_received_as_one_message() -> None:
    ws, transport = make(SERVER)
    peer, peer_transport = make(CLIENT)
    await ws.send(["spam", "eggs"])
    await ws.send(agen(b"spam", b"eggs"))
    peer.data_received(transport.written)
    assert await peer.recv() == "spameggs"
    assert await peer.recv() == b"spameggs"


@pytest.mark.parametrize(
    "message",
    [lambda: [], lambda: iter([]), lambda: agen()],
    ids=["list", "iter", "async"],
)
@async_test
async def test_send_empty_iterable_sends_nothing(message: Any) -> None:
    message = message()
    ws, transport = make()
    await ws.send(message)
    assert transport.calls == []
    assert ws.open


@pytest.mark.parametrize(
    "message",
    [
        lambda: ["spam", b"eggs"],
        lambda: [b"spam", "eggs"],
        lambda: agen("spam", b"eggs"),
        lambda: agen(b"spam", "eggs"),
    ],
    ids=["text-binary", "binary-text", "async-text-binary", "async-binary-text"],
)
@async_test
async def test_send_mixed_fragments_closes_connection(message: Any) -> None:
    message = message()
    ws, transport = make()
    with pytest.raises(TypeError, match="^data contains inconsistent types$"):
        await ws.send(message)
    assert output(ws, transport)[1:] == [close_frame(1011), "write_eof"]
    assert not ws.open
    assert ws.close_code == 1006
    assert (ws.conn.close_sent_code, ws.conn.close_sent_reason) == (1011, "")
    with pytest.raises(ConnectionClosedError):
        await ws.send("more")


@pytest.mark.parametrize(
    "message", [lambda: [1], lambda: agen(1)], ids=["sync", "async"]
)
@async_test
async def test_send_invalid_first_fragment(message: Any) -> None:
    message = message()
    ws, transport = make()
    with pytest.raises(TypeError, match="^data must be str or bytes-like, not int$"):
        await ws.send(message)
    # Nothing was sent: the connection stays open.
    assert transport.calls == []
    assert ws.open


@pytest.mark.parametrize(
    "message", [lambda: ["spam", 1], lambda: agen("spam", 1)], ids=["sync", "async"]
)
@async_test
async def test_send_invalid_later_fragment(message: Any) -> None:
    message = message()
    ws, transport = make()
    with pytest.raises(TypeError, match="^data must be str or bytes-like, not int$"):
        await ws.send(message)
    assert output(ws, transport)[1:] == [close_frame(1011), "write_eof"]


@async_test
async def test_send_iterable_that_raises() -> None:
    def fragments() -> Iterator[str]:
        yield "spam"
        raise ValueError("no eggs")

    ws, transport = make()
    with pytest.raises(ValueError, match="^no eggs$"):
        await ws.send(fragments())
    assert output(ws, transport)[1] == close_frame(1011)


@async_test
async def test_send_async_iterable_cancelled() -> None:
    blocker: asyncio.Future[str] = asyncio.get_running_loop().create_future()

    async def fragments() -> AsyncIterator[str]:
        yield "spam"
        yield await blocker

    ws, transport = make()
    task = await started(ws.send(fragments()))
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert output(ws, transport)[1] == close_frame(1011)


@async_test
async def test_send_async_iterable_while_peer_closes() -> None:
    ws, transport = make()

    async def fragments() -> AsyncIterator[str]:
        yield "spam"
        feed_close(ws, 1001)
        yield "eggs"

    with pytest.raises(ConnectionClosedOK):
        await ws.send(fragments())
    # The close frame was echoed, nothing else.
    assert output(ws, transport)[1:] == [close_frame(1001), "write_eof"]


@pytest.mark.parametrize(
    ("message", "error"),
    [
        ({"a": "b"}, "data is a dict-like object"),
        ({}, "data is a dict-like object"),
        (42, "data must be str, bytes-like or iterable, not int"),
        (None, "data must be str, bytes-like or iterable, not NoneType"),
    ],
)
@async_test
async def test_send_unsupported_type(message: Any, error: str) -> None:
    ws, transport = make()
    with pytest.raises(TypeError, match=f"^{error}$"):
        await ws.send(message)
    assert transport.calls == []
    assert ws.open


@async_test
async def test_send_after_close() -> None:
    ws, transport = make(CLIENT)
    feed_close(ws, 1000, "bye")
    with pytest.raises(ConnectionClosedOK) as raised:
        await ws.send("late")
    assert (raised.value.code, raised.value.reason) == (1000, "bye")
    transport.feed_eof()
    await ws.wait_closed()
    with pytest.raises(ConnectionClosedOK):
        await ws.send("later")


@async_test
async def test_send_while_closing_waits_for_the_close_code() -> None:
    ws, transport = make()
    close = await started(ws.close(1001))
    send = await started(ws.send("late"))
    feed_close(ws, 1001, "ok")
    transport.feed_eof()
    with pytest.raises(ConnectionClosedOK) as raised:
        await send
    assert (raised.value.code, raised.value.reason) == (1001, "ok")
    await close


@async_test
async def test_ensure_open() -> None:
    ws, transport = make(open=False)
    with pytest.raises(InvalidState, match="^the opening handshake isn't complete$"):
        await ws.ensure_open()
    ws.connection_open()
    await ws.ensure_open()
    feed_close(ws, 1001, "bye")
    with pytest.raises(ConnectionClosedOK, match="bye"):
        await ws.ensure_open()


@async_test
async def test_send_before_handshake() -> None:
    ws, _ = make(open=False)
    with pytest.raises(InvalidState, match="^the opening handshake isn't complete$"):
        await ws.send("early")


# Ping and pong.


@pytest.mark.parametrize("side", SIDES)
@async_test
async def test_ping_default_payload(side: Side) -> None:
    ws, transport = make(side)
    waiter = await ping(ws)
    [frame] = output(ws, transport)
    assert frame.opcode == OP_PING
    assert len(frame.data) == 4
    assert list(ws.pings) == [frame.data]
    assert not waiter.done()
    feed(ws, OP_PONG, frame.data)
    await waiter
    assert ws.pings == {}


@async_test
async def test_ping_payloads_are_random() -> None:
    ws, transport = make()
    for _ in range(20):
        await ws.ping()
    assert len(set(ws.pings)) == 20


@pytest.mark.parametrize(
    ("data", "payload"),
    [
        ("é", b"\xc3\xa9"),
        (b"spam", b"spam"),
        (bytearray(b"spam"), b"spam"),
        (memoryview(b"spam"), b"spam"),
        (b"", b""),
    ],
)
@async_test
async def test_ping_payload(data: Any, payload: bytes) -> None:
    ws, transport = make()
    waiter = await ping(ws, data)
    assert transport.written == b"\x89" + bytes([len(payload)]) + payload
    feed(ws, OP_PONG, payload)
    await waiter


@async_test
async def test_pong_completes_earlier_pings() -> None:
    ws, _ = make()
    one, two, three = [await ping(ws, data) for data in ("1", "2", "3")]
    feed(ws, OP_PONG, b"2")
    await asyncio.sleep(0)
    assert one.done() and two.done()
    assert not three.done()
    assert list(ws.pings) == [b"3"]
    feed(ws, OP_PONG, b"3")
    await three


@async_test
async def test_unsolicited_pong_is_ignored() -> None:
    ws, transport = make()
    waiter = await ping(ws, b"1")
    feed(ws, OP_PONG, b"2")
    assert not waiter.done()
    assert output(ws, transport) == [Frame(True, OP_PING, b"1")]


@async_test
async def test_ping_with_payload_in_flight() -> None:
    ws, _ = make()
    waiter = await ping(ws, "spam")
    with pytest.raises(
        ValueError, match="^already waiting for a pong with the same data$"
    ):
        await ws.ping(b"spam")
    feed(ws, OP_PONG, b"spam")
    await waiter
    # Once the pong is received, the payload can be used again.
    await ws.ping(b"spam")


@async_test
async def test_ping_over_125_bytes() -> None:
    ws, transport = make()
    for _ in range(2):
        with pytest.raises(
            ProtocolError, match="^control frame of 126 bytes, over 125$"
        ):
            await ws.ping(b"x" * 126)
    assert ws.pings == {}
    assert transport.calls == []


@async_test
async def test_cancelling_pong_waiter_has_no_effect() -> None:
    ws, _ = make()
    waiter = await ping(ws, b"1")
    waiter.cancel()
    feed(ws, OP_PONG, b"1")
    assert ws.pings == {}
    assert ws.open


@async_test
async def test_pings_fail_when_connection_closes() -> None:
    ws, transport = make()
    waiter = await ping(ws, b"1")
    ignored = await ping(ws, b"2")
    cancelled = await ping(ws, b"3")
    cancelled.cancel()
    transport.abort()
    await ws.wait_closed()
    with pytest.raises(ConnectionClosedError) as raised:
        await waiter
    assert raised.value.code == 1006
    assert isinstance(ignored.exception(), ConnectionClosedError)
    assert ws.pings == {}


@async_test
async def test_ping_after_close() -> None:
    ws, _ = make(CLIENT)
    feed_close(ws, 1000)
    with pytest.raises(ConnectionClosedOK):
        await ws.ping()
    with pytest.raises(ConnectionClosedOK):
        await ws.pong()


@pytest.mark.parametrize(
    ("data", "payload"),
    [(b"", b""), ("é", b"\xc3\xa9"), (b"spam", b"spam"), (bytearray(b"x"), b"x")],
)
@async_test
async def test_pong(data: Any, payload: bytes) -> None:
    ws, transport = make()
    await ws.pong(data)
    assert transport.written == b"\x8a" + bytes([len(payload)]) + payload


@async_test
async def test_pong_default_payload() -> None:
    ws, transport = make()
    await ws.pong()
    assert transport.written == b"\x8a\x00"


@async_test
async def test_server_answers_ping() -> None:
    ws, transport = make(SERVER)
    ws.data_received(bytes.fromhex("898537fa213d7f9f4d5158"))
    assert transport.written == bytes.fromhex("8a0548656c6c6f")
    assert not ws.messages


@async_test
async def test_client_answers_ping(fixed_mask: None) -> None:
    ws, transport = make(CLIENT)
    ws.data_received(bytes.fromhex("890548656c6c6f"))
    assert transport.written == bytes.fromhex("8a8537fa213d7f9f4d5158")


# Closing.


@async_test
async def test_server_close() -> None:
    ws, transport = make(SERVER)
    close = await started(ws.close(1001, "bye"))
    assert output(ws, transport) == [close_frame(1001, "bye")]
    assert ws.state is CLOSING
    assert not ws.open and not ws.closed
    assert ws.close_code is None and ws.close_reason is None
    feed_close(ws, 1001)
    # RFC 6455 7.1.1: the server closes the TCP connection first.
    assert output(ws, transport) == ["write_eof"]
    await asyncio.sleep(0)
    assert not close.done()
    transport.feed_eof()
    await close
    assert output(ws, transport) == ["close"]
    assert ws.state is CLOSED
    assert ws.closed and not ws.open
    assert (ws.close_code, ws.close_reason) == (1001, "")
    assert ws.close_cause is CloseReason.LOCAL_CLOSE


@async_test
async def test_client_close() -> None:
    ws, transport = make(CLIENT)
    close = await started(ws.close())
    assert output(ws, transport) == [close_frame(1000)]
    feed_close(ws, 1000, "ok")
    # The client waits for the server to close the TCP connection.
    assert output(ws, transport) == []
    await asyncio.sleep(0)
    assert not close.done()
    transport.feed_eof()
    await close
    assert output(ws, transport) == ["close"]
    assert (ws.close_code, ws.close_reason) == (1000, "ok")


@async_test
async def test_server_close_without_write_eof() -> None:
    # For example over TLS: the transport is closed instead.
    ws, transport = make(SERVER, transport={"can_write_eof": False})
    close = await started(ws.close())
    feed_close(ws, 1000)
    await close
    assert output(ws, transport) == [close_frame(1000), "close"]


@async_test
async def test_close_is_idempotent() -> None:
    ws, transport = make(SERVER)
    first = await started(ws.close())
    second = await started(ws.close(1001))
    feed_close(ws)
    transport.feed_eof()
    await first
    await second
    await ws.close()
    assert output(ws, transport) == [close_frame(1000), "write_eof", "close"]


@async_test
async def test_close_when_peer_closed_first() -> None:
    ws, transport = make(CLIENT)
    feed_close(ws, 1001)
    close = await started(ws.close())
    transport.feed_eof()
    await close
    assert output(ws, transport) == [close_frame(1001), "close"]
    assert ws.close_code == 1001
    assert ws.close_cause is CloseReason.PEER_CLOSE


@pytest.mark.parametrize(
    ("code", "reason", "error"),
    [
        (1005, "", "invalid status code: 1005"),
        (999, "", "invalid status code: 999"),
        (1000, "x" * 124, "close reason of 124 bytes, over 123"),
    ],
)
@async_test
async def test_close_with_invalid_arguments(code: int, reason: str, error: str) -> None:
    ws, transport = make()
    with pytest.raises(ProtocolError, match=f"^{error}$"):
        await ws.close(code, reason)
    assert ws.open
    assert transport.calls == []


@async_test
async def test_close_before_handshake() -> None:
    ws, transport = make(open=False)
    await ws.close()
    assert transport.names() == ["close"]
    assert ws.closed
    assert ws.close_code == 1006


@async_test
async def test_wait_closed() -> None:
    ws, transport = make()
    waiter = await started(ws.wait_closed())
    feed(ws, OP_TEXT, b"spam")
    await asyncio.sleep(0)
    assert not waiter.done()
    transport.abort()
    await waiter
    # Cancelling wait_closed() doesn't affect other waiters.
    ws2, transport2 = make()
    cancelled = await started(ws2.wait_closed())
    cancelled.cancel()
    transport2.abort()
    await ws2.wait_closed()


@async_test
async def test_connection_lost_twice() -> None:
    ws, transport = make()
    transport.abort()
    await ws.wait_closed()
    ws.connection_lost(None)
    assert ws.closed
    assert ws.close_code == 1006


@async_test
async def test_peer_closes_tcp_without_close_frame() -> None:
    ws, transport = make(SERVER)
    task = await started(ws.recv())
    transport.feed_eof()
    with pytest.raises(ConnectionClosedError) as raised:
        await task
    assert (raised.value.code, raised.value.reason) == (1006, "")
    await ws.wait_closed()
    assert (ws.close_code, ws.close_reason) == (1006, "")
    assert output(ws, transport) == ["close"]


# Closing timeouts, on a virtual clock (RFC 6455 7.1.1, 7.1.7).


@pytest.mark.parametrize(("side", "timeouts"), [(SERVER, 2), (CLIENT, 3)])
@virtual_clock
async def test_close_when_peer_never_answers(side: Side, timeouts: int) -> None:
    ws, transport = make(side, close_timeout=10)
    await ws.close()
    # Waiting for the peer's close frame times out; a client also waits for
    # the server to close TCP. Then TCP is half-closed, waiting for the peer
    # to close it times out, and it's closed.
    assert now() == timeouts * 10
    assert output(ws, transport) == [close_frame(1000), "write_eof", "close"]
    assert (ws.close_code, ws.close_reason) == (1006, "")


@pytest.mark.parametrize(
    ("side", "timeouts", "bound"), [(SERVER, 3, 4), (CLIENT, 4, 5)]
)
@virtual_clock
async def test_close_when_peer_never_answers_and_never_closes(
    side: Side, timeouts: int, bound: int
) -> None:
    ws, transport = make(side, close_timeout=10, transport={"close_completes": False})
    await ws.close()
    # As above, then closing the transport times out too, and it's aborted.
    assert now() == timeouts * 10 <= bound * 10
    assert output(ws, transport) == [close_frame(1000), "write_eof", "close", "abort"]


@virtual_clock
async def test_server_close_when_peer_answers_and_never_closes() -> None:
    ws, transport = make(SERVER, close_timeout=10, transport={"close_completes": False})
    asyncio.get_running_loop().call_later(9, feed_close, ws)
    await ws.close()
    # After the closing handshake, the server closes its side and waits for
    # the client to close TCP, then closes the transport, then aborts it.
    assert now() == 9 + 2 * 10 <= 4 * 10
    assert output(ws, transport) == [close_frame(1000), "write_eof", "close", "abort"]
    assert ws.close_code == 1000


@virtual_clock
async def test_client_close_when_peer_answers_and_never_closes() -> None:
    ws, transport = make(CLIENT, close_timeout=10, transport={"close_completes": False})
    asyncio.get_running_loop().call_later(9, feed_close, ws)
    await ws.close()
    # After the closing handshake, the client waits for the server to close
    # TCP, then closes its side and waits for the server again, then closes
    # the transport, then aborts it.
    assert now() == 9 + 3 * 10 <= 5 * 10
    assert output(ws, transport) == [close_frame(1000), "write_eof", "close", "abort"]
    assert ws.close_code == 1000
    assert ws.close_cause is CloseReason.LOCAL_CLOSE


@virtual_clock
async def test_timeout_is_close_timeout() -> None:
    with pytest.warns(DeprecationWarning, match="^rename timeout to close_timeout$"):
        ws, transport = make(timeout=3)
    assert ws.close_timeout == 3
    await ws.close()
    # The server's two steps: waiting for the close frame, then for TCP.
    assert now() == 2 * 3


def test_timeout_and_close_timeout() -> None:
    with pytest.warns(DeprecationWarning, match="^rename timeout to close_timeout$"):
        ws = WebSocketCommonProtocol(timeout=3, close_timeout=5)
    assert ws.close_timeout == 5


@virtual_clock
async def test_peer_closes_while_server_waits_for_close_frame() -> None:
    ws, transport = make(SERVER, close_timeout=10)
    asyncio.get_running_loop().call_later(4, transport.feed_eof)
    await ws.close()
    assert now() == 4
    assert ws.close_code == 1006


# Failing the connection.


@virtual_clock
async def test_fail_connection_sends_close_frame() -> None:
    ws, transport = make(SERVER, close_timeout=10)
    ws.fail_connection(1011, "oops")
    assert output(ws, transport) == [close_frame(1011, "oops"), "write_eof"]
    assert ws.state is CLOSING
    await ws.wait_closed()
    # The peer didn't close TCP: the transport is closed.
    assert now() == 10
    assert output(ws, transport) == ["close"]
    # No close frame was received: 1006 (RFC 6455 7.1.5).
    assert (ws.close_code, ws.close_reason) == (1006, "")
    assert (ws.conn.close_sent_code, ws.conn.close_sent_reason) == (1011, "oops")
    assert ws.close_cause is CloseReason.INTERNAL_ERROR


@pytest.mark.parametrize("side", SIDES)
@virtual_clock
async def test_fail_connection_1006_sends_no_close_frame(side: Side) -> None:
    ws, transport = make(side, close_timeout=10)
    ws.fail_connection()
    assert output(ws, transport) == ["write_eof"]
    assert (ws.close_code, ws.close_reason) == (1006, "")
    await ws.wait_closed()
    assert now() == 10
    assert output(ws, transport) == ["close"]
    assert ws.close_code == 1006


@virtual_clock
async def test_fail_connection_before_handshake() -> None:
    ws, transport = make(open=False, close_timeout=10)
    ws.fail_connection(1002, "bad")
    assert output(ws, transport) == ["write_eof"]
    await ws.wait_closed()
    assert now() == 10
    assert output(ws, transport) == ["close"]
    assert ws.close_code == 1006


@virtual_clock
async def test_fail_connection_before_connection_made() -> None:
    ws = WebSocketCommonProtocol(close_timeout=10)
    ws.fail_connection()
    assert ws.close_code == 1006
    # The closing timeout has no transport to abort.
    await asyncio.sleep(20)
    assert ws.transport is None


@async_test
async def test_fail_connection_after_close_does_nothing() -> None:
    ws, transport = make()
    transport.abort()
    await ws.wait_closed()
    transport.clear()
    ws.fail_connection(1011)
    assert transport.calls == []
    assert ws.close_code == 1006


# Keepalive, on a virtual clock.


@pytest.fixture
def ping_payloads(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make keepalive pings carry 0, 1, 2..."""
    counter = iter(range(2**32))
    monkeypatch.setattr(
        protocol, "_random_ping_payload", lambda: next(counter).to_bytes(4, "big")
    )


def ping_frame(number: int) -> Frame:
    return Frame(True, OP_PING, number.to_bytes(4, "big"))


@virtual_clock
async def test_keepalive_pings_every_interval(ping_payloads: None) -> None:
    ws, transport = make(ping_interval=20, ping_timeout=5)
    for number in range(3):
        await transport.wait_call("write")
        assert now() == 20 + number * 22
        assert output(ws, transport) == [ping_frame(number)]
        # The pong arrives 2 seconds later; the next ping 20 seconds after.
        await asyncio.sleep(2)
        feed(ws, OP_PONG, ping_frame(number).data)
    assert ws.open


@virtual_clock
async def test_keepalive_timeout(
    ping_payloads: None, caplog: pytest.LogCaptureFixture
) -> None:
    ws, transport = make(ping_interval=20, ping_timeout=5, close_timeout=10)
    waiter = await started(ws.recv())
    with caplog.at_level(logging.INFO, logger="websockets.protocol"):
        with pytest.raises(ConnectionClosedError) as raised:
            await waiter
    assert now() == 25
    # No close frame was received: 1006 (RFC 6455 7.1.5); 1011 was sent.
    assert (raised.value.code, raised.value.reason) == (1006, "")
    assert (ws.conn.close_sent_code, ws.conn.close_sent_reason) == (
        1011,
        "keepalive ping timeout",
    )
    assert ws.close_cause is CloseReason.KEEPALIVE_TIMEOUT
    assert output(ws, transport) == [
        ping_frame(0),
        close_frame(1011, "keepalive ping timeout"),
        "write_eof",
    ]
    assert "keepalive ping timeout: closing the connection" in caplog.messages
    await ws.wait_closed()
    assert now() == 35
    assert output(ws, transport) == ["close"]


@virtual_clock
async def test_keepalive_without_ping_timeout(ping_payloads: None) -> None:
    ws, transport = make(ping_interval=20, ping_timeout=None)
    await asyncio.sleep(65)
    # Pings go on without pongs.
    assert output(ws, transport) == [ping_frame(0), ping_frame(1), ping_frame(2)]
    assert ws.open
    assert len(ws.pings) == 3


@virtual_clock
async def test_keepalive_disabled() -> None:
    ws, transport = make(ping_interval=None, ping_timeout=1)
    await asyncio.sleep(1000)
    assert transport.calls == []
    assert ws.open


@virtual_clock
async def test_keepalive_default() -> None:
    ws, transport = make(ping_interval=20)
    assert (ws.ping_interval, ws.ping_timeout) == (20, 20)
    await transport.wait_call("write")
    assert now() == 20
    await ws.wait_closed()
    assert now() == 20 + 20 + 10
    assert ws.close_code == 1006
    assert ws.conn.close_sent_code == 1011


@virtual_clock
async def test_keepalive_stops_when_closing(ping_payloads: None) -> None:
    ws, transport = make(ping_interval=20, ping_timeout=10, close_timeout=100)
    await transport.wait_call("write")
    # The ping at 20 s is answered after close() starts at 25 s; its timeout
    # at 30 s and the next ping don't fire while closing.
    loop = asyncio.get_running_loop()
    loop.call_later(5, lambda: asyncio.ensure_future(ws.close()))
    loop.call_later(6, feed, ws, OP_PONG, ping_frame(0).data)
    loop.call_later(80, peer_closes, ws)
    await ws.wait_closed()
    assert now() == 100
    assert output(ws, transport) == [
        ping_frame(0),
        close_frame(1000),
        "write_eof",
        "close",
    ]


@virtual_clock
async def test_keepalive_timeout_while_closing(ping_payloads: None) -> None:
    ws, transport = make(ping_interval=20, ping_timeout=10, close_timeout=100)
    await transport.wait_call("write")
    close = asyncio.ensure_future(ws.close())
    await transport.wait_call("close")
    await close
    # The keepalive timeout at 30 s didn't fail the connection: the closing
    # handshake timed out at 120 s, then closing TCP at 220 s.
    assert now() == 220
    assert ws.close_code == 1006
    assert ws.conn.close_sent_code == 1000
    assert output(ws, transport) == [
        ping_frame(0),
        close_frame(1000),
        "write_eof",
        "close",
    ]


@virtual_clock
async def test_keepalive_ping_not_sent_while_closing(ping_payloads: None) -> None:
    ws, transport = make(ping_interval=20, ping_timeout=10, close_timeout=100)
    await transport.wait_call("write")
    feed(ws, OP_PONG, ping_frame(0).data)
    # The next ping is due at 40 s; the connection is closing by then.
    await asyncio.sleep(10)
    close = asyncio.ensure_future(ws.close())
    await asyncio.sleep(30)
    peer_closes(ws)
    await close
    assert now() == 60
    assert output(ws, transport) == [
        ping_frame(0),
        close_frame(1000),
        "write_eof",
        "close",
    ]


@virtual_clock
async def test_keepalive_pong_after_timeout_while_closing(ping_payloads: None) -> None:
    ws, transport = make(ping_interval=20, ping_timeout=10, close_timeout=100)
    await transport.wait_call("write")
    close = asyncio.ensure_future(ws.close())
    # The keepalive timeout fires at 30 s, then the pong arrives.
    await asyncio.sleep(15)
    feed(ws, OP_PONG, ping_frame(0).data)
    await asyncio.sleep(50)
    assert ws.pings == {}
    peer_closes(ws)
    await close
    assert output(ws, transport) == [
        ping_frame(0),
        close_frame(1000),
        "write_eof",
        "close",
    ]


@virtual_clock
async def test_keepalive_ping_lost_with_connection(ping_payloads: None) -> None:
    ws, transport = make(ping_interval=20, ping_timeout=10)
    await transport.wait_call("write")
    transport.abort()
    await ws.wait_closed()
    await asyncio.sleep(100)
    assert output(ws, transport) == [ping_frame(0), "abort"]


# Flow control.


@async_test
async def test_max_queue_pauses_reading() -> None:
    ws, transport = make(max_queue=2)
    feed(ws, OP_TEXT, b"1")
    assert transport.reading
    feed(ws, OP_TEXT, b"2")
    assert not transport.reading
    # More data may arrive before reading stops.
    feed(ws, OP_TEXT, b"3")
    assert transport.names() == ["pause_reading"]
    assert await ws.recv() == "1"
    assert not transport.reading
    assert await ws.recv() == "2"
    assert transport.reading
    assert await ws.recv() == "3"
    assert transport.names() == ["pause_reading", "resume_reading"]


@async_test
async def test_max_queue_with_many_messages_in_one_call() -> None:
    ws, transport = make(max_queue=1)
    ws.data_received(b"".join(frame_in(SERVER, OP_TEXT, b"%d" % i) for i in range(10)))
    assert not transport.reading
    assert [await ws.recv() for _ in range(10)] == [str(i) for i in range(10)]
    assert transport.names() == ["pause_reading", "resume_reading"]


@async_test
async def test_max_queue_none() -> None:
    ws, transport = make(max_queue=None)
    ws.data_received(b"".join(frame_in(SERVER, OP_TEXT, b"x") for _ in range(1000)))
    assert transport.calls == []
    assert len(ws.messages) == 1000


@async_test
async def test_max_queue_default() -> None:
    ws, transport = make()
    assert ws.max_queue == 32
    ws.data_received(b"".join(frame_in(SERVER, OP_TEXT, b"x") for _ in range(31)))
    assert transport.reading
    feed(ws, OP_TEXT, b"x")
    assert not transport.reading


@async_test
async def test_write_limit_sets_transport_limits() -> None:
    ws = WebSocketCommonProtocol(write_limit=1000)
    transport = FakeTransport(ws)
    ws.connection_made(transport)
    assert transport.calls == [("set_write_buffer_limits", 1000, None)]
    assert (transport.high, transport.low) == (1000, 250)
    ws = WebSocketCommonProtocol()
    transport = FakeTransport(ws)
    ws.connection_made(transport)
    assert transport.calls == [("set_write_buffer_limits", 2**16, None)]


@async_test
async def test_send_waits_until_transport_drains() -> None:
    ws, transport = make(write_limit=100, transport={"drains": False})
    send = await started(ws.send(b"x" * 200))
    assert transport.buffer_size == 204
    transport.drain(100)
    await asyncio.sleep(0)
    assert not send.done()
    transport.drain(100)
    await send
    assert transport.written == b"\x82\x7e\x00\xc8" + b"x" * 200


@pytest.mark.parametrize(
    "method",
    [
        "send",
        "send-iterable",
        "send-iterable-of-one",
        "send-async-iterable",
        "send-async-iterable-of-one",
        "ping",
        "pong",
    ],
)
@async_test
async def test_writers_wait_until_transport_drains(method: str) -> None:
    ws, transport = make(write_limit=100, transport={"drains": False})
    data = b"x" * 101
    writers: Dict[str, Callable[[], Awaitable[Any]]] = {
        "send": lambda: ws.send(data),
        "send-iterable": lambda: ws.send([data, data, data]),
        "send-iterable-of-one": lambda: ws.send([data]),
        "send-async-iterable": lambda: ws.send(agen(data, data, data)),
        "send-async-iterable-of-one": lambda: ws.send(agen(data)),
        "ping": lambda: ws.ping(data[:101]),
        "pong": lambda: ws.pong(data[:101]),
    }
    task = await started(writers[method]())
    while not task.done():
        transport.drain()
        await asyncio.sleep(0)
    await task
    assert not transport.paused_writing


@async_test
async def test_send_fails_when_connection_lost_while_draining() -> None:
    ws, transport = make(write_limit=100, transport={"drains": False})
    send = await started(ws.send(b"x" * 200))
    cancelled = await started(ws.send(b"y" * 200))
    cancelled.cancel()
    transport.abort()
    with pytest.raises(ConnectionClosedError) as raised:
        await send
    assert raised.value.code == 1006
    with pytest.raises(asyncio.CancelledError):
        await cancelled


@async_test
async def test_send_fails_when_connection_lost_after_draining() -> None:
    ws, transport = make(write_limit=100, transport={"drains": False})
    send = await started(ws.send(b"x" * 200))
    transport.drain()
    ws.connection_lost(None)
    with pytest.raises(ConnectionClosedError):
        await send


@async_test
async def test_resume_writing_skips_cancelled_waiters() -> None:
    ws, transport = make(write_limit=100, transport={"drains": False})
    cancelled = await started(ws.send(b"y" * 200))
    cancelled.cancel()
    await asyncio.sleep(0)
    transport.drain()
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    await ws.send("more")


# Attributes.


@async_test
async def test_attributes_across_lifecycle() -> None:
    ws = WebSocketCommonProtocol(
        ping_interval=None, host="example.com", port=443, secure=True
    )
    # Deprecated in 8.x.
    with pytest.warns(DeprecationWarning) as warned:
        assert (ws.host, ws.port, ws.secure) == ("example.com", 443, True)
    assert [str(warning.message) for warning in warned] == [
        "use local_address[0] instead of host",
        "use local_address[1] instead of port",
        "don't use secure",
    ]
    assert ws.local_address is None and ws.remote_address is None
    assert ws.state is CONNECTING
    assert not ws.open and not ws.closed
    transport = FakeTransport(ws)
    ws.connection_made(transport)
    assert ws.local_address == ("127.0.0.1", 8765)
    assert ws.remote_address == ("127.0.0.1", 54321)
    assert ws.state is CONNECTING
    ws.connection_open()
    assert ws.state is OPEN
    assert ws.open and not ws.closed
    assert ws.close_code is None and ws.close_reason is None and ws.close_cause is None
    close = await started(ws.close())
    assert ws.state is CLOSING
    assert not ws.open and not ws.closed
    feed_close(ws)
    transport.feed_eof()
    await close
    assert ws.state is CLOSED
    assert not ws.open and ws.closed
    assert (ws.close_code, ws.close_reason) == (1000, "")


def test_defaults() -> None:
    ws = WebSocketCommonProtocol()
    assert (ws.ping_interval, ws.ping_timeout, ws.close_timeout) == (20, 20, 10)
    assert (ws.max_size, ws.max_queue) == (2**20, 32)
    assert (ws.read_limit, ws.write_limit) == (2**16, 2**16)
    with pytest.warns(DeprecationWarning):
        assert (ws.host, ws.port, ws.secure) == (None, None, None)
    assert ws.legacy_recv is False
    assert ws.conn.max_size == 2**20
    assert ws.side is SERVER and not ws.is_client
    assert ws.extensions == [] and ws.subprotocol is None
    assert ws.loop is None


@async_test
async def test_loop_is_used() -> None:
    # As in 8.x: the loop given, else the running loop.
    other = asyncio.new_event_loop()
    try:
        ws = WebSocketCommonProtocol(loop=other)
        assert ws.loop is other
    finally:
        other.close()
    assert WebSocketCommonProtocol().loop is asyncio.get_running_loop()


def test_protocol_created_outside_event_loop() -> None:
    ws = WebSocketCommonProtocol(ping_interval=None)
    assert ws.loop is None

    async def run() -> None:
        waiter = await started(ws.wait_closed())
        assert ws.loop is asyncio.get_running_loop()
        transport = FakeTransport(ws)
        ws.connection_made(transport)
        ws.connection_open()
        assert ws.loop is asyncio.get_running_loop()
        transport.abort()
        await waiter

    asyncio.run(run())


def test_connection_made_sets_loop() -> None:
    ws = WebSocketCommonProtocol(ping_interval=None)

    async def run() -> None:
        transport = FakeTransport(ws)
        ws.connection_made(transport)
        assert ws.loop is asyncio.get_running_loop()
        ws.connection_open()
        await ws.send("spam")
        assert transport.written == b"\x81\x04spam"
        transport.abort()
        await ws.wait_closed()

    asyncio.run(run())


# Debug logs.


@async_test
async def test_debug_logs_frames(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="websockets.protocol"):
        ws, _ = make()
        await ws.send("spam")
        feed(ws, OP_TEXT, b"eggs")
    assert caplog.messages == [
        "> TEXT fin b'spam' [4 bytes]",
        "< TEXT fin b'eggs' [4 bytes]",
    ]


@async_test
async def test_no_debug_logs_when_disabled(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("called while debug logs are disabled")

    monkeypatch.setattr(Frame, "__str__", fail)
    monkeypatch.setattr(connection.logger, "debug", fail)
    with caplog.at_level(logging.INFO, logger="websockets.protocol"):
        ws, transport = make()
        await ws.send("spam")
        await ws.ping(b"1")
        feed(ws, OP_TEXT, b"eggs")
        feed(ws, OP_PONG, b"1")
        assert await ws.recv() == "eggs"
        close = await started(ws.close())
        feed_close(ws)
        transport.feed_eof()
        await close
    assert caplog.records == []


# The opening handshake.

REQUEST = (
    b"GET /chat HTTP/1.1\r\n" b"Host: example.com\r\n" b"Upgrade: websocket\r\n" b"\r\n"
)


@async_test
async def test_read_http_message_then_frames() -> None:
    ws, transport = make(open=False)
    task = await started(ws.read_http_message(parse_request()))
    data = (
        REQUEST + frame_in(SERVER, OP_TEXT, b"spam") + frame_in(SERVER, OP_PING, b"!")
    )
    for i in range(len(data)):
        transport.feed_data(data[i : i + 1])
    path, headers = await task
    assert path == "/chat"
    assert headers["Upgrade"] == "websocket"
    # Frames received right after the handshake are processed on opening.
    assert ws.handshake_buffer == data[len(REQUEST) :]
    ws.connection_open()
    assert ws.handshake_buffer == bytearray()
    assert await ws.recv() == "spam"
    assert transport.written == b"\x8a\x01!"


@async_test
async def test_read_http_message_already_received() -> None:
    ws, transport = make(open=False)
    transport.feed_data(b"HTTP/1.1 101 Switching Protocols\r\n\r\n")
    status, reason, headers = await ws.read_http_message(parse_response())
    assert (status, reason, list(headers.raw_items())) == (
        101,
        "Switching Protocols",
        [],
    )
    ws.connection_open()
    assert ws.open


@async_test
async def test_read_http_message_complete_before_eof() -> None:
    ws, transport = make(open=False)
    transport.feed_data(REQUEST)
    transport.feed_eof()
    path, _ = await ws.read_http_message(parse_request())
    assert path == "/chat"


@async_test
async def test_read_http_message_eof() -> None:
    ws, transport = make(open=False)
    task = await started(ws.read_http_message(parse_request()))
    transport.feed_data(REQUEST[:30])
    await asyncio.sleep(0)
    assert not task.done()
    transport.feed_eof()
    with pytest.raises(
        EOFError, match="^connection closed while reading HTTP headers$"
    ):
        await task
    assert transport.names() == ["close"]


@async_test
async def test_read_http_message_connection_lost() -> None:
    ws, transport = make(open=False)
    task = await started(ws.read_http_message(parse_request()))
    transport.abort()
    with pytest.raises(
        EOFError, match="^connection closed while reading HTTP request line$"
    ):
        await task
    assert ws.closed


@async_test
async def test_handshake_pauses_reading_above_read_limit() -> None:
    ws, transport = make(open=False, read_limit=100)
    transport.feed_data(b"x" * 100)
    assert transport.calls == []
    transport.feed_data(b"x")
    assert transport.names() == ["pause_reading"]
    transport.feed_data(b"x")
    assert transport.names() == ["pause_reading"]
    # Reading resumes when the handshake needs more bytes.
    ws.handshake_buffer.clear()
    task = await started(ws.read_http_message(parse_request()))
    assert transport.names() == ["pause_reading", "resume_reading"]
    transport.feed_data(REQUEST)
    await task


@async_test
async def test_connection_open_resumes_reading() -> None:
    ws, transport = make(open=False, read_limit=10)
    transport.feed_data(REQUEST + frame_in(SERVER, OP_TEXT, b"spam"))
    assert transport.names() == ["pause_reading"]
    path, _ = await ws.read_http_message(parse_request())
    ws.connection_open()
    assert transport.names() == ["pause_reading", "resume_reading"]
    assert await ws.recv() == "spam"


@async_test
async def test_abort_handshake() -> None:
    ws, transport = make(open=False)
    task = await started(ws.read_http_message(parse_request()))
    ws.abort_handshake(ConnectionResetError("server shutdown"))
    with pytest.raises(ConnectionResetError, match="^server shutdown$"):
        await task
    # Later reads fail too.
    with pytest.raises(ConnectionResetError, match="^server shutdown$"):
        await ws.read_http_message(parse_response())


@async_test
async def test_read_http_message_invalid() -> None:
    ws, transport = make(open=False)
    transport.feed_data(b"POST / HTTP/1.1\r\n")
    with pytest.raises(ValueError, match="^unsupported HTTP method: POST$"):
        await ws.read_http_message(parse_request())


# End to end, in memory or over a socket pair, on a virtual clock.


async def connected_pair(
    *, sockets: bool = False, **kwargs: Any
) -> Tuple[WebSocketCommonProtocol, WebSocketCommonProtocol]:
    """
    A server protocol and a client protocol connected to each other.

    They're connected in memory by :class:`websockets.testing.Link`, or over
    a socket pair when ``sockets`` is true.

    """
    kwargs.setdefault("ping_interval", None)
    server = WebSocketCommonProtocol(**kwargs)
    client = ClientProtocol(**kwargs)
    if sockets:
        loop = asyncio.get_running_loop()
        server_sock, client_sock = socket.socketpair()
        await loop.create_connection(lambda: server, sock=server_sock)
        await loop.create_connection(lambda: client, sock=client_sock)
    else:
        Link().connect(client, server)
    server.connection_open()
    client.connection_open()
    return server, client


async def connected_to_raw_peer(
    side: Side, **kwargs: Any
) -> Tuple[WebSocketCommonProtocol, socket.socket]:
    """A protocol connected to a socket that the test drives by hand."""
    loop = asyncio.get_running_loop()
    sock, peer = socket.socketpair()
    peer.setblocking(False)
    kwargs.setdefault("ping_interval", None)
    ws = protocol_class(side)(**kwargs)
    await loop.create_connection(lambda: ws, sock=sock)
    ws.connection_open()
    return ws, peer


async def read_exactly(peer: socket.socket, size: int) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    while len(data) < size:
        chunk = await loop.sock_recv(peer, size - len(data))
        assert chunk, f"EOF after {len(data)} bytes, expected {size}"
        data += chunk
    return data


async def read_to_eof(peer: socket.socket) -> bytes:
    loop = asyncio.get_running_loop()
    data = b""
    while True:
        chunk = await loop.sock_recv(peer, 2**16)
        if not chunk:
            return data
        data += chunk


@virtual_clock
async def test_end_to_end_conversation() -> None:
    server, client = await connected_pair()
    await client.send("Hello")
    assert await server.recv() == "Hello"
    await server.send(b"\x00" * 100_000)
    assert await client.recv() == b"\x00" * 100_000
    await client.send(agen("frag", "ments"))
    assert await server.recv() == "fragments"
    await (await client.ping())
    await (await server.ping("ping"))
    await client.close(1001, "bye")
    await server.wait_closed()
    # No timeout was needed.
    assert now() == 0
    assert (server.close_code, server.close_reason) == (1001, "bye")
    assert (client.close_code, client.close_reason) == (1001, "bye")
    assert server.close_cause is CloseReason.PEER_CLOSE
    assert client.close_cause is CloseReason.LOCAL_CLOSE
    with pytest.raises(ConnectionClosedOK):
        await server.recv()


@virtual_clock
async def test_end_to_end_server_close() -> None:
    server, client = await connected_pair()
    await server.send("last")
    await server.close(1011, "oops")
    await client.wait_closed()
    assert now() == 0
    assert await client.recv() == "last"
    with pytest.raises(ConnectionClosedError) as raised:
        await client.recv()
    assert (raised.value.code, raised.value.reason) == (1011, "oops")


@virtual_clock
async def test_end_to_end_simultaneous_close() -> None:
    server, client = await connected_pair()
    await asyncio.gather(server.close(), client.close())
    assert now() == 0
    assert server.close_code == client.close_code == 1000


@virtual_clock
async def test_end_to_end_protocol_error() -> None:
    server, client = await connected_pair()
    assert client.transport is not None
    client.transport.write(frame_in(SERVER, OP_TEXT, b"\xff"))
    with pytest.raises(ConnectionClosedError) as raised:
        await client.recv()
    assert (raised.value.code, raised.value.reason) == (
        1007,
        "invalid UTF-8 at position 0",
    )
    await server.wait_closed()
    await client.wait_closed()
    assert now() == 0
    # The server failed the connection: it sent 1007 (the client received it,
    # see above) and discarded the answer, hence 1006 (RFC 6455 7.1.5).
    assert server.close_code == 1006
    assert server.conn.close_sent_code == 1007
    assert server.close_cause is CloseReason.INVALID_DATA


@virtual_clock
async def test_end_to_end_keepalive() -> None:
    server, client = await connected_pair(ping_interval=1, ping_timeout=1)
    await asyncio.sleep(10.5)
    assert server.open and client.open
    await client.close()
    assert now() == 10.5


@virtual_clock
async def test_end_to_end_max_queue() -> None:
    server, client = await connected_pair(max_queue=2)
    transport = server.transport
    assert transport is not None
    paused: asyncio.Future[None] = asyncio.get_running_loop().create_future()
    pause_reading = transport.pause_reading

    def pause() -> None:
        pause_reading()
        paused.set_result(None)

    transport.pause_reading = pause  # type: ignore[method-assign]
    await client.send("0")
    await client.send("1")
    await paused
    assert not transport.is_reading()
    for i in range(2, 20):
        await client.send(str(i))
    pong = await ping(client)
    # On the virtual clock, this timer fires once no I/O is ready: the server
    # doesn't read the ping until recv() makes room.
    await asyncio.sleep(1)
    assert list(server.messages) == ["0", "1"]
    assert not pong.done()
    assert [await server.recv() for _ in range(20)] == [str(i) for i in range(20)]
    await pong
    await client.close()


@pytest.mark.parametrize(("side", "timeouts"), [(SERVER, 2), (CLIENT, 3)])
@virtual_clock
async def test_end_to_end_close_when_peer_never_answers(
    side: Side, timeouts: int
) -> None:
    ws, peer = await connected_to_raw_peer(side, close_timeout=10)
    try:
        await ws.close()
        # See test_close_when_peer_never_answers.
        assert now() == timeouts * 10
        data = await read_to_eof(peer)
        assert parse_one(data, mask=side is CLIENT) == close_frame(1000)
        assert ws.close_code == 1006
    finally:
        peer.close()


@pytest.mark.parametrize(
    ("side", "timeouts", "bound"), [(SERVER, 1, 4), (CLIENT, 2, 5)]
)
@virtual_clock
async def test_end_to_end_close_when_peer_answers_and_never_closes(
    side: Side, timeouts: int, bound: int
) -> None:
    ws, peer = await connected_to_raw_peer(side, close_timeout=10)
    try:
        close = asyncio.ensure_future(ws.close())
        # The close frame is 4 bytes long, plus 4 for the mask from a client.
        data = await read_exactly(peer, 8 if side is CLIENT else 4)
        assert parse_one(data, mask=side is CLIENT) == close_frame(1000)
        await asyncio.get_running_loop().sock_sendall(
            peer, frame_in(side, OP_CLOSE, b"\x03\xe8")
        )
        await close
        # The server half-closes TCP, then closes it after a timeout. The
        # client waits for the server to close TCP, then does the same.
        assert now() == timeouts * 10 <= bound * 10
        assert await read_to_eof(peer) == b""
        assert ws.close_code == 1000
    finally:
        peer.close()


@pytest.mark.parametrize(
    ("side", "timeouts", "bound"), [(SERVER, 3, 4), (CLIENT, 4, 5)]
)
@virtual_clock
async def test_end_to_end_close_when_peer_doesnt_read(
    side: Side, timeouts: int, bound: int
) -> None:
    ws, peer = await connected_to_raw_peer(side, close_timeout=10)
    try:
        send = await started(ws.send(bytes(2**22)))
        await ws.close()
        # The close frame is stuck behind the message: each step of closing
        # times out, up to closing TCP, then TCP is aborted.
        assert now() == timeouts * 10 <= bound * 10
        with pytest.raises(ConnectionClosedError):
            await send
    finally:
        peer.close()


@virtual_clock
async def test_end_to_end_write_limit() -> None:
    ws, peer = await connected_to_raw_peer(SERVER, write_limit=2**16)
    try:
        send = await started(ws.send(bytes(2**22)))
        assert ws.transport is not None
        assert ws.transport.get_write_buffer_size() > 2**16
        data = await read_exactly(peer, 10 + 2**22)
        await send
        assert data[:10] == b"\x82\x7f" + (2**22).to_bytes(8, "big")
    finally:
        peer.close()
        ws.fail_connection()
        await ws.wait_closed()


@virtual_clock
async def test_end_to_end_keepalive_timeout() -> None:
    ws, peer = await connected_to_raw_peer(
        SERVER, ping_interval=20, ping_timeout=5, close_timeout=10
    )
    try:
        await ws.wait_closed()
        assert now() == 35
        data = await read_to_eof(peer)
        assert parse_one(data[:6], mask=False).opcode == OP_PING
        assert parse_one(data[6:], mask=False) == close_frame(
            1011, "keepalive ping timeout"
        )
        assert ws.close_code == 1006
        assert ws.conn.close_sent_code == 1011
    finally:
        peer.close()


@async_test
async def test_end_to_end_addresses() -> None:
    loop = asyncio.get_running_loop()
    made: asyncio.Future[WebSocketCommonProtocol] = loop.create_future()

    def factory() -> WebSocketCommonProtocol:
        ws = WebSocketCommonProtocol(ping_interval=None)
        made.set_result(ws)
        return ws

    listener = await loop.create_server(factory, "127.0.0.1", 0)
    try:
        port = listener.sockets[0].getsockname()[1]
        _, client = await loop.create_connection(
            lambda: ClientProtocol(ping_interval=None), "127.0.0.1", port
        )
        server = await made
        client.connection_open()
        server.connection_open()
        assert client.remote_address == server.local_address == ("127.0.0.1", port)
        assert client.local_address == server.remote_address
        await client.send("spam")
        assert await server.recv() == "spam"
        await client.close()
        await server.wait_closed()
        assert server.close_code == 1000
    finally:
        listener.close()
        await listener.wait_closed()


@async_test
async def test_end_to_end_without_debug_logs(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("called while debug logs are disabled")

    monkeypatch.setattr(Frame, "__str__", fail)
    monkeypatch.setattr(connection.logger, "debug", fail)
    with caplog.at_level(logging.INFO, logger="websockets.protocol"):
        server, client = await connected_pair()
        await client.send("spam")
        assert await server.recv() == "spam"
        await server.close()
    assert caplog.records == []


# End to end on every event loop (asyncio and uvloop), in real time.


@pytest.mark.event_loops
async def test_real_loop_conversation() -> None:
    server, client = await connected_pair(sockets=True)
    await client.send("Hello")
    assert await server.recv() == "Hello"
    await server.send([b"frag", b"ments"])
    assert await client.recv() == b"fragments"
    await (await client.ping())
    await client.close(1001)
    await server.wait_closed()
    assert (server.close_code, client.close_code) == (1001, 1001)
    with pytest.raises(ConnectionClosedOK):
        await server.recv()


@pytest.mark.event_loops
async def test_real_loop_server_close() -> None:
    server, client = await connected_pair(sockets=True)
    await server.send("last")
    await server.close(1011, "oops")
    await client.wait_closed()
    assert await client.recv() == "last"
    with pytest.raises(ConnectionClosedError, match="oops"):
        await client.recv()


@pytest.mark.event_loops
async def test_real_loop_write_limit_and_max_queue() -> None:
    server, client = await connected_pair(sockets=True, write_limit=2**16, max_queue=1)
    messages = [bytes([i]) * 2**19 for i in range(8)]
    # The server stops reading: the client can't send everything at once.
    sending = asyncio.ensure_future(
        asyncio.gather(*[client.send(message) for message in messages])
    )
    assert [await server.recv() for _ in messages] == messages
    await sending
    await client.close()


@pytest.mark.event_loops
async def test_real_loop_peer_closes_tcp() -> None:
    ws, peer = await connected_to_raw_peer(SERVER)
    peer.close()
    with pytest.raises(ConnectionClosedError) as raised:
        await ws.recv()
    assert raised.value.code == 1006
    await ws.wait_closed()


# broadcast()


@async_test
async def test_broadcast_writes_the_same_frame_to_every_server_connection() -> None:
    pairs = [make() for _ in range(3)]
    protocol.broadcast([ws for ws, _ in pairs], "café")
    writes = [transport.calls for _, transport in pairs]
    assert all(len(calls) == 1 for calls in writes)
    # Serialized once: the very same bytes object for each connection.
    assert writes[0][0][1] is writes[1][0][1] is writes[2][0][1]
    for ws, transport in pairs:
        assert output(ws, transport) == [Frame(True, OP_TEXT, "café".encode())]


@async_test
async def test_broadcast_binary_message_in_any_bytes_like_type() -> None:
    for message in [b"\x01\x02", bytearray(b"\x01\x02"), memoryview(b"\x01\x02")]:
        ws, transport = make()
        protocol.broadcast([ws], message)
        assert output(ws, transport) == [Frame(True, OP_BINARY, b"\x01\x02")]


@async_test
async def test_broadcast_masks_each_client_frame_with_its_own_key() -> None:
    pairs = [make(CLIENT) for _ in range(2)]
    protocol.broadcast([ws for ws, _ in pairs], b"spam")
    frames = [transport.calls[0][1] for _, transport in pairs]
    assert frames[0][2:6] != frames[1][2:6]  # masking keys differ
    for ws, transport in pairs:
        assert output(ws, transport) == [Frame(True, OP_BINARY, b"spam")]


@async_test
async def test_broadcast_with_debug_logs(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="websockets.protocol"):
        ws, transport = make()
        caplog.clear()
        protocol.broadcast([ws], "spam")
    assert output(ws, transport) == [Frame(True, OP_TEXT, b"spam")]
    assert caplog.messages == ["> TEXT fin b'spam' [4 bytes]"]


@async_test
async def test_broadcast_skips_connections_that_are_not_open() -> None:
    opening, opening_transport = make(open=False)
    closing, closing_transport = make()
    closing.conn.send_close(1000, "")
    closing._flush()
    closing_transport.clear()
    closed, closed_transport = make()
    closed_transport.abort()
    await closed.wait_closed()
    closed_transport.clear()
    open_ws, open_transport = make()
    protocol.broadcast([opening, closing, closed, open_ws], "spam")
    assert opening_transport.calls == []
    assert closing_transport.calls == []
    assert closed_transport.calls == []
    assert output(open_ws, open_transport) == [Frame(True, OP_TEXT, b"spam")]


@async_test
async def test_broadcast_skips_connection_sending_fragments(
    caplog: pytest.LogCaptureFixture,
) -> None:
    busy, busy_transport = make()
    busy.conn.send_text(b"fragment", fin=False)
    busy._flush()
    busy_transport.clear()
    idle, idle_transport = make()
    with caplog.at_level(logging.WARNING, logger="websockets.protocol"):
        protocol.broadcast([busy, idle], "spam")
    assert busy_transport.calls == []
    assert output(idle, idle_transport) == [Frame(True, OP_TEXT, b"spam")]
    assert caplog.messages == ["skipped broadcast: a fragmented message is being sent"]


@async_test
async def test_broadcast_rejects_unsupported_types_before_sending() -> None:
    ws, transport = make()
    with pytest.raises(TypeError):
        protocol.broadcast([ws], 42)  # type: ignore[arg-type]
    assert transport.calls == []


@async_test
async def test_connection_lost_skips_cancelled_wait_closed() -> None:
    ws, transport = make()
    cancelled = await started(ws.wait_closed())
    waiting = await started(ws.wait_closed())
    cancelled.cancel()
    # The connection is lost before the cancelled task runs again.
    ws.connection_lost(None)
    await waiting
    with pytest.raises(asyncio.CancelledError):
        await cancelled


@async_test
async def test_close_transport_on_closed_connection_does_nothing() -> None:
    ws, transport = make()
    transport.abort()
    await ws.wait_closed()
    transport.clear()
    ws.close_transport()
    assert transport.calls == []
    assert ws.close_cause is CloseReason.TRANSPORT_LOST


# A protocol violation after messages the application hasn't read yet.


@pytest.mark.parametrize("side", SIDES)
@async_test
async def test_violation_after_message_lets_application_answer(side: Side) -> None:
    ws, transport = make(side)
    # A message, then at once a frame with a reserved bit set (RFC 6455 5.2).
    ws.data_received(
        frame_in(side, OP_TEXT, b"hello") + frame_in(side, OP_TEXT, b"x", rsv2=True)
    )
    # Nothing is sent yet; reading stops until the application has acted.
    assert output(ws, transport) == ["pause_reading"]
    assert ws.open
    message = await ws.recv()
    await ws.send(message)
    await asyncio.sleep(0)
    # The answer goes out before the Close frame.
    assert output(ws, transport)[:3] == [
        Frame(True, OP_TEXT, b"hello"),
        close_frame(1002, "reserved bits must be 0"),
        "write_eof",
    ]
    with pytest.raises(ConnectionClosedError) as raised:
        await ws.recv()
    assert isinstance(raised.value.__cause__, ProtocolError)
    assert ws.close_cause is CloseReason.PROTOCOL_ERROR


@pytest.mark.parametrize("side", SIDES)
@async_test
async def test_violation_after_message_fails_on_next_recv(side: Side) -> None:
    ws, transport = make(side)
    ws.data_received(
        frame_in(side, OP_TEXT, b"one")
        + frame_in(side, OP_TEXT, b"two")
        + frame_in(side, OP_CONT, b"nothing to continue")
    )
    assert await ws.recv() == "one"
    assert await ws.recv() == "two"
    assert ws.conn.close_sent_code is None
    with pytest.raises(ConnectionClosedError):
        await ws.recv()
    assert ws.conn.close_sent_code == 1002
    assert close_frame(1002, "unexpected continuation frame") in output(ws, transport)


@pytest.mark.parametrize("side", SIDES)
@virtual_clock
async def test_violation_after_unread_message_fails_after_close_timeout(
    side: Side,
) -> None:
    ws, transport = make(side, close_timeout=5)
    ws.data_received(
        frame_in(side, OP_TEXT, b"unread") + frame_in(side, 3)  # reserved opcode
    )
    assert output(ws, transport) == ["pause_reading"]
    # Nobody reads the message: the connection fails after close_timeout.
    await asyncio.sleep(5)
    assert output(ws, transport)[0] == close_frame(1002, "invalid opcode: 3")
    assert ws.conn.close_sent_code == 1002
    # The message is still there for the application.
    assert await ws.recv() == "unread"


@virtual_clock
async def test_error_in_the_c_receiver_fails_with_1011(
    caplog: pytest.LogCaptureFixture,
) -> None:
    if protocol._receive_messages is None:
        pytest.skip("the C receiver only")

    class Queue(collections.deque):  # type: ignore[type-arg]
        def append(self, message: Any) -> None:
            if message == "two":
                raise MemoryError
            super().append(message)

    ws, transport = make(close_timeout=5)
    ws.messages = Queue()
    with caplog.at_level(logging.ERROR, "websockets.protocol"):
        ws.data_received(
            frame_in(SERVER, OP_TEXT, b"one") + frame_in(SERVER, OP_TEXT, b"two")
        )
    assert "unexpected error while receiving" in caplog.text
    # As when the core fails: the message before the error is read first.
    assert await ws.recv() == "one"
    await asyncio.sleep(0)
    assert close_frame(1011, "internal error") in output(ws, transport)
    assert ws.conn.close_sent_code == 1011


@pytest.mark.parametrize("side", SIDES)
@async_test
async def test_close_fails_with_the_violation_held(side: Side) -> None:
    ws, transport = make(side, close_timeout=0.01)
    ws.data_received(
        frame_in(side, OP_TEXT, b"unread") + frame_in(side, OP_TEXT, b"x", rsv2=True)
    )
    await ws.close()
    assert output(ws, transport)[1] == close_frame(1002, "reserved bits must be 0")
    assert ws.conn.close_sent_code == 1002


@pytest.mark.parametrize("side", SIDES)
@async_test
async def test_violation_without_unread_message_fails_at_once(side: Side) -> None:
    ws, transport = make(side)
    ws.data_received(frame_in(side, OP_TEXT, b"x", rsv3=True))
    assert output(ws, transport)[0] == close_frame(1002, "reserved bits must be 0")


@pytest.mark.parametrize("side", SIDES)
@async_test
async def test_violation_after_message_then_eof_fails_at_once(side: Side) -> None:
    ws, transport = make(side)
    ws.data_received(
        frame_in(side, OP_TEXT, b"hello") + frame_in(side, OP_TEXT, b"x", rsv2=True)
    )
    transport.feed_eof()
    assert ws.conn.pending_failure is None
    assert await ws.recv() == "hello"
