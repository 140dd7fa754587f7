import base64
import re
from typing import List, Type

import pytest

from websockets.exceptions import (
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidUpgrade,
)
from websockets.handshake import (
    accept_key,
    build_request,
    build_response,
    check_request,
    check_response,
)
from websockets.http import Headers


# RFC 6455 1.3 and 4.2.2 example.
KEY = "dGhlIHNhbXBsZSBub25jZQ=="
ACCEPT = "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="


def request_headers() -> Headers:
    return Headers(
        [
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", KEY),
            ("Sec-WebSocket-Version", "13"),
        ]
    )


def response_headers() -> Headers:
    return Headers(
        [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", ACCEPT),
        ]
    )


def test_accept_key() -> None:
    assert accept_key(KEY) == ACCEPT


def test_build_request() -> None:
    headers = Headers(Host="server.example.com")
    key = build_request(headers)
    assert len(base64.b64decode(key, validate=True)) == 16
    assert list(headers.raw_items()) == [
        ("Host", "server.example.com"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Key", key),
        ("Sec-WebSocket-Version", "13"),
    ]


def test_build_request_uses_a_fresh_key() -> None:
    assert build_request(Headers()) != build_request(Headers())


def test_build_response() -> None:
    headers = Headers(Server="websockets")
    build_response(headers, KEY)
    assert list(headers.raw_items()) == [
        ("Server", "websockets"),
        ("Upgrade", "websocket"),
        ("Connection", "Upgrade"),
        ("Sec-WebSocket-Accept", ACCEPT),
    ]


def test_round_trip() -> None:
    request = Headers()
    key = build_request(request)
    assert check_request(request) == key
    response = Headers()
    build_response(response, check_request(request))
    check_response(response, key)


def test_check_request() -> None:
    assert check_request(request_headers()) == KEY


@pytest.mark.parametrize(
    "name, values",
    [
        ("Connection", ["upgrade"]),
        ("Connection", ["keep-alive, Upgrade"]),
        ("Connection", ["keep-alive", "UPGRADE"]),
        ("Upgrade", ["WebSocket"]),
        ("Upgrade", ["websocket,"]),
    ],
)
def test_check_request_accepts_variants(name: str, values: List[str]) -> None:
    headers = request_headers()
    del headers[name]
    for value in values:
        headers[name] = value
    assert check_request(headers) == KEY


def make_request(name: str, values: List[str]) -> Headers:
    headers = request_headers()
    del headers[name]
    for value in values:
        headers[name] = value
    return headers


@pytest.mark.parametrize(
    "name, values, exc_type, message",
    [
        ("Connection", [], InvalidUpgrade, "missing Connection header"),
        (
            "Connection",
            ["keep-alive"],
            InvalidUpgrade,
            "invalid Connection header: keep-alive",
        ),
        (
            "Connection",
            ["keep-alive", "close"],
            InvalidUpgrade,
            "invalid Connection header: keep-alive, close",
        ),
        (
            "Connection",
            ["Upgrade;"],
            InvalidHeaderFormat,
            "invalid Connection header: expected comma",
        ),
        ("Upgrade", [], InvalidUpgrade, "missing Upgrade header"),
        ("Upgrade", ["h2c"], InvalidUpgrade, "invalid Upgrade header: h2c"),
        (
            "Upgrade",
            ["websocket/13"],
            InvalidUpgrade,
            "invalid Upgrade header: websocket/13",
        ),
        (
            "Upgrade",
            ["websocket, h2c"],
            InvalidUpgrade,
            "invalid Upgrade header: websocket, h2c",
        ),
        (
            "Upgrade",
            ["websocket", "websocket"],
            InvalidUpgrade,
            "invalid Upgrade header: websocket, websocket",
        ),
        (
            "Upgrade",
            [""],
            InvalidHeaderFormat,
            "invalid Upgrade header: expected protocol",
        ),
        ("Sec-WebSocket-Key", [], InvalidHeader, "missing Sec-WebSocket-Key header"),
        (
            "Sec-WebSocket-Key",
            [KEY, KEY],
            InvalidHeader,
            "invalid Sec-WebSocket-Key header: "
            "more than one Sec-WebSocket-Key header found",
        ),
        (
            "Sec-WebSocket-Key",
            [""],
            InvalidHeaderValue,
            "empty Sec-WebSocket-Key header",
        ),
        (
            "Sec-WebSocket-Key",
            ["not base64!"],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Key header: not base64!",
        ),
        (
            "Sec-WebSocket-Key",
            ["dGhlIHNhbXBsZSBub25jZQ"],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Key header",
        ),
        (
            "Sec-WebSocket-Key",
            ["Y2FmXHVkY2U5"],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Key header",
        ),
        (
            "Sec-WebSocket-Key",
            ["caf\udce9"],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Key header",
        ),
        (
            "Sec-WebSocket-Key",
            [base64.b64encode(b"x" * 17).decode()],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Key header: eHh4",
        ),
        (
            "Sec-WebSocket-Version",
            [],
            InvalidHeader,
            "missing Sec-WebSocket-Version header",
        ),
        (
            "Sec-WebSocket-Version",
            ["13", "13"],
            InvalidHeader,
            "invalid Sec-WebSocket-Version header: "
            "more than one Sec-WebSocket-Version header found",
        ),
        (
            "Sec-WebSocket-Version",
            ["8"],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Version header: 8",
        ),
        (
            "Sec-WebSocket-Version",
            ["13, 8"],
            InvalidHeaderValue,
            "invalid Sec-WebSocket-Version header: 13, 8",
        ),
    ],
)
def test_check_request_rejects_invalid_request(
    name: str, values: List[str], exc_type: Type[InvalidHeader], message: str
) -> None:
    with pytest.raises(exc_type, match=f"^{message}") as raised:
        check_request(make_request(name, values))
    assert raised.value.name == name


def test_check_request_wrong_version_is_distinguishable() -> None:
    with pytest.raises(InvalidHeaderValue) as raised:
        check_request(make_request("Sec-WebSocket-Version", ["8"]))
    assert raised.value.name == "Sec-WebSocket-Version"
    assert raised.value.value == "8"


def test_check_response() -> None:
    check_response(response_headers(), KEY)


def make_response(name: str, values: List[str]) -> Headers:
    headers = response_headers()
    del headers[name]
    for value in values:
        headers[name] = value
    return headers


@pytest.mark.parametrize(
    "name, values, exc_type, message",
    [
        ("Connection", [], InvalidUpgrade, "missing Connection header"),
        ("Connection", ["close"], InvalidUpgrade, "invalid Connection header: close"),
        ("Upgrade", [], InvalidUpgrade, "missing Upgrade header"),
        ("Upgrade", ["h2c"], InvalidUpgrade, "invalid Upgrade header: h2c"),
        (
            "Upgrade",
            ["/"],
            InvalidHeaderFormat,
            "invalid Upgrade header: expected protocol at 0",
        ),
        (
            "Sec-WebSocket-Accept",
            [],
            InvalidHeader,
            "missing Sec-WebSocket-Accept header",
        ),
        (
            "Sec-WebSocket-Accept",
            [ACCEPT, ACCEPT],
            InvalidHeader,
            "invalid Sec-WebSocket-Accept header: "
            "more than one Sec-WebSocket-Accept header found",
        ),
        (
            "Sec-WebSocket-Accept",
            [""],
            InvalidHeaderValue,
            "empty Sec-WebSocket-Accept header",
        ),
        (
            "Sec-WebSocket-Accept",
            [KEY],
            InvalidHeaderValue,
            f"invalid Sec-WebSocket-Accept header: {re.escape(KEY)}",
        ),
    ],
)
def test_check_response_rejects_invalid_response(
    name: str, values: List[str], exc_type: Type[InvalidHeader], message: str
) -> None:
    with pytest.raises(exc_type, match=f"^{message}") as raised:
        check_response(make_response(name, values), KEY)
    assert raised.value.name == name


def test_check_response_rejects_wrong_key() -> None:
    message = f"^invalid Sec-WebSocket-Accept header: {re.escape(ACCEPT)}$"
    with pytest.raises(InvalidHeaderValue, match=message):
        check_response(response_headers(), base64.b64encode(b"x" * 16).decode())
