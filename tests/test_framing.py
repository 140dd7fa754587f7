"""Tests for websockets.framing: frames, the frame parser, data and close helpers."""

import array
import asyncio
import codecs
import os
from typing import Any, Callable, List, Optional, Sequence

import pytest
from hypothesis import given, settings, strategies as st

from websockets import framing
from websockets.exceptions import PayloadTooBig, ProtocolError
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
    encode_data,
    parse_close,
    parse_frame,
    prepare_data,
    serialize_close,
)

from .utils import async_test


# Masking key of the examples in RFC 6455 5.7.
RFC_MASK = bytes.fromhex("37fa213d")


# Two drivers for the same parser. Each one takes the bytes of one frame and
# fails if the parser asks for more bytes than there are or leaves some unread.


def parse_by_hand(data: bytes, **kwargs: Any) -> Frame:
    """Drive :func:`parse_frame`, sending exactly as many bytes as it requests."""
    return parse_recording(data, [], **kwargs)


def parse_recording(data: bytes, requests: List[int], **kwargs: Any) -> Frame:
    """Like :func:`parse_by_hand`, appending each request's size to ``requests``."""
    parser = parse_frame(**kwargs)
    pos = 0
    try:
        size = next(parser)
        while True:
            requests.append(size)
            assert pos + size <= len(
                data
            ), f"parser requested {size} bytes, {len(data) - pos} left"
            chunk, pos = data[pos : pos + size], pos + size
            size = parser.send(chunk)
    except StopIteration as exc:
        assert pos == len(data), f"parser left {len(data) - pos} bytes"
        frame: Frame = exc.value
        return frame


def read_from_stream(data: bytes, **kwargs: Any) -> Frame:
    """Drive :func:`parse_frame` with :meth:`Frame.read` over a stream of ``data``."""

    @async_test
    async def read() -> Frame:
        reader = asyncio.StreamReader()
        reader.feed_data(data)
        reader.feed_eof()
        try:
            frame = await Frame.read(reader.readexactly, **kwargs)
        except asyncio.IncompleteReadError as exc:  # pragma: no cover
            raise AssertionError(f"parser requested {exc.expected} bytes") from None
        assert reader.at_eof(), "parser left bytes in the stream"
        return frame

    return read()


@pytest.fixture(params=[parse_by_hand, read_from_stream])
def parse(request: Any) -> Callable[..., Frame]:
    """Each driver of the parser in turn."""
    driver: Callable[..., Frame] = request.param
    return driver


@pytest.fixture
def fixed_mask(monkeypatch: pytest.MonkeyPatch) -> None:
    """Make serialization use the masking key of the RFC 6455 examples."""
    monkeypatch.setattr(framing, "new_mask_key", lambda: RFC_MASK)


class FakeExtension:
    """Extension that appends its name to payloads and records its calls."""

    def __init__(self, name: str, log: List[str]) -> None:
        self.name = name
        self.log = log
        self.tag = name.encode()

    def encode(self, frame: Frame) -> Frame:
        self.log.append(f"encode {self.name}")
        return frame._replace(data=frame.data + self.tag, rsv1=True)

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        self.log.append(f"decode {self.name} max_size={max_size}")
        assert frame.data.endswith(self.tag), f"{self.name} decodes {frame.data!r}"
        return frame._replace(data=frame.data[: -len(self.tag)], rsv1=False)


# RFC 6455 5.7: examples, byte for byte.

RFC_EXAMPLES = [
    pytest.param(
        "81 05 48 65 6c 6c 6f",
        False,
        Frame(True, OP_TEXT, b"Hello"),
        id="unmasked-text",
    ),
    pytest.param(
        "81 85 37 fa 21 3d 7f 9f 4d 51 58",
        True,
        Frame(True, OP_TEXT, b"Hello"),
        id="masked-text",
    ),
    pytest.param(
        "01 03 48 65 6c",
        False,
        Frame(False, OP_TEXT, b"Hel"),
        id="fragmented-text-first",
    ),
    pytest.param(
        "80 02 6c 6f",
        False,
        Frame(True, OP_CONT, b"lo"),
        id="fragmented-text-last",
    ),
    pytest.param(
        "89 05 48 65 6c 6c 6f",
        False,
        Frame(True, OP_PING, b"Hello"),
        id="unmasked-ping",
    ),
    pytest.param(
        "8a 85 37 fa 21 3d 7f 9f 4d 51 58",
        True,
        Frame(True, OP_PONG, b"Hello"),
        id="masked-pong",
    ),
    pytest.param(
        "82 7e 01 00" + " 5a" * 256,
        False,
        Frame(True, OP_BINARY, b"\x5a" * 256),
        id="256-bytes-binary",
    ),
    pytest.param(
        "82 7f 00 00 00 00 00 01 00 00" + " a5" * 65536,
        False,
        Frame(True, OP_BINARY, b"\xa5" * 65536),
        id="64-kib-binary",
    ),
]


@pytest.mark.parametrize(("encoded", "mask", "frame"), RFC_EXAMPLES)
def test_rfc_example_parses(
    parse: Callable[..., Frame], encoded: str, mask: bool, frame: Frame
) -> None:
    parsed = parse(bytes.fromhex(encoded), mask=mask)
    assert parsed == frame
    assert type(parsed.data) is bytes


@pytest.mark.usefixtures("fixed_mask")
@pytest.mark.parametrize(("encoded", "mask", "frame"), RFC_EXAMPLES)
def test_rfc_example_serializes(encoded: str, mask: bool, frame: Frame) -> None:
    assert frame.serialize(mask=mask) == bytes.fromhex(encoded)


@pytest.mark.usefixtures("fixed_mask")
@pytest.mark.parametrize(("encoded", "mask", "frame"), RFC_EXAMPLES)
def test_rfc_example_writes_in_one_call(encoded: str, mask: bool, frame: Frame) -> None:
    writes: List[bytes] = []
    frame.write(writes.append, mask=mask)
    assert writes == [bytes.fromhex(encoded)]


def test_masked_frame_uses_a_fresh_key() -> None:
    frame = Frame(True, OP_BINARY, b"\x00" * 16)
    keys = {frame.serialize(mask=True)[2:6] for _ in range(8)}
    assert len(keys) > 1


def test_mask_keys_are_read_in_batches_from_urandom(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    reads: List[int] = []

    def urandom(size: int) -> bytes:
        reads.append(size)
        return bytes(range(256)) * (size // 256)

    monkeypatch.setattr(framing.os, "urandom", urandom)
    monkeypatch.setattr(framing, "_mask_keys", [])
    count = framing._MASK_KEYS_PER_READ
    keys = [framing.new_mask_key() for _ in range(count + 1)]
    # One read per batch of keys, each key 4 bytes of what urandom returned.
    assert reads == [4 * count, 4 * count]
    assert all(len(key) == 4 for key in keys)
    assert sorted(keys[:count]) == sorted(
        bytes(range(256))[i % 256 : i % 256 + 4] for i in range(0, 4 * count, 4)
    )


def test_mask_keys_are_not_shared_with_a_child_process() -> None:
    if not hasattr(os, "fork"):  # pragma: no cover
        pytest.skip("no fork on this platform")
    framing.new_mask_key()  # the pool now holds keys
    read_fd, write_fd = os.pipe()
    pid = os.fork()
    if pid == 0:  # pragma: no cover - runs in the child
        try:
            os.write(write_fd, b"%d" % len(framing._mask_keys))
        finally:
            os._exit(0)
    os.close(write_fd)
    with os.fdopen(read_fd, "rb") as pipe:
        left_in_child = pipe.read()
    os.waitpid(pid, 0)
    assert framing._mask_keys
    assert left_in_child == b"0"


# Payload length encodings (RFC 6455 5.2).


@pytest.mark.parametrize(
    ("size", "header"),
    [
        (0, "82 00"),
        (125, "82 7d"),
        (126, "82 7e 00 7e"),
        (127, "82 7e 00 7f"),
        (65535, "82 7e ff ff"),
        (65536, "82 7f 00 00 00 00 00 01 00 00"),
    ],
)
def test_payload_length_uses_the_shortest_encoding(size: int, header: str) -> None:
    frame = Frame(True, OP_BINARY, bytes(size))
    assert frame.serialize(mask=False) == bytes.fromhex(header) + bytes(size)


@pytest.mark.parametrize(
    ("size", "requests"),
    [(0, [2, 4]), (5, [2, 4, 5]), (256, [2, 6, 256]), (65536, [2, 12, 65536])],
)
def test_parser_requests_extended_length_and_key_together(
    size: int, requests: List[int]
) -> None:
    frame = Frame(True, OP_BINARY, bytes(size))
    recorded: List[int] = []
    parsed = parse_recording(frame.serialize(mask=True), recorded, mask=True)
    assert parsed == frame
    assert recorded == requests


def test_parser_does_not_request_an_empty_payload() -> None:
    recorded: List[int] = []
    parse_recording(b"\x89\x00", recorded, mask=False)
    assert recorded == [2]


@pytest.mark.parametrize(
    "data", [b"bytes", bytearray(b"bytearray"), memoryview(b"memoryview")]
)
@pytest.mark.parametrize("mask", [False, True])
def test_serialize_accepts_bytes_like_data(data: Any, mask: bool) -> None:
    encoded = Frame(True, OP_BINARY, data).serialize(mask=mask)
    assert type(encoded) is bytes
    assert parse_by_hand(encoded, mask=mask) == Frame(True, OP_BINARY, bytes(data))


# Round trips.

data_frames = st.builds(
    Frame,
    fin=st.booleans(),
    opcode=st.sampled_from(DATA_OPCODES),
    data=st.binary(max_size=300),
    rsv1=st.just(False),
    rsv2=st.just(False),
    rsv3=st.just(False),
)
control_frames = st.builds(
    Frame,
    fin=st.just(True),
    opcode=st.sampled_from(CTRL_OPCODES),
    data=st.binary(max_size=125),
    rsv1=st.just(False),
    rsv2=st.just(False),
    rsv3=st.just(False),
)


@settings(deadline=None)  # tests never time anything
@given(frame=st.one_of(data_frames, control_frames), mask=st.booleans())
def test_frame_round_trips(frame: Frame, mask: bool) -> None:
    parsed = parse_by_hand(frame.serialize(mask=mask), mask=mask)
    assert parsed == frame
    assert type(parsed.data) is bytes


@pytest.mark.parametrize("mask", [False, True])
@pytest.mark.parametrize("size", [125, 126, 65535, 65536, 70000])
def test_large_frame_round_trips(
    parse: Callable[..., Frame], mask: bool, size: int
) -> None:
    frame = Frame(
        True, OP_BINARY, bytes(range(256)) * (size // 256) + bytes(size % 256)
    )
    assert parse(frame.serialize(mask=mask), mask=mask) == frame


@settings(deadline=None)  # tests never time anything
@given(
    data=st.binary(min_size=2, max_size=40),
    mask=st.booleans(),
    max_size=st.one_of(st.none(), st.integers(0, 30)),
)
def test_arbitrary_bytes_parse_or_fail_cleanly(
    data: bytes, mask: bool, max_size: Optional[int]
) -> None:
    # Arbitrary input gives a frame, a request for more bytes, or a
    # documented exception; nothing else.
    parser = parse_frame(mask=mask, max_size=max_size)
    pos = 0
    try:
        size = next(parser)
        while pos + size <= len(data):
            chunk, pos = data[pos : pos + size], pos + size
            size = parser.send(chunk)
    except StopIteration as exc:
        assert isinstance(exc.value, Frame)
    except (ProtocolError, PayloadTooBig):
        pass


# Malformed frames. Each is truncated after its header, so that a driver
# requesting the payload fails: the error must come from the header alone.


@pytest.mark.parametrize(
    ("encoded", "mask", "message"),
    [
        ("81 05", True, "incorrect masking: expected a masked frame"),
        ("81 85 37 fa 21 3d", False, "incorrect masking: expected an unmasked frame"),
        ("01 7e", True, "incorrect masking: expected a masked frame"),
        ("88 ff", False, "incorrect masking: expected an unmasked frame"),
    ],
)
def test_parser_fails_on_incorrect_masking(
    parse: Callable[..., Frame], encoded: str, mask: bool, message: str
) -> None:
    with pytest.raises(ProtocolError, match=f"^{message}$"):
        parse(bytes.fromhex(encoded), mask=mask)


@pytest.mark.parametrize("opcode", [3, 4, 5, 6, 7, 0xB, 0xC, 0xD, 0xE, 0xF])
@pytest.mark.parametrize("mask", [False, True])
def test_parser_fails_on_invalid_opcode(
    parse: Callable[..., Frame], opcode: int, mask: bool
) -> None:
    header = bytes([0x80 | opcode, 0x80 if mask else 0])
    with pytest.raises(ProtocolError, match=f"^invalid opcode: {opcode}$"):
        parse(header, mask=mask)


@pytest.mark.parametrize("bit", [0x40, 0x20, 0x10], ids=["rsv1", "rsv2", "rsv3"])
def test_parser_fails_on_reserved_bits_without_extensions(
    parse: Callable[..., Frame], bit: int
) -> None:
    with pytest.raises(ProtocolError, match="^reserved bits must be 0$"):
        parse(bytes([0x81 | bit, 0x02]) + b"hi", mask=False)


@pytest.mark.parametrize(
    ("encoded", "mask", "length"),
    [
        ("88 7e 00 7e", False, 126),
        ("89 fe 01 00 37 fa 21 3d", True, 256),
        ("8a 7f 00 00 00 00 00 01 00 00", False, 65536),
        ("89 7f 80 00 00 00 00 00 00 00", False, 1 << 63),
    ],
)
def test_parser_fails_on_control_frame_over_125_bytes_from_the_header(
    parse: Callable[..., Frame], encoded: str, mask: bool, length: int
) -> None:
    message = f"^control frame of {length} bytes, over 125$"
    with pytest.raises(ProtocolError, match=message):
        parse(bytes.fromhex(encoded), mask=mask)


def test_parser_accepts_control_frame_of_125_bytes(
    parse: Callable[..., Frame],
) -> None:
    frame = parse(b"\x8a\x7d" + bytes(125), mask=False)
    assert frame == Frame(True, OP_PONG, bytes(125))


@pytest.mark.parametrize("opcode", CTRL_OPCODES)
def test_parser_fails_on_fragmented_control_frame(
    parse: Callable[..., Frame], opcode: int
) -> None:
    with pytest.raises(ProtocolError, match="^fragmented control frame$"):
        parse(bytes([opcode, 0x00]), mask=False)


@pytest.mark.parametrize("mask", [False, True])
def test_parser_fails_on_length_with_most_significant_bit_set(
    parse: Callable[..., Frame], mask: bool
) -> None:
    header = bytes([0x82, 0xFF if mask else 0x7F, 0x80]) + bytes(7)
    header += RFC_MASK if mask else b""
    message = "^payload length with the most significant bit set$"
    with pytest.raises(ProtocolError, match=message):
        parse(header, mask=mask, max_size=None)


@pytest.mark.parametrize(
    ("encoded", "max_size", "length"),
    [
        ("82 01", 0, 1),
        ("81 7e 01 00", 255, 256),
        ("82 7e ff ff", 65535 - 1, 65535),
        ("80 7f 00 00 00 00 00 01 11 70", 65536, 70000),
        ("82 7f 7f ff ff ff ff ff ff ff", 2**20, 2**63 - 1),
    ],
)
def test_parser_fails_over_max_size_before_requesting_the_payload(
    parse: Callable[..., Frame], encoded: str, max_size: int, length: int
) -> None:
    message = f"^frame of {length} bytes over max_size {max_size}$"
    with pytest.raises(PayloadTooBig, match=message):
        parse(bytes.fromhex(encoded), mask=False, max_size=max_size)


@pytest.mark.parametrize("size", [0, 1, 126, 65536])
def test_parser_accepts_frame_of_max_size(
    parse: Callable[..., Frame], size: int
) -> None:
    frame = Frame(True, OP_BINARY, bytes(size))
    assert parse(frame.serialize(mask=False), mask=False, max_size=size) == frame


def test_max_size_does_not_apply_to_control_frames(
    parse: Callable[..., Frame],
) -> None:
    frame = Frame(True, OP_PING, bytes(100))
    assert parse(frame.serialize(mask=False), mask=False, max_size=10) == frame


# Extensions.


@pytest.mark.parametrize("mask", [False, True])
def test_extensions_encode_in_order_and_decode_in_reverse_order(
    parse: Callable[..., Frame], mask: bool
) -> None:
    log: List[str] = []
    extensions = [FakeExtension("A", log), FakeExtension("B", log)]
    frame = Frame(True, OP_TEXT, b"hello")
    encoded = frame.serialize(mask=mask, extensions=extensions)
    assert log == ["encode A", "encode B"]
    # The extensions set RSV1, which the frame carries on the wire, and
    # lengthen the payload.
    assert encoded[0] == 0xC1
    assert encoded[1] & 0x7F == len(b"helloAB")

    log.clear()
    parsed = parse(encoded, mask=mask, max_size=1000, extensions=extensions)
    assert parsed == frame
    assert log == ["decode B max_size=1000", "decode A max_size=1000"]


def test_write_applies_extensions() -> None:
    log: List[str] = []
    writes: List[bytes] = []
    frame = Frame(True, OP_BINARY, b"x")
    frame.write(writes.append, mask=False, extensions=[FakeExtension("E", log)])
    assert writes == [b"\xc2\x02xE"]
    assert log == ["encode E"]


def test_empty_extension_list_is_like_none(parse: Callable[..., Frame]) -> None:
    frame = Frame(True, OP_TEXT, b"hi")
    encoded = frame.serialize(mask=False, extensions=[])
    assert encoded == b"\x81\x02hi"
    assert parse(encoded, mask=False, extensions=[]) == frame


def test_extension_cannot_hide_a_reserved_bit_it_does_not_clear(
    parse: Callable[..., Frame],
) -> None:
    # The frame is checked after decoding: RSV2 isn't the extension's.
    log: List[str] = []
    with pytest.raises(ProtocolError, match="^reserved bits must be 0$"):
        parse(b"\xe1\x03hiE", mask=False, extensions=[FakeExtension("E", log)])
    assert log == ["decode E max_size=None"]


# Frame.check, serialize and write on invalid frames.


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (Frame(True, OP_TEXT, b"", rsv1=True), "reserved bits must be 0"),
        (Frame(True, OP_TEXT, b"", rsv2=True), "reserved bits must be 0"),
        (Frame(True, OP_PING, b"", rsv3=True), "reserved bits must be 0"),
        (Frame(True, 3, b""), "invalid opcode: 3"),
        (Frame(True, 0xF, b""), "invalid opcode: 15"),
        (Frame(True, 16, b""), "invalid opcode: 16"),
        (Frame(False, OP_CLOSE, b""), "fragmented control frame"),
        (Frame(False, OP_PING, b""), "fragmented control frame"),
        (Frame(True, OP_PONG, bytes(126)), "control frame of 126 bytes, over 125"),
    ],
)
def test_check_fails_on_invalid_frame(frame: Frame, message: str) -> None:
    with pytest.raises(ProtocolError, match=f"^{message}$"):
        frame.check()
    with pytest.raises(ProtocolError, match=f"^{message}$"):
        frame.serialize(mask=False)
    writes: List[bytes] = []
    with pytest.raises(ProtocolError, match=f"^{message}$"):
        frame.write(writes.append, mask=True)
    assert writes == []


@pytest.mark.parametrize(
    "frame",
    [
        Frame(False, OP_CONT, b""),
        Frame(False, OP_TEXT, b"x"),
        Frame(True, OP_BINARY, bytes(1000)),
        Frame(True, OP_CLOSE, bytes(125)),
        Frame(True, OP_PING, b""),
    ],
)
def test_check_accepts_valid_frame(frame: Frame) -> None:
    frame.check()


# Frame.__str__, for debug logs.


@pytest.mark.parametrize(
    ("frame", "text"),
    [
        (Frame(True, OP_TEXT, b"Hello"), "TEXT fin b'Hello' [5 bytes]"),
        (Frame(False, OP_CONT, b""), "CONT b'' [0 bytes]"),
        (Frame(True, OP_BINARY, b"\x00\xff"), "BINARY fin b'\\x00\\xff' [2 bytes]"),
        (Frame(True, OP_CLOSE, b"\x03\xe8"), "CLOSE fin b'\\x03\\xe8' [2 bytes]"),
        (Frame(True, OP_PING, b"x"), "PING fin b'x' [1 bytes]"),
        (
            Frame(True, OP_PONG, b"", True, True, True),
            "PONG fin rsv1 rsv2 rsv3 b'' [0 bytes]",
        ),
        (Frame(False, OP_TEXT, b"", False, True), "TEXT rsv2 b'' [0 bytes]"),
        (Frame(True, 3, b""), "3 fin b'' [0 bytes]"),
        (Frame(True, OP_BINARY, b"a" * 27), f"BINARY fin b'{'a' * 27}' [27 bytes]"),
        (
            Frame(True, OP_BINARY, b"a" * 24 + b"bcde"),
            f"BINARY fin b'{'a' * 24}...' [28 bytes]",
        ),
        (
            Frame(True, OP_BINARY, memoryview(bytes(1000))),
            "BINARY fin b'" + "\\x00" * 24 + "...' [1000 bytes]",
        ),
    ],
)
def test_str_describes_frame(frame: Frame, text: str) -> None:
    assert str(frame) == text


# prepare_data and encode_data.


def strided_view() -> memoryview:
    return memoryview(b"a-b-c-")[::2]


@pytest.mark.parametrize(
    ("data", "opcode", "payload"),
    [
        ("", OP_TEXT, b""),
        ("café ☕", OP_TEXT, "café ☕".encode()),
        (b"", OP_BINARY, b""),
        (b"\x00\xff", OP_BINARY, b"\x00\xff"),
        (bytearray(b"\x01\x02"), OP_BINARY, b"\x01\x02"),
        (memoryview(b"view"), OP_BINARY, b"view"),
        (memoryview(b"xviewx")[1:-1], OP_BINARY, b"view"),
        (strided_view(), OP_BINARY, b"abc"),
        (memoryview(array.array("H", [1, 2])), OP_BINARY, array.array("H", [1, 2])),
    ],
)
def test_prepare_data(data: Any, opcode: int, payload: Any) -> None:
    prepared_opcode, prepared = prepare_data(data)
    assert prepared_opcode == opcode
    assert bytes(prepared) == bytes(payload)
    # The length of the prepared data is its size in bytes, for the header.
    assert len(prepared) == len(bytes(payload))


def test_prepare_data_keeps_bytes_and_bytearray() -> None:
    data = b"data"
    assert prepare_data(data)[1] is data
    buffer = bytearray(b"data")
    assert prepare_data(buffer)[1] is buffer


def test_prepare_data_does_not_copy_contiguous_memoryview() -> None:
    buffer = bytearray(b"data")
    _, prepared = prepare_data(memoryview(buffer))
    assert isinstance(prepared, memoryview)
    buffer[0:1] = b"D"
    assert bytes(prepared) == b"Data"


def test_prepared_memoryview_of_multibyte_items_serializes() -> None:
    items = array.array("I", [1, 2, 3])
    opcode, data = prepare_data(memoryview(items))
    encoded = Frame(True, opcode, data).serialize(mask=False)
    assert encoded == b"\x82\x0c" + items.tobytes()


@pytest.mark.parametrize(
    ("data", "payload"),
    [
        ("", b""),
        ("café ☕", "café ☕".encode()),
        (b"\x00\xff", b"\x00\xff"),
        (bytearray(b"\x01\x02"), b"\x01\x02"),
        (memoryview(b"view"), b"view"),
        (strided_view(), b"abc"),
        (memoryview(array.array("H", [1, 2])), array.array("H", [1, 2]).tobytes()),
    ],
)
def test_encode_data(data: Any, payload: bytes) -> None:
    encoded = encode_data(data)
    assert type(encoded) is bytes
    assert encoded == payload


@pytest.mark.parametrize(
    ("data", "name"),
    [(None, "NoneType"), (42, "int"), ([1, 2], "list"), ({"a": 1}, "dict")],
)
@pytest.mark.parametrize("function", [prepare_data, encode_data])
def test_data_of_other_types_fails(
    function: Callable[[Any], Any], data: Any, name: str
) -> None:
    with pytest.raises(
        TypeError, match=f"^data must be str or bytes-like, not {name}$"
    ):
        function(data)


# parse_close and serialize_close (RFC 6455 5.5.1 and 7.4).

VALID_CODES = [1000, 1001, 1002, 1003, *range(1007, 1015), 3000, 3999, 4000, 4999]
INVALID_CODES = [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535]


@pytest.mark.parametrize("code", VALID_CODES)
@pytest.mark.parametrize("reason", ["", "bye", "café ☕"])
def test_close_round_trips(code: int, reason: str) -> None:
    payload = serialize_close(code, reason)
    assert payload == code.to_bytes(2, "big") + reason.encode()
    assert parse_close(payload) == (code, reason)


def test_parse_close_accepts_bytes_like() -> None:
    assert parse_close(bytearray(b"\x03\xe8ok")) == (1000, "ok")
    assert parse_close(memoryview(b"\x03\xe9ok")) == (1001, "ok")


@pytest.mark.parametrize("code", INVALID_CODES)
def test_parse_close_fails_on_invalid_code(code: int) -> None:
    with pytest.raises(ProtocolError, match=f"^invalid status code: {code}$"):
        parse_close(code.to_bytes(2, "big") + b"reason")


@pytest.mark.parametrize("code", INVALID_CODES)
def test_serialize_close_fails_on_invalid_code(code: int) -> None:
    with pytest.raises(ProtocolError, match=f"^invalid status code: {code}$"):
        serialize_close(code, "")


def test_parse_close_of_empty_payload_is_1005() -> None:
    assert parse_close(b"") == (1005, "")


def test_parse_close_fails_on_1_byte_payload() -> None:
    message = "^close frame payload of 1 byte: too short for a code$"
    with pytest.raises(ProtocolError, match=message):
        parse_close(b"\x03")


def test_parse_close_fails_on_invalid_utf8_reason() -> None:
    with pytest.raises(UnicodeDecodeError, match="invalid start byte"):
        parse_close(b"\x03\xe8\xff")
    with pytest.raises(UnicodeDecodeError, match="unexpected end of data"):
        parse_close(b"\x03\xe8" + "☕".encode()[:2])


def test_parse_close_reason_is_utf8() -> None:
    # Not another codec that happens to decode these bytes.
    payload = b"\x03\xe8" + codecs.BOM_UTF8 + b"ok"
    assert parse_close(payload) == (1000, "\ufeffok")


def test_close_frame_round_trips(parse: Callable[..., Frame]) -> None:
    frame = Frame(True, OP_CLOSE, serialize_close(1001, "going away"))
    encoded = frame.serialize(mask=False)
    assert encoded == b"\x88\x0c\x03\xe9going away"
    assert parse_close(parse(encoded, mask=False).data) == (1001, "going away")


def test_module_exports() -> None:
    exported: Sequence[str] = framing.__all__
    assert all(hasattr(framing, name) for name in exported)
