"""
wsproto, a peer of tests/test_interop.py, driven on asyncio streams.

wsproto is Sans-I/O: this module moves its bytes, answers its pings and close
frames with the events it provides (``event.response()``), and puts message
fragments together. wsproto has no default extensions: both sides use
``PerMessageDeflate()`` with its default parameters. See peer_common.py for
the protocol.

"""

import argparse
import asyncio
import base64
import collections
import urllib.parse
from typing import Any, Deque, List, Optional, Tuple

import peer_common
import wsproto
from peer_common import CHALLENGE, Data, Refused, Report, Session
from wsproto import ConnectionType, WSConnection
from wsproto.connection import ConnectionState
from wsproto.events import (
    AcceptConnection,
    BytesMessage,
    CloseConnection,
    Event,
    Message,
    Ping,
    Pong,
    RejectConnection,
    Request,
    TextMessage,
)
from wsproto.extensions import PerMessageDeflate


servers: List[asyncio.AbstractServer] = []

# How long a client waits for the server to close the TCP connection.
CLOSE_TIMEOUT = 10


class Stream:
    """A wsproto connection on an asyncio stream."""

    def __init__(
        self, conn: WSConnection, reader: asyncio.StreamReader, writer: Any
    ) -> None:
        self.conn = conn
        self.reader = reader
        self.writer = writer
        self.events: Deque[Event] = collections.deque()

    async def next_event(self) -> Event:
        while not self.events:
            data = await self.reader.read(2**16)
            self.conn.receive_data(data or None)
            self.events.extend(self.conn.events())
        return self.events.popleft()

    async def send(self, event: Event) -> None:
        self.writer.write(self.conn.send(event))
        await self.writer.drain()


class WsprotoSession(Session):
    def __init__(
        self,
        stream: Stream,
        subprotocol: Optional[str],
        extensions: List[str],
    ) -> None:
        self.stream = stream
        self.subprotocol = subprotocol
        self.extensions = extensions
        self.close_code: Optional[int] = None
        self.close_reason: Optional[str] = None

    async def recv(self) -> Optional[Data]:
        chunks: List[Any] = []
        while self.close_code is None:
            event = await self.stream.next_event()
            if isinstance(event, Message):
                chunks.append(event.data)
                if event.message_finished:
                    empty: Data = "" if isinstance(event, TextMessage) else b""
                    return empty.join(chunks)
            elif isinstance(event, Ping):
                await self.stream.send(event.response())
            elif isinstance(event, CloseConnection):
                self.close_code, self.close_reason = event.code, event.reason
                if self.stream.conn.state is ConnectionState.REMOTE_CLOSING:
                    await self.stream.send(event.response())
        return None

    async def send(self, message: Data) -> None:
        if isinstance(message, str):
            await self.stream.send(TextMessage(data=message))
        else:
            await self.stream.send(BytesMessage(data=message))

    async def send_fragments(self, parts: List[Data]) -> None:
        for index, part in enumerate(parts):
            finished = index == len(parts) - 1
            if isinstance(part, str):
                await self.stream.send(
                    TextMessage(data=part, message_finished=finished)
                )
            else:
                await self.stream.send(
                    BytesMessage(data=part, message_finished=finished)
                )

    async def ping(self, data: bytes) -> bytes:
        await self.stream.send(Ping(payload=data))
        while True:
            event = await self.stream.next_event()
            if isinstance(event, Pong):
                return bytes(event.payload)
            if isinstance(event, Ping):
                await self.stream.send(event.response())
            else:
                raise RuntimeError(f"{event} while waiting for a pong")

    async def close(self, code: int, reason: str) -> None:
        await self.stream.send(CloseConnection(code=code, reason=reason))

    async def closed(self) -> Tuple[Optional[int], Optional[str]]:
        writer = self.stream.writer
        if self.stream.conn.client:
            # RFC 6455 7.1.1: the server closes the TCP connection first.
            await asyncio.wait_for(self.stream.reader.read(), CLOSE_TIMEOUT)
        writer.close()
        await writer.wait_closed()
        return self.close_code, self.close_reason


def header(headers: List[Tuple[bytes, bytes]], name: bytes) -> Optional[str]:
    for key, value in headers:
        if key.lower() == name:
            return value.decode("latin-1")
    return None


async def start(options: argparse.Namespace) -> int:
    async def handler(reader: asyncio.StreamReader, writer: Any) -> None:
        stream = Stream(WSConnection(ConnectionType.SERVER), reader, writer)
        request = await stream.next_event()
        assert isinstance(request, Request), request
        path = request.target
        authorization = header(list(request.extra_headers), b"authorization")
        if path.startswith("/auth") and not peer_common.authorized(
            authorization, options.credentials
        ):
            challenge = [(b"WWW-Authenticate", CHALLENGE.encode())]
            await stream.send(RejectConnection(status_code=401, headers=challenge))
            writer.close()
            await writer.wait_closed()
            return
        subprotocol = peer_common.select(request.subprotocols, options.subprotocols)
        extensions = [PerMessageDeflate()]
        await stream.send(
            AcceptConnection(subprotocol=subprotocol, extensions=extensions)
        )
        names = [ext.name for ext in extensions if ext.enabled()]
        session = WsprotoSession(stream, subprotocol, names)
        report = await peer_common.run_scenario(session, peer_common.mode_of(path))
        peer_common.emit({"event": "closed", "path": path, **report})

    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    servers.append(server)
    port: int = server.sockets[0].getsockname()[1]
    return port


async def run_client(uri: str, subprotocols: List[str], mode: str) -> Report:
    url = urllib.parse.urlsplit(uri)
    assert url.hostname is not None and url.port is not None
    headers = []
    if url.username is not None:
        username = urllib.parse.unquote(url.username)
        password = urllib.parse.unquote(url.password or "")
        token = base64.b64encode(f"{username}:{password}".encode()).decode()
        headers.append((b"Authorization", f"Basic {token}".encode()))
    reader, writer = await asyncio.open_connection(url.hostname, url.port)
    stream = Stream(WSConnection(ConnectionType.CLIENT), reader, writer)
    request = Request(
        host=f"{url.hostname}:{url.port}",
        target=url.path or "/",
        subprotocols=subprotocols,
        extensions=[PerMessageDeflate()],
        extra_headers=headers,
    )
    await stream.send(request)
    event = await stream.next_event()
    if isinstance(event, RejectConnection):
        writer.close()
        await writer.wait_closed()
        raise Refused(event.status_code)
    assert isinstance(event, AcceptConnection), event
    names = [ext.name for ext in event.extensions]
    session = WsprotoSession(stream, event.subprotocol, names)
    report = await peer_common.run_scenario(session, mode)
    return {"status": 101, **report}


if __name__ == "__main__":
    about = {"library": "wsproto " + wsproto.__version__, "module": wsproto.__file__}
    peer_common.main(start, run_client, about)
