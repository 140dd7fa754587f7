"""
Threading client: :func:`connect` and :func:`unix_connect`.

"""

import socket
import ssl as ssl_module
from typing import Any, Optional, Sequence

from ..extensions.base import ClientExtensionFactory
from ..extensions.permessage_deflate import enable_client_permessage_deflate
from ..http import HeadersLike
from ..sansio import ClientConnection as ClientProtocol, Response
from ..typing import Origin, Subprotocol
from ..uri import parse_uri
from .connection import Connection, deadline_in, remaining


__all__ = ["ClientConnection", "connect", "unix_connect"]


class ClientConnection(Connection):
    """
    Client side of a WebSocket connection, returned by :func:`connect`.

    Use it as a context manager: leaving the block closes the connection.

    """

    protocol: ClientProtocol

    @property
    def response(self) -> Optional[Response]:
        """Response of the server to the opening handshake."""
        return self.protocol.response

    def handshake(
        self, additional_headers: Optional[HeadersLike], deadline: Optional[float]
    ) -> None:
        """
        Perform the opening handshake, then start the reader thread.

        Raises:
            InvalidHandshake: if the handshake fails; see
                :attr:`~websockets.sansio.ClientConnection.handshake_exc`.
            TimeoutError: if it doesn't complete before ``deadline``.

        """
        request = self.protocol.connect()
        if additional_headers is not None:
            request.headers.update(additional_headers)
        self.protocol.send_request(request)
        with self.lock:
            self._write_pending()
        events = self._receive_handshake(deadline)
        if self.protocol.handshake_exc is not None:
            raise self.protocol.handshake_exc
        # Frames that came with the response.
        with self.lock:
            self._dispatch(events[1:])
        self.socket.settimeout(None)
        self.start()


def connect(
    uri: str,
    *,
    sock: Optional[socket.socket] = None,
    ssl: Optional[ssl_module.SSLContext] = None,
    server_hostname: Optional[str] = None,
    origin: Optional[Origin] = None,
    extensions: Optional[Sequence[ClientExtensionFactory]] = None,
    subprotocols: Optional[Sequence[Subprotocol]] = None,
    additional_headers: Optional[HeadersLike] = None,
    compression: Optional[str] = "deflate",
    open_timeout: Optional[float] = 10,
    ping_interval: Optional[float] = 20,
    ping_timeout: Optional[float] = 20,
    close_timeout: Optional[float] = 10,
    max_size: Optional[int] = 2**20,
    max_queue: Optional[int] = 32,
) -> ClientConnection:
    """
    Connect to the WebSocket server at ``uri`` and return the connection.

    Args:
        uri: URI of the server, ``ws://`` or ``wss://``.
        sock: a connected socket to use instead of opening one, e.g. to a
            Unix socket.
        ssl: TLS settings for ``wss://`` URIs; by default,
            :func:`ssl.create_default_context`.
        server_hostname: host name for TLS, instead of the host of the URI.
        origin: value of the Origin header.
        extensions: supported extension factories, by decreasing preference.
        subprotocols: supported subprotocols, by decreasing preference.
        additional_headers: headers added to the handshake request.
        compression: ``"deflate"`` enables permessage-deflate; ``None``
            disables it.
        open_timeout: seconds allowed to connect, set up TLS and perform the
            opening handshake; ``None`` waits forever.
        ping_interval: seconds between keepalive pings; ``None`` disables them.
        ping_timeout: seconds to wait for the pong of a keepalive ping.
        close_timeout: seconds allowed to each step of closing the connection.
        max_size: maximum size of incoming messages in bytes; ``None``
            disables the limit.
        max_queue: maximum number of messages waiting for
            :meth:`~websockets.sync.connection.Connection.recv`.

    Raises:
        InvalidURI: if ``uri`` isn't a valid WebSocket URI.
        InvalidHandshake: if the opening handshake fails, e.g.
            :exc:`~websockets.exceptions.InvalidStatusCode` when the server
            refuses the connection and
            :exc:`~websockets.exceptions.RedirectHandshake` for a redirect:
            redirects aren't followed.
        TimeoutError: if the connection isn't open within ``open_timeout``.
        OSError: if the TCP connection fails.

    """
    wsuri = parse_uri(uri)
    if not wsuri.secure and ssl is not None:
        raise ValueError("connect() received an ssl argument for a ws:// URI")
    if compression == "deflate":
        extensions = enable_client_permessage_deflate(extensions)
    elif compression is not None:
        raise ValueError(f"unsupported compression: {compression}")

    deadline = deadline_in(open_timeout)
    if sock is None:
        sock = socket.create_connection(
            (wsuri.host, wsuri.port), timeout=remaining(deadline)
        )
    try:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
    except OSError:  # e.g. a Unix socket
        pass
    try:
        if wsuri.secure:
            if ssl is None:
                ssl = ssl_module.create_default_context()
            sock.settimeout(remaining(deadline))
            sock = ssl.wrap_socket(sock, server_hostname=server_hostname or wsuri.host)
        protocol = ClientProtocol(
            wsuri,
            origin=origin,
            extensions=extensions,
            subprotocols=subprotocols,
            max_size=max_size,
        )
        connection = ClientConnection(
            sock,
            protocol,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_queue=max_queue,
        )
        connection.handshake(additional_headers, deadline)
    except BaseException:
        sock.close()
        raise
    return connection


def unix_connect(
    path: str, uri: Optional[str] = None, **kwargs: Any
) -> ClientConnection:
    """
    Like :func:`connect`, to a server listening on the Unix socket at ``path``.

    ``uri`` defaults to ``ws://localhost/``, or ``wss://localhost/`` with an
    ``ssl`` argument; it sets the Host header and the request path.

    """
    if uri is None:
        uri = "ws://localhost/" if kwargs.get("ssl") is None else "wss://localhost/"
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.settimeout(kwargs.get("open_timeout", 10))
        sock.connect(path)
    except BaseException:
        sock.close()
        raise
    return connect(uri, sock=sock, **kwargs)
