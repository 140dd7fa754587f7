"""
Per-Message Compression Extension with DEFLATE: permessage-deflate (RFC 7692).

The factories negotiate the four parameters of RFC 7692 7.1 during the opening
handshake; :class:`PerMessageDeflate` then compresses and decompresses the
payload of data messages (RFC 7692 7.2).

Design notes:

* Decompression is bounded: :meth:`PerMessageDeflate.decode` never produces
  more than ``max_size + 1`` bytes from a frame, whatever its compression
  ratio, and raises :exc:`~websockets.exceptions.PayloadTooBig` past
  ``max_size``. A deflate bomb costs about ``max_size`` bytes of memory.
* zlib objects are created on the first compressed message in each direction
  and dropped after each message when context takeover is off, so an idle
  connection holds no zlib memory.
* zlib can't compress raw DEFLATE with an 8-bit window: since 1.2.9,
  ``zlib.compressobj(wbits=-8)`` raises :exc:`ValueError` (checked on
  CPython 3.8 to 3.13 with zlib 1.2.13); older versions silently used 9 bits.
  When the peer limits our window to 8 bits, we compress with the ``Z_RLE``
  strategy (or ``Z_HUFFMAN_ONLY`` if configured), whose matches all have a
  distance of 1: the stream is valid for any window size. Symmetrically, we
  decompress with at least a 9-bit window, so that we read streams from
  peers that use 9 bits when asked for 8. (zlib's own matches never reach
  further than 250 bytes with a 9-bit window, but other encoders' may.)
* Decompression is lenient about the window: zlib checks match distances
  against it only across calls, so the window size bounds memory; it isn't
  a validation of the peer's stream.
* A peer may end a DEFLATE stream with BFINAL set (RFC 7692 7.2.3.4). What
  follows in the same or later messages is decompressed as a new stream.

"""

import zlib
from typing import Any, Dict, List, Optional, Sequence, Tuple, Union

from ..exceptions import (
    DuplicateParameter,
    InvalidParameterName,
    InvalidParameterValue,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
)
from ..framing import CTRL_OPCODES, OP_CONT, Frame
from ..typing import ExtensionName, ExtensionParameter
from .base import ClientExtensionFactory, Extension, ServerExtensionFactory


__all__ = [
    "ClientPerMessageDeflateFactory",
    "PerMessageDeflate",
    "ServerPerMessageDeflateFactory",
    "enable_client_permessage_deflate",
    "enable_server_permessage_deflate",
]

NAME = ExtensionName("permessage-deflate")

SERVER_NO_CONTEXT_TAKEOVER = "server_no_context_takeover"
CLIENT_NO_CONTEXT_TAKEOVER = "client_no_context_takeover"
SERVER_MAX_WINDOW_BITS = "server_max_window_bits"
CLIENT_MAX_WINDOW_BITS = "client_max_window_bits"

# RFC 7692 7.1.2: window bits are a decimal integer from 8 to 15, without
# leading zeros. A dict lookup rejects "08", " 9", "+9", "1_0" and the like.
WINDOW_BITS = {str(bits): bits for bits in range(8, 16)}
MAX_WINDOW_BITS = 15

# RFC 7692 7.2.1 and 7.2.2: the tail of a DEFLATE block flushed with an empty
# stored block, removed by the sender and appended by the receiver.
EMPTY_BLOCK_TAIL = b"\x00\x00\xff\xff"

# Settings of compression="deflate", chosen with bench/deflate_settings.py
# (table in docs/howto/compression.rst): zlib keeps 49 KiB per connection for
# both directions instead of 301 KiB with zlib's defaults (15 bits, memLevel
# 8), compresses JSON to 25-34% of its size instead of 23-30%, and takes 25%
# less CPU time on messages of 8 KiB and more. Smaller settings compress worse
# and no faster. The factories' own defaults stay those of websockets 8.x.
DEFAULT_WINDOW_BITS = 12
DEFAULT_MEM_LEVEL = 5

# Up to this size, a final frame and the tail are decompressed in one call
# (measured: about 1 us less per message; a 4 KiB copy costs less than that).
SMALL_PAYLOAD = 4096

# zlib.compressobj() arguments that would break the stream for the peer: the
# window is negotiated and the peer has no preset dictionary.
FORBIDDEN_SETTINGS = ("wbits", "zdict")

# Parsed parameters: no context takeover flags, then window bits (True for
# client_max_window_bits offered without a value).
Params = Tuple[bool, bool, Optional[int], Union[int, bool, None]]


class InvalidCompressedData(ProtocolError, zlib.error):
    """
    Raised by :meth:`PerMessageDeflate.decode` for data zlib can't decompress.

    It's a :exc:`~websockets.exceptions.ProtocolError`, and a
    :exc:`zlib.error` as in websockets 8.x, which let zlib's error through.

    """


class PerMessageDeflate(Extension):
    """
    permessage-deflate extension, once negotiated (RFC 7692 7.2).

    "Local" is this side of the connection and "remote" the peer: on a client,
    local parameters are the ``client_*`` parameters of the negotiation.

    Args:
        remote_no_context_takeover: reset the decompressor after each message.
        local_no_context_takeover: reset the compressor after each message.
        remote_max_window_bits: the peer's LZ77 window, 8 to 15.
        local_max_window_bits: our LZ77 window, 8 to 15.
        compress_settings: keyword arguments for :func:`zlib.compressobj`,
            excluding ``wbits`` and ``zdict``.

    Raises:
        ValueError: if a window size or ``compress_settings`` is invalid.

    """

    name = NAME

    def __init__(
        self,
        remote_no_context_takeover: bool,
        local_no_context_takeover: bool,
        remote_max_window_bits: int,
        local_max_window_bits: int,
        compress_settings: Optional[Dict[str, Any]] = None,
    ) -> None:
        check_window_bits("remote_max_window_bits", remote_max_window_bits)
        check_window_bits("local_max_window_bits", local_max_window_bits)
        self.remote_no_context_takeover = remote_no_context_takeover
        self.local_no_context_takeover = local_no_context_takeover
        self.remote_max_window_bits = remote_max_window_bits
        self.local_max_window_bits = local_max_window_bits
        self.compress_settings = check_compress_settings(compress_settings)

        # zlib objects, created on demand.
        self.decoder: Optional[Any] = None
        self.encoder: Optional[Any] = None
        # Whether the incoming message being received is compressed: then
        # its continuation frames are too (RFC 7692 6.1).
        self.decode_cont_data = False

    def __repr__(self) -> str:
        return (
            f"PerMessageDeflate("
            f"remote_no_context_takeover={self.remote_no_context_takeover}, "
            f"local_no_context_takeover={self.local_no_context_takeover}, "
            f"remote_max_window_bits={self.remote_max_window_bits}, "
            f"local_max_window_bits={self.local_max_window_bits})"
        )

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        """
        Decompress an incoming frame (RFC 7692 7.2.2).

        Control frames and the frames of uncompressed messages are returned
        unchanged. Fragments of a compressed message are decompressed one by
        one; the caller passes the rest of its budget for the message as
        ``max_size``.

        Args:
            frame: incoming frame.
            max_size: maximum size of the decompressed payload in bytes.

        Raises:
            PayloadTooBig: if the decompressed payload exceeds ``max_size``;
                no more than ``max_size + 1`` bytes are ever decompressed.
            ProtocolError: if a continuation frame has RSV1 set or the
                compressed data is invalid.

        """
        if frame.opcode in CTRL_OPCODES:
            return frame
        if frame.opcode == OP_CONT:
            # RFC 7692 6.1: RSV1 is set on the first frame of a message only.
            if frame.rsv1:
                raise ProtocolError("continuation frame with rsv1 set")
            if not self.decode_cont_data:
                return frame
        elif not frame.rsv1:
            self.decode_cont_data = False
            return frame
        self.decode_cont_data = not frame.fin
        data = self.decompress(frame.data, frame.fin, max_size)
        return Frame(frame.fin, frame.opcode, data, False, frame.rsv2, frame.rsv3)

    def decompress(self, data: bytes, fin: bool, max_size: Optional[int]) -> bytes:
        """
        Decompress the payload of one frame of a compressed message.

        This is :meth:`decode` without the checks of frame headers: the
        connection calls it directly for a message in one frame.

        Raises:
            PayloadTooBig: if the result exceeds ``max_size``.
            ProtocolError: if ``data`` isn't valid compressed data.

        """
        limit = 0 if max_size is None else max_size + 1
        size = len(data)
        try:
            if fin and size <= SMALL_PAYLOAD:
                # RFC 7692 7.2.2: append the tail removed by the sender. For a
                # small payload, copying it costs less than a second call.
                result = self.inflate(data + EMPTY_BLOCK_TAIL, limit)
            else:
                result = self.inflate(data, limit)
                # Otherwise, feed the tail apart to avoid copying the payload,
                # unless the DEFLATE stream ended.
                if fin and self.decoder:
                    if not limit:
                        result += self.inflate(EMPTY_BLOCK_TAIL, 0)
                    elif len(result) < limit:
                        result += self.inflate(EMPTY_BLOCK_TAIL, limit - len(result))
        except zlib.error as exc:
            raise InvalidCompressedData(f"invalid compressed data: {exc}") from exc
        if limit and len(result) >= limit:
            raise PayloadTooBig(f"frame over {max_size} bytes after decompression")
        if fin and self.remote_no_context_takeover:
            # RFC 7692 7.2.2: the next message starts with an empty window.
            self.decoder = None
        return result

    def inflate(self, data: bytes, limit: int) -> bytes:
        """
        Decompress ``data`` into at most ``limit`` bytes (0 for no limit).

        Input left over once ``limit`` bytes are produced is discarded: the
        caller then fails the connection.

        """
        decoder = self.decoder
        if decoder is None:
            decoder = self.decoder = new_decoder(self.remote_max_window_bits)
        result: bytes = decoder.decompress(data, limit)
        # RFC 7692 7.2.3.4: a block with BFINAL set ends the DEFLATE stream.
        # Data after it starts a new stream, without the previous window.
        while decoder.eof:
            data = decoder.unused_data
            # An empty stored block after the end, e.g. the tail appended to a
            # small frame, would start a stream producing nothing: skip it.
            if data == EMPTY_BLOCK_TAIL or not data or (limit and len(result) >= limit):
                self.decoder = None
                break
            decoder = self.decoder = new_decoder(self.remote_max_window_bits)
            result += decoder.decompress(data, limit - len(result) if limit else 0)
        return result

    def encode(self, frame: Frame) -> Frame:
        """
        Compress an outgoing frame (RFC 7692 7.2.1).

        Every data message is compressed: its first frame gets RSV1. Control
        frames are returned unchanged.

        """
        if frame.opcode in CTRL_OPCODES:
            return frame
        data = self.compress(frame.data, frame.fin)
        # RFC 7692 6.1: RSV1 is set on the first frame of a message only.
        return Frame(
            frame.fin,
            frame.opcode,
            data,
            frame.opcode != OP_CONT,
            frame.rsv2,
            frame.rsv3,
        )

    def compress(self, data: bytes, fin: bool) -> bytes:
        """
        Compress the payload of one frame of a message.

        This is :meth:`encode` without frame headers: the connection calls it
        directly for a message in one frame.

        """
        encoder = self.encoder
        if encoder is None:
            encoder = self.encoder = new_encoder(
                self.local_max_window_bits, self.compress_settings
            )
        result: bytes = encoder.compress(data)
        # The flush always ends with the 4 bytes of an empty stored block:
        # remove them from the last frame of the message (RFC 7692 7.2.1).
        tail: bytes = encoder.flush(zlib.Z_SYNC_FLUSH)
        if fin:
            tail = tail[:-4]
            if self.local_no_context_takeover:
                self.encoder = None
        # One copy of the compressed data at most: CPython returns either
        # operand unchanged when the other one is empty.
        return result + tail


def new_decoder(bits: int) -> Any:
    """Create a raw DEFLATE decompressor for a window of ``bits``."""
    # A 9-bit window reads streams made with 8 bits; see the module docstring.
    return zlib.decompressobj(wbits=-max(bits, 9))


def new_encoder(bits: int, settings: Dict[str, Any]) -> Any:
    """Create a raw DEFLATE compressor for a window of ``bits``."""
    if bits == 8:
        # zlib refuses an 8-bit window for raw DEFLATE. With these strategies
        # every match has a distance of 1, so the 9-bit window is never used.
        if settings.get("strategy") != zlib.Z_HUFFMAN_ONLY:
            settings = {**settings, "strategy": zlib.Z_RLE}
        bits = 9
    return zlib.compressobj(wbits=-bits, **settings)


def check_window_bits(name: str, bits: Any) -> None:
    """Raise :exc:`ValueError` unless ``bits`` is an integer from 8 to 15."""
    if type(bits) is not int or not 8 <= bits <= MAX_WINDOW_BITS:
        raise ValueError(f"{name}={bits!r} outside 8..15")


def check_compress_settings(settings: Optional[Dict[str, Any]]) -> Dict[str, Any]:
    """Raise :exc:`ValueError` if ``settings`` would break the stream."""
    if settings is None:
        return {}
    for key in FORBIDDEN_SETTINGS:
        if key in settings:
            raise ValueError(f"compress_settings must not include {key}")
    return dict(settings)


def check_factory_settings(
    server_max_window_bits: Optional[int],
    client_max_window_bits: Union[int, bool, None],
    compress_settings: Optional[Dict[str, Any]],
    *,
    client: bool,
) -> Dict[str, Any]:
    """Validate the arguments of a factory; return the compression settings."""
    if server_max_window_bits is not None:
        check_window_bits(SERVER_MAX_WINDOW_BITS, server_max_window_bits)
    # True offers client_max_window_bits without a value: clients only.
    if client_max_window_bits is not None and not (
        client and client_max_window_bits is True
    ):
        check_window_bits(CLIENT_MAX_WINDOW_BITS, client_max_window_bits)
    settings = check_compress_settings(compress_settings)
    if settings:
        # Fail now on invalid settings rather than on the first message.
        zlib.compressobj(wbits=-MAX_WINDOW_BITS, **settings)
    return settings


def parse_params(params: Sequence[ExtensionParameter], *, response: bool) -> Params:
    """
    Parse the parameters of an offer or a response (RFC 7692 7.1).

    Returns ``(server_no_context_takeover, client_no_context_takeover,
    server_max_window_bits, client_max_window_bits)``, where
    ``client_max_window_bits`` is True for a parameter without a value,
    which is allowed in an offer only (RFC 7692 7.1.2.2).

    Raises:
        DuplicateParameter: if a parameter appears twice.
        InvalidParameterName: if a parameter is unknown.
        InvalidParameterValue: if a parameter has an invalid value.

    """
    server_no_context_takeover = False
    client_no_context_takeover = False
    server_max_window_bits: Optional[int] = None
    client_max_window_bits: Union[int, bool, None] = None
    seen = set()
    for name, value in params:
        if name in seen:
            raise DuplicateParameter(name)
        seen.add(name)
        if name == SERVER_NO_CONTEXT_TAKEOVER or name == CLIENT_NO_CONTEXT_TAKEOVER:
            # RFC 7692 7.1.1: these parameters have no value.
            if value is not None:
                raise InvalidParameterValue(name, value)
            if name == SERVER_NO_CONTEXT_TAKEOVER:
                server_no_context_takeover = True
            else:
                client_no_context_takeover = True
        elif name == SERVER_MAX_WINDOW_BITS:
            server_max_window_bits = parse_window_bits(name, value)
        elif name == CLIENT_MAX_WINDOW_BITS:
            if value is None and not response:
                client_max_window_bits = True
            else:
                client_max_window_bits = parse_window_bits(name, value)
        else:
            raise InvalidParameterName(name)
    return (
        server_no_context_takeover,
        client_no_context_takeover,
        server_max_window_bits,
        client_max_window_bits,
    )


def parse_window_bits(name: str, value: Optional[str]) -> int:
    """Parse a window size (RFC 7692 7.1.2)."""
    bits = None if value is None else WINDOW_BITS.get(value)
    if bits is None:
        raise InvalidParameterValue(name, value)
    return bits


def check_not_accepted(accepted_extensions: Sequence[Extension]) -> None:
    """Reject a second permessage-deflate (RFC 6455 9.1)."""
    if any(extension.name == NAME for extension in accepted_extensions):
        raise NegotiationError(f"{NAME} already accepted")


class ClientPerMessageDeflateFactory(ClientExtensionFactory):
    """
    Client-side extension factory for permessage-deflate (RFC 7692 7.1).

    Parameters are sent in the offer when set: flags when True, window sizes
    with their value, ``client_max_window_bits`` without a value when True.

    Args:
        server_no_context_takeover: ask the server to reset its compressor
            after each message.
        client_no_context_takeover: reset our compressor after each message.
        server_max_window_bits: limit the server's window, 8 to 15.
        client_max_window_bits: limit our window, 8 to 15, or True to let the
            server choose it.
        compress_settings: keyword arguments for :func:`zlib.compressobj`,
            excluding ``wbits`` and ``zdict``.

    Raises:
        ValueError: if a window size or ``compress_settings`` is invalid.

    """

    name = NAME

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: Optional[int] = None,
        client_max_window_bits: Union[int, bool, None] = None,
        compress_settings: Optional[Dict[str, Any]] = None,
    ) -> None:
        self.compress_settings = check_factory_settings(
            server_max_window_bits,
            client_max_window_bits,
            compress_settings,
            client=True,
        )
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits

    def __repr__(self) -> str:
        return (
            f"ClientPerMessageDeflateFactory("
            f"server_no_context_takeover={self.server_no_context_takeover}, "
            f"client_no_context_takeover={self.client_no_context_takeover}, "
            f"server_max_window_bits={self.server_max_window_bits}, "
            f"client_max_window_bits={self.client_max_window_bits})"
        )

    def get_request_params(self) -> List[ExtensionParameter]:
        """Build the parameters of the offer (RFC 7692 7.1)."""
        params: List[ExtensionParameter] = []
        if self.server_no_context_takeover:
            params.append((SERVER_NO_CONTEXT_TAKEOVER, None))
        if self.client_no_context_takeover:
            params.append((CLIENT_NO_CONTEXT_TAKEOVER, None))
        if self.server_max_window_bits is not None:
            params.append((SERVER_MAX_WINDOW_BITS, str(self.server_max_window_bits)))
        if self.client_max_window_bits is True:
            params.append((CLIENT_MAX_WINDOW_BITS, None))
        elif self.client_max_window_bits is not None:
            params.append((CLIENT_MAX_WINDOW_BITS, str(self.client_max_window_bits)))
        return params

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> PerMessageDeflate:
        """
        Check the server's response against the offer (RFC 7692 7.1).

        Raises:
            NegotiationError: if the response is invalid or breaks the offer;
                the client must then fail the connection.

        """
        check_not_accepted(accepted_extensions)
        (
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        ) = parse_params(params, response=True)

        # RFC 7692 7.1.1.1: the server must accept server_no_context_takeover
        # when offered, and may send it when not.
        if self.server_no_context_takeover and not server_no_context_takeover:
            raise NegotiationError(
                f"{SERVER_NO_CONTEXT_TAKEOVER} offered, missing in response"
            )

        # RFC 7692 7.1.1.2: client_no_context_takeover in the offer is our
        # promise; in the response, the server's requirement.
        if self.client_no_context_takeover:
            client_no_context_takeover = True

        # RFC 7692 7.1.2.1: the server accepts server_max_window_bits with the
        # same value or a smaller one, and may send it when not offered.
        if self.server_max_window_bits is not None:
            if server_max_window_bits is None:
                raise NegotiationError(
                    f"{SERVER_MAX_WINDOW_BITS} offered, missing in response"
                )
            if server_max_window_bits > self.server_max_window_bits:
                raise NegotiationError(
                    f"{SERVER_MAX_WINDOW_BITS}={server_max_window_bits} "
                    f"in response, over {self.server_max_window_bits} offered"
                )

        # RFC 7692 7.1.2.2: the server may send client_max_window_bits only if
        # offered, with the same value or a smaller one. Without it, the value
        # offered still binds us.
        if client_max_window_bits is None:
            if self.client_max_window_bits is not True:
                client_max_window_bits = self.client_max_window_bits
        elif self.client_max_window_bits is None:
            raise NegotiationError(f"{CLIENT_MAX_WINDOW_BITS} in response, not offered")
        elif (
            self.client_max_window_bits is not True
            and client_max_window_bits > self.client_max_window_bits
        ):
            raise NegotiationError(
                f"{CLIENT_MAX_WINDOW_BITS}={client_max_window_bits} "
                f"in response, over {self.client_max_window_bits} offered"
            )

        return PerMessageDeflate(
            remote_no_context_takeover=server_no_context_takeover,
            local_no_context_takeover=client_no_context_takeover,
            remote_max_window_bits=server_max_window_bits or MAX_WINDOW_BITS,
            local_max_window_bits=int(client_max_window_bits or MAX_WINDOW_BITS),
            compress_settings=self.compress_settings,
        )


class ServerPerMessageDeflateFactory(ServerExtensionFactory):
    """
    Server-side extension factory for permessage-deflate (RFC 7692 7.1).

    Parameters are sent in every response when set, whether offered or not,
    except ``client_max_window_bits``, which requires the client to offer it:
    offers without it are declined, unless ``require_client_max_window_bits``
    is false.

    Args:
        server_no_context_takeover: reset our compressor after each message.
        client_no_context_takeover: require the client to reset its
            compressor after each message.
        server_max_window_bits: limit our window, 8 to 15.
        client_max_window_bits: limit the client's window, 8 to 15.
        compress_settings: keyword arguments for :func:`zlib.compressobj`,
            excluding ``wbits`` and ``zdict``.
        require_client_max_window_bits: with ``client_max_window_bits`` set,
            whether to decline offers without it (as websockets 8.x does),
            rather than accept them with the client's window up to 15 bits.
            (An addition to the 8.x API.)

    Raises:
        ValueError: if a window size or ``compress_settings`` is invalid.

    """

    name = NAME

    def __init__(
        self,
        server_no_context_takeover: bool = False,
        client_no_context_takeover: bool = False,
        server_max_window_bits: Optional[int] = None,
        client_max_window_bits: Optional[int] = None,
        compress_settings: Optional[Dict[str, Any]] = None,
        *,
        require_client_max_window_bits: bool = True,
    ) -> None:
        self.compress_settings = check_factory_settings(
            server_max_window_bits,
            client_max_window_bits,
            compress_settings,
            client=False,
        )
        self.require_client_max_window_bits = require_client_max_window_bits
        self.server_no_context_takeover = server_no_context_takeover
        self.client_no_context_takeover = client_no_context_takeover
        self.server_max_window_bits = server_max_window_bits
        self.client_max_window_bits = client_max_window_bits

    def __repr__(self) -> str:
        return (
            f"ServerPerMessageDeflateFactory("
            f"server_no_context_takeover={self.server_no_context_takeover}, "
            f"client_no_context_takeover={self.client_no_context_takeover}, "
            f"server_max_window_bits={self.server_max_window_bits}, "
            f"client_max_window_bits={self.client_max_window_bits})"
        )

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Tuple[List[ExtensionParameter], PerMessageDeflate]:
        """
        Answer a client's offer (RFC 7692 7.1).

        Returns:
            The parameters of the response and the extension.

        Raises:
            NegotiationError: if the offer is invalid or can't be accepted;
                the server then tries the next offer.

        """
        check_not_accepted(accepted_extensions)
        (
            server_no_context_takeover,
            client_no_context_takeover,
            server_max_window_bits,
            client_max_window_bits,
        ) = parse_params(params, response=False)

        # RFC 7692 7.1.1.1: accepting server_no_context_takeover means sending
        # it back; the server may also send it unprompted.
        if self.server_no_context_takeover:
            server_no_context_takeover = True

        # RFC 7692 7.1.1.2: the server may send client_no_context_takeover
        # unprompted. When the client offers it, echoing it makes the promise
        # binding, so the server may drop its decompressor between messages.
        if self.client_no_context_takeover:
            client_no_context_takeover = True

        # RFC 7692 7.1.2.1: accepting server_max_window_bits means sending the
        # same value or a smaller one; the server may also send it unprompted.
        if self.server_max_window_bits is not None:
            if server_max_window_bits is None:
                server_max_window_bits = self.server_max_window_bits
            else:
                server_max_window_bits = min(
                    server_max_window_bits, self.server_max_window_bits
                )

        # RFC 7692 7.1.2.2: the server may send client_max_window_bits, with a
        # value, only if the client offered it, with or without a value; the
        # value must not be larger than the client's. Without it in the
        # response, the client may use a 15-bit window.
        if self.client_max_window_bits is None:
            # Accept the value the client offered, if any: then its window
            # is smaller and so is the server's decompressor.
            if client_max_window_bits is True:
                client_max_window_bits = None
        elif client_max_window_bits is None:
            if self.require_client_max_window_bits:
                raise NegotiationError(
                    f"{CLIENT_MAX_WINDOW_BITS} required, missing in offer"
                )
            # Otherwise, accept: the client may use a 15-bit window.
        elif client_max_window_bits is True:
            client_max_window_bits = self.client_max_window_bits
        else:
            client_max_window_bits = min(
                client_max_window_bits, self.client_max_window_bits
            )

        response: List[ExtensionParameter] = []
        if server_no_context_takeover:
            response.append((SERVER_NO_CONTEXT_TAKEOVER, None))
        if client_no_context_takeover:
            response.append((CLIENT_NO_CONTEXT_TAKEOVER, None))
        if server_max_window_bits is not None:
            response.append((SERVER_MAX_WINDOW_BITS, str(server_max_window_bits)))
        if client_max_window_bits is not None:
            response.append((CLIENT_MAX_WINDOW_BITS, str(client_max_window_bits)))

        extension = PerMessageDeflate(
            remote_no_context_takeover=client_no_context_takeover,
            local_no_context_takeover=server_no_context_takeover,
            remote_max_window_bits=int(client_max_window_bits or MAX_WINDOW_BITS),
            local_max_window_bits=server_max_window_bits or MAX_WINDOW_BITS,
            compress_settings=self.compress_settings,
        )
        return response, extension


def enable_client_permessage_deflate(
    extensions: Optional[Sequence[ClientExtensionFactory]],
) -> List[ClientExtensionFactory]:
    """
    Add the default client factory to ``extensions`` unless one is there.

    The default offer, ``permessage-deflate; client_max_window_bits``, lets
    the server choose the client's window. The compressor uses memLevel
    :data:`DEFAULT_MEM_LEVEL`.

    """
    result = list(extensions or [])
    if not any(factory.name == NAME for factory in result):
        result.append(
            ClientPerMessageDeflateFactory(
                client_max_window_bits=True,
                compress_settings={"memLevel": DEFAULT_MEM_LEVEL},
            )
        )
    return result


def enable_server_permessage_deflate(
    extensions: Optional[Sequence[ServerExtensionFactory]],
) -> List[ServerExtensionFactory]:
    """
    Add the default server factory to ``extensions`` unless one is there.

    Both windows are limited to :data:`DEFAULT_WINDOW_BITS`, when the client
    lets the server limit its own, and the compressor uses memLevel
    :data:`DEFAULT_MEM_LEVEL`.

    """
    result = list(extensions or [])
    if not any(factory.name == NAME for factory in result):
        result.append(
            ServerPerMessageDeflateFactory(
                server_max_window_bits=DEFAULT_WINDOW_BITS,
                client_max_window_bits=DEFAULT_WINDOW_BITS,
                compress_settings={"memLevel": DEFAULT_MEM_LEVEL},
                require_client_max_window_bits=False,
            )
        )
    return result
