"""
Build and check the headers of the opening handshake (RFC 6455 4).

Some checks depend too much on the context to happen here; they're the
caller's responsibility.

To accept a connection, a server must:

* read the request, check that it's an HTTP/1.1 GET, perform Host and
  Origin checks, and check the headers with :func:`check_request`;
* send a 101 response with the headers set by :func:`build_response` if
  the request is valid, or else an error: 426 Upgrade Required with a
  ``Sec-WebSocket-Version: 13`` header when :func:`check_request` raises
  :exc:`InvalidHeaderValue` for ``Sec-WebSocket-Version`` (RFC 6455
  4.2.2), 400 Bad Request otherwise.

To open a connection, a client must:

* send a GET request with the headers set by :func:`build_request`;
* read the response, check that the status code is 101, and check the
  headers with :func:`check_response`.

"""

import base64
import hashlib
import os
from typing import List

from .exceptions import InvalidHeader, InvalidHeaderValue, InvalidUpgrade
from .headers import parse_connection, parse_upgrade
from .http import Headers, MultipleValuesError
from .typing import ConnectionOption, UpgradeProtocol


__all__ = [
    "accept_key",
    "build_request",
    "build_response",
    "check_request",
    "check_response",
]

# RFC 6455 1.3: the GUID that the server appends to the key.
GUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"


def build_request(headers: Headers) -> str:
    """
    Build a handshake request to send to the server (RFC 6455 4.1).

    Add Upgrade, Connection, Sec-WebSocket-Key and Sec-WebSocket-Version
    to ``headers``.

    Args:
        headers: request headers, updated in place.

    Returns:
        The key, which must be passed to :func:`check_response`.

    """
    # RFC 6455 4.1: a nonce of 16 random bytes, base64-encoded.
    key = base64.b64encode(os.urandom(16)).decode()
    headers["Upgrade"] = "websocket"
    headers["Connection"] = "Upgrade"
    headers["Sec-WebSocket-Key"] = key
    headers["Sec-WebSocket-Version"] = "13"
    return key


def check_request(headers: Headers) -> str:
    """
    Check a handshake request received from the client (RFC 6455 4.2.1).

    This function doesn't verify that the request is an HTTP/1.1 or higher
    GET request and doesn't perform Host and Origin checks: they're the
    responsibility of the caller.

    Args:
        headers: request headers.

    Returns:
        The key, which must be passed to :func:`build_response`.

    Raises:
        InvalidUpgrade: if the Connection or Upgrade header is wrong.
        InvalidHeader: if a header is missing or repeated.
        InvalidHeaderFormat: if a header can't be parsed.
        InvalidHeaderValue: if Sec-WebSocket-Key isn't 16 bytes in base64,
            or if Sec-WebSocket-Version isn't 13; then the exception's
            :attr:`~websockets.exceptions.InvalidHeader.name` is
            ``"Sec-WebSocket-Version"`` and the server should answer 426
            Upgrade Required.

    """
    check_upgrade(headers)

    key = get_single(headers, "Sec-WebSocket-Key")
    try:
        raw_key = base64.b64decode(key, validate=True)
    except ValueError:  # binascii.Error, or non-ASCII characters
        raise InvalidHeaderValue("Sec-WebSocket-Key", key) from None
    if len(raw_key) != 16:
        raise InvalidHeaderValue("Sec-WebSocket-Key", key)

    version = get_single(headers, "Sec-WebSocket-Version")
    if version != "13":
        raise InvalidHeaderValue("Sec-WebSocket-Version", version)

    return key


def build_response(headers: Headers, key: str) -> None:
    """
    Build a handshake response to send to the client (RFC 6455 4.2.2).

    Add Upgrade, Connection and Sec-WebSocket-Accept to ``headers``.

    Args:
        headers: response headers, updated in place.
        key: key returned by :func:`check_request`.

    """
    headers["Upgrade"] = "websocket"
    headers["Connection"] = "Upgrade"
    headers["Sec-WebSocket-Accept"] = accept_key(key)


def check_response(headers: Headers, key: str) -> None:
    """
    Check a handshake response received from the server (RFC 6455 4.1).

    This function doesn't verify that the response is an HTTP/1.1 or higher
    response with a 101 status code: that's the responsibility of the caller.

    Args:
        headers: response headers.
        key: key returned by :func:`build_request`.

    Raises:
        InvalidUpgrade: if the Connection or Upgrade header is wrong.
        InvalidHeader: if a header is missing or repeated.
        InvalidHeaderFormat: if a header can't be parsed.
        InvalidHeaderValue: if Sec-WebSocket-Accept doesn't match the key.

    """
    check_upgrade(headers)

    accept = get_single(headers, "Sec-WebSocket-Accept")
    if accept != accept_key(key):
        raise InvalidHeaderValue("Sec-WebSocket-Accept", accept)


def accept_key(key: str) -> str:
    """
    Compute the value of Sec-WebSocket-Accept for a key (RFC 6455 1.3).

    That's the base64-encoded SHA-1 of the key followed by :data:`GUID`.

    Args:
        key: value of Sec-WebSocket-Key.

    """
    sha1 = hashlib.sha1((key + GUID).encode())
    return base64.b64encode(sha1.digest()).decode()


# The name of accept_key() in websockets 8.x.
accept = accept_key


def check_upgrade(headers: Headers) -> None:
    """
    Check the Connection and Upgrade headers (RFC 6455 4.1 and 4.2.1).

    Connection must contain the "Upgrade" option and Upgrade must be
    "websocket", both case-insensitive.

    Raises:
        InvalidUpgrade: if a header is missing or wrong.
        InvalidHeaderFormat: if a header can't be parsed.

    """
    if headers.get_all("Connection") == ["Upgrade"] and headers.get_all("Upgrade") == [
        "websocket"
    ]:
        # Fast path: what nearly every client and server sends.
        return
    connection: List[ConnectionOption] = []
    for value in headers.get_all("Connection"):
        connection.extend(parse_connection(value))
    if not any(option.lower() == "upgrade" for option in connection):
        raise InvalidUpgrade("Connection", ", ".join(connection) or None)

    upgrade: List[UpgradeProtocol] = []
    for value in headers.get_all("Upgrade"):
        upgrade.extend(parse_upgrade(value))
    # RFC 6455 4.2.1 and 4.1: "websocket", an ASCII case-insensitive value.
    # Requiring a single protocol is stricter than RFC 7230 6.7.
    if not (len(upgrade) == 1 and upgrade[0].lower() == "websocket"):
        raise InvalidUpgrade("Upgrade", ", ".join(upgrade) or None)


def get_single(headers: Headers, name: str) -> str:
    """
    Return the value of a header that must occur exactly once.

    Raises:
        InvalidHeader: if the header is missing or occurs several times.

    """
    try:
        return headers[name]
    except KeyError:
        raise InvalidHeader(name) from None
    except MultipleValuesError:
        raise InvalidHeader(name, f"more than one {name} header found") from None
