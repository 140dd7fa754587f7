"""
:class:`WebSocketCommonProtocol`: the data transfer phase on asyncio (RFC 6455 5 to 8).

The protocol is a thin adapter around the Sans-I/O core in
:mod:`websockets.connection`: bytes received from the transport go into the
core, and what the core produces goes out to the transport (bytes) and to the
application (messages in a queue read by :meth:`~WebSocketCommonProtocol.recv`,
pongs that complete the waiters of :meth:`~WebSocketCommonProtocol.ping`).
No coroutine runs per frame; timeouts are timer callbacks.

"""

import asyncio
import collections
import logging
import random
import struct
import sys
import warnings
from typing import (
    Any,
    AsyncIterable,
    AsyncIterator,
    Awaitable,
    Deque,
    Dict,
    Generator,
    Iterable,
    List,
    Mapping,
    Optional,
    TypeVar,
    Union,
    cast,
)

from . import framing
from .connection import (
    CLIENT,
    CLOSED,
    CLOSING,
    CONNECTING,
    OPEN,
    SERVER,
    CloseReason,
    Connection,
    Side,
    State,
)
from .exceptions import ConnectionClosedOK, InvalidState
from .extensions.base import Extension
from .framing import (
    OP_PONG,
    OP_TEXT,
    Frame,
    encode_data,
    encode_frame,
    prepare_data,
)
from .http import Headers, LineReader
from .typing import Data, Subprotocol
from .utils import _speedups


__all__ = ["WebSocketCommonProtocol", "broadcast"]

logger = logging.getLogger("websockets.protocol")

T = TypeVar("T")


READ_SIZE = 2**17 - 1024
"""Most bytes read from an asyncio socket transport at a time."""

_receive_messages = None if _speedups is None else _speedups.receive_messages
_frame_message = None if _speedups is None else _speedups.frame_message


class WebSocketCommonProtocol(asyncio.Protocol):
    """
    asyncio protocol implementing the data transfer phase of WebSocket.

    It's shared by clients and servers:
    :class:`~websockets.client.WebSocketClientProtocol` and
    :class:`~websockets.server.WebSocketServerProtocol` add the opening
    handshake.

    Args:
        ping_interval: seconds between keepalive pings; ``None`` disables them.
        ping_timeout: seconds to wait for the pong of a keepalive ping before
            closing the connection with code 1011; ``None`` waits forever.
        close_timeout: seconds allowed to each step of the closing handshake
            (10 when ``None``).
        max_size: maximum size of incoming messages in bytes; ``None``
            disables the limit.
        max_queue: maximum number of incoming messages waiting for
            :meth:`recv`; when it's reached, reading from the network stops.
            ``None`` disables the limit.
        read_limit: high-water mark of the buffer of incoming bytes.
        write_limit: high-water mark of the buffer of outgoing bytes; the
            low-water mark is a quarter of it.
        loop: event loop; by default, the running loop, else the current
            event loop when the connection is made, as in websockets 8.x.
        host: host name of the connection; deprecated attribute in 8.x.
        port: port of the connection; deprecated attribute in 8.x.
        secure: whether the connection uses TLS; deprecated attribute in 8.x.
        legacy_recv: make :meth:`recv` return ``None`` instead of raising
            :exc:`~websockets.exceptions.ConnectionClosed`.
        timeout: deprecated alias of ``close_timeout``.

    """

    # is_client and side: see _Role below. Subclasses may set either as a
    # class attribute, as in 8.x; __init_subclass__ records it in _side.
    _side: Side = SERVER

    # Slots save about 1.5 KiB per connection over an instance dict;
    # __dict__ keeps arbitrary attributes possible, as on any object.
    __slots__ = (
        "__dict__",
        "__weakref__",
        "_close_deadline",
        "_close_handle",
        "_close_phase",
        "_compat_futures",
        "_drain_waiters",
        "_handshake_waiter",
        "_host",
        "_keepalive_end",
        "_keepalive_handle",
        "_lost",
        "_lost_waiters",
        "_paused_reading",
        "_paused_writing",
        "_port",
        "_recv_waiter",
        "_secure",
        "available_extensions",
        "available_subprotocols",
        "close_timeout",
        "conn",
        "extensions",
        "extra_headers",
        "handshake_abort",
        "handshake_buffer",
        "handshake_eof",
        "legacy_recv",
        "loop",
        "max_queue",
        "messages",
        "origin",
        "path",
        "ping_interval",
        "ping_timeout",
        "pings",
        "read_limit",
        "request_headers",
        "response_headers",
        "subprotocol",
        "transport",
        "write_limit",
    )

    def __init__(
        self,
        *,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = None,
        max_size: Optional[int] = 2**20,
        max_queue: Optional[int] = 2**5,
        read_limit: int = 2**16,
        write_limit: int = 2**16,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        host: Optional[str] = None,
        port: Optional[int] = None,
        secure: Optional[bool] = None,
        legacy_recv: bool = False,
        timeout: Optional[float] = None,
    ) -> None:
        if timeout is not None:
            warnings.warn("rename timeout to close_timeout", DeprecationWarning, 2)
            if close_timeout is None:
                close_timeout = timeout
        if close_timeout is None:
            close_timeout = 10
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        self.max_queue = max_queue
        self.read_limit = read_limit
        self.write_limit = write_limit
        self._host = host
        self._port = port
        self._secure = secure
        self.legacy_recv = legacy_recv

        # The loop given, else the running loop. Outside of a running loop,
        # connection_made() picks the current event loop, as 8.x did. The
        # loop is never passed on to asyncio, which no longer accepts it.
        if loop is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                pass
        self.loop: asyncio.AbstractEventLoop = loop  # type: ignore[assignment]

        self.conn = Connection(self._side, state=CONNECTING, max_size=max_size)
        # Let the application answer what arrived before a protocol
        # violation: see _hold_failure().
        self.conn.defer_failures = True
        self.transport: Optional[asyncio.Transport] = None

        # Set by the opening handshake.
        self.path: str
        self.request_headers: Headers
        self.response_headers: Headers
        self.extensions: List[Extension] = []
        self.subprotocol: Optional[Subprotocol] = None

        # Bytes of the opening handshake, and a waiter for more of them.
        self.handshake_buffer = bytearray()
        self._handshake_waiter: Optional[asyncio.Future[None]] = None
        self.handshake_eof = False
        self.handshake_abort: Optional[BaseException] = None

        self.messages: Deque[Data] = collections.deque()
        self._recv_waiter: Optional[asyncio.Future[None]] = None
        self.pings: Dict[bytes, asyncio.Future[None]] = {}

        self._paused_reading = False
        self._paused_writing = False
        self._drain_waiters: List[asyncio.Future[None]] = []

        self._keepalive_handle: Optional[asyncio.TimerHandle] = None
        self._close_handle: Optional[asyncio.TimerHandle] = None
        # When _close_handle times a step of the closing handshake: its end.
        self._close_deadline: Optional[float] = None
        self._close_phase = 0
        # Whether connection_lost() ran, and who waits for it.
        self._lost = False
        self._lost_waiters: Optional[List[asyncio.Future[None]]] = None
        # How keepalive ended, once it has: "done" or "cancelled".
        self._keepalive_end: Optional[str] = None
        # 8.x's tasks, created on first access: see _compat_future().
        self._compat_futures: Optional[Dict[str, asyncio.Future[None]]] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        # An 8.x subclass sets is_client or side as a class attribute: it
        # becomes the side of its connections, and the descriptor stays.
        for name in ("is_client", "side"):
            value = cls.__dict__.get(name)
            if value is None or isinstance(value, _Role):
                continue
            if name == "is_client":
                cls._side = CLIENT if value else SERVER
            else:
                cls._side = Side(value)
            setattr(cls, name, _ROLES[name])

    # Attributes.

    @property
    def state(self) -> State:
        """State of the connection: CONNECTING, OPEN, CLOSING or CLOSED."""
        return self.conn.state

    @state.setter
    def state(self, state: State) -> None:
        self.conn.state = state

    @property
    def max_size(self) -> Optional[int]:
        """Maximum size of incoming messages in bytes; ``None`` if unlimited."""
        return self.conn.max_size

    @max_size.setter
    def max_size(self, max_size: Optional[int]) -> None:
        self.conn.max_size = max_size

    @property
    def host(self) -> Optional[str]:
        """Deprecated in 8.x: use ``local_address`` or ``remote_address``."""
        self._warn_address("host", 0)
        return self._host

    @property
    def port(self) -> Optional[int]:
        """Deprecated in 8.x: use ``local_address`` or ``remote_address``."""
        self._warn_address("port", 1)
        return self._port

    @property
    def secure(self) -> Optional[bool]:
        """Deprecated in 8.x."""
        warnings.warn("don't use secure", DeprecationWarning, 2)
        return self._secure

    def _warn_address(self, name: str, index: int) -> None:
        address = "remote_address" if self.conn.side is CLIENT else "local_address"
        warnings.warn(
            f"use {address}[{index}] instead of {name}", DeprecationWarning, 3
        )

    @property
    def local_address(self) -> Any:
        """Local address of the connection, or ``None`` before it's established."""
        if self.transport is None:
            return None
        return self.transport.get_extra_info("sockname")

    @property
    def remote_address(self) -> Any:
        """Remote address of the connection, or ``None`` before it's established."""
        if self.transport is None:
            return None
        return self.transport.get_extra_info("peername")

    @property
    def open(self) -> bool:
        """True when the connection is usable: open and not closing."""
        return self.conn.state is OPEN

    @property
    def closed(self) -> bool:
        """True once the connection is closed, including the TCP connection."""
        return self.conn.state is CLOSED

    @property
    def close_code(self) -> Optional[int]:
        """
        WebSocket close code, once the connection is closed.

        It's the code of the close frame received, 1005 if it had none, or
        1006 if the connection was lost without one. If this side failed the
        connection and the peer never answered, it's the code this side sent.

        """
        return self.conn.close_code

    @property
    def close_reason(self) -> Optional[str]:
        """WebSocket close reason, once the connection is closed."""
        if self.conn.close_code is None:
            return None
        return self.conn.close_reason

    @property
    def close_cause(self) -> Optional[CloseReason]:
        """Why the connection closed or is closing, once known."""
        return self.conn.close_cause

    # 8.x ran three tasks per connection; code written for 8.x awaits them.
    # This adapter runs none: each is a future, made on first access and
    # completed when the task would have ended.

    @property
    def close_connection_task(self) -> "asyncio.Future[None]":
        """Completes once the TCP connection is closed (8.x compatibility)."""
        return self._compat_future("close_connection")

    @property
    def transfer_data_task(self) -> "asyncio.Future[None]":
        """Completes once no more messages can be received (8.x compatibility)."""
        return self._compat_future("transfer_data")

    @property
    def keepalive_ping_task(self) -> "asyncio.Future[None]":
        """
        Completes once keepalive stops (8.x compatibility).

        It's cancelled when the closing handshake stops keepalive, and has a
        result when keepalive ends by itself: when ``ping_interval`` is
        ``None``, when a ping times out, or when the connection is lost
        while a ping waits for its pong.

        """
        return self._compat_future("keepalive_ping")

    def _compat_future(self, name: str) -> "asyncio.Future[None]":
        futures = self._compat_futures
        if futures is None:
            futures = self._compat_futures = {}
        future = futures.get(name)
        if future is None:
            future = futures[name] = self._get_loop().create_future()
            self._update_compat_futures()
        return future

    def _update_compat_futures(self) -> None:
        """Complete the futures of :meth:`_compat_future` whose task is over."""
        futures = self._compat_futures
        if not futures:
            return
        conn = self.conn
        ended = {
            "close_connection": self._lost,
            "transfer_data": conn.state is not CONNECTING and not conn.receiving,
            "keepalive_ping": self._keepalive_end is not None,
        }
        for name, future in futures.items():
            if ended[name] and not future.done():
                if name == "keepalive_ping" and self._keepalive_end == "cancelled":
                    future.cancel()
                else:
                    future.set_result(None)

    def _end_keepalive(self, how: str) -> None:
        if self._keepalive_end is None:
            self._keepalive_end = how
            self._update_compat_futures()

    # Public API.

    async def wait_closed(self) -> None:
        """
        Wait until the connection is closed.

        This is :attr:`closed`, as a coroutine.

        """
        await self._wait_lost()

    async def __aiter__(self) -> AsyncIterator[Data]:
        """
        Iterate over incoming messages.

        The iteration ends when the connection closes with code 1000 or 1001,
        and raises :exc:`~websockets.exceptions.ConnectionClosedError` for any
        other code.

        """
        try:
            while True:
                yield await self.recv()
        except ConnectionClosedOK:
            return

    async def recv(self) -> Data:
        """
        Receive the next message: :class:`str` for Text, :class:`bytes` for Binary.

        Messages received before the connection closed are returned, then
        :exc:`~websockets.exceptions.ConnectionClosedOK` (close code 1000 or
        1001) or :exc:`~websockets.exceptions.ConnectionClosedError`.

        Cancelling :meth:`recv` is safe: the next message stays in the queue.

        Raises:
            ConnectionClosed: when the connection is closed.
            RuntimeError: if two coroutines call :meth:`recv` concurrently.

        """
        if self._recv_waiter is not None:
            raise RuntimeError(
                "cannot call recv while another coroutine "
                "is already waiting for the next message"
            )
        messages = self.messages
        while not messages:
            conn = self.conn
            if conn.state is not OPEN:
                if not conn.receiving:
                    # The close code is known once nothing more can be received.
                    if self.legacy_recv:
                        return None  # type: ignore[return-value]
                    raise conn.close_exc()
                if conn.state is CONNECTING:
                    raise InvalidState("the opening handshake isn't complete")
            waiter = self._recv_waiter = self.loop.create_future()
            try:
                await waiter
            finally:
                self._recv_waiter = None
        message = messages.popleft()
        if self._paused_reading and (
            self.max_queue is None or len(messages) < self.max_queue
        ):
            if self.conn.pending_failure is None:
                self._resume_reading()
            elif not messages:
                # Fail after the caller had a chance to answer this message.
                self.loop.call_soon(self._fail_pending)
        return message

    async def send(
        self,
        message: Union[Data, Iterable[Data], AsyncIterable[Data]],
    ) -> None:
        """
        Send a message.

        A :class:`str` is sent as a Text frame; :class:`bytes`,
        :class:`bytearray` and :class:`memoryview` as a Binary frame. An
        iterable or an asynchronous iterable of those is sent as a fragmented
        message, one frame per item; all items must have the same type.

        Raises:
            ConnectionClosed: when the connection is closed.
            TypeError: for an unsupported type, or fragments of mixed types
                (the connection is then closed with code 1011).

        """
        conn = self.conn
        frame_message = _frame_message
        if frame_message is not None and not conn.extensions:
            # The C accelerator's hot path: a str or bytes message on an open
            # connection with nothing pending, in one call. Callgrind
            # (bench/instructions.py): 14.6k to 12.9k instructions per streamed
            # 16-byte message, 122.5k to 118.7k per round trip.
            frame = frame_message(
                conn,
                message,
                OPEN,
                framing.new_mask_key() if conn.side is CLIENT else None,
            )
            if frame is not None:
                cast(asyncio.Transport, self.transport).write(frame)
                if self._paused_writing:
                    await self._drain()
                return
        if conn.state is not OPEN:
            await self.ensure_open()
        if type(message) is bytes:
            # The most common types first, without isinstance() or conversion.
            conn.send_binary(message)
        elif isinstance(message, str):
            conn.send_text(message.encode("utf-8"))
        elif isinstance(message, (bytes, bytearray, memoryview)):
            conn.send_binary(prepare_data(message)[1])
        elif isinstance(message, Mapping):
            raise TypeError("data is a dict-like object")
        elif isinstance(message, Iterable):
            await self._send_fragments(_aiter(cast(Iterable[Data], message)))
            return
        elif isinstance(message, AsyncIterable):
            await self._send_fragments(message)
            return
        else:
            raise TypeError(
                "data must be str, bytes-like or iterable, "
                f"not {type(message).__name__}"
            )
        self._flush()
        if self._paused_writing:
            await self._drain()

    async def close(self, code: int = 1000, reason: str = "") -> None:
        """
        Perform the closing handshake.

        :meth:`close` waits for the other end to complete the handshake and for
        the TCP connection to terminate, in at most 4 * ``close_timeout`` on
        the server side and 5 * on the client side. It's idempotent.

        Args:
            code: WebSocket close code.
            reason: WebSocket close reason.

        """
        conn = self.conn
        if conn.pending_failure is not None:
            # A violation was received: fail with its code, not with ``code``.
            self._fail_pending()
        elif conn.state is OPEN:
            conn.send_close(code, reason)
            self._flush()
        elif conn.state is CONNECTING:
            # Closing before the opening handshake completes drops the connection.
            conn.fail(1006)
            if self.transport is not None:
                self.transport.close()
        if self.transport is None:  # pragma: no cover
            return
        await self._wait_lost()

    async def ping(self, data: Optional[Data] = None) -> Awaitable[None]:
        """
        Send a Ping frame.

        Return a future completed when the matching Pong is received (a Pong
        also completes the earlier pings still waiting). By default the
        payload is four random bytes.

        Raises:
            ConnectionClosed: when the connection is closed.
            ValueError: if a ping with the same payload is waiting for a pong.

        """
        conn = self.conn
        if conn.state is not OPEN:
            await self.ensure_open()
        if data is not None:
            payload = encode_data(data)
            if payload in self.pings:
                raise ValueError("already waiting for a pong with the same data")
        else:
            payload = _random_ping_payload()
            while payload in self.pings:  # pragma: no cover
                payload = _random_ping_payload()
        # Send first: a payload over 125 bytes raises and leaves no waiter.
        conn.send_ping(payload)
        waiter = self.pings[payload] = self.loop.create_future()
        self._flush()
        if self._paused_writing:
            await self._drain()
        return waiter

    async def pong(self, data: Data = b"") -> None:
        """
        Send a Pong frame: an unsolicited pong serves as a one-way heartbeat.

        Raises:
            ConnectionClosed: when the connection is closed.

        """
        conn = self.conn
        if conn.state is not OPEN:
            await self.ensure_open()
        conn.send_pong(encode_data(data))
        self._flush()
        if self._paused_writing:
            await self._drain()

    # Semi-public API for subclasses and the server.

    async def ensure_open(self) -> None:
        """
        Return if the connection is open, else raise the reason it isn't.

        Raises:
            ConnectionClosed: when the connection is closing or closed.
            InvalidState: before the opening handshake completes.

        """
        conn = self.conn
        if conn.state is OPEN:
            return
        if conn.state is CONNECTING:
            raise InvalidState("the opening handshake isn't complete")
        if conn.close_code is None:
            # Closing: wait until the close code is known.
            await self._wait_lost()
        raise conn.close_exc()

    def connection_open(self) -> None:
        """
        Enter the data transfer phase, once the opening handshake succeeded.

        Bytes received after the handshake are processed now.

        """
        self.conn.open(self.extensions)
        self._schedule_keepalive()
        self._resume_reading()
        if self.handshake_buffer:
            data = bytes(self.handshake_buffer)
            self.handshake_buffer.clear()
            self.conn.receive_data(data)
            self._process()

    def fail_connection(
        self,
        code: int = 1006,
        reason: str = "",
        cause: CloseReason = CloseReason.INTERNAL_ERROR,
    ) -> None:
        """
        Fail the connection (RFC 6455 7.1.7).

        Send a close frame with ``code`` unless it's 1006, then close the TCP
        connection, waiting at most ``close_timeout`` for the peer.

        """
        conn = self.conn
        if conn.state is CLOSED:
            return
        conn.fail(code, reason, cause)
        self._process()
        self._resume_reading()

    def close_transport(self, cause: CloseReason = CloseReason.PROTOCOL_ERROR) -> None:
        """
        Close the TCP connection now, without a closing handshake.

        Data already written is sent first; the transport is aborted if it
        isn't closed after ``close_timeout``. The server uses it after an HTTP
        error response in the opening handshake.

        """
        conn = self.conn
        if conn.state is CLOSED or self._close_phase == 4:
            return
        conn.fail(1006, "", cause)
        conn.data_to_send()
        self._resume_reading()
        self._close_transport()

    # asyncio.Protocol callbacks.

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Store the transport and configure flow control."""
        self._get_loop()
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        transport.set_write_buffer_limits(self.write_limit)
        if type(getattr(type(transport), "max_size", None)) is int:
            # asyncio's socket transports read up to 256 KiB at a time into a
            # new bytes object. glibc allocates that much with mmap(), then
            # shrinks it with mremap() and frees it with munmap(): three more
            # system calls and page faults per read. Just under 128 KiB, it
            # comes from the heap. (Measured: 16-byte echo round trips took
            # 35 µs of system time, then 7 µs.)
            transport.max_size = READ_SIZE  # type: ignore[attr-defined]

    def data_received(self, data: bytes) -> None:
        """Feed received bytes to the core, or to the opening handshake."""
        conn = self.conn
        receive = _receive_messages
        if receive is not None and not conn.extensions:
            # The C accelerator's hot path, for an open connection with
            # nothing pending: the whole messages at the start of data go
            # to the queue in one call, the rest to the core's buffer.
            # Callgrind (bench/instructions.py echo): 127.7k to 122.5k
            # instructions per 16-byte round trip, both ends.
            try:
                count = receive(conn, data, OPEN, conn.side is SERVER, self.messages)
            except Exception as exc:
                # Out of memory, say: fail as the core does (close code
                # 1011), after the messages queued before the error.
                logger.error("unexpected error while receiving", exc_info=True)
                conn._fail_on(exc, 1011, CloseReason.INTERNAL_ERROR)
                self._process()
                self._queued()
                return
            if count >= 0:
                if conn._buffer:
                    # What came after them, for the core: a control frame,
                    # a partial or fragmented message, a violation...
                    conn.receive_data(b"")
                    self._process()
                if count:
                    self._queued()
                return
        if conn.state is CONNECTING:
            self.handshake_buffer += data
            self._handshake_data()
            return
        conn.receive_data(data)
        self._process()

    def eof_received(self) -> None:
        """Record the end of the peer's stream; the transport then closes."""
        conn = self.conn
        if conn.state is CONNECTING:
            self.handshake_eof = True
            self._handshake_data()
            return
        conn.receive_eof()
        # Process what remains; the EOF marker of the core is moot: the
        # transport closes itself after this method returns None.
        conn.data_to_send()
        self._process()

    def connection_lost(self, exc: Optional[Exception]) -> None:
        """Release everything waiting on the connection."""
        conn = self.conn
        if conn.state is CONNECTING:
            self.handshake_eof = True
            self._wake_handshake()
        conn.receive_eof()
        conn.data_to_send()
        conn.state = CLOSED
        if self.conn.close_cause is None:  # pragma: no cover
            self.conn.close_cause = CloseReason.TRANSPORT_LOST
        transport = self.transport
        if transport is not None and not transport.is_closing():
            # Before Python 3.11, a TLS transport whose peer closed the
            # connection isn't marked as closed and warns when collected.
            transport.close()
        self._cancel_timers()
        self._wake_recv()
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()
        self._abort_pings()
        self._lost = True
        for waiter in self._lost_waiters or ():
            if not waiter.done():
                waiter.set_result(None)
        self._end_keepalive("cancelled")
        self._update_compat_futures()

    def pause_writing(self) -> None:
        """The transport's buffer is above the high-water mark: make senders wait."""
        self._paused_writing = True
        self.conn.pause_pongs()

    def resume_writing(self) -> None:
        """The transport's buffer is below the low-water mark: let senders go on."""
        self._paused_writing = False
        self.conn.resume_pongs()
        self._flush()
        for waiter in self._drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self._drain_waiters.clear()

    # Private: processing what the core produced.

    def _process(self) -> None:
        """Write the core's output and dispatch its events."""
        conn = self.conn
        # Off the hot path: the core answered a ping, or the connection is
        # closing or failing.
        busy = conn.state is not OPEN or conn._output or conn.pending_failure
        if busy:
            self._flush()
        events = conn._events
        if events:
            conn._events = []  # what events_received() does, without a call
            messages = self.messages
            for event in events:
                if type(event) is Frame:
                    if event.opcode == OP_PONG:
                        self._receive_pong(event.data)
                else:
                    messages.append(event)  # type: ignore[arg-type]
            self._queued()
        if busy:
            if conn.pending_failure is not None:
                self._hold_failure()
            if conn.state is not OPEN and not conn.receiving:
                self._wake_recv()
                self._resume_reading()
                self._update_compat_futures()

    def _queued(self) -> None:
        """Wake :meth:`recv` for new messages; apply backpressure."""
        messages = self.messages
        if messages:
            waiter = self._recv_waiter
            if waiter is not None and not waiter.done():
                waiter.set_result(None)
            max_queue = self.max_queue
            if (
                max_queue is not None
                and len(messages) >= max_queue
                and not self._paused_reading
                and self.conn.receiving
            ):
                # Backpressure: stop reading until recv() makes room.
                self._paused_reading = True
                cast(asyncio.Transport, self.transport).pause_reading()

    def _hold_failure(self) -> None:
        """
        Received data broke the protocol after messages the application
        hasn't read yet: let it read them and answer, then fail.

        Reading stops meanwhile. The connection fails when :meth:`recv` has
        returned the last of these messages and the event loop has run the
        code that follows, or after ``close_timeout`` if nobody reads them.
        (The connection must fail, RFC 6455 7.1.7 and 8.1; answering what
        came before is what peers such as Autobahn|Testsuite expect.)

        """
        if not self.messages or self.conn.state is not OPEN:
            self._fail_pending()
            return
        if not self._paused_reading:
            self._paused_reading = True
            cast(asyncio.Transport, self.transport).pause_reading()
        if self._close_handle is None:
            self._close_handle = self.loop.call_later(
                self.close_timeout, self._fail_pending
            )

    def _fail_pending(self) -> None:
        """Fail the connection because of the violation held by the core."""
        conn = self.conn
        if conn.pending_failure is None:
            return
        if self._close_handle is not None and self._close_deadline is None:
            # The timer of _hold_failure(), not of a closing step.
            self._close_handle.cancel()
            self._close_handle = None
        conn.fail_pending()
        self._process()

    def _resume_reading(self) -> None:
        """
        Read again after backpressure or a large handshake paused reading.

        Once nothing more can be received, reading resumes to see the peer
        close the connection: the core discards what arrives.

        """
        if self._paused_reading:
            self._paused_reading = False
            cast(asyncio.Transport, self.transport).resume_reading()

    def _flush(self) -> None:
        """Write what the core has to send, and follow the closing handshake."""
        conn = self.conn
        output = conn._output
        if output:
            conn._output = []  # what data_to_send() does, without a call
            transport = self.transport
            if transport is not None:  # pragma: no branch
                for data in output:
                    if data:
                        transport.write(data)
                    else:
                        self._write_eof(transport)
        if conn.state is not OPEN:
            self._follow_closing()

    def _write_eof(self, transport: asyncio.Transport) -> None:
        """Half-close the connection: send EOF after what was written."""
        if transport.can_write_eof():
            try:
                transport.write_eof()
            except OSError:
                # The peer reset the connection: connection_lost follows.
                transport.abort()
        else:
            # TLS can't half-close: close, skipping step 3 of closing.
            self._close_transport()

    def _receive_pong(self, data: bytes) -> None:
        """Complete the waiter of the matching ping and of every earlier one."""
        pings = self.pings
        if data not in pings:
            return
        # Pings are in the order they were sent: acknowledge up to this one.
        acknowledged = []
        for ping_data in pings:  # pragma: no branch
            acknowledged.append(ping_data)
            if ping_data == data:
                break
        for ping_data in acknowledged:
            waiter = pings.pop(ping_data)
            if not waiter.done():
                waiter.set_result(None)

    def _abort_pings(self) -> None:
        """Fail the waiters of pings that will never get a pong."""
        if not self.pings:
            return
        exc = self.conn.close_exc()
        for waiter in self.pings.values():
            if not waiter.done():
                waiter.set_exception(exc)
                # Mark the exception as retrieved: nobody has to await it.
                waiter.exception()
        self.pings.clear()

    def _wake_recv(self) -> None:
        waiter = self._recv_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def _drain(self) -> None:
        """Wait until the transport's buffer drains below the low-water mark."""
        while self._paused_writing:
            if self.conn.state is CLOSED:
                raise self.conn.close_exc()
            waiter = self.loop.create_future()
            self._drain_waiters.append(waiter)
            await waiter
        if self.conn.state is CLOSED:
            raise self.conn.close_exc()

    async def _send_fragments(self, message: AsyncIterable[Data]) -> None:
        """Send an async iterable of str or bytes-like objects as fragments."""
        iterator = message.__aiter__()
        try:
            first = await iterator.__anext__()
        except StopAsyncIteration:
            return
        opcode, data = prepare_data(first)
        self._send_frame(opcode, data, False)
        try:
            async for fragment in iterator:
                fragment_opcode, data = prepare_data(fragment)
                if fragment_opcode != opcode:
                    raise TypeError("data contains inconsistent types")
                self._send_frame(0, data, False)
                if self._paused_writing:
                    await self._drain()
            self._send_frame(0, b"", True)
        except (Exception, asyncio.CancelledError):
            # A fragmented message can't be completed: fail the connection.
            self.fail_connection(1011)
            raise
        if self._paused_writing:
            await self._drain()

    def _send_frame(self, opcode: int, data: bytes, fin: bool) -> None:
        conn = self.conn
        if conn.state is not OPEN:
            raise conn.close_exc()
        if opcode == 0:
            conn.send_continuation(data, fin)
        elif opcode == OP_TEXT:
            conn.send_text(data, fin)
        else:
            conn.send_binary(data, fin)
        self._flush()

    # Private: opening handshake.

    def abort_handshake(self, exc: BaseException) -> None:
        """Make the opening handshake raise ``exc`` if it's waiting for bytes."""
        self.handshake_abort = exc
        self._wake_handshake()

    def _handshake_data(self) -> None:
        """
        Bytes or EOF arrived during the opening handshake: wake the handshake.

        The server overrides it to run the handshake right here when it can.

        """
        if len(self.handshake_buffer) > self.read_limit and not self._paused_reading:
            # Bound memory until the handshake consumes what it received.
            self._paused_reading = True
            cast(asyncio.Transport, self.transport).pause_reading()
        self._wake_handshake()

    def _wake_handshake(self) -> None:
        waiter = self._handshake_waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    async def read_http_message(self, parser: Generator[int, bytes, T]) -> T:
        """
        Run an HTTP parser of :mod:`websockets.http` on the handshake bytes.

        Bytes that follow the HTTP message stay in :attr:`handshake_buffer`;
        :meth:`connection_open` feeds them to the core.

        Raises:
            EOFError: if the connection closes before the message is complete.
            SecurityError: if the message exceeds a limit of :mod:`websockets.http`.
            ValueError: if the message is malformed.

        """
        reader = LineReader(parser)
        while True:
            if self.handshake_abort is not None:
                raise self.handshake_abort
            result = reader.feed(self.handshake_buffer)
            if result is not None:
                return result
            if self.handshake_eof:
                return reader.feed_eof(self.handshake_buffer)
            self._resume_reading()
            waiter = self._handshake_waiter = self.loop.create_future()
            try:
                await waiter
            finally:
                self._handshake_waiter = None

    # Private: keepalive and closing timers.

    def _schedule_keepalive(self) -> None:
        if self.ping_interval is not None:
            self._keepalive_handle = self.loop.call_later(
                self.ping_interval, self._keepalive_ping
            )
        else:
            self._end_keepalive("done")

    def _keepalive_ping(self) -> None:
        """Send a keepalive ping and expect its pong within ``ping_timeout``."""
        self._keepalive_handle = None
        conn = self.conn
        if conn.state is not OPEN:
            self._end_keepalive("cancelled")
            return
        payload = _random_ping_payload()
        while payload in self.pings:  # pragma: no cover
            payload = _random_ping_payload()
        waiter = self.pings[payload] = self.loop.create_future()
        conn.send_ping(payload)
        self._flush()
        if self.ping_timeout is None:
            self._schedule_keepalive()
            return
        self._keepalive_handle = self.loop.call_later(
            self.ping_timeout, self._keepalive_timeout
        )
        waiter.add_done_callback(self._keepalive_pong)

    def _keepalive_pong(self, waiter: "asyncio.Future[None]") -> None:
        if waiter.cancelled() or waiter.exception() is not None:
            # The connection was lost while waiting for the pong.
            self._end_keepalive("done")
            return
        if self._keepalive_handle is not None:
            self._keepalive_handle.cancel()
            self._keepalive_handle = None
        if self.conn.state is OPEN:
            self._schedule_keepalive()

    def _keepalive_timeout(self) -> None:
        self._keepalive_handle = None
        if self.conn.state is OPEN:
            logger.info("keepalive ping timeout: closing the connection")
            self.fail_connection(
                1011, "keepalive ping timeout", CloseReason.KEEPALIVE_TIMEOUT
            )
        self._end_keepalive("done")

    def _follow_closing(self) -> None:
        """
        Arm the timeout of the current step of the closing handshake.

        The steps, as in websockets 8.x, each allowed ``close_timeout``:

        1. waiting for the peer's Close frame;
        2. a client waiting for the server to close TCP (RFC 6455 7.1.1);
        3. this side sent EOF, waiting for the peer to close TCP;
        4. the transport is closing, waiting for it to finish.

        A timeout moves to the next step: a server skips step 2; the end of
        step 4 aborts the transport. Events move forward too, never back.

        """
        conn = self.conn
        if conn.state is CLOSED or self._close_phase == 4:
            return
        if conn.eof_sent:
            step = 3
        elif conn.close_rcvd is not None:
            step = 2
        elif conn.state is CLOSING:
            step = 1
        else:  # pragma: no cover
            return
        if step > self._close_phase:
            self._arm_closing_step(step)

    def _arm_closing_step(self, step: int) -> None:
        self._close_phase = step
        loop = self.loop
        deadline = loop.time() + self.close_timeout
        if self._close_deadline is None:
            if self._close_handle is not None:
                self._close_handle.cancel()
            self._close_handle = loop.call_at(deadline, self._closing_timeout)
        # Else the timer of an earlier step is armed: when it fires, it waits
        # for this deadline. Steps usually take a fraction of close_timeout:
        # one timer per closing handshake rather than one per step.
        self._close_deadline = deadline

    def _closing_timeout(self) -> None:
        """The current step of the closing handshake took too long: go on."""
        deadline = self._close_deadline
        assert deadline is not None
        if self.loop.time() < deadline:
            self._close_handle = self.loop.call_at(deadline, self._closing_timeout)
            return
        self._close_handle = None
        self._close_deadline = None
        step = self._close_phase
        if step == 1 and self.conn.side is CLIENT:
            self._arm_closing_step(2)
        elif step <= 2:
            # Half-close the connection; _flush() follows with step 3.
            self.conn.fail(1006, cause=CloseReason.PROTOCOL_ERROR)
            self._flush()
        elif step == 3:
            self._close_transport()
        else:
            self._abort_transport()

    def _close_transport(self) -> None:
        """Close the transport, then abort it if it doesn't close in time."""
        self._close_phase = 4
        self._close_deadline = None
        if self._close_handle is not None:
            self._close_handle.cancel()
        assert self.transport is not None
        self.transport.close()
        self._close_handle = self.loop.call_later(
            self.close_timeout, self._abort_transport
        )

    def _abort_transport(self) -> None:
        self._close_handle = None
        if self.transport is not None:
            self.transport.abort()

    def _cancel_timers(self) -> None:
        for handle in (self._keepalive_handle, self._close_handle):
            if handle is not None:
                handle.cancel()
        self._keepalive_handle = None
        self._close_handle = None
        self._close_deadline = None

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        """The loop of the protocol, chosen on first use if none was given."""
        loop = self.loop
        if loop is None:
            loop = self.loop = get_loop()
        return loop

    async def _wait_lost(self) -> None:
        """
        Wait until :meth:`connection_lost` runs.

        Each caller waits on a future of its own, which cancelling the caller
        cancels: unlike :func:`asyncio.shield` of a shared future, this takes
        no extra turn of the event loop when the connection is lost.

        """
        if self._lost:
            return
        waiter = self._get_loop().create_future()
        waiters = self._lost_waiters
        if waiters is None:
            waiters = self._lost_waiters = []
        waiters.append(waiter)
        try:
            await waiter
        finally:
            waiters.remove(waiter)


class _Role:
    """
    ``is_client`` and ``side``: class attributes in 8.x, which tests and
    subclasses set. Read on an instance, they tell the side of its
    connection; set on an instance, they change it.

    """

    def __init__(self, name: str) -> None:
        self.name = name

    def __get__(self, obj: Optional[WebSocketCommonProtocol], cls: Any) -> Any:
        side = cls._side if obj is None else obj.conn.side
        return side is CLIENT if self.name == "is_client" else side

    def __set__(self, obj: WebSocketCommonProtocol, value: Any) -> None:
        if self.name == "is_client":
            obj.conn.side = CLIENT if value else SERVER
        else:
            obj.conn.side = Side(value)


_ROLES = {"is_client": _Role("is_client"), "side": _Role("side")}
WebSocketCommonProtocol.is_client = _ROLES["is_client"]  # type: ignore[attr-defined]
WebSocketCommonProtocol.side = _ROLES["side"]  # type: ignore[attr-defined]


def get_loop(
    loop: Optional[asyncio.AbstractEventLoop] = None,
) -> asyncio.AbstractEventLoop:
    """
    Choose an event loop as 8.x did: ``loop``, else the running loop, else
    the current event loop.

    The last case only happens outside of a running loop, where 8.x code
    creates servers, clients and protocols before running the loop.

    """
    if loop is not None:
        return loop
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.get_event_loop()


def broadcast(websockets: Iterable[WebSocketCommonProtocol], message: Data) -> None:
    """
    Send a message to several connections at once, without waiting.

    A :class:`str` is sent as a Text frame; :class:`bytes`,
    :class:`bytearray` and :class:`memoryview` as a Binary frame. The frame
    is built once for every server connection without extensions: they all
    get the same bytes. Clients mask each frame with a key of its own, and
    permessage-deflate compresses for each connection.

    Unlike :meth:`~WebSocketCommonProtocol.send`, :func:`broadcast` doesn't
    wait: it writes the message to every connection's buffer, even when the
    buffer is over ``write_limit``. A connection that doesn't read keeps the
    messages in memory until it times out: keep ``ping_interval`` and
    ``ping_timeout`` short when broadcasting often.

    Connections that aren't open are skipped silently; connections in the
    middle of sending a fragmented message are skipped with a warning, since
    a message can't be inserted between fragments.

    This function is an addition to the websockets 8.x API.

    Raises:
        TypeError: if ``message`` isn't a string or a bytes-like object.

    """
    opcode, data = prepare_data(message)
    frame: Optional[bytes] = None
    for websocket in websockets:
        conn = websocket.conn
        if conn.state is not OPEN:
            continue
        if conn.sending_fragments:
            logger.warning("skipped broadcast: a fragmented message is being sent")
            continue
        if conn.side is SERVER and not conn.extensions and not conn.debug:
            # Servers don't mask frames: the same bytes suit every connection.
            if frame is None:
                frame = encode_frame(0x80 | opcode, data, False)
            cast(asyncio.Transport, websocket.transport).write(frame)
        else:
            if opcode == OP_TEXT:
                conn.send_text(data)
            else:
                conn.send_binary(data)
            websocket._flush()


if sys.version_info >= (3, 11):

    async def run_with_timeout(aw: Awaitable[T], delay: Optional[float]) -> T:
        """
        Await ``aw`` for at most ``delay`` seconds, then raise :exc:`TimeoutError`.

        This runs ``aw`` in the current task: before Python 3.12,
        :func:`asyncio.wait_for` wraps it in a new task, which costs two more
        turns of the event loop in every opening handshake.

        """
        async with asyncio.timeout(delay):
            return await aw

else:  # pragma: no cover
    run_with_timeout = asyncio.wait_for


async def _aiter(iterable: Iterable[Data]) -> AsyncIterator[Data]:
    """Iterate over an iterable asynchronously."""
    for item in iterable:
        yield item


def _random_ping_payload() -> bytes:
    return struct.pack("!I", random.getrandbits(32))
