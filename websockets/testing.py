"""
Test WebSocket applications in memory, on a virtual clock, with faults.

Three independent pieces, which combine:

* A virtual clock: :class:`VirtualClockLoop` is an asyncio event loop whose
  :meth:`~VirtualClockLoop.time` jumps to the next timer whenever nothing is
  ready to run, so that keepalive intervals, ``close_timeout``,
  ``open_timeout`` and the application's own :func:`asyncio.sleep` take no
  wall-clock time. Run tests on it with :func:`virtual_clock` (a decorator
  for plain or pytest test functions), :func:`run`, or
  :class:`VirtualClockTestCase` for :mod:`unittest`.
* An in-memory link: :class:`TestServer` runs a connection handler with the
  real :class:`~websockets.server.WebSocketServerProtocol`, and
  :meth:`TestServer.connect` connects a real
  :class:`~websockets.client.WebSocketClientProtocol` to it through a
  :class:`Link`: a pair of :class:`MemoryTransport` objects that behave like
  TCP sockets (flow control, half-close, reset), without sockets or ports.
* Faults and a recorder on the link: each direction is a :class:`Pipe`,
  which can delay data, split it into small chunks, stop delivering it (the
  receiver stalls), or drop the connection after a number of bytes, with an
  end of file or a reset. It parses what it carries into
  :class:`~websockets.framing.Frame` objects for assertions.

This module is an I/O layer like :mod:`websockets.server`: it imports
:mod:`asyncio`, and nothing beyond the standard library. It isn't imported by
``import websockets``.

"""

import asyncio
import collections
import errno
import functools
import selectors
import sys
import time
import unittest
from typing import (
    Any,
    Awaitable,
    Callable,
    Coroutine,
    Deque,
    Dict,
    List,
    Mapping,
    Optional,
    Set,
    Tuple,
    TypeVar,
    Union,
)

from .client import Connect, WebSocketClientProtocol
from .extensions.base import Extension
from .framing import Frame, parse_frame
from .protocol import WebSocketCommonProtocol
from .server import Serve, WebSocketServer, WebSocketServerProtocol


__all__ = [
    "DeadlineExceeded",
    "FrameRecorder",
    "Link",
    "MemoryTransport",
    "Pipe",
    "TestServer",
    "VirtualClockLoop",
    "VirtualClockPolicy",
    "VirtualClockTestCase",
    "run",
    "virtual_clock",
]

T = TypeVar("T")

# Wall-clock seconds allowed to a test on the virtual clock by default.
DEFAULT_DEADLINE = 10.0


# Virtual clock.


class DeadlineExceeded(Exception):
    """Raised by the event loop when a test runs out of wall-clock time."""


class _VirtualClockSelector(selectors.BaseSelector):
    """
    Selector that never sleeps: it advances a virtual clock instead.

    :meth:`select` polls the real selector. When nothing is ready and the loop
    would wait until its next timer, the clock jumps to that timer. With no
    timer at all, only real I/O (another thread, a subprocess) can wake the
    loop up: it waits for it in real time, until the wall-clock deadline.

    """

    def __init__(self, start: float, deadline: Optional[float]) -> None:
        self.selector = selectors.DefaultSelector()
        self.time = start
        self.seconds = deadline
        self.deadline = None if deadline is None else time.monotonic() + deadline
        self.expired = False

    def register(
        self, fileobj: Any, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self.selector.register(fileobj, events, data)

    def unregister(self, fileobj: Any) -> selectors.SelectorKey:
        return self.selector.unregister(fileobj)

    def modify(
        self, fileobj: Any, events: int, data: Any = None
    ) -> selectors.SelectorKey:
        return self.selector.modify(fileobj, events, data)

    def get_map(self) -> Mapping[Any, selectors.SelectorKey]:
        return self.selector.get_map()

    def close(self) -> None:
        self.selector.close()

    def select(
        self, timeout: Optional[float] = None
    ) -> List[Tuple[selectors.SelectorKey, int]]:
        remaining = None
        if self.deadline is not None:
            remaining = self.deadline - time.monotonic()
            if remaining <= 0 and not self.expired:
                # Raise once: the loop may then run the cleanup of the test.
                self.expired = True
                raise DeadlineExceeded(f"test ran for more than {self.seconds} s")
        ready = self.selector.select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            # Nothing is scheduled: only real I/O can wake the loop up.
            ready = self.selector.select(None if remaining is None else remaining)
            if not ready and self.expired:
                raise DeadlineExceeded("test still stuck after its deadline")
            return ready
        self.time += timeout
        return []


class VirtualClockLoop(asyncio.SelectorEventLoop):
    """
    Event loop on a virtual clock.

    :meth:`time` starts at ``start`` and only moves when nothing is ready to
    run: then it jumps to the next timer. A 20 s keepalive interval takes no
    time, and ``loop.time()`` measures exact durations.

    Real I/O still works (sockets, subprocesses, threads) but the clock
    doesn't wait for it: when it isn't ready yet and a timer is scheduled,
    the timer fires first. In-memory links (:class:`Link`) don't have this
    problem. With no timer scheduled, the loop waits for real I/O.

    Args:
        start: initial value of :meth:`time`.
        deadline: wall-clock seconds after which ``run_until_complete()``
            raises :exc:`DeadlineExceeded`, so that a test stuck forever
            names itself; ``None`` disables it.

    """

    def __init__(
        self, *, start: float = 0.0, deadline: Optional[float] = DEFAULT_DEADLINE
    ) -> None:
        self._clock = _VirtualClockSelector(start, deadline)
        super().__init__(self._clock)

    def time(self) -> float:
        """Return the time on the virtual clock."""
        return self._clock.time


class VirtualClockPolicy(asyncio.DefaultEventLoopPolicy):
    """
    Event loop policy that makes :class:`VirtualClockLoop` instances.

    Install it for code that creates loops with :func:`asyncio.new_event_loop`
    or :func:`asyncio.run`.

    Args:
        deadline: see :class:`VirtualClockLoop`.

    """

    def __init__(self, deadline: Optional[float] = DEFAULT_DEADLINE) -> None:
        super().__init__()
        self.deadline = deadline

    def new_event_loop(self) -> asyncio.AbstractEventLoop:
        """Return a new :class:`VirtualClockLoop`."""
        return VirtualClockLoop(deadline=self.deadline)


def run(
    main: Coroutine[Any, Any, T],
    *,
    deadline: Optional[float] = DEFAULT_DEADLINE,
    loop_factory: Optional[Callable[[], asyncio.AbstractEventLoop]] = None,
) -> T:
    """
    Run a coroutine on a new :class:`VirtualClockLoop`, like :func:`asyncio.run`.

    Tasks still running when ``main`` returns are cancelled, asynchronous
    generators and the default executor are shut down, and the loop is
    closed.

    Args:
        main: coroutine to run.
        deadline: see :class:`VirtualClockLoop`.
        loop_factory: makes the loop instead, e.g. a loop on the real clock;
            ``deadline`` doesn't apply then.

    Raises:
        DeadlineExceeded: if it takes more than ``deadline`` seconds of
            wall-clock time.

    """
    if loop_factory is None:
        loop: asyncio.AbstractEventLoop = VirtualClockLoop(deadline=deadline)
    else:
        loop = loop_factory()
    try:
        asyncio.set_event_loop(loop)
        return loop.run_until_complete(main)
    finally:
        try:
            tasks = asyncio.all_tasks(loop)
            for task in tasks:
                task.cancel()
            if tasks:
                loop.run_until_complete(asyncio.gather(*tasks, return_exceptions=True))
            loop.run_until_complete(loop.shutdown_asyncgens())
            if sys.version_info >= (3, 9):  # pragma: no branch
                loop.run_until_complete(loop.shutdown_default_executor())
        except DeadlineExceeded:  # pragma: no cover
            pass
        finally:
            asyncio.set_event_loop(None)
            loop.close()


def virtual_clock(
    func: Callable[..., Coroutine[Any, Any, T]],
) -> Callable[..., T]:
    """
    Turn an ``async def`` function into a function that runs it with :func:`run`.

    Decorate ``async def`` tests with it, for pytest or any runner that
    calls test functions; pytest fixtures still work, since the signature is
    kept::

        @websockets.testing.virtual_clock
        async def test_keepalive(): ...

    """

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        return run(func(*args, **kwargs))

    return wrapper


class VirtualClockTestCase(unittest.IsolatedAsyncioTestCase):
    """
    :class:`unittest.IsolatedAsyncioTestCase` whose tests run on a virtual clock.

    Each test and its ``asyncSetUp`` and ``asyncTearDown`` run on a
    :class:`VirtualClockLoop`, with a deadline of :attr:`deadline` seconds.

    """

    deadline: Optional[float] = DEFAULT_DEADLINE
    """Wall-clock seconds allowed to each test."""

    def run(self, result: Optional[unittest.TestResult] = None) -> Any:
        # Python 3.13 accepts a loop_factory; before, the loop comes from the
        # policy. Both are set, for every version.
        self.loop_factory = functools.partial(VirtualClockLoop, deadline=self.deadline)
        policy = asyncio.get_event_loop_policy()
        asyncio.set_event_loop_policy(VirtualClockPolicy(self.deadline))
        try:
            return super().run(result)
        finally:
            asyncio.set_event_loop_policy(policy)


# Recorder.


class _KeepReservedBits(Extension):
    """Let frames with reserved bits through the parser, and remember them."""

    def __init__(self) -> None:
        self.raw: Optional[Frame] = None

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        self.raw = frame
        return frame._replace(rsv1=False, rsv2=False, rsv3=False)


class FrameRecorder:
    """
    Parse one direction of a connection: the HTTP head, then frames.

    Frames are recorded as they are on the wire, unmasked: with compression,
    the payloads of data frames are compressed and ``rsv1`` is set. Pass
    ``compression=None`` to compare payloads with the messages.

    Args:
        mask: whether frames are masked, i.e. the client writes them.

    """

    def __init__(self, *, mask: bool) -> None:
        self.mask = mask
        self.head = b""
        """The HTTP request or response, up to the empty line."""
        self.frames: List[Frame] = []
        """Complete frames, in order."""
        self.size = 0
        """Bytes received."""
        self.error: Optional[Exception] = None
        """What stopped the parser: bytes that aren't frames."""
        self._buffer = bytearray()
        self._head_done = False
        self._codec = _KeepReservedBits()
        self._parser = self._parse()
        self._need = next(self._parser)

    def feed(self, data: bytes) -> None:
        """Parse ``data``, the next bytes of the stream."""
        self.size += len(data)
        if self.error is not None:
            return
        buffer = self._buffer
        buffer += data
        if not self._head_done:
            end = buffer.find(b"\r\n\r\n")
            if end == -1:
                return
            self.head = bytes(buffer[: end + 4])
            del buffer[: end + 4]
            self._head_done = True
            if self.head.startswith(b"HTTP/") and self.head[9:12] != b"101":
                # An HTTP error response: a body follows, not frames.
                self.error = ValueError("HTTP response other than 101")
                return
        while len(buffer) >= self._need:
            chunk = bytes(buffer[: self._need])
            del buffer[: self._need]
            try:
                self._need = self._parser.send(chunk)
            except Exception as exc:
                self.error = exc
                return

    def _parse(self) -> Any:
        while True:
            frame = yield from parse_frame(mask=self.mask, extensions=[self._codec])
            raw = self._codec.raw
            self.frames.append(frame if raw is None else raw)


# In-memory link.

# asyncio's selector transports read at most this many bytes at once.
DEFAULT_CHUNK_SIZE = 2**18


class Pipe:
    """
    One direction of a :class:`Link`: what one side writes, the other receives.

    Bytes are delivered to the receiving protocol's
    :meth:`~asyncio.Protocol.data_received` in a later iteration of the event
    loop, at most :attr:`chunk_size` bytes at a time, while the receiving
    transport reads. Up to :attr:`capacity` bytes waiting for delivery stand
    for the kernel's buffers; beyond that, they count in the sender's write
    buffer, so that asyncio's flow control (``pause_writing()``) kicks in
    when the receiver doesn't read.

    The attributes may change at any time.

    """

    def __init__(
        self,
        *,
        delay: float = 0.0,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        capacity: int = 2**16,
        mask: bool,
    ) -> None:
        if not (isinstance(chunk_size, int) and chunk_size >= 1):
            raise ValueError(f"chunk_size must be a positive int, not {chunk_size!r}")
        if delay < 0:
            raise ValueError(f"delay must be >= 0, not {delay!r}")
        self.delay = delay
        """Seconds between a write and the delivery of its bytes."""
        self.chunk_size = chunk_size
        """Maximum size of the bytes received by one ``data_received()`` call."""
        self.capacity = capacity
        """Bytes in flight that don't count in the sender's write buffer."""
        self.stalled = False
        """Whether delivery stopped, as if the receiver didn't read (:meth:`stall`)."""
        self.sent = FrameRecorder(mask=mask)
        """What the sender wrote."""
        self.received = FrameRecorder(mask=mask)
        """What the receiver got."""
        self.sender: Optional[MemoryTransport] = None
        self.receiver: Optional[MemoryTransport] = None
        self._segments: Deque[Tuple[float, bytearray]] = collections.deque()
        self.pending = 0
        """Bytes written and not delivered yet."""
        self._eof = False
        self._reset = False
        self._reset_sent = False
        self._closed = False
        self._drop_at: Optional[int] = None
        self._drop_reset = False
        self._handle: Optional[Union[asyncio.Handle, asyncio.TimerHandle]] = None

    # Faults.

    def stall(self) -> None:
        """Stop delivering bytes: the receiver doesn't read, e.g. its loop is stuck."""
        self.stalled = True

    def resume(self) -> None:
        """Deliver bytes again after :meth:`stall`."""
        self.stalled = False
        self._schedule()

    def drop_after(self, size: int, *, reset: bool = False) -> None:
        """
        Drop the connection after delivering ``size`` more bytes.

        The sender's transport is aborted, as if its host vanished: the
        receiver gets ``size`` bytes, e.g. half a frame, then an end of file,
        or a connection reset when ``reset`` is true. Bytes written beyond
        ``size`` are lost. The sender's protocol gets ``connection_lost()``.

        """
        self._drop_at = self.received.size + size
        self._drop_reset = reset
        self._schedule()

    # What transports do.

    def push(self, data: bytes) -> None:
        if self._closed:
            return
        self.sent.feed(data)
        assert self.sender is not None
        loop = self.sender.loop
        self._segments.append((loop.time() + self.delay, bytearray(data)))
        self.pending += len(data)
        self._schedule()

    def push_eof(self) -> None:
        if self._closed:
            return
        self._closed = self._eof = True
        self._schedule()

    def push_reset(self, *, discard: bool = True) -> None:
        """Send a reset: what's in flight is lost, unless ``discard`` is false."""
        if discard:
            self.clear()
        self._closed = True
        if not self._reset_sent:
            self._reset_sent = self._reset = True
            self._schedule()

    def clear(self) -> None:
        self._segments.clear()
        self.pending = 0

    def truncate(self, size: int) -> None:
        """Keep the first ``size`` bytes in flight and forget the rest."""
        excess = self.pending - size
        while excess > 0:
            _, data = self._segments[-1]
            if len(data) <= excess:
                self._segments.pop()
                excess -= len(data)
                self.pending -= len(data)
            else:
                del data[len(data) - excess :]
                self.pending -= excess
                excess = 0

    @property
    def reset_pending(self) -> bool:
        return self._reset

    def _schedule(self) -> None:
        if self._handle is not None or self.sender is None:
            return
        self._handle = self.sender.loop.call_soon(self._deliver)

    def _deliver(self) -> None:
        self._handle = None
        sender, receiver = self.sender, self.receiver
        assert sender is not None and receiver is not None
        if self._drop_at is not None and self.received.size >= self._drop_at:
            self._drop_at = None
            self.truncate(0)
            sender._drop(reset=self._drop_reset)
        if self.stalled:
            return
        if not self._segments and self._reset:
            # Seen when reading, or when writing what a closing transport holds.
            if receiver.reading or receiver.closing:
                self._reset = False
                receiver._force_close(_reset_error())
            return
        if not receiver.reading:
            return
        if self._segments:
            loop = sender.loop
            ready_at = self._segments[0][0]
            if ready_at > loop.time():
                self._handle = loop.call_at(ready_at, self._deliver)
                return
            chunk = self._read(loop.time())
            self.received.feed(chunk)
            sender._written()
            receiver.protocol.data_received(chunk)
            self._schedule()
        elif self._eof:
            self._eof = False
            receiver._eof_received()
            self._schedule()

    def _read(self, now: float) -> bytes:
        """Take what's ready, up to ``chunk_size`` bytes, as a recv() would."""
        size = self.chunk_size
        if self._drop_at is not None:
            size = min(size, self._drop_at - self.received.size)
        chunks = []
        segments = self._segments
        while size and segments and segments[0][0] <= now:
            data = segments[0][1]
            chunk = bytes(data[:size])
            del data[:size]
            if not data:
                segments.popleft()
            chunks.append(chunk)
            size -= len(chunk)
            self.pending -= len(chunk)
        return b"".join(chunks)


def _reset_error() -> ConnectionResetError:
    return ConnectionResetError(errno.ECONNRESET, "Connection reset by peer")


class MemoryTransport(asyncio.Transport):
    """
    In-memory transport: one end of a :class:`Link`, which creates it.

    It behaves like asyncio's TCP transports: ``write()`` never blocks and
    calls the protocol's ``pause_writing()`` above the high-water mark of
    the write buffer; ``write_eof()`` half-closes; ``close()`` waits for
    the buffer to drain, then calls ``connection_lost()``; ``abort()``
    doesn't wait. As with TCP, closing with received data left unread
    resets the connection, and so does writing to a peer that closed.

    """

    def __init__(
        self,
        loop: asyncio.AbstractEventLoop,
        protocol: asyncio.Protocol,
        out: Pipe,
        in_: Pipe,
        extra: Dict[str, Any],
    ) -> None:
        super().__init__(extra)
        self.loop = loop
        self.protocol = protocol
        self.out = out
        self.in_ = in_
        self.peer: Optional[MemoryTransport] = None
        self.reading = True
        self.closing = False
        self.eof_written = False
        self.lost = False
        self.socket_closed = False
        self.high = 2**16
        self.low = 2**14
        self.protocol_paused = False

    # asyncio.Transport API.

    def write(self, data: Union[bytes, bytearray, memoryview]) -> None:
        if self.eof_written:
            raise RuntimeError("Cannot call write() after write_eof()")
        if not data or self.lost:
            return
        if self.in_.reset_pending:
            # The peer reset the connection: sending fails.
            self._force_close(_reset_error())
            return
        assert self.peer is not None
        if self.peer.socket_closed:
            # The peer's host answers with a reset, after what's in flight.
            self.in_.push_reset(discard=False)
            return
        self.out.push(bytes(data))
        self._maybe_pause_protocol()

    def write_eof(self) -> None:
        if self.closing or self.eof_written:
            return
        self.eof_written = True
        self.out.push_eof()

    def can_write_eof(self) -> bool:
        return True

    def close(self) -> None:
        if self.closing:
            return
        self.closing = True
        self.reading = False
        if not self.get_write_buffer_size():
            self._lose(None)

    def abort(self) -> None:
        self._force_close(None)

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        if self.closing or not self.reading:
            return
        self.reading = False

    def resume_reading(self) -> None:
        if self.closing or self.reading:
            return
        self.reading = True
        self.in_._schedule()

    def is_reading(self) -> bool:
        return self.reading and not self.closing

    def set_write_buffer_limits(
        self, high: Optional[int] = None, low: Optional[int] = None
    ) -> None:
        if high is None:
            high = 2**16 if low is None else 4 * low
        if low is None:
            low = high // 4
        if not high >= low >= 0:
            raise ValueError(f"high ({high!r}) must be >= low ({low!r}) must be >= 0")
        self.high, self.low = high, low
        self._maybe_pause_protocol()

    def get_write_buffer_limits(self) -> Tuple[int, int]:
        return self.low, self.high

    def get_write_buffer_size(self) -> int:
        if self.socket_closed:
            return 0
        return max(0, self.out.pending - self.out.capacity)

    # Private.

    def _maybe_pause_protocol(self) -> None:
        if not self.protocol_paused and self.get_write_buffer_size() > self.high:
            self.protocol_paused = True
            self.protocol.pause_writing()

    def _written(self) -> None:
        """The peer received bytes: the write buffer shrank."""
        size = self.get_write_buffer_size()
        if self.protocol_paused and size <= self.low and not self.lost:
            self.protocol_paused = False
            self.protocol.resume_writing()
        if self.closing and not size:
            self._lose(None)

    def _eof_received(self) -> None:
        self.reading = False
        if not self.protocol.eof_received():
            self.close()

    def _drop(self, *, reset: bool) -> None:
        """Abort, with a reset if ``reset``."""
        if reset:
            self.out.push_reset()
        self._force_close(None)

    def _force_close(self, exc: Optional[Exception]) -> None:
        if self.lost:
            return
        self.closing = True
        self.reading = False
        # What the kernel holds still goes; the write buffer is lost.
        self.out.truncate(0 if exc is not None else self.out.capacity)
        self._lose(exc)

    def _lose(self, exc: Optional[Exception]) -> None:
        if self.lost:
            return
        self.lost = True
        self.loop.call_soon(self._connection_lost, exc)

    def _connection_lost(self, exc: Optional[Exception]) -> None:
        try:
            self.protocol.connection_lost(exc)
        finally:
            self._close_socket()

    def _close_socket(self) -> None:
        self.socket_closed = True
        if self.in_.pending:
            # Closing with unread data resets the connection (RFC 1122 4.2.2.13).
            self.out.push_reset()
        else:
            self.out.push_eof()
        self.in_.clear()
        assert self.peer is not None
        self.peer._written()


class Link:
    """
    In-memory connection between a client protocol and a server protocol.

    :meth:`connect` calls ``connection_made()`` on both, with a
    :class:`MemoryTransport` each. Faults and recorders are on the two
    directions, :attr:`client_to_server` and :attr:`server_to_client`; the
    arguments set both.

    Args:
        delay: see :attr:`Pipe.delay`.
        chunk_size: see :attr:`Pipe.chunk_size`.
        capacity: see :attr:`Pipe.capacity`.
        client_address: what ``get_extra_info("sockname")`` returns on the
            client side, and ``"peername"`` on the server side; by default,
            ``("127.0.0.1", 50000)``, or a port of its own with
            :class:`TestServer`.
        server_address: the other way around.

    """

    def __init__(
        self,
        *,
        delay: float = 0.0,
        chunk_size: int = DEFAULT_CHUNK_SIZE,
        capacity: int = 2**16,
        client_address: Any = None,
        server_address: Any = ("127.0.0.1", 8765),
    ) -> None:
        self.client_to_server = Pipe(
            delay=delay, chunk_size=chunk_size, capacity=capacity, mask=True
        )
        """What the client sends to the server."""
        self.server_to_client = Pipe(
            delay=delay, chunk_size=chunk_size, capacity=capacity, mask=False
        )
        """What the server sends to the client."""
        self.client_address = client_address
        self.server_address = server_address
        self._client: Optional[WebSocketCommonProtocol] = None
        self._server: Optional[WebSocketCommonProtocol] = None

    @property
    def client(self) -> WebSocketCommonProtocol:
        """Protocol of the client side, once connected."""
        if self._client is None:
            raise RuntimeError("the link isn't connected")
        return self._client

    @property
    def server(self) -> WebSocketCommonProtocol:
        """Protocol of the server side, once connected."""
        if self._server is None:
            raise RuntimeError("the link isn't connected")
        return self._server

    def connect(
        self, client: WebSocketCommonProtocol, server: WebSocketCommonProtocol
    ) -> None:
        """Connect the protocols: call ``connection_made()`` on both."""
        if self._client is not None:
            raise RuntimeError("the link is already connected")
        loop = asyncio.get_running_loop()
        if self.client_address is None:
            self.client_address = ("127.0.0.1", 50000)
        up, down = self.client_to_server, self.server_to_client
        client_transport = MemoryTransport(
            loop,
            client,
            up,
            down,
            {"sockname": self.client_address, "peername": self.server_address},
        )
        server_transport = MemoryTransport(
            loop,
            server,
            down,
            up,
            {"sockname": self.server_address, "peername": self.client_address},
        )
        client_transport.peer, server_transport.peer = (
            server_transport,
            client_transport,
        )
        up.sender = down.receiver = client_transport
        up.receiver = down.sender = server_transport
        self._client, self._server = client, server
        server.connection_made(server_transport)
        client.connection_made(client_transport)

    def drop(self, *, reset: bool = False) -> None:
        """
        Drop the connection now, like a network failure seen by both sides.

        Both sides get an end of file, or a connection reset when ``reset`` is
        true, after the bytes in flight (none with a reset).

        """
        for pipe in (self.client_to_server, self.server_to_client):
            if reset:
                pipe.push_reset()
            else:
                pipe.push_eof()


class _Listener(asyncio.AbstractServer):
    """What :class:`~websockets.server.WebSocketServer` wraps: no socket."""

    def __init__(self) -> None:
        self.serving = True
        self.sockets: List[Any] = []

    def close(self) -> None:
        self.serving = False

    async def wait_closed(self) -> None:
        pass

    def is_serving(self) -> bool:
        return self.serving

    def get_loop(self) -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    async def start_serving(self) -> None:
        pass

    async def serve_forever(self) -> None:
        raise NotImplementedError


class _Connect(Connect):
    """:func:`~websockets.client.connect`, through a :class:`Link`."""

    def __init__(
        self, test_server: "TestServer", uri: str, link: Optional[Link], **kwargs: Any
    ) -> None:
        super().__init__(uri, **kwargs)
        if self.kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(sorted(self.kwargs))}")
        self.test_server = test_server
        self.link = link

    async def _connect_once(self) -> WebSocketClientProtocol:
        link = self.link if self.link is not None else Link()
        self.link = None  # a redirect opens a new connection
        protocol = self._factory()
        self.test_server.accept(link, protocol)
        wsuri = self.wsuri
        try:
            await protocol.handshake(
                wsuri,
                origin=protocol.origin,
                available_extensions=protocol.available_extensions,
                available_subprotocols=protocol.available_subprotocols,
                extra_headers=protocol.extra_headers,
            )
        except BaseException:
            protocol.close_transport()
            raise
        return protocol


class TestServer:
    """
    WebSocket server running ``ws_handler`` in memory.

    It's what :func:`~websockets.server.serve` creates, with the same
    arguments, except that it doesn't listen on a socket: clients connect
    with :meth:`connect`. Server connections are real
    :class:`~websockets.server.WebSocketServerProtocol` instances, tracked
    by :attr:`server`, a real :class:`~websockets.server.WebSocketServer`.

    ``async with TestServer(...) as server:`` closes it when leaving the
    block, like ``async with serve(...)``.

    Args:
        ws_handler: connection handler.
        kwargs: arguments of :func:`~websockets.server.serve`, except host,
            port and those of :meth:`asyncio.loop.create_server`.

    """

    __test__ = False  # not a test class for pytest

    def __init__(
        self,
        ws_handler: Callable[[WebSocketServerProtocol, str], Awaitable[Any]],
        **kwargs: Any,
    ) -> None:
        serve = Serve(ws_handler, "localhost", 8765, **kwargs)
        if serve.kwargs:
            raise TypeError(f"unexpected arguments: {', '.join(sorted(serve.kwargs))}")
        self.factory = serve.factory
        self.server: WebSocketServer = serve.ws_server
        """Server tracking connections; :meth:`close` closes it."""
        self.server.wrap(_Listener())
        self.links: List[Link] = []
        """Links of the connections, in the order they were made."""
        self.refuse_connections = False
        """Make :meth:`connect` fail as if the server were down, when true."""

    @property
    def connections(self) -> Set[WebSocketServerProtocol]:
        """Server side of the connections that aren't closed."""
        return self.server.websockets

    def connect(
        self,
        uri: str = "ws://localhost/",
        *,
        link: Optional[Link] = None,
        **kwargs: Any,
    ) -> Connect:
        """
        Connect a client to the server through an in-memory :class:`Link`.

        Use it like :func:`~websockets.client.connect`: await it or use it
        as an asynchronous context manager. The host and port of ``uri``
        only go in the Host header.

        Args:
            uri: URI of the request.
            link: link to connect through, set up with faults before the
                opening handshake; a new one by default.
            kwargs: arguments of :func:`~websockets.client.connect`, except
                those of :meth:`asyncio.loop.create_connection`.

        Raises:
            ConnectionRefusedError: if the server is closed or
                :attr:`refuse_connections` is true.

        """
        return _Connect(self, uri, link, **kwargs)

    def accept(self, link: Link, client: WebSocketCommonProtocol) -> None:
        """
        Connect ``client`` to a new server protocol through ``link``.

        Raises:
            ConnectionRefusedError: if the server is closed or
                :attr:`refuse_connections` is true.

        """
        if self.refuse_connections or not self.server.is_serving():
            raise ConnectionRefusedError(errno.ECONNREFUSED, "Connection refused")
        if link.client_address is None:
            # Each client gets a port of its own, as with TCP.
            link.client_address = ("127.0.0.1", 50000 + len(self.links))
        self.links.append(link)
        link.connect(client, self.factory())

    def close(self) -> None:
        """Close the server, like :meth:`.WebSocketServer.close`."""
        self.server.close()

    async def wait_closed(self) -> None:
        """
        Wait until the server is closed.

        See :meth:`~websockets.server.WebSocketServer.wait_closed`.

        """
        await self.server.wait_closed()

    async def __aenter__(self) -> "TestServer":
        return self

    async def __aexit__(self, *exc_info: Any) -> None:
        self.close()
        await self.wait_closed()
