"""
WebSocket server: :func:`serve`, :func:`unix_serve` and the protocol they use.

A :class:`WebSocketServerProtocol` runs one task per connection: it performs
the opening handshake (RFC 6455 4.2), runs the connection handler, then the
closing handshake. :class:`WebSocketServer` keeps track of the connections to
shut them down gracefully.

"""

import asyncio
import contextlib
import functools
import http
import logging
import warnings
from types import TracebackType
from typing import (
    Any,
    Awaitable,
    Callable,
    Dict,
    Generator,
    List,
    Optional,
    Sequence,
    Set,
    Tuple,
    Type,
    Union,
    cast,
)

from .connection import CONNECTING, OPEN, CloseReason
from .exceptions import AbortHandshake, InvalidHandshake, InvalidMessage
from .extensions.base import Extension, ServerExtensionFactory
from .extensions.permessage_deflate import enable_server_permessage_deflate
from .handshake import check_request
from .http import (
    USER_AGENT,
    Headers,
    HeadersLike,
    LineReader,
    build_response as serialize_response,
    http_date,
    parse_request,
)
from .protocol import WebSocketCommonProtocol, get_loop, run_with_timeout
from .sansio import (
    accept_extensions,
    check_origin,
    error_response,
    handshake_response_headers,
    offered_subprotocols,
    select_subprotocol,
)
from .typing import Origin, Subprotocol


__all__ = ["WebSocketServer", "WebSocketServerProtocol", "serve", "unix_serve"]

logger = logging.getLogger("websockets.server")


HTTPResponse = Tuple[http.HTTPStatus, HeadersLike, bytes]
"""What :meth:`WebSocketServerProtocol.process_request` may return."""

HeadersLikeOrCallable = Union[HeadersLike, Callable[[str, Headers], HeadersLike]]


class WebSocketServerProtocol(WebSocketCommonProtocol):
    """
    Protocol implementing the server side of a WebSocket connection.

    It inherits the data transfer phase from
    :class:`~websockets.protocol.WebSocketCommonProtocol` and adds the opening
    handshake, then runs ``ws_handler(websocket, path)``.

    Args:
        ws_handler: connection handler, a coroutine function.
        ws_server: the server tracking this connection.
        origins: acceptable values of the Origin header; include ``None`` to
            accept requests without one. ``None`` accepts any.
        extensions: supported extension factories, by decreasing preference.
        subprotocols: supported subprotocols, by decreasing preference.
        extra_headers: headers added to the 101 response: headers, or a
            callable taking the request path and headers and returning them.
        process_request: replaces :meth:`process_request`.
        select_subprotocol: replaces :meth:`select_subprotocol`.
        open_timeout: seconds allowed to the opening handshake; the connection
            is dropped when it runs out. ``None`` disables it. (An addition
            to the 8.x API.)
        kwargs: arguments of :class:`~websockets.protocol.WebSocketCommonProtocol`.

    """

    is_client = False

    # Attributes of the server side (see WebSocketCommonProtocol).
    __slots__ = (
        "_process_request",
        "_request_reader",
        "_select_subprotocol",
        "handler_task",
        "open_timeout",
        "origins",
        "ws_handler",
        "ws_server",
    )

    def __init__(
        self,
        ws_handler: Callable[["WebSocketServerProtocol", str], Awaitable[Any]],
        ws_server: "WebSocketServer",
        *,
        origins: Optional[Sequence[Optional[Origin]]] = None,
        extensions: Optional[Sequence[ServerExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLikeOrCallable] = None,
        process_request: Optional[
            Callable[[str, Headers], Awaitable[Optional[HTTPResponse]]]
        ] = None,
        select_subprotocol: Optional[
            Callable[[Sequence[Subprotocol], Sequence[Subprotocol]], Subprotocol]
        ] = None,
        open_timeout: Optional[float] = 10,
        **kwargs: Any,
    ) -> None:
        origins = _legacy_origins(origins, 3)
        self.ws_handler = ws_handler
        self.ws_server = ws_server
        self.origins = origins
        self.available_extensions = extensions
        self.available_subprotocols = subprotocols
        self.extra_headers = extra_headers
        self._process_request = process_request
        self._select_subprotocol = select_subprotocol
        self.open_timeout = open_timeout
        self.origin: Optional[Origin] = None
        self.handler_task: Optional[asyncio.Task[None]] = None
        # Parses the request while the handshake runs in data_received().
        self._request_reader: Optional[LineReader[Tuple[str, Headers]]] = None
        super().__init__(**kwargs)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        """Register the connection with the server and start its handshake."""
        super().connection_made(transport)
        self.ws_server.register(self)
        cls = type(self)
        if self._process_request is None and all(
            getattr(cls, name) is coroutine
            for name, coroutine in _HANDSHAKE_COROUTINES.items()
        ):
            # Nothing to await before the handler: the opening handshake runs
            # in data_received(), without a task or a turn of the event loop,
            # and the handler task starts once it succeeds.
            self._request_reader = LineReader(parse_request())
            if self.open_timeout is not None:
                self._close_handle = self.loop.call_later(
                    self.open_timeout, self._open_timed_out
                )
        else:
            self.handler_task = self.loop.create_task(self.handler())

    async def handler(self) -> None:
        """
        Handle the lifecycle of the connection.

        Perform the opening handshake, answering failures with an HTTP error;
        run the connection handler; perform the closing handshake.

        """
        try:
            if self.conn.state is not CONNECTING:
                # The opening handshake succeeded in data_received().
                path = self.path
            else:
                try:
                    if self.open_timeout is None:
                        path = await self.run_handshake()
                    else:
                        path = await run_with_timeout(
                            self.run_handshake(), self.open_timeout
                        )
                except asyncio.TimeoutError:
                    self._open_timed_out()
                    return
                except EOFError:
                    self._open_lost()
                    return
                except ConnectionError:
                    logger.debug(
                        "connection error in the opening handshake", exc_info=True
                    )
                    self.fail_connection(1006, cause=CloseReason.TRANSPORT_LOST)
                    return
                except Exception as exc:
                    self.reject(exc)
                    return

            try:
                await self.ws_handler(self, path)
            except Exception:
                logger.error("error in connection handler", exc_info=True)
                if self.conn.state is OPEN:
                    await self.close(1011)
                return
            await self.close()
        except asyncio.CancelledError:  # pragma: no cover
            self.fail_connection(1006)
            raise
        except ConnectionError:
            # The network failed: drop the connection, there's no one to tell.
            logger.debug("connection error in the connection lifecycle", exc_info=True)
            self.fail_connection(1006, cause=CloseReason.TRANSPORT_LOST)
        except Exception:  # pragma: no cover
            logger.error("unexpected error in connection lifecycle", exc_info=True)
            self.fail_connection(1011)
        finally:
            # Unregister once the TCP connection is closed, so that
            # wait_closed() on the server waits for it.
            await self.wait_closed()
            self.ws_server.unregister(self)

    async def run_handshake(self) -> str:
        """Call :meth:`handshake` with the settings of the server."""
        return await self.handshake(
            origins=self.origins,
            available_extensions=self.available_extensions,
            available_subprotocols=self.available_subprotocols,
            extra_headers=self.extra_headers,
        )

    def reject(self, exc: Exception) -> None:
        """Answer a failed opening handshake with an HTTP error, then close."""
        if not isinstance(exc, InvalidHandshake):
            logger.error("opening handshake failed", exc_info=exc)
        response = error_response(exc)
        logger.info("opening handshake failed: HTTP %d", response.status_code)
        headers = response.headers
        headers.setdefault("Date", http_date())
        status: Any = response.status_code
        with contextlib.suppress(ValueError):
            status = http.HTTPStatus(status)
        try:
            self.write_http_response(status, headers, response.body)
        except Exception:
            logger.error("invalid HTTP response", exc_info=True)
        if isinstance(exc, InvalidMessage) or self._request_reader is not None:
            # The request wasn't read completely: the client may still be
            # sending. Closing with unread data would reset the connection and
            # lose the response (RFC 7230 6.6): half-close, keep reading, and
            # let the client close, within close_timeout.
            self.fail_connection(1006, cause=CloseReason.PROTOCOL_ERROR)
        else:
            # Close now: a client that never sent a request (a browser may
            # open connections in advance) would keep the connection open.
            self.close_transport()

    def _open_timed_out(self) -> None:
        logger.info("opening handshake timed out: dropping the connection")
        self._request_reader = None
        self.fail_connection(1006, cause=CloseReason.PROTOCOL_ERROR)

    def _open_lost(self) -> None:
        logger.debug("connection closed during the opening handshake")
        self.fail_connection(1006, cause=CloseReason.TRANSPORT_LOST)

    def _handshake_data(self) -> None:
        """Run the opening handshake once the request is complete."""
        reader = self._request_reader
        if reader is None:
            super()._handshake_data()
            return
        request: Optional[Tuple[str, Headers]]
        try:
            if self.handshake_eof:
                request = reader.feed_eof(self.handshake_buffer)
            else:
                request = reader.feed(self.handshake_buffer)
                if request is None:
                    return
        except EOFError:
            self._request_reader = None
            self._open_lost()
            return
        except Exception as exc:
            self._request_reader = None
            self.reject(_invalid_request(exc))
            return
        self._request_reader = None
        if self._close_handle is not None:
            self._close_handle.cancel()
            self._close_handle = None
        self.path, self.request_headers = path, headers = request
        try:
            if not self.ws_server.is_serving():
                raise _shutting_down()
            self._accept_request(
                path,
                headers,
                self.origins,
                self.available_extensions,
                self.available_subprotocols,
                self.extra_headers,
            )
        except Exception as exc:
            self.reject(exc)
            return
        self.handler_task = self.loop.create_task(self.handler())

    def abort_handshake(self, exc: BaseException) -> None:
        """Make the opening handshake fail with ``exc``, e.g. at shutdown."""
        if self._request_reader is not None:
            assert isinstance(exc, Exception)
            self.reject(exc)
            self._request_reader = None
            return
        super().abort_handshake(exc)

    def connection_lost(self, exc: Optional[Exception]) -> None:
        """Release everything waiting; unregister if no handler ever started."""
        self._request_reader = None
        super().connection_lost(exc)
        if self.handler_task is None:
            self.ws_server.unregister(self)

    async def read_http_request(self) -> Tuple[str, Headers]:
        """
        Read the HTTP request of the opening handshake.

        Raises:
            InvalidMessage: if the request is malformed or exceeds a limit.
            EOFError: if the connection closes before the request is complete.

        """
        try:
            path, headers = await self.read_http_message(parse_request())
        except (EOFError, AbortHandshake):
            raise
        except Exception as exc:
            raise _invalid_request(exc) from exc
        self.path = path
        self.request_headers = headers
        return path, headers

    def write_http_response(
        self, status: http.HTTPStatus, headers: Headers, body: bytes = b""
    ) -> None:
        """Write an HTTP response of the opening handshake."""
        self.response_headers = headers
        assert self.transport is not None
        self.transport.write(serialize_response(status, headers, body))

    async def process_request(
        self, path: str, request_headers: Headers
    ) -> Optional[HTTPResponse]:
        """
        Intercept the HTTP request and return an HTTP response if appropriate.

        Return ``None`` to continue the WebSocket handshake, or a
        ``(status, headers, body)`` tuple to send that HTTP response and close
        the connection. Override it in a subclass, or pass a
        ``process_request`` argument to :func:`serve`.

        Args:
            path: request path, including the query string.
            request_headers: request headers.

        """
        if self._process_request is not None:
            response = self._process_request(path, request_headers)
            if isinstance(response, Awaitable):
                return await response
            return _legacy_process_request(response)
        return None

    @staticmethod
    def process_origin(
        headers: Headers, origins: Optional[Sequence[Optional[Origin]]] = None
    ) -> Optional[Origin]:
        """
        Check the Origin header of the request.

        Raises:
            InvalidHeader: if there's more than one Origin header.
            InvalidOrigin: if the origin isn't acceptable.

        """
        return check_origin(headers, origins)

    @staticmethod
    def process_extensions(
        headers: Headers,
        available_extensions: Optional[Sequence[ServerExtensionFactory]],
    ) -> Tuple[Optional[str], List[Extension]]:
        """
        Negotiate extensions: accept the first acceptable offer of each.

        Returns the Sec-WebSocket-Extensions header of the response, if any,
        and the accepted extensions, in the order of the client's offers
        (RFC 6455 9.1).

        Raises:
            InvalidHandshake: if the header is malformed.

        """
        return accept_extensions(headers, available_extensions)

    def process_subprotocol(
        self,
        headers: Headers,
        available_subprotocols: Optional[Sequence[Subprotocol]],
    ) -> Optional[Subprotocol]:
        """
        Pick a subprotocol among those the client offered, if any.

        Raises:
            InvalidHandshake: if the header is malformed.

        """
        if available_subprotocols and "Sec-WebSocket-Protocol" in headers:
            offered = offered_subprotocols(headers)
            return self.select_subprotocol(offered, available_subprotocols)
        return None

    def select_subprotocol(
        self,
        client_subprotocols: Sequence[Subprotocol],
        server_subprotocols: Sequence[Subprotocol],
    ) -> Optional[Subprotocol]:
        """
        Pick a subprotocol among those offered by the client.

        The default gives equal weight to the preferences of the client and
        the server: it picks the common subprotocol with the lowest sum of
        its positions in both lists (ties go to the server's preference). It
        returns ``None`` when there's no common subprotocol. Override it in a
        subclass, or pass a ``select_subprotocol`` argument to :func:`serve`.

        """
        if self._select_subprotocol is not None:
            return self._select_subprotocol(client_subprotocols, server_subprotocols)
        return select_subprotocol(client_subprotocols, server_subprotocols)

    async def handshake(
        self,
        origins: Optional[Sequence[Optional[Origin]]] = None,
        available_extensions: Optional[Sequence[ServerExtensionFactory]] = None,
        available_subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLikeOrCallable] = None,
    ) -> str:
        """
        Perform the server side of the opening handshake (RFC 6455 4.2).

        Return the path of the URI of the request.

        Raises:
            InvalidHandshake: if the handshake fails.

        """
        path, request_headers = await self.read_http_request()

        if not self.ws_server.is_serving():
            raise _shutting_down()

        # 8.x subclasses may override process_request with a plain method.
        response: Any = self.process_request(path, request_headers)
        early_response: Optional[HTTPResponse]
        if isinstance(response, Awaitable):
            early_response = await response
        else:
            early_response = _legacy_process_request(response)
        if not self.ws_server.is_serving():
            raise _shutting_down()
        if early_response is not None:
            raise AbortHandshake(*early_response)
        self._accept_request(
            path,
            request_headers,
            origins,
            available_extensions,
            available_subprotocols,
            extra_headers,
        )
        return path

    def _accept_request(
        self,
        path: str,
        request_headers: Headers,
        origins: Optional[Sequence[Optional[Origin]]],
        available_extensions: Optional[Sequence[ServerExtensionFactory]],
        available_subprotocols: Optional[Sequence[Subprotocol]],
        extra_headers: Optional[HeadersLikeOrCallable],
    ) -> None:
        """
        Check the request, send the 101 response and open the connection.

        This is the part of :meth:`handshake` after :meth:`process_request`.

        Raises:
            InvalidHandshake: if the request isn't an acceptable handshake.

        """
        key = check_request(request_headers)
        self.origin = self.process_origin(request_headers, origins)
        extensions_header, self.extensions = self.process_extensions(
            request_headers, available_extensions
        )
        self.subprotocol = self.process_subprotocol(
            request_headers, available_subprotocols
        )

        if callable(extra_headers):
            extra_headers = extra_headers(path, request_headers)
        response_headers = handshake_response_headers(
            key, extensions_header, self.subprotocol, extra_headers
        )
        response_headers.setdefault("Date", http_date())
        response_headers.setdefault("Server", USER_AGENT)

        self.write_http_response(http.HTTPStatus.SWITCHING_PROTOCOLS, response_headers)
        self.connection_open()


# Coroutines of the opening handshake: when a subclass overrides one of them,
# as 8.x code may, or a test patches it, the handshake runs in the handler
# task, where they're awaited.
_HANDSHAKE_COROUTINES = {
    name: getattr(WebSocketServerProtocol, name)
    for name in (
        "handler",
        "run_handshake",
        "handshake",
        "read_http_request",
        "read_http_message",
        "process_request",
    )
}


def _invalid_request(exc: Exception) -> InvalidMessage:
    invalid = InvalidMessage("did not receive a valid HTTP request")
    invalid.__cause__ = exc
    return invalid


def _shutting_down() -> AbortHandshake:
    """The 503 answer to an opening handshake while the server shuts down."""
    return AbortHandshake(
        http.HTTPStatus.SERVICE_UNAVAILABLE,
        [("Content-Type", "text/plain; charset=utf-8")],
        b"Server is shutting down.\n",
    )


def _legacy_process_request(response: Any) -> Optional[HTTPResponse]:
    """Accept the result of ``process_request`` written as a function, as 8.x."""
    warnings.warn("declare process_request as a coroutine", DeprecationWarning, 3)
    return cast(Optional[HTTPResponse], response)


def _legacy_origins(
    origins: Optional[Sequence[Optional[Origin]]], stacklevel: int
) -> Optional[Sequence[Optional[Origin]]]:
    """Replace ``""``, which meant "no Origin header" in 8.x, with ``None``."""
    if origins is not None and "" in origins:
        warnings.warn(
            "use None instead of '' in origins", DeprecationWarning, stacklevel + 1
        )
        origins = [None if origin == "" else origin for origin in origins]
    return origins


class WebSocketServer:
    """
    WebSocket server returned by :func:`serve`.

    It provides :meth:`close` and :meth:`wait_closed`, like
    :class:`asyncio.AbstractServer`, and keeps track of the connections to
    close them properly when shutting down.

    Args:
        loop: event loop of the server; by default, the loop running when
            the server starts, or else the current event loop.

    """

    def __init__(self, loop: Optional[asyncio.AbstractEventLoop] = None) -> None:
        self.loop = loop
        self.websockets: Set[WebSocketServerProtocol] = set()
        self.server: Optional[asyncio.AbstractServer] = None
        self.close_task: Optional[asyncio.Task[None]] = None
        self._closed_waiter: Optional[asyncio.Future[None]] = None

    def wrap(self, server: asyncio.AbstractServer) -> None:
        """Attach the :class:`asyncio.Server` that accepts connections."""
        self.server = server
        if self.loop is None:
            # The loop that runs the server, if it's running already.
            try:
                self.loop = asyncio.get_running_loop()
            except RuntimeError:
                pass

    def register(self, protocol: WebSocketServerProtocol) -> None:
        """Track a new connection."""
        self.websockets.add(protocol)

    def unregister(self, protocol: WebSocketServerProtocol) -> None:
        """Stop tracking a connection that is closed."""
        self.websockets.discard(protocol)

    def is_serving(self) -> bool:
        """Tell whether the server accepts new connections."""
        return self.server is not None and self.close_task is None

    def close(self) -> None:
        """
        Close the server.

        Stop listening; answer connections still in the opening handshake with
        HTTP 503; close open connections with code 1001 (going away) and let
        their handlers finish. It's idempotent. As in 8.x, it may be called
        outside of the event loop, which does the work when it runs next:
        then :meth:`wait_closed` tells when it's done.

        """
        if self.close_task is None:
            self.close_task = self._get_loop().create_task(self._close())

    async def _close(self) -> None:
        if self.server is not None:
            self.server.close()
        shutting_down = _shutting_down()
        for websocket in list(self.websockets):
            if websocket.state is CONNECTING:
                websocket.abort_handshake(shutting_down)
            elif websocket.state is OPEN:
                websocket.conn.close_cause = CloseReason.SHUTDOWN
                # Send the close frame now; the handler sees
                # ConnectionClosedOK on its next interaction and its
                # close() waits for the end of the closing handshake.
                websocket.conn.send_close(1001)
                websocket._flush()
        # Handlers unregister their connection once it's closed; so does
        # connection_lost() when the handshake failed before a handler.
        loop = self._get_loop()
        while True:
            pending: List[Awaitable[Any]] = []
            for ws in self.websockets:
                task = ws.handler_task
                if task is None:
                    pending.append(loop.create_task(ws.wait_closed()))
                elif not task.done():
                    pending.append(task)
            if not pending:
                break
            await asyncio.wait(pending)
        if self.server is not None:
            await self.server.wait_closed()
        self._get_closed_waiter().set_result(None)

    async def wait_closed(self) -> None:
        """
        Wait until the server is closed.

        When it returns, every TCP connection is closed and every connection
        handler has returned.

        """
        await asyncio.shield(self._get_closed_waiter())

    @property
    def sockets(self) -> Optional[List[Any]]:
        """List of the sockets the server listens on; ``None`` once closed."""
        if self.server is None or self.close_task is not None:
            return None
        return list(getattr(self.server, "sockets", None) or [])

    def _get_closed_waiter(self) -> "asyncio.Future[None]":
        if self._closed_waiter is None:
            self._closed_waiter = self._get_loop().create_future()
        return self._closed_waiter

    def _get_loop(self) -> asyncio.AbstractEventLoop:
        if self.loop is None:
            self.loop = get_loop()
        return self.loop


class Serve:
    """
    Create, start, and return a WebSocket server on ``host`` and ``port``.

    ``await serve(...)`` returns a :class:`WebSocketServer`;
    ``async with serve(...)`` closes it when leaving the block. The arguments
    are described in the server reference. Unknown keyword arguments go to
    :meth:`asyncio.loop.create_server`, e.g. ``ssl`` for TLS.

    """

    def __init__(
        self,
        ws_handler: Callable[[WebSocketServerProtocol, str], Awaitable[Any]],
        host: Optional[Union[str, Sequence[str]]] = None,
        port: Optional[int] = None,
        *,
        path: Optional[str] = None,
        create_protocol: Optional[Callable[..., WebSocketServerProtocol]] = None,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = None,
        max_size: Optional[int] = 2**20,
        max_queue: Optional[int] = 2**5,
        read_limit: int = 2**16,
        write_limit: int = 2**16,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        legacy_recv: bool = False,
        klass: Optional[Type[WebSocketServerProtocol]] = None,
        timeout: Optional[float] = None,
        compression: Optional[str] = "deflate",
        origins: Optional[Sequence[Optional[Origin]]] = None,
        extensions: Optional[Sequence[ServerExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLikeOrCallable] = None,
        process_request: Optional[
            Callable[[str, Headers], Awaitable[Optional[HTTPResponse]]]
        ] = None,
        select_subprotocol: Optional[
            Callable[[Sequence[Subprotocol], Sequence[Subprotocol]], Subprotocol]
        ] = None,
        open_timeout: Optional[float] = 10,
        unix: bool = False,
        **kwargs: Any,
    ) -> None:
        if klass is not None:
            warnings.warn("rename klass to create_protocol", DeprecationWarning, 2)
            if create_protocol is None:
                create_protocol = klass
        if create_protocol is None:
            create_protocol = WebSocketServerProtocol
        if timeout is not None:
            warnings.warn("rename timeout to close_timeout", DeprecationWarning, 2)
            if close_timeout is None:
                close_timeout = timeout
        origins = _legacy_origins(origins, 2)
        if compression == "deflate":
            extensions = enable_server_permessage_deflate(extensions)
        elif compression is not None:
            raise ValueError(f"unsupported compression: {compression}")

        self.loop = loop
        self.ws_server = WebSocketServer(loop)
        secure = kwargs.get("ssl") is not None
        protocol_kwargs: Dict[str, Any] = dict(
            host=host if isinstance(host, str) else None,
            port=port,
            secure=secure,
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_size=max_size,
            max_queue=max_queue,
            read_limit=read_limit,
            write_limit=write_limit,
            legacy_recv=legacy_recv,
            origins=origins,
            extensions=extensions,
            subprotocols=subprotocols,
            extra_headers=extra_headers,
            process_request=process_request,
            select_subprotocol=select_subprotocol,
            open_timeout=open_timeout,
        )
        if loop is not None:
            protocol_kwargs["loop"] = loop
        self.factory = functools.partial(
            create_protocol, ws_handler, self.ws_server, **protocol_kwargs
        )
        self.unix = unix
        self.host = host
        self.port = port
        self.path = path
        self.kwargs = kwargs

    async def _create(self) -> WebSocketServer:
        loop = get_loop(self.loop)
        server: asyncio.AbstractServer
        if self.unix:
            server = await loop.create_unix_server(
                self.factory, self.path, **self.kwargs
            )
        else:
            server = await loop.create_server(
                self.factory,
                self.host,
                self.port,  # type: ignore[arg-type]
                **self.kwargs,
            )
        self.ws_server.wrap(server)
        return self.ws_server

    def __await__(self) -> Generator[Any, None, WebSocketServer]:
        return self._create().__await__()

    __iter__ = __await__

    async def __aenter__(self) -> WebSocketServer:
        return await self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        self.ws_server.close()
        await self.ws_server.wait_closed()


serve = Serve


def unix_serve(
    ws_handler: Callable[[WebSocketServerProtocol, str], Awaitable[Any]],
    path: Optional[str] = None,
    **kwargs: Any,
) -> Serve:
    """
    Like :func:`serve`, for a server listening on a Unix socket at ``path``.

    This calls :meth:`asyncio.loop.create_unix_server`. It's useful behind a
    reverse proxy such as nginx.

    """
    return serve(ws_handler, path=path, unix=True, **kwargs)
