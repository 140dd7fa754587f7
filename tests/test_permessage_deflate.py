"""Tests for websockets.extensions.permessage_deflate (RFC 7692)."""

import functools
import hashlib
import itertools
import random
import zlib
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

import pytest
from hypothesis import given, settings, strategies as st

from websockets.exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
)
from websockets.extensions import permessage_deflate
from websockets.extensions.base import (
    ClientExtensionFactory,
    Extension,
    ServerExtensionFactory,
)
from websockets.extensions.permessage_deflate import (
    DEFAULT_MEM_LEVEL,
    DEFAULT_WINDOW_BITS,
    SMALL_PAYLOAD,
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
    enable_client_permessage_deflate,
    enable_server_permessage_deflate,
)
from websockets.framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    parse_frame,
)
from websockets.typing import ExtensionName, ExtensionParameter


MiB = 1 << 20


def noise(size: int) -> bytes:
    """Incompressible, reproducible bytes."""
    blocks = (
        hashlib.sha256(i.to_bytes(4, "big")).digest() for i in range(size // 32 + 1)
    )
    return b"".join(blocks)[:size]


SNCT = "server_no_context_takeover"
CNCT = "client_no_context_takeover"
SMWB = "server_max_window_bits"
CMWB = "client_max_window_bits"


def make_extension(
    no_context_takeover: bool = False,
    max_window_bits: int = 15,
    compress_settings: Optional[Dict[str, Any]] = None,
) -> PerMessageDeflate:
    """Build an extension with the same parameters in both directions."""
    return PerMessageDeflate(
        no_context_takeover,
        no_context_takeover,
        max_window_bits,
        max_window_bits,
        compress_settings,
    )


def parse(data: bytes, extension: Extension, **kwargs: Any) -> Frame:
    """Parse one unmasked frame from ``data`` through ``extension``."""
    parser = parse_frame(mask=False, extensions=[extension], **kwargs)
    pos = 0
    try:
        size = next(parser)
        while True:
            chunk, pos = data[pos : pos + size], pos + size
            size = parser.send(chunk)
    except StopIteration as exc:
        assert pos == len(data)
        frame: Frame = exc.value
        return frame


def compress_message(
    chunks: Sequence[bytes], bits: int = 15, level: int = 6
) -> List[bytes]:
    """Compress one message per RFC 7692 7.2.1: one payload per fragment."""
    compressor = zlib.compressobj(level, wbits=-bits)
    payloads = [
        compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
        for chunk in chunks
    ]
    assert payloads[-1].endswith(b"\x00\x00\xff\xff")
    payloads[-1] = payloads[-1][:-4]
    return payloads


def strict_inflate(data: bytes, bits: int) -> bytes:
    """
    Decompress raw DEFLATE ``data`` with a window of exactly ``bits``.

    zlib accepts distances that reach back into the current output, even
    beyond the window. Producing one byte per call makes it check them all.

    """
    decompressor = zlib.decompressobj(wbits=-bits)
    output = []
    while data:
        output.append(decompressor.decompress(data, 1))
        data = decompressor.unconsumed_tail
    return b"".join(output)


def bfinal_block(data: bytes) -> bytes:
    """Compress ``data`` into a raw DEFLATE stream ending with BFINAL set."""
    compressor = zlib.compressobj(wbits=-15)
    return compressor.compress(data) + compressor.flush()


def fragments(payloads: Sequence[bytes], opcode: int = OP_BINARY) -> List[Frame]:
    """Frames of a compressed message: RSV1 on the first frame only."""
    last = len(payloads) - 1
    return [
        Frame(i == last, OP_CONT if i else opcode, payload, rsv1=not i)
        for i, payload in enumerate(payloads)
    ]


class RecordingDecompressor:
    """Wrap a zlib decompressor and record the length of each output."""

    def __init__(self, decompressor: Any, lengths: List[int]) -> None:
        self.decompressor = decompressor
        self.lengths = lengths

    def decompress(self, data: bytes, max_length: int = 0) -> bytes:
        result: bytes = self.decompressor.decompress(data, max_length)
        self.lengths.append(len(result))
        return result

    def __getattr__(self, name: str) -> Any:
        return getattr(self.decompressor, name)


@pytest.fixture
def output_lengths(monkeypatch: pytest.MonkeyPatch) -> List[int]:
    """Record the length of everything the extension decompresses."""
    lengths: List[int] = []
    new_decoder = permessage_deflate.new_decoder

    def recording_decoder(bits: int) -> RecordingDecompressor:
        return RecordingDecompressor(new_decoder(bits), lengths)

    monkeypatch.setattr(permessage_deflate, "new_decoder", recording_decoder)
    return lengths


# RFC 7692 7.2.3: examples, byte for byte.


class TestRFCExamples:
    def test_encode_hello_7_2_3_1(self) -> None:
        frame = make_extension().encode(Frame(True, OP_TEXT, b"Hello"))
        assert frame == Frame(True, OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True)

    def test_decode_hello_7_2_3_1(self) -> None:
        frame = Frame(True, OP_TEXT, bytes.fromhex("f248cdc9c90700"), rsv1=True)
        assert make_extension().decode(frame) == Frame(True, OP_TEXT, b"Hello")

    def test_parse_hello_frame_7_2_3_1(self) -> None:
        frame = parse(bytes.fromhex("c107f248cdc9c90700"), make_extension())
        assert frame == Frame(True, OP_TEXT, b"Hello")

    def test_decode_fragmented_hello_7_2_3_1(self) -> None:
        extension = make_extension()
        first = parse(bytes.fromhex("4103f248cd"), extension)
        second = parse(bytes.fromhex("8004c9c90700"), extension)
        # The fragments split a symbol: "l" is decoded with the second one.
        assert first == Frame(False, OP_TEXT, b"He")
        assert second == Frame(True, OP_CONT, b"llo")

    def test_decode_shared_window_7_2_3_2(self) -> None:
        extension = make_extension()
        first = parse(bytes.fromhex("c107f248cdc9c90700"), extension)
        second = parse(bytes.fromhex("c105f200110000"), extension)
        assert first.data == second.data == b"Hello"

    def test_encode_shared_window_7_2_3_2(self) -> None:
        extension = make_extension()
        first = extension.encode(Frame(True, OP_TEXT, b"Hello"))
        second = extension.encode(Frame(True, OP_TEXT, b"Hello"))
        assert first.data == bytes.fromhex("f248cdc9c90700")
        assert second.data == bytes.fromhex("f200110000")

    def test_decode_no_compression_7_2_3_3(self) -> None:
        frame = parse(bytes.fromhex("c10b000500faff48656c6c6f00"), make_extension())
        assert frame == Frame(True, OP_TEXT, b"Hello")

    def test_decode_bfinal_7_2_3_4(self) -> None:
        extension = make_extension()
        frame = parse(bytes.fromhex("c108f348cdc9c9070000"), extension)
        assert frame == Frame(True, OP_TEXT, b"Hello")
        # The stream ended: the next message starts a new one.
        frame = parse(bytes.fromhex("c107f248cdc9c90700"), extension)
        assert frame == Frame(True, OP_TEXT, b"Hello")

    def test_decode_two_blocks_7_2_3_5(self) -> None:
        data = bytes.fromhex("c10df24805000000ffffcac9c90700")
        assert parse(data, make_extension()) == Frame(True, OP_TEXT, b"Hello")

    def test_encode_empty_message(self) -> None:
        # An empty message compresses to an empty stored block's header.
        frame = make_extension().encode(Frame(True, OP_BINARY, b""))
        assert frame == Frame(True, OP_BINARY, b"\x00", rsv1=True)

    def test_decode_empty_message(self) -> None:
        frame = make_extension().decode(Frame(True, OP_BINARY, b"\x00", rsv1=True))
        assert frame == Frame(True, OP_BINARY, b"")


# Decoding.


class TestDecode:
    @pytest.mark.parametrize("opcode", [OP_CLOSE, OP_PING, OP_PONG])
    @pytest.mark.parametrize("rsv1", [False, True])
    def test_control_frames_pass_through(self, opcode: int, rsv1: bool) -> None:
        extension = make_extension()
        frame = Frame(True, opcode, b"\xf2\x48", rsv1=rsv1)
        assert extension.decode(frame) is frame
        assert extension.decoder is None

    def test_control_frame_between_fragments(self) -> None:
        extension = make_extension()
        first, second = fragments(compress_message([b"Hel", b"lo"]))
        ping = Frame(True, OP_PING, b"ping")
        assert extension.decode(first).data == b"Hel"
        assert extension.decode(ping) is ping
        assert extension.decode(second).data == b"lo"

    def test_uncompressed_message_passes_through(self) -> None:
        extension = make_extension()
        frames = [Frame(False, OP_TEXT, b"Hel"), Frame(True, OP_CONT, b"lo")]
        for frame in frames:
            assert extension.decode(frame) is frame
        # No zlib memory for uncompressed messages.
        assert extension.decoder is None

    def test_uncompressed_message_after_compressed_message(self) -> None:
        extension = make_extension()
        (frame,) = fragments(compress_message([b"Hello"]))
        assert extension.decode(frame).data == b"Hello"
        frames = [Frame(False, OP_TEXT, b"\xf2\x48"), Frame(True, OP_CONT, b"\xcd")]
        for frame in frames:
            assert extension.decode(frame) is frame

    def test_continuation_with_rsv1_fails(self) -> None:
        extension = make_extension()
        extension.decode(Frame(False, OP_TEXT, b"\xf2\x48\xcd", rsv1=True))
        with pytest.raises(ProtocolError, match="continuation frame with rsv1 set"):
            extension.decode(Frame(True, OP_CONT, b"\xc9\xc9\x07\x00", rsv1=True))

    def test_continuation_with_rsv1_fails_in_uncompressed_message(self) -> None:
        extension = make_extension()
        extension.decode(Frame(False, OP_TEXT, b"Hel"))
        with pytest.raises(ProtocolError, match="continuation frame with rsv1 set"):
            extension.decode(Frame(True, OP_CONT, b"lo", rsv1=True))

    def test_corrupt_data_fails(self) -> None:
        extension = make_extension()
        with pytest.raises(ProtocolError, match="invalid compressed data") as raised:
            extension.decode(Frame(True, OP_TEXT, b"\xff\xff\xff\xff", rsv1=True))
        assert isinstance(raised.value.__cause__, zlib.error)
        # Also a zlib.error, as in 8.x, which let zlib's error through.
        assert isinstance(raised.value, zlib.error)

    def test_corrupt_tail_fails(self) -> None:
        # A stored block header and half its LEN: with the appended tail,
        # LEN is 0x0000 and NLEN 0xff00, which isn't its complement.
        extension = make_extension()
        with pytest.raises(ProtocolError, match="invalid compressed data"):
            extension.decode(Frame(True, OP_TEXT, b"\x00\x00", rsv1=True))

    def test_remote_window_of_8_bits_reads_9_bits(self) -> None:
        # Peers that use 9 bits when asked for 8: matches 300 bytes back.
        # (zlib itself doesn't reach further than 250 bytes with 9 bits.)
        # zlib checks distances against the window only when they reach
        # before the current output, hence one byte at a time.
        data = noise(300) * 4
        (payload,) = compress_message([data], bits=10)
        payload_with_tail = payload + b"\x00\x00\xff\xff"
        assert strict_inflate(payload_with_tail, 9) == data
        with pytest.raises(zlib.error, match="too far back"):
            strict_inflate(payload_with_tail, 8)
        extension = PerMessageDeflate(False, False, 8, 15)
        frames = fragments([payload[i : i + 1] for i in range(len(payload))])
        assert b"".join(extension.decode(frame).data for frame in frames) == data

    def test_empty_payload(self) -> None:
        # RFC 7692 7.2.1 gives 0x00 for an empty message; accept nothing too.
        extension = make_extension(no_context_takeover=True)
        frame = extension.decode(Frame(True, OP_BINARY, b"", rsv1=True))
        assert frame == Frame(True, OP_BINARY, b"")
        assert extension.decoder is None

    def test_empty_final_fragment(self) -> None:
        extension = make_extension()
        frames = fragments(compress_message([b"Hello", b""]))
        assert [extension.decode(frame).data for frame in frames] == [b"Hello", b""]

    def test_bfinal_without_empty_block(self) -> None:
        # Not what RFC 7692 7.2.3.4 recommends, but harmless: the stream ends
        # with the message, so there's nothing to append the tail to.
        extension = make_extension()
        frame = Frame(True, OP_TEXT, bfinal_block(b"Hello"), rsv1=True)
        assert extension.decode(frame).data == b"Hello"
        assert extension.decoder is None
        assert extension.decode(frame).data == b"Hello"

    def test_bfinal_in_each_fragment(self) -> None:
        # A sender that finishes a stream in each fragment.
        extension = make_extension()
        payloads = [bfinal_block(b"Hel"), bfinal_block(b"lo") + b"\x00"]
        frames = fragments(payloads)
        assert [extension.decode(frame).data for frame in frames] == [b"Hel", b"lo"]

    def test_two_streams_in_one_frame(self) -> None:
        extension = make_extension()
        payload = bfinal_block(b"Hel") + bfinal_block(b"lo") + b"\x00"
        frame = Frame(True, OP_TEXT, payload, rsv1=True)
        assert extension.decode(frame).data == b"Hello"

    def test_second_stream_has_no_window(self) -> None:
        extension = make_extension()
        hello = bytes.fromhex("f348cdc9c90700")  # 7.2.3.4 without 0x00
        shared = bytes.fromhex("f200110000")  # 7.2.3.2: refers to "Hello"
        frame = Frame(True, OP_TEXT, hello + shared, rsv1=True)
        with pytest.raises(ProtocolError, match="too far back"):
            extension.decode(frame)

    def test_context_takeover_keeps_decoder(self) -> None:
        extension = make_extension()
        (frame,) = fragments(compress_message([b"Hello"]))
        extension.decode(frame)
        decoder = extension.decoder
        assert decoder is not None
        extension.decode(frame)
        assert extension.decoder is decoder

    def test_no_context_takeover_drops_decoder(self) -> None:
        extension = make_extension(no_context_takeover=True)
        first, second = fragments(compress_message([b"Hel", b"lo"]))
        extension.decode(first)
        assert extension.decoder is not None
        extension.decode(second)
        assert extension.decoder is None
        # The 7.2.3.2 example needs the previous message: it fails.
        with pytest.raises(ProtocolError):
            extension.decode(
                Frame(True, OP_TEXT, bytes.fromhex("f200110000"), rsv1=True)
            )

    def test_decoder_created_lazily(self) -> None:
        extension = make_extension()
        assert extension.decoder is None
        assert extension.encoder is None
        extension.decode(Frame(True, OP_TEXT, b"Hello"))
        assert extension.decoder is None


# Decompression bombs: max_size bounds what zlib produces, not only what
# decode() returns.


@functools.lru_cache(maxsize=None)
def bomb_chunks() -> Tuple[bytes, bytes]:
    """
    Compress null bytes in 1 MiB chunks, each one flushed.

    After the first one, all chunks compress to the same bytes. Return the
    first two: repeating the second builds a bomb without compressing each
    chunk, which takes time.

    """
    compressor = zlib.compressobj(9, wbits=-15)
    chunk = bytes(MiB)
    first, second, third = [
        compressor.compress(chunk) + compressor.flush(zlib.Z_SYNC_FLUSH)
        for _ in range(3)
    ]
    assert second == third
    return first, second


def bomb(size_in_mib: int = 100) -> bytes:
    """Payload of a compressed message of ``size_in_mib`` MiB of null bytes."""
    first, second = bomb_chunks()
    return (first + second * (size_in_mib - 1))[:-4]


class TestMaxSize:
    def test_bomb_is_small(self) -> None:
        first, second = bomb_chunks()
        decompressor = zlib.decompressobj(wbits=-15)
        assert decompressor.decompress(first + second + second) == bytes(3 * MiB)
        assert len(bomb()) < 128 * 1024

    def test_bomb_fails_without_inflating(self, output_lengths: List[int]) -> None:
        extension = make_extension()
        frame = Frame(True, OP_BINARY, bomb(), rsv1=True)
        with pytest.raises(
            PayloadTooBig, match=f"frame over {MiB} bytes after decompression"
        ):
            extension.decode(frame, max_size=MiB)
        assert sum(output_lengths) == MiB + 1

    def test_bomb_split_in_fragments(self, output_lengths: List[int]) -> None:
        # Each fragment inflates to about 256 KiB, within budget, but the
        # caller passes what remains of the message's budget.
        extension = make_extension()
        payload = bomb()
        payloads = [payload[i : i + 256] for i in range(0, len(payload), 256)]
        frames = fragments(payloads)
        remaining = MiB
        with pytest.raises(PayloadTooBig):
            for frame in frames:
                remaining -= len(extension.decode(frame, max_size=remaining).data)
        assert 0 <= remaining < MiB // 2
        assert sum(output_lengths) == MiB + 1

    def test_fragments_within_budget_but_over_in_total(
        self, output_lengths: List[int]
    ) -> None:
        extension = make_extension()
        frames = fragments(compress_message([bytes(32 * 1024)] * 64))
        max_size = MiB
        received = 0
        for count, frame in enumerate(frames):  # noqa: B007
            try:
                data = extension.decode(frame, max_size=max_size - received).data
            except PayloadTooBig as exc:
                assert str(exc) == "frame over 0 bytes after decompression"
                break
            received += len(data)
        assert count == 32
        assert received == MiB
        assert sum(output_lengths) == MiB + 1

    def test_exactly_max_size(self) -> None:
        extension = make_extension()
        (frame,) = fragments(compress_message([bytes(1000)]))
        assert extension.decode(frame, max_size=1000).data == bytes(1000)

    def test_one_byte_over_max_size(self) -> None:
        extension = make_extension()
        (frame,) = fragments(compress_message([bytes(1001)]))
        with pytest.raises(PayloadTooBig, match="frame over 1000 bytes"):
            extension.decode(frame, max_size=1000)

    def test_max_size_zero(self, output_lengths: List[int]) -> None:
        extension = make_extension()
        (frame,) = fragments(compress_message([b""]))
        assert extension.decode(frame, max_size=0).data == b""
        (frame,) = fragments(compress_message([b"x"]))
        with pytest.raises(PayloadTooBig, match="frame over 0 bytes"):
            extension.decode(frame, max_size=0)
        assert max(output_lengths) == 1

    def test_max_size_below_message_size(self, output_lengths: List[int]) -> None:
        data = b"Hello, world! " * 100
        (payload,) = compress_message([data])
        frame = Frame(True, OP_TEXT, payload, rsv1=True)
        assert len(make_extension().decode(frame, max_size=len(data)).data) == len(data)
        for max_size in range(len(data) - 300, len(data)):
            output_lengths.clear()
            with pytest.raises(PayloadTooBig):
                make_extension().decode(frame, max_size=max_size)
            assert sum(output_lengths) == max_size + 1

    def test_max_size_reached_in_first_stream(self, output_lengths: List[int]) -> None:
        extension = make_extension()
        payload = bfinal_block(b"Hello") + bfinal_block(b"World") + b"\x00"
        frame = Frame(True, OP_TEXT, payload, rsv1=True)
        with pytest.raises(PayloadTooBig, match="frame over 4 bytes"):
            extension.decode(frame, max_size=4)
        assert sum(output_lengths) == 5

    def test_max_size_reached_in_second_stream(self, output_lengths: List[int]) -> None:
        extension = make_extension()
        payload = bfinal_block(b"Hello") + bfinal_block(b"World") + b"\x00"
        frame = Frame(True, OP_TEXT, payload, rsv1=True)
        with pytest.raises(PayloadTooBig, match="frame over 9 bytes"):
            extension.decode(frame, max_size=9)
        assert sum(output_lengths) == 10

    def test_max_size_through_parse_frame(self) -> None:
        (payload,) = compress_message([bytes(2000)])
        data = bytes([0xC2, len(payload)]) + payload
        assert parse(data, make_extension(), max_size=2000).data == bytes(2000)
        with pytest.raises(PayloadTooBig, match="frame over 1999 bytes"):
            parse(data, make_extension(), max_size=1999)

    @given(payload=st.binary(max_size=200), max_size=st.integers(0, 1000))
    def test_arbitrary_data(self, payload: bytes, max_size: int) -> None:
        extension = make_extension()
        frame = Frame(True, OP_BINARY, payload, rsv1=True)
        try:
            result = extension.decode(frame, max_size=max_size)
        except (PayloadTooBig, ProtocolError):
            pass
        else:
            assert len(result.data) <= max_size


# Encoding.


class TestEncode:
    @pytest.mark.parametrize("opcode", [OP_CLOSE, OP_PING, OP_PONG])
    def test_control_frames_pass_through(self, opcode: int) -> None:
        extension = make_extension()
        frame = Frame(True, opcode, b"Hello")
        assert extension.encode(frame) is frame
        assert extension.encoder is None

    def test_rsv1_on_first_frame_only(self) -> None:
        extension = make_extension()
        frames = [
            Frame(False, OP_TEXT, b"Hel"),
            Frame(False, OP_CONT, b"l"),
            Frame(True, OP_CONT, b"o"),
        ]
        encoded = [extension.encode(frame) for frame in frames]
        assert [frame.rsv1 for frame in encoded] == [True, False, False]
        assert [frame.fin for frame in encoded] == [False, False, True]
        assert [frame.opcode for frame in encoded] == [OP_TEXT, OP_CONT, OP_CONT]

    def test_final_frame_drops_empty_block_tail(self) -> None:
        extension = make_extension()
        first = extension.encode(Frame(False, OP_TEXT, b"Hel"))
        last = extension.encode(Frame(True, OP_CONT, b"lo"))
        assert first.data.endswith(b"\x00\x00\xff\xff")
        assert not last.data.endswith(b"\x00\x00\xff\xff")
        assert (
            zlib.decompressobj(wbits=-15).decompress(
                first.data + last.data + b"\x00\x00\xff\xff"
            )
            == b"Hello"
        )

    def test_empty_final_fragment(self) -> None:
        extension = make_extension()
        first = extension.encode(Frame(False, OP_TEXT, b"Hello"))
        last = extension.encode(Frame(True, OP_CONT, b""))
        assert last.data == b"\x00"
        decoder = make_extension()
        assert decoder.decode(first).data == b"Hello"
        assert decoder.decode(last).data == b""

    def test_bytes_like_data(self) -> None:
        extension = make_extension()
        for data in [bytearray(b"Hello"), memoryview(b"Hello")]:
            frame = extension.encode(Frame(True, OP_BINARY, data))
            assert make_extension().decode(frame).data == b"Hello"
            extension = make_extension()

    def test_context_takeover_reuses_window(self) -> None:
        extension = make_extension()
        message = Frame(True, OP_TEXT, b"Hello, world! " * 10)
        first = extension.encode(message)
        second = extension.encode(message)
        assert len(second.data) < len(first.data)

    def test_no_context_takeover_resets(self) -> None:
        extension = make_extension(no_context_takeover=True)
        message = Frame(True, OP_TEXT, b"Hello, world! " * 10)
        first = extension.encode(message)
        assert extension.encoder is None
        second = extension.encode(message)
        assert second == first

    def test_no_context_takeover_keeps_encoder_within_message(self) -> None:
        extension = make_extension(no_context_takeover=True)
        extension.encode(Frame(False, OP_TEXT, b"Hel"))
        encoder = extension.encoder
        assert encoder is not None
        extension.encode(Frame(False, OP_CONT, b"l"))
        assert extension.encoder is encoder
        extension.encode(Frame(True, OP_CONT, b"o"))
        assert extension.encoder is None

    def test_compress_settings(self) -> None:
        extension = make_extension(compress_settings={"level": 0})
        frame = extension.encode(Frame(True, OP_TEXT, b"Hello"))
        # A stored block: the data shows through.
        assert frame.data == bytes.fromhex("000500faff48656c6c6f00")

    def test_incompressible_data(self) -> None:
        # Stored blocks cost 5 bytes each, every 16 KiB at most.
        data = noise(MiB)
        frame = make_extension().encode(Frame(True, OP_BINARY, data))
        assert len(data) < len(frame.data) < len(data) + 5 * 64 + 16
        assert make_extension().decode(frame).data == data


class TestWindowBits:
    # Data with repetitions 340 bytes apart, out of reach of an 8-bit window,
    # and runs of null bytes, within reach.
    DATA = (noise(300) + bytes(40)) * 20

    @pytest.mark.parametrize("bits", range(8, 16))
    def test_encoder_respects_window(self, bits: int) -> None:
        # A decoder with exactly the negotiated window reads the stream,
        # across messages with context takeover.
        encoder = PerMessageDeflate(False, False, 15, bits)
        payloads = []
        for _ in range(3):
            frame = encoder.encode(Frame(True, OP_BINARY, self.DATA))
            assert len(frame.data) < len(self.DATA)
            payloads.append(frame.data + b"\x00\x00\xff\xff")
        assert strict_inflate(b"".join(payloads), bits) == self.DATA * 3

    def test_8_bit_window_test_is_meaningful(self) -> None:
        # A compressor with a larger window breaks an 8-bit decoder.
        (payload,) = compress_message([self.DATA], bits=10)
        with pytest.raises(zlib.error, match="too far back"):
            strict_inflate(payload, 8)

    @pytest.mark.parametrize(
        "strategy", [zlib.Z_DEFAULT_STRATEGY, zlib.Z_FILTERED, zlib.Z_FIXED]
    )
    def test_8_bit_window_overrides_strategy(self, strategy: int) -> None:
        encoder = PerMessageDeflate(False, False, 15, 8, {"strategy": strategy})
        frame = encoder.encode(Frame(True, OP_BINARY, self.DATA))
        assert strict_inflate(frame.data + b"\x00\x00\xff\xff", 8) == self.DATA

    def test_8_bit_window_keeps_huffman_only(self) -> None:
        settings = {"strategy": zlib.Z_HUFFMAN_ONLY}
        encoder = PerMessageDeflate(False, False, 15, 8, settings)
        frame = encoder.encode(Frame(True, OP_BINARY, b"\x00" * 1000))
        assert strict_inflate(frame.data + b"\x00\x00\xff\xff", 8) == bytes(1000)
        # Without matches, 1000 bytes take at least 1000 bits.
        assert len(frame.data) >= 125
        # With Z_RLE, the default for 8 bits, runs compress well.
        frame = PerMessageDeflate(False, False, 15, 8).encode(
            Frame(True, OP_BINARY, b"\x00" * 1000)
        )
        assert len(frame.data) < 20


# Round trips.


@settings(deadline=None)
@given(
    messages=st.lists(
        st.tuples(
            st.sampled_from([OP_TEXT, OP_BINARY]),
            st.lists(
                st.one_of(
                    st.binary(max_size=300),
                    st.binary(max_size=10).map(lambda b: b * 50),
                ),
                min_size=1,
                max_size=4,
            ),
        ),
        min_size=1,
        max_size=4,
    ),
    bits=st.integers(8, 15),
    local_no_context_takeover=st.booleans(),
)
def test_round_trip(
    messages: List[Tuple[int, List[bytes]]],
    bits: int,
    local_no_context_takeover: bool,
) -> None:
    encoder = PerMessageDeflate(False, local_no_context_takeover, 15, bits)
    decoder = PerMessageDeflate(local_no_context_takeover, False, bits, 15)
    for opcode, chunks in messages:
        last = len(chunks) - 1
        for i, chunk in enumerate(chunks):
            frame = Frame(i == last, OP_CONT if i else opcode, chunk)
            encoded = encoder.encode(frame)
            assert encoded.rsv1 is (i == 0)
            assert decoder.decode(encoded, max_size=len(chunk)) == frame
    if local_no_context_takeover:
        assert encoder.encoder is None
        assert decoder.decoder is None


# Negotiation (RFC 7692 7.1).

Params = List[ExtensionParameter]


def agreed(extension: PerMessageDeflate) -> Tuple[bool, bool, int, int]:
    return (
        extension.remote_no_context_takeover,
        extension.local_no_context_takeover,
        extension.remote_max_window_bits,
        extension.local_max_window_bits,
    )


class TestClientFactory:
    @pytest.mark.parametrize(
        "kwargs, offer",
        [
            ({}, []),
            ({"server_no_context_takeover": True}, [(SNCT, None)]),
            ({"client_no_context_takeover": True}, [(CNCT, None)]),
            ({"server_max_window_bits": 12}, [(SMWB, "12")]),
            ({"client_max_window_bits": True}, [(CMWB, None)]),
            ({"client_max_window_bits": 12}, [(CMWB, "12")]),
            (
                {
                    "server_no_context_takeover": True,
                    "client_no_context_takeover": True,
                    "server_max_window_bits": 8,
                    "client_max_window_bits": 15,
                },
                [(SNCT, None), (CNCT, None), (SMWB, "8"), (CMWB, "15")],
            ),
        ],
    )
    def test_get_request_params(self, kwargs: Dict[str, Any], offer: Params) -> None:
        assert ClientPerMessageDeflateFactory(**kwargs).get_request_params() == offer

    # (factory arguments, response, agreed parameters on the client: remote
    # no context takeover, local no context takeover, remote window, local
    # window) -- the remote side is the server.
    ACCEPTED = [
        # Nothing offered.
        ({}, [], (False, False, 15, 15)),
        ({}, [(SNCT, None)], (True, False, 15, 15)),
        ({}, [(CNCT, None)], (False, True, 15, 15)),
        ({}, [(SMWB, "10")], (False, False, 10, 15)),
        ({}, [(SMWB, "8")], (False, False, 8, 15)),
        ({}, [(SNCT, None), (CNCT, None), (SMWB, "9")], (True, True, 9, 15)),
        # server_no_context_takeover offered.
        ({"server_no_context_takeover": True}, [(SNCT, None)], (True, False, 15, 15)),
        # client_no_context_takeover offered: binding even if not answered.
        ({"client_no_context_takeover": True}, [], (False, True, 15, 15)),
        ({"client_no_context_takeover": True}, [(CNCT, None)], (False, True, 15, 15)),
        # server_max_window_bits offered: same or smaller value.
        ({"server_max_window_bits": 12}, [(SMWB, "12")], (False, False, 12, 15)),
        ({"server_max_window_bits": 12}, [(SMWB, "8")], (False, False, 8, 15)),
        # client_max_window_bits offered without a value: any value.
        ({"client_max_window_bits": True}, [], (False, False, 15, 15)),
        ({"client_max_window_bits": True}, [(CMWB, "8")], (False, False, 15, 8)),
        ({"client_max_window_bits": True}, [(CMWB, "15")], (False, False, 15, 15)),
        # client_max_window_bits offered with a value: same or smaller value;
        # without an answer, the offered value still binds the client.
        ({"client_max_window_bits": 12}, [], (False, False, 15, 12)),
        ({"client_max_window_bits": 12}, [(CMWB, "12")], (False, False, 15, 12)),
        ({"client_max_window_bits": 12}, [(CMWB, "9")], (False, False, 15, 9)),
        # Everything.
        (
            {
                "server_no_context_takeover": True,
                "client_no_context_takeover": True,
                "server_max_window_bits": 10,
                "client_max_window_bits": 11,
            },
            [(SNCT, None), (SMWB, "9"), (CMWB, "10")],
            (True, True, 9, 10),
        ),
    ]

    @pytest.mark.parametrize("kwargs, response, expected", ACCEPTED)
    def test_accepts_response(
        self,
        kwargs: Dict[str, Any],
        response: Params,
        expected: Tuple[bool, bool, int, int],
    ) -> None:
        factory = ClientPerMessageDeflateFactory(**kwargs)
        extension = factory.process_response_params(response, [])
        assert isinstance(extension, PerMessageDeflate)
        assert agreed(extension) == expected

    REJECTED = [
        # Responses that break the offer.
        (
            {"server_no_context_takeover": True},
            [],
            NegotiationError,
            "server_no_context_takeover offered, missing in response",
        ),
        (
            {"server_max_window_bits": 12},
            [],
            NegotiationError,
            "server_max_window_bits offered, missing in response",
        ),
        (
            {"server_max_window_bits": 12},
            [(SMWB, "13")],
            NegotiationError,
            "server_max_window_bits=13 in response, over 12 offered",
        ),
        (
            {},
            [(CMWB, "12")],
            NegotiationError,
            "client_max_window_bits in response, not offered",
        ),
        (
            {"client_max_window_bits": 12},
            [(CMWB, "13")],
            NegotiationError,
            "client_max_window_bits=13 in response, over 12 offered",
        ),
        # Invalid responses.
        ({}, [(SNCT, None), (SNCT, None)], DuplicateParameter, SNCT),
        ({}, [(SMWB, "9"), (SMWB, "9")], DuplicateParameter, SMWB),
        ({}, [("max_window_bits", "9")], InvalidParameterName, "max_window_bits"),
        ({}, [(SNCT.upper(), None)], InvalidParameterName, SNCT.upper()),
        ({}, [(SNCT, "")], InvalidParameterValue, SNCT),
        ({}, [(CNCT, "true")], InvalidParameterValue, CNCT),
        ({}, [(SMWB, None)], InvalidParameterValue, f"missing value for .*{SMWB}"),
        (
            {"client_max_window_bits": True},
            [(CMWB, None)],
            InvalidParameterValue,
            f"missing value for .*{CMWB}",
        ),
        ({}, [(SMWB, "7")], InvalidParameterValue, SMWB),
        ({}, [(SMWB, "16")], InvalidParameterValue, SMWB),
        ({}, [(SMWB, "09")], InvalidParameterValue, SMWB),
        ({}, [(SMWB, " 9")], InvalidParameterValue, SMWB),
        ({}, [(SMWB, "+9")], InvalidParameterValue, SMWB),
        ({}, [(SMWB, "")], InvalidParameterValue, SMWB),
        (
            {"client_max_window_bits": True},
            [(CMWB, "1_0")],
            InvalidParameterValue,
            CMWB,
        ),
    ]

    @pytest.mark.parametrize("kwargs, response, error, message", REJECTED)
    def test_rejects_response(
        self,
        kwargs: Dict[str, Any],
        response: Params,
        error: type,
        message: str,
    ) -> None:
        factory = ClientPerMessageDeflateFactory(**kwargs)
        with pytest.raises(error, match=message):
            factory.process_response_params(response, [])

    def test_rejects_second_permessage_deflate(self) -> None:
        factory = ClientPerMessageDeflateFactory()
        accepted = [factory.process_response_params([], [])]
        with pytest.raises(
            NegotiationError, match="permessage-deflate already accepted"
        ):
            factory.process_response_params([], accepted)

    def test_accepts_after_other_extension(self) -> None:
        other = Extension()
        other.name = ExtensionName("x-other")
        extension = ClientPerMessageDeflateFactory().process_response_params(
            [], [other]
        )
        assert isinstance(extension, PerMessageDeflate)

    def test_passes_compress_settings(self) -> None:
        factory = ClientPerMessageDeflateFactory(compress_settings={"level": 0})
        extension = factory.process_response_params([], [])
        assert extension.compress_settings == {"level": 0}

    def test_repr(self) -> None:
        factory = ClientPerMessageDeflateFactory(client_max_window_bits=True)
        assert repr(factory) == (
            "ClientPerMessageDeflateFactory(server_no_context_takeover=False, "
            "client_no_context_takeover=False, server_max_window_bits=None, "
            "client_max_window_bits=True)"
        )


class TestServerFactory:
    # (factory arguments, offer, response, agreed parameters on the server:
    # remote no context takeover, local no context takeover, remote window,
    # local window) -- the remote side is the client.
    ACCEPTED = [
        # Default configuration.
        ({}, [], [], (False, False, 15, 15)),
        ({}, [(SNCT, None)], [(SNCT, None)], (False, True, 15, 15)),
        ({}, [(CNCT, None)], [(CNCT, None)], (True, False, 15, 15)),
        ({}, [(SMWB, "10")], [(SMWB, "10")], (False, False, 15, 10)),
        ({}, [(SMWB, "8")], [(SMWB, "8")], (False, False, 15, 8)),
        # Browsers offer client_max_window_bits without a value: not echoed.
        ({}, [(CMWB, None)], [], (False, False, 15, 15)),
        # With a value, it's echoed, as in 8.x: the client's window is smaller.
        ({}, [(CMWB, "10")], [(CMWB, "10")], (False, False, 10, 15)),
        (
            {},
            [(SNCT, None), (CNCT, None), (SMWB, "9"), (CMWB, "9")],
            [(SNCT, None), (CNCT, None), (SMWB, "9"), (CMWB, "9")],
            (True, True, 9, 9),
        ),
        # server_no_context_takeover configured: sent unprompted.
        (
            {"server_no_context_takeover": True},
            [],
            [(SNCT, None)],
            (False, True, 15, 15),
        ),
        (
            {"server_no_context_takeover": True},
            [(SNCT, None)],
            [(SNCT, None)],
            (False, True, 15, 15),
        ),
        # client_no_context_takeover configured: sent unprompted.
        (
            {"client_no_context_takeover": True},
            [],
            [(CNCT, None)],
            (True, False, 15, 15),
        ),
        (
            {"client_no_context_takeover": True},
            [(CNCT, None)],
            [(CNCT, None)],
            (True, False, 15, 15),
        ),
        # server_max_window_bits configured: sent unprompted; the smaller of
        # the offer and the configuration.
        ({"server_max_window_bits": 12}, [], [(SMWB, "12")], (False, False, 15, 12)),
        (
            {"server_max_window_bits": 12},
            [(SMWB, "10")],
            [(SMWB, "10")],
            (False, False, 15, 10),
        ),
        (
            {"server_max_window_bits": 12},
            [(SMWB, "14")],
            [(SMWB, "12")],
            (False, False, 15, 12),
        ),
        # client_max_window_bits configured: needs the client's support.
        (
            {"client_max_window_bits": 12},
            [(CMWB, None)],
            [(CMWB, "12")],
            (False, False, 12, 15),
        ),
        (
            {"client_max_window_bits": 12},
            [(CMWB, "10")],
            [(CMWB, "10")],
            (False, False, 10, 15),
        ),
        (
            {"client_max_window_bits": 12},
            [(CMWB, "14")],
            [(CMWB, "12")],
            (False, False, 12, 15),
        ),
        (
            {"client_max_window_bits": 8},
            [(CMWB, None)],
            [(CMWB, "8")],
            (False, False, 8, 15),
        ),
    ]

    @pytest.mark.parametrize("kwargs, offer, response, expected", ACCEPTED)
    def test_accepts_offer(
        self,
        kwargs: Dict[str, Any],
        offer: Params,
        response: Params,
        expected: Tuple[bool, bool, int, int],
    ) -> None:
        factory = ServerPerMessageDeflateFactory(**kwargs)
        params, extension = factory.process_request_params(offer, [])
        assert params == response
        assert agreed(extension) == expected

    REJECTED = [
        # Offers the configuration can't accept.
        (
            {"client_max_window_bits": 12},
            [],
            NegotiationError,
            "client_max_window_bits required, missing in offer",
        ),
        (
            {"client_max_window_bits": 12},
            [(SNCT, None), (SMWB, "12")],
            NegotiationError,
            "client_max_window_bits required, missing in offer",
        ),
        # Invalid offers.
        ({}, [(CNCT, None), (CNCT, None)], DuplicateParameter, CNCT),
        ({}, [(CMWB, None), (CMWB, "9")], DuplicateParameter, CMWB),
        ({}, [("x", None)], InvalidParameterName, "invalid parameter name: x"),
        ({}, [(SNCT, "1")], InvalidParameterValue, SNCT),
        ({}, [(CNCT, "")], InvalidParameterValue, f"empty value for .*{CNCT}"),
        ({}, [(SMWB, None)], InvalidParameterValue, f"missing value for .*{SMWB}"),
        ({}, [(SMWB, "7")], InvalidParameterValue, f"invalid value for .*{SMWB}: 7"),
        ({}, [(CMWB, "16")], InvalidParameterValue, CMWB),
        ({}, [(CMWB, "010")], InvalidParameterValue, CMWB),
        ({}, [(CMWB, "")], InvalidParameterValue, CMWB),
    ]

    @pytest.mark.parametrize("kwargs, offer, error, message", REJECTED)
    def test_rejects_offer(
        self,
        kwargs: Dict[str, Any],
        offer: Params,
        error: type,
        message: str,
    ) -> None:
        factory = ServerPerMessageDeflateFactory(**kwargs)
        with pytest.raises(error, match=message):
            factory.process_request_params(offer, [])

    def test_rejects_second_permessage_deflate(self) -> None:
        factory = ServerPerMessageDeflateFactory()
        _, extension = factory.process_request_params([], [])
        with pytest.raises(
            NegotiationError, match="permessage-deflate already accepted"
        ):
            factory.process_request_params([], [extension])

    def test_passes_compress_settings(self) -> None:
        factory = ServerPerMessageDeflateFactory(compress_settings={"memLevel": 5})
        _, extension = factory.process_request_params([], [])
        assert extension.compress_settings == {"memLevel": 5}

    def test_repr(self) -> None:
        factory = ServerPerMessageDeflateFactory(server_max_window_bits=10)
        assert repr(factory) == (
            "ServerPerMessageDeflateFactory(server_no_context_takeover=False, "
            "client_no_context_takeover=False, server_max_window_bits=10, "
            "client_max_window_bits=None)"
        )


# Every combination of the four parameters on both sides, negotiated end to
# end: the server accepts or declines as RFC 7692 7.1 allows, the client
# accepts every response of the server, and both sides agree.

FLAGS = [False, True]
CLIENT_BITS: List[Union[int, bool, None]] = [None, True, 8, 12, 15]
SERVER_BITS: List[Optional[int]] = [None, 8, 12, 15]


def effective(*limits: Union[int, bool, None]) -> int:
    """The smallest of the limits that are set, 15 if none."""
    return min([15, *(limit for limit in limits if type(limit) is int)])


@pytest.mark.parametrize(
    "client_snct, client_cnct, client_smwb, client_cmwb",
    list(itertools.product(FLAGS, FLAGS, SERVER_BITS, CLIENT_BITS)),
)
def test_negotiation_combinations(
    client_snct: bool,
    client_cnct: bool,
    client_smwb: Optional[int],
    client_cmwb: Union[int, bool, None],
) -> None:
    client_factory = ClientPerMessageDeflateFactory(
        client_snct, client_cnct, client_smwb, client_cmwb
    )
    offer = client_factory.get_request_params()
    for server_snct, server_cnct, server_smwb, server_cmwb in itertools.product(
        FLAGS, FLAGS, SERVER_BITS, SERVER_BITS
    ):
        server_factory = ServerPerMessageDeflateFactory(
            server_snct, server_cnct, server_smwb, server_cmwb
        )
        if server_cmwb is not None and client_cmwb is None:
            with pytest.raises(NegotiationError):
                server_factory.process_request_params(offer, [])
            continue
        response, server = server_factory.process_request_params(offer, [])
        client = client_factory.process_response_params(response, [])

        # Both sides agree on each direction.
        assert client.remote_no_context_takeover == server.local_no_context_takeover
        assert client.local_no_context_takeover == server.remote_no_context_takeover
        assert client.remote_max_window_bits == server.local_max_window_bits
        assert client.local_max_window_bits == server.remote_max_window_bits

        # Each side gets what it asked for.
        assert server.local_no_context_takeover == (client_snct or server_snct)
        assert server.remote_no_context_takeover == (client_cnct or server_cnct)
        assert client.local_no_context_takeover == (client_cnct or server_cnct)
        assert server.local_max_window_bits == effective(client_smwb, server_smwb)
        assert client.local_max_window_bits == effective(client_cmwb, server_cmwb)
        # Without a server setting, a value the client offered is echoed, as
        # in 8.x; an offer without a value isn't: then both windows are 15.
        assert server.remote_max_window_bits == effective(client_cmwb, server_cmwb)
        if server_cmwb is None:
            response_cmwb = [value for name, value in response if name == CMWB]
            if type(client_cmwb) is int:
                assert response_cmwb == [str(client_cmwb)]
            else:
                assert response_cmwb == []


def test_negotiated_extensions_interoperate() -> None:
    client_factory = ClientPerMessageDeflateFactory(
        client_max_window_bits=True, server_max_window_bits=8
    )
    server_factory = ServerPerMessageDeflateFactory(client_max_window_bits=9)
    response, server = server_factory.process_request_params(
        client_factory.get_request_params(), []
    )
    client = client_factory.process_response_params(response, [])
    for message in [b"Hello", b"Hello", bytes(range(256)) * 8]:
        frame = Frame(True, OP_BINARY, message)
        assert server.decode(client.encode(frame)) == frame
        assert client.decode(server.encode(frame)) == frame


# Arguments.


class TestArguments:
    @pytest.mark.parametrize(
        "factory", [ClientPerMessageDeflateFactory, ServerPerMessageDeflateFactory]
    )
    @pytest.mark.parametrize("name", [SMWB, CMWB])
    @pytest.mark.parametrize("bits", [7, 16, 0, -1, "10", 10.0])
    def test_factory_rejects_window_bits(
        self, factory: Any, name: str, bits: Any
    ) -> None:
        with pytest.raises(ValueError, match=f"{name}={bits!r} outside 8..15"):
            factory(**{name: bits})

    @pytest.mark.parametrize(
        "factory", [ClientPerMessageDeflateFactory, ServerPerMessageDeflateFactory]
    )
    @pytest.mark.parametrize("name", [SMWB, CMWB])
    @pytest.mark.parametrize("bits", [8, 15])
    def test_factory_accepts_window_bits(
        self, factory: Any, name: str, bits: int
    ) -> None:
        assert getattr(factory(**{name: bits}), name) == bits

    def test_true_is_for_client_max_window_bits_on_client(self) -> None:
        ClientPerMessageDeflateFactory(client_max_window_bits=True)
        with pytest.raises(ValueError, match="server_max_window_bits=True"):
            ClientPerMessageDeflateFactory(server_max_window_bits=True)
        with pytest.raises(ValueError, match="client_max_window_bits=True"):
            ServerPerMessageDeflateFactory(client_max_window_bits=True)
        with pytest.raises(ValueError, match="server_max_window_bits=True"):
            ServerPerMessageDeflateFactory(server_max_window_bits=True)

    @pytest.mark.parametrize(
        "factory",
        [
            ClientPerMessageDeflateFactory,
            ServerPerMessageDeflateFactory,
            make_extension,
        ],
    )
    @pytest.mark.parametrize("key", ["wbits", "zdict"])
    def test_rejects_compress_settings(self, factory: Any, key: str) -> None:
        with pytest.raises(
            ValueError, match=f"compress_settings must not include {key}"
        ):
            factory(compress_settings={key: 9 if key == "wbits" else b"x"})

    @pytest.mark.parametrize(
        "factory", [ClientPerMessageDeflateFactory, ServerPerMessageDeflateFactory]
    )
    def test_factory_checks_compress_settings_early(self, factory: Any) -> None:
        with pytest.raises(TypeError):
            factory(compress_settings={"levle": 1})
        with pytest.raises(ValueError):
            factory(compress_settings={"level": 42})

    def test_factory_copies_compress_settings(self) -> None:
        settings = {"level": 1}
        factory = ClientPerMessageDeflateFactory(compress_settings=settings)
        settings["level"] = 42
        assert factory.compress_settings == {"level": 1}

    @pytest.mark.parametrize("remote, local", [(7, 15), (15, 16), (True, 15)])
    def test_extension_rejects_window_bits(self, remote: Any, local: Any) -> None:
        with pytest.raises(ValueError, match="outside 8..15"):
            PerMessageDeflate(False, False, remote, local)

    def test_extension_repr(self) -> None:
        extension = PerMessageDeflate(True, False, 10, 12)
        assert repr(extension) == (
            "PerMessageDeflate(remote_no_context_takeover=True, "
            "local_no_context_takeover=False, remote_max_window_bits=10, "
            "local_max_window_bits=12)"
        )

    def test_names(self) -> None:
        assert PerMessageDeflate.name == "permessage-deflate"
        assert ClientPerMessageDeflateFactory.name == "permessage-deflate"
        assert ServerPerMessageDeflateFactory.name == "permessage-deflate"

    def test_all(self) -> None:
        assert set(permessage_deflate.__all__) >= {
            "ClientPerMessageDeflateFactory",
            "PerMessageDeflate",
            "ServerPerMessageDeflateFactory",
        }


# Defaults for compression="deflate".


class TestEnable:
    def test_client_default_offer(self) -> None:
        (factory,) = enable_client_permessage_deflate(None)
        assert isinstance(factory, ClientPerMessageDeflateFactory)
        assert factory.get_request_params() == [(CMWB, None)]
        assert factory.compress_settings == {"memLevel": DEFAULT_MEM_LEVEL}

    def test_client_appends_to_other_extensions(self) -> None:
        other = ClientExtensionFactory()
        other.name = ExtensionName("x-other")
        extensions = enable_client_permessage_deflate([other])
        assert extensions[0] is other
        assert isinstance(extensions[1], ClientPerMessageDeflateFactory)

    def test_client_keeps_configured_factory(self) -> None:
        factory = ClientPerMessageDeflateFactory(server_max_window_bits=10)
        assert enable_client_permessage_deflate([factory]) == [factory]

    def test_client_doesnt_modify_argument(self) -> None:
        extensions: List[ClientExtensionFactory] = []
        assert len(enable_client_permessage_deflate(extensions)) == 1
        assert extensions == []

    def test_server_default(self) -> None:
        (factory,) = enable_server_permessage_deflate(None)
        assert isinstance(factory, ServerPerMessageDeflateFactory)
        assert factory.server_max_window_bits == DEFAULT_WINDOW_BITS == 12
        assert factory.client_max_window_bits == DEFAULT_WINDOW_BITS
        assert factory.compress_settings == {"memLevel": DEFAULT_MEM_LEVEL}
        assert DEFAULT_MEM_LEVEL == 5

    def test_server_default_limits_both_windows(self) -> None:
        (factory,) = enable_server_permessage_deflate(None)
        response, extension = factory.process_request_params([(CMWB, None)], [])
        assert response == [(SMWB, "12"), (CMWB, "12")]
        assert extension.local_max_window_bits == 12
        assert extension.remote_max_window_bits == 12

    def test_server_default_accepts_offer_without_client_max_window_bits(
        self,
    ) -> None:
        # The client may then use a 15-bit window: decompress with 15 bits.
        (factory,) = enable_server_permessage_deflate(None)
        response, extension = factory.process_request_params([], [])
        assert response == [(SMWB, "12")]
        assert extension.remote_max_window_bits == 15
        client = PerMessageDeflate(False, False, 12, 15)
        frame = Frame(True, OP_TEXT, b"spam " * 10000)
        assert extension.decode(client.encode(frame)) == frame

    def test_configured_server_declines_offer_without_client_max_window_bits(
        self,
    ) -> None:
        factory = ServerPerMessageDeflateFactory(client_max_window_bits=12)
        with pytest.raises(NegotiationError):
            factory.process_request_params([], [])

    def test_server_appends_to_other_extensions(self) -> None:
        other = ServerExtensionFactory()
        other.name = ExtensionName("x-other")
        extensions = enable_server_permessage_deflate((other,))
        assert extensions[0] is other
        assert isinstance(extensions[1], ServerPerMessageDeflateFactory)

    def test_server_keeps_configured_factory(self) -> None:
        factory = ServerPerMessageDeflateFactory(server_max_window_bits=10)
        assert enable_server_permessage_deflate([factory]) == [factory]

    @pytest.mark.parametrize(
        "offer",
        [
            # Chromium and Firefox.
            [(CMWB, None)],
            [(SNCT, None), (CNCT, None), (CMWB, None)],
        ],
    )
    def test_defaults_accept_browser_offers(self, offer: Params) -> None:
        (server_factory,) = enable_server_permessage_deflate(None)
        response, extension = server_factory.process_request_params(offer, [])
        assert isinstance(extension, PerMessageDeflate)

    def test_defaults_interoperate(self) -> None:
        (client_factory,) = enable_client_permessage_deflate(None)
        (server_factory,) = enable_server_permessage_deflate(None)
        response, server = server_factory.process_request_params(
            client_factory.get_request_params(), []
        )
        assert response == [(SMWB, "12"), (CMWB, "12")]
        client = client_factory.process_response_params(response, [])
        assert isinstance(client, PerMessageDeflate)
        frame = Frame(True, OP_TEXT, "café".encode())
        assert server.decode(client.encode(frame)) == frame
        assert client.decode(server.encode(frame)) == frame


class TestDecodeLargeFrames:
    """Final frames over SMALL_PAYLOAD get the tail in a second call."""

    @staticmethod
    def compressed(data: bytes) -> bytes:
        encoder = zlib.compressobj(wbits=-15)
        payload = encoder.compress(data) + encoder.flush(zlib.Z_SYNC_FLUSH)
        assert payload.endswith(b"\x00\x00\xff\xff")
        return payload[:-4]

    def test_large_frame_with_max_size(self) -> None:
        # Incompressible: random bytes (Random.randbytes is Python 3.9+).
        data = random.Random(42).getrandbits(8 * 8000).to_bytes(8000, "little")
        payload = self.compressed(data)
        assert len(payload) > SMALL_PAYLOAD
        frame = Frame(True, OP_BINARY, payload, rsv1=True)
        assert make_extension().decode(frame, max_size=8000).data == data
        assert make_extension().decode(frame).data == data
        with pytest.raises(PayloadTooBig, match="frame over 7999 bytes"):
            make_extension().decode(frame, max_size=7999)
