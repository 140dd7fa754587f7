"""Helpers shared by the tests."""

import asyncio
import functools
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    List,
    Optional,
    Tuple,
    TypeVar,
    Union,
)


T = TypeVar("T")

# A hard deadline per asynchronous test, so that a hang names its test.
TEST_DEADLINE = 10.0


def async_test(
    func: Callable[..., Awaitable[T]],
) -> Callable[..., T]:
    """Run an ``async def`` test on a fresh event loop, with a hard deadline."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        async def run() -> T:
            return await asyncio.wait_for(func(*args, **kwargs), TEST_DEADLINE)

        return asyncio.run(run())

    return wrapper


# A transport for exact bytes.


Call = Tuple[Any, ...]


class FakeTransport(asyncio.Transport):
    """
    Transport that records what a protocol does with it.

    Every call is appended to :attr:`calls`, e.g. ``("write", b"...")``,
    ``("write_eof",)``, ``("close",)``, ``("abort",)``, ``("pause_reading",)``.
    :meth:`close` calls ``connection_lost()`` once the write buffer is empty,
    unless ``close_completes`` is false: then only :meth:`abort` does.

    The peer reads everything at once, unless ``drains`` is false: then written
    bytes stay in a simulated buffer until :meth:`drain` removes them; above
    the high-water mark the protocol's ``pause_writing()`` is called, at or
    below the low-water mark ``resume_writing()``, as asyncio does.

    Args:
        protocol: protocol already created; call ``connection_made()`` next.
        can_write_eof: what :meth:`can_write_eof` returns.
        close_completes: whether :meth:`close` ends the connection.
        drains: whether written bytes leave the buffer at once.
        extra: extra information returned by :meth:`get_extra_info`.

    """

    def __init__(
        self,
        protocol: asyncio.Protocol,
        *,
        can_write_eof: bool = True,
        close_completes: bool = True,
        drains: bool = True,
        extra: Optional[Dict[str, Any]] = None,
    ) -> None:
        if extra is None:
            extra = {
                "sockname": ("127.0.0.1", 8765),
                "peername": ("127.0.0.1", 54321),
            }
        super().__init__(extra)
        self.loop = asyncio.get_running_loop()
        self.protocol = protocol
        self._can_write_eof = can_write_eof
        self.close_completes = close_completes
        self.drains = drains
        self.calls: List[Call] = []
        self.buffer_size = 0
        self.high = 2**16
        self.low = 2**14
        self.paused_writing = False
        self.reading = True
        self.closing = False
        self.lost = False
        self._waiters: List[Tuple[str, asyncio.Future[Call]]] = []

    # What the protocol did.

    @property
    def written(self) -> bytes:
        """Everything written, in order."""
        return b"".join(call[1] for call in self.calls if call[0] == "write")

    def names(self) -> List[str]:
        """Names of the calls, in order."""
        return [call[0] for call in self.calls]

    def clear(self) -> None:
        """Forget the calls recorded so far."""
        self.calls.clear()

    async def wait_call(self, name: str) -> Call:
        """Wait for the next call of method ``name`` and return it."""
        waiter: asyncio.Future[Call] = self.loop.create_future()
        self._waiters.append((name, waiter))
        return await waiter

    def _record(self, *call: Any) -> None:
        self.calls.append(call)
        for name, waiter in list(self._waiters):
            if name == call[0]:
                self._waiters.remove((name, waiter))
                if not waiter.done():
                    waiter.set_result(call)

    # What the peer does.

    def feed_data(self, data: bytes) -> None:
        """Deliver ``data`` to the protocol, as if received."""
        self.protocol.data_received(data)

    def feed_eof(self) -> None:
        """Deliver the end of the peer's stream; close unless asked otherwise."""
        if not self.protocol.eof_received():
            self.close()

    def drain(self, size: Optional[int] = None) -> None:
        """Remove ``size`` bytes (default: all) from the simulated write buffer."""
        if size is None:
            size = self.buffer_size
        self.buffer_size -= min(size, self.buffer_size)
        if self.paused_writing and self.buffer_size <= self.low:
            self.paused_writing = False
            self.protocol.resume_writing()
        if self.closing and self.close_completes and not self.buffer_size:
            self._lose()

    # asyncio.Transport API.

    def write(self, data: Union[bytes, bytearray, memoryview]) -> None:
        self._record("write", bytes(data))
        if self.drains:
            return
        self.buffer_size += len(data)
        if not self.paused_writing and self.buffer_size > self.high:
            self.paused_writing = True
            self.protocol.pause_writing()

    def write_eof(self) -> None:
        self._record("write_eof")

    def can_write_eof(self) -> bool:
        return self._can_write_eof

    def close(self) -> None:
        self._record("close")
        if self.closing:
            return
        self.closing = True
        if self.close_completes and not self.buffer_size:
            self._lose()

    def abort(self) -> None:
        self._record("abort")
        self.closing = True
        self.buffer_size = 0
        self._lose()

    def is_closing(self) -> bool:
        return self.closing

    def pause_reading(self) -> None:
        self._record("pause_reading")
        self.reading = False

    def resume_reading(self) -> None:
        self._record("resume_reading")
        self.reading = True

    def is_reading(self) -> bool:
        return self.reading

    def set_write_buffer_limits(
        self, high: Optional[int] = None, low: Optional[int] = None
    ) -> None:
        self._record("set_write_buffer_limits", high, low)
        if high is None:
            high = 2**16
        if low is None:
            low = high // 4
        self.high, self.low = high, low

    def get_write_buffer_size(self) -> int:
        return self.buffer_size

    def _lose(self) -> None:
        if self.lost:
            return
        self.lost = True
        self.loop.call_soon(self.protocol.connection_lost, None)
