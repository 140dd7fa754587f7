"""The client of the threading API, against the asyncio server and others."""

import asyncio
import contextlib
import socket
import ssl
import tempfile
import threading
from typing import Any, Callable, Iterator

import pytest
import trustme

import websockets
from websockets.exceptions import (
    InvalidMessage,
    InvalidStatusCode,
    InvalidURI,
    RedirectHandshake,
)
from websockets.sync.client import connect, unix_connect

from .sync_utils import QUIET, TIMEOUT


@pytest.fixture(scope="module")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture
def server_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost", "127.0.0.1").configure_cert(context)
    return context


@pytest.fixture
def client_context(ca: trustme.CA) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(context)
    return context


async def echo(ws: websockets.WebSocketServerProtocol, path: str) -> None:
    await ws.send(path)
    async for message in ws:
        await ws.send(message)


def against_asyncio_server(client: Callable[[int], Any], **kwargs: Any) -> None:
    """Run the asyncio server and ``client(port)`` in a thread."""

    async def main() -> None:
        async with websockets.serve(echo, "127.0.0.1", 0, **kwargs) as server:
            port = server.sockets[0].getsockname()[1]  # type: ignore[index]
            await asyncio.wait_for(
                asyncio.get_running_loop().run_in_executor(None, client, port),
                TIMEOUT,
            )

    asyncio.run(main())


def test_client_against_asyncio_server() -> None:
    def client(port: int) -> None:
        with connect(f"ws://127.0.0.1:{port}/path?q=1", **QUIET) as ws:
            assert ws.recv(TIMEOUT) == "/path?q=1"
            ws.send("hello ✓")
            assert ws.recv(TIMEOUT) == "hello ✓"
            ws.send([b"frag", b"ments"])
            assert ws.recv(TIMEOUT) == b"fragments"
            assert ws.ping().wait(TIMEOUT)
            assert [ext.name for ext in ws.extensions] == ["permessage-deflate"]
        assert ws.close_code == 1000

    against_asyncio_server(client)


def test_client_without_compression_and_with_subprotocol() -> None:
    def client(port: int) -> None:
        with connect(
            f"ws://127.0.0.1:{port}/",
            compression=None,
            subprotocols=["chat"],
            origin="https://example.com",  # type: ignore[arg-type]
            additional_headers={"X-Test": "1"},
            **QUIET,
        ) as ws:
            assert ws.extensions == []
            assert ws.subprotocol == "chat"
            assert ws.recv(TIMEOUT) == "/"

    against_asyncio_server(client, subprotocols=["chat"])


def test_client_keepalive_against_asyncio_server() -> None:
    def client(port: int) -> None:
        with connect(f"ws://127.0.0.1:{port}/", ping_interval=0.01) as ws:
            assert ws.recv(TIMEOUT) == "/"
            # Pings go out while we wait; the echo proves the connection is fine.
            ws.send("still there")
            assert ws.recv(TIMEOUT) == "still there"

    against_asyncio_server(client)


def test_client_with_tls(
    server_context: ssl.SSLContext, client_context: ssl.SSLContext
) -> None:
    def client(port: int) -> None:
        with connect(f"wss://localhost:{port}/tls", ssl=client_context, **QUIET) as ws:
            assert ws.recv(TIMEOUT) == "/tls"
            assert isinstance(ws.socket, ssl.SSLSocket)

    against_asyncio_server(client, ssl=server_context)


def test_client_with_unix_socket() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = f"{directory}/socket"

        async def main() -> None:
            async with websockets.unix_serve(echo, path):
                await asyncio.wait_for(
                    asyncio.get_running_loop().run_in_executor(None, client),
                    TIMEOUT,
                )

        def client() -> None:
            with unix_connect(path, **QUIET) as ws:
                assert ws.recv(TIMEOUT) == "/"
            with unix_connect(path, "ws://localhost/unix", **QUIET) as ws:
                assert ws.recv(TIMEOUT) == "/unix"

        asyncio.run(main())


@contextlib.contextmanager
def http_server(answer: bytes) -> Iterator[str]:
    """Answer one handshake request with ``answer``, possibly nothing."""
    listener = socket.create_server(("127.0.0.1", 0))

    def run() -> None:
        sock, _ = listener.accept()
        with sock:
            request = b""
            while not request.endswith(b"\r\n\r\n"):
                request += sock.recv(4096)
            sock.sendall(answer)
            while sock.recv(4096):  # until the client closes
                pass

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}/"
    finally:
        thread.join(TIMEOUT)
        listener.close()


def test_client_fails_when_server_refuses() -> None:
    answer = b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n"
    with http_server(answer) as uri:
        with pytest.raises(InvalidStatusCode, match="HTTP 401"):
            connect(uri)


def test_client_reports_redirect() -> None:
    answer = b"HTTP/1.1 302 Found\r\nLocation: ws://elsewhere/\r\n\r\n"
    with http_server(answer) as uri:
        with pytest.raises(RedirectHandshake) as raised:
            connect(uri)
    assert raised.value.uri == "ws://elsewhere/"


def test_client_fails_on_malformed_response() -> None:
    with http_server(b"HTTP/1.1 101\n\n") as uri:
        with pytest.raises(InvalidMessage, match="did not receive a valid HTTP"):
            connect(uri)


def test_client_fails_when_server_closes_during_handshake() -> None:
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]

    def run() -> None:
        sock, _ = listener.accept()
        sock.close()

    thread = threading.Thread(target=run)
    thread.start()
    with pytest.raises(InvalidMessage):
        connect(f"ws://127.0.0.1:{port}/")
    thread.join(TIMEOUT)
    listener.close()


def test_client_open_timeout() -> None:
    with http_server(b"") as uri:
        with pytest.raises(TimeoutError, match="during the opening handshake"):
            connect(uri, open_timeout=0.02)


def test_client_rejects_bad_arguments() -> None:
    with pytest.raises(InvalidURI):
        connect("http://localhost/")
    with pytest.raises(ValueError, match="ssl argument for a ws:// URI"):
        connect("ws://localhost/", ssl=ssl.create_default_context())
    with pytest.raises(ValueError, match="unsupported compression: zstd"):
        connect("ws://localhost/", compression="zstd")
