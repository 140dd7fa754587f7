"""
Exceptions raised by websockets.

Every exception derives from one root::

    WebSocketException
    ├── ConnectionClosed
    │   ├── ConnectionClosedError
    │   └── ConnectionClosedOK
    ├── InvalidHandshake
    │   ├── SecurityError
    │   ├── InvalidMessage
    │   ├── InvalidHeader
    │   │   ├── InvalidHeaderFormat
    │   │   ├── InvalidHeaderValue
    │   │   ├── InvalidOrigin
    │   │   └── InvalidUpgrade
    │   ├── InvalidStatusCode
    │   ├── NegotiationError
    │   │   ├── DuplicateParameter
    │   │   ├── InvalidParameterName
    │   │   └── InvalidParameterValue
    │   ├── AbortHandshake
    │   └── RedirectHandshake
    ├── InvalidState
    ├── InvalidURI
    ├── PayloadTooBig
    └── ProtocolError (alias: WebSocketProtocolError)

"""

import http
from typing import TYPE_CHECKING, Optional, Sized

from .typing import Origin


if TYPE_CHECKING:
    from .http import HeadersLike


__all__ = [
    "AbortHandshake",
    "ConnectionClosed",
    "ConnectionClosedError",
    "ConnectionClosedOK",
    "DuplicateParameter",
    "InvalidHandshake",
    "InvalidHeader",
    "InvalidHeaderFormat",
    "InvalidHeaderValue",
    "InvalidMessage",
    "InvalidOrigin",
    "InvalidParameterName",
    "InvalidParameterValue",
    "InvalidState",
    "InvalidStatusCode",
    "InvalidURI",
    "InvalidUpgrade",
    "NegotiationError",
    "PayloadTooBig",
    "ProtocolError",
    "RedirectHandshake",
    "SecurityError",
    "WebSocketException",
    "WebSocketProtocolError",
]


class WebSocketException(Exception):
    """Base class for all exceptions defined by websockets."""


# RFC 6455 7.4.1 and the IANA registry of close codes.
CLOSE_CODES = {
    1000: "OK",
    1001: "going away",
    1002: "protocol error",
    1003: "unsupported type",
    # 1004 is reserved
    1005: "no status code [internal]",
    1006: "connection closed abnormally [internal]",
    1007: "invalid data",
    1008: "policy violation",
    1009: "message too big",
    1010: "extension required",
    1011: "unexpected error",
    1012: "service restart",
    1013: "try again later",
    1014: "bad gateway",
    1015: "TLS failure [internal]",
}


def close_meaning(code: int) -> str:
    """Describe a close code for a person, e.g. ``going away`` for 1001."""
    if 3000 <= code < 4000:
        return "registered"
    if 4000 <= code < 5000:
        return "private use"
    return CLOSE_CODES.get(code, "unknown")


def format_close(code: int, reason: str) -> str:
    """Describe a close code and reason for a person, e.g. ``1001 (going away)``."""
    result = f"{code} ({close_meaning(code)})"
    if reason:
        result += f", reason: {reason!r}"
    else:
        result += ", no reason"
    return result


class ConnectionClosed(WebSocketException):
    """
    Raised when trying to interact with a closed connection.

    The close code and reason are in the :attr:`code` and :attr:`reason`
    attributes. When the connection was lost without a closing handshake,
    :attr:`code` is 1006.

    """

    def __init__(self, code: int, reason: str) -> None:
        self.code = code
        self.reason = reason
        # The format of websockets 8.x, which applications match in logs.
        message = f"code = {code} ({close_meaning(code)}), "
        message += f"reason = {reason}" if reason else "no reason"
        super().__init__(message)


class ConnectionClosedError(ConnectionClosed):
    """
    Like :exc:`ConnectionClosed`, when the connection terminated with an error.

    The close code is other than 1000 (OK) and 1001 (going away).

    """


class ConnectionClosedOK(ConnectionClosed):
    """
    Like :exc:`ConnectionClosed`, when the connection terminated properly.

    The close code is 1000 (OK) or 1001 (going away).

    """


class InvalidHandshake(WebSocketException):
    """Raised during the handshake when the WebSocket connection fails."""


class SecurityError(InvalidHandshake):
    """
    Raised when a handshake request or response breaks a security rule.

    The limits are hard coded in :mod:`websockets.http`.

    """


class InvalidMessage(InvalidHandshake):
    """Raised when a handshake request or response is malformed."""


class InvalidHeader(InvalidHandshake):
    """Raised when an HTTP header doesn't have a valid format or value."""

    def __init__(self, name: str, value: Optional[str] = None) -> None:
        self.name = name
        self.value = value
        if value is None:
            message = f"missing {name} header"
        elif value == "":
            message = f"empty {name} header"
        else:
            message = f"invalid {name} header: {value}"
        super().__init__(message)


class InvalidHeaderFormat(InvalidHeader):
    """
    Raised when an HTTP header cannot be parsed.

    The format of the header doesn't match its grammar. :attr:`pos` is the
    position in :attr:`header` where parsing failed.

    """

    def __init__(self, name: str, error: str, header: str, pos: int) -> None:
        self.error = error
        self.header = header
        self.pos = pos
        super().__init__(name, f"{error} at {pos} in {header}")


class InvalidHeaderValue(InvalidHeader):
    """
    Raised when an HTTP header has a wrong value.

    The format of the header is correct but a value isn't acceptable.

    """


class InvalidOrigin(InvalidHeader):
    """Raised when the Origin header in a request isn't allowed."""

    def __init__(self, origin: Optional[Origin]) -> None:
        super().__init__("Origin", origin)


class InvalidUpgrade(InvalidHeader):
    """Raised when the Upgrade or Connection header isn't correct."""


class InvalidStatusCode(InvalidHandshake):
    """
    Raised when a handshake response status code is invalid.

    The integer status code is in the :attr:`status_code` attribute.

    """

    def __init__(self, status_code: int) -> None:
        self.status_code = status_code
        super().__init__(f"server rejected WebSocket connection: HTTP {status_code}")


class NegotiationError(InvalidHandshake):
    """Raised when negotiating an extension fails."""


class DuplicateParameter(NegotiationError):
    """Raised when a parameter name is repeated in an extension header."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"duplicate parameter: {name}")


class InvalidParameterName(NegotiationError):
    """Raised when a parameter name in an extension header is invalid."""

    def __init__(self, name: str) -> None:
        self.name = name
        super().__init__(f"invalid parameter name: {name}")


class InvalidParameterValue(NegotiationError):
    """Raised when a parameter value in an extension header is invalid."""

    def __init__(self, name: str, value: Optional[str]) -> None:
        self.name = name
        self.value = value
        if value is None:
            message = f"missing value for parameter {name}"
        elif value == "":
            message = f"empty value for parameter {name}"
        else:
            message = f"invalid value for parameter {name}: {value}"
        super().__init__(message)


class AbortHandshake(InvalidHandshake):
    """
    Raised to abort the handshake on purpose and return an HTTP response.

    This exception is an implementation detail. The public API is
    :meth:`~websockets.server.WebSocketServerProtocol.process_request`.

    """

    def __init__(
        self,
        status: http.HTTPStatus,
        headers: "HeadersLike",
        body: bytes = b"",
    ) -> None:
        if not isinstance(headers, Sized):
            # An iterator of pairs can't be counted, nor read twice.
            headers = list(headers)
        self.status = status
        self.headers = headers
        self.body = body
        message = f"HTTP {status:d}, {len(headers)} headers, {len(body)} bytes"
        super().__init__(message)


class RedirectHandshake(InvalidHandshake):
    """
    Raised when a handshake gets redirected.

    This exception is an implementation detail.

    """

    def __init__(self, uri: str) -> None:
        self.uri = uri

    def __str__(self) -> str:
        return f"redirect to {self.uri}"


class InvalidState(WebSocketException, AssertionError):
    """
    Raised when an operation is forbidden in the current state.

    This exception is an implementation detail. It should never be raised in
    normal circumstances.

    """


class InvalidURI(WebSocketException):
    """Raised when connecting to a URI that isn't a valid WebSocket URI."""

    def __init__(self, uri: str, msg: str = "") -> None:
        self.uri = uri
        self.msg = msg
        message = f"{uri} isn't a valid URI"
        if msg:
            message += f": {msg}"
        super().__init__(message)


class PayloadTooBig(WebSocketException):
    """Raised when receiving a frame with a payload exceeding the maximum size."""


class ProtocolError(WebSocketException):
    """Raised when the other side breaks the protocol."""


WebSocketProtocolError = ProtocolError
