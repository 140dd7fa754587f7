"""Tests for websockets.exceptions: the hierarchy, attributes and messages."""

import http
from typing import Dict, List, Tuple, Type

import pytest

from websockets import exceptions
from websockets.exceptions import (
    AbortHandshake,
    ConnectionClosed,
    ConnectionClosedError,
    ConnectionClosedOK,
    DuplicateParameter,
    InvalidHandshake,
    InvalidHeader,
    InvalidHeaderFormat,
    InvalidHeaderValue,
    InvalidMessage,
    InvalidOrigin,
    InvalidParameterName,
    InvalidParameterValue,
    InvalidState,
    InvalidStatusCode,
    InvalidUpgrade,
    InvalidURI,
    NegotiationError,
    PayloadTooBig,
    ProtocolError,
    RedirectHandshake,
    SecurityError,
    WebSocketException,
    WebSocketProtocolError,
)
from websockets.typing import Origin


# The spec's hierarchy: each class and its direct base class.
HIERARCHY: List[Tuple[Type[BaseException], Type[BaseException]]] = [
    (WebSocketException, Exception),
    (ConnectionClosed, WebSocketException),
    (ConnectionClosedError, ConnectionClosed),
    (ConnectionClosedOK, ConnectionClosed),
    (InvalidHandshake, WebSocketException),
    (SecurityError, InvalidHandshake),
    (InvalidMessage, InvalidHandshake),
    (InvalidHeader, InvalidHandshake),
    (InvalidHeaderFormat, InvalidHeader),
    (InvalidHeaderValue, InvalidHeader),
    (InvalidOrigin, InvalidHeader),
    (InvalidUpgrade, InvalidHeader),
    (InvalidStatusCode, InvalidHandshake),
    (NegotiationError, InvalidHandshake),
    (DuplicateParameter, NegotiationError),
    (InvalidParameterName, NegotiationError),
    (InvalidParameterValue, NegotiationError),
    (AbortHandshake, InvalidHandshake),
    (RedirectHandshake, InvalidHandshake),
    (InvalidState, WebSocketException),
    (InvalidURI, WebSocketException),
    (PayloadTooBig, WebSocketException),
    (ProtocolError, WebSocketException),
]


@pytest.mark.parametrize(
    ("cls", "base"), HIERARCHY, ids=[cls.__name__ for cls, _ in HIERARCHY]
)
def test_base_class(cls: Type[BaseException], base: Type[BaseException]) -> None:
    assert cls.__bases__[0] is base


def test_invalid_state_is_an_assertion_error() -> None:
    assert InvalidState.__bases__ == (WebSocketException, AssertionError)
    with pytest.raises(AssertionError, match="^forbidden$"):
        raise InvalidState("forbidden")


def test_websocket_protocol_error_is_protocol_error() -> None:
    assert WebSocketProtocolError is ProtocolError


def test_hierarchy_covers_all_exported_exceptions() -> None:
    exported = {getattr(exceptions, name) for name in exceptions.__all__}
    assert exported == {cls for cls, _ in HIERARCHY}


def drawn_hierarchy() -> Dict[str, str]:
    """Map each class in the tree drawn in the module docstring to its parent."""
    parents: Dict[str, str] = {}
    ancestors: List[str] = []
    for line in (exceptions.__doc__ or "").splitlines():
        if "── " in line:
            prefix, _, rest = line.partition("── ")
            depth = (len(prefix) + 1) // 4
        elif line.strip() == "WebSocketException":
            depth, rest = 0, line.strip()
        else:
            continue
        name = rest.split()[0]
        del ancestors[depth:]
        if ancestors:
            parents[name] = ancestors[-1]
        ancestors.append(name)
    return parents


def test_docstring_draws_the_hierarchy() -> None:
    drawn = drawn_hierarchy()
    actual = {
        cls.__name__: base.__name__ for cls, base in HIERARCHY if base is not Exception
    }
    assert drawn == actual


# ConnectionClosed.


@pytest.mark.parametrize("cls", [ConnectionClosed, ConnectionClosedOK])
def test_connection_closed_attributes(cls: Type[ConnectionClosed]) -> None:
    exc = cls(1000, "bye")
    assert exc.code == 1000
    assert exc.reason == "bye"


@pytest.mark.parametrize(
    ("code", "reason", "message"),
    [
        (1000, "", "1000 (OK), no reason"),
        (1001, "bye", "1001 (going away), reason: 'bye'"),
        (1002, "", "1002 (protocol error), no reason"),
        (1003, "", "1003 (unsupported type), no reason"),
        (1004, "", "1004 (unknown), no reason"),
        (1005, "", "1005 (no status code [internal]), no reason"),
        (1006, "", "1006 (connection closed abnormally [internal]), no reason"),
        (1007, "", "1007 (invalid data), no reason"),
        (1008, "", "1008 (policy violation), no reason"),
        (1009, "", "1009 (message too big), no reason"),
        (1010, "", "1010 (extension required), no reason"),
        (1011, "oops", "1011 (unexpected error), reason: 'oops'"),
        (1012, "", "1012 (service restart), no reason"),
        (1013, "", "1013 (try again later), no reason"),
        (1014, "", "1014 (bad gateway), no reason"),
        (1015, "", "1015 (TLS failure [internal]), no reason"),
        (1016, "", "1016 (unknown), no reason"),
        (2999, "", "2999 (unknown), no reason"),
        (3000, "", "3000 (registered), no reason"),
        (3999, "x", "3999 (registered), reason: 'x'"),
        (4000, "", "4000 (private use), no reason"),
        (4999, "", "4999 (private use), no reason"),
        (5000, "", "5000 (unknown), no reason"),
        (0, "", "0 (unknown), no reason"),
        (1000, "café 'quoted'", "1000 (OK), reason: \"café 'quoted'\""),
    ],
)
def test_format_close(code: int, reason: str, message: str) -> None:
    assert exceptions.format_close(code, reason) == message


@pytest.mark.parametrize(
    ("code", "reason", "message"),
    [
        (1000, "", "code = 1000 (OK), no reason"),
        (1001, "bye", "code = 1001 (going away), reason = bye"),
        (
            1006,
            None,
            "code = 1006 (connection closed abnormally [internal]), no reason",
        ),
        (3000, "", "code = 3000 (registered), no reason"),
        (4000, "x y", "code = 4000 (private use), reason = x y"),
        (1016, "", "code = 1016 (unknown), no reason"),
    ],
)
def test_connection_closed_message(code: int, reason: str, message: str) -> None:
    # The format of websockets 8.x, which applications match.
    assert str(ConnectionClosed(code, reason)) == message


def test_connection_closed_error_message() -> None:
    exc = ConnectionClosedError(1006, "")
    assert isinstance(exc, ConnectionClosed)
    assert str(exc) == (
        "code = 1006 (connection closed abnormally [internal]), no reason"
    )


# Handshake errors.


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "missing Upgrade header"),
        ("", "empty Upgrade header"),
        ("h2c", "invalid Upgrade header: h2c"),
    ],
)
@pytest.mark.parametrize("cls", [InvalidHeader, InvalidHeaderValue, InvalidUpgrade])
def test_invalid_header(cls: Type[InvalidHeader], value: str, message: str) -> None:
    exc = cls("Upgrade", value)
    assert exc.name == "Upgrade"
    assert exc.value == value
    assert str(exc) == message


def test_invalid_header_value_defaults_to_none() -> None:
    exc = InvalidHeader("Sec-WebSocket-Key")
    assert exc.value is None
    assert str(exc) == "missing Sec-WebSocket-Key header"


def test_invalid_header_format() -> None:
    exc = InvalidHeaderFormat("Sec-WebSocket-Protocol", "expected token", "a, ,b", 3)
    assert isinstance(exc, InvalidHeader)
    assert exc.name == "Sec-WebSocket-Protocol"
    assert exc.error == "expected token"
    assert exc.header == "a, ,b"
    assert exc.pos == 3
    assert exc.value == "expected token at 3 in a, ,b"
    assert (
        str(exc)
        == "invalid Sec-WebSocket-Protocol header: expected token at 3 in a, ,b"
    )


@pytest.mark.parametrize(
    ("origin", "message"),
    [
        (None, "missing Origin header"),
        (Origin("https://evil.example"), "invalid Origin header: https://evil.example"),
    ],
)
def test_invalid_origin(origin: Origin, message: str) -> None:
    exc = InvalidOrigin(origin)
    assert exc.name == "Origin"
    assert exc.value == origin
    assert str(exc) == message


def test_invalid_status_code() -> None:
    exc = InvalidStatusCode(403)
    assert exc.status_code == 403
    assert str(exc) == "server rejected WebSocket connection: HTTP 403"


@pytest.mark.parametrize(
    ("cls", "message"),
    [
        (WebSocketException, "anything"),
        (InvalidHandshake, "handshake failed"),
        (SecurityError, "too many headers"),
        (InvalidMessage, "did not receive a valid HTTP request"),
        (NegotiationError, "unsupported extension: x-foo"),
        (InvalidState, "cannot send a frame in state CLOSED"),
        (PayloadTooBig, "frame of 70000 bytes over max_size 65536"),
        (ProtocolError, "fragmented control frame"),
    ],
)
def test_message_is_the_argument(cls: Type[Exception], message: str) -> None:
    assert str(cls(message)) == message


def test_duplicate_parameter() -> None:
    exc = DuplicateParameter("server_max_window_bits")
    assert exc.name == "server_max_window_bits"
    assert str(exc) == "duplicate parameter: server_max_window_bits"


def test_invalid_parameter_name() -> None:
    exc = InvalidParameterName("foo")
    assert exc.name == "foo"
    assert str(exc) == "invalid parameter name: foo"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (None, "missing value for parameter client_max_window_bits"),
        ("", "empty value for parameter client_max_window_bits"),
        ("7", "invalid value for parameter client_max_window_bits: 7"),
    ],
)
def test_invalid_parameter_value(value: str, message: str) -> None:
    exc = InvalidParameterValue("client_max_window_bits", value)
    assert exc.name == "client_max_window_bits"
    assert exc.value == value
    assert str(exc) == message


def test_abort_handshake() -> None:
    headers = [("Content-Type", "text/plain")]
    exc = AbortHandshake(http.HTTPStatus.FORBIDDEN, headers, b"nope")
    assert exc.status is http.HTTPStatus.FORBIDDEN
    assert exc.headers is headers
    assert exc.body == b"nope"
    assert str(exc) == "HTTP 403, 1 headers, 4 bytes"


def test_abort_handshake_body_defaults_to_empty() -> None:
    exc = AbortHandshake(http.HTTPStatus.SERVICE_UNAVAILABLE, {})
    assert exc.body == b""
    assert str(exc) == "HTTP 503, 0 headers, 0 bytes"


def test_redirect_handshake() -> None:
    exc = RedirectHandshake("wss://example.com/chat")
    assert exc.uri == "wss://example.com/chat"
    assert str(exc) == "redirect to wss://example.com/chat"


# Other errors.


def test_invalid_uri() -> None:
    exc = InvalidURI("http://example.com/")
    assert exc.uri == "http://example.com/"
    assert str(exc) == "http://example.com/ isn't a valid URI"


def test_invalid_uri_with_explanation() -> None:
    exc = InvalidURI("ws://user@host/", "missing password")
    assert exc.msg == "missing password"
    assert str(exc) == "ws://user@host/ isn't a valid URI: missing password"


@pytest.mark.parametrize("cls", [cls for cls, _ in HIERARCHY])
def test_every_exception_is_a_websocket_exception(cls: Type[Exception]) -> None:
    assert issubclass(cls, WebSocketException)
