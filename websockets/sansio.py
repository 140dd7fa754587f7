"""
Sans-I/O core of the whole connection: opening handshake, then data transfer.

:class:`ClientConnection` and :class:`ServerConnection` extend
:class:`~websockets.connection.Connection`, which covers the data transfer
phase, with the opening handshake of RFC 6455 4. They do no I/O and have no
clock: the caller moves bytes between them and the network, and runs timers.

A client:

1. builds the handshake request with :meth:`ClientConnection.connect`,
   possibly adds headers, and sends it with
   :meth:`ClientConnection.send_request`;
2. feeds the bytes it receives to
   :meth:`~websockets.connection.Connection.receive_data`: the first event is
   the :class:`Response`. The connection is open if its state is
   :data:`~websockets.connection.OPEN`; else ``handshake_exc`` tells why it
   failed.

A server:

1. feeds the bytes it receives: the first event is the :class:`Request`;
2. inspects it, then answers with :meth:`ServerConnection.accept`, which
   checks the request and returns a 101 response or, when the request isn't
   acceptable, an HTTP error; or with :meth:`ServerConnection.reject`, which
   returns an HTTP error of its choice;
3. possibly adds headers, and sends the response with
   :meth:`ServerConnection.send_response`.

Then both sides continue as :class:`~websockets.connection.Connection` does:
messages and control frames are the next events. Bytes received after the
HTTP message go to the frame parser.

When the handshake fails, ``handshake_exc`` holds the
exception and the connection is failed: :meth:`data_to_send` ends with an
empty :class:`bytes`, meaning "send EOF".

"""

import contextlib
import dataclasses
import hmac
import http
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Iterable,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
    cast,
)

from .connection import (
    CLIENT,
    CONNECTING,
    SERVER,
    CloseReason,
    Connection,
    Event,
    Side,
)
from .exceptions import (
    AbortHandshake,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidOrigin,
    InvalidState,
    InvalidStatusCode,
    InvalidUpgrade,
    NegotiationError,
    RedirectHandshake,
    SecurityError,
)
from .extensions.base import ClientExtensionFactory, Extension, ServerExtensionFactory
from .handshake import build_request, build_response, check_request, check_response
from .headers import (
    build_authorization_basic,
    build_extension,
    build_subprotocol,
    parse_extension,
    parse_subprotocol,
)
from .http import (
    USER_AGENT,
    Headers,
    HeadersLike,
    LineReader,
    MultipleValuesError,
    build_request as serialize_request,
    build_response as serialize_response,
    parse_request,
    parse_response,
)
from .typing import ExtensionHeader, Origin, Subprotocol
from .uri import WebSocketURI


__all__ = [
    "ClientConnection",
    "Request",
    "Response",
    "ServerConnection",
    "accept_extensions",
    "build_host",
    "check_extensions",
    "check_origin",
    "check_status",
    "check_subprotocol",
    "error_response",
    "handshake_request",
    "handshake_response_headers",
    "offered_subprotocols",
    "select_subprotocol",
]

# RFC 7231 6.4: redirections that give a Location to try instead.
REDIRECTS = (301, 302, 303, 307, 308)


@dataclasses.dataclass
class Request:
    """
    HTTP request of the opening handshake.

    Attributes:
        path: request target, including the query string.
        headers: request headers.

    """

    path: str
    headers: Headers

    def serialize(self) -> bytes:
        """Return the request as bytes to send."""
        return serialize_request(self.path, self.headers)


@dataclasses.dataclass
class Response:
    """
    HTTP response of the opening handshake.

    Attributes:
        status_code: status code, 101 when the server accepts the connection.
        reason_phrase: reason phrase; when serializing, the standard phrase of
            the status code is sent instead.
        headers: response headers.
        body: response body; the client doesn't read it.

    """

    status_code: int
    reason_phrase: str
    headers: Headers
    body: bytes = b""

    def serialize(self) -> bytes:
        """Return the response as bytes to send."""
        return serialize_response(self.status_code, self.headers, self.body)


ClientEvent = Union[Response, Event]
"""What :meth:`ClientConnection.events_received` returns."""

ServerEvent = Union[Request, Event]
"""What :meth:`ServerConnection.events_received` returns."""


class HandshakeConnection(Connection):
    """
    What both sides share: a connection that starts :data:`CONNECTING`.

    During the handshake, received bytes go to an HTTP parser instead of the
    frame parser. The handshake's :meth:`receive_data` is an attribute of the
    instance, which hides the method of
    :class:`~websockets.connection.Connection` until the handshake ends: then
    it's deleted, and the data transfer phase runs exactly the code, and
    costs exactly what, a :class:`~websockets.connection.Connection` does.

    """

    def __init__(self, side: Side, *, max_size: Optional[int] = 2**20) -> None:
        super().__init__(side, state=CONNECTING, max_size=max_size)
        self.handshake_exc: Optional[Exception] = None
        """Why the opening handshake failed, if it did."""
        self.subprotocol: Optional[Subprotocol] = None
        """Subprotocol negotiated in the handshake, if any."""
        self._http_buffer = bytearray()
        self._http_done = False
        self.receive_data = self._receive_http  # type: ignore[method-assign]

    def _receive_http(self, data: Union[bytes, bytearray, memoryview]) -> None:
        """Feed bytes received during the opening handshake."""
        if self._http_done:
            # Waiting for the application's answer, or the handshake failed.
            if not self._discard:
                self._http_buffer += data
            return
        self._http_buffer += data
        self._parse_http(eof=False)

    def receive_eof(self) -> None:
        """
        Record that the peer closed its side of the TCP connection.

        During the opening handshake, this fails the handshake.

        """
        if self.state is CONNECTING and not self._http_done:
            self._parse_http(eof=True)
        if self.state is CONNECTING:
            self._end_http()
        super().receive_eof()

    def _parse_http(self, eof: bool) -> None:
        raise NotImplementedError

    def _end_http(self) -> None:
        """Leave the handshake: from now on, bytes go to the frame parser."""
        self._http_done = True
        self.__dict__.pop("receive_data", None)

    def _open(self, extensions: Sequence[Extension]) -> None:
        """Open the connection, then parse the bytes that followed the handshake."""
        self._end_http()
        self.open(extensions)
        data, self._http_buffer = bytes(self._http_buffer), bytearray()
        if data:
            self.receive_data(data)

    def _fail_handshake(self, exc: Exception) -> None:
        """Record why the handshake failed, and half-close the connection."""
        self.handshake_exc = exc
        self._end_http()
        self._http_buffer.clear()
        self.fail(1006, cause=CloseReason.PROTOCOL_ERROR)


class ClientConnection(HandshakeConnection):
    """
    Sans-I/O client connection, from the opening handshake on.

    Args:
        wsuri: URI of the server, from :func:`~websockets.uri.parse_uri`.
        origin: value of the Origin header, if any.
        extensions: supported extension factories, by decreasing preference.
        subprotocols: supported subprotocols, by decreasing preference.
        max_size: maximum size of incoming messages in bytes, ``None`` for no
            limit.

    """

    if TYPE_CHECKING:
        # Typing only: at run time, the events are those of Connection.
        def events_received(self) -> List[ClientEvent]:  # type: ignore[override]
            ...

    def __init__(
        self,
        wsuri: WebSocketURI,
        *,
        origin: Optional[Origin] = None,
        extensions: Optional[Sequence[ClientExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        max_size: Optional[int] = 2**20,
    ) -> None:
        super().__init__(CLIENT, max_size=max_size)
        self.wsuri = wsuri
        self.origin = origin
        self.available_extensions = list(extensions or [])
        self.available_subprotocols = list(subprotocols or [])
        self.request: Optional[Request] = None
        self.response: Optional[Response] = None
        self._key = ""
        self._reader: Optional[LineReader[Tuple[int, str, Headers]]] = None

    def connect(self) -> Request:
        """
        Build the handshake request (RFC 6455 4.1).

        Add headers to it if needed, then send it with :meth:`send_request`.

        """
        request, self._key = handshake_request(
            self.wsuri,
            self.origin,
            self.available_extensions,
            self.available_subprotocols,
        )
        return request

    def send_request(self, request: Request) -> None:
        """
        Send the handshake request built by :meth:`connect`.

        Raises:
            InvalidState: if a request was sent already.
            ValueError: if the request contains characters that would break it.

        """
        if self.request is not None or not self._key:
            raise InvalidState("send_request() needs one request made by connect()")
        self._output.append(request.serialize())
        self.request = request
        self._reader = LineReader(parse_response())

    def _parse_http(self, eof: bool) -> None:
        reader = self._reader
        if reader is None:
            # RFC 6455 4.1: nothing comes before the request.
            self._fail_handshake(InvalidMessage("received data before the request"))
            return
        try:
            if eof:
                result: Optional[Tuple[int, str, Headers]]
                result = reader.feed_eof(self._http_buffer)
            else:
                result = reader.feed(self._http_buffer)
        except Exception as exc:
            error = InvalidMessage("did not receive a valid HTTP response")
            error.__cause__ = exc
            self._fail_handshake(error)
            return
        if result is None:
            return
        status_code, reason, headers = result
        self.response = response = Response(status_code, reason, headers)
        self._events.append(response)  # type: ignore[arg-type]
        try:
            extensions = self._check_response(response)
        except InvalidHandshake as exc:
            self._fail_handshake(exc)
            return
        self._open(extensions)

    def _check_response(self, response: Response) -> List[Extension]:
        """
        Check the handshake response and negotiate extensions and subprotocol.

        Raises:
            RedirectHandshake: if it's a redirect; its ``uri`` is the Location.
            InvalidStatusCode: if the status code isn't 101.
            InvalidHandshake: if the response isn't acceptable.

        """
        headers = response.headers
        check_status(response.status_code, headers)
        check_response(headers, self._key)
        extensions = check_extensions(headers, self.available_extensions)
        self.subprotocol = check_subprotocol(headers, self.available_subprotocols)
        return extensions


SelectSubprotocol = Callable[
    ["ServerConnection", Sequence[Subprotocol]], Optional[Subprotocol]
]
"""Type of the ``select_subprotocol`` argument of :class:`ServerConnection`."""


class ServerConnection(HandshakeConnection):
    """
    Sans-I/O server connection, from the opening handshake on.

    Args:
        origins: acceptable values of the Origin header; include ``None`` to
            accept requests without one. ``None`` accepts any origin.
        extensions: supported extension factories, by decreasing preference.
        subprotocols: supported subprotocols, by decreasing preference.
        select_subprotocol: picks a subprotocol among those the client
            offered, given the connection and the offers, instead of
            :func:`select_subprotocol`; it may return ``None``.
        max_size: maximum size of incoming messages in bytes, ``None`` for no
            limit.

    """

    if TYPE_CHECKING:
        # Typing only: at run time, the events are those of Connection.
        def events_received(self) -> List[ServerEvent]:  # type: ignore[override]
            ...

    def __init__(
        self,
        *,
        origins: Optional[Sequence[Optional[Origin]]] = None,
        extensions: Optional[Sequence[ServerExtensionFactory]] = None,
        subprotocols: Optional[Sequence[Subprotocol]] = None,
        select_subprotocol: Optional[SelectSubprotocol] = None,
        max_size: Optional[int] = 2**20,
    ) -> None:
        super().__init__(SERVER, max_size=max_size)
        self.origins = origins
        self.available_extensions = list(extensions or [])
        self.available_subprotocols = list(subprotocols or [])
        self.select_subprotocol = select_subprotocol
        self.request: Optional[Request] = None
        self.response: Optional[Response] = None
        # Extensions negotiated by accept(), once it succeeded.
        self._extensions: Optional[List[Extension]] = None
        self._reader = LineReader(parse_request())

    def _parse_http(self, eof: bool) -> None:
        try:
            if eof:
                result: Optional[Tuple[str, Headers]]
                result = self._reader.feed_eof(self._http_buffer)
            else:
                result = self._reader.feed(self._http_buffer)
        except EOFError as exc:
            error = InvalidMessage("did not receive a valid HTTP request")
            error.__cause__ = exc
            self._fail_handshake(error)
            return
        except Exception as exc:
            error = InvalidMessage("did not receive a valid HTTP request")
            error.__cause__ = exc
            # The request wasn't read completely: answer with an error and
            # half-close; the client may still be sending (RFC 7230 6.6).
            self._send_http(error_response(error))
            self._fail_handshake(error)
            return
        if result is not None:
            # Wait for the application to accept or reject the request.
            self._http_done = True
            self.request = request = Request(*result)
            self._events.append(request)  # type: ignore[arg-type]

    def accept(
        self, request: Request, extra_headers: Optional[HeadersLike] = None
    ) -> Response:
        """
        Check the handshake request and build the response (RFC 6455 4.2).

        This checks the Upgrade, Connection, Sec-WebSocket-Key and
        Sec-WebSocket-Version headers and the origin, and negotiates
        extensions and the subprotocol. Send the response with
        :meth:`send_response`. When the request isn't acceptable, the
        response is the HTTP error built by :func:`error_response`, and
        ``handshake_exc`` tells why.

        Args:
            request: request received.
            extra_headers: headers added to the response.

        Returns:
            A 101 response, or an HTTP error.

        """
        try:
            key = check_request(request.headers)
            check_origin(request.headers, self.origins)
            header, extensions = accept_extensions(
                request.headers, self.available_extensions
            )
            subprotocol = self._negotiate_subprotocol(request.headers)
        except InvalidHandshake as exc:
            self.handshake_exc = exc
            return error_response(exc)
        self._extensions = extensions
        self.subprotocol = subprotocol
        headers = handshake_response_headers(key, header, subprotocol, extra_headers)
        headers.setdefault("Server", USER_AGENT)
        return Response(101, "Switching Protocols", headers)

    def reject(
        self,
        status: Union[http.HTTPStatus, int],
        text: str = "",
        *,
        headers: Optional[HeadersLike] = None,
        body: Optional[bytes] = None,
    ) -> Response:
        """
        Build an HTTP response that refuses the connection.

        Send it with :meth:`send_response`.

        Args:
            status: status code, e.g. 403.
            text: body, sent as UTF-8 text/plain, unless ``body`` is given.
            headers: headers of the response, e.g. ``WWW-Authenticate`` or
                ``Location``; ``Content-Length``, ``Connection: close`` and
                ``Server`` are added unless they're given.
            body: body, if it isn't text; set ``Content-Type`` in ``headers``.

        """
        return http_response(status, text, headers, body)

    def send_response(self, response: Response) -> None:
        """
        Send the response built by :meth:`accept` or :meth:`reject`.

        After a 101 response, the connection is
        :data:`~websockets.connection.OPEN`, and the bytes received after the
        request are parsed as frames. After any other response, the
        connection is failed.

        Raises:
            InvalidState: if no request was received or a response was sent.

        """
        if self.request is None or self.response is not None:
            raise InvalidState("send_response() needs a request and no response")
        if self.state is not CONNECTING:
            raise InvalidState(f"cannot send a response in state {self.state.name}")
        if response.status_code == 101:
            if self._extensions is None:
                raise InvalidState(
                    "a 101 response must come from a successful accept()"
                )
            self._send_http(response)
            self._open(self._extensions)
        else:
            self._send_http(response)
            if self.handshake_exc is None:
                status: Any = response.status_code
                with contextlib.suppress(ValueError):
                    status = http.HTTPStatus(status)
                self.handshake_exc = AbortHandshake(
                    status, response.headers, response.body
                )
            self._fail_handshake(self.handshake_exc)

    def _send_http(self, response: Response) -> None:
        self.response = response
        self._output.append(response.serialize())

    def _negotiate_subprotocol(self, headers: Headers) -> Optional[Subprotocol]:
        """Pick a subprotocol among those the client offered (RFC 6455 4.2.2)."""
        offered = offered_subprotocols(headers)
        if self.select_subprotocol is not None:
            return self.select_subprotocol(self, offered)
        return select_subprotocol(offered, self.available_subprotocols)


def select_subprotocol(
    client_subprotocols: Sequence[Subprotocol],
    server_subprotocols: Sequence[Subprotocol],
) -> Optional[Subprotocol]:
    """
    Pick the subprotocol that both sides prefer.

    That's the common subprotocol with the lowest sum of its positions in
    both lists; ties go to the server's preference. ``None`` when there's
    none in common.

    """
    common = [p for p in server_subprotocols if p in client_subprotocols]
    if not common:
        return None
    return min(
        common,
        key=lambda p: (
            client_subprotocols.index(p) + server_subprotocols.index(p),
            server_subprotocols.index(p),
        ),
    )


def http_response(
    status: Union[http.HTTPStatus, int],
    text: str = "",
    headers: Optional[HeadersLike] = None,
    body: Optional[bytes] = None,
) -> Response:
    """Build the HTTP response of :meth:`ServerConnection.reject`."""
    response_headers = Headers(headers or [])
    if body is None:
        body = text.encode("utf-8", "backslashreplace")
        response_headers.setdefault("Content-Type", "text/plain; charset=utf-8")
    response_headers.setdefault("Content-Length", str(len(body)))
    response_headers.setdefault("Connection", "close")
    response_headers.setdefault("Server", USER_AGENT)
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    return Response(int(status), reason, response_headers, body)


def error_response(exc: Exception) -> Response:
    """
    Build the HTTP response that answers a failed opening handshake.

    * :exc:`~websockets.exceptions.AbortHandshake`: its status, headers and
      body;
    * :exc:`~websockets.exceptions.SecurityError`, or an exception caused by
      one: 431 Request Header Fields Too Large;
    * :exc:`~websockets.exceptions.InvalidOrigin`: 403 Forbidden;
    * :exc:`~websockets.exceptions.InvalidUpgrade`: 426 Upgrade Required with
      ``Upgrade: websocket``;
    * :exc:`~websockets.exceptions.InvalidHeaderValue` for
      ``Sec-WebSocket-Version``: 426 Upgrade Required with
      ``Sec-WebSocket-Version: 13`` (RFC 6455 4.4);
    * another :exc:`~websockets.exceptions.InvalidHandshake`: 400 Bad Request;
    * any other exception: 500 Internal Server Error, without details.

    The caller adds the Date header if it wants one, and logs the 500 errors.

    """
    if isinstance(exc, AbortHandshake):
        return http_response(exc.status, headers=exc.headers, body=exc.body)
    headers = Headers()
    if isinstance(exc, SecurityError) or isinstance(exc.__cause__, SecurityError):
        status = http.HTTPStatus.REQUEST_HEADER_FIELDS_TOO_LARGE
    elif isinstance(exc, InvalidOrigin):
        status = http.HTTPStatus.FORBIDDEN
    elif isinstance(exc, InvalidUpgrade):
        status = http.HTTPStatus.UPGRADE_REQUIRED
        headers["Upgrade"] = "websocket"
    elif isinstance(exc, InvalidHeaderValue) and exc.name == "Sec-WebSocket-Version":
        # RFC 6455 4.4: tell the client which version is supported.
        status = http.HTTPStatus.UPGRADE_REQUIRED
        headers["Sec-WebSocket-Version"] = "13"
    elif isinstance(exc, InvalidHandshake):
        status = http.HTTPStatus.BAD_REQUEST
    else:
        text = (
            "Failed to open a WebSocket connection.\n"
            "See server log for more information.\n"
        )
        return http_response(http.HTTPStatus.INTERNAL_SERVER_ERROR, text)
    detail = str(exc)
    if exc.__cause__ is not None:
        detail += f": {exc.__cause__}"
    text = f"Failed to open a WebSocket connection: {detail}.\n"
    return http_response(status, text, headers)


def build_host(host: str, port: int, secure: bool) -> str:
    """Build the Host header: IPv6 addresses in brackets, the port if not default."""
    if ":" in host:
        host = f"[{host}]"
    if port != (443 if secure else 80):
        host = f"{host}:{port}"
    return host


# Each piece of the opening handshake, once: ClientConnection and
# ServerConnection call these, and so do the asyncio client and server,
# whose 8.x hooks (process_extensions(), process_origin(), ...) wrap them.


def handshake_request(
    wsuri: WebSocketURI,
    origin: Optional[Origin] = None,
    extensions: Optional[Sequence[ClientExtensionFactory]] = None,
    subprotocols: Optional[Sequence[Subprotocol]] = None,
    extra_headers: Optional[HeadersLike] = None,
) -> Tuple[Request, str]:
    """
    Build the handshake request of a client (RFC 6455 4.1).

    Args:
        wsuri: URI of the server; user info becomes Basic credentials.
        origin: value of the Origin header, if any.
        extensions: extension factories offered, by decreasing preference.
        subprotocols: subprotocols offered, by decreasing preference.
        extra_headers: headers added to the request; ``User-Agent`` is only
            added if they don't have one.

    Returns:
        The request, and the Sec-WebSocket-Key that the response must answer.

    """
    headers = Headers()
    headers["Host"] = build_host(wsuri.host, wsuri.port, wsuri.secure)
    if wsuri.user_info:
        headers["Authorization"] = build_authorization_basic(*wsuri.user_info)
    if origin is not None:
        headers["Origin"] = origin
    key = build_request(headers)
    if extensions:
        headers["Sec-WebSocket-Extensions"] = build_extension(
            [(factory.name, factory.get_request_params()) for factory in extensions]
        )
    if subprotocols:
        headers["Sec-WebSocket-Protocol"] = build_subprotocol(subprotocols)
    if extra_headers is not None:
        headers.update(extra_headers)
    headers.setdefault("User-Agent", USER_AGENT)
    return Request(wsuri.resource_name, headers), key


def check_status(status_code: int, headers: Headers) -> None:
    """
    Check the status code of the handshake response (RFC 6455 4.1).

    Raises:
        RedirectHandshake: if it's a redirect; its ``uri`` is the Location.
        InvalidHeader: if a redirect has no Location, or several.
        InvalidStatusCode: if the status code isn't 101.

    """
    if status_code in REDIRECTS:
        try:
            location = headers["Location"]
        except KeyError:
            raise InvalidHeader("Location") from None
        except MultipleValuesError:
            raise InvalidHeader("Location", "more than one Location") from None
        raise RedirectHandshake(location)
    # RFC 6455 4.1: "If the status code received from the server is not
    # 101, the client handles the response per HTTP procedures."
    if status_code != 101:
        raise InvalidStatusCode(status_code)


def check_extensions(
    headers: Headers, extensions: Optional[Sequence[ClientExtensionFactory]]
) -> List[Extension]:
    """
    Build the extensions the server accepted, in its order (RFC 6455 9.1).

    Raises:
        InvalidHandshake: if the server accepted an extension that wasn't
            offered, or with parameters that break the offer.

    """
    accepted: List[Extension] = []
    values = headers.get_all("Sec-WebSocket-Extensions")
    if not values:
        return accepted
    if not extensions:
        raise InvalidHandshake("no extensions supported")
    for name, params in [item for value in values for item in parse_extension(value)]:
        for factory in extensions:
            if factory.name == name:
                try:
                    accepted.append(factory.process_response_params(params, accepted))
                except NegotiationError:
                    continue
                break
        else:
            raise NegotiationError(
                f"unsupported extension: name = {name}, params = {params}"
            )
    return accepted


def check_subprotocol(
    headers: Headers, subprotocols: Optional[Sequence[Subprotocol]]
) -> Optional[Subprotocol]:
    """
    Check the subprotocol the server selected, if any (RFC 6455 4.1).

    Raises:
        InvalidHandshake: if it wasn't offered, or there are several.

    """
    values = headers.get_all("Sec-WebSocket-Protocol")
    if not values:
        return None
    if not subprotocols:
        raise InvalidHandshake("no subprotocols supported")
    selected = [item for value in values for item in parse_subprotocol(value)]
    if len(selected) > 1:
        raise InvalidHandshake(f"multiple subprotocols: {', '.join(selected)}")
    if selected[0] not in subprotocols:
        raise NegotiationError(f"unsupported subprotocol: {selected[0]}")
    return selected[0]


def check_origin(
    headers: Headers, origins: Optional[Sequence[Optional[Origin]]]
) -> Optional[Origin]:
    """
    Check the Origin header of a request (RFC 6455 4.2.2, 10.2) and return it.

    Args:
        headers: request headers.
        origins: acceptable origins, ``None`` in it for no Origin header;
            ``None`` accepts any.

    Raises:
        InvalidHeader: if there's more than one Origin header.
        InvalidOrigin: if the origin isn't acceptable.

    """
    try:
        origin = cast(Optional[Origin], headers.get("Origin"))
    except MultipleValuesError as exc:
        raise InvalidHeader("Origin", "more than one Origin header found") from exc
    if origins is not None and origin not in origins:
        raise InvalidOrigin(origin)
    return origin


def accept_extensions(
    headers: Headers, extensions: Optional[Sequence[ServerExtensionFactory]]
) -> Tuple[Optional[str], List[Extension]]:
    """
    Accept the first acceptable offer of each extension (RFC 6455 9.1).

    Returns:
        The Sec-WebSocket-Extensions header of the response, if any, and the
        extensions, in the order of the client's offers.

    Raises:
        InvalidHandshake: if the header is malformed.

    """
    accepted: List[Extension] = []
    answers: List[ExtensionHeader] = []
    values = headers.get_all("Sec-WebSocket-Extensions")
    if values and extensions:
        for name, params in [o for value in values for o in parse_extension(value)]:
            for factory in extensions:
                if factory.name == name:
                    try:
                        answer, extension = factory.process_request_params(
                            params, accepted
                        )
                    except NegotiationError:
                        continue
                    answers.append((name, answer))
                    accepted.append(extension)
                    break
    return (build_extension(answers) if answers else None), accepted


def offered_subprotocols(headers: Headers) -> List[Subprotocol]:
    """
    List the subprotocols a request offers, in its order.

    Raises:
        InvalidHandshake: if the header is malformed.

    """
    values = headers.get_all("Sec-WebSocket-Protocol")
    return [item for value in values for item in parse_subprotocol(value)]


def handshake_response_headers(
    key: str,
    extensions_header: Optional[str] = None,
    subprotocol: Optional[Subprotocol] = None,
    extra_headers: Optional[HeadersLike] = None,
) -> Headers:
    """
    Build the headers of a 101 response (RFC 6455 4.2.2).

    Args:
        key: Sec-WebSocket-Key of the request.
        extensions_header: from :func:`accept_extensions`.
        subprotocol: subprotocol selected, if any.
        extra_headers: headers appended to them.

    """
    headers = Headers()
    build_response(headers, key)
    if extensions_header is not None:
        headers["Sec-WebSocket-Extensions"] = extensions_header
    if subprotocol is not None:
        headers["Sec-WebSocket-Protocol"] = subprotocol
    if extra_headers is not None:
        headers.update(extra_headers)
    return headers


Credentials = Tuple[str, str]
"""A ``(username, password)`` pair for HTTP Basic Auth."""


def credentials_checker(
    credentials: Union[Credentials, Iterable[Credentials]],
) -> Callable[[str, str], bool]:
    """Return a function that checks credentials against a list, in constant time."""
    pairs: List[Any]
    if is_credentials(credentials):
        pairs = [credentials]
    elif isinstance(credentials, Iterable) and not isinstance(credentials, str):
        pairs = list(credentials)
        if not all(is_credentials(pair) for pair in pairs):
            raise TypeError(f"invalid credentials argument: {credentials!r}")
    else:
        raise TypeError(f"invalid credentials argument: {credentials!r}")
    encoded = [(user.encode(), password.encode()) for user, password in pairs]

    def check(username: str, password: str) -> bool:
        # Compare with every pair, whatever matches, so that the time taken
        # doesn't tell which part of the credentials is right.
        user, secret = username.encode(), password.encode()
        valid = False
        for expected_user, expected_secret in encoded:
            user_ok = hmac.compare_digest(user, expected_user)
            secret_ok = hmac.compare_digest(secret, expected_secret)
            valid |= user_ok & secret_ok
        return valid

    return check


def is_credentials(value: Any) -> bool:
    """Tell whether ``value`` is a ``(username, password)`` pair of strings."""
    return (
        isinstance(value, tuple)
        and len(value) == 2
        and all(isinstance(item, str) for item in value)
    )
