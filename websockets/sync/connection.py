"""
What the threading client and server share: a WebSocket connection on a socket.

A :class:`Connection` runs a Sans-I/O core, :mod:`websockets.sansio`, on a
blocking socket:

* a background thread reads from the socket, feeds the core, writes what the
  core answers (pongs, Close frames) and queues messages for
  :meth:`~Connection.recv`;
* :meth:`~Connection.send`, :meth:`~Connection.ping`,
  :meth:`~Connection.pong` and :meth:`~Connection.close` run in the
  caller's thread and write to the socket;
* with keepalive, a second background thread sends pings.

When received data breaks the protocol after messages that the application
hasn't read yet, the core holds the failure
(:attr:`~websockets.connection.Connection.pending_failure`): the reader
thread stops reading, lets the application read those messages and answer
them, then fails the connection. See ``Connection._hold_failure()``.

A lock protects the core and the writes to the socket; a condition on that
lock wakes threads that wait for messages, pongs, or the end of the
connection. Timeouts are those of the socket and of
:meth:`threading.Condition.wait`: nothing polls.

"""

import collections
import contextlib
import functools
import logging
import os
import socket
import threading
import time
from types import TracebackType
from typing import (
    Any,
    Deque,
    Dict,
    Iterable,
    Iterator,
    List,
    Mapping,
    Optional,
    Type,
    Union,
    cast,
)

from ..connection import CLOSED, OPEN, CloseReason
from ..exceptions import ConnectionClosed, ConnectionClosedOK
from ..extensions.base import Extension
from ..framing import OP_PONG, Frame
from ..sansio import HandshakeConnection
from ..typing import Data, Subprotocol


__all__ = ["Connection"]

logger = logging.getLogger("websockets.sync")

# Bytes read from the socket at once.
READ_SIZE = 2**16


class Connection:
    """
    A WebSocket connection on a socket, client or server side.

    Don't create it: :func:`~websockets.sync.client.connect` and
    :func:`~websockets.sync.server.serve` do.

    Args:
        sock: connected socket, possibly an :class:`ssl.SSLSocket`.
        protocol: Sans-I/O core, in state ``CONNECTING``.
        ping_interval: seconds between keepalive pings; ``None`` disables
            keepalive.
        ping_timeout: seconds to wait for the pong of a keepalive ping before
            failing the connection with code 1011; ``None`` waits forever.
        close_timeout: seconds to wait for the closing handshake and for the
            TCP connection to close, at each step; ``None`` waits forever.
        max_queue: maximum number of received messages waiting for
            :meth:`recv`; above it, the connection stops reading from the
            socket. ``None`` disables the limit.

    """

    def __init__(
        self,
        sock: socket.socket,
        protocol: HandshakeConnection,
        *,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = 10,
        max_queue: Optional[int] = 32,
    ) -> None:
        self.socket = sock
        self.protocol = protocol
        # Let the application answer what arrived before a protocol
        # violation: see _hold_failure().
        protocol.defer_failures = True
        self.ping_interval = ping_interval
        self.ping_timeout = ping_timeout
        self.close_timeout = close_timeout
        self.max_queue = max_queue
        # Protects the core and the writes to the socket.
        self.lock = threading.Lock()
        # Notified when a message or a pong arrives, when a message is
        # consumed, and when the connection closes.
        self.condition = threading.Condition(self.lock)
        self.messages: Deque[Data] = collections.deque()
        # Ping data to the event set when its pong arrives, oldest first.
        self.pong_waiters: Dict[bytes, threading.Event] = {}
        self.closing = False
        self.reader_done = threading.Event()
        self.reader: Optional[threading.Thread] = None
        self.local_address: Any = sock.getsockname()
        self.remote_address: Any = sock.getpeername()

    # Properties.

    @property
    def subprotocol(self) -> Optional[Subprotocol]:
        """Subprotocol negotiated in the opening handshake, if any."""
        return self.protocol.subprotocol

    @property
    def extensions(self) -> List[Extension]:
        """Extensions negotiated in the opening handshake."""
        return self.protocol.extensions

    @property
    def close_code(self) -> Optional[int]:
        """Close code (RFC 6455 7.1.5), once the connection is closing or closed."""
        return self.protocol.close_code

    @property
    def close_reason(self) -> str:
        """Close reason (RFC 6455 7.1.6)."""
        return self.protocol.close_reason

    @property
    def close_cause(self) -> Optional[CloseReason]:
        """Why the connection closed or is closing, once known."""
        return self.protocol.close_cause

    # Context manager and iteration.

    def __enter__(self) -> "Connection":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.close(1000 if exc_type is None else 1011)

    def __iter__(self) -> Iterator[Data]:
        """
        Iterate over the messages received until the connection closes.

        The iteration ends when the connection closes normally, with code
        1000 or 1001; else it raises
        :exc:`~websockets.exceptions.ConnectionClosedError`.

        """
        try:
            while True:
                yield self.recv()
        except ConnectionClosedOK:
            return

    # Receiving.

    def recv(self, timeout: Optional[float] = None) -> Data:
        """
        Return the next message: :class:`str` for Text, :class:`bytes` for Binary.

        Args:
            timeout: seconds to wait for a message; ``None`` waits forever.

        Raises:
            ConnectionClosed: once the connection is closed and every message
                received was returned.
            TimeoutError: if no message arrived within ``timeout``.

        """
        with self.condition:
            if not self.condition.wait_for(self._recv_ready, timeout):
                raise TimeoutError(f"no message received within {timeout} seconds")
            if self.messages:
                message = self.messages.popleft()
                # The reader may wait for room in the queue.
                self.condition.notify_all()
                return message
            if self.protocol.pending_failure is not None:
                # The application took every message received before a
                # violation, and answered them: fail the connection now.
                self._fail_pending()
            raise self.protocol.close_exc()

    def _recv_ready(self) -> bool:
        return bool(self.messages) or not self.protocol.receiving

    # Sending.

    def send(self, message: Union[Data, Iterable[Data]]) -> None:
        """
        Send a message.

        A :class:`str` is sent as a Text frame, :class:`bytes`,
        :class:`bytearray` or :class:`memoryview` as a Binary frame. An
        iterable of them, all of the same kind, is sent as a fragmented
        message, one frame per item.

        Raises:
            ConnectionClosed: if the connection is closing or closed.
            TypeError: if the message has an unsupported type.

        """
        if isinstance(message, str):
            with self.lock:
                self._check_open()
                self.protocol.send_text(message.encode())
                self._write_pending()
        elif isinstance(message, (bytes, bytearray, memoryview)):
            with self.lock:
                self._check_open()
                self.protocol.send_binary(bytes(message))
                self._write_pending()
        elif isinstance(message, Iterable) and not isinstance(message, Mapping):
            self._send_fragments(iter(cast(Iterable[Data], message)))
        else:
            raise TypeError(
                f"message has an unsupported type: {type(message).__name__}"
            )

    def _send_fragments(self, parts: Iterator[Data]) -> None:
        """Send a fragmented message; the next part tells whether one is the last."""
        part = next(parts, None)
        text = isinstance(part, str)
        first = True
        while part is not None:
            following = next(parts, None)
            if isinstance(part, str) is not text or not isinstance(
                part, (str, bytes, bytearray, memoryview)
            ):
                with self.lock:
                    self.protocol.fail(1011, "invalid fragment")
                    self._write_pending()
                raise TypeError("fragments must all be str or all be bytes-like")
            data = part.encode() if isinstance(part, str) else bytes(part)
            fin = following is None
            with self.lock:
                self._check_open()
                if not first:
                    self.protocol.send_continuation(data, fin)
                elif text:
                    self.protocol.send_text(data, fin)
                else:
                    self.protocol.send_binary(data, fin)
                self._write_pending()
            first = False
            part = following

    def ping(self, data: Optional[Data] = None) -> threading.Event:
        """
        Send a Ping (RFC 6455 5.5.2).

        Args:
            data: payload; :class:`str` is encoded in UTF-8. By default, 4
                random bytes.

        Returns:
            An event, set when the matching Pong arrives, or a Pong answering
            a later ping (RFC 6455 5.5.3).

        Raises:
            ConnectionClosed: if the connection is closing or closed.
            ValueError: if a ping with the same data waits for its pong.

        """
        with self.lock:
            self._check_open()
            if data is None:
                payload = os.urandom(4)
                while payload in self.pong_waiters:  # pragma: no cover
                    payload = os.urandom(4)
            else:
                payload = data.encode() if isinstance(data, str) else bytes(data)
                if payload in self.pong_waiters:
                    raise ValueError("already waiting for a pong with the same data")
            pong = threading.Event()
            self.pong_waiters[payload] = pong
            self.protocol.send_ping(payload)
            self._write_pending()
        return pong

    def pong(self, data: Data = b"") -> None:
        """
        Send a Pong (RFC 6455 5.5.3), e.g. as a unidirectional heartbeat.

        Raises:
            ConnectionClosed: if the connection is closing or closed.

        """
        payload = data.encode() if isinstance(data, str) else bytes(data)
        with self.lock:
            self._check_open()
            self.protocol.send_pong(payload)
            self._write_pending()

    # Closing.

    def close(self, code: int = 1000, reason: str = "") -> None:
        """
        Perform the closing handshake and close the TCP connection.

        It waits for the other side: at most ``close_timeout`` seconds for
        the closing handshake, then as much for the TCP connection to close.
        It's idempotent.

        """
        self.start_closing(code, reason)
        self.wait_closed()

    def start_closing(self, code: int = 1000, reason: str = "") -> None:
        """Send a Close frame, if the connection is open, without waiting."""
        with self.lock:
            self.closing = True
            self.condition.notify_all()
            if self.protocol.pending_failure is not None:
                # A violation was received: fail with its code instead.
                self._fail_pending()
            elif self.protocol.state is OPEN:
                self.protocol.send_close(code, reason)
                self._write_pending()

    def wait_closed(self, timeout: Optional[float] = None) -> bool:
        """
        Wait until the TCP connection is closed.

        Returns:
            Whether it's closed, which is always true with the default
            ``timeout``, ``None``: it returns at the latest ``close_timeout``
            seconds after the closing handshake started.

        """
        if self.reader is None:
            return self.reader_done.is_set()
        if threading.current_thread() is self.reader:  # pragma: no cover
            return False
        if timeout is None and not self.reader_done.wait(self.close_timeout):
            # The other side doesn't close: abort the TCP connection.
            with contextlib.suppress(OSError):
                self.socket.shutdown(socket.SHUT_RDWR)
        return self.reader_done.wait(timeout)

    # Threads.

    def start(self) -> None:
        """Start the threads that read from the socket and send keepalive pings."""
        self.reader = threading.Thread(
            target=self._read, name=f"websockets reader {self.remote_address}"
        )
        self.reader.daemon = True
        self.reader.start()
        if self.ping_interval is not None:
            keepalive = threading.Thread(
                target=self._keepalive,
                name=f"websockets keepalive {self.remote_address}",
            )
            keepalive.daemon = True
            keepalive.start()

    def _read(self) -> None:
        """Read from the socket until the TCP connection closes."""
        try:
            while self.protocol.state is not CLOSED:
                with self.condition:
                    # Messages received before a violation, here or with the
                    # opening handshake, wait for the application.
                    if self.protocol.pending_failure is not None:
                        self._hold_failure()
                    self.condition.wait_for(self._may_read)
                    if self.protocol.close_expected():
                        # RFC 6455 7.1.1: the TCP connection should close soon.
                        self.socket.settimeout(self.close_timeout)
                try:
                    data = self.socket.recv(READ_SIZE)
                except OSError:  # including socket.timeout
                    data = b""
                with self.condition:
                    if data:
                        self.protocol.receive_data(data)
                    else:
                        self.protocol.receive_eof()
                    self._write_pending()
                    self._dispatch(self.protocol.events_received())
                    self.condition.notify_all()
        except Exception:  # pragma: no cover
            logger.error("unexpected error in the reader thread", exc_info=True)
        finally:
            with self.condition:
                self.socket.close()
                self.reader_done.set()
                self.condition.notify_all()

    def _hold_failure(self) -> None:
        """
        Received data broke the protocol after messages the application
        hasn't read yet: let it read them and answer, then fail.

        :meth:`_dispatch` decided to hold the failure; the reader thread
        calls this, with the lock held, before reading again. The connection
        fails when :meth:`recv` finds no more messages, which means that the
        application has dealt with those received before the violation; when
        the application closes the connection; or after ``close_timeout`` if
        it does neither. (The connection must fail, RFC 6455 7.1.7 and 8.1;
        answering what came before is what peers such as Autobahn|Testsuite
        expect.)

        """
        self.condition.wait_for(self._failure_settled, self.close_timeout)
        self._fail_pending()

    def _failure_settled(self) -> bool:
        return self.protocol.pending_failure is None or self.protocol.state is not OPEN

    def _fail_pending(self) -> None:
        """Fail the connection because of the violation held by the core."""
        if self.protocol.pending_failure is not None:
            self.protocol.fail_pending()
            self._write_pending()
            self.condition.notify_all()

    def _may_read(self) -> bool:
        """Tell whether the queue has room for more messages."""
        return (
            self.max_queue is None
            or len(self.messages) < self.max_queue
            or self.closing
            or not self.protocol.receiving
        )

    def _dispatch(self, events: Iterable[Any]) -> None:
        """
        Queue messages; wake up ping waiters. Call it with the lock held.

        Every event the core produces goes through it, from the reader thread
        or from the opening handshake. When received data broke the protocol
        and no message received before waits for the application, the
        connection fails at once; else the reader thread holds the failure,
        see :meth:`_hold_failure`.

        """
        for event in events:
            if isinstance(event, Frame):
                if event.opcode == OP_PONG and event.data in self.pong_waiters:
                    # RFC 6455 5.5.3: a pong may answer only the latest ping.
                    for data in list(self.pong_waiters):
                        self.pong_waiters.pop(data).set()
                        if data == event.data:
                            break
            elif isinstance(event, (str, bytes)):
                self.messages.append(event)
        if self.protocol.pending_failure is not None and not (
            self.messages and self.protocol.state is OPEN
        ):
            self._fail_pending()

    def _keepalive(self) -> None:
        """Send a ping every ``ping_interval`` seconds; fail when no pong comes."""
        assert self.ping_interval is not None
        while not self.reader_done.wait(self.ping_interval):
            try:
                pong = self.ping()
            except ConnectionClosed:
                return
            with self.condition:
                answered = functools.partial(self._answered, pong)
                if self.condition.wait_for(answered, self.ping_timeout):
                    continue
                if self.protocol.state is OPEN:
                    logger.info("keepalive ping timed out: failing the connection")
                    self.protocol.fail(
                        1011, "keepalive ping timeout", CloseReason.KEEPALIVE_TIMEOUT
                    )
                    self._write_pending()
                return

    def _answered(self, pong: threading.Event) -> bool:
        return pong.is_set() or self.reader_done.is_set()

    # Private helpers, to call with the lock held.

    def _check_open(self) -> None:
        if self.protocol.state is not OPEN:
            raise self.protocol.close_exc()

    def _write_pending(self) -> None:
        """Write what the core has to send; an empty bytes means EOF."""
        for data in self.protocol.data_to_send():
            try:
                if data:
                    self.socket.sendall(data)
                else:
                    self.socket.shutdown(socket.SHUT_WR)
            except OSError:
                # The reader thread sees the end of the connection.
                with contextlib.suppress(OSError):
                    self.socket.shutdown(socket.SHUT_RDWR)
                return

    # Opening handshake, before the threads start.

    def _receive_handshake(self, deadline: Optional[float]) -> List[Any]:
        """
        Read until the core has events or the handshake failed.

        Raises:
            TimeoutError: if that doesn't happen before ``deadline``, a value
                of :func:`time.monotonic`.

        """
        while True:
            events = self.protocol.events_received()
            if events or self.protocol.handshake_exc is not None:
                return events
            self.socket.settimeout(remaining(deadline))
            try:
                data = self.socket.recv(READ_SIZE)
            except socket.timeout:
                raise TimeoutError("timed out during the opening handshake") from None
            except OSError:
                data = b""
            if data:
                self.protocol.receive_data(data)
            else:
                self.protocol.receive_eof()
            with self.lock:
                self._write_pending()


def remaining(deadline: Optional[float]) -> Optional[float]:
    """Seconds left until ``deadline``, at least a little; ``None`` for no deadline."""
    if deadline is None:
        return None
    return max(deadline - time.monotonic(), 0.001)


def deadline_in(timeout: Optional[float]) -> Optional[float]:
    """Deadline, for :func:`time.monotonic`, in ``timeout`` seconds, if any."""
    return None if timeout is None else time.monotonic() + timeout
