"""
Threading server: :func:`serve`, :func:`unix_serve` and :func:`basic_auth`.

"""

import contextlib
import http
import logging
import selectors
import socket
import ssl as ssl_module
import threading
from types import TracebackType
from typing import (
    Any,
    Callable,
    Iterable,
    Optional,
    Sequence,
    Set,
    Type,
    Union,
)

from ..exceptions import ConnectionClosed, InvalidHeader
from ..extensions.base import ServerExtensionFactory
from ..extensions.permessage_deflate import enable_server_permessage_deflate
from ..headers import build_www_authenticate_basic, parse_authorization_basic
from ..http import MultipleValuesError, http_date
from ..sansio import (
    Credentials,
    Request,
    Response,
    SelectSubprotocol,
    ServerConnection as ServerProtocol,
    credentials_checker,
    error_response,
)
from ..typing import Origin, Subprotocol
from .connection import Connection, deadline_in


__all__ = ["Server", "ServerConnection", "basic_auth", "serve", "unix_serve"]

logger = logging.getLogger("websockets.sync")

ProcessRequest = Callable[["ServerConnection", Request], Optional[Response]]
"""Type of the ``process_request`` argument of :func:`serve`."""


class ServerConnection(Connection):
    """
    Server side of a WebSocket connection, passed to the handler of :func:`serve`.

    """

    protocol: ServerProtocol

    username: Optional[str] = None
    """Name of the user authenticated by :func:`basic_auth`, if any."""

    @property
    def request(self) -> Optional[Request]:
        """Request of the opening handshake: its ``path`` and ``headers``."""
        return self.protocol.request

    @property
    def response(self) -> Optional[Response]:
        """Response sent to the opening handshake."""
        return self.protocol.response

    def respond(
        self, status: Union[http.HTTPStatus, int], text: str = "", **kwargs: Any
    ) -> Response:
        """
        Build an HTTP response, for ``process_request`` to refuse the connection.

        This calls :meth:`~websockets.sansio.ServerConnection.reject`.

        """
        return self.protocol.reject(status, text, **kwargs)

    def handshake(
        self,
        process_request: Optional[ProcessRequest],
        register: Callable[["ServerConnection"], bool],
        deadline: Optional[float],
    ) -> bool:
        """
        Perform the opening handshake; start the reader thread if it succeeds.

        Args:
            process_request: see :func:`serve`.
            register: tracks the connection and tells whether the server is
                still serving.
            deadline: end of ``open_timeout``, for :func:`time.monotonic`.

        Returns:
            Whether the connection is open.

        """
        events = self._receive_handshake(deadline)
        if self.protocol.handshake_exc is None:
            request = events[0]
            response: Optional[Response] = None
            if not register(self):
                response = self.respond(503, "Server is shutting down.\n")
            elif process_request is not None:
                try:
                    response = process_request(self, request)
                except Exception as exc:
                    logger.error("error in process_request", exc_info=True)
                    response = error_response(exc)
            if response is None:
                response = self.protocol.accept(request)
            response.headers.setdefault("Date", http_date())
            self.protocol.send_response(response)
            with self.lock:
                self._write_pending()
        if self.protocol.handshake_exc is not None:
            logger.info("opening handshake failed: %s", self.protocol.handshake_exc)
            self._drain()
            return False
        # Frames that came with the request.
        with self.lock:
            self._dispatch(self.protocol.events_received())
        self.socket.settimeout(None)
        self.start()
        return True

    def _drain(self) -> None:
        """After an HTTP error, let the client close first, then close."""
        self.socket.settimeout(self.close_timeout)
        with contextlib.suppress(OSError):
            while self.socket.recv(4096):
                pass
        self.socket.close()
        self.reader_done.set()


class Server:
    """
    Threading WebSocket server returned by :func:`serve`.

    Like :class:`socketserver.ThreadingTCPServer`, it serves each connection
    in a thread. Use it as a context manager::

        with serve(handler, "localhost", 8765) as server:
            server.serve_forever()

    Args:
        sock: listening socket.
        handle: function that runs a connection, given the socket accepted
            and the address of the client.

    """

    def __init__(
        self,
        sock: socket.socket,
        handle: Callable[[socket.socket, Any], None],
    ) -> None:
        self.socket = sock
        """Listening socket."""
        self.handle = handle
        self.serving = True
        self.lock = threading.Lock()
        self.connections: Set[ServerConnection] = set()
        self.threads: Set[threading.Thread] = set()
        self.running = False
        self.stopped = threading.Event()
        # Wakes up serve_forever() when shutdown() is called.
        self.wakeup_reader, self.wakeup_writer = socket.socketpair()

    def fileno(self) -> int:
        """File descriptor of the listening socket."""
        return self.socket.fileno()

    def serve_forever(self) -> None:
        """
        Accept connections until :meth:`shutdown` is called.

        Each connection runs in a new thread.

        """
        with self.lock:
            if not self.serving:
                return
            self.running = True
        try:
            with selectors.DefaultSelector() as selector:
                selector.register(self.socket, selectors.EVENT_READ)
                selector.register(self.wakeup_reader, selectors.EVENT_READ)
                while self.serving:
                    for key, _ in selector.select():
                        if key.fileobj is self.socket:
                            self._accept()
        finally:
            self.stopped.set()

    def _accept(self) -> None:
        try:
            sock, address = self.socket.accept()
        except OSError:  # pragma: no cover
            return  # e.g. the client already reset the connection
        with self.lock:
            if not self.serving:  # pragma: no cover
                sock.close()
                return
            thread = threading.Thread(
                target=self._run, args=(sock, address), name=f"websockets {address}"
            )
            thread.daemon = True
            self.threads.add(thread)
        thread.start()

    def _run(self, sock: socket.socket, address: Any) -> None:
        try:
            self.handle(sock, address)
        finally:
            with self.lock:
                self.threads.discard(threading.current_thread())

    def register(self, connection: ServerConnection) -> bool:
        """Track an open connection; return whether the server is serving."""
        with self.lock:
            if self.serving:
                self.connections.add(connection)
            return self.serving

    def unregister(self, connection: ServerConnection) -> None:
        with self.lock:
            self.connections.discard(connection)

    def shutdown(self) -> None:
        """
        Stop the server: stop accepting connections, close open connections
        with code 1001 (going away), and wait for their threads to end.

        Connections still in the opening handshake get HTTP 503. Call it from
        any thread, including a connection handler, whose own thread isn't
        waited for. It's idempotent.

        """
        with self.lock:
            self.serving = False
            running = self.running
            connections = list(self.connections)
        with contextlib.suppress(OSError):
            self.wakeup_writer.send(b"\0")
        if running:
            self.stopped.wait()
        self.socket.close()
        self.wakeup_reader.close()
        self.wakeup_writer.close()
        for connection in connections:
            # Handlers see ConnectionClosedOK and return; then their
            # threads wait for the end of the closing handshake.
            connection.start_closing(1001)
        with self.lock:
            threads = list(self.threads)
        for thread in threads:
            if thread is not threading.current_thread():
                thread.join()

    def __enter__(self) -> "Server":
        return self

    def __exit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.shutdown()


def serve(
    handler: Callable[[ServerConnection], Any],
    host: Optional[str] = None,
    port: Optional[int] = None,
    *,
    sock: Optional[socket.socket] = None,
    ssl: Optional[ssl_module.SSLContext] = None,
    origins: Optional[Sequence[Optional[Origin]]] = None,
    extensions: Optional[Sequence[ServerExtensionFactory]] = None,
    subprotocols: Optional[Sequence[Subprotocol]] = None,
    select_subprotocol: Optional[SelectSubprotocol] = None,
    process_request: Optional[ProcessRequest] = None,
    compression: Optional[str] = "deflate",
    open_timeout: Optional[float] = 10,
    ping_interval: Optional[float] = 20,
    ping_timeout: Optional[float] = 20,
    close_timeout: Optional[float] = 10,
    max_size: Optional[int] = 2**20,
    max_queue: Optional[int] = 32,
) -> Server:
    """
    Create a threading WebSocket server listening on ``host`` and ``port``.

    Each connection runs ``handler(connection)`` in its own thread, after
    the opening handshake; when the handler returns, the connection closes
    with code 1000, or 1011 if it raised an exception.

    Args:
        handler: connection handler; it receives a :class:`ServerConnection`.
        host: network interface to listen on; all of them by default.
        port: TCP port to listen on; 0 picks a free one.
        sock: a listening socket, instead of ``host`` and ``port``.
        ssl: TLS settings, to accept ``wss://`` connections.
        origins: acceptable values of the Origin header; include ``None`` to
            accept requests without one. ``None`` accepts any.
        extensions: supported extension factories, by decreasing preference.
        subprotocols: supported subprotocols, by decreasing preference.
        select_subprotocol: picks the subprotocol, instead of the default
            logic; see :class:`~websockets.sansio.ServerConnection`.
        process_request: called with the connection and the request before
            the handshake checks; it returns ``None`` to go on, or a response
            (see :meth:`ServerConnection.respond`) that refuses the
            connection. The Date header is added to the response, unless it
            has one. Combine it with :func:`basic_auth` by calling the latter
            from it.
        compression: ``"deflate"`` enables permessage-deflate; ``None``
            disables it.
        open_timeout: seconds allowed to the TLS and opening handshakes.
        ping_interval: seconds between keepalive pings; ``None`` disables them.
        ping_timeout: seconds to wait for the pong of a keepalive ping.
        close_timeout: seconds allowed to each step of closing a connection.
        max_size: maximum size of incoming messages in bytes; ``None``
            disables the limit.
        max_queue: maximum number of messages waiting for
            :meth:`~websockets.sync.connection.Connection.recv`.

    """
    if compression == "deflate":
        extensions = enable_server_permessage_deflate(extensions)
    elif compression is not None:
        raise ValueError(f"unsupported compression: {compression}")
    if sock is None:
        sock = socket.create_server((host or "", port or 0))

    def handle(client: socket.socket, address: Any) -> None:
        deadline = deadline_in(open_timeout)
        try:
            client.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, True)
        except OSError:  # e.g. a Unix socket
            pass
        try:
            if ssl is not None:
                client.settimeout(open_timeout)
                client = ssl.wrap_socket(client, server_side=True)
            protocol = ServerProtocol(
                origins=origins,
                extensions=extensions,
                subprotocols=subprotocols,
                select_subprotocol=select_subprotocol,
                max_size=max_size,
            )
            connection = ServerConnection(
                client,
                protocol,
                ping_interval=ping_interval,
                ping_timeout=ping_timeout,
                close_timeout=close_timeout,
                max_queue=max_queue,
            )
        except Exception as exc:
            logger.info("connection failed before the opening handshake: %r", exc)
            client.close()
            return
        try:
            if connection.handshake(process_request, server.register, deadline):
                run(connection)
        except Exception as exc:
            logger.info("opening handshake failed: %r", exc)
            client.close()
        finally:
            server.unregister(connection)

    def run(connection: ServerConnection) -> None:
        try:
            handler(connection)
        except ConnectionClosed:
            # The handler didn't catch the end of the connection: that's fine.
            connection.close()
        except Exception:
            logger.error("error in connection handler", exc_info=True)
            connection.close(1011)
        else:
            connection.close()

    server = Server(sock, handle)
    return server


def unix_serve(
    handler: Callable[[ServerConnection], Any], path: str, **kwargs: Any
) -> Server:
    """Like :func:`serve`, listening on the Unix socket at ``path``."""
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.bind(path)
        sock.listen()
    except BaseException:
        sock.close()
        raise
    return serve(handler, sock=sock, **kwargs)


def basic_auth(
    realm: str = "",
    credentials: Optional[Union[Credentials, Iterable[Credentials]]] = None,
    check_credentials: Optional[Callable[[str, str], bool]] = None,
) -> ProcessRequest:
    """
    Build a ``process_request`` for :func:`serve` that enforces HTTP Basic Auth.

    A request without valid credentials, i.e. missing, malformed, not Basic
    or wrong, gets 401 Unauthorized with a Basic challenge (RFC 7235, RFC
    7617), as with the asyncio server; several Authorization headers get 400
    Bad Request.
    The user's name goes to :attr:`ServerConnection.username`.

    Args:
        realm: scope of protection; ASCII only (RFC 7235 2.2).
        credentials: a ``(username, password)`` pair or a list of them.
        check_credentials: function taking a username and a password and
            returning whether they're authorized.

    Exactly one of ``credentials`` and ``check_credentials`` must be given.

    Raises:
        TypeError: if both or neither are given, or ``credentials`` has the
            wrong type.

    """
    if (credentials is None) == (check_credentials is None):
        raise TypeError("provide either credentials or check_credentials")
    if credentials is not None:
        check_credentials = credentials_checker(credentials)
    assert check_credentials is not None
    check = check_credentials
    challenge = {"WWW-Authenticate": build_www_authenticate_basic(realm)}

    def process_request(
        connection: ServerConnection, request: Request
    ) -> Optional[Response]:
        try:
            authorization = request.headers["Authorization"]
        except KeyError:
            return connection.respond(401, "Missing credentials\n", headers=challenge)
        except MultipleValuesError:
            return connection.respond(400, "More than one Authorization header\n")
        try:
            username, password = parse_authorization_basic(authorization)
        except InvalidHeader:
            # Malformed or not Basic: challenge the client, as for missing
            # credentials, so that it can retry with valid ones (RFC 7235 3.1).
            return connection.respond(
                401, "Unsupported credentials\n", headers=challenge
            )
        if not check(username, password):
            return connection.respond(401, "Invalid credentials\n", headers=challenge)
        connection.username = username
        return None

    return process_request
