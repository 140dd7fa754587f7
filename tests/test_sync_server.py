"""The server of the threading API, against the asyncio client and others."""

import asyncio
import http
import socket
import ssl
import tempfile
import threading
from typing import Any, List, Optional, Tuple

import pytest
import trustme

import websockets
from websockets.exceptions import ConnectionClosedOK, InvalidStatusCode
from websockets.sansio import ClientConnection as ClientProtocol, Request, Response
from websockets.sync.client import connect, unix_connect
from websockets.sync.server import ServerConnection, basic_auth, serve, unix_serve
from websockets.uri import parse_uri

from .sync_utils import QUIET, TIMEOUT, echo, running, sync_server


def run_asyncio_client(uri: str, **kwargs: Any) -> List[Any]:
    """Connect with the asyncio client, send two messages, return the echoes."""

    async def main() -> List[Any]:
        async with websockets.connect(uri, **kwargs) as ws:
            await ws.send("asyncio ✓")
            await ws.send(b"\x00\x01")
            return [await ws.recv(), await ws.recv()]

    return asyncio.run(asyncio.wait_for(main(), TIMEOUT))


def test_server_against_asyncio_client() -> None:
    with sync_server() as uri:
        assert run_asyncio_client(uri) == ["asyncio ✓", b"\x00\x01"]
        assert run_asyncio_client(uri, compression=None) == ["asyncio ✓", b"\x00\x01"]


def test_server_handler_sees_request() -> None:
    seen: List[Any] = []

    def handler(connection: ServerConnection) -> None:
        assert connection.request is not None and connection.response is not None
        seen.append((connection.request.path, connection.response.status_code))
        seen.append(connection.request.headers["X-Test"])

    with sync_server(handler) as uri:
        with connect(uri + "/p?q", additional_headers={"X-Test": "1"}, **QUIET) as ws:
            ws.wait_closed(TIMEOUT)
    assert seen == [("/p?q", 101), "1"]


def test_server_selects_subprotocol() -> None:
    with sync_server(subprotocols=["chat", "superchat"]) as uri:
        with connect(uri, subprotocols=["superchat"], **QUIET) as ws:
            assert ws.subprotocol == "superchat"


def test_server_process_request_refuses() -> None:
    def process_request(
        connection: ServerConnection, request: Request
    ) -> Optional[Response]:
        if request.path == "/health":
            return connection.respond(http.HTTPStatus.OK, "OK\n")
        return None

    with sync_server(process_request=process_request) as uri:
        with pytest.raises(InvalidStatusCode, match="HTTP 200"):
            connect(uri + "/health", **QUIET)
        with connect(uri + "/ws", **QUIET) as ws:
            ws.send("x")
            assert ws.recv(TIMEOUT) == "x"


def test_server_process_request_raises() -> None:
    def process_request(connection: ServerConnection, request: Request) -> None:
        raise RuntimeError("bug")

    with sync_server(process_request=process_request) as uri:
        with pytest.raises(InvalidStatusCode, match="HTTP 500"):
            connect(uri, **QUIET)


def test_server_rejects_origin() -> None:
    with sync_server(origins=["https://good.example"]) as uri:
        with pytest.raises(InvalidStatusCode, match="HTTP 403"):
            connect(uri, origin="https://evil.example", **QUIET)  # type: ignore[arg-type]


def test_server_answers_plain_http_with_426() -> None:
    with sync_server() as uri:
        port = int(uri.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"GET / HTTP/1.1\r\nHost: localhost\r\n\r\n")
            answer = b""
            while True:
                data = sock.recv(4096)
                if not data:
                    break
                answer += data
    assert answer.startswith(b"HTTP/1.1 426 Upgrade Required\r\nUpgrade: websocket\r\n")
    assert b"\r\nDate: " in answer


def test_server_answers_malformed_request_with_400() -> None:
    with sync_server() as uri:
        port = int(uri.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"POST / HTTP/1.1\r\n\r\n")
            answer = sock.recv(4096)
    assert answer.startswith(b"HTTP/1.1 400 Bad Request\r\n")


def test_server_open_timeout() -> None:
    with sync_server(open_timeout=0.02) as uri:
        port = int(uri.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            # Send nothing: the server drops the connection.
            assert sock.recv(4096) == b""


def test_basic_auth() -> None:
    auth = basic_auth("realm", credentials=("user", "pass"))
    usernames: List[Optional[str]] = []

    def handler(connection: ServerConnection) -> None:
        usernames.append(connection.username)

    with sync_server(handler, process_request=auth) as uri:
        host = uri[len("ws://") :]
        with connect(f"ws://user:pass@{host}/", **QUIET) as ws:
            ws.wait_closed(TIMEOUT)
        for userinfo in ["", "user:wrong@", "nobody:pass@"]:
            with pytest.raises(InvalidStatusCode, match="HTTP 401"):
                connect(f"ws://{userinfo}{host}/", **QUIET)
        for header in ["Bearer x", "Basic !!!"]:
            with pytest.raises(InvalidStatusCode, match="HTTP 401"):
                connect(uri, additional_headers={"Authorization": header}, **QUIET)
        headers = [("Authorization", "Basic dXNlcjpwYXNz")] * 2
        with pytest.raises(InvalidStatusCode, match="HTTP 400"):
            connect(uri, additional_headers=headers, **QUIET)
    assert usernames == ["user"]


def handshake_response(uri: str, headers: List[Tuple[str, str]]) -> Response:
    """Send a handshake request with ``headers``; return the response."""
    protocol = ClientProtocol(parse_uri(uri))
    request = protocol.connect()
    request.headers.update(headers)
    protocol.send_request(request)
    with socket.create_connection((protocol.wsuri.host, protocol.wsuri.port)) as sock:
        sock.settimeout(TIMEOUT)
        sock.sendall(b"".join(protocol.data_to_send()))
        while protocol.response is None:
            data = sock.recv(4096)
            if data:
                protocol.receive_data(data)
            else:  # pragma: no cover
                protocol.receive_eof()
                raise AssertionError("no response")
    return protocol.response


@pytest.mark.parametrize(
    "value",
    ["Basic", "Basic aGVsbG8=, foo", "Basic !!!", "Basic aGVs bG8=", "Bearer x"],
    ids=["no credentials", "trailing data", "not token68", "space inside", "bearer"],
)
def test_basic_auth_challenges_malformed_authorization(value: str) -> None:
    # As the asyncio server does: 401 with the challenge (RFC 7235 3.1), so
    # that the client can retry with valid credentials.
    auth = basic_auth("realm", credentials=("user", "pass"))
    with sync_server(process_request=auth) as uri:
        response = handshake_response(uri, [("Authorization", value)])
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == (
        'Basic realm="realm", charset="UTF-8"'
    )


def test_basic_auth_with_check_credentials_and_lists() -> None:
    auth = basic_auth(check_credentials=lambda user, password: user == password)
    with sync_server(process_request=auth) as uri:
        host = uri[len("ws://") :]
        connect(f"ws://same:same@{host}/", **QUIET).close()
    basic_auth(credentials=[("a", "b"), ("c", "d")])
    for credentials in [("a", 1), [("a",)], "ab", None]:
        with pytest.raises(TypeError):
            basic_auth(credentials=credentials)  # type: ignore[arg-type]


def test_server_with_tls() -> None:
    ca = trustme.CA()
    server_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ca.issue_cert("localhost").configure_cert(server_context)
    client_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ca.configure_trust(client_context)
    with sync_server(ssl=server_context) as uri:
        port = uri.rsplit(":", 1)[1]
        with connect(f"wss://localhost:{port}/", ssl=client_context, **QUIET) as ws:
            ws.send("secure")
            assert ws.recv(TIMEOUT) == "secure"
        assert run_asyncio_client(f"wss://localhost:{port}/", ssl=client_context) == [
            "asyncio ✓",
            b"\x00\x01",
        ]


def test_server_with_unix_socket() -> None:
    with tempfile.TemporaryDirectory() as directory:
        path = f"{directory}/socket"
        with running(unix_serve(echo, path, **QUIET)):
            with unix_connect(path, **QUIET) as ws:
                ws.send("unix")
                assert ws.recv(TIMEOUT) == "unix"


def test_shutdown_closes_connections_with_1001() -> None:
    opened = threading.Event()

    def handler(connection: ServerConnection) -> None:
        opened.set()
        with pytest.raises(ConnectionClosedOK):
            connection.recv()

    server = serve(handler, "127.0.0.1", 0, **QUIET)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    port = server.socket.getsockname()[1]
    ws = connect(f"ws://127.0.0.1:{port}/", **QUIET)
    assert opened.wait(TIMEOUT)
    server.shutdown()
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    with pytest.raises(ConnectionClosedOK):
        ws.recv(TIMEOUT)
    assert ws.close_code == 1001
    server.shutdown()  # idempotent
    server.serve_forever()  # returns at once


def test_shutdown_from_handler_and_without_serve_forever() -> None:
    def handler(connection: ServerConnection) -> None:
        threading.Thread(target=server.shutdown).start()
        connection.recv()

    server = serve(handler, "127.0.0.1", 0, **QUIET)
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    with connect(
        f"ws://127.0.0.1:{server.fileno() and server.socket.getsockname()[1]}/", **QUIET
    ) as ws:
        with pytest.raises(ConnectionClosedOK):
            ws.recv(TIMEOUT)
    thread.join(TIMEOUT)
    assert not thread.is_alive()
    with serve(echo, "127.0.0.1", 0) as idle:
        assert idle.socket.getsockname()[1] > 0


def test_server_rejects_bad_compression() -> None:
    with pytest.raises(ValueError, match="unsupported compression: zstd"):
        serve(echo, "127.0.0.1", 0, compression="zstd")
