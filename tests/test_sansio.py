"""The opening handshake of the Sans-I/O core: bytes in, events and bytes out."""

import http
from typing import Any, Callable, List, Optional, Sequence, TypeVar

import pytest

from websockets.connection import CLOSED, CLOSING, CONNECTING, OPEN, Connection
from websockets.exceptions import (
    AbortHandshake,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderFormat,
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
from websockets.extensions.permessage_deflate import (
    ClientPerMessageDeflateFactory,
    PerMessageDeflate,
    ServerPerMessageDeflateFactory,
)
from websockets.framing import Frame
from websockets.handshake import accept_key
from websockets.http import USER_AGENT, Headers
from websockets.sansio import (
    ClientConnection,
    Request,
    Response,
    ServerConnection,
    build_host,
    error_response,
    select_subprotocol,
)
from websockets.typing import Subprotocol
from websockets.uri import parse_uri


C = TypeVar("C", bound=Connection)

# RFC 6455 1.3: the example key and its accept value.
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

REQUEST = (
    b"GET /chat?room=1 HTTP/1.1\r\n"
    b"Host: example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: " + KEY.encode() + b"\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"\r\n"
)

SERVER = USER_AGENT.encode()

RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: " + ACCEPT.encode() + b"\r\n"
    b"Server: " + SERVER + b"\r\n"
    b"\r\n"
)

# A masked Text frame "hi" from a client, an unmasked one from a server.
CLIENT_FRAME = b"\x81\x82\x00\x00\x00\x00hi"
SERVER_FRAME = b"\x81\x02hi"


def feed_ways(make: Callable[[], C], data: bytes, trailing: bytes) -> List[C]:
    """
    Feed ``data`` to new connections: whole, byte by byte, and followed by
    ``trailing``, which belongs to the data transfer phase.

    """
    whole, bytewise, followed = make(), make(), make()
    whole.receive_data(data)
    for index in range(len(data)):
        bytewise.receive_data(data[index : index + 1])
    followed.receive_data(data + trailing)
    return [whole, bytewise, followed]


def request_with(*remove: str, **headers: str) -> bytes:
    """Return :data:`REQUEST` without some headers and with others."""
    lines = REQUEST.split(b"\r\n")[:-2]
    lines = [line for line in lines if line.split(b":")[0].decode() not in remove]
    lines += [
        f"{name.replace('_', '-')}: {value}".encode() for name, value in headers.items()
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def received_request(data: bytes = REQUEST, **kwargs: Any) -> ServerConnection:
    server = ServerConnection(**kwargs)
    server.receive_data(data)
    return server


# Server: accepting.


def test_server_receives_request_whole_bytewise_and_with_trailing_bytes() -> None:
    for server in feed_ways(ServerConnection, REQUEST, CLIENT_FRAME):
        [request] = server.events_received()
        assert isinstance(request, Request)
        assert request.path == "/chat?room=1"
        assert request.headers["Host"] == "example.com"
        assert server.request is request
        assert server.state is CONNECTING
        assert server.data_to_send() == []


def test_server_accepts_and_sends_101() -> None:
    for server in feed_ways(ServerConnection, REQUEST, CLIENT_FRAME):
        [request] = server.events_received()
        response = server.accept(request)
        assert response.status_code == 101
        server.send_response(response)
        assert server.data_to_send() == [RESPONSE]
        assert server.state is OPEN
        assert server.handshake_exc is None


def test_server_parses_frames_received_with_the_request() -> None:
    *_, server = feed_ways(ServerConnection, REQUEST, CLIENT_FRAME)
    [request] = server.events_received()
    server.send_response(server.accept(request))
    assert server.events_received() == ["hi"]


def test_server_keeps_bytes_received_while_the_application_decides() -> None:
    server = received_request()
    [request] = server.events_received()
    server.receive_data(CLIENT_FRAME[:3])
    server.receive_data(CLIENT_FRAME[3:])
    assert server.events_received() == []
    server.send_response(server.accept(request))
    assert server.events_received() == ["hi"]
    server.receive_data(CLIENT_FRAME)
    assert server.events_received() == ["hi"]


def test_server_accepts_with_extra_headers() -> None:
    server = received_request()
    response = server.accept(server.request, {"Set-Cookie": "a=b"})  # type: ignore[arg-type]
    response.headers["X-Extra"] = "1"
    server.send_response(response)
    [data] = server.data_to_send()
    assert data.endswith(
        b"Set-Cookie: a=b\r\nServer: " + SERVER + b"\r\nX-Extra: 1\r\n\r\n"
    )


def test_server_negotiates_permessage_deflate() -> None:
    data = request_with(Sec_WebSocket_Extensions="permessage-deflate")
    server = received_request(data, extensions=[ServerPerMessageDeflateFactory()])
    response = server.accept(server.request)  # type: ignore[arg-type]
    assert response.headers["Sec-WebSocket-Extensions"] == "permessage-deflate"
    server.send_response(response)
    assert [type(ext) for ext in server.extensions] == [PerMessageDeflate]


def test_server_skips_unacceptable_extension_offer() -> None:
    data = request_with(
        Sec_WebSocket_Extensions="permessage-deflate; server_max_window_bits=7, "
        "permessage-deflate, x-unknown"
    )
    server = received_request(data, extensions=[ServerPerMessageDeflateFactory()])
    response = server.accept(server.request)  # type: ignore[arg-type]
    assert response.headers["Sec-WebSocket-Extensions"] == "permessage-deflate"


def test_server_without_extensions_ignores_offers() -> None:
    data = request_with(Sec_WebSocket_Extensions="permessage-deflate")
    server = received_request(data)
    response = server.accept(server.request)  # type: ignore[arg-type]
    assert "Sec-WebSocket-Extensions" not in response.headers


@pytest.mark.parametrize(
    ("offered", "supported", "expected"),
    [
        ("chat, superchat", ["superchat", "chat"], "superchat"),
        ("a, b", ["c", "b"], "b"),
        ("chat", ["other"], None),
        (None, ["chat"], None),
    ],
)
def test_server_selects_subprotocol(
    offered: Optional[str], supported: List[str], expected: Optional[str]
) -> None:
    headers = {} if offered is None else {"Sec_WebSocket_Protocol": offered}
    server = received_request(request_with(**headers), subprotocols=supported)
    response = server.accept(server.request)  # type: ignore[arg-type]
    server.send_response(response)
    assert server.subprotocol == expected
    assert response.headers.get("Sec-WebSocket-Protocol") == expected


def test_server_uses_select_subprotocol() -> None:
    def last(
        server: ServerConnection, offered: Sequence[Subprotocol]
    ) -> Optional[Subprotocol]:
        return offered[-1]

    data = request_with(Sec_WebSocket_Protocol="a, b")
    server = received_request(data, select_subprotocol=last)
    server.send_response(server.accept(server.request))  # type: ignore[arg-type]
    assert server.subprotocol == "b"


def test_select_subprotocol_ties_go_to_the_server() -> None:
    assert select_subprotocol(["a", "b"], ["b", "a"]) == "b"
    assert select_subprotocol([], ["a"]) is None


@pytest.mark.parametrize("origin", ["https://good.example", None])
def test_server_accepts_origin(origin: Optional[str]) -> None:
    data = REQUEST if origin is None else request_with(Origin=origin)
    server = received_request(data, origins=["https://good.example", None])
    assert server.accept(server.request).status_code == 101  # type: ignore[arg-type]


# Server: rejecting.


def assert_rejected(
    server: ServerConnection, status: int, body: bytes, headers: bytes = b""
) -> None:
    """Check the HTTP error sent and the end of the connection."""
    data = server.data_to_send()
    assert data == [
        f"HTTP/1.1 {status} {http.HTTPStatus(status).phrase}\r\n".encode()
        + headers
        + b"Content-Type: text/plain; charset=utf-8\r\n"
        + f"Content-Length: {len(body)}\r\n".encode()
        + b"Connection: close\r\nServer: "
        + SERVER
        + b"\r\n\r\n"
        + body,
        b"",
    ]
    assert server.state is CLOSING
    assert server.close_expected()
    assert server.events_received() == []
    server.receive_data(CLIENT_FRAME)  # ignored
    assert server.events_received() == []
    server.receive_eof()
    assert server.state is CLOSED


@pytest.mark.parametrize(
    ("data", "status", "body"),
    [
        (
            b"POST / HTTP/1.1\r\n\r\n",
            400,
            b"Failed to open a WebSocket connection: did not receive a valid "
            b"HTTP request: unsupported HTTP method: POST.\n",
        ),
        (
            b"GET / HTTP/1.1\r\nX: " + b"x" * 8192,
            431,
            b"Failed to open a WebSocket connection: did not receive a valid "
            b"HTTP request: line longer than 8192 bytes.\n",
        ),
    ],
    ids=["malformed", "too-large"],
)
def test_server_rejects_invalid_request(data: bytes, status: int, body: bytes) -> None:
    for server in feed_ways(ServerConnection, data, CLIENT_FRAME):
        assert isinstance(server.handshake_exc, InvalidMessage)
        assert_rejected(server, status, body)


def test_server_rejects_too_many_headers_with_431() -> None:
    data = b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * 257 + b"\r\n"
    server = received_request(data)
    assert isinstance(server.handshake_exc.__cause__, SecurityError)
    assert server.data_to_send()[0].startswith(b"HTTP/1.1 431 ")


@pytest.mark.parametrize(
    ("data", "exc_type", "status", "headers", "message"),
    [
        (
            request_with("Upgrade"),
            InvalidUpgrade,
            426,
            b"Upgrade: websocket\r\n",
            "missing Upgrade header",
        ),
        (
            request_with("Sec-WebSocket-Version", Sec_WebSocket_Version="8"),
            InvalidHeaderValue,
            426,
            b"Sec-WebSocket-Version: 13\r\n",
            "invalid Sec-WebSocket-Version header: 8",
        ),
        (
            request_with("Sec-WebSocket-Key"),
            InvalidHeader,
            400,
            b"",
            "missing Sec-WebSocket-Key header",
        ),
        (
            request_with(Origin="https://evil.example"),
            InvalidOrigin,
            403,
            b"",
            "invalid Origin header: https://evil.example",
        ),
        (
            request_with(Origin="https://good.example", origin="https://evil.example"),
            InvalidHeader,
            400,
            b"",
            "invalid Origin header: more than one Origin header found",
        ),
        (
            request_with(Sec_WebSocket_Protocol="chat;x"),
            InvalidHeaderFormat,
            400,
            b"",
            "invalid Sec-WebSocket-Protocol header",
        ),
    ],
    ids=["upgrade", "version", "key", "origin", "origins", "subprotocol"],
)
def test_server_rejects_unacceptable_request(
    data: bytes, exc_type: type, status: int, headers: bytes, message: str
) -> None:
    for server in feed_ways(
        lambda: ServerConnection(origins=["https://good.example", None]),
        data,
        CLIENT_FRAME,
    ):
        [request] = server.events_received()
        response = server.accept(request)
        assert type(server.handshake_exc) is exc_type
        assert str(server.handshake_exc).startswith(message)
        server.send_response(response)
        detail = str(server.handshake_exc)
        if server.handshake_exc.__cause__ is not None:
            # Several Origin headers: the cause names the header, as in 8.x.
            detail += f": {server.handshake_exc.__cause__}"
        body = f"Failed to open a WebSocket connection: {detail}.\n"
        assert_rejected(server, status, body.encode(), headers)


def test_server_rejects_on_application_request() -> None:
    for server in feed_ways(ServerConnection, REQUEST, CLIENT_FRAME):
        [request] = server.events_received()
        response = server.reject(
            http.HTTPStatus.UNAUTHORIZED,
            "Missing credentials\n",
            headers={"WWW-Authenticate": 'Basic realm="x"'},
        )
        server.send_response(response)
        assert isinstance(server.handshake_exc, AbortHandshake)
        assert server.handshake_exc.status == 401
        assert_rejected(
            server,
            401,
            b"Missing credentials\n",
            b'WWW-Authenticate: Basic realm="x"\r\n',
        )


def test_server_rejects_with_a_body_and_unknown_status() -> None:
    server = received_request()
    response = server.reject(599, headers=[("Content-Type", "x/y")], body=b"\x00")
    server.send_response(response)
    assert server.data_to_send() == [
        b"HTTP/1.1 599 \r\nContent-Type: x/y\r\nContent-Length: 1\r\n"
        b"Connection: close\r\nServer: " + SERVER + b"\r\n\r\n\x00",
        b"",
    ]


def test_server_fails_on_eof_before_the_request() -> None:
    server = ServerConnection()
    server.receive_data(REQUEST[:20])
    server.receive_eof()
    assert isinstance(server.handshake_exc, InvalidMessage)
    assert isinstance(server.handshake_exc.__cause__, EOFError)
    assert server.data_to_send() == [b""]
    assert server.state is CLOSED
    assert server.events_received() == []


def test_server_completes_request_at_eof() -> None:
    server = ServerConnection()
    server.receive_data(REQUEST)
    server.receive_eof()
    assert isinstance(server.events_received()[0], Request)
    assert server.state is CLOSED
    with pytest.raises(InvalidState, match="cannot send a response in state CLOSED"):
        server.send_response(server.accept(server.request))  # type: ignore[arg-type]


def test_server_sends_one_response() -> None:
    server = ServerConnection()
    with pytest.raises(InvalidState, match="needs a request and no response"):
        server.send_response(server.reject(400))
    server.receive_data(REQUEST)
    server.send_response(server.reject(400))
    with pytest.raises(InvalidState, match="needs a request and no response"):
        server.send_response(server.reject(400))


def test_server_sends_101_only_after_accept() -> None:
    server = received_request()
    with pytest.raises(InvalidState, match="must come from a successful accept"):
        server.send_response(Response(101, "", Headers()))


@pytest.mark.parametrize(
    ("exc", "status", "body"),
    [
        (
            AbortHandshake(http.HTTPStatus.NOT_FOUND, {}, b"nope"),
            404,
            b"nope",
        ),
        (
            ValueError("secret detail"),
            500,
            b"Failed to open a WebSocket connection.\n"
            b"See server log for more information.\n",
        ),
        (
            InvalidHandshake("oops"),
            400,
            b"Failed to open a WebSocket connection: oops.\n",
        ),
    ],
)
def test_error_response(exc: Exception, status: int, body: bytes) -> None:
    response = error_response(exc)
    assert (response.status_code, response.body) == (status, body)
    assert response.headers["Content-Length"] == str(len(body))


# Client.


def make_client(
    uri: str = "ws://example.com/chat?room=1", **kwargs: Any
) -> ClientConnection:
    return ClientConnection(parse_uri(uri), **kwargs)


def started_client(**kwargs: Any) -> ClientConnection:
    client = make_client(**kwargs)
    request = client.connect()
    # The key of RFC 6455 1.3, so that the response is always the same.
    client._key = KEY
    client.send_request(request)
    client.data_to_send()
    return client


def response_with(
    *remove: str, status: bytes = b"101 Switching Protocols", **headers: str
) -> bytes:
    lines = RESPONSE.split(b"\r\n")[:-2]
    lines[0] = b"HTTP/1.1 " + status
    lines = [line for line in lines if line.split(b":")[0].decode() not in remove]
    lines += [
        f"{name.replace('_', '-')}: {value}".encode() for name, value in headers.items()
    ]
    return b"\r\n".join(lines) + b"\r\n\r\n"


def test_client_sends_request() -> None:
    client = make_client(
        "ws://user:pass@example.com:8080/chat?room=1",
        origin="https://example.com",
        extensions=[ClientPerMessageDeflateFactory()],
        subprotocols=["chat", "superchat"],
    )
    request = client.connect()
    key = request.headers["Sec-WebSocket-Key"]
    client.send_request(request)
    assert client.data_to_send() == [
        b"GET /chat?room=1 HTTP/1.1\r\n"
        b"Host: example.com:8080\r\n"
        b"Authorization: Basic dXNlcjpwYXNz\r\n"
        b"Origin: https://example.com\r\n"
        b"Upgrade: websocket\r\n"
        b"Connection: Upgrade\r\n"
        b"Sec-WebSocket-Key: " + key.encode() + b"\r\n"
        b"Sec-WebSocket-Version: 13\r\n"
        b"Sec-WebSocket-Extensions: permessage-deflate\r\n"
        b"Sec-WebSocket-Protocol: chat, superchat\r\n"
        b"User-Agent: " + USER_AGENT.encode() + b"\r\n"
        b"\r\n"
    ]
    assert client.request is request
    assert client.state is CONNECTING


def test_client_sends_one_request_from_connect() -> None:
    client = make_client()
    with pytest.raises(InvalidState, match="one request made by connect"):
        client.send_request(Request("/", Headers()))
    client.send_request(client.connect())
    with pytest.raises(InvalidState, match="one request made by connect"):
        client.send_request(client.connect())


def test_client_receives_101_whole_bytewise_and_with_trailing_bytes() -> None:
    for client in feed_ways(started_client, RESPONSE, SERVER_FRAME):
        events = client.events_received()
        assert isinstance(events[0], Response)
        assert events[0].status_code == 101
        assert events[0].headers["Sec-WebSocket-Accept"] == ACCEPT
        assert client.response is events[0]
        assert client.state is OPEN
        assert client.handshake_exc is None
        assert client.data_to_send() == []
    assert events[1:] == ["hi"]
    client.receive_data(SERVER_FRAME)
    assert client.events_received() == ["hi"]


def test_client_negotiates_extension_and_subprotocol() -> None:
    data = response_with(
        Sec_WebSocket_Extensions="permessage-deflate", Sec_WebSocket_Protocol="chat"
    )
    client = started_client(
        extensions=[ClientPerMessageDeflateFactory()], subprotocols=["chat"]
    )
    client.receive_data(data)
    assert client.state is OPEN
    assert client.subprotocol == "chat"
    assert [type(ext) for ext in client.extensions] == [PerMessageDeflate]


@pytest.mark.parametrize(
    ("data", "exc_type", "message"),
    [
        (
            response_with(status=b"302 Found", Location="wss://other.example/"),
            RedirectHandshake,
            "redirect to wss://other.example/",
        ),
        (response_with(status=b"301 Moved"), InvalidHeader, "missing Location header"),
        (
            response_with(
                status=b"307 Temporary Redirect", Location="/a", location="/b"
            ),
            InvalidHeader,
            "invalid Location header: more than one Location",
        ),
        (
            response_with(status=b"404 Not Found"),
            InvalidStatusCode,
            "server rejected WebSocket connection: HTTP 404",
        ),
        (
            response_with("Sec-WebSocket-Accept", Sec_WebSocket_Accept="wrong"),
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Accept header: wrong",
        ),
        (
            b"HTTP/1.0 101 Switching Protocols\r\n\r\n",
            InvalidMessage,
            "did not receive a valid HTTP response",
        ),
        (
            response_with(Sec_WebSocket_Extensions="permessage-deflate"),
            InvalidHandshake,
            "no extensions supported",
        ),
        (
            response_with(Sec_WebSocket_Protocol="chat"),
            InvalidHandshake,
            "no subprotocols supported",
        ),
    ],
    ids=[
        "redirect",
        "redirect-no-location",
        "redirect-two-locations",
        "status",
        "accept",
        "malformed",
        "extension",
        "subprotocol",
    ],
)
def test_client_fails_on_unacceptable_response(
    data: bytes, exc_type: type, message: str
) -> None:
    for client in feed_ways(started_client, data, SERVER_FRAME):
        assert type(client.handshake_exc) is exc_type
        assert str(client.handshake_exc) == message
        assert client.data_to_send() == [b""]
        assert client.state is CLOSING
        client.receive_eof()
        assert client.state is CLOSED
    assert client.events_received()[1:] == []


def test_client_exposes_redirect_location() -> None:
    client = started_client()
    client.receive_data(response_with(status=b"308 Permanent Redirect", Location="/x"))
    assert isinstance(client.handshake_exc, RedirectHandshake)
    assert client.handshake_exc.uri == "/x"
    [response] = client.events_received()
    assert isinstance(response, Response) and response.status_code == 308


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        (
            {"Sec_WebSocket_Extensions": "x-unknown"},
            "unsupported extension: name = x-unknown, params = []",
        ),
        (
            {
                "Sec_WebSocket_Extensions": "permessage-deflate; "
                "server_max_window_bits=7"
            },
            "unsupported extension: name = permessage-deflate, "
            "params = [('server_max_window_bits', '7')]",
        ),
        ({"Sec_WebSocket_Protocol": "other"}, "unsupported subprotocol: other"),
    ],
)
def test_client_fails_on_negotiation_error(headers: Any, message: str) -> None:
    client = started_client(
        extensions=[ClientPerMessageDeflateFactory()], subprotocols=["chat"]
    )
    client.receive_data(response_with(**headers))
    assert isinstance(client.handshake_exc, NegotiationError)
    assert str(client.handshake_exc) == message


def test_client_fails_on_multiple_subprotocols() -> None:
    client = started_client(subprotocols=["chat", "superchat"])
    client.receive_data(response_with(Sec_WebSocket_Protocol="chat, superchat"))
    assert str(client.handshake_exc) == "multiple subprotocols: chat, superchat"


def test_client_fails_on_eof_during_response() -> None:
    client = started_client()
    client.receive_data(RESPONSE[:30])
    client.receive_eof()
    assert isinstance(client.handshake_exc, InvalidMessage)
    assert isinstance(client.handshake_exc.__cause__, EOFError)
    assert client.state is CLOSED
    assert client.data_to_send() == [b""]


def test_client_fails_on_data_before_request() -> None:
    client = make_client()
    client.receive_data(b"HTTP/1.1 101 Switching Protocols\r\n")
    assert str(client.handshake_exc) == "received data before the request"
    assert client.data_to_send() == [b""]


def test_client_eof_after_open() -> None:
    client = started_client()
    client.receive_data(RESPONSE)
    client.receive_eof()
    assert client.state is CLOSED
    assert client.close_code == 1006


@pytest.mark.parametrize(
    ("host", "port", "secure", "expected"),
    [
        ("example.com", 80, False, "example.com"),
        ("example.com", 443, True, "example.com"),
        ("example.com", 443, False, "example.com:443"),
        ("::1", 8080, False, "[::1]:8080"),
    ],
)
def test_build_host(host: str, port: int, secure: bool, expected: str) -> None:
    assert build_host(host, port, secure) == expected


# Both sides.


def transfer(source: Connection, target: Connection) -> None:
    for data in source.data_to_send():
        if data:
            target.receive_data(data)
        else:
            target.receive_eof()


def test_client_and_server_back_to_back() -> None:
    client = make_client(
        extensions=[ClientPerMessageDeflateFactory()], subprotocols=["chat"]
    )
    server = ServerConnection(
        extensions=[ServerPerMessageDeflateFactory()], subprotocols=["chat"]
    )
    client.send_request(client.connect())
    transfer(client, server)
    [request] = server.events_received()
    assert isinstance(request, Request)
    server.send_response(server.accept(request))
    server.send_text("hello ✓".encode())
    transfer(server, client)
    events = client.events_received()
    assert isinstance(events[0], Response)
    assert events[1:] == ["hello ✓"]
    assert (client.subprotocol, server.subprotocol) == ("chat", "chat")
    client.send_binary(b"\x00" * 1000)
    client.send_close(1000, "bye")
    transfer(client, server)
    assert server.events_received()[0] == b"\x00" * 1000
    transfer(server, client)  # Close frame, then EOF
    transfer(client, server)  # Close frame, then EOF
    assert client.state is CLOSED and server.state is CLOSED
    assert (server.close_code, server.close_reason) == (1000, "bye")
    assert isinstance(client.events_received()[0], Frame)


def test_accept_key_matches_rfc() -> None:
    assert accept_key(KEY) == ACCEPT
