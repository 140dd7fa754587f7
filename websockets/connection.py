"""
Sans-I/O core of the data transfer phase (RFC 6455 5 to 8).

:class:`Connection` does no I/O and has no clock: feed it the bytes received
with :meth:`~Connection.receive_data` and :meth:`~Connection.receive_eof`,
ask it to send messages and control frames, then collect what happened with
:meth:`~Connection.events_received` and the bytes to write with
:meth:`~Connection.data_to_send`.

Events are complete messages, as :class:`str` for Text and :class:`bytes` for
Binary, and the control frames received, as :class:`~websockets.framing.Frame`
(PING, PONG and CLOSE). Pings are answered automatically; the closing
handshake is driven by the core.

"""

import codecs
import enum
import logging
from typing import Any, Callable, Generator, List, Optional, Sequence, Tuple, Union

from .exceptions import (
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    InvalidState,
    PayloadTooBig,
    ProtocolError,
)
from .extensions.base import Extension
from .extensions.permessage_deflate import PerMessageDeflate
from .framing import (
    OP_BINARY,
    OP_CLOSE,
    OP_CONT,
    OP_PING,
    OP_PONG,
    OP_TEXT,
    Frame,
    _unpack_long,
    _unpack_medium,
    build_frame,
    check_length,
    decode_header,
    encode_frame,
    parse_close,
    parse_frame,
    serialize_close,
)
from .utils import _speedups, apply_mask


__all__ = [
    "CLIENT",
    "CLOSED",
    "CLOSING",
    "CONNECTING",
    "OPEN",
    "SERVER",
    "CloseReason",
    "Connection",
    "Event",
    "Side",
    "State",
]

logger = logging.getLogger("websockets.protocol")


class Side(str, enum.Enum):
    """
    Role of an endpoint: servers receive masked frames, clients send them.

    Members equal the strings ``"server"`` and ``"client"``, the values of
    the ``side`` attribute of protocols in websockets 8.x.

    """

    SERVER = "server"
    CLIENT = "client"


SERVER = Side.SERVER
CLIENT = Side.CLIENT


class State(enum.IntEnum):
    """State of a WebSocket connection (RFC 6455 4 and 7)."""

    CONNECTING = 0
    OPEN = 1
    CLOSING = 2
    CLOSED = 3


CONNECTING = State.CONNECTING
OPEN = State.OPEN
CLOSING = State.CLOSING
CLOSED = State.CLOSED


class CloseReason(enum.Enum):
    """Why a connection ended, for logs and metrics."""

    PEER_CLOSE = "peer closed"
    LOCAL_CLOSE = "closed locally"
    TRANSPORT_LOST = "transport lost"
    PROTOCOL_ERROR = "protocol error"
    INVALID_DATA = "invalid data"
    MESSAGE_TOO_BIG = "message too big"
    KEEPALIVE_TIMEOUT = "keepalive timeout"
    SHUTDOWN = "server shutdown"
    INTERNAL_ERROR = "internal error"


Event = Union[str, bytes, Frame]
"""What :meth:`Connection.events_received` returns: a message or a control frame."""

# RFC 6455 5.5: control frames carry at most 125 bytes, 2 of which are the
# close code in a close frame.
MAX_CLOSE_REASON = 123

_utf8_decoder = codecs.getincrementaldecoder("utf-8")

# The C parser of runs of whole messages (websockets.speedups.parse_messages),
# when the extension is built, chosen at import time like apply_mask; else
# None, and the fast path below parses one frame at a time in Python.
_parse_messages: Optional[
    Callable[
        [bytearray, List[Any], bool, Optional[int], bool, bool],
        Tuple[int, int, Optional[bytes]],
    ]
] = None if _speedups is None else _speedups.parse_messages


class Connection:
    """
    Sans-I/O WebSocket connection, in the data transfer phase.

    Args:
        side: :data:`CLIENT` or :data:`SERVER`.
        state: initial state; :data:`OPEN` once the opening handshake is
            done. A connection created in :data:`CONNECTING` is opened with
            :meth:`open`.
        max_size: maximum size of incoming messages in bytes, after
            decompression; ``None`` disables the limit.
        extensions: negotiated extensions, in the order of the handshake.
        defer_failures: on a protocol violation in received data, hold the
            failure in :attr:`pending_failure` instead of failing at once:
            stop parsing, then fail with :meth:`fail_pending` once the
            application has acted on the messages received before it.

    """

    # Slots: less memory per connection than an instance dict.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_buffer",
        "_deflate",
        "_discard",
        "_events",
        "_msg_buffer",
        "_msg_decoder",
        "_msg_opcode",
        "_msg_size",
        "_need",
        "_output",
        "_parser",
        "_pending_pong",
        "_plain_messages",
        "_pongs_paused",
        "_probe",
        "_probe_pos",
        "_send_fragmented",
        "close_cause",
        "close_rcvd",
        "close_rcvd_code",
        "close_rcvd_reason",
        "close_sent_code",
        "close_sent_reason",
        "debug",
        "defer_failures",
        "eof_rcvd",
        "eof_sent",
        "extensions",
        "failure",
        "max_size",
        "pending_failure",
        "side",
        "state",
    )

    def __init__(
        self,
        side: Side,
        *,
        state: State = OPEN,
        max_size: Optional[int] = 2**20,
        extensions: Optional[Sequence[Extension]] = None,
        defer_failures: bool = False,
    ) -> None:
        self.side = side
        self.state = state
        self.defer_failures = defer_failures
        # (code, reason) of a failure held by defer_failures.
        self.pending_failure: Optional[Tuple[int, str]] = None
        self.max_size = max_size
        self.extensions: List[Extension] = list(extensions or [])
        self._plain_messages = plain_messages(self.extensions)
        self._deflate = only_deflate(self.extensions)
        # Only computed once: debug logs cost nothing when disabled.
        self.debug = logger.isEnabledFor(logging.DEBUG)

        # Closing handshake (RFC 6455 7.1.5 and 7.1.6).
        self.close_rcvd: Optional[Frame] = None
        self.close_rcvd_code: Optional[int] = None
        self.close_rcvd_reason = ""
        self.close_sent_code: Optional[int] = None
        self.close_sent_reason = ""
        self.eof_sent = False
        self.eof_rcvd = False
        self.close_cause: Optional[CloseReason] = None
        self.failure: Optional[BaseException] = None

        # Incoming bytes and the frame parser waiting for them.
        self._buffer = bytearray()
        self._parser: Optional[Generator[int, bytes, Frame]] = None
        self._need = 0
        self._discard = False

        # Incoming fragmented message.
        self._msg_opcode: Optional[int] = None
        self._msg_buffer = bytearray()
        self._msg_size = 0
        self._msg_decoder: Optional[codecs.IncrementalDecoder] = None

        # UTF-8 validation of a Text frame's payload as it arrives: the
        # decoder, the masking key, and how many bytes were checked.
        self._probe: Optional[Tuple[codecs.IncrementalDecoder, Optional[bytes]]] = None
        self._probe_pos = 0

        # Outgoing fragmented message.
        self._send_fragmented = False

        # Automatic pongs held while the peer doesn't read what we send.
        self._pongs_paused = False
        self._pending_pong: Optional[bytes] = None

        self._events: List[Event] = []
        self._output: List[bytes] = []

    def open(self, extensions: Optional[Sequence[Extension]] = None) -> None:
        """
        Move from :data:`CONNECTING` to :data:`OPEN` after the opening handshake.

        Args:
            extensions: extensions negotiated in the handshake.

        Raises:
            InvalidState: if the connection isn't :data:`CONNECTING`.

        """
        if self.state is not CONNECTING:
            raise InvalidState(f"cannot open a connection in state {self.state.name}")
        self.extensions = list(extensions or [])
        self._plain_messages = plain_messages(self.extensions)
        self._deflate = only_deflate(self.extensions)
        self.state = OPEN  # RFC 6455 4.1 and 4.2.2: the connection is established

    # Public API: receive.

    def receive_data(self, data: Union[bytes, bytearray, memoryview]) -> None:
        """
        Feed bytes received from the network.

        Complete frames are parsed at once; a partial frame waits for more
        bytes. Protocol violations fail the connection with the close code of
        RFC 6455 7.4.1 rather than raise.

        """
        if self._discard:
            # After a Close frame (RFC 6455 5.5.1), EOF or a failure.
            return
        buffer = self._buffer
        buffer += data
        if len(buffer) < self._need and self._probe is None:
            return
        try:
            self._parse(buffer)
        except ProtocolError as exc:
            self._fail_on(exc, 1002, CloseReason.PROTOCOL_ERROR)
        except UnicodeDecodeError as exc:
            self._fail_on(exc, 1007, CloseReason.INVALID_DATA)
        except PayloadTooBig as exc:
            if self._msg_size:
                exc = PayloadTooBig(
                    f"fragmented message over max_size {self.max_size}: "
                    f"{self._msg_size} bytes received, then {exc}"
                )
            self._fail_on(exc, 1009, CloseReason.MESSAGE_TOO_BIG)
        except Exception as exc:
            logger.error("unexpected error while parsing frames", exc_info=True)
            self._fail_on(exc, 1011, CloseReason.INTERNAL_ERROR)

    def receive_eof(self) -> None:
        """
        Record that the peer closed its side of the TCP connection.

        After this, the connection is :data:`CLOSED`. Without a close frame
        received first, the close code is 1006 (RFC 6455 7.1.5).

        """
        if self.eof_rcvd:
            return
        self.eof_rcvd = True
        self._discard = True
        if self.close_cause is None:
            self.close_cause = CloseReason.TRANSPORT_LOST
        self.state = CLOSED  # RFC 6455 7.1.4: the WebSocket connection is closed
        # A client closes its side once the server has (RFC 6455 7.1.1).
        if not self.eof_sent:
            self._send_eof()

    def events_received(self) -> List[Event]:
        """Return the events received since the last call, oldest first."""
        events, self._events = self._events, []
        return events

    def data_to_send(self) -> List[bytes]:
        """
        Return the bytes to write since the last call, in order.

        An empty ``bytes`` means: half-close the connection now (send EOF),
        after writing everything before it.

        """
        output, self._output = self._output, []
        return output

    def close_expected(self) -> bool:
        """
        Tell whether the peer should now close the TCP connection.

        When it's true, a caller starts a timeout and closes the TCP connection
        itself if the peer doesn't (RFC 6455 7.1.1).

        """
        return self.state is CLOSING or self.eof_sent

    # Public API: send.

    def send_text(self, data: bytes, fin: bool = True) -> None:
        """Send a Text frame, already encoded in UTF-8, starting a message."""
        self._send_data(OP_TEXT, data, fin)

    def send_binary(self, data: bytes, fin: bool = True) -> None:
        """Send a Binary frame, starting a message."""
        self._send_data(OP_BINARY, data, fin)

    def send_continuation(self, data: bytes, fin: bool) -> None:
        """
        Send a Continuation frame of the message being sent.

        Raises:
            InvalidState: if no fragmented message is being sent.

        """
        if not self._send_fragmented:
            raise InvalidState("no fragmented message is being sent")
        self._send_data(OP_CONT, data, fin)

    def send_ping(self, data: bytes) -> None:
        """Send a Ping frame (RFC 6455 5.5.2)."""
        self._send_control(OP_PING, data)

    def send_pong(self, data: bytes) -> None:
        """Send a Pong frame (RFC 6455 5.5.3)."""
        self._send_control(OP_PONG, data)

    def send_close(self, code: Optional[int] = None, reason: str = "") -> None:
        """
        Start the closing handshake by sending a Close frame (RFC 6455 7.1.2).

        Args:
            code: close code; ``None`` sends a Close frame without a payload.
            reason: close reason, at most 123 bytes once UTF-8 encoded.

        Raises:
            InvalidState: if the connection isn't open.
            ProtocolError: if the code may not be sent or the reason is too long.

        """
        if self.state is not OPEN:
            raise InvalidState(f"cannot close a connection in state {self.state.name}")
        if code is None:
            if reason:
                raise ProtocolError("cannot send a reason without a code")
            data = b""
        else:
            data = serialize_close(code, reason)
            if len(data) > 125:
                raise ProtocolError(
                    f"close reason of {len(data) - 2} bytes, over {MAX_CLOSE_REASON}"
                )
        self._write_close(code, reason, data)
        self.close_cause = CloseReason.LOCAL_CLOSE

    def fail(
        self,
        code: int,
        reason: str = "",
        cause: CloseReason = CloseReason.INTERNAL_ERROR,
    ) -> None:
        """
        Fail the connection (RFC 6455 7.1.7).

        Send a Close frame with ``code`` if the connection is open, stop
        processing incoming data, and half-close the TCP connection.

        """
        if self.state is OPEN and code != 1006:
            reason = truncate_reason(reason)
            self._write_close(code, reason, serialize_close(code, reason))
        if self.close_cause is None:
            self.close_cause = cause
        self._discard = True
        self._buffer.clear()
        self._parser = None
        self._need = 0
        if self.state is OPEN or self.state is CONNECTING:
            self.state = CLOSING
        if not self.eof_sent:
            self._send_eof()

    def pause_pongs(self) -> None:
        """
        Hold automatic pongs, e.g. while the peer doesn't read.

        Only the pong answering the latest ping is kept, so that a peer that
        sends pings without reading can't make outgoing data grow.

        """
        self._pongs_paused = True

    def resume_pongs(self) -> None:
        """Send the pong held by :meth:`pause_pongs`, if any, and answer pings again."""
        self._pongs_paused = False
        pong, self._pending_pong = self._pending_pong, None
        if pong is not None and self.state is OPEN:
            self._send_control(OP_PONG, pong)

    # Properties for the adapter.

    @property
    def close_code(self) -> Optional[int]:
        """
        Close code of the connection, once it's known; else ``None``.

        This is the code of the Close frame received (1005 if it had none).
        When the connection ended without one, it's 1006, even if this side
        failed the connection with another code (RFC 6455 7.1.5): that code
        is :attr:`close_sent_code`, and :attr:`failure` is the cause.

        """
        if self.close_rcvd_code is not None:
            return self.close_rcvd_code
        if self.state is CLOSED or self._discard:
            return 1006
        return None

    @property
    def close_reason(self) -> str:
        """Close reason matching :attr:`close_code`."""
        if self.close_rcvd_code is not None:
            return self.close_rcvd_reason
        return ""

    @property
    def sending_fragments(self) -> bool:
        """Tell whether a fragmented message is being sent."""
        return self._send_fragmented

    @property
    def receiving(self) -> bool:
        """Tell whether more messages may still be received."""
        return self.close_rcvd is None and not self._discard

    def close_exc(self) -> ConnectionClosed:
        """Build the exception for an interaction with the closed connection."""
        code = self.close_code
        if code is None:
            code = 1006
        reason = self.close_reason
        exc: ConnectionClosed
        if code == 1000 or code == 1001:
            exc = ConnectionClosedOK(code, reason)
        else:
            exc = ConnectionClosedError(code, reason)
        exc.__cause__ = self.failure
        return exc

    # Private: parsing.

    def _parse(self, buffer: bytearray) -> None:
        """Parse every complete frame in ``buffer``."""
        mask = self.side is SERVER
        mask_bit = 0x80 if mask else 0
        # Debug logs need a Frame for each frame: only the Python path logs.
        parse_messages = None if self.debug else _parse_messages
        while True:
            parser = self._parser
            if parser is None:
                if parse_messages is not None and self._msg_opcode is None:
                    # The C accelerator parses, in one call, the run of frames
                    # at the start of the buffer that the fast path below
                    # would take one at a time, and appends their messages to
                    # the events; it stops at the first other frame, which
                    # the code below handles. Measured with callgrind
                    # (bench/instructions.py, docs/performance.rst): 5.9k
                    # fewer instructions per streamed 16-byte message (23.8k
                    # to 17.9k), 8.2k fewer per 16-byte round trip (140k to
                    # 132k).
                    end, first, data = parse_messages(
                        buffer,
                        self._events,
                        mask,
                        self.max_size,
                        self._plain_messages,
                        self._deflate is not None,
                    )
                    if end:
                        del buffer[:end]
                        if data is not None:
                            # A compressed message ends the run.
                            deflate = self._deflate
                            assert deflate is not None
                            data = deflate.decompress(data, True, self.max_size)
                            self._events.append(data.decode() if first & 1 else data)
                            continue
                size = len(buffer)
                if size < 2:
                    self._need = 2
                    return
                max_size = self.max_size
                if max_size is not None:
                    max_size -= self._msg_size
                second = buffer[1]
                length = second & 0x7F
                start = 2
                if length >= 126:
                    # An extended length: 2 or 8 more bytes, if they're here.
                    if length == 126:
                        start = 4
                        if size >= 4:
                            length = _unpack_medium(buffer, 2)[0]
                    else:
                        start = 10
                        if size >= 10:
                            length = _unpack_long(buffer, 2)[0]
                if second & 0x80:
                    start += 4
                end = start + length
                if size >= end:
                    # Fast path: a frame complete in the buffer is parsed
                    # without a generator (measured: about 10% more 16-byte
                    # echo round trips per CPU-second, 20% more at 1 KiB).
                    first = buffer[0]
                    deflate = self._deflate
                    if (
                        (
                            ((first == 0x81 or first == 0x82) and self._plain_messages)
                            or (
                                (first == 0xC1 or first == 0xC2) and deflate is not None
                            )
                        )
                        and self._msg_opcode is None
                        and second & 0x80 == mask_bit
                        and (max_size is None or length <= max_size)
                        and not self.debug
                    ):
                        # Faster still: a whole Text or Binary message, masked
                        # as it should and within max_size, needs no other
                        # check, and no Frame when no extension transforms it
                        # or when permessage-deflate alone does.
                        data = _payload(buffer, start, end, mask)
                        del buffer[:end]
                        if deflate is not None and first & 0x40:
                            data = deflate.decompress(data, True, max_size)
                        self._events.append(data.decode() if first & 1 else data)
                        continue
                    fin, opcode, _, masked, _ = decode_header(first, second, mask)
                    check_length(opcode, length, max_size)
                    data = _payload(buffer, start, end, masked)
                    del buffer[:end]
                    self._receive_frame(
                        build_frame(first, fin, opcode, data, self.extensions, max_size)
                    )
                    if self._discard:
                        # RFC 6455 5.5.1: nothing follows a Close frame.
                        buffer.clear()
                        return
                    continue
                if size < start:
                    # Wait for the whole header: then the payload of a Text
                    # frame can be validated as it arrives.
                    self._need = start
                    return
                parser = parse_frame(
                    mask=mask, max_size=max_size, extensions=self.extensions
                )
                need = next(parser)
                self._start_probe(buffer[0], second, buffer[start - 4 : start])
            else:
                need = self._need
            try:
                while len(buffer) >= need:
                    if need > 512:
                        # Copy a large payload once rather than twice.
                        with memoryview(buffer) as view:
                            chunk = view[:need].tobytes()
                    else:
                        chunk = bytes(buffer[:need])
                    del buffer[:need]
                    need = parser.send(chunk)
            except StopIteration as exc:
                self._parser = None
                self._need = 0
                self._probe = None
                self._receive_frame(exc.value)
                if self._discard:
                    # RFC 6455 5.5.1: nothing follows a Close frame.
                    buffer.clear()
                    return
                continue
            self._parser = parser
            self._need = need
            if self._probe is not None:
                self._probe_utf8(buffer)
            return

    def _start_probe(self, first: int, second: int, key: bytearray) -> None:
        """
        Prepare to validate the UTF-8 of a Text frame as its payload arrives.

        Only for a frame whose header is complete and whose payload isn't,
        without compression: RFC 6455 8.1 requires failing on invalid UTF-8,
        and failing as soon as it's there saves waiting for the rest. The
        whole frame is validated again once complete.

        """
        opcode = first & 0x0F
        if first & 0x70 or (self.extensions and self._deflate is None):
            # Compressed, or extensions other than permessage-deflate, which
            # may transform payloads.
            return
        if opcode == OP_TEXT and self._msg_opcode is None:
            decoder = _utf8_decoder()
        elif (
            opcode == OP_CONT and self._msg_decoder is not None and not self.extensions
        ):
            # With extensions, continuation frames may be compressed.
            decoder = _utf8_decoder()
            decoder.setstate(self._msg_decoder.getstate())
        else:
            return
        self._probe = (decoder, bytes(key) if second & 0x80 else None)
        self._probe_pos = 0

    def _probe_utf8(self, payload: bytearray) -> None:
        """
        Validate the UTF-8 of the part of a frame's payload received so far.

        Raises:
            UnicodeDecodeError: with the position of the invalid byte in the
                message.

        """
        assert self._probe is not None
        decoder, key = self._probe
        pos = self._probe_pos
        end = len(payload)
        if end <= pos:
            return
        data = bytes(payload[pos:end])
        if key is not None:
            shift = pos % 4
            data = apply_mask(data, key[shift:] + key[:shift])
        held = len(decoder.getstate()[0])
        try:
            decoder.decode(data, False)
        except UnicodeDecodeError as exc:
            start = self._msg_size + pos - held + exc.start
            raise UnicodeDecodeError(
                "utf-8", data, start, start + exc.end - exc.start, exc.reason
            ) from None
        self._probe_pos = end

    def _receive_frame(self, frame: Frame) -> None:
        """Process one incoming frame."""
        if self.debug:
            logger.debug("< %s", frame)
        opcode = frame.opcode
        if opcode == OP_TEXT or opcode == OP_BINARY:
            if self._msg_opcode is not None:
                raise ProtocolError("expected a continuation frame")
            if frame.fin:
                # Fast path: a message in one frame.
                self._events.append(
                    frame.data.decode() if opcode == OP_TEXT else frame.data
                )
                return
            # Fragments go to one buffer: their number doesn't cost memory.
            self._msg_opcode = opcode
            self._msg_buffer = bytearray(frame.data)
            self._msg_size = len(frame.data)
            if opcode == OP_TEXT:
                self._msg_decoder = _utf8_decoder()
                self._check_utf8(frame.data, False, 0)
        elif opcode == OP_CONT:
            if self._msg_opcode is None:
                raise ProtocolError("unexpected continuation frame")
            received = self._msg_size
            self._msg_buffer += frame.data
            self._msg_size += len(frame.data)
            if self._msg_decoder is not None:
                self._check_utf8(frame.data, frame.fin, received)
            if frame.fin:
                buffer = self._msg_buffer
                message: Any = (
                    buffer.decode() if self._msg_opcode == OP_TEXT else bytes(buffer)
                )
                self._reset_message()
                self._events.append(message)
        elif opcode == OP_PING:
            # RFC 6455 5.5.2: answer with a Pong carrying the same data.
            if self.state is OPEN:
                if self._pongs_paused:
                    # RFC 6455 5.5.3: answering only the latest ping is enough.
                    self._pending_pong = frame.data
                else:
                    self._send_control(OP_PONG, frame.data)
            self._events.append(frame)
        elif opcode == OP_PONG:
            self._events.append(frame)
        else:  # OP_CLOSE
            self._receive_close(frame)

    def _check_utf8(self, data: bytes, final: bool, received: int) -> None:
        """
        Validate a fragment of a Text message as it arrives (RFC 6455 8.1).

        Raises:
            UnicodeDecodeError: with the position of the invalid byte in the
                whole message.

        """
        decoder = self._msg_decoder
        assert decoder is not None
        # Bytes of an incomplete character, held from earlier fragments.
        held = len(decoder.getstate()[0])
        try:
            decoder.decode(data, final)
        except UnicodeDecodeError as exc:
            start = received - held + exc.start
            raise UnicodeDecodeError(
                "utf-8",
                bytes(self._msg_buffer),
                start,
                start + exc.end - exc.start,
                exc.reason,
            ) from None

    def _reset_message(self) -> None:
        self._msg_opcode = None
        self._msg_buffer = bytearray()
        self._msg_size = 0
        self._msg_decoder = None

    def _receive_close(self, frame: Frame) -> None:
        """Process a Close frame (RFC 6455 5.5.1 and 7.1.5)."""
        code, reason = parse_close(frame.data)
        self.close_rcvd = frame
        self._discard = True  # RFC 6455 5.5.1: nothing follows a Close frame
        self.close_rcvd_code = code
        self.close_rcvd_reason = reason
        if self.state is OPEN:
            # RFC 6455 5.5.1: echo the status code; the reason too, so that
            # the initiator sees its own reason, as websockets 8.x did.
            self.close_cause = CloseReason.PEER_CLOSE
            self._write_close(None if code == 1005 else code, reason, frame.data)
        if self._msg_opcode is not None:
            # A fragmented message interrupted by the closing handshake is lost.
            self._reset_message()
        self._events.append(frame)
        self.state = CLOSING  # RFC 6455 7.1.3: the closing handshake is started
        # RFC 6455 7.1.1: the server closes the TCP connection first.
        if self.side is SERVER and not self.eof_sent:
            self._send_eof()

    def _fail_on(self, exc: BaseException, code: int, cause: CloseReason) -> None:
        """Fail the connection because of ``exc`` raised while parsing."""
        if self.debug:
            logger.debug("! failing connection: %s", exc)
        self.failure = exc
        if isinstance(exc, UnicodeDecodeError):
            reason = f"invalid UTF-8 at position {exc.start}"
        elif code == 1011:
            reason = "internal error"
        else:
            reason = str(exc)
        if self.defer_failures:
            # Nothing more is parsed; the application may still answer the
            # messages received before the violation, then fail_pending().
            self.pending_failure = (code, reason)
            if self.close_cause is None:
                self.close_cause = cause
            self._discard = True
            self._buffer.clear()
            self._parser = None
            self._need = 0
            return
        self.fail(code, reason, cause)

    def fail_pending(self) -> None:
        """Fail the connection because of the violation held by ``defer_failures``."""
        pending = self.pending_failure
        if pending is not None:
            self.pending_failure = None
            self.fail(*pending)

    # Private: sending.

    def _send_data(self, opcode: int, data: bytes, fin: bool) -> None:
        if self.state is not OPEN:
            raise InvalidState(f"cannot send data in state {self.state.name}")
        if opcode != OP_CONT and self._send_fragmented:
            raise InvalidState("a fragmented message is being sent")
        self._send_fragmented = not fin
        if self.extensions:
            deflate = self._deflate
            if deflate and fin and opcode != OP_CONT and not self.debug:
                # A message in one frame, compressed by permessage-deflate
                # alone: no Frame, nothing to check (RFC 7692 6.1: RSV1).
                self._output.append(
                    encode_frame(
                        0xC0 | opcode, deflate.compress(data, True), self.side is CLIENT
                    )
                )
                return
            self._write(Frame(fin, opcode, data))
            return
        # Without extensions, a data frame needs no checks: encode it directly.
        if self.debug:
            logger.debug("> %s", Frame(fin, opcode, data))
        self._output.append(
            encode_frame((0x80 if fin else 0) | opcode, data, self.side is CLIENT)
        )

    def _send_control(self, opcode: int, data: bytes) -> None:
        if self.state is not OPEN:
            raise InvalidState(
                f"cannot send a control frame in state {self.state.name}"
            )
        self._write(Frame(True, opcode, data))

    def _write_close(self, code: Optional[int], reason: str, data: bytes) -> None:
        self.close_sent_code = 1005 if code is None else code
        self.close_sent_reason = reason
        self._write(Frame(True, OP_CLOSE, data))
        self.state = CLOSING  # RFC 6455 7.1.2: the closing handshake is started

    def _write(self, frame: Frame) -> None:
        if self.debug:
            logger.debug("> %s", frame)
        self._output.append(
            frame.serialize(mask=self.side is CLIENT, extensions=self.extensions)
        )

    def _send_eof(self) -> None:
        self.eof_sent = True
        self._output.append(b"")


def plain_messages(extensions: Sequence[Extension]) -> bool:
    """
    Tell whether frames without RSV bits pass through ``extensions`` unchanged.

    That's true without extensions and with permessage-deflate, which only
    transforms frames with RSV1 and their continuations.

    """
    return all(isinstance(extension, PerMessageDeflate) for extension in extensions)


def _payload(buffer: bytearray, start: int, end: int, masked: bool) -> bytes:
    """Copy the payload of a frame out of ``buffer``, unmasking it if needed."""
    if end - start > 512:
        # Copy a large payload once rather than twice.
        with memoryview(buffer) as view:
            if masked:
                return apply_mask(view[start:end], view[start - 4 : start].tobytes())
            return view[start:end].tobytes()
    if masked:
        return apply_mask(buffer[start:end], buffer[start - 4 : start])
    return bytes(buffer[start:end])


def only_deflate(extensions: Sequence[Extension]) -> Optional[PerMessageDeflate]:
    """
    Return the permessage-deflate extension if it's the only extension.

    Subclasses don't count: they may transform frames in other ways.

    """
    if len(extensions) == 1 and type(extensions[0]) is PerMessageDeflate:
        return extensions[0]
    return None


def truncate_reason(reason: str) -> str:
    """Shorten a close reason to fit in a Close frame, on a UTF-8 boundary."""
    encoded = reason.encode("utf-8")
    if len(encoded) <= MAX_CLOSE_REASON:
        return reason
    return encoded[: MAX_CLOSE_REASON - 3].decode("utf-8", "ignore") + "..."
