"""
Read and write WebSocket frames (RFC 6455 5).

This module deals with one frame at a time. What depends on the sequence of
frames (fragmentation, the closing handshake) lives in
:mod:`websockets.connection`.

The frame parser, :func:`parse_frame`, is a generator: it yields how many bytes
it needs and receives exactly that many. :meth:`Frame.read` drives it from a
stream; :class:`~websockets.connection.Connection` drives it from a buffer.

"""

import os
import struct
from typing import (
    TYPE_CHECKING,
    Any,
    Awaitable,
    Callable,
    Generator,
    List,
    NamedTuple,
    Optional,
    Sequence,
    Tuple,
)

from .exceptions import PayloadTooBig, ProtocolError
from .typing import Data
from .utils import BytesLike, _speedups, apply_mask


if TYPE_CHECKING:
    from .extensions.base import Extension


__all__ = [
    "CTRL_OPCODES",
    "DATA_OPCODES",
    "OP_BINARY",
    "OP_CLOSE",
    "OP_CONT",
    "OP_PING",
    "OP_PONG",
    "OP_TEXT",
    "Frame",
    "encode_data",
    "parse_close",
    "parse_frame",
    "prepare_data",
    "serialize_close",
]

# RFC 6455 5.2: opcodes.
OP_CONT, OP_TEXT, OP_BINARY = 0x00, 0x01, 0x02
OP_CLOSE, OP_PING, OP_PONG = 0x08, 0x09, 0x0A

DATA_OPCODES = (OP_CONT, OP_TEXT, OP_BINARY)
CTRL_OPCODES = (OP_CLOSE, OP_PING, OP_PONG)

# RFC 6455 7.4.1 and 7.4.2: codes that may appear in a close frame. 1004,
# 1005, 1006 and 1015 are reserved and must not be sent on the wire.
EXTERNAL_CLOSE_CODES = frozenset(
    {1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014}
)

# RFC 6455 5.5: control frames carry at most 125 bytes.
MAX_CONTROL_PAYLOAD = 125

OPCODE_NAMES = {
    OP_CONT: "CONT",
    OP_TEXT: "TEXT",
    OP_BINARY: "BINARY",
    OP_CLOSE: "CLOSE",
    OP_PING: "PING",
    OP_PONG: "PONG",
}

_pack_short = struct.Struct("!BB").pack
_pack_medium = struct.Struct("!BBH").pack
_pack_long = struct.Struct("!BBQ").pack
_unpack_medium = struct.Struct("!H").unpack_from
_unpack_long = struct.Struct("!Q").unpack_from

# RFC 6455 5.3: masking keys must be unpredictable. They come from os.urandom,
# read for _MASK_KEYS_PER_READ frames at once: a getrandom() system call per
# frame costs about 0.7 µs, as much as the rest of encoding a small frame.
_MASK_KEYS_PER_READ = 256
_mask_keys: List[bytes] = []
if hasattr(os, "register_at_fork"):  # pragma: no branch
    # A child process must not reuse the keys of its parent.
    os.register_at_fork(after_in_child=_mask_keys.clear)


def new_mask_key() -> bytes:
    """Return a fresh 4-byte masking key from the operating system's CSPRNG."""
    try:
        return _mask_keys.pop()
    except IndexError:
        # The pool is empty. (Checking first would race with other threads.)
        pool = os.urandom(4 * _MASK_KEYS_PER_READ)
        keys = [pool[i : i + 4] for i in range(0, len(pool), 4)]
        key = keys.pop()
        _mask_keys.extend(keys)
        return key


class Frame(NamedTuple):
    """
    WebSocket frame (RFC 6455 5.2).

    Only these fields are needed: the MASK bit, payload length and masking
    key are handled on the fly by :meth:`read` and :meth:`write`.

    Attributes:
        fin: FIN bit.
        opcode: opcode.
        data: payload data.
        rsv1: RSV1 bit.
        rsv2: RSV2 bit.
        rsv3: RSV3 bit.

    """

    fin: bool
    opcode: int
    data: bytes
    rsv1: bool = False
    rsv2: bool = False
    rsv3: bool = False

    def __str__(self) -> str:
        """Describe the frame for debug logs, with a short excerpt of its data."""
        name = OPCODE_NAMES.get(self.opcode, str(self.opcode))
        flags = "".join(
            flag
            for flag, value in (
                (" fin", self.fin),
                (" rsv1", self.rsv1),
                (" rsv2", self.rsv2),
                (" rsv3", self.rsv3),
            )
            if value
        )
        data = bytes(self.data)
        excerpt = repr(data[:24] + b"..." if len(data) > 27 else data)
        return f"{name}{flags} {excerpt} [{len(data)} bytes]"

    def check(self) -> None:
        """
        Check that reserved bits and opcode have acceptable values.

        Raises:
            ProtocolError: if a reserved bit or the opcode is invalid, or a
                control frame is fragmented or longer than 125 bytes
                (RFC 6455 5.2 and 5.5).

        """
        if self.rsv1 or self.rsv2 or self.rsv3:
            raise ProtocolError("reserved bits must be 0")
        if self.opcode in DATA_OPCODES:
            return
        if self.opcode in CTRL_OPCODES:
            if len(self.data) > MAX_CONTROL_PAYLOAD:
                raise ProtocolError(
                    f"control frame of {len(self.data)} bytes, over 125"
                )
            if not self.fin:
                raise ProtocolError("fragmented control frame")
            return
        raise ProtocolError(f"invalid opcode: {self.opcode}")

    @classmethod
    async def read(
        cls,
        reader: Callable[[int], Awaitable[bytes]],
        *,
        mask: bool,
        max_size: Optional[int] = None,
        extensions: Optional[Sequence["Extension"]] = None,
    ) -> "Frame":
        """
        Read a WebSocket frame.

        Args:
            reader: coroutine that reads exactly the requested number of
                bytes, unless the end of file is reached.
            mask: whether the frame should be masked, i.e. whether the read
                happens on the server side.
            max_size: maximum payload size in bytes.
            extensions: extensions whose ``decode()`` method transforms the
                frame; they're applied in reverse order.

        Raises:
            PayloadTooBig: if the payload exceeds ``max_size``.
            ProtocolError: if the frame contains incorrect values.

        """
        parser = parse_frame(mask=mask, max_size=max_size, extensions=extensions)
        try:
            size = next(parser)
            while True:
                size = parser.send(await reader(size))
        except StopIteration as exc:
            frame: Frame = exc.value
            return frame

    def serialize(
        self,
        *,
        mask: bool,
        extensions: Optional[Sequence["Extension"]] = None,
    ) -> bytes:
        """
        Serialize the frame to bytes, ready to be written on the wire.

        Args:
            mask: whether the frame should be masked, i.e. whether it's sent
                by a client.
            extensions: extensions whose ``encode()`` method transforms the
                frame; they're applied in order.

        Raises:
            ProtocolError: if the frame contains incorrect values.

        """
        # Check before encoding: extensions may set reserved bits (RFC 6455 5.2).
        self.check()
        frame = self
        if extensions:
            for extension in extensions:
                frame = extension.encode(frame)
        return serialize_frame(frame, mask)

    def write(
        self,
        writer: Callable[[bytes], Any],
        *,
        mask: bool,
        extensions: Optional[Sequence["Extension"]] = None,
    ) -> None:
        """
        Write a WebSocket frame with ``writer``, in a single call.

        Args:
            writer: function that writes bytes.
            mask: whether the frame should be masked, i.e. whether the write
                happens on the client side.
            extensions: extensions whose ``encode()`` method transforms the
                frame; they're applied in order.

        Raises:
            ProtocolError: if the frame contains incorrect values.

        """
        writer(self.serialize(mask=mask, extensions=extensions))


def serialize_frame(frame: Frame, mask: bool) -> bytes:
    """Encode a checked frame: header, optional masking key, payload (RFC 6455 5.2)."""
    head = (
        (0x80 if frame.fin else 0)
        | (0x40 if frame.rsv1 else 0)
        | (0x20 if frame.rsv2 else 0)
        | (0x10 if frame.rsv3 else 0)
        | frame.opcode
    )
    return encode_frame(head, frame.data, mask)


def _encode_frame_python(head: int, data: BytesLike, mask: bool) -> bytes:
    """
    Encode a frame from its first byte and its payload (RFC 6455 5.2).

    ``head`` holds the FIN bit, the RSV bits and the opcode. The connection
    calls this directly for data frames when no extension transforms them.

    This is the pure Python implementation, always available;
    :func:`encode_frame` is the C one when ``websockets.speedups`` is built.

    """
    length = len(data)
    mask_bit = 0x80 if mask else 0
    if length < 126:
        header = _pack_short(head, mask_bit | length)
    elif length < 65536:
        header = _pack_medium(head, mask_bit | 126, length)
    else:
        header = _pack_long(head, mask_bit | 127, length)
    if mask:
        # RFC 6455 5.3: a fresh, unpredictable masking key for every frame.
        key = new_mask_key()
        return b"".join((header, key, apply_mask(data, key)))
    if type(data) is bytes:
        return header + data
    return b"".join((header, data))


encode_frame: Callable[[int, BytesLike, bool], bytes] = _encode_frame_python
if _speedups is not None:  # pragma: no branch
    # The C extension is built: chosen at import time, like apply_mask.
    # Measured with bench/instructions.py under callgrind: 2.0k fewer
    # instructions per streamed 16-byte message (23.8k to 21.8k), 2.8k fewer
    # per 16-byte round trip (see docs/performance.rst).
    _encode_frame_c: Callable[[int, BytesLike, Optional[bytes]], bytes] = (
        _speedups.encode_frame
    )

    def _encode_frame_speedups(head: int, data: BytesLike, mask: bool) -> bytes:
        """
        Encode a frame like :func:`_encode_frame_python`, in C.

        The masking key still comes from :func:`new_mask_key`; the header, the
        key and the masked payload are written in one allocation.

        """
        # RFC 6455 5.3: a fresh, unpredictable masking key for every frame.
        return _encode_frame_c(head, data, new_mask_key() if mask else None)

    encode_frame = _encode_frame_speedups


def parse_frame(
    *,
    mask: bool,
    max_size: Optional[int] = None,
    extensions: Optional[Sequence["Extension"]] = None,
) -> Generator[int, bytes, Frame]:
    """
    Parse one WebSocket frame (RFC 6455 5.2).

    This generator yields the number of bytes it needs next and must be sent
    exactly that many bytes. It returns the :class:`Frame`, decoded by
    ``extensions`` (in reverse order) and checked.

    Args:
        mask: whether the frame must be masked, i.e. whether it's received by
            a server (RFC 6455 5.1).
        max_size: maximum payload size in bytes; a larger frame is rejected
            before its payload is read.
        extensions: extensions whose ``decode()`` method transforms the frame.

    Raises:
        PayloadTooBig: if the payload exceeds ``max_size``.
        ProtocolError: if the frame breaks RFC 6455.

    """
    head = yield 2
    first, second = head[0], head[1]
    fin, opcode, length, masked, extra = decode_header(first, second, mask)
    key = b""
    if extra:
        more = yield extra
        if length == 126:
            length = _unpack_medium(more)[0]
        elif length == 127:
            length = _unpack_long(more)[0]
        if masked:
            key = more[-4:]
    check_length(opcode, length, max_size)
    data = (yield length) if length else b""
    if masked:
        data = apply_mask(data, key)
    return build_frame(first, fin, opcode, data, extensions, max_size)


def build_frame(
    first: int,
    fin: bool,
    opcode: int,
    data: bytes,
    extensions: Optional[Sequence["Extension"]],
    max_size: Optional[int],
) -> Frame:
    """
    Build a received frame from its parts, decode it with ``extensions`` and check it.

    This is the last step of :func:`parse_frame`, shared with the fast path of
    :class:`~websockets.connection.Connection` for small frames.

    """
    frame = Frame(
        fin, opcode, data, bool(first & 0x40), bool(first & 0x20), bool(first & 0x10)
    )
    if extensions:
        for extension in reversed(extensions):
            frame = extension.decode(frame, max_size=max_size)
    frame.check()
    return frame


def decode_header(
    first: int, second: int, mask: bool
) -> Tuple[bool, int, int, bool, int]:
    """
    Decode the first two bytes of a frame.

    Returns ``(fin, opcode, length, masked, extra)`` where ``length`` is the
    7-bit payload length (126 and 127 announce an extended length) and
    ``extra`` is how many more header bytes follow (extended length and
    masking key).

    Raises:
        ProtocolError: if the frame isn't masked as RFC 6455 5.1 requires or
            has an unknown opcode.

    """
    masked = bool(second & 0x80)
    if masked is not mask:
        # RFC 6455 5.1: clients mask every frame, servers never do.
        expected = "a masked" if mask else "an unmasked"
        raise ProtocolError(f"incorrect masking: expected {expected} frame")
    opcode = first & 0x0F
    if opcode not in DATA_OPCODES and opcode not in CTRL_OPCODES:
        raise ProtocolError(f"invalid opcode: {opcode}")
    length = second & 0x7F
    extra = (2 if length == 126 else 8 if length == 127 else 0) + (4 if masked else 0)
    return bool(first & 0x80), opcode, length, masked, extra


def check_length(opcode: int, length: int, max_size: Optional[int]) -> None:
    """
    Reject a payload length before any of the payload is read.

    ``max_size`` applies to data frames only.

    Raises:
        ProtocolError: for a control frame over 125 bytes (RFC 6455 5.5) or a
            length with its most significant bit set (RFC 6455 5.2).
        PayloadTooBig: if ``length`` exceeds ``max_size``.

    """
    if opcode >= OP_CLOSE:
        # Control frames are bounded by RFC 6455 5.5, not by max_size.
        if length > MAX_CONTROL_PAYLOAD:
            raise ProtocolError(f"control frame of {length} bytes, over 125")
        return
    if length >= 1 << 63:
        raise ProtocolError("payload length with the most significant bit set")
    if max_size is not None and length > max_size:
        raise PayloadTooBig(f"frame of {length} bytes over max_size {max_size}")


def prepare_data(data: Any) -> Tuple[int, bytes]:
    """
    Convert a string or bytes-like object to an opcode and a bytes-like object.

    This function is designed for data frames: a ``str`` gives
    :data:`OP_TEXT` and its UTF-8 encoding, a bytes-like object gives
    :data:`OP_BINARY` and the object itself.

    Raises:
        TypeError: if ``data`` doesn't have a supported type.

    """
    if isinstance(data, str):
        return OP_TEXT, data.encode("utf-8")
    if isinstance(data, (bytes, bytearray)):
        return OP_BINARY, data
    if isinstance(data, memoryview):
        # A view of multi-byte items has fewer items than bytes: cast it to
        # bytes, so that len() gives the payload length in the frame header.
        if data.c_contiguous:
            return OP_BINARY, data.cast("B")
        return OP_BINARY, data.tobytes()
    raise TypeError(f"data must be str or bytes-like, not {type(data).__name__}")


def encode_data(data: Data) -> bytes:
    """
    Convert a string or bytes-like object to bytes.

    This function is designed for ping and pong frames: a ``str`` is encoded
    to UTF-8, a bytes-like object is copied to ``bytes``.

    Raises:
        TypeError: if ``data`` doesn't have a supported type.

    """
    if isinstance(data, str):
        return data.encode("utf-8")
    if isinstance(data, (bytes, bytearray, memoryview)):
        return bytes(data)
    raise TypeError(f"data must be str or bytes-like, not {type(data).__name__}")


def parse_close(data: bytes) -> Tuple[int, str]:
    """
    Parse the payload of a close frame into ``(code, reason)`` (RFC 6455 5.5.1).

    An empty payload gives code 1005 (no status code) and an empty reason.

    Raises:
        ProtocolError: if the payload is one byte long or the code is invalid
            (RFC 6455 7.4).
        UnicodeDecodeError: if the reason isn't valid UTF-8.

    """
    length = len(data)
    if length >= 2:
        code = int.from_bytes(data[:2], "big")
        check_close(code)
        reason = bytes(data[2:]).decode("utf-8")
        return code, reason
    if length == 0:
        return 1005, ""
    raise ProtocolError("close frame payload of 1 byte: too short for a code")


def serialize_close(code: int, reason: str) -> bytes:
    """
    Serialize the payload of a close frame: the reverse of :func:`parse_close`.

    Raises:
        ProtocolError: if the code may not be sent on the wire.

    """
    check_close(code)
    return code.to_bytes(2, "big") + reason.encode("utf-8")


def check_close(code: int) -> None:
    """
    Check that a close code may appear in a close frame (RFC 6455 7.4).

    Raises:
        ProtocolError: if the code is reserved, unassigned or out of range.

    """
    if not (code in EXTERNAL_CLOSE_CODES or 3000 <= code < 5000):
        raise ProtocolError(f"invalid status code: {code}")
