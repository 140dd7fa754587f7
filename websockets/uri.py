"""
Parse WebSocket URIs (RFC 6455 3).

``ws-URI = "ws:" "//" host [ ":" port ] path [ "?" query ]``, and the same
with ``wss:`` for TLS.

"""

import functools
import re
import urllib.parse
from typing import NamedTuple, Optional, Tuple

from .exceptions import InvalidURI


__all__ = ["WebSocketURI", "parse_uri"]


class WebSocketURI(NamedTuple):
    """
    WebSocket URI.

    Attributes:
        secure: whether the scheme is ``wss``, i.e. TLS.
        host: lower-case host; an IPv6 address has no brackets; a non-ASCII
            name is IDNA-encoded.
        port: port, always set even if it's the default (80 or 443).
        resource_name: path and optional query, percent-encoded ASCII.
        user_info: ``(username, password)``, percent-decoded, when the URI
            contains user information, else :obj:`None`.

    """

    secure: bool
    host: str
    port: int
    resource_name: str
    user_info: Optional[Tuple[str, str]]


# RFC 3986 3.2.2: reg-name = *( unreserved / pct-encoded / sub-delims ), plus
# ":" for IPv6 addresses, whose brackets urllib removes.
_host_re = re.compile(r"[A-Za-z0-9\-._~%!$&'()*+,;=:]+")

# RFC 3986 3.3 and 3.4: characters left as they are in the path and in the
# query, besides letters, digits and "_.-~". "%" is kept so that an already
# percent-encoded URI doesn't change.
_PATH_SAFE = "!$&'()*+,;=:@/%"
_QUERY_SAFE = _PATH_SAFE + "?"


# Cached: a client that reconnects parses the same URI each time, and the
# result is immutable.
@functools.lru_cache(maxsize=64)
def parse_uri(uri: str) -> WebSocketURI:
    """
    Parse and validate a WebSocket URI (RFC 6455 3).

    Characters that may not appear in a URI, such as non-ASCII characters or
    spaces in the path and the query, are percent-encoded (in UTF-8) so that
    the request line stays ASCII, as when converting an IRI to a URI (RFC
    3987 3.1).

    Args:
        uri: WebSocket URI.

    Raises:
        InvalidURI: if ``uri`` isn't a valid WebSocket URI.

    """
    # RFC 6455 3: "#" must be escaped; a fragment identifier is meaningless.
    if "#" in uri:
        raise InvalidURI(uri, "fragment identifiers aren't allowed")
    try:
        parsed = urllib.parse.urlsplit(uri)
        port = parsed.port
    except ValueError as exc:
        # For example: "Invalid IPv6 URL", "Port out of range 0-65535".
        message = str(exc)
        raise InvalidURI(uri, message[:1].lower() + message[1:]) from None
    if parsed.scheme not in ("ws", "wss"):
        raise InvalidURI(uri, "scheme isn't ws or wss")
    host = parsed.hostname
    if host is None:
        raise InvalidURI(uri, "hostname isn't provided")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise InvalidURI(uri, "hostname isn't valid IDNA") from None
    if not _host_re.fullmatch(host):
        raise InvalidURI(uri, "hostname contains invalid characters")
    secure = parsed.scheme == "wss"
    if port is None:
        port = 443 if secure else 80
    # Surrogate escapes stand for bytes outside ASCII, e.g. from a Location
    # header: percent-encode those bytes.
    resource_name = (
        urllib.parse.quote(parsed.path, safe=_PATH_SAFE, errors="surrogateescape")
        or "/"
    )
    if parsed.query:
        resource_name += "?" + urllib.parse.quote(
            parsed.query, safe=_QUERY_SAFE, errors="surrogateescape"
        )
    user_info = None
    if parsed.username is not None:
        # urllib accepts a username without a password, which doesn't make
        # sense for HTTP Basic Auth credentials.
        if parsed.password is None:
            raise InvalidURI(uri, "username without password")
        user_info = (
            urllib.parse.unquote(parsed.username),
            urllib.parse.unquote(parsed.password),
        )
        try:
            user_info[0].encode("utf-8")
            user_info[1].encode("utf-8")
        except UnicodeEncodeError:
            raise InvalidURI(uri, "user info isn't valid UTF-8") from None
    return WebSocketURI(secure, host, port, resource_name, user_info)
