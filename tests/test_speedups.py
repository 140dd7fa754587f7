"""
Tests for websockets.speedups, the optional C accelerator, against pure Python.

Masking: each test runs on both implementations, the C one from
websockets.speedups, skipped when the extension isn't built, and the pure
Python one, always. Both must agree with masking one byte at a time, as RFC
6455 5.3 describes it.

Frame encoding and message parsing: the C functions are tested directly, then
differentially: the same bytes fed to a Connection with the C parser and to
one on the pure Python path must give the same events, bytes out, close codes
and failures, however the bytes are split.

"""

import array
import collections
import functools
import itertools
import logging
import operator
import os
import pathlib
import random
import subprocess
import sys
from typing import Any, Callable, Deque, Dict, List, Optional, Tuple
from unittest import mock

import pytest
from hypothesis import given, settings, strategies as st

import websockets
import websockets.connection
import websockets.framing
import websockets.protocol
import websockets.utils
from websockets.connection import CLIENT, OPEN, SERVER, Connection, Side
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.utils import (
    _CHUNK_SIZE,
    _INT_MAX_SIZE,
    _apply_mask_python,
    _load_speedups,
)


apply_mask_c: Any  # a function, or None
try:
    from websockets.speedups import apply_mask as apply_mask_c
except ImportError:  # pragma: no cover
    apply_mask_c = None

NOT_BUILT = (
    "websockets.speedups isn't built: no C compiler, or WEBSOCKETS_BUILD_SPEEDUPS=0"
)

needs_c = pytest.mark.skipif(apply_mask_c is None, reason=NOT_BUILT)

IMPLEMENTATIONS = [
    pytest.param(apply_mask_c, id="c", marks=needs_c),
    pytest.param(_apply_mask_python, id="python"),
]

Masker = Callable[[Any, Any], bytes]

MASKS = [b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", bytes.fromhex("37fa213d")]

# Sizes on both sides of every block size of the C code (8 bytes, 16 and 64
# with SSE2), and of the switch to chunks and the chunks of the Python code.
BOUNDARY_SIZES = sorted(
    {
        size + delta
        for size in [8, 16, 24, 32, 64, 128, 256, _CHUNK_SIZE, _INT_MAX_SIZE]
        for delta in range(-3, 4)
    }
    | {_INT_MAX_SIZE + _CHUNK_SIZE + delta for delta in range(-3, 4)}
)


def naive_mask(data: bytes, mask: bytes) -> bytes:
    """Mask one byte at a time, as RFC 6455 5.3 describes it."""
    return bytes(map(operator.xor, data, itertools.cycle(mask)))


def random_bytes(size: int) -> bytes:
    """Deterministic pseudo-random bytes."""
    if size == 0:  # getrandbits(0) fails before Python 3.9
        return b""
    return random.Random(size).getrandbits(8 * size).to_bytes(size, "big")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
def test_rfc_example(apply_mask: Masker) -> None:
    # RFC 6455 5.7: "Hello" masked with 37 fa 21 3d.
    masked = apply_mask(b"Hello", bytes.fromhex("37fa213d"))
    assert masked == bytes.fromhex("7f9f4d5158")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("size", range(41))
def test_small_sizes(apply_mask: Masker, size: int, mask: bytes) -> None:
    data = random_bytes(size)
    assert apply_mask(data, mask) == naive_mask(data, mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_sizes_around_block_boundaries(apply_mask: Masker, size: int) -> None:
    data = random_bytes(size)
    mask = bytes.fromhex("a1b2c3d4")
    assert apply_mask(data, mask) == naive_mask(data, mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200, 5000])
@pytest.mark.parametrize("offset", range(8))
def test_unaligned_memoryview_slices(
    apply_mask: Masker, offset: int, size: int
) -> None:
    # The payload starts anywhere in memory; the mask still starts with it.
    buffer = random_bytes(offset + size + 8)
    data = buffer[offset : offset + size]
    mask = bytes.fromhex("0f1e2d3c")
    view = memoryview(buffer)[offset : offset + size]
    assert apply_mask(view, mask) == naive_mask(data, mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
def test_one_mebibyte(apply_mask: Masker) -> None:
    data = random_bytes(2**20 + 3)
    mask = bytes.fromhex("0123abcd")
    assert apply_mask(data, mask) == naive_mask(data, mask)


CONVERSIONS: Dict[str, Callable[[bytes], Any]] = {
    "bytes": bytes,
    "bytearray": bytearray,
    "memoryview": memoryview,
    "readonly_sliced_memoryview": lambda data: memoryview(b"x" + data + b"x")[1:-1],
    "writable_sliced_memoryview": lambda data: memoryview(bytearray(b"x" + data))[1:],
    "strided_memoryview": lambda data: memoryview(
        bytes(x for b in data for x in (b, 0))
    )[::2],
    "reversed_memoryview": lambda data: memoryview(data[::-1])[::-1],
    "multibyte_memoryview": lambda data: memoryview(data).cast("I"),
    "2d_memoryview": lambda data: memoryview(data).cast("B", (4, len(data) // 4)),
    "array": lambda data: array.array("I", data),
}


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("convert", CONVERSIONS.values(), ids=CONVERSIONS.keys())
@pytest.mark.parametrize("size", [4, 20, 64, _CHUNK_SIZE + 4, 2 * _CHUNK_SIZE + 8])
def test_bytes_like_data(
    apply_mask: Masker, convert: Callable[[bytes], Any], size: int
) -> None:
    data = random_bytes(size)
    mask = bytes.fromhex("37fa213d")
    masked = apply_mask(convert(data), mask)
    assert type(masked) is bytes
    assert masked == naive_mask(data, mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [5, _CHUNK_SIZE + 5])
def test_bytearray_mask(apply_mask: Masker, size: int) -> None:
    data = random_bytes(size)
    assert apply_mask(data, bytearray(b"wxyz")) == naive_mask(data, b"wxyz")


@needs_c
@pytest.mark.parametrize(
    "mask",
    [
        memoryview(b"wxyz"),
        memoryview(b"-w-x-y-z")[1::2],
        memoryview(b"wxyz").cast("I"),
        array.array("B", b"wxyz"),
    ],
)
def test_any_bytes_like_mask_in_c(mask: Any) -> None:
    data = random_bytes(21)
    assert apply_mask_c(data, mask) == naive_mask(data, b"wxyz")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [0, 10, _CHUNK_SIZE + 10])
def test_input_is_not_modified(apply_mask: Masker, size: int) -> None:
    data = bytearray(random_bytes(size))
    original = bytes(data)
    apply_mask(data, b"\xff\xff\xff\xff")
    assert data == original


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [100, 2 * _CHUNK_SIZE + 1])
def test_masking_is_an_involution(apply_mask: Masker, size: int) -> None:
    data = random_bytes(size)
    mask = b"\x80\x00\x7f\xff"
    assert apply_mask(apply_mask(data, mask), mask) == data


@needs_c
@settings(deadline=None)  # tests never time anything
@given(
    data=st.binary(max_size=300),
    mask=st.binary(min_size=4, max_size=4),
    offset=st.integers(min_value=0, max_value=15),
)
def test_c_matches_python(data: bytes, mask: bytes, offset: int) -> None:
    view = memoryview(bytes(offset) + data)[offset:]
    assert apply_mask_c(view, mask) == _apply_mask_python(data, mask)


# Errors.


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask", [b"", b"abc", b"abcde", b"\x00" * 8, bytearray(3)])
@pytest.mark.parametrize("size", [0, 5, _CHUNK_SIZE + 1])
def test_mask_of_wrong_length(apply_mask: Masker, mask: bytes, size: int) -> None:
    with pytest.raises(ValueError, match="^mask must contain 4 bytes$"):
        apply_mask(bytes(size), mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("data", ["abcd", "a" * (_CHUNK_SIZE + 1), None, 42])
def test_data_that_isnt_bytes_like(apply_mask: Masker, data: Any) -> None:
    with pytest.raises(TypeError):
        apply_mask(data, b"abcd")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask", ["abcd", None, 1234])
def test_mask_that_isnt_bytes_like(apply_mask: Masker, mask: Any) -> None:
    with pytest.raises(TypeError):
        apply_mask(b"payload", mask)


@needs_c
def test_c_error_messages() -> None:
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'str'$"):
        apply_mask_c("abcd", b"abcd")
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'str'$"):
        apply_mask_c(b"abcd", "abcd")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
def test_arguments_are_positional_only(apply_mask: Masker) -> None:
    with pytest.raises(TypeError):
        apply_mask(**{"data": b"abcd", "mask": b"abcd"})  # type: ignore[call-arg]


@needs_c
@pytest.mark.parametrize("args", [(), (b"abcd",), (b"abcd", b"abcd", b"abcd")])
def test_c_wrong_number_of_arguments(args: Any) -> None:
    count = len(args)
    message = f"^apply_mask\\(\\) takes 2 positional arguments but {count} were given$"
    with pytest.raises(TypeError, match=message):
        apply_mask_c(*args)


@needs_c
def test_c_signature_and_docstring() -> None:
    assert apply_mask_c.__text_signature__ == "($module, data, mask, /)"
    assert apply_mask_c.__doc__.startswith("Mask or unmask ``data``")


@needs_c
def test_c_module_exports() -> None:
    import websockets.speedups

    assert websockets.speedups.__all__ == [
        "apply_mask",
        "encode_frame",
        "frame_message",
        "parse_messages",
        "receive_messages",
    ]


# Selection of the implementation.


def test_selected_implementation() -> None:
    expected = apply_mask_c if websockets.utils.SPEEDUPS else _apply_mask_python
    assert websockets.utils.apply_mask is expected
    # The rest of the library uses the selected one.
    assert vars(websockets.framing)["apply_mask"] is expected
    assert vars(websockets.connection)["apply_mask"] is expected


def test_selected_encoder_and_parser() -> None:
    speedups = websockets.utils._speedups
    if speedups is None:  # pragma: no cover
        encoder = websockets.framing._encode_frame_python
        assert websockets.connection._parse_messages is None
    else:
        encoder = websockets.framing._encode_frame_speedups
        assert websockets.connection._parse_messages is speedups.parse_messages
    assert websockets.framing.encode_frame is encoder
    assert vars(websockets.connection)["encode_frame"] is encoder
    assert vars(websockets.protocol)["encode_frame"] is encoder


def test_load_speedups() -> None:
    if os.environ.get("WEBSOCKETS_SPEEDUPS") == "0":  # pragma: no cover
        pytest.skip("WEBSOCKETS_SPEEDUPS=0 is set for this run")
    if apply_mask_c is None:  # pragma: no cover
        assert _load_speedups() is None
    else:
        assert _load_speedups() is sys.modules["websockets.speedups"]
    assert websockets.utils.SPEEDUPS is (apply_mask_c is not None)


def test_load_speedups_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSOCKETS_SPEEDUPS", "0")
    assert _load_speedups() is None


def test_load_speedups_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBSOCKETS_SPEEDUPS", raising=False)
    # None in sys.modules makes the import fail, as if there were no module.
    monkeypatch.setitem(sys.modules, "websockets.speedups", None)
    assert _load_speedups() is None


# Imports websockets in a fresh interpreter and prints which implementation
# apply_mask is.
SCRIPT = """
import websockets.speedups  # fails unless the extension is built
import websockets.connection, websockets.framing, websockets.utils
print(websockets.utils.SPEEDUPS)
print(
    websockets.utils.apply_mask is websockets.utils._apply_mask_python
    and websockets.framing.encode_frame is websockets.framing._encode_frame_python
    and websockets.connection._parse_messages is None
)
"""


def run_script(script: str, **environ: str) -> str:
    env = dict(os.environ, **environ)
    env["PYTHONPATH"] = str(pathlib.Path(websockets.__file__).parent.parent)
    env.pop("PYTHONASYNCIODEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


@needs_c
def test_environment_variable_selects_python() -> None:
    assert run_script(SCRIPT, WEBSOCKETS_SPEEDUPS="0") == "False\nTrue\n"


@needs_c
@pytest.mark.parametrize("value", ["1", ""])
def test_environment_variable_selects_c(value: str) -> None:
    assert run_script(SCRIPT, WEBSOCKETS_SPEEDUPS=value) == "True\nFalse\n"


def test_python_without_the_extension() -> None:
    script = SCRIPT.replace(
        "import websockets.speedups  # fails unless the extension is built",
        "import sys; sys.modules['websockets.speedups'] = None",
    )
    assert run_script(script) == "False\nTrue\n"


# The frame encoder, websockets.speedups.encode_frame.

KEY = bytes.fromhex("a1b2c3d4")


def raw_frame(
    first: int, payload: bytes, key: Optional[bytes] = KEY, length: Optional[int] = None
) -> bytes:
    """
    Bytes of a frame with any first byte, masked with ``key`` unless ``None``,
    with the shortest encoding of the length, or the 64-bit one if ``length``
    is given (unchecked: it may not be the payload's).

    """
    mask_bit = 0 if key is None else 0x80
    if length is not None:
        header = bytes([first, mask_bit | 127]) + length.to_bytes(8, "big")
    elif len(payload) < 126:
        header = bytes([first, mask_bit | len(payload)])
    elif len(payload) < 65536:
        header = bytes([first, mask_bit | 126]) + len(payload).to_bytes(2, "big")
    else:
        header = bytes([first, mask_bit | 127]) + len(payload).to_bytes(8, "big")
    if key is None:
        return header + payload
    return header + key + naive_mask(payload, key)


encode_frame_c: Any = getattr(websockets.utils._speedups, "encode_frame", None)

# Payload lengths around each of the three encodings of RFC 6455 5.2.
FRAME_SIZES = [0, 1, 125, 126, 127, 65535, 65536, 65537]

HEADS = [0x81, 0x82, 0x01, 0x00, 0x80, 0xC1, 0x41, 0x89, 0x8A, 0x88, 0xFF]


ENCODERS = [
    pytest.param(
        getattr(websockets.framing, "_encode_frame_speedups", None),
        id="c",
        marks=needs_c,
    ),
    pytest.param(websockets.framing._encode_frame_python, id="python"),
]


@pytest.mark.parametrize("encode_frame", ENCODERS)
@pytest.mark.parametrize("key", [None, b"\x00\x00\x00\x00", bytes.fromhex("37fa213d")])
@pytest.mark.parametrize("size", FRAME_SIZES)
def test_encode_frame(
    encode_frame: Any,
    size: int,
    key: Optional[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(websockets.framing, "new_mask_key", lambda: key)
    data = random_bytes(size)
    for head in HEADS:
        frame = encode_frame(head, data, key is not None)
        assert type(frame) is bytes
        assert frame == raw_frame(head, data, key)


@pytest.mark.parametrize("encode_frame", ENCODERS)
@pytest.mark.parametrize(
    "convert",
    [bytearray, memoryview, lambda data: memoryview(b"-" + data)[1:]],
    ids=["bytearray", "memoryview", "sliced_memoryview"],
)
@pytest.mark.parametrize("key", [None, b"wxyz"])
def test_encode_frame_bytes_like_data(
    encode_frame: Any,
    convert: Callable[[bytes], Any],
    key: Optional[bytes],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(websockets.framing, "new_mask_key", lambda: key)
    data = random_bytes(200)
    frame = encode_frame(0x82, convert(data), key is not None)
    assert type(frame) is bytes
    assert frame == raw_frame(0x82, data, key)


@needs_c
def test_c_encode_frame_rfc_examples() -> None:
    # RFC 6455 5.7.
    assert encode_frame_c(0x81, b"Hello", None) == bytes.fromhex("810548656c6c6f")
    assert encode_frame_c(0x81, b"Hello", bytes.fromhex("37fa213d")) == bytes.fromhex(
        "818537fa213d7f9f4d5158"
    )
    assert encode_frame_c(0x82, bytes(256), None)[:4] == bytes.fromhex("827e0100")
    assert encode_frame_c(0x82, bytes(65536), None)[:10] == bytes.fromhex(
        "827f0000000000010000"
    )


@needs_c
@pytest.mark.parametrize("convert", CONVERSIONS.values(), ids=CONVERSIONS.keys())
@pytest.mark.parametrize("key", [None, b"wxyz"])
def test_c_encode_frame_bytes_like_data(
    convert: Callable[[bytes], Any], key: Optional[bytes]
) -> None:
    data = random_bytes(200)
    # The length is the size in bytes, whatever the items of the buffer.
    assert encode_frame_c(0x82, convert(data), key) == raw_frame(0x82, data, key)


@needs_c
@pytest.mark.parametrize("key", [bytearray(b"wxyz"), memoryview(b"-w-x-y-z")[1::2]])
def test_c_encode_frame_bytes_like_key(key: Any) -> None:
    data = random_bytes(30)
    assert encode_frame_c(0x81, data, key) == raw_frame(0x81, data, b"wxyz")


@needs_c
def test_c_encode_frame_errors() -> None:
    with pytest.raises(ValueError, match=r"^head must be in range\(256\)$"):
        encode_frame_c(256, b"", None)
    with pytest.raises(ValueError, match=r"^head must be in range\(256\)$"):
        encode_frame_c(-1, b"", None)
    with pytest.raises(TypeError):
        encode_frame_c(None, b"", None)
    with pytest.raises(OverflowError):
        encode_frame_c(2**100, b"", None)
    with pytest.raises(ValueError, match="^mask must contain 4 bytes$"):
        encode_frame_c(0x81, b"", b"abc")
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'str'$"):
        encode_frame_c(0x81, "text", None)
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'str'$"):
        encode_frame_c(0x81, b"", "abcd")
    message = r"^encode_frame\(\) takes 3 positional arguments but 2 were given$"
    with pytest.raises(TypeError, match=message):
        encode_frame_c(0x81, b"")
    assert encode_frame_c.__text_signature__ == "($module, head, data, key, /)"


@needs_c
def test_encode_frame_takes_a_fresh_key_for_each_frame(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    keys = iter([b"abcd", b"efgh"])
    monkeypatch.setattr(websockets.framing, "new_mask_key", lambda: next(keys))
    encode = websockets.framing._encode_frame_speedups
    assert encode(0x82, b"x", True) == raw_frame(0x82, b"x", b"abcd")
    assert encode(0x82, b"x", True) == raw_frame(0x82, b"x", b"efgh")
    assert encode(0x82, b"x", False) == b"\x82\x01x"


# The message parser, websockets.speedups.parse_messages.

parse_messages_c: Any = getattr(websockets.utils._speedups, "parse_messages", None)
receive_messages_c: Any = getattr(websockets.utils._speedups, "receive_messages", None)


def c_parse(
    buffer: Any,
    *,
    mask: bool = True,
    max_size: Optional[int] = None,
    plain: bool = True,
    deflate: bool = False,
) -> Tuple[List[Any], int, int, Optional[bytes]]:
    events: List[Any] = []
    end, first, payload = parse_messages_c(
        buffer, events, mask, max_size, plain, deflate
    )
    return events, end, first, payload


@needs_c
@pytest.mark.parametrize("mask", [True, False])
@pytest.mark.parametrize("size", FRAME_SIZES)
def test_c_parse_messages_every_length(size: int, mask: bool) -> None:
    key = KEY if mask else None
    binary = random_bytes(size)
    text = ("é" * size)[: size // 2] + "x" * (size % 2)
    buffer = raw_frame(0x82, binary, key) + raw_frame(0x81, text.encode(), key)
    events, end, first, payload = c_parse(buffer, mask=mask)
    assert [(type(event), event) for event in events] == [
        (bytes, binary),
        (str, text),
    ]
    assert (end, first, payload) == (len(buffer), 0, None)


@needs_c
@pytest.mark.parametrize("convert", [bytes, bytearray, memoryview])
def test_c_parse_messages_buffer_types(convert: Callable[[bytes], Any]) -> None:
    buffer = raw_frame(0x82, b"one") + raw_frame(0x81, b"two") + b"\x82"
    events, end, _, _ = c_parse(convert(buffer))
    assert (events, end) == ([b"one", "two"], len(buffer) - 1)


@needs_c
@pytest.mark.parametrize(
    ("frame", "options"),
    [
        # Not a whole message in one frame, or not Text or Binary.
        pytest.param(raw_frame(0x01, b"fragment"), {}, id="fragment_text"),
        pytest.param(raw_frame(0x02, b"fragment"), {}, id="fragment_binary"),
        pytest.param(raw_frame(0x80, b"continuation"), {}, id="continuation"),
        pytest.param(raw_frame(0x89, b"ping"), {}, id="ping"),
        pytest.param(raw_frame(0x8A, b"pong"), {}, id="pong"),
        pytest.param(raw_frame(0x88, b"\x03\xe8"), {}, id="close"),
        pytest.param(raw_frame(0x83, b"reserved opcode"), {}, id="reserved_opcode"),
        # Reserved bits, allowed only when the caller says so.
        pytest.param(raw_frame(0xA2, b"rsv2"), {"deflate": True}, id="rsv2"),
        pytest.param(raw_frame(0x92, b"rsv3"), {"deflate": True}, id="rsv3"),
        pytest.param(raw_frame(0xC2, b"rsv1"), {}, id="rsv1_without_deflate"),
        pytest.param(
            raw_frame(0x82, b"plain"),
            {"plain": False, "deflate": True},
            id="plain_without_plain",
        ),
        # The MASK bit other than expected.
        pytest.param(raw_frame(0x82, b"unmasked", None), {}, id="unmasked"),
        pytest.param(raw_frame(0x82, b"masked"), {"mask": False}, id="masked"),
        # Incomplete.
        pytest.param(
            raw_frame(0x82, b"x" * 20)[:-1], {"at_end": True}, id="incomplete_payload"
        ),
        pytest.param(
            raw_frame(0x82, b"x" * 200)[:3],
            {"at_end": True},
            id="incomplete_16_bit_length",
        ),
        pytest.param(
            raw_frame(0x82, b"x" * 200)[:7], {"at_end": True}, id="incomplete_mask_key"
        ),
        pytest.param(
            raw_frame(0x82, b"x" * 70000)[:9],
            {"at_end": True},
            id="incomplete_64_bit_length",
        ),
        pytest.param(
            raw_frame(0x82, b"x" * 70000)[:13],
            {"at_end": True},
            id="incomplete_64_bit_mask_key",
        ),
        pytest.param(
            raw_frame(0x82, b"x" * 70000)[:-1],
            {"at_end": True},
            id="incomplete_64_kib_payload",
        ),
        pytest.param(b"\x82", {"at_end": True}, id="one_byte"),
        # RFC 6455 5.2: the most significant bit of a 64-bit length is 0.
        pytest.param(raw_frame(0x82, b"", length=2**63), {}, id="length_2_63"),
        pytest.param(
            raw_frame(0x82, b"", length=2**64 - 1), {}, id="length_2_64_minus_1"
        ),
        # Longer than its buffer.
        pytest.param(
            raw_frame(0x82, b"x", length=2), {"at_end": True}, id="length_over_buffer"
        ),
        pytest.param(
            raw_frame(0x82, b"", length=2**62), {"at_end": True}, id="length_2_62"
        ),
        # Over max_size.
        pytest.param(raw_frame(0x82, b"x" * 11), {"max_size": 10}, id="over_max_size"),
        pytest.param(raw_frame(0x82, b""), {"max_size": -1}, id="negative_max_size"),
        pytest.param(
            raw_frame(0x82, b""), {"max_size": -(2**100)}, id="huge_negative_max_size"
        ),
        # Invalid UTF-8: the caller reports it.
        pytest.param(raw_frame(0x81, b"\xff"), {}, id="invalid_utf8"),
        pytest.param(raw_frame(0x81, b"caf\xc3"), {}, id="truncated_utf8"),
        pytest.param(
            raw_frame(0x81, b"x" * 2000 + b"\xc3("), {}, id="invalid_utf8_at_2000"
        ),
        pytest.param(
            raw_frame(0x81, b"\xed\xa0\x80", None),
            {"mask": False},
            id="surrogate_unmasked",
        ),
    ],
)
def test_c_parse_messages_stops_at_frames_it_leaves_to_python(
    frame: bytes, options: Dict[str, Any]
) -> None:
    options = dict(options)
    mask = options.get("mask", True)
    before = raw_frame(0x82, b"before", KEY if mask else None)
    after = raw_frame(0x82, b"after", KEY if mask else None)
    if options.get("max_size", 0) < 0 or not options.get("plain", True):
        before = b""  # not parsed either
    if options.pop("at_end", False):
        after = b""  # would complete the frame
    buffer = before + frame + after
    events, end, first, payload = c_parse(buffer, **options)
    assert events == ([b"before"] if before else [])
    assert (end, first, payload) == (len(before), 0, None)


@needs_c
def test_c_parse_messages_max_size() -> None:
    buffer = raw_frame(0x82, b"x" * 10) + raw_frame(0x81, b"y" * 10)
    assert c_parse(buffer, max_size=10)[:2] == ([b"x" * 10, "y" * 10], len(buffer))
    assert c_parse(buffer, max_size=2**100)[1] == len(buffer)
    assert c_parse(buffer, max_size=True)[1] == 0
    with pytest.raises(TypeError, match="^max_size must be int or None, not 'float'$"):
        c_parse(buffer, max_size=10.0)  # type: ignore[arg-type]


@needs_c
@pytest.mark.parametrize("key", [KEY, None])
@pytest.mark.parametrize("first", [0xC1, 0xC2])
def test_c_parse_messages_returns_a_compressed_payload(
    first: int, key: Optional[bytes]
) -> None:
    buffer = (
        raw_frame(0x81, b"plain", key)
        + raw_frame(first, b"compressed", key)
        + raw_frame(0x82, b"next", key)
    )
    events, end, got_first, payload = c_parse(
        buffer, mask=key is not None, deflate=True
    )
    assert events == ["plain"]
    assert end == len(buffer) - len(raw_frame(0x82, b"next", key))
    assert (got_first, payload) == (first, b"compressed")


@needs_c
def test_c_parse_messages_argument_errors() -> None:
    with pytest.raises(TypeError, match="^events must be a list, not 'tuple'$"):
        parse_messages_c(b"", (), True, None, True, False)
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'str'$"):
        parse_messages_c("", [], True, None, True, False)
    with pytest.raises(BufferError):
        parse_messages_c(memoryview(bytes(8))[::2], [], True, None, True, False)
    message = r"^parse_messages\(\) takes 6 positional arguments but 1 were given$"
    with pytest.raises(TypeError, match=message):
        parse_messages_c(b"")
    assert parse_messages_c.__text_signature__ == (
        "($module, buffer, events, mask, max_size, plain, deflate, /)"
    )


@needs_c
def test_c_parse_messages_doesnt_modify_the_buffer() -> None:
    buffer = bytearray(raw_frame(0x82, b"payload") * 3)
    original = bytes(buffer)
    c_parse(buffer)
    assert buffer == original


# The receiver of the asyncio adapter, websockets.speedups.receive_messages.


def receiving_connection(side: Side = SERVER, **kwargs: Any) -> Connection:
    conn = Connection(side, **kwargs)
    conn.debug = False  # whatever the logging configuration of the test run
    return conn


@needs_c
def test_c_receive_messages() -> None:
    conn = receiving_connection()
    queue: Deque[Any] = collections.deque(["earlier"])
    data = raw_frame(0x82, b"one") + raw_frame(0x81, "twö".encode()) + b"\x82\x85"
    assert receive_messages_c(conn, data, OPEN, True, queue) == 2
    assert list(queue) == ["earlier", b"one", "twö"]
    # The rest waits in the core's buffer; nothing else changed.
    assert conn._buffer == b"\x82\x85"
    assert conn.events_received() == []
    assert conn.data_to_send() == []
    # Now the buffer isn't empty: the core takes it from here.
    assert receive_messages_c(conn, b"", OPEN, True, queue) == -1


def pending(conn: Connection, name: str) -> None:
    """Make ``conn`` unfit for the C receiver, in one way."""
    if name == "connecting":
        conn.state = websockets.connection.CONNECTING
    elif name == "closing":
        conn.send_close(1000)
        conn.data_to_send()
    elif name == "debug":
        conn.debug = True
    elif name == "failed":
        conn.receive_data(raw_frame(0xA2, b""))  # RSV2: fails, deferred
        assert conn.pending_failure is not None
    elif name == "partial_frame":
        conn.receive_data(raw_frame(0x81, b"x" * 200)[:20])
        assert conn._parser is not None
    elif name == "fragmented":
        conn.receive_data(raw_frame(0x01, b"frag"))
        conn.events_received()
        assert conn._msg_opcode is not None
    elif name == "buffered":
        conn.receive_data(b"\x82")
    elif name == "output":
        conn.receive_data(raw_frame(0x89, b"ping"))  # the pong isn't taken
        conn.events_received()
    elif name == "events":
        conn.receive_data(raw_frame(0x8A, b"pong"))  # the event isn't taken
    elif name == "extension":
        conn.extensions = [PerMessageDeflate(False, False, 15, 15)]
        conn._deflate = conn.extensions[0]
    elif name == "none_fits":
        conn.max_size = -1
    elif name == "float_max_size":
        conn.max_size = float("inf")  # type: ignore[assignment]
    else:  # pragma: no cover
        raise AssertionError(name)


@needs_c
@pytest.mark.parametrize(
    "name",
    [
        "connecting",
        "closing",
        "debug",
        "failed",
        "partial_frame",
        "fragmented",
        "buffered",
        "output",
        "events",
        "extension",
        "none_fits",
        "float_max_size",
    ],
)
def test_c_receive_messages_leaves_the_rest_to_the_core(name: str) -> None:
    conn = receiving_connection(defer_failures=True)
    pending(conn, name)
    before = (bytes(conn._buffer), list(conn._events), list(conn._output))
    queue: Deque[Any] = collections.deque()
    data = raw_frame(0x82, b"message")
    assert receive_messages_c(conn, data, OPEN, True, queue) == -1
    assert not queue
    assert (bytes(conn._buffer), list(conn._events), list(conn._output)) == before


@needs_c
def test_c_receive_messages_when_appending_fails() -> None:
    conn = receiving_connection()
    appended: List[Any] = []

    class Queue:
        def append(self, message: Any) -> None:
            if len(appended) == 2:
                raise MemoryError
            appended.append(message)

    data = b"".join(raw_frame(0x82, b"%d" % i) for i in range(4))
    with pytest.raises(MemoryError):
        receive_messages_c(conn, data, OPEN, True, Queue())
    # What wasn't appended waits in the buffer.
    assert appended == [b"0", b"1"]
    assert conn._buffer == data[2 * len(raw_frame(0x82, b"0")) :]


@needs_c
def test_c_receive_messages_argument_errors() -> None:
    conn = receiving_connection()
    with pytest.raises(AttributeError):
        receive_messages_c(object(), b"", OPEN, True, [])
    with pytest.raises(AttributeError):
        receive_messages_c(conn, b"", OPEN, True, ())
    with pytest.raises(TypeError, match="^a bytes-like object is required"):
        receive_messages_c(conn, "", OPEN, True, [])
    message = r"^receive_messages\(\) takes 5 positional arguments but 1 were given$"
    with pytest.raises(TypeError, match=message):
        receive_messages_c(conn)
    assert receive_messages_c.__text_signature__ == (
        "($module, conn, data, open, mask, messages, /)"
    )


# The encoder of the asyncio adapter, websockets.speedups.frame_message.

frame_message_c: Any = getattr(websockets.utils._speedups, "frame_message", None)


@needs_c
@pytest.mark.parametrize("key", [KEY, None])
@pytest.mark.parametrize("size", FRAME_SIZES)
def test_c_frame_message(size: int, key: Optional[bytes]) -> None:
    conn = receiving_connection(CLIENT)
    binary = random_bytes(size)
    text = ("é" * size)[: size // 2] + "x" * (size % 2)
    ascii = "x" * size
    assert frame_message_c(conn, binary, OPEN, key) == raw_frame(0x82, binary, key)
    for message in [text, ascii]:
        assert frame_message_c(conn, message, OPEN, key) == raw_frame(
            0x81, message.encode(), key
        )
    # The caller writes the frame: nothing is queued in the core.
    assert conn.data_to_send() == []


class Bytes(bytes):
    pass


class Str(str):
    pass


@needs_c
@pytest.mark.parametrize(
    "message",
    [bytearray(b"x"), memoryview(b"x"), Bytes(b"x"), Str("x"), ["x"], None, 1],
    ids=repr,
)
def test_c_frame_message_leaves_other_types_to_python(message: Any) -> None:
    assert frame_message_c(receiving_connection(), message, OPEN, None) is None


@needs_c
@pytest.mark.parametrize(
    "name", ["connecting", "closing", "debug", "extension", "fragmenting", "output"]
)
def test_c_frame_message_leaves_the_rest_to_the_core(name: str) -> None:
    conn = receiving_connection(CLIENT)
    if name == "fragmenting":
        conn.send_text(b"frag", fin=False)
        conn.data_to_send()
    elif name == "output":
        conn.send_text(b"queued")
    else:
        pending(conn, name)
    output = list(conn._output)
    assert frame_message_c(conn, b"message", OPEN, KEY) is None
    assert conn._output == output


@needs_c
def test_c_frame_message_keeps_no_utf8_copy_in_the_string() -> None:
    message = "é" * 1000
    size = sys.getsizeof(message)
    frame = frame_message_c(receiving_connection(), message, OPEN, None)
    assert frame == raw_frame(0x81, message.encode(), None)
    assert sys.getsizeof(message) == size


@needs_c
def test_c_frame_message_errors() -> None:
    conn = receiving_connection()
    with pytest.raises(UnicodeEncodeError):
        frame_message_c(conn, "\udc80", OPEN, None)
    with pytest.raises(ValueError, match="^mask must contain 4 bytes$"):
        frame_message_c(conn, b"", OPEN, b"abc")
    with pytest.raises(AttributeError):
        frame_message_c(object(), b"", OPEN, None)
    message = r"^frame_message\(\) takes 4 positional arguments but 1 were given$"
    with pytest.raises(TypeError, match=message):
        frame_message_c(conn)
    assert (
        frame_message_c.__text_signature__ == "($module, conn, message, open, key, /)"
    )


# The same bytes through a Connection, with the C parser and without.

Outcome = List[Tuple[Any, ...]]


def run_connection(
    parse_messages: Any,
    side: Side,
    chunks: List[bytes],
    *,
    receive_messages: Any = None,
    max_size: Optional[int] = 2**20,
    deflate: bool = False,
    defer_failures: bool = False,
) -> Outcome:
    """
    Feed ``chunks`` to a Connection using ``parse_messages``, ``None`` for the
    pure Python path, and record everything observable after each one.

    With ``receive_messages``, chunks go through it first, as the asyncio
    adapter does: messages to a queue, the rest to ``receive_data(b"")``.

    """
    with mock.patch.object(
        websockets.connection, "_parse_messages", parse_messages
    ), mock.patch.object(websockets.framing, "new_mask_key", lambda: KEY):
        extensions = [PerMessageDeflate(False, False, 15, 15)] if deflate else []
        conn = Connection(
            side,
            max_size=max_size,
            extensions=extensions,
            defer_failures=defer_failures,
        )
        outcome: Outcome = []
        for chunk in chunks:
            queue: Deque[Any] = collections.deque()
            if receive_messages is None:
                conn.receive_data(chunk)
            else:
                count = receive_messages(conn, chunk, OPEN, side is SERVER, queue)
                assert count == len(queue) or (count == -1 and not queue)
                if count == -1:
                    conn.receive_data(chunk)
                elif conn._buffer:
                    conn.receive_data(b"")
            failure = conn.failure
            events = [*queue, *conn.events_received()]
            outcome.append(
                (
                    [(type(event), event) for event in events],
                    conn.data_to_send(),
                    conn.state,
                    conn.close_code,
                    conn.close_sent_code,
                    conn.close_sent_reason,
                    conn.close_cause,
                    conn.pending_failure,
                    None if failure is None else (type(failure), failure.args),
                    # Internal state: what's left to parse.
                    bytes(conn._buffer),
                    # With an empty buffer, 0 and 2 mean the same: parse
                    # whatever comes. The C receiver leaves it as it was.
                    conn._need if conn._buffer else None,
                    conn._parser is None,
                    conn._msg_opcode,
                )
            )
        conn.fail_pending()
        outcome.append((conn.data_to_send(), conn.close_sent_code))
        return outcome


def assert_same_outcome(side: Side, chunks: List[bytes], **options: Any) -> Outcome:
    """
    Assert that the C parser, with and without the C receiver, and the pure
    Python path agree; return the outcome.

    """
    outcome = run_connection(parse_messages_c, side, chunks, **options)
    assert outcome == run_connection(None, side, chunks, **options)
    assert outcome == run_connection(
        parse_messages_c,
        side,
        chunks,
        receive_messages=receive_messages_c,
        **options,
    )
    return outcome


@functools.lru_cache(maxsize=None)
def compressed(data: bytes) -> bytes:
    """A message compressed by permessage-deflate, without context takeover."""
    return PerMessageDeflate(False, True, 15, 15).compress(data, True)


def sample_frames(side: Side) -> Dict[str, bytes]:
    """Frames received by ``side``, simple or not, valid or not."""
    key = KEY if side is SERVER else None
    wrong = None if side is SERVER else KEY
    return {
        "binary": raw_frame(0x82, b"binary", key),
        "text": raw_frame(0x81, "café".encode(), key),
        "empty_text": raw_frame(0x81, b"", key),
        "binary_125": raw_frame(0x82, random_bytes(125), key),
        "text_126": raw_frame(0x81, b"t" * 126, key),
        "non_minimal_length": raw_frame(0x82, b"short", key, length=5),
        "fragment": raw_frame(0x01, b"frag", key) + raw_frame(0x80, b"ment", key),
        "fragment_split_character": raw_frame(0x01, b"caf\xc3", key)
        + raw_frame(0x89, b"ping inside", key)
        + raw_frame(0x80, b"\xa9", key),
        "unfinished_fragment": raw_frame(0x02, b"unfinished", key),
        "ping": raw_frame(0x89, b"ping", key),
        "pong": raw_frame(0x8A, b"pong", key),
        "close": raw_frame(0x88, b"\x03\xe8bye", key),
        "invalid_close": raw_frame(0x88, b"\x03", key),
        "wrong_mask": raw_frame(0x82, b"wrong", wrong),
        "reserved_opcode": raw_frame(0x83, b"", key),
        "rsv1": raw_frame(0xC2, compressed(b"rsv1" * 10), key),
        "rsv1_text": raw_frame(0xC1, compressed("déjà".encode() * 10), key),
        "rsv1_invalid_utf8": raw_frame(0xC1, compressed(b"ok\xff"), key),
        "rsv1_invalid_data": raw_frame(0xC2, b"\xff\xff\xff", key),
        "rsv2": raw_frame(0xA2, b"", key),
        "invalid_utf8": raw_frame(0x81, b"ok\xff", key),
        "truncated_utf8": raw_frame(0x81, b"caf\xc3", key),
        "msb_length": raw_frame(0x82, b"", key, length=2**63),
        "over_max_size": raw_frame(0x82, b"o" * 33, key),
        "text_over_max_size": raw_frame(0x81, b"o" * 33, key),
        "rsv1_over_max_size": raw_frame(0xC2, compressed(b"o" * 40), key),
    }


@needs_c
@pytest.mark.parametrize("defer_failures", [False, True])
@pytest.mark.parametrize("deflate", [False, True])
@pytest.mark.parametrize("side", [SERVER, CLIENT])
def test_sample_frames_give_the_same_outcome(
    side: Side, deflate: bool, defer_failures: bool
) -> None:
    frames = sample_frames(side)
    simple = frames["binary"] + frames["text"]
    for name, frame in frames.items():
        stream = simple + frame + simple
        # Whole, then split at every position.
        splits = [[stream]] + [
            [stream[:cut], stream[cut:]] for cut in range(1, len(stream))
        ]
        for chunks in splits:
            outcome = assert_same_outcome(
                side,
                chunks,
                max_size=32,
                deflate=deflate,
                defer_failures=defer_failures,
            )
        # The messages before the frame are always received.
        events = [event for step in outcome[:-1] for event in step[0]]
        assert events[:2] == [(bytes, b"binary"), (str, "café")], name


@needs_c
@pytest.mark.parametrize("side", [SERVER, CLIENT])
@pytest.mark.parametrize("size", FRAME_SIZES)
def test_every_length_gives_the_same_outcome(side: Side, size: int) -> None:
    key = KEY if side is SERVER else None
    binary = raw_frame(0x82, random_bytes(size), key)
    text = raw_frame(0x81, b"x" * size, key)
    invalid = raw_frame(0x81, b"x" * size + b"\xc3", key)
    stream = binary + text + binary + invalid + binary
    # Around the headers and the ends of frames.
    cuts = {
        frame_start + delta
        for frame_start in range(0, len(stream), len(binary))
        for delta in range(-2, 16)
    }
    for max_size in [None, size - 1, size, size + 1]:
        for cut in sorted(cut for cut in cuts if 0 < cut < len(stream)):
            outcome = assert_same_outcome(
                side, [stream[:cut], stream[cut:]], max_size=max_size
            )
        if max_size is None or max_size > size:
            # The invalid text, size + 1 bytes, fails after 3 messages: 1007.
            assert outcome[-1][1] == 1007
        else:
            assert outcome[-1][1] == 1009


FRAME_KINDS = ["binary", "text", "ping", "close", "invalid_utf8", "rsv1", "fragment"]


@needs_c
@settings(max_examples=100, deadline=None)  # tests never time anything
@given(
    side=st.sampled_from([SERVER, CLIENT]),
    kinds=st.lists(st.sampled_from([*FRAME_KINDS, "random"]), max_size=12),
    sizes=st.lists(st.sampled_from([0, 1, 5, 125, 126, 127, 300]), min_size=12),
    noise=st.binary(max_size=8),
    cuts=st.lists(st.integers(min_value=0, max_value=4000), max_size=6),
    max_size=st.sampled_from([None, 0, 1, 5, 126, 300]),
    deflate=st.booleans(),
    defer_failures=st.booleans(),
    wrong_mask=st.booleans(),
)
def test_random_streams_give_the_same_outcome(
    side: Side,
    kinds: List[str],
    sizes: List[int],
    noise: bytes,
    cuts: List[int],
    max_size: Optional[int],
    deflate: bool,
    defer_failures: bool,
    wrong_mask: bool,
) -> None:
    key = KEY if (side is SERVER) != wrong_mask else None
    frames = []
    for kind, size in zip(kinds, sizes):
        payload = random_bytes(size)
        if kind == "binary":
            frames.append(raw_frame(0x82, payload, key))
        elif kind == "text":
            frames.append(raw_frame(0x81, b"t" * size, key))
        elif kind == "ping":
            frames.append(raw_frame(0x89, payload[:125], key))
        elif kind == "close":
            frames.append(raw_frame(0x88, b"\x03\xe8" + b"r" * min(size, 100), key))
        elif kind == "invalid_utf8":
            frames.append(raw_frame(0x81, b"t" * size + b"\x80", key))
        elif kind == "rsv1":
            frames.append(raw_frame(0xC1, compressed(b"t" * size), key))
        elif kind == "fragment":
            frames.append(raw_frame(0x02, payload, key) + raw_frame(0x80, b"", key))
        else:
            frames.append(noise)
    stream = b"".join(frames)
    bounds = sorted({cut % (len(stream) + 1) for cut in cuts})
    chunks = [
        stream[start:end] for start, end in zip([0, *bounds], [*bounds, len(stream)])
    ]
    assert_same_outcome(
        side,
        chunks,
        max_size=max_size,
        deflate=deflate,
        defer_failures=defer_failures,
    )


@needs_c
def test_many_small_messages_in_one_read() -> None:
    # The case the C parser is for: one call for all of them.
    stream = b"".join(
        raw_frame(0x82 if i % 2 else 0x81, b"%015d" % i) for i in range(1000)
    )
    calls = []

    def parse_messages(*args: Any) -> Any:
        calls.append(args[3])
        return parse_messages_c(*args)

    [step, _] = run_connection(parse_messages, SERVER, [stream])
    assert len(step[0]) == 1000
    assert step[0][:2] == [(str, "000000000000000"), (bytes, b"000000000000001")]
    assert len(calls) == 1


@needs_c
def test_debug_logs_use_the_python_path(caplog: pytest.LogCaptureFixture) -> None:
    stream = raw_frame(0x82, b"one") + raw_frame(0x81, b"two")
    with caplog.at_level(logging.DEBUG, logger="websockets.protocol"):
        [step, _] = run_connection(parse_messages_c, SERVER, [stream])
    assert step[0] == [(bytes, b"one"), (str, "two")]
    assert [record.getMessage() for record in caplog.records] == [
        "< BINARY fin b'one' [3 bytes]",
        "< TEXT fin b'two' [3 bytes]",
    ]
