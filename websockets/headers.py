"""
Parse and build the HTTP headers of the WebSocket opening handshake.

Each small parser has the signature ``parse_x(header, pos, header_name)``:
it parses an ``x`` at position ``pos`` of ``header`` and returns its value
and the position right after it, or raises :exc:`InvalidHeaderFormat` with
``header_name`` and the position where parsing failed. Only the functions
in ``__all__`` parse a whole header.

The grammars come from RFC 7230 (token, quoted-string, OWS, lists), RFC 6455
9.1 and 11.3 (WebSocket headers), RFC 7235 and RFC 7617 (Basic Auth).

These APIs must be imported from :mod:`websockets.headers`.

"""

import base64
import binascii
import re
from typing import Callable, Dict, List, Optional, Sequence, Tuple, TypeVar

from .exceptions import InvalidHeaderFormat, InvalidHeaderValue
from .typing import (
    ConnectionOption,
    ExtensionHeader,
    ExtensionName,
    ExtensionParameter,
    Subprotocol,
    UpgradeProtocol,
)


__all__ = [
    "build_authorization_basic",
    "build_extension",
    "build_extension_list",
    "build_subprotocol",
    "build_subprotocol_list",
    "build_www_authenticate_basic",
    "parse_authorization_basic",
    "parse_connection",
    "parse_extension",
    "parse_extension_list",
    "parse_subprotocol",
    "parse_subprotocol_list",
    "parse_upgrade",
]

T = TypeVar("T")


def peek_ahead(header: str, pos: int) -> Optional[str]:
    """Return the character at ``pos`` in ``header``, or None at the end."""
    return None if pos == len(header) else header[pos]


# RFC 7230 3.2.3: OWS = *( SP / HTAB )
_OWS_re = re.compile(r"[\t ]*")


def parse_OWS(header: str, pos: int) -> int:
    """
    Parse optional whitespace at ``pos`` and return the position after it.

    This never fails.

    """
    match = _OWS_re.match(header, pos)
    assert match is not None  # the pattern matches an empty string
    return match.end()


# RFC 7230 3.2.6: token = 1*tchar
_token_re = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")


def parse_token(header: str, pos: int, header_name: str) -> Tuple[str, int]:
    """
    Parse a token at ``pos`` (RFC 7230 3.2.6).

    Raises:
        InvalidHeaderFormat: if there's no token at ``pos``.

    """
    match = _token_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(header_name, "expected token", header, pos)
    return match.group(), match.end()


# RFC 7230 3.2.6: quoted-string = DQUOTE *( qdtext / quoted-pair ) DQUOTE, with
# qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text and
# quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text ). In a str, obs-text is
# any character above ASCII.
_quoted_string_re = re.compile(
    r'"(?:[\t \x21\x23-\x5b\x5d-\x7e\x80-\U0010ffff]'
    r"|\\[\t\x20-\x7e\x80-\U0010ffff])*"
    r'"'
)
_unquote_re = re.compile(r"\\(.)", re.DOTALL)


def parse_quoted_string(header: str, pos: int, header_name: str) -> Tuple[str, int]:
    """
    Parse a quoted-string at ``pos`` and return its unescaped content.

    Raises:
        InvalidHeaderFormat: if there's no well-formed quoted-string at ``pos``.

    """
    match = _quoted_string_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(header_name, "expected quoted string", header, pos)
    return _unquote_re.sub(r"\1", match.group()[1:-1]), match.end()


# Characters a quoted-string can carry: qdtext and quoted-pair.
_quotable_re = re.compile(r"[\t\x20-\x7e\x80-\U0010ffff]*")
_quote_re = re.compile(r'([\\"])')


def build_quoted_string(value: str) -> str:
    """
    Quote ``value`` as a quoted-string, escaping ``"`` and ``\\``.

    This is the reverse of :func:`parse_quoted_string`.

    Raises:
        ValueError: if ``value`` contains a control character other than HTAB.

    """
    if not _quotable_re.fullmatch(value):
        raise ValueError(f"invalid characters for quoted-string: {value!r}")
    return '"' + _quote_re.sub(r"\\\1", value) + '"'


def check_token(value: str, what: str) -> None:
    """Raise :exc:`ValueError` if ``value``, a ``what``, isn't a token."""
    if not _token_re.fullmatch(value):
        raise ValueError(f"invalid {what}: {value!r}")


def parse_list(
    parse_item: Callable[[str, int, str], Tuple[T, int]],
    header: str,
    pos: int,
    header_name: str,
) -> List[T]:
    """
    Parse a comma-separated list of one or more items (RFC 7230 7).

    ``1#element`` is ``*( "," OWS ) element *( OWS "," [ OWS element ] )``:
    empty elements between commas are skipped. The list must run to the end
    of ``header``; whitespace around it is ignored.

    Args:
        parse_item: parser for an item, e.g. :func:`parse_token`.
        header: header value.
        pos: position where the list starts.
        header_name: header name, for errors.

    Raises:
        InvalidHeaderFormat: if the list is empty or malformed.

    """
    pos = parse_OWS(header, pos)
    # Skip empty elements before the first item.
    while peek_ahead(header, pos) == ",":
        pos = parse_OWS(header, pos + 1)
    items = []
    while True:
        item, pos = parse_item(header, pos, header_name)
        items.append(item)
        pos = parse_OWS(header, pos)
        if pos == len(header):
            return items
        if header[pos] != ",":
            raise InvalidHeaderFormat(header_name, "expected comma", header, pos)
        # Skip the comma and any empty elements after it.
        while peek_ahead(header, pos) == ",":
            pos = parse_OWS(header, pos + 1)
        if pos == len(header):
            return items


# Connection and Upgrade


def parse_connection_option(
    header: str, pos: int, header_name: str
) -> Tuple[ConnectionOption, int]:
    """Parse a connection-option, a token (RFC 7230 6.1)."""
    item, pos = parse_token(header, pos, header_name)
    return ConnectionOption(item), pos


def parse_connection(header: str) -> List[ConnectionOption]:
    """
    Parse a Connection header (RFC 7230 6.1).

    Args:
        header: value of the Connection header.

    Returns:
        The list of connection options.

    Raises:
        InvalidHeaderFormat: on invalid inputs.

    """
    return parse_list(parse_connection_option, header, 0, "Connection")


# RFC 7230 6.7: protocol = protocol-name ["/" protocol-version], two tokens.
_protocol_re = re.compile(
    r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+(?:/[-!#$%&'*+.^_`|~0-9a-zA-Z]+)?"
)


def parse_upgrade_protocol(
    header: str, pos: int, header_name: str
) -> Tuple[UpgradeProtocol, int]:
    """Parse a protocol in an Upgrade header: token ["/" token] (RFC 7230 6.7)."""
    match = _protocol_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(header_name, "expected protocol", header, pos)
    return UpgradeProtocol(match.group()), match.end()


def parse_upgrade(header: str) -> List[UpgradeProtocol]:
    """
    Parse an Upgrade header (RFC 7230 6.7).

    Args:
        header: value of the Upgrade header.

    Returns:
        The list of protocols.

    Raises:
        InvalidHeaderFormat: on invalid inputs.

    """
    return parse_list(parse_upgrade_protocol, header, 0, "Upgrade")


# Sec-WebSocket-Extensions


def parse_extension_item_param(
    header: str, pos: int, header_name: str
) -> Tuple[ExtensionParameter, int]:
    """
    Parse an extension-param: token [ "=" (token | quoted-string) ].

    RFC 6455 9.1: the content of a quoted-string must be a token.

    """
    name, pos = parse_token(header, pos, header_name)
    pos = parse_OWS(header, pos)
    value: Optional[str] = None
    if peek_ahead(header, pos) == "=":
        pos = parse_OWS(header, pos + 1)
        if peek_ahead(header, pos) == '"':
            start = pos
            value, pos = parse_quoted_string(header, pos, header_name)
            if not _token_re.fullmatch(value):
                raise InvalidHeaderFormat(
                    header_name, "invalid quoted header content", header, start
                )
        else:
            value, pos = parse_token(header, pos, header_name)
        pos = parse_OWS(header, pos)
    return (name, value), pos


def parse_extension_item(
    header: str, pos: int, header_name: str
) -> Tuple[ExtensionHeader, int]:
    """Parse an extension: extension-token *( ";" extension-param )."""
    name, pos = parse_token(header, pos, header_name)
    pos = parse_OWS(header, pos)
    parameters = []
    while peek_ahead(header, pos) == ";":
        pos = parse_OWS(header, pos + 1)
        parameter, pos = parse_extension_item_param(header, pos, header_name)
        parameters.append(parameter)
    return (ExtensionName(name), parameters), pos


def parse_extension(header: str) -> List[ExtensionHeader]:
    """
    Parse a Sec-WebSocket-Extensions header (RFC 6455 9.1).

    Return a list of WebSocket extensions and their parameters::

        [
            ("extension name", [("parameter name", "parameter value"), ...]),
            ...
        ]

    Parameter values are :obj:`None` when no value is provided.

    Args:
        header: value of the Sec-WebSocket-Extensions header.

    Raises:
        InvalidHeaderFormat: on invalid inputs.

    """
    parsed = _parsed_extensions.get(header)
    if parsed is None:
        parsed = parse_list(parse_extension_item, header, 0, "Sec-WebSocket-Extensions")
        if len(header) <= 256:
            # Clients send the same few offers; servers the same answers.
            if len(_parsed_extensions) >= 64:
                _parsed_extensions.clear()
            _parsed_extensions[header] = parsed
    # Copies: the caller may change what it gets.
    return [(name, list(parameters)) for name, parameters in parsed]


# Short headers already parsed, at most 64: a handshake with compression
# costs 4% fewer instructions.
_parsed_extensions: Dict[str, List[ExtensionHeader]] = {}


parse_extension_list = parse_extension  # name in websockets 7.0


def build_extension_item(
    name: ExtensionName, parameters: List[ExtensionParameter]
) -> str:
    """Build an extension: the reverse of :func:`parse_extension_item`."""
    check_token(name, "extension name")
    parts: List[str] = [name]
    for param_name, param_value in parameters:
        check_token(param_name, "extension parameter name")
        if param_value is None:
            parts.append(param_name)
        else:
            check_token(param_value, "extension parameter value")
            parts.append(f"{param_name}={param_value}")
    return "; ".join(parts)


def build_extension(extensions: Sequence[ExtensionHeader]) -> str:
    """
    Build a Sec-WebSocket-Extensions header.

    This is the reverse of :func:`parse_extension`. An empty list gives an
    empty string: don't send the header then.

    Raises:
        ValueError: if a name or a value isn't a token (RFC 6455 9.1).

    """
    return ", ".join(build_extension_item(name, params) for name, params in extensions)


build_extension_list = build_extension  # name in websockets 7.0


# Sec-WebSocket-Protocol


def parse_subprotocol_item(
    header: str, pos: int, header_name: str
) -> Tuple[Subprotocol, int]:
    """Parse a subprotocol, a token (RFC 6455 11.3.4)."""
    item, pos = parse_token(header, pos, header_name)
    return Subprotocol(item), pos


def parse_subprotocol(header: str) -> List[Subprotocol]:
    """
    Parse a Sec-WebSocket-Protocol header (RFC 6455 11.3.4).

    Args:
        header: value of the Sec-WebSocket-Protocol header.

    Returns:
        The list of subprotocols.

    Raises:
        InvalidHeaderFormat: on invalid inputs.

    """
    return parse_list(parse_subprotocol_item, header, 0, "Sec-WebSocket-Protocol")


parse_subprotocol_list = parse_subprotocol  # name in websockets 7.0


def build_subprotocol(protocols: Sequence[Subprotocol]) -> str:
    """
    Build a Sec-WebSocket-Protocol header.

    This is the reverse of :func:`parse_subprotocol`. An empty list gives an
    empty string: don't send the header then.

    Raises:
        ValueError: if a subprotocol isn't a token (RFC 6455 11.3.4).

    """
    for protocol in protocols:
        check_token(protocol, "subprotocol")
    return ", ".join(protocols)


build_subprotocol_list = build_subprotocol  # name in websockets 7.0


# HTTP Basic Auth


def build_www_authenticate_basic(realm: str) -> str:
    """
    Build a WWW-Authenticate header for HTTP Basic Auth (RFC 7617 2).

    The realm is quoted and the header asks for UTF-8 credentials (RFC 7617
    2.1).

    Args:
        realm: authentication realm.

    Raises:
        ValueError: if ``realm`` contains a control character other than HTAB.

    """
    return f'Basic realm={build_quoted_string(realm)}, charset="UTF-8"'


# RFC 7235 2.1: token68 = 1*( ALPHA / DIGIT / "-" / "." / "_" / "~" / "+" / "/" ) *"="
_token68_re = re.compile(r"[A-Za-z0-9\-._~+/]+=*")

# RFC 7235 2.1: 1*SP between the auth-scheme and the credentials.
_spaces_re = re.compile(r" +")


def parse_token68(header: str, pos: int, header_name: str) -> Tuple[str, int]:
    """
    Parse a token68 at ``pos`` (RFC 7235 2.1).

    Raises:
        InvalidHeaderFormat: if there's no token68 at ``pos``.

    """
    match = _token68_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(header_name, "expected token68", header, pos)
    return match.group(), match.end()


def parse_end(header: str, pos: int, header_name: str) -> None:
    """
    Check that parsing reached the end of ``header``.

    Raises:
        InvalidHeaderFormat: if there are characters left.

    """
    if pos < len(header):
        raise InvalidHeaderFormat(header_name, "trailing data", header, pos)


def parse_authorization_basic(header: str) -> Tuple[str, str]:
    """
    Parse an Authorization header for HTTP Basic Auth (RFC 7617 2).

    The scheme is case-insensitive (RFC 7235 2.1) and the credentials are
    decoded as UTF-8 (RFC 7617 2.1).

    Args:
        header: value of the Authorization header.

    Returns:
        ``(username, password)``.

    Raises:
        InvalidHeaderFormat: if the header isn't ``<scheme> <token68>``.
        InvalidHeaderValue: if the scheme isn't Basic, or the credentials
            aren't base64-encoded UTF-8 with a colon between the username
            and the password.

    """
    # RFC 7235 2.1: credentials = auth-scheme [ 1*SP ( token68 / #auth-param ) ]
    header_name = "Authorization"
    scheme, pos = parse_token(header, 0, header_name)
    if scheme.lower() != "basic":
        raise InvalidHeaderValue(header_name, f"unsupported scheme: {scheme}")
    match = _spaces_re.match(header, pos)
    if match is None:
        raise InvalidHeaderFormat(
            header_name, "expected space after scheme", header, pos
        )
    basic_credentials, pos = parse_token68(header, match.end(), header_name)
    parse_end(header, parse_OWS(header, pos), header_name)

    try:
        # token68 is ASCII; validate=True rejects characters outside base64.
        user_pass = base64.b64decode(basic_credentials, validate=True).decode()
    except binascii.Error:
        raise InvalidHeaderValue(
            header_name, "expected base64-encoded credentials"
        ) from None
    except UnicodeDecodeError:
        raise InvalidHeaderValue(header_name, "expected UTF-8 credentials") from None

    # RFC 7617 2: user-pass = user-id ":" password
    username, colon, password = user_pass.partition(":")
    if not colon:
        raise InvalidHeaderValue(header_name, "expected username:password credentials")
    return username, password


def build_authorization_basic(username: str, password: str) -> str:
    """
    Build an Authorization header for HTTP Basic Auth (RFC 7617 2).

    This is the reverse of :func:`parse_authorization_basic`.

    Raises:
        ValueError: if ``username`` contains a colon (RFC 7617 2).

    """
    if ":" in username:
        raise ValueError(f"username contains a colon: {username!r}")
    user_pass = f"{username}:{password}"
    basic_credentials = base64.b64encode(user_pass.encode()).decode()
    return "Basic " + basic_credentials
