"""End-to-end tests of HTTP Basic Auth on the server (RFC 7235, RFC 7617)."""

import base64
import logging
import urllib.parse
from typing import Any, List, Tuple

import pytest

from websockets.auth import (
    BasicAuthWebSocketServerProtocol,
    basic_auth_protocol_factory,
)
from websockets.client import connect
from websockets.exceptions import InvalidStatusCode
from websockets.http import Headers
from websockets.server import WebSocketServer, WebSocketServerProtocol, serve

from .test_client_server import (
    check_error_response,
    get_port,
    get_uri,
    handshake_headers,
    handshake_request,
    http_exchange,
)


pytestmark = pytest.mark.event_loops

REALM = "my dev server"
CHALLENGE = 'Basic realm="my dev server", charset="UTF-8"'


async def username_handler(ws: WebSocketServerProtocol, path: str) -> None:
    """Send the name of the authenticated user to the client."""
    assert isinstance(ws, BasicAuthWebSocketServerProtocol)
    assert ws.username is not None
    await ws.send(ws.username)


def auth_uri(server: WebSocketServer, username: str, password: str) -> str:
    userinfo = urllib.parse.quote(username) + ":" + urllib.parse.quote(password)
    return f"ws://{userinfo}@127.0.0.1:{get_port(server)}/"


def authorization(username: str, password: str) -> str:
    credentials = f"{username}:{password}".encode()
    return "Basic " + base64.b64encode(credentials).decode()


async def exchange_with_authorization(
    server: WebSocketServer, *values: str
) -> Tuple[int, Headers, bytes]:
    """Send a handshake request with these Authorization headers."""
    headers = handshake_headers()
    for value in values:
        headers["Authorization"] = value
    return await http_exchange(server, handshake_request(headers=headers))


def check_challenge(status: int, headers: Headers, body: bytes, message: bytes) -> None:
    assert status == 401
    assert headers["WWW-Authenticate"] == CHALLENGE
    assert body == message
    check_error_response(headers, body)


# Arguments of basic_auth_protocol_factory.


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({}, "provide either credentials or check_credentials"),
        (
            {"credentials": ("hello", "iloveyou"), "check_credentials": object()},
            "provide either credentials or check_credentials",
        ),
        ({"credentials": "hello"}, "invalid credentials argument: 'hello'"),
        ({"credentials": 42}, "invalid credentials argument: 42"),
        ({"credentials": ("hello", 42)}, "invalid credentials argument: "),
        ({"credentials": ("hello", "iloveyou", "!")}, "invalid credentials argument"),
        (
            {"credentials": [("hello", "iloveyou"), "bye"]},
            "invalid credentials argument: ",
        ),
    ],
    ids=[
        "neither",
        "both",
        "string",
        "integer",
        "password not a string",
        "triple",
        "list with a string",
    ],
)
def test_basic_auth_protocol_factory_type_errors(kwargs: Any, message: str) -> None:
    with pytest.raises(TypeError, match=message):
        basic_auth_protocol_factory(REALM, **kwargs)


# Credentials.


async def test_basic_auth_one_pair() -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        async with connect(f"ws://hello:iloveyou@127.0.0.1:{get_port(server)}/") as ws:
            assert await ws.recv() == "hello"
        for username, password in [("hello", "ihateyou"), ("goodbye", "iloveyou")]:
            with pytest.raises(InvalidStatusCode, match="HTTP 401") as raised:
                await connect(auth_uri(server, username, password))
            assert raised.value.status_code == 401


async def test_basic_auth_list_of_pairs() -> None:
    factory = basic_auth_protocol_factory(
        REALM, credentials=[("alice", "secret1"), ("bob", "secret2")]
    )
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        for username, password in [("alice", "secret1"), ("bob", "secret2")]:
            async with connect(auth_uri(server, username, password)) as ws:
                assert await ws.recv() == username
        # Each username goes with its own password only.
        for username, password in [("alice", "secret2"), ("bob", "secret1")]:
            with pytest.raises(InvalidStatusCode, match="HTTP 401"):
                await connect(auth_uri(server, username, password))


async def test_basic_auth_iterable_of_pairs() -> None:
    pairs = iter([("alice", "secret1"), ("bob", "secret2")])
    factory = basic_auth_protocol_factory(REALM, credentials=pairs)
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        # The iterator was read once, at creation.
        for username, password in [("alice", "secret1"), ("bob", "secret2")] * 2:
            async with connect(auth_uri(server, username, password)) as ws:
                assert await ws.recv() == username


async def test_basic_auth_check_credentials() -> None:
    calls: List[Tuple[str, str]] = []

    async def check_credentials(username: str, password: str) -> bool:
        calls.append((username, password))
        return password == username[::-1]

    factory = basic_auth_protocol_factory(REALM, check_credentials=check_credentials)
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        async with connect(auth_uri(server, "hello", "olleh")) as ws:
            assert await ws.recv() == "hello"
        with pytest.raises(InvalidStatusCode, match="HTTP 401"):
            await connect(auth_uri(server, "hello", "hello"))
    assert calls == [("hello", "olleh"), ("hello", "hello")]


async def test_basic_auth_check_credentials_raises(
    caplog: pytest.LogCaptureFixture,
) -> None:
    async def check_credentials(username: str, password: str) -> bool:
        raise RuntimeError("database is down")

    factory = basic_auth_protocol_factory(REALM, check_credentials=check_credentials)
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        with pytest.raises(InvalidStatusCode, match="HTTP 500"):
            await connect(auth_uri(server, "hello", "iloveyou"))
    errors = [r for r in caplog.records if r.levelno == logging.ERROR]
    assert [r.getMessage() for r in errors] == ["opening handshake failed"]


async def test_basic_auth_non_ascii_credentials() -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("héllo", "ïlövé☃ü"))
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        # In the URI, percent-encoded UTF-8.
        async with connect(auth_uri(server, "héllo", "ïlövé☃ü")) as ws:
            assert await ws.recv() == "héllo"
        # In the header, base64-encoded UTF-8 (RFC 7617 2.1).
        async with connect(
            get_uri(server),
            extra_headers={"Authorization": authorization("héllo", "ïlövé☃ü")},
        ) as ws:
            assert await ws.recv() == "héllo"
        with pytest.raises(InvalidStatusCode, match="HTTP 401"):
            await connect(auth_uri(server, "hello", "ïlövé☃ü"))


async def test_basic_auth_username_attribute() -> None:
    usernames = []

    class RecordingProtocol(BasicAuthWebSocketServerProtocol):
        async def process_request(self, path: str, request_headers: Headers) -> Any:
            usernames.append(self.username)
            response = await super().process_request(path, request_headers)
            usernames.append(self.username)
            return response

    factory = basic_auth_protocol_factory(
        REALM, credentials=("hello", "iloveyou"), create_protocol=RecordingProtocol
    )
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        async with connect(auth_uri(server, "hello", "iloveyou")) as ws:
            assert await ws.recv() == "hello"
        with pytest.raises(InvalidStatusCode, match="HTTP 401"):
            await connect(auth_uri(server, "hello", "ihateyou"))
    # Set on success only.
    assert usernames == [None, "hello", None, None]


async def test_basic_auth_create_protocol() -> None:
    class CustomProtocol(BasicAuthWebSocketServerProtocol):
        pass

    protocols = []

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        protocols.append(type(ws))

    factory = basic_auth_protocol_factory(
        REALM, credentials=("hello", "iloveyou"), create_protocol=CustomProtocol
    )
    async with serve(handler, "127.0.0.1", 0, create_protocol=factory) as server:
        async with connect(auth_uri(server, "hello", "iloveyou")) as ws:
            await ws.wait_closed()
    assert protocols == [CustomProtocol]


async def test_basic_auth_then_process_request() -> None:
    paths = []

    async def process_request(path: str, request_headers: Headers) -> Any:
        paths.append(path)
        return None

    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serve(
        username_handler,
        "127.0.0.1",
        0,
        create_protocol=factory,
        process_request=process_request,
    ) as server:
        with pytest.raises(InvalidStatusCode, match="HTTP 401"):
            await connect(get_uri(server, "/unauthenticated"))
        async with connect(
            get_uri(server, "/authenticated"),
            extra_headers={"Authorization": authorization("hello", "iloveyou")},
        ) as ws:
            assert await ws.recv() == "hello"
    # process_request runs only once authentication succeeds.
    assert paths == ["/authenticated"]


# HTTP responses.


async def test_basic_auth_missing_credentials() -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        status, headers, body = await exchange_with_authorization(server)
        check_challenge(status, headers, body, b"Missing credentials\n")

        with pytest.raises(InvalidStatusCode, match="HTTP 401") as raised:
            await connect(get_uri(server))
        assert raised.value.status_code == 401


async def test_basic_auth_invalid_credentials() -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        status, headers, body = await exchange_with_authorization(
            server, authorization("hello", "ihateyou")
        )
        check_challenge(status, headers, body, b"Invalid credentials\n")


@pytest.mark.parametrize(
    "value",
    [
        "Bearer c2VjcmV0",
        # base64 of "hello", without a colon.
        "Basic aGVsbG8=",
        # Not base64: the padding is wrong.
        "Basic aGVsbG8",
        # base64 of b"\xff:\xff", not UTF-8.
        "Basic /zr/",
    ],
    ids=["other scheme", "no colon", "not base64", "not UTF-8"],
)
async def test_basic_auth_unsupported_credentials(value: str) -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        status, headers, body = await exchange_with_authorization(server, value)
        check_challenge(status, headers, body, b"Unsupported credentials\n")


@pytest.mark.parametrize(
    "value",
    ["Basic", "Basic aGVsbG8=, foo", "Basic !!!", "Basic aGVs bG8="],
    ids=["no credentials", "trailing data", "not token68", "space inside"],
)
async def test_basic_auth_malformed_authorization(value: str) -> None:
    # Like 8.x: a malformed header gets the challenge, so that the client
    # can retry with valid credentials.
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        status, headers, body = await exchange_with_authorization(server, value)
        check_challenge(status, headers, body, b"Unsupported credentials\n")


async def test_basic_auth_several_authorization_headers() -> None:
    factory = basic_auth_protocol_factory(REALM, credentials=("hello", "iloveyou"))
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        value = authorization("hello", "iloveyou")
        status, headers, body = await exchange_with_authorization(server, value, value)
    assert status == 400
    assert body == b"More than one Authorization header\n"
    check_error_response(headers, body)


async def test_basic_auth_realm_is_quoted() -> None:
    factory = basic_auth_protocol_factory(
        'the "dev" server\\', credentials=("hello", "iloveyou")
    )
    async with serve(
        username_handler, "127.0.0.1", 0, create_protocol=factory
    ) as server:
        status, headers, _ = await exchange_with_authorization(server)
    assert status == 401
    assert headers["WWW-Authenticate"] == (
        'Basic realm="the \\"dev\\" server\\\\", charset="UTF-8"'
    )
