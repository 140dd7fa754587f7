"""
Fuzz tests: arbitrary and mutated input for every parser of untrusted data.

Each parser gets arbitrary bytes or text, and valid input mutated the way a
broken or hostile peer would: bits flipped, truncated, a slice duplicated,
bytes inserted, deleted or replaced. Every input must give a result, a request
for more data, or one of the exceptions that the parser documents; nothing
else. Drivers that buffer must stay bounded: the frame parser never asks for
more than ``max_size`` bytes of payload, and :class:`~websockets.http.LineReader`
never holds a line of :data:`~websockets.http.MAX_LINE` bytes.

Examples are few, so that the file runs in a few seconds; the suite runs them
on every build.

"""

import asyncio
import base64
import re
import zlib
from typing import Any, Callable, Iterator, List, Optional, Sequence, Tuple, Type

import pytest
from hypothesis import HealthCheck, given, settings, strategies as st

from websockets.client import WebSocketClientProtocol, build_host
from websockets.connection import CLIENT, OPEN, SERVER, Connection, Event, Side
from websockets.exceptions import (
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidURI,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
    SecurityError,
)
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    InvalidCompressedData,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.framing import (
    CTRL_OPCODES,
    DATA_OPCODES,
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    parse_close,
    parse_frame,
    serialize_close,
)
from websockets.handshake import (
    accept_key,
    build_request as build_handshake_request,
    build_response as build_handshake_response,
    check_request,
    check_response,
)
from websockets.headers import (
    build_authorization_basic,
    build_extension,
    build_subprotocol,
    parse_authorization_basic,
    parse_connection,
    parse_extension,
    parse_subprotocol,
    parse_upgrade,
)
from websockets.http import (
    MAX_LINE,
    Headers,
    LineReader,
    build_request,
    build_response,
    parse_request,
    parse_response,
    read_request,
    read_response,
)
from websockets.server import WebSocketServerProtocol
from websockets.typing import ExtensionName, Subprotocol
from websockets.uri import parse_uri


FUZZ = settings(
    max_examples=40,
    deadline=None,  # tests never time anything
    suppress_health_check=[HealthCheck.too_slow],
)

SIDES = [SERVER, CLIENT]


# Mutations.

MUTATIONS = ["flip", "truncate", "duplicate", "insert", "delete", "replace"]

# Bytes that mean something to a parser: CR, LF, SP, HTAB, ":", the length
# markers 126 and 127, the top bit, NUL, DEL.
INTERESTING_BYTES = [0x0A, 0x0D, 0x20, 0x09, 0x3A, 0x7E, 0x7F, 0x80, 0xFF, 0x00]


@st.composite
def mutated(draw: st.DrawFn, valid: st.SearchStrategy[bytes]) -> bytes:
    """Valid bytes with a few mutations: the input of a broken peer."""
    data = bytearray(draw(valid))
    for _ in range(draw(st.integers(1, 4))):
        mutation = draw(st.sampled_from(MUTATIONS))
        size = len(data)
        start = draw(st.integers(0, size))
        end = draw(st.integers(start, size))
        if mutation == "flip" and size:
            index = draw(st.integers(0, size - 1))
            data[index] ^= 1 << draw(st.integers(0, 7))
        elif mutation == "truncate":
            del data[start:]
        elif mutation == "duplicate":
            data[end:end] = data[start:end]
        elif mutation == "insert":
            inserted = draw(
                st.one_of(
                    st.binary(min_size=1, max_size=8),
                    st.sampled_from(INTERESTING_BYTES).map(lambda byte: bytes([byte])),
                )
            )
            data[start:start] = inserted
        elif mutation == "delete":
            del data[start:end]
        elif mutation == "replace" and size:
            index = draw(st.integers(0, size - 1))
            data[index] = draw(
                st.one_of(st.sampled_from(INTERESTING_BYTES), st.integers(0, 255))
            )
    return bytes(data)


# Characters that mean something to a header parser, and some that must be
# rejected: controls, DEL, non-ASCII, and the surrogate escapes that
# websockets.http uses for bytes outside ASCII.
HEADER_CHARS = st.one_of(
    st.sampled_from(list(" \t,;=\"\\/:!#$%&'*+.^_`|~-")),
    st.characters(min_codepoint=0x21, max_codepoint=0x7E),
    st.sampled_from(["\x00", "\r", "\n", "\x7f", "\x80", "\xe9", "\udc80", "\udcff"]),
)


@st.composite
def mutated_text(draw: st.DrawFn, valid: st.SearchStrategy[str]) -> str:
    """A valid header value with a few mutations."""
    text = draw(valid)
    for _ in range(draw(st.integers(1, 4))):
        mutation = draw(st.sampled_from(MUTATIONS))
        start = draw(st.integers(0, len(text)))
        end = draw(st.integers(start, len(text)))
        if mutation in ("flip", "replace") and text:
            index = draw(st.integers(0, len(text) - 1))
            text = text[:index] + draw(HEADER_CHARS) + text[index + 1 :]
        elif mutation == "truncate":
            text = text[:start]
        elif mutation == "duplicate":
            text = text[:end] + text[start:end] + text[end:]
        elif mutation == "insert":
            text = text[:start] + draw(st.text(HEADER_CHARS, max_size=4)) + text[start:]
        elif mutation == "delete":
            text = text[:start] + text[end:]
    return text


# Frames.


def peer_mask(side: Side) -> bool:
    """Whether frames received by ``side`` are masked (RFC 6455 5.1)."""
    return side is SERVER


def new_deflate() -> PerMessageDeflate:
    return PerMessageDeflate(False, False, 15, 15)


PAYLOADS = st.one_of(
    st.binary(max_size=40),
    # Lengths that need a 16-bit extended length.
    st.binary(min_size=126, max_size=300),
)

ANY_FRAMES = st.builds(
    Frame,
    fin=st.booleans(),
    opcode=st.sampled_from([*DATA_OPCODES, *CTRL_OPCODES, 3, 0x0B, 0x0F]),
    data=PAYLOADS,
    rsv1=st.booleans(),
    rsv2=st.booleans(),
    rsv3=st.booleans(),
)


@st.composite
def frame_bytes(draw: st.DrawFn, mask: bool) -> bytes:
    """One frame, possibly invalid (bad opcode, reserved bits...), serialized."""
    frame = draw(ANY_FRAMES)
    key = draw(st.binary(min_size=4, max_size=4))
    return serialize(frame, mask, key)


def serialize(frame: Frame, mask: bool, key: bytes = b"\x00\x00\x00\x00") -> bytes:
    """Serialize a frame without checking it, with a chosen masking key."""
    head = (
        (0x80 if frame.fin else 0)
        | (0x40 if frame.rsv1 else 0)
        | (0x20 if frame.rsv2 else 0)
        | (0x10 if frame.rsv3 else 0)
        | frame.opcode
    )
    length = len(frame.data)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = bytes([head, mask_bit | length])
    elif length < 65536:
        header = bytes([head, mask_bit | 126]) + length.to_bytes(2, "big")
    else:  # pragma: no cover
        header = bytes([head, mask_bit | 127]) + length.to_bytes(8, "big")
    if not mask:
        return header + frame.data
    masked = bytes(byte ^ key[index % 4] for index, byte in enumerate(frame.data))
    return header + key + masked


MESSAGES = st.one_of(
    st.text(max_size=40),
    st.binary(max_size=40),
    st.text(min_size=60, max_size=120),
)

CONTROLS = st.one_of(
    st.tuples(st.just(OP_PING), st.binary(max_size=125)),
    st.tuples(st.just(OP_PONG), st.binary(max_size=125)),
)


@st.composite
def valid_stream(draw: st.DrawFn, side: Side, deflate: bool = False) -> bytes:
    """
    Frames that ``side`` may receive: messages, some fragmented, with control
    frames in between, maybe a close frame at the end.

    """
    mask = peer_mask(side)
    extensions = [new_deflate()] if deflate else []
    frames: List[Frame] = []
    for _ in range(draw(st.integers(0, 4))):
        if draw(st.booleans()):
            frames.append(Frame(True, *draw(CONTROLS)))
            continue
        message = draw(MESSAGES)
        if isinstance(message, str):
            opcode, data = OP_TEXT, message.encode()
        else:
            opcode, data = OP_BINARY, message
        # Cut the message in fragments, anywhere, even inside a character.
        cuts = sorted(draw(st.lists(st.integers(0, len(data)), max_size=3)))
        bounds = list(zip([0, *cuts], [*cuts, len(data)]))
        for index, (start, end) in enumerate(bounds):
            fin = index == len(bounds) - 1
            frames.append(Frame(fin, OP_CONT if index else opcode, data[start:end]))
            if not fin and draw(st.booleans()):
                frames.append(Frame(True, *draw(CONTROLS)))
    if draw(st.booleans()):
        code = draw(st.sampled_from([1000, 1001, 1011, 3000, 4999]))
        reason = draw(st.text(max_size=20))
        frames.append(Frame(True, OP_CLOSE, serialize_close(code, reason)))
    key = draw(st.binary(min_size=4, max_size=4))
    out = []
    for frame in frames:
        for extension in extensions:
            frame = extension.encode(frame)
        out.append(serialize(frame, mask, key))
    return b"".join(out)


def drive(parser: Any, data: bytes) -> Tuple[Optional[Frame], int, int]:
    """
    Drive a frame parser with ``data``.

    Return ``(frame, consumed, need)``: the frame if complete, how many bytes
    it took, and how many more bytes the parser asked for if not complete.

    """
    pos = 0
    try:
        need = next(parser)
        while pos + need <= len(data):
            chunk, pos = data[pos : pos + need], pos + need
            need = parser.send(chunk)
    except StopIteration as exc:
        return exc.value, pos, 0
    return None, pos, need


def check_parse_frame(
    data: bytes,
    mask: bool,
    max_size: Optional[int],
    extensions: Optional[Sequence[PerMessageDeflate]] = None,
) -> None:
    parser = parse_frame(mask=mask, max_size=max_size, extensions=extensions)
    try:
        frame, consumed, need = drive(parser, data)
    except (ProtocolError, PayloadTooBig):
        return
    if frame is None:
        # A request for more: never more than the header or the payload
        # allowed, so that a driver's buffer stays bounded.
        assert 0 < need
        assert consumed + need > len(data)
        if not consumed:
            assert need == 2
        elif max_size is not None:
            assert need <= max(12, 125, max_size)
        return
    frame.check()
    assert isinstance(frame.data, bytes)
    if frame.opcode in DATA_OPCODES and max_size is not None:
        assert len(frame.data) <= max_size
    if not extensions:
        # A frame parsed without extensions serializes and parses back.
        again, _, _ = drive(parse_frame(mask=mask), frame.serialize(mask=mask))
        assert again == frame


@FUZZ
@given(
    data=st.binary(max_size=64),
    mask=st.booleans(),
    max_size=st.one_of(st.none(), st.integers(0, 200)),
)
def test_parse_frame_on_arbitrary_bytes(
    data: bytes, mask: bool, max_size: Optional[int]
) -> None:
    check_parse_frame(data, mask, max_size)


@FUZZ
@given(
    data=st.data(),
    mask=st.booleans(),
    max_size=st.one_of(st.none(), st.integers(0, 200)),
)
def test_parse_frame_on_mutated_frames(
    data: st.DataObject, mask: bool, max_size: Optional[int]
) -> None:
    check_parse_frame(data.draw(mutated(frame_bytes(mask))), mask, max_size)


@FUZZ
@given(
    data=st.data(),
    mask=st.booleans(),
    max_size=st.one_of(st.none(), st.integers(0, 200)),
)
def test_parse_frame_with_deflate_on_mutated_frames(
    data: st.DataObject, mask: bool, max_size: Optional[int]
) -> None:
    # The first frame of a compressed message, or its bytes, mutated.
    side = SERVER if mask else CLIENT
    stream = data.draw(mutated(valid_stream(side, deflate=True)))
    check_parse_frame(stream, mask, max_size, [new_deflate()])


def test_parse_frame_rejects_deflate_bomb() -> None:
    # 10 MB of zeros compress to 10 kB; inflating stops after max_size.
    compressor = zlib.compressobj(wbits=-15)
    bomb = compressor.compress(bytes(10_000_000)) + compressor.flush(zlib.Z_SYNC_FLUSH)
    data = serialize(Frame(True, OP_BINARY, bomb[:-4], rsv1=True), mask=True)
    with pytest.raises(
        PayloadTooBig, match="frame over 100000 bytes after decompression"
    ):
        drive(
            parse_frame(mask=True, max_size=100_000, extensions=[new_deflate()]), data
        )


# The Sans-I/O connection: receive_data never raises.

# How a connection fails on bad input (RFC 6455 7.4.1).
FAILURE_CODES = {
    ProtocolError: 1002,
    # A ProtocolError, and a zlib.error as in 8.x.
    InvalidCompressedData: 1002,
    UnicodeDecodeError: 1007,
    PayloadTooBig: 1009,
}


def feed(
    side: Side, chunks: List[bytes], max_size: int, deflate: bool
) -> Tuple[Connection, List[Event], List[bytes]]:
    conn = Connection(
        side, max_size=max_size, extensions=[new_deflate()] if deflate else None
    )
    events: List[Event] = []
    output: List[bytes] = []
    for chunk in chunks:
        conn.receive_data(chunk)
        events.extend(conn.events_received())
        output.extend(conn.data_to_send())
    return conn, events, output


def split(data: bytes, cuts: List[int]) -> List[bytes]:
    cuts = sorted(cut % (len(data) + 1) for cut in cuts)
    return [data[start:end] for start, end in zip([0, *cuts], [*cuts, len(data)])]


def check_connection(
    side: Side, data: bytes, cuts: List[int], max_size: int, deflate: bool
) -> None:
    conn, events, output = feed(side, [data], max_size, deflate)
    # The outcome doesn't depend on how the bytes arrive.
    chunked, chunked_events, chunked_output = feed(
        side, split(data, cuts), max_size, deflate
    )
    assert chunked_events == events
    assert chunked.state is conn.state
    assert chunked.close_code == conn.close_code
    assert chunked.close_sent_code == conn.close_sent_code
    assert type(chunked.failure) is type(conn.failure)
    if side is SERVER:
        assert chunked_output == output  # not masked: the same bytes

    for event in events:
        if isinstance(event, Frame):
            assert event.opcode in CTRL_OPCODES
        else:
            assert isinstance(event, (str, bytes))
            assert len(event) <= max_size

    if conn.failure is not None:
        # Never 1011: bad input is never an internal error.
        assert conn.close_sent_code == FAILURE_CODES[type(conn.failure)]
        # No close frame was received: the close code is 1006 (RFC 6455 7.1.5).
        assert conn.close_rcvd is None
        assert conn.close_code == 1006
    elif conn.state is not OPEN:
        # The peer closed: its close frame is the last event.
        assert isinstance(events[-1], Frame)
        assert events[-1].opcode == OP_CLOSE
        assert conn.close_code == parse_close(events[-1].data)[0]
    else:
        assert conn.close_code is None

    # Output: valid frames for the peer, pongs answering pings in order, then
    # maybe a close frame, then maybe EOF.
    sent = []
    for index, chunk in enumerate(output):
        if not chunk:
            # EOF, the last thing to send.
            assert index == len(output) - 1
            continue
        frame, consumed, _ = drive(parse_frame(mask=side is CLIENT), chunk)
        assert frame is not None
        assert consumed == len(chunk)
        sent.append(frame)
    pings = [e.data for e in events if isinstance(e, Frame) and e.opcode == OP_PING]
    pongs = [frame.data for frame in sent if frame.opcode == OP_PONG]
    assert pongs == pings[: len(pongs)]
    closes = [frame for frame in sent if frame.opcode == OP_CLOSE]
    assert len(closes) <= 1
    if closes:
        assert sent[-1] is closes[0]
        parse_close(closes[0].data)


@FUZZ
@given(
    side=st.sampled_from(SIDES),
    data=st.binary(max_size=80),
    cuts=st.lists(st.integers(0, 80), max_size=6),
    max_size=st.sampled_from([0, 10, 1000]),
)
def test_connection_on_arbitrary_bytes(
    side: Side, data: bytes, cuts: List[int], max_size: int
) -> None:
    check_connection(side, data, cuts, max_size, deflate=False)


@FUZZ
@given(
    side=st.sampled_from(SIDES),
    data=st.data(),
    cuts=st.lists(st.integers(0, 1000), max_size=6),
    max_size=st.sampled_from([20, 1000]),
    deflate=st.booleans(),
)
def test_connection_on_mutated_streams(
    side: Side, data: st.DataObject, cuts: List[int], max_size: int, deflate: bool
) -> None:
    stream = data.draw(mutated(valid_stream(side, deflate)))
    check_connection(side, stream, cuts, max_size, deflate)


@FUZZ
@given(
    side=st.sampled_from(SIDES),
    data=st.data(),
    cuts=st.lists(st.integers(0, 1000), max_size=6),
    deflate=st.booleans(),
)
def test_connection_on_valid_streams(
    side: Side, data: st.DataObject, cuts: List[int], deflate: bool
) -> None:
    # The reference for the mutated streams: valid input never fails.
    stream = data.draw(valid_stream(side, deflate))
    conn, _, _ = feed(side, [stream], 1000, deflate)
    assert conn.failure is None
    check_connection(side, stream, cuts, 1000, deflate)


# HTTP: the Sans-I/O driver and the asyncio driver.

TOKENS = st.text("abcxyzABC-_.0123456789!#$%&'*+^`|~", min_size=1, max_size=12)
HEADER_VALUES = st.text(
    st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=30
).map(str.strip)
HEADER_ITEMS = st.lists(st.tuples(TOKENS, HEADER_VALUES), max_size=6)
PATHS = st.text(st.characters(min_codepoint=0x21, max_codepoint=0x7E), min_size=1)


def handshake_headers() -> st.SearchStrategy[Headers]:
    def build(items: List[Tuple[str, str]]) -> Headers:
        headers = Headers(items)
        build_handshake_request(headers)
        return headers

    return HEADER_ITEMS.map(build)


VALID_REQUESTS = st.builds(
    lambda path, headers, body: build_request("/" + path, headers) + body,
    PATHS,
    handshake_headers(),
    st.sampled_from([b"", b"\x81\x85"]),
)

VALID_RESPONSES = st.builds(
    lambda status, headers: build_response(status, headers),
    st.sampled_from([101, 200, 301, 404, 426, 599]),
    HEADER_ITEMS.map(Headers),
)

REQUESTS = st.one_of(st.binary(max_size=200), mutated(VALID_REQUESTS))
RESPONSES = st.one_of(st.binary(max_size=200), mutated(VALID_RESPONSES))

# What a parser of websockets.http may raise, exactly: UnicodeDecodeError, a
# ValueError, isn't among them since bytes are decoded with surrogateescape.
HTTP_ERRORS = (SecurityError, ValueError, EOFError)

Outcome = Tuple[str, Any]


def line_reader(parser: Callable[[], Any], chunks: List[bytes], eof: bool) -> Outcome:
    """Run a parser with :class:`LineReader`; return what happened."""
    reader = LineReader(parser())
    buffer = bytearray()
    try:
        for index, chunk in enumerate(chunks):
            buffer += chunk
            result = reader.feed(buffer)
            if result is not None:
                rest = bytes(buffer) + b"".join(chunks[index + 1 :])
                return "result", (result, rest)
            # Waiting for more: what's left is part of one line, shorter
            # than the limit. That bounds memory.
            assert b"\n" not in buffer
            assert len(buffer) < MAX_LINE
        if eof:
            return "result", (reader.feed_eof(buffer), bytes(buffer))
        return "more", None
    except Exception as exc:
        assert type(exc) in HTTP_ERRORS, f"undocumented exception: {exc!r}"
        if type(exc) is EOFError:
            assert eof
        return "error", type(exc)


@pytest.fixture(scope="module")
def loop() -> Iterator[asyncio.AbstractEventLoop]:
    """One event loop for every example: a loop per example is slow."""
    loop = asyncio.new_event_loop()
    yield loop
    loop.close()


def stream_reader(
    loop: asyncio.AbstractEventLoop,
    read: Callable[[asyncio.StreamReader], Any],
    data: bytes,
    limit: int,
) -> Outcome:
    """Run ``read_request`` or ``read_response`` on a stream; return what happened."""

    async def run() -> Outcome:
        stream = asyncio.StreamReader(limit=limit)
        stream.feed_data(data)
        stream.feed_eof()
        try:
            result = await read(stream)
        except Exception as exc:
            assert type(exc) in HTTP_ERRORS, f"undocumented exception: {exc!r}"
            return "error", type(exc)
        return "result", (result, await stream.read())

    return loop.run_until_complete(run())


def check_http(
    loop: asyncio.AbstractEventLoop,
    parser: Callable[[], Any],
    read: Callable[[asyncio.StreamReader], Any],
    data: bytes,
    cuts: List[int],
) -> None:
    whole = line_reader(parser, [data], eof=False)
    chunked = line_reader(parser, split(data, cuts), eof=False)
    # Whether the bytes arrive at once or in pieces doesn't matter.
    assert chunked == whole
    at_eof = line_reader(parser, [data], eof=True)
    if whole[0] != "more":
        assert at_eof == whole
    else:
        # Every request for more data ends at EOF.
        assert at_eof[0] == "error"
    # The asyncio driver agrees with the Sans-I/O driver.
    assert stream_reader(loop, read, data, 2**16) == at_eof


@FUZZ
@given(data=REQUESTS, cuts=st.lists(st.integers(0, 400), max_size=6))
def test_request_parsers(
    loop: asyncio.AbstractEventLoop, data: bytes, cuts: List[int]
) -> None:
    check_http(loop, parse_request, read_request, data, cuts)


@FUZZ
@given(data=RESPONSES, cuts=st.lists(st.integers(0, 400), max_size=6))
def test_response_parsers(
    loop: asyncio.AbstractEventLoop, data: bytes, cuts: List[int]
) -> None:
    check_http(loop, parse_response, read_response, data, cuts)


@settings(max_examples=50, deadline=None)
@given(
    data=st.one_of(mutated(VALID_REQUESTS), st.binary(max_size=100)),
    limit=st.integers(1, 64),
)
def test_read_request_with_a_small_stream_limit(
    loop: asyncio.AbstractEventLoop, data: bytes, limit: int
) -> None:
    # StreamReader.readline fails on lines over its limit; read_request turns
    # that into SecurityError.
    kind, value = stream_reader(loop, read_request, data, limit)
    if kind == "error" and value is not SecurityError:
        assert line_reader(parse_request, [data], eof=True) == (kind, value)


@pytest.mark.parametrize("parser", [parse_request, parse_response])
@pytest.mark.parametrize("size", [MAX_LINE - 1, MAX_LINE, MAX_LINE + 1])
def test_line_drivers_agree_on_lines_around_the_limit(
    loop: asyncio.AbstractEventLoop, parser: Callable[[], Any], size: int
) -> None:
    # A line without LF, right at the limit, then EOF.
    read = read_request if parser is parse_request else read_response
    data = b"G" * size
    outcome = line_reader(parser, [data], eof=True)
    assert outcome[0] == "error"
    assert stream_reader(loop, read, data, 2**16)[0] == "error"


# Header parsers.

HEADER_TEXT = st.one_of(st.text(HEADER_CHARS, max_size=40), st.text(max_size=20))

VALID_CONNECTION = st.lists(TOKENS, min_size=1, max_size=4).map(", ".join)
VALID_UPGRADE = st.lists(
    st.one_of(TOKENS, st.builds(lambda a, b: f"{a}/{b}", TOKENS, TOKENS)),
    min_size=1,
    max_size=3,
).map(", ".join)
VALID_EXTENSION = st.lists(
    st.tuples(
        TOKENS.map(ExtensionName),
        st.lists(st.tuples(TOKENS, st.one_of(st.none(), TOKENS)), max_size=3),
    ),
    min_size=1,
    max_size=3,
).map(build_extension)
VALID_QUOTED_EXTENSION = st.builds(
    lambda name, param, value: f'{name}; {param}="{value}"', TOKENS, TOKENS, TOKENS
)
VALID_SUBPROTOCOL = st.lists(TOKENS.map(Subprotocol), min_size=1, max_size=4).map(
    build_subprotocol
)
VALID_AUTHORIZATION = st.builds(
    build_authorization_basic,
    st.text(max_size=10).filter(lambda user: ":" not in user),
    st.text(max_size=10),
)


def header_inputs(valid: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    return st.one_of(HEADER_TEXT, mutated_text(valid))


def check_header_parser(
    parse: Callable[[str], Any],
    header: str,
    errors: Tuple[Type[Exception], ...] = (InvalidHeaderFormat,),
) -> Any:
    """Parse ``header``: a result or a documented exception; return the result."""
    try:
        return parse(header)
    except Exception as exc:
        assert type(exc) in errors, f"undocumented exception: {exc!r}"
        if isinstance(exc, InvalidHeaderFormat):
            assert exc.header == header
            assert 0 <= exc.pos <= len(header)
        return None


@FUZZ
@given(header=header_inputs(VALID_CONNECTION))
def test_parse_connection(header: str) -> None:
    options = check_header_parser(parse_connection, header)
    if options is not None:
        assert options
        assert parse_connection(", ".join(options)) == options


@FUZZ
@given(header=header_inputs(VALID_UPGRADE))
def test_parse_upgrade(header: str) -> None:
    protocols = check_header_parser(parse_upgrade, header)
    if protocols is not None:
        assert protocols
        assert parse_upgrade(", ".join(protocols)) == protocols


@FUZZ
@given(
    header=st.one_of(
        header_inputs(VALID_EXTENSION), mutated_text(VALID_QUOTED_EXTENSION)
    )
)
def test_parse_extension(header: str) -> None:
    extensions = check_header_parser(parse_extension, header)
    if extensions is not None:
        assert extensions
        # Quoted values are tokens (RFC 6455 9.1): they can be built again.
        assert parse_extension(build_extension(extensions)) == extensions


@FUZZ
@given(header=header_inputs(VALID_SUBPROTOCOL))
def test_parse_subprotocol(header: str) -> None:
    subprotocols = check_header_parser(parse_subprotocol, header)
    if subprotocols is not None:
        assert subprotocols
        assert parse_subprotocol(build_subprotocol(subprotocols)) == subprotocols


@FUZZ
@given(
    header=st.one_of(
        header_inputs(VALID_AUTHORIZATION),
        st.binary(max_size=20).map(
            lambda data: "Basic " + base64.b64encode(data).decode()
        ),
    )
)
def test_parse_authorization_basic(header: str) -> None:
    credentials = check_header_parser(
        parse_authorization_basic, header, (InvalidHeaderFormat, InvalidHeaderValue)
    )
    if credentials is not None:
        username, password = credentials
        assert ":" not in username
        assert parse_authorization_basic(
            build_authorization_basic(username, password)
        ) == (username, password)


# Header checks of the opening handshake, and extension negotiation.

HANDSHAKE_HEADERS = [
    "Connection",
    "Upgrade",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Accept",
]
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
VALID_VALUES = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Key": KEY,
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Accept": accept_key(KEY),
}


@st.composite
def handshake_header_sets(draw: st.DrawFn) -> Headers:
    """Valid headers of both sides of the handshake, some of them broken."""
    headers = Headers()
    for name in HANDSHAKE_HEADERS:
        for _ in range(draw(st.sampled_from([1, 1, 1, 0, 2]))):
            value = VALID_VALUES[name]
            if draw(st.booleans()):
                value = draw(st.one_of(mutated_text(st.just(value)), HEADER_TEXT))
            headers[name] = value
    return headers


@FUZZ
@given(headers=handshake_header_sets())
def test_check_request(headers: Headers) -> None:
    try:
        key = check_request(headers)
    except InvalidHeader as exc:
        # InvalidUpgrade, InvalidHeaderFormat and InvalidHeaderValue too.
        assert exc.name in HANDSHAKE_HEADERS
    else:
        assert len(base64.b64decode(key)) == 16
        response = Headers()
        build_handshake_response(response, key)
        check_response(response, key)


@FUZZ
@given(headers=handshake_header_sets())
def test_check_response(headers: Headers) -> None:
    try:
        check_response(headers, KEY)
    except InvalidHeader as exc:
        assert exc.name in HANDSHAKE_HEADERS
    else:
        assert headers["Sec-WebSocket-Accept"] == accept_key(KEY)


VALID_DEFLATE_OFFERS = st.sampled_from(
    [
        "permessage-deflate",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate; server_max_window_bits=10; client_max_window_bits=12",
        "permessage-deflate; server_no_context_takeover; client_no_context_takeover",
        'permessage-deflate; client_max_window_bits="15", permessage-deflate',
    ]
)


@FUZZ
@given(header=st.one_of(mutated_text(VALID_DEFLATE_OFFERS), HEADER_TEXT))
def test_extension_negotiation(header: str) -> None:
    headers = Headers([("Sec-WebSocket-Extensions", header)])
    # Server side: an offer it can't accept is declined, not an error.
    try:
        answer, accepted = WebSocketServerProtocol.process_extensions(
            headers, [ServerPerMessageDeflateFactory()]
        )
    except InvalidHeaderFormat:
        return
    assert len(accepted) <= 1
    # Each offer, and the server's answer, by the factories directly.
    for _, params in parse_extension(header):
        try:
            ServerPerMessageDeflateFactory().process_request_params(params, [])
        except NegotiationError:
            pass
        try:
            ClientPerMessageDeflateFactory().process_response_params(params, [])
        except NegotiationError:
            pass
    if answer is not None:
        # The answer is well formed.
        assert len(parse_extension(answer)) == 1
    # Client side: an answer it can't accept fails the handshake.
    try:
        WebSocketClientProtocol.process_extensions(
            headers, [ClientPerMessageDeflateFactory()]
        )
    except NegotiationError:
        pass


# URIs: given by the user, or in the Location header of a redirect.

URI_CHARS = st.one_of(
    st.sampled_from(list("/?#@:[]%.-_~!$&'()*+,;= \t\r\n\x00\x7f\xe9\u20ac")),
    st.characters(min_codepoint=0x21, max_codepoint=0x7E),
)
SURROGATES = re.compile("[\ud800-\udfff]")
VALID_URIS = st.builds(
    lambda scheme, user, host, port, path: f"{scheme}://{user}{host}{port}{path}",
    st.sampled_from(["ws", "wss"]),
    st.sampled_from(["", "user:pass@"]),
    st.sampled_from(["localhost", "127.0.0.1", "[::1]", "example.com"]),
    st.sampled_from(["", ":0", ":8765", ":65535"]),
    st.sampled_from(["", "/", "/chat", "/a/b?q=1&r=2", "/%41%e2%82%ac"]),
)


@FUZZ
@given(
    uri=st.one_of(
        st.text(URI_CHARS, max_size=30),
        # Surrogates: see test_parse_uri_keeps_bytes_of_surrogate_escapes.
        mutated_text(VALID_URIS).filter(lambda uri: not SURROGATES.search(uri)),
        st.builds(lambda uri, text: uri + text, VALID_URIS, st.text(URI_CHARS)),
    )
)
def test_parse_uri(uri: str) -> None:
    try:
        wsuri = parse_uri(uri)
    except InvalidURI as exc:
        assert exc.uri == uri
        return
    assert wsuri.host.isascii()
    assert 0 <= wsuri.port < 65536
    # The request line can't be broken, e.g. by a space, CR or LF in a URI.
    headers = Headers([("Host", build_host(wsuri.host, wsuri.port, wsuri.secure))])
    request = bytearray(build_request(wsuri.resource_name, headers))
    result = LineReader(parse_request()).feed(request)
    assert result is not None
    assert result[0] == wsuri.resource_name
    assert result[1] == headers


@pytest.mark.parametrize(
    "uri, resource_name",
    [
        ("ws://localhost/caf\udcc3\udca9", "/caf%C3%A9"),
        ("ws://localhost/?q=\udcff", "/?q=%FF"),
    ],
)
def test_parse_uri_keeps_bytes_of_surrogate_escapes(
    uri: str, resource_name: str
) -> None:
    # websockets.http decodes header values with surrogateescape: a redirect
    # to /café in UTF-8 gives "/caf\udcc3\udca9". The bytes should be
    # percent-encoded, as the path of a URI.
    assert parse_uri(uri).resource_name == resource_name


def test_fuzz_helpers() -> None:
    # The mutations and the stream generator do what they claim.
    assert serialize(Frame(True, OP_TEXT, b"Hello"), mask=False) == (b"\x81\x05Hello")
    assert split(b"abcdef", [4, 2, 100]) == [b"ab", b"", b"cd", b"ef"]
    frame, consumed, need = drive(parse_frame(mask=False), b"\x82\x7e\x01")
    assert (frame, consumed, need) == (None, 2, 2)
