"""
Minimal framing over asyncio.Protocol: the floor of what the event loop costs.

A frame is RFC 6455's header without a mask: opcode byte, then a 7-bit length
extended to 16 or 64 bits. No handshake beyond one round trip: the client
sends the path in a frame, the server answers an empty frame. To close, the
client sends a Close frame and the server closes the TCP connection.

"""

import asyncio
import collections
import struct
from typing import Any, Callable, Deque, List, Optional, Union


OP_TEXT, OP_BINARY, OP_CLOSE = 0x81, 0x82, 0x88

_pack_short = struct.Struct("!BBH").pack
_pack_long = struct.Struct("!BBQ").pack
_unpack_short = struct.Struct("!H").unpack_from
_unpack_long = struct.Struct("!Q").unpack_from


def header(opcode: int, size: int) -> bytes:
    if size < 126:
        return bytes((opcode, size))
    if size < 65536:
        return _pack_short(opcode, 126, size)
    return _pack_long(opcode, 127, size)


class FrameProtocol(asyncio.Protocol):
    """Parse frames; subclasses handle them in ``frame_received``."""

    transport: asyncio.Transport

    def __init__(self) -> None:
        self.buffer = bytearray()
        self.paused = False
        self.drain_waiters: List[asyncio.Future[None]] = []

    def connection_made(self, transport: Any) -> None:
        self.transport = transport
        if type(getattr(type(transport), "max_size", None)) is int:
            # The read size of ours (websockets.protocol.READ_SIZE): under
            # glibc's mmap threshold, so that reads don't map and unmap memory.
            # A floor shouldn't pay a cost that ours avoids.
            transport.max_size = 2**17 - 1024

    def data_received(self, data: bytes) -> None:
        buffer = self.buffer
        buffer += data
        while len(buffer) >= 2:
            size = buffer[1]
            start = 2
            if size == 126:
                if len(buffer) < 4:
                    return
                (size,) = _unpack_short(buffer, 2)
                start = 4
            elif size == 127:
                if len(buffer) < 10:
                    return
                (size,) = _unpack_long(buffer, 2)
                start = 10
            end = start + size
            if len(buffer) < end:
                return
            opcode = buffer[0]
            payload = bytes(buffer[start:end])
            del buffer[:end]
            self.frame_received(opcode, payload)

    def frame_received(self, opcode: int, payload: bytes) -> None:
        raise NotImplementedError

    def write_frame(self, opcode: int, payload: bytes) -> None:
        if len(payload) <= 4096:
            self.transport.write(header(opcode, len(payload)) + payload)
        else:
            self.transport.write(header(opcode, len(payload)))
            self.transport.write(payload)

    def pause_writing(self) -> None:
        self.paused = True

    def resume_writing(self) -> None:
        self.paused = False
        for waiter in self.drain_waiters:
            if not waiter.done():
                waiter.set_result(None)
        self.drain_waiters.clear()

    async def drain(self) -> None:
        while self.paused:
            waiter = asyncio.get_running_loop().create_future()
            self.drain_waiters.append(waiter)
            await waiter


class ServerProtocol(FrameProtocol):
    def __init__(self, clients: Any) -> None:
        super().__init__()
        self.clients = clients
        self.path: Optional[bytes] = None

    def frame_received(self, opcode: int, payload: bytes) -> None:
        if opcode == OP_CLOSE:
            self.clients.pop(self, None)
            self.transport.close()
        elif self.path is None:
            self.path = payload
            if payload == b"/idle":
                self.clients[self] = None
            self.write_frame(OP_BINARY, b"")
        elif self.path == b"/sink":
            if not payload:
                self.write_frame(opcode, payload)
        else:
            self.write_frame(opcode, payload)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        self.clients.pop(self, None)


class ClientProtocol(FrameProtocol):
    def __init__(self, on_message: Optional[Callable[[Any], None]] = None) -> None:
        super().__init__()
        self.messages: Deque[Union[str, bytes]] = collections.deque()
        self.waiter: Optional[asyncio.Future[None]] = None
        self.lost = asyncio.get_running_loop().create_future()
        self.on_message = on_message

    def frame_received(self, opcode: int, payload: bytes) -> None:
        message = payload.decode() if opcode == OP_TEXT else payload
        if self.on_message is not None:
            self.on_message(message)
            return
        self.messages.append(message)
        waiter = self.waiter
        if waiter is not None and not waiter.done():
            waiter.set_result(None)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        if not self.lost.done():
            self.lost.set_result(None)
        self.resume_writing()

    async def send(self, message: Union[str, bytes]) -> None:
        if isinstance(message, str):
            self.write_frame(OP_TEXT, message.encode())
        else:
            self.write_frame(OP_BINARY, message)
        if self.paused:
            await self.drain()

    async def recv(self) -> Union[str, bytes]:
        messages = self.messages
        while not messages:
            self.waiter = asyncio.get_running_loop().create_future()
            await self.waiter
        return messages.popleft()

    async def close(self) -> None:
        self.write_frame(OP_CLOSE, b"")
        await self.lost
