"""
WebSocket client: :func:`connect`, :func:`unix_connect` and the protocol they use.

"""

import asyncio
import logging
import urllib.parse
import warnings
from types import TracebackType
from typing import (
    Any,
    Callable,
    Dict,
    Generator,
    List,
    Optional,
    Sequence,
    Tuple,
    Type,
)

from .connection import CLIENT
from .exceptions import (
    InvalidHandshake,
    InvalidMessage,
    RedirectHandshake,
    SecurityError,
)
from .extensions.base import ClientExtensionFactory, Extension
from .extensions.permessage_deflate import enable_client_permessage_deflate
from .handshake import check_response
from .http import (
    Headers,
    HeadersLike,
    build_request as serialize_request,
    parse_response,
)
from .protocol import WebSocketCommonProtocol, get_loop, run_with_timeout
from .sansio import (
    build_host,
    check_extensions,
    check_status,
    check_subprotocol,
    handshake_request,
)
from .typing import Origin, Subprotocol
from .uri import WebSocketURI, parse_uri


__all__ = ["WebSocketClientProtocol", "connect", "unix_connect"]

logger = logging.getLogger("websockets.client")

# Redirects followed by connect() before giving up.
MAX_REDIRECTS = 10


class WebSocketClientProtocol(WebSocketCommonProtocol):
    """
    Protocol implementing the client side of a WebSocket connection.

    It inherits the data transfer phase from
    :class:`~websockets.protocol.WebSocketCommonProtocol` and adds the opening
    handshake.

    Args:
        origin: value of the Origin header.
        extensions: supported extension factories, by decreasing preference.
        subprotocols: supported subprotocols, by decreasing preference.
        extra_headers: additional request headers.
        kwargs: arguments of :class:`~websockets.protocol.WebSocketCommonProtocol`.

    """

    is_client = True
    side = CLIENT

    # No attributes beyond those of WebSocketCommonProtocol.
    __slots__ = ()

    def __init__(
        self,
        *,
        origin: Optional[Origin] = None,
        extensions: Optional[Sequence[ClientExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLike] = None,
        **kwargs: Any,
    ) -> None:
        self.origin = origin
        self.available_extensions = extensions
        self.available_subprotocols = subprotocols
        self.extra_headers = extra_headers
        super().__init__(**kwargs)

    def write_http_request(self, path: str, headers: Headers) -> None:
        """Write the HTTP request of the opening handshake."""
        self.path = path
        self.request_headers = headers
        assert self.transport is not None
        self.transport.write(serialize_request(path, headers))

    async def read_http_response(self) -> Tuple[int, Headers]:
        """
        Read the HTTP response of the opening handshake.

        Raises:
            InvalidMessage: if the response is malformed, exceeds a limit, or
                the connection closes first.

        """
        try:
            status_code, _, headers = await self.read_http_message(parse_response())
        except Exception as exc:
            raise InvalidMessage("did not receive a valid HTTP response") from exc
        self.response_headers = headers
        return status_code, headers

    @staticmethod
    def process_extensions(
        headers: Headers,
        available_extensions: Optional[Sequence[ClientExtensionFactory]],
    ) -> List[Extension]:
        """
        Check the extensions the server accepted and build them.

        Raises:
            InvalidHandshake: if the server accepted an extension that wasn't
                offered or with parameters that break the offer.

        """
        return check_extensions(headers, available_extensions)

    @staticmethod
    def process_subprotocol(
        headers: Headers, available_subprotocols: Optional[Sequence[Subprotocol]]
    ) -> Optional[Subprotocol]:
        """
        Check the subprotocol the server selected, if any.

        Raises:
            InvalidHandshake: if it wasn't offered or there are several.

        """
        return check_subprotocol(headers, available_subprotocols)

    async def handshake(
        self,
        wsuri: WebSocketURI,
        origin: Optional[Origin] = None,
        available_extensions: Optional[Sequence[ClientExtensionFactory]] = None,
        available_subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLike] = None,
    ) -> None:
        """
        Perform the client side of the opening handshake (RFC 6455 4.1).

        Raises:
            InvalidHandshake: if the handshake fails.
            RedirectHandshake: if the server answers with a redirect.

        """
        request, key = handshake_request(
            wsuri, origin, available_extensions, available_subprotocols, extra_headers
        )
        self.write_http_request(request.path, request.headers)
        status_code, response_headers = await self.read_http_response()
        check_status(status_code, response_headers)
        check_response(response_headers, key)
        self.extensions = self.process_extensions(
            response_headers, available_extensions
        )
        self.subprotocol = self.process_subprotocol(
            response_headers, available_subprotocols
        )
        self.connection_open()


class Connect:
    """
    Connect to the WebSocket server at ``uri``.

    ``await connect(uri)`` returns a :class:`WebSocketClientProtocol`;
    ``async with connect(uri) as websocket:`` closes it when leaving the block.
    The arguments are described in the client reference. Unknown keyword arguments
    go to :meth:`asyncio.loop.create_connection`.

    Raises:
        InvalidURI: if ``uri`` isn't a valid WebSocket URI.
        InvalidHandshake: if the opening handshake fails.
        asyncio.TimeoutError: if the connection isn't open after
            ``open_timeout`` seconds.

    """

    def __init__(
        self,
        uri: str,
        *,
        path: Optional[str] = None,
        create_protocol: Optional[Callable[..., WebSocketClientProtocol]] = None,
        ping_interval: Optional[float] = 20,
        ping_timeout: Optional[float] = 20,
        close_timeout: Optional[float] = None,
        max_size: Optional[int] = 2**20,
        max_queue: Optional[int] = 2**5,
        read_limit: int = 2**16,
        write_limit: int = 2**16,
        loop: Optional[asyncio.AbstractEventLoop] = None,
        legacy_recv: bool = False,
        klass: Optional[Type[WebSocketClientProtocol]] = None,
        timeout: Optional[float] = None,
        compression: Optional[str] = "deflate",
        origin: Optional[Origin] = None,
        extensions: Optional[Sequence[ClientExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        extra_headers: Optional[HeadersLike] = None,
        open_timeout: Optional[float] = 10,
        unix: bool = False,
        **kwargs: Any,
    ) -> None:
        if klass is not None:
            warnings.warn("rename klass to create_protocol", DeprecationWarning, 2)
            if create_protocol is None:
                create_protocol = klass
        if create_protocol is None:
            create_protocol = WebSocketClientProtocol
        if timeout is not None:
            warnings.warn("rename timeout to close_timeout", DeprecationWarning, 2)
            if close_timeout is None:
                close_timeout = timeout
        if compression == "deflate":
            extensions = enable_client_permessage_deflate(extensions)
        elif compression is not None:
            raise ValueError(f"unsupported compression: {compression}")

        self.wsuri = parse_uri(uri)
        if self.wsuri.secure:
            kwargs.setdefault("ssl", True)
        elif kwargs.get("ssl") is not None:
            raise ValueError(
                "connect() received an ssl argument for a ws:// URI; "
                "use a wss:// URI to enable TLS"
            )
        protocol_kwargs: Dict[str, Any] = dict(
            ping_interval=ping_interval,
            ping_timeout=ping_timeout,
            close_timeout=close_timeout,
            max_size=max_size,
            max_queue=max_queue,
            read_limit=read_limit,
            write_limit=write_limit,
            legacy_recv=legacy_recv,
            origin=origin,
            extensions=extensions,
            subprotocols=subprotocols,
            extra_headers=extra_headers,
        )
        if loop is not None:
            protocol_kwargs["loop"] = loop
        self.loop = loop
        self.create_protocol = create_protocol
        self.protocol_kwargs = protocol_kwargs
        self.open_timeout = open_timeout
        self.unix = unix
        self.path = path
        self.kwargs = kwargs
        # Where to connect: host and port keyword arguments override the URI.
        self.host: Optional[str] = kwargs.pop("host", None)
        self.port: Optional[int] = kwargs.pop("port", None)
        self.protocol: Optional[WebSocketClientProtocol] = None

    def _factory(self) -> WebSocketClientProtocol:
        wsuri = self.wsuri
        return self.create_protocol(
            host=wsuri.host,
            port=wsuri.port,
            secure=wsuri.secure,
            **self.protocol_kwargs,
        )

    async def _connect_once(self) -> WebSocketClientProtocol:
        """Open a TCP or Unix connection and perform the opening handshake."""
        loop = get_loop(self.loop)
        wsuri = self.wsuri
        kwargs = dict(self.kwargs)
        if kwargs.get("ssl"):
            # The URI's host goes in TLS SNI even when host, port, sock or a
            # Unix socket set the destination.
            kwargs.setdefault("server_hostname", wsuri.host)
        if self.unix:
            if kwargs.get("sock") is None and self.path is None:
                raise TypeError("unix_connect() needs a path or a sock argument")
            _, protocol = await loop.create_unix_connection(
                self._factory, self.path, **kwargs
            )
        else:
            if kwargs.get("sock") is not None:
                _, protocol = await loop.create_connection(self._factory, **kwargs)
            else:
                host = self.host if self.host is not None else wsuri.host
                port = self.port if self.port is not None else wsuri.port
                _, protocol = await loop.create_connection(
                    self._factory, host, port, **kwargs
                )
        try:
            await protocol.handshake(
                wsuri,
                origin=protocol.origin,
                available_extensions=protocol.available_extensions,
                available_subprotocols=protocol.available_subprotocols,
                extra_headers=protocol.extra_headers,
            )
        except asyncio.CancelledError:
            protocol.close_transport()
            raise
        except Exception:
            # Close the TCP connection before raising, so that no transport
            # is left open behind the exception.
            protocol.close_transport()
            await protocol.wait_closed()
            raise
        return protocol

    async def _connect(self) -> WebSocketClientProtocol:
        for _ in range(MAX_REDIRECTS + 1):
            try:
                protocol = await self._connect_once()
            except RedirectHandshake as exc:
                self._redirect(exc.uri)
                continue
            self.protocol = protocol
            return protocol
        raise SecurityError(f"more than {MAX_REDIRECTS} redirects")

    def _redirect(self, location: str) -> None:
        """Follow a redirect to ``location``, relative or absolute."""
        old = self.wsuri
        old_uri = (
            ("wss" if old.secure else "ws")
            + "://"
            + build_host(old.host, old.port, old.secure)
            + old.resource_name
        )
        new = parse_uri(urllib.parse.urljoin(old_uri, location))
        if old.secure and not new.secure:
            raise SecurityError("redirect from WSS to WS")
        same_origin = (old.host, old.port, old.secure) == (
            new.host,
            new.port,
            new.secure,
        )
        if not same_origin:
            # Host and port overrides only apply to the original destination.
            self.host = self.port = None
            if self.unix:
                raise InvalidHandshake(
                    f"cross-origin redirect to {location} on a Unix socket"
                )
            if new.secure:
                self.kwargs.setdefault("ssl", True)
            self.kwargs.pop("server_hostname", None)
        self.wsuri = new

    def __await__(self) -> Generator[Any, None, WebSocketClientProtocol]:
        if self.open_timeout is None:
            return self._connect().__await__()
        return run_with_timeout(self._connect(), self.open_timeout).__await__()

    __iter__ = __await__

    async def __aenter__(self) -> WebSocketClientProtocol:
        return await self

    async def __aexit__(
        self,
        exc_type: Optional[Type[BaseException]],
        exc_value: Optional[BaseException],
        traceback: Optional[TracebackType],
    ) -> None:
        assert self.protocol is not None
        await self.protocol.close()


connect = Connect


def unix_connect(
    path: Optional[str] = None, uri: str = "ws://localhost/", **kwargs: Any
) -> Connect:
    """
    Like :func:`connect`, for a server listening on a Unix socket at ``path``.

    This calls :meth:`asyncio.loop.create_unix_connection`. ``uri`` sets the
    Host header and the request path.

    """
    return connect(uri=uri, path=path, unix=True, **kwargs)
