"""Tests for websockets.connection: the Sans-I/O core, bytes in, events out."""

import logging
from typing import Any, Generator, List, Optional, Tuple, Union

import pytest
from hypothesis import given, settings, strategies as st

from websockets import connection, framing, protocol
from websockets.connection import (
    CLIENT,
    CLOSED,
    CLOSING,
    CONNECTING,
    OPEN,
    SERVER,
    CloseReason,
    Connection,
    Side,
    truncate_reason,
)
from websockets.exceptions import (
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
)
from websockets.extensions.base import Extension
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    parse_frame,
    serialize_close,
    serialize_frame,
)
from websockets.utils import apply_mask


# Masking key of the examples in RFC 6455 5.7.
RFC_MASK = bytes.fromhex("37fa213d")

SIDES = [SERVER, CLIENT]

Output = Union[Frame, bytes]


@pytest.fixture(
    autouse=True,
    params=[
        pytest.param(
            "speedups",
            marks=pytest.mark.skipif(
                connection._parse_messages is None,
                reason="websockets.speedups isn't built",
            ),
        ),
        pytest.param("python"),
    ],
)
def implementation(
    request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch
) -> str:
    """
    Run each test with the C parser and encoder of websockets.speedups, then
    with the pure Python path that ``WEBSOCKETS_SPEEDUPS=0`` selects.

    """
    name: str = request.param
    if name == "python":
        # The asyncio adapter's C receiver too, for tests that import this.
        monkeypatch.setattr(protocol, "_receive_messages", None)
        monkeypatch.setattr(protocol, "_frame_message", None)
        monkeypatch.setattr(connection, "_parse_messages", None)
        monkeypatch.setattr(connection, "encode_frame", framing._encode_frame_python)
        monkeypatch.setattr(framing, "encode_frame", framing._encode_frame_python)
    return name


@pytest.fixture
def fixed_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make clients mask every frame with :data:`RFC_MASK`, for exact bytes."""
    monkeypatch.setattr(framing, "new_mask_key", lambda: RFC_MASK)


def frame_in(
    side: Side, opcode: int, data: bytes = b"", fin: bool = True, **rsv: bool
) -> bytes:
    """Bytes of a frame sent to ``side`` by its peer, unchecked: may be invalid."""
    return serialize_frame(Frame(fin, opcode, data, **rsv), side is SERVER)


def parse_one(data: bytes, *, mask: bool) -> Frame:
    """Parse exactly one frame from ``data``."""
    parser = parse_frame(mask=mask)
    pos = 0
    try:
        size = next(parser)
        while True:
            chunk, pos = data[pos : pos + size], pos + size
            size = parser.send(chunk)
    except StopIteration as exc:
        assert pos == len(data), "one chunk of output isn't one frame"
        frame: Frame = exc.value
        return frame


def sent(conn: Connection) -> List[Output]:
    """What ``conn`` wrote since the last call: frames, and ``b""`` for EOF."""
    return [
        parse_one(chunk, mask=conn.side is CLIENT) if chunk else b""
        for chunk in conn.data_to_send()
    ]


def close_frame(code: Optional[int] = None, reason: str = "") -> Frame:
    data = b"" if code is None else serialize_close(code, reason)
    return Frame(True, OP_CLOSE, data)


def feed_bytewise(conn: Connection, data: bytes) -> None:
    for i in range(len(data)):
        conn.receive_data(data[i : i + 1])


# Receiving data frames.


@pytest.mark.parametrize("side", SIDES)
def test_receive_text(side: Side) -> None:
    conn = Connection(side)
    conn.receive_data(frame_in(side, OP_TEXT, "café".encode()))
    assert conn.events_received() == ["café"]
    assert conn.data_to_send() == []


@pytest.mark.parametrize("side", SIDES)
def test_receive_binary(side: Side) -> None:
    conn = Connection(side)
    conn.receive_data(frame_in(side, OP_BINARY, b"\x00\xff"))
    [event] = conn.events_received()
    assert event == b"\x00\xff"
    assert type(event) is bytes


@pytest.mark.parametrize("side", SIDES)
def test_receive_empty_messages(side: Side) -> None:
    conn = Connection(side)
    conn.receive_data(frame_in(side, OP_TEXT) + frame_in(side, OP_BINARY))
    assert conn.events_received() == ["", b""]


def test_server_receives_rfc_masked_text() -> None:
    conn = Connection(SERVER)
    conn.receive_data(bytes.fromhex("818537fa213d7f9f4d5158"))
    assert conn.events_received() == ["Hello"]


def test_client_receives_rfc_unmasked_text() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(bytes.fromhex("810548656c6c6f"))
    assert conn.events_received() == ["Hello"]


def test_client_receives_rfc_fragmented_text() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(bytes.fromhex("010348656c"))
    assert conn.events_received() == []
    conn.receive_data(bytes.fromhex("80026c6f"))
    assert conn.events_received() == ["Hello"]


def test_client_receives_rfc_extended_lengths() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(bytes.fromhex("827e0100") + b"\x01" * 256)
    conn.receive_data(bytes.fromhex("827f0000000000010000") + b"\x02" * 65536)
    assert conn.events_received() == [b"\x01" * 256, b"\x02" * 65536]


@pytest.mark.parametrize("side", SIDES)
def test_receive_fragmented_binary(side: Side) -> None:
    conn = Connection(side)
    conn.receive_data(frame_in(side, OP_BINARY, b"tea", fin=False))
    conn.receive_data(frame_in(side, OP_CONT, b"", fin=False))
    conn.receive_data(frame_in(side, OP_CONT, b"pot", fin=True))
    assert conn.events_received() == [b"teapot"]


def test_receive_character_split_across_fragments() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"caf\xc3", fin=False))
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"\xa9", fin=True))
    assert conn.events_received() == ["café"]


def test_receive_messages_after_fragmented_message() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"a", fin=False))
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"b", fin=True))
    conn.receive_data(frame_in(CLIENT, OP_BINARY, b"c", fin=False))
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"d", fin=True))
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"e"))
    assert conn.events_received() == ["ab", b"cd", "e"]


def test_receive_bytearray_and_memoryview() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(bytearray(frame_in(CLIENT, OP_TEXT, b"spam")))
    conn.receive_data(memoryview(frame_in(CLIENT, OP_TEXT, b"eggs")))
    assert conn.events_received() == ["spam", "eggs"]


def test_events_received_returns_each_event_once() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"spam"))
    assert conn.events_received() == ["spam"]
    assert conn.events_received() == []


# Incremental parsing.


@pytest.mark.parametrize("side", SIDES)
def test_receive_byte_by_byte(side: Side) -> None:
    conn = Connection(side)
    frames = [
        (frame_in(side, OP_TEXT, "é".encode() * 100), "é" * 100),
        (frame_in(side, OP_BINARY, b"\x00" * 70000), b"\x00" * 70000),
        (frame_in(side, OP_TEXT), ""),
    ]
    for data, message in frames:
        feed_bytewise(conn, data[:-1])
        assert conn.events_received() == []
        conn.receive_data(data[-1:])
        assert conn.events_received() == [message]


@pytest.mark.parametrize("side", SIDES)
def test_receive_many_frames_in_one_call(side: Side) -> None:
    conn = Connection(side)
    data = b"".join(frame_in(side, OP_TEXT, str(i).encode()) for i in range(1000))
    data += frame_in(side, OP_PING, b"ping") + frame_in(side, OP_BINARY, b"end")
    conn.receive_data(data)
    events = conn.events_received()
    assert events[:1000] == [str(i) for i in range(1000)]
    assert events[1000:] == [Frame(True, OP_PING, b"ping"), b"end"]
    assert sent(conn) == [Frame(True, OP_PONG, b"ping")]


class ParserStats:
    """Record how :func:`parse_frame` is driven."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.parsers = 0
        self.sends: List[int] = []
        monkeypatch.setattr(connection, "parse_frame", self.parse_frame)

    def parse_frame(self, **kwargs: Any) -> Generator[int, bytes, Frame]:
        self.parsers += 1
        parser = parse_frame(**kwargs)
        size = next(parser)
        while True:
            data = yield size
            assert len(data) == size
            self.sends.append(size)
            try:
                size = parser.send(data)
            except StopIteration as exc:
                frame: Frame = exc.value
                return frame


def test_64kib_message_in_1_byte_pieces_resumes_parser_3_times(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stats = ParserStats(monkeypatch)
    conn = Connection(SERVER)
    message = bytes(range(256)) * 256
    data = frame_in(SERVER, OP_BINARY, message)
    feed_bytewise(conn, data)
    assert conn.events_received() == [message]
    # Header; extended length and masking key in one request; payload. Each
    # byte reaches the parser once, however the bytes arrive.
    assert stats.parsers == 1
    assert stats.sends == [2, 12, 65536]
    assert sum(stats.sends) == len(data)


def test_fragmented_message_in_1_byte_pieces_is_linear(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    stats = ParserStats(monkeypatch)
    conn = Connection(CLIENT)
    chunks = [bytes([i]) * 1024 for i in range(64)]
    data = frame_in(CLIENT, OP_BINARY, chunks[0], fin=False)
    data += b"".join(
        frame_in(CLIENT, OP_CONT, chunk, fin=False) for chunk in chunks[1:]
    )
    data += frame_in(CLIENT, OP_CONT, b"", fin=True)
    feed_bytewise(conn, data)
    assert conn.events_received() == [b"".join(chunks)]
    # The last frame, empty, is complete with its 2-byte header: the fast path
    # for small frames parses it without a generator.
    assert stats.parsers == 64
    assert stats.sends == [2, 2, 1024] * 64
    assert sum(stats.sends) + 2 == len(data)


MESSAGES = st.lists(st.one_of(st.text(max_size=300), st.binary(max_size=300)))


@given(messages=MESSAGES, data=st.data())
@settings(max_examples=30, deadline=None)
def test_events_dont_depend_on_how_bytes_are_split(
    messages: List[Union[str, bytes]], data: st.DataObject
) -> None:
    side = data.draw(st.sampled_from(SIDES))
    stream = b"".join(
        frame_in(side, OP_TEXT, message.encode())
        if isinstance(message, str)
        else frame_in(side, OP_BINARY, message)
        for message in messages
    )
    cuts = sorted(data.draw(st.lists(st.integers(0, len(stream)), max_size=20)))
    conn = Connection(side)
    for start, end in zip([0, *cuts], [*cuts, len(stream)]):
        conn.receive_data(stream[start:end])
    assert conn.events_received() == messages
    assert conn.state is OPEN


@given(side=st.sampled_from(SIDES), chunks=st.lists(st.binary(max_size=40)))
@settings(max_examples=100, deadline=None)
def test_arbitrary_bytes_never_raise(side: Side, chunks: List[bytes]) -> None:
    conn = Connection(side, max_size=100)
    for chunk in chunks:
        conn.receive_data(chunk)
    conn.events_received()
    output = conn.data_to_send()
    if conn.state is not OPEN:
        # Failed, or closed by the peer: the server half-closes at the end.
        assert conn.close_code is not None
        assert output[-1:] == [b""] or side is CLIENT


# Control frames.


@pytest.mark.parametrize("side", SIDES)
def test_ping_is_answered_with_pong(side: Side) -> None:
    conn = Connection(side)
    conn.receive_data(frame_in(side, OP_PING, b"\x00data\xff"))
    assert conn.events_received() == [Frame(True, OP_PING, b"\x00data\xff")]
    assert sent(conn) == [Frame(True, OP_PONG, b"\x00data\xff")]


def test_server_answers_rfc_ping_with_rfc_pong() -> None:
    conn = Connection(SERVER)
    conn.receive_data(bytes.fromhex("898537fa213d7f9f4d5158"))
    assert conn.data_to_send() == [bytes.fromhex("8a0548656c6c6f")]


def test_client_answers_rfc_ping_with_rfc_masked_pong(fixed_mask: None) -> None:
    conn = Connection(CLIENT)
    conn.receive_data(bytes.fromhex("890548656c6c6f"))
    assert conn.data_to_send() == [bytes.fromhex("8a8537fa213d7f9f4d5158")]


@pytest.mark.parametrize("side", SIDES)
def test_pong_is_an_event_only(side: Side) -> None:
    conn = Connection(side)
    conn.receive_data(frame_in(side, OP_PONG, b"data"))
    assert conn.events_received() == [Frame(True, OP_PONG, b"data")]
    assert conn.data_to_send() == []


def test_control_frames_inside_fragmented_message() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"spam", fin=False))
    conn.receive_data(frame_in(CLIENT, OP_PING, b"1"))
    conn.receive_data(frame_in(CLIENT, OP_PONG, b"2"))
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"eggs", fin=True))
    assert conn.events_received() == [
        Frame(True, OP_PING, b"1"),
        Frame(True, OP_PONG, b"2"),
        "spameggs",
    ]
    assert sent(conn) == [Frame(True, OP_PONG, b"1")]


def test_ping_is_not_answered_after_sending_close() -> None:
    conn = Connection(SERVER)
    conn.send_close(1000)
    conn.data_to_send()
    conn.receive_data(frame_in(SERVER, OP_PING, b"late"))
    assert conn.events_received() == [Frame(True, OP_PING, b"late")]
    assert conn.data_to_send() == []


# Sending.


def test_server_sends_rfc_unmasked_text() -> None:
    conn = Connection(SERVER)
    conn.send_text(b"Hello")
    assert conn.data_to_send() == [bytes.fromhex("810548656c6c6f")]


def test_client_sends_rfc_masked_text(fixed_mask: None) -> None:
    conn = Connection(CLIENT)
    conn.send_text(b"Hello")
    assert conn.data_to_send() == [bytes.fromhex("818537fa213d7f9f4d5158")]


def test_server_sends_rfc_fragmented_text() -> None:
    conn = Connection(SERVER)
    conn.send_text(b"Hel", fin=False)
    conn.send_continuation(b"lo", fin=True)
    assert conn.data_to_send() == [
        bytes.fromhex("010348656c"),
        bytes.fromhex("80026c6f"),
    ]


def test_server_sends_rfc_extended_lengths() -> None:
    conn = Connection(SERVER)
    conn.send_binary(b"\x01" * 256)
    conn.send_binary(b"\x02" * 65536)
    assert conn.data_to_send() == [
        bytes.fromhex("827e0100") + b"\x01" * 256,
        bytes.fromhex("827f0000000000010000") + b"\x02" * 65536,
    ]


def test_client_sends_fragmented_binary(fixed_mask: None) -> None:
    conn = Connection(CLIENT)
    conn.send_binary(b"tea", fin=False)
    conn.send_ping(b"")
    conn.send_continuation(b"pot", fin=False)
    conn.send_continuation(b"", fin=True)
    assert conn.data_to_send() == [
        b"\x02\x83" + RFC_MASK + apply_mask(b"tea", RFC_MASK),
        b"\x89\x80" + RFC_MASK,
        b"\x00\x83" + RFC_MASK + apply_mask(b"pot", RFC_MASK),
        b"\x80\x80" + RFC_MASK,
    ]


def test_server_sends_rfc_ping() -> None:
    conn = Connection(SERVER)
    conn.send_ping(b"Hello")
    assert conn.data_to_send() == [bytes.fromhex("890548656c6c6f")]


def test_client_sends_rfc_masked_pong(fixed_mask: None) -> None:
    conn = Connection(CLIENT)
    conn.send_pong(b"Hello")
    assert conn.data_to_send() == [bytes.fromhex("8a8537fa213d7f9f4d5158")]


def test_send_ping_over_125_bytes() -> None:
    conn = Connection(SERVER)
    with pytest.raises(ProtocolError, match=r"^control frame of 126 bytes, over 125$"):
        conn.send_ping(b"x" * 126)
    assert conn.data_to_send() == []


def test_send_continuation_without_fragmented_message() -> None:
    conn = Connection(SERVER)
    with pytest.raises(InvalidState, match="^no fragmented message is being sent$"):
        conn.send_continuation(b"", fin=True)
    conn.send_text(b"done")
    with pytest.raises(InvalidState, match="^no fragmented message is being sent$"):
        conn.send_continuation(b"", fin=True)


@pytest.mark.parametrize("method", ["send_text", "send_binary"])
def test_send_message_during_fragmented_message(method: str) -> None:
    conn = Connection(SERVER)
    conn.send_binary(b"a", fin=False)
    with pytest.raises(InvalidState, match="^a fragmented message is being sent$"):
        getattr(conn, method)(b"b")
    conn.send_continuation(b"c", fin=True)
    getattr(conn, method)(b"d")
    assert len(conn.data_to_send()) == 3


@pytest.mark.parametrize(
    ("method", "kind"),
    [
        ("send_text", "data"),
        ("send_binary", "data"),
        ("send_ping", "a control frame"),
        ("send_pong", "a control frame"),
    ],
)
def test_send_after_closing(method: str, kind: str) -> None:
    conn = Connection(SERVER)
    conn.send_close(1000)
    with pytest.raises(InvalidState, match=f"^cannot send {kind} in state CLOSING$"):
        getattr(conn, method)(b"late")


def test_send_continuation_after_closing() -> None:
    conn = Connection(SERVER)
    conn.send_text(b"a", fin=False)
    conn.send_close(1000)
    with pytest.raises(InvalidState, match="^cannot send data in state CLOSING$"):
        conn.send_continuation(b"b", fin=True)


# Sending a close frame.


def test_server_sends_close() -> None:
    conn = Connection(SERVER)
    conn.send_close(1000, "bye")
    assert conn.data_to_send() == [b"\x88\x05\x03\xe8bye"]
    assert conn.state is CLOSING
    assert conn.close_expected()
    assert conn.close_cause is CloseReason.LOCAL_CLOSE
    # The close code isn't known until the peer answers.
    assert conn.close_code is None
    assert conn.close_reason == ""


def test_client_sends_close_without_code(fixed_mask: None) -> None:
    conn = Connection(CLIENT)
    conn.send_close()
    assert conn.data_to_send() == [b"\x88\x80" + RFC_MASK]
    assert conn.state is CLOSING


def test_send_close_with_reason_without_code() -> None:
    conn = Connection(SERVER)
    with pytest.raises(ProtocolError, match="^cannot send a reason without a code$"):
        conn.send_close(None, "why")
    assert conn.state is OPEN
    assert conn.data_to_send() == []


@pytest.mark.parametrize("code", [999, 1004, 1005, 1006, 1015, 2999, 5000])
def test_send_close_with_invalid_code(code: int) -> None:
    conn = Connection(SERVER)
    with pytest.raises(ProtocolError, match=f"^invalid status code: {code}$"):
        conn.send_close(code)
    assert conn.state is OPEN


def test_send_close_reason_length() -> None:
    conn = Connection(SERVER)
    with pytest.raises(ProtocolError, match=r"^close reason of 124 bytes, over 123$"):
        conn.send_close(1000, "é" * 62)
    assert conn.state is OPEN
    conn.send_close(1000, "x" * 123)
    assert sent(conn) == [close_frame(1000, "x" * 123)]


def test_send_close_twice() -> None:
    conn = Connection(SERVER)
    conn.send_close(1000)
    with pytest.raises(
        InvalidState, match="^cannot close a connection in state CLOSING$"
    ):
        conn.send_close(1000)


# Opening.


def test_open() -> None:
    conn = Connection(SERVER, state=CONNECTING)
    extension = PerMessageDeflate(False, False, 15, 15)
    conn.open([extension])
    assert conn.state is OPEN
    assert conn.extensions == [extension]
    with pytest.raises(InvalidState, match="^cannot open a connection in state OPEN$"):
        conn.open()


def test_defaults() -> None:
    conn = Connection(CLIENT)
    assert conn.side is CLIENT
    assert conn.state is OPEN
    assert conn.max_size == 2**20
    assert conn.extensions == []
    assert conn.close_code is None
    assert conn.close_reason == ""
    assert conn.close_cause is None
    assert conn.receiving
    assert not conn.close_expected()


# The closing handshake, with two cores wired back to back (RFC 6455 7).


def transfer(src: Connection, dst: Connection) -> List[bytes]:
    """Deliver what ``src`` has to send to ``dst``, EOF included."""
    chunks = src.data_to_send()
    for chunk in chunks:
        if chunk:
            dst.receive_data(chunk)
        else:
            dst.receive_eof()
    return chunks


def pair() -> Tuple[Connection, Connection]:
    return Connection(CLIENT), Connection(SERVER)


def test_client_initiated_close() -> None:
    client, server = pair()
    client.send_close(1000, "bye")
    assert transfer(client, server)
    assert server.events_received() == [close_frame(1000, "bye")]
    assert (server.state, server.close_code, server.close_reason) == (
        CLOSING,
        1000,
        "bye",
    )
    assert not server.receiving
    # RFC 6455 5.5.1 and 7.1.1: the server echoes the code (and the reason,
    # as 8.x did) and closes TCP first.
    [echo, eof] = server.data_to_send()
    assert parse_one(echo, mask=False) == close_frame(1000, "bye")
    assert eof == b""
    client.receive_data(echo)
    assert client.events_received() == [close_frame(1000, "bye")]
    # The client waits for the server to close TCP.
    assert (client.state, client.close_code, client.close_reason) == (
        CLOSING,
        1000,
        "bye",
    )
    assert client.close_expected()
    assert client.data_to_send() == []
    client.receive_eof()
    assert client.state is CLOSED
    assert transfer(client, server) == [b""]
    assert server.state is CLOSED
    assert transfer(server, client) == []
    assert client.close_cause is CloseReason.LOCAL_CLOSE
    assert server.close_cause is CloseReason.PEER_CLOSE
    assert isinstance(client.close_exc(), ConnectionClosedOK)
    assert isinstance(server.close_exc(), ConnectionClosedOK)


def test_server_initiated_close() -> None:
    client, server = pair()
    server.send_close(1001, "going away")
    transfer(server, client)
    assert client.events_received() == [close_frame(1001, "going away")]
    assert client.state is CLOSING
    # The client echoes the code and reason, and doesn't close TCP.
    [echo] = client.data_to_send()
    assert parse_one(echo, mask=True) == close_frame(1001, "going away")
    # The server doesn't close TCP before receiving the echo.
    assert server.data_to_send() == []
    server.receive_data(echo)
    assert server.events_received() == [close_frame(1001, "going away")]
    assert server.data_to_send() == [b""]
    client.receive_eof()
    assert client.state is CLOSED
    assert transfer(client, server) == [b""]
    assert server.state is CLOSED
    assert (client.close_code, client.close_reason) == (1001, "going away")
    assert (server.close_code, server.close_reason) == (1001, "going away")
    assert client.close_cause is CloseReason.PEER_CLOSE
    assert server.close_cause is CloseReason.LOCAL_CLOSE


def test_simultaneous_close() -> None:
    client, server = pair()
    client.send_close(1000, "client")
    server.send_close(1000, "server")
    [client_close] = client.data_to_send()
    [server_close] = server.data_to_send()
    server.receive_data(client_close)
    client.receive_data(server_close)
    # Neither echoes: each one already sent a close frame.
    assert client.data_to_send() == []
    assert server.data_to_send() == [b""]
    assert client.state is server.state is CLOSING
    client.receive_eof()
    assert transfer(client, server) == [b""]
    assert client.state is server.state is CLOSED
    assert (client.close_code, client.close_reason) == (1000, "server")
    assert (server.close_code, server.close_reason) == (1000, "client")
    assert client.close_cause is server.close_cause is CloseReason.LOCAL_CLOSE


def test_close_without_code() -> None:
    client, server = pair()
    client.send_close()
    transfer(client, server)
    assert server.events_received() == [close_frame()]
    assert (server.close_code, server.close_reason) == (1005, "")
    # RFC 6455 5.5.1: an empty close frame is echoed as an empty close frame.
    [echo, eof] = server.data_to_send()
    assert parse_one(echo, mask=False) == close_frame()
    client.receive_data(echo)
    client.receive_eof()
    assert (client.close_code, client.close_reason) == (1005, "")
    exc = client.close_exc()
    assert isinstance(exc, ConnectionClosedError)
    assert (exc.code, exc.reason) == (1005, "")


@pytest.mark.parametrize("side", SIDES)
def test_eof_without_close(side: Side) -> None:
    conn = Connection(side)
    conn.receive_data(frame_in(side, OP_TEXT, b"spam") + frame_in(side, OP_TEXT)[:1])
    conn.receive_eof()
    assert conn.events_received() == ["spam"]
    assert conn.state is CLOSED
    assert (conn.close_code, conn.close_reason) == (1006, "")
    assert conn.close_cause is CloseReason.TRANSPORT_LOST
    assert not conn.receiving
    assert conn.data_to_send() == [b""]
    exc = conn.close_exc()
    assert isinstance(exc, ConnectionClosedError)
    assert (exc.code, exc.reason, exc.__cause__) == (1006, "", None)
    # Nothing happens after the end of the stream.
    conn.receive_eof()
    conn.receive_data(frame_in(side, OP_TEXT, b"late"))
    assert conn.events_received() == []
    assert conn.data_to_send() == []


def test_eof_after_sending_close() -> None:
    conn = Connection(SERVER)
    conn.send_close(1000)
    conn.receive_eof()
    assert conn.state is CLOSED
    assert conn.close_code == 1006
    assert conn.close_cause is CloseReason.LOCAL_CLOSE


@pytest.mark.parametrize("side", SIDES)
def test_nothing_is_received_after_close_frame(side: Side) -> None:
    conn = Connection(side)
    after = frame_in(side, OP_TEXT, b"late") + frame_in(side, OP_PING)
    # In the same call as the close frame, then in a later call.
    conn.receive_data(frame_in(side, OP_CLOSE, b"\x03\xe8") + after)
    conn.receive_data(after + frame_in(side, OP_CLOSE, b"\x03\xe9"))
    assert conn.events_received() == [close_frame(1000)]
    assert len(conn.data_to_send()) == (2 if side is SERVER else 1)
    assert conn.close_code == 1000


def test_fragmented_message_interrupted_by_close() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"lost", fin=False))
    conn.receive_data(frame_in(CLIENT, OP_CLOSE, b"\x03\xe8"))
    assert conn.events_received() == [close_frame(1000)]


# Failing the connection.


def test_fail_sends_close_frame_and_eof() -> None:
    conn = Connection(SERVER)
    conn.fail(1011, "oops")
    assert sent(conn) == [close_frame(1011, "oops"), b""]
    assert conn.state is CLOSING
    # No Close frame was received: the close code is 1006 (RFC 6455 7.1.5);
    # the code and reason sent are close_sent_code and close_sent_reason.
    assert (conn.close_code, conn.close_reason) == (1006, "")
    assert (conn.close_sent_code, conn.close_sent_reason) == (1011, "oops")
    assert conn.close_cause is CloseReason.INTERNAL_ERROR
    assert not conn.receiving
    assert conn.close_expected()
    # Incoming data is ignored from now on.
    conn.receive_data(frame_in(SERVER, OP_TEXT, b"ignored"))
    conn.receive_data(frame_in(SERVER, OP_CLOSE, b"\x03\xe8"))
    assert conn.events_received() == []
    assert conn.data_to_send() == []
    assert conn.close_code == 1006
    assert conn.close_rcvd is None
    conn.receive_eof()
    assert conn.state is CLOSED
    assert conn.data_to_send() == []
    assert (conn.close_code, conn.close_reason) == (1006, "")
    assert (conn.close_sent_code, conn.close_sent_reason) == (1011, "oops")


def test_fail_with_cause() -> None:
    conn = Connection(CLIENT)
    conn.fail(1011, "keepalive ping timeout", CloseReason.KEEPALIVE_TIMEOUT)
    assert conn.close_cause is CloseReason.KEEPALIVE_TIMEOUT
    exc = conn.close_exc()
    assert isinstance(exc, ConnectionClosedError)
    assert (exc.code, exc.reason) == (1006, "")
    assert (conn.close_sent_code, conn.close_sent_reason) == (
        1011,
        "keepalive ping timeout",
    )


def test_fail_with_1006_sends_no_close_frame() -> None:
    conn = Connection(SERVER)
    conn.fail(1006)
    assert conn.data_to_send() == [b""]
    assert conn.state is CLOSING
    assert (conn.close_code, conn.close_reason) == (1006, "")


def test_fail_after_sending_close_sends_only_eof() -> None:
    conn = Connection(CLIENT)
    conn.send_close(1000)
    conn.data_to_send()
    conn.fail(1002, "bad")
    assert conn.data_to_send() == [b""]
    assert conn.close_cause is CloseReason.LOCAL_CLOSE


def test_fail_twice() -> None:
    conn = Connection(SERVER)
    conn.fail(1011)
    conn.fail(1002)
    assert sent(conn) == [close_frame(1011), b""]
    assert conn.close_code == 1006
    assert conn.close_sent_code == 1011


def test_fail_while_connecting() -> None:
    conn = Connection(SERVER, state=CONNECTING)
    conn.fail(1006)
    assert conn.data_to_send() == [b""]
    assert conn.close_code == 1006


def test_fail_truncates_long_reason() -> None:
    conn = Connection(SERVER)
    conn.fail(1011, "é" * 100)
    [frame, _] = sent(conn)
    assert isinstance(frame, Frame)
    assert len(frame.data) == 125
    assert conn.close_sent_reason == "é" * 60 + "..."
    assert frame == close_frame(1011, "é" * 60 + "...")


@pytest.mark.parametrize(
    ("reason", "expected"),
    [
        ("", ""),
        ("x" * 123, "x" * 123),
        ("x" * 124, "x" * 120 + "..."),
        # A character isn't cut in half: 119 bytes, then "...".
        ("x" + "€" * 41, "x" + "€" * 39 + "..."),
    ],
)
def test_truncate_reason(reason: str, expected: str) -> None:
    assert truncate_reason(reason) == expected
    assert len(expected.encode()) <= 123


# Protocol errors close the connection with the right code (RFC 6455 7.4.1).

ERRORS = [
    # (side, bytes received, close code, reason)
    (SERVER, frame_in(SERVER, 3, b""), 1002, "invalid opcode: 3"),
    (CLIENT, frame_in(CLIENT, 0xB, b""), 1002, "invalid opcode: 11"),
    (SERVER, frame_in(SERVER, OP_TEXT, rsv1=True), 1002, "reserved bits must be 0"),
    (CLIENT, frame_in(CLIENT, OP_TEXT, rsv2=True), 1002, "reserved bits must be 0"),
    (CLIENT, frame_in(CLIENT, OP_PING, rsv3=True), 1002, "reserved bits must be 0"),
    (
        SERVER,
        frame_in(CLIENT, OP_TEXT, b"unmasked"),
        1002,
        "incorrect masking: expected a masked frame",
    ),
    (
        CLIENT,
        frame_in(SERVER, OP_TEXT, b"masked"),
        1002,
        "incorrect masking: expected an unmasked frame",
    ),
    (SERVER, frame_in(SERVER, OP_PING, fin=False), 1002, "fragmented control frame"),
    (
        CLIENT,
        frame_in(CLIENT, OP_PING, b"x" * 126),
        1002,
        "control frame of 126 bytes, over 125",
    ),
    (
        SERVER,
        frame_in(SERVER, OP_CLOSE, b"\x03\xe8" + b"x" * 124),
        1002,
        "control frame of 126 bytes, over 125",
    ),
    (
        CLIENT,
        frame_in(CLIENT, OP_CONT, b"x", fin=True),
        1002,
        "unexpected continuation frame",
    ),
    (
        SERVER,
        frame_in(SERVER, OP_TEXT, b"a", fin=False) + frame_in(SERVER, OP_TEXT, b"b"),
        1002,
        "expected a continuation frame",
    ),
    (
        CLIENT,
        frame_in(CLIENT, OP_TEXT, b"a", fin=False) + frame_in(CLIENT, OP_BINARY),
        1002,
        "expected a continuation frame",
    ),
    (
        CLIENT,
        b"\x82\x7f\x80" + bytes(7),
        1002,
        "payload length with the most significant bit set",
    ),
    (
        SERVER,
        frame_in(SERVER, OP_CLOSE, b"\x03"),
        1002,
        "close frame payload of 1 byte: too short for a code",
    ),
    (
        CLIENT,
        frame_in(CLIENT, OP_CLOSE, b"\x03\xed"),
        1002,
        "invalid status code: 1005",
    ),
    (
        CLIENT,
        frame_in(CLIENT, OP_CLOSE, b"\x03\xee"),
        1002,
        "invalid status code: 1006",
    ),
    (SERVER, frame_in(SERVER, OP_CLOSE, b"\x03\xe7"), 1002, "invalid status code: 999"),
    (
        SERVER,
        frame_in(SERVER, OP_CLOSE, b"\x0b\xb7"),
        1002,
        "invalid status code: 2999",
    ),
    (SERVER, frame_in(SERVER, OP_TEXT, b"\xff"), 1007, "invalid UTF-8 at position 0"),
    (
        CLIENT,
        frame_in(CLIENT, OP_TEXT, b"caf\xc3("),
        1007,
        "invalid UTF-8 at position 3",
    ),
    (
        CLIENT,
        frame_in(CLIENT, OP_CLOSE, b"\x03\xe8ok\xc0"),
        1007,
        "invalid UTF-8 at position 2",
    ),
    (
        SERVER,
        frame_in(SERVER, OP_BINARY, b"x" * 11),
        1009,
        "frame of 11 bytes over max_size 10",
    ),
]


@pytest.mark.parametrize(("side", "data", "code", "reason"), ERRORS)
def test_protocol_error(side: Side, data: bytes, code: int, reason: str) -> None:
    conn = Connection(side, max_size=10)
    conn.receive_data(frame_in(side, OP_TEXT, b"before") + data)
    assert conn.events_received() == ["before"]
    assert sent(conn) == [close_frame(code, reason), b""]
    assert conn.state is CLOSING
    assert (conn.close_code, conn.close_reason) == (1006, "")
    assert (conn.close_sent_code, conn.close_sent_reason) == (code, reason)
    assert (
        conn.close_cause
        is {
            1002: CloseReason.PROTOCOL_ERROR,
            1007: CloseReason.INVALID_DATA,
            1009: CloseReason.MESSAGE_TOO_BIG,
        }[code]
    )
    assert isinstance(
        conn.failure,
        {1002: ProtocolError, 1007: UnicodeDecodeError, 1009: PayloadTooBig}[code],
    )
    exc = conn.close_exc()
    assert isinstance(exc, ConnectionClosedError)
    assert (exc.code, exc.reason) == (1006, "")
    assert exc.__cause__ is conn.failure
    # Nothing more is processed.
    conn.receive_data(frame_in(side, OP_TEXT, b"after"))
    assert conn.events_received() == []
    assert conn.data_to_send() == []


@pytest.mark.parametrize(("side", "data", "code", "reason"), ERRORS)
def test_protocol_error_byte_by_byte(
    side: Side, data: bytes, code: int, reason: str
) -> None:
    conn = Connection(side, max_size=10)
    feed_bytewise(conn, data)
    assert sent(conn) == [close_frame(code, reason), b""]


def test_protocol_error_after_sending_close() -> None:
    conn = Connection(SERVER)
    conn.send_close(1000)
    conn.data_to_send()
    conn.receive_data(frame_in(SERVER, 3))
    # The close frame is sent already: only half-close.
    assert conn.data_to_send() == [b""]
    assert conn.close_cause is CloseReason.LOCAL_CLOSE
    assert isinstance(conn.failure, ProtocolError)


def test_invalid_utf8_fails_on_the_fragment_with_the_bad_byte() -> None:
    conn = Connection(CLIENT)
    # An incomplete character at the end of a fragment is fine.
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"caf\xc3", fin=False))
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"\xa9 ok ", fin=False))
    assert conn.data_to_send() == []
    # The connection fails here, before the end of the message.
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"ok\xff", fin=False))
    # The position counts from the start of the message.
    assert sent(conn) == [close_frame(1007, "invalid UTF-8 at position 11"), b""]
    assert conn.close_cause is CloseReason.INVALID_DATA
    assert conn.events_received() == []


def test_incomplete_character_at_the_end_of_a_fragmented_message() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"caf\xc3", fin=False))
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"", fin=True))
    assert sent(conn) == [close_frame(1007, "invalid UTF-8 at position 3"), b""]


# max_size, checked as bytes arrive (close code 1009).


def test_max_size() -> None:
    conn = Connection(CLIENT, max_size=4)
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"spam"))
    assert conn.events_received() == ["spam"]
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"spams"))
    assert sent(conn) == [close_frame(1009, "frame of 5 bytes over max_size 4"), b""]
    assert conn.close_cause is CloseReason.MESSAGE_TOO_BIG


def test_max_size_none() -> None:
    conn = Connection(CLIENT, max_size=None)
    conn.receive_data(frame_in(CLIENT, OP_BINARY, bytes(2**21), fin=False))
    conn.receive_data(frame_in(CLIENT, OP_CONT, bytes(2**21), fin=True))
    assert conn.events_received() == [bytes(2**22)]


def test_max_size_default() -> None:
    conn = Connection(CLIENT)
    conn.receive_data(frame_in(CLIENT, OP_BINARY, bytes(2**20)))
    assert conn.events_received() == [bytes(2**20)]
    conn.receive_data(frame_in(CLIENT, OP_BINARY, bytes(2**20 + 1))[:10])
    assert sent(conn)[0] == close_frame(
        1009, "frame of 1048577 bytes over max_size 1048576"
    )


@pytest.mark.parametrize("side", SIDES)
def test_max_size_fails_right_after_frame_header(side: Side) -> None:
    conn = Connection(side)
    header = (b"\x82\xff" if side is SERVER else b"\x82\x7f") + (2**31).to_bytes(
        8, "big"
    )
    if side is SERVER:
        header += RFC_MASK
    conn.receive_data(header[:-1])
    assert conn.data_to_send() == []
    conn.receive_data(header[-1:])
    # Not one byte of the 2 GiB payload was needed to fail.
    assert sent(conn) == [
        close_frame(1009, "frame of 2147483648 bytes over max_size 1048576"),
        b"",
    ]


def test_max_size_applies_to_fragmented_message() -> None:
    conn = Connection(CLIENT, max_size=10)
    conn.receive_data(frame_in(CLIENT, OP_TEXT, b"12345", fin=False))
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"678", fin=False))
    assert conn.data_to_send() == []
    # The header of the next fragment is enough to fail.
    conn.receive_data(frame_in(CLIENT, OP_CONT, b"9ab", fin=True)[:2])
    assert sent(conn) == [
        close_frame(
            1009,
            "fragmented message over max_size 10: 8 bytes received, "
            "then frame of 3 bytes over max_size 2",
        ),
        b"",
    ]
    assert isinstance(conn.failure, PayloadTooBig)


def test_max_size_applies_to_each_message() -> None:
    conn = Connection(CLIENT, max_size=10)
    for _ in range(3):
        conn.receive_data(frame_in(CLIENT, OP_TEXT, b"12345", fin=False))
        conn.receive_data(frame_in(CLIENT, OP_PING, b"x" * 125))
        conn.receive_data(frame_in(CLIENT, OP_CONT, b"67890", fin=True))
    assert conn.events_received().count("1234567890") == 3
    assert conn.state is OPEN


def deflate_pair(max_size: Optional[int]) -> Tuple[Connection, Connection]:
    """A server sending compressed frames and a client receiving them."""
    server = Connection(SERVER, extensions=[PerMessageDeflate(False, False, 15, 15)])
    client = Connection(
        CLIENT, max_size=max_size, extensions=[PerMessageDeflate(False, False, 15, 15)]
    )
    return server, client


def test_compressed_message() -> None:
    server, client = deflate_pair(max_size=1000)
    server.send_binary(bytes(1000))
    [data] = server.data_to_send()
    assert len(data) < 100
    client.receive_data(data)
    assert client.events_received() == [bytes(1000)]


@pytest.mark.parametrize("debug", [False, True])
@pytest.mark.parametrize("size", [0, 16, 1000, 70_000])
def test_compressed_messages_round_trip_both_ways(size: int, debug: bool) -> None:
    # With debug logs, frames take the general path rather than the fast one.
    server, client = deflate_pair(max_size=None)
    server.debug = client.debug = debug
    text = ("compress me " * (size // 12 + 1))[:size]
    for _ in range(3):  # context takeover: later messages refer to earlier ones
        client.send_text(text.encode())
        transfer(client, server)
        assert server.events_received() == [text]
        server.send_binary(text.encode())
        [data] = server.data_to_send()
        assert data[0] == 0xC2  # FIN, RSV1 (compressed), Binary
        client.receive_data(data)
        assert client.events_received() == [text.encode()]


def test_subclass_of_permessage_deflate_decodes_every_frame() -> None:
    class Tagged(PerMessageDeflate):
        def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
            frame = super().decode(frame, max_size=max_size)
            return frame._replace(data=frame.data + b"!")

    server, _ = deflate_pair(max_size=None)
    client = Connection(CLIENT, extensions=[Tagged(False, False, 15, 15)])
    server.send_binary(b"hello")
    transfer(server, client)
    assert client.events_received() == [b"hello!"]


def test_paused_pongs_answer_the_latest_ping_on_resume() -> None:
    # RFC 6455 5.5.3: answering only the most recent ping is enough.
    conn = Connection(SERVER)
    conn.pause_pongs()
    conn.receive_data(frame_in(SERVER, OP_PING, b"1"))
    conn.receive_data(frame_in(SERVER, OP_PING, b"2"))
    assert sent(conn) == []
    conn.resume_pongs()
    assert sent(conn) == [Frame(True, OP_PONG, b"2")]
    conn.resume_pongs()
    assert sent(conn) == []


def test_pong_held_when_closing_is_dropped() -> None:
    conn = Connection(SERVER)
    conn.pause_pongs()
    conn.receive_data(frame_in(SERVER, OP_PING, b"1"))
    conn.send_close(1000, "")
    conn.resume_pongs()
    assert sent(conn) == [close_frame(1000)]


def test_max_size_applies_after_decompression() -> None:
    server, client = deflate_pair(max_size=1000)
    server.send_binary(bytes(100_000))
    [data] = server.data_to_send()
    assert len(data) < 1000
    client.receive_data(data)
    assert sent(client) == [
        close_frame(1009, "frame over 1000 bytes after decompression"),
        b"",
    ]


def test_max_size_applies_to_fragmented_compressed_message() -> None:
    server, client = deflate_pair(max_size=1000)
    server.send_text(b"x" * 600, fin=False)
    server.send_continuation(b"y" * 600, fin=True)
    transfer(server, client)
    assert sent(client) == [
        close_frame(
            1009,
            "fragmented message over max_size 1000: 600 bytes received, "
            "then frame over 400 bytes after decompression",
        ),
        b"",
    ]


# Internal errors (close code 1011).


class BrokenExtension(Extension):
    name = "x-broken"  # type: ignore[assignment]

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        raise RuntimeError("boom")

    def encode(self, frame: Frame) -> Frame:
        return frame


def test_internal_error_while_parsing(caplog: pytest.LogCaptureFixture) -> None:
    conn = Connection(CLIENT, extensions=[BrokenExtension()])
    with caplog.at_level(logging.ERROR, logger="websockets.protocol"):
        conn.receive_data(frame_in(CLIENT, OP_TEXT, b"spam"))
    assert sent(conn) == [close_frame(1011, "internal error"), b""]
    assert conn.close_cause is CloseReason.INTERNAL_ERROR
    assert isinstance(conn.failure, RuntimeError)
    [record] = caplog.records
    assert record.getMessage() == "unexpected error while parsing frames"
    assert record.exc_info is not None


# close_exc().


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
def test_close_exc_depends_on_close_code(code: int, exc_type: type) -> None:
    conn = Connection(CLIENT)
    conn.receive_data(frame_in(CLIENT, OP_CLOSE, serialize_close(code, "why")))
    exc = conn.close_exc()
    assert type(exc) is exc_type
    assert (exc.code, exc.reason) == (code, "why")
    assert exc.__cause__ is None


def test_close_exc_while_open() -> None:
    exc = Connection(CLIENT).close_exc()
    assert isinstance(exc, ConnectionClosedError)
    assert exc.code == 1006


# Debug logs.


def test_debug_logs_frames(caplog: pytest.LogCaptureFixture) -> None:
    with caplog.at_level(logging.DEBUG, logger="websockets.protocol"):
        conn = Connection(SERVER)
        conn.send_text(b"spam")
        conn.receive_data(frame_in(SERVER, OP_TEXT, b"eggs"))
        conn.receive_data(frame_in(SERVER, 3))
    assert [record.getMessage() for record in caplog.records] == [
        "> TEXT fin b'spam' [4 bytes]",
        "< TEXT fin b'eggs' [4 bytes]",
        "! failing connection: invalid opcode: 3",
        "> CLOSE fin b'\\x03\\xeainvalid opcode: 3' [19 bytes]",
    ]


def test_no_debug_logs_when_disabled(
    caplog: pytest.LogCaptureFixture, monkeypatch: pytest.MonkeyPatch
) -> None:
    def fail(*args: Any, **kwargs: Any) -> Any:
        raise AssertionError("called while debug logs are disabled")

    monkeypatch.setattr(Frame, "__str__", fail)
    monkeypatch.setattr(connection.logger, "debug", fail)
    with caplog.at_level(logging.INFO, logger="websockets.protocol"):
        conn = Connection(SERVER)
        conn.send_text(b"spam")
        conn.receive_data(frame_in(SERVER, OP_TEXT, b"eggs"))
        conn.receive_data(frame_in(SERVER, 3))
    assert conn.events_received() == ["eggs"]
    assert caplog.records == []


@pytest.mark.parametrize("side", [SERVER, CLIENT])
def test_defer_failures_holds_a_violation(side: Side) -> None:
    conn = Connection(side, defer_failures=True)
    conn.receive_data(frame_in(side, OP_TEXT, b"hi") + frame_in(side, 3))
    # The message before the violation is delivered; nothing is sent yet.
    assert conn.events_received() == ["hi"]
    assert conn.data_to_send() == []
    assert conn.pending_failure == (1002, "invalid opcode: 3")
    assert conn.close_cause is CloseReason.PROTOCOL_ERROR
    assert not conn.receiving
    # The connection is still open for sending; nothing more is parsed.
    conn.send_text(b"hi")
    conn.receive_data(frame_in(side, OP_TEXT, b"ignored"))
    assert conn.events_received() == []
    conn.fail_pending()
    output = conn.data_to_send()
    assert [parse_one(data, mask=side is CLIENT) for data in output[:2]] == [
        Frame(True, OP_TEXT, b"hi"),
        close_frame(1002, "invalid opcode: 3"),
    ]
    assert output[2:] == [b""]
    assert (conn.state, conn.close_sent_code) == (CLOSING, 1002)
    assert conn.pending_failure is None
    # Idempotent.
    conn.fail_pending()
    assert conn.data_to_send() == []


@pytest.mark.parametrize("side", [SERVER, CLIENT])
def test_invalid_utf8_fails_before_the_frame_is_complete(side: Side) -> None:
    # RFC 6455 8.1: fail fast, as soon as the invalid byte is there.
    conn = Connection(side)
    frame = frame_in(side, OP_TEXT, "café".encode() + b"\xff" + b"x" * 100)
    header = 6 if side is SERVER else 2
    conn.receive_data(frame[: header + 3])
    assert conn.data_to_send() == []
    conn.receive_data(frame[header + 3 : header + 6])
    assert conn.close_sent_code == 1007
    assert conn.close_sent_reason == "invalid UTF-8 at position 5"
    assert isinstance(conn.failure, UnicodeDecodeError)


@pytest.mark.parametrize("side", [SERVER, CLIENT])
def test_invalid_utf8_in_continuation_fails_before_the_frame_is_complete(
    side: Side,
) -> None:
    conn = Connection(side)
    # "é" is split between two frames; the second breaks it.
    conn.receive_data(frame_in(side, OP_TEXT, b"ab\xc3", fin=False))
    frame = frame_in(side, OP_CONT, b"\x28" + b"y" * 100)
    header = 6 if side is SERVER else 2
    conn.receive_data(frame[: header + 1])
    assert conn.close_sent_code == 1007
    assert conn.close_sent_reason == "invalid UTF-8 at position 2"


@pytest.mark.parametrize("side", [SERVER, CLIENT])
def test_valid_utf8_split_in_small_reads(side: Side) -> None:
    conn = Connection(side)
    text = "ça va? " * 50
    conn.receive_data(frame_in(side, OP_TEXT, text[:100].encode(), fin=False))
    data = frame_in(side, OP_CONT, text[100:].encode())
    for i in range(0, len(data), 7):
        conn.receive_data(data[i : i + 7])
    assert conn.events_received() == [text]
    assert conn.data_to_send() == []
