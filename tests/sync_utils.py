"""Helpers for the tests of the threading API, websockets.sync."""

import contextlib
import socket
import threading
from typing import Any, Callable, Iterator, List

from websockets.connection import Connection
from websockets.sansio import Request, ServerConnection as ServerProtocol
from websockets.sync.server import Server, ServerConnection, serve


# Short timeouts: a test that waits for one fails fast rather than hangs.
TIMEOUT = 5.0

# Settings that keep background threads out of the way in most tests.
QUIET = {"ping_interval": None, "close_timeout": 1.0}


def echo(connection: ServerConnection) -> None:
    for message in connection:
        connection.send(message)


@contextlib.contextmanager
def running(server: Server) -> Iterator[Server]:
    """Run ``server.serve_forever()`` in a thread; shut it down when leaving."""
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    try:
        with server:
            yield server
    finally:
        thread.join(TIMEOUT)
        assert not thread.is_alive()


@contextlib.contextmanager
def sync_server(
    handler: Callable[[ServerConnection], Any] = echo, **kwargs: Any
) -> Iterator[str]:
    """Run a threading server on a free port; yield its URI."""
    kwargs = {**QUIET, **kwargs}
    with running(serve(handler, "127.0.0.1", 0, **kwargs)) as server:
        yield f"ws://127.0.0.1:{server.socket.getsockname()[1]}"


@contextlib.contextmanager
def raw_peer(
    script: Callable[[socket.socket, ServerProtocol], None],
    with_response: bytes = b"",
) -> Iterator[str]:
    """
    Accept one connection, perform the opening handshake with the Sans-I/O
    core, then hand the socket and the core to ``script``.

    ``with_response`` is sent in the same write as the handshake response.

    The peer does nothing else: no pongs, no closing handshake, unless the
    script does it. It yields the URI to connect to.

    """
    listener = socket.create_server(("127.0.0.1", 0))
    errors: List[BaseException] = []

    def run() -> None:
        try:
            sock, _ = listener.accept()
            with sock:
                protocol = ServerProtocol()
                while protocol.request is None:
                    protocol.receive_data(sock.recv(4096))
                request = protocol.events_received()[0]
                assert isinstance(request, Request)
                protocol.send_response(protocol.accept(request))
                sock.sendall(b"".join(protocol.data_to_send()) + with_response)
                script(sock, protocol)
        except BaseException as exc:  # pragma: no cover
            errors.append(exc)

    thread = threading.Thread(target=run)
    thread.start()
    try:
        yield f"ws://127.0.0.1:{listener.getsockname()[1]}"
    finally:
        thread.join(TIMEOUT)
        listener.close()
    assert not errors, errors


def read_until_eof(sock: socket.socket, protocol: Connection) -> List[Any]:
    """Feed the core and write what it answers until EOF; return the events."""
    events: List[Any] = []
    while True:
        data = sock.recv(4096)
        if data:
            protocol.receive_data(data)
        else:
            protocol.receive_eof()
        events += protocol.events_received()
        for output in protocol.data_to_send():
            if output:
                sock.sendall(output)
            else:
                sock.shutdown(socket.SHUT_WR)
        if not data:
            return events
