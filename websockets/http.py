"""
Minimal HTTP/1.1 support for the opening handshake (RFC 7230).

This module parses and serializes the request and the response of the
WebSocket opening handshake, and nothing more: there's no body, no chunked
encoding, no persistent connection.

The parsers, :func:`parse_request` and :func:`parse_response`, are written
once, without I/O, as generators. A parser yields the maximum length of the
next line it needs, CRLF included, and must be sent that line, LF included.
Two drivers run them:

* :func:`read_request` and :func:`read_response` read lines from an
  :class:`asyncio.StreamReader`;
* :class:`LineReader` reads lines from a :class:`bytearray` that receives
  bytes as they arrive, for the Sans-I/O core.

When the connection closes, a driver sends what's left of the current line,
possibly nothing: a line without LF means EOF and the parser raises
:exc:`EOFError`, naming what it was reading.

Lines must end with CRLF; a bare LF is rejected. Bytes outside ASCII are
decoded with ``surrogateescape``, so they survive a round trip.

Security limits, enforced before memory is spent: a line (request line,
status line, header line) is at most :data:`MAX_LINE` bytes, CRLF included,
and there are at most :data:`MAX_HEADERS` header lines.

"""

import email.utils
import http
import re
import sys
import time
from typing import (
    TYPE_CHECKING,
    Any,
    Callable,
    Dict,
    Generator,
    Generic,
    Iterable,
    Iterator,
    List,
    Mapping,
    MutableMapping,
    Optional,
    Tuple,
    TypeVar,
    Union,
    cast,
)

from .exceptions import SecurityError
from .version import version as websockets_version


if TYPE_CHECKING:
    import asyncio


__all__ = [
    "MAX_HEADERS",
    "MAX_LINE",
    "USER_AGENT",
    "Headers",
    "HeadersLike",
    "LineReader",
    "MultipleValuesError",
    "build_request",
    "build_response",
    "parse_request",
    "parse_response",
    "read_request",
    "read_response",
]

MAX_HEADERS = 256
"""Maximum number of header lines in a request or a response."""

MAX_LINE = 8192
"""Maximum length of a line in a request or a response, CRLF included."""

USER_AGENT = (
    f"Python/{sys.version_info[0]}.{sys.version_info[1]} "
    f"websockets/{websockets_version}"
)
"""Value of the User-Agent and Server headers."""

T = TypeVar("T")


# RFC 7230 3.2.6: token = 1*tchar.
_token_re = re.compile(rb"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")

# RFC 7230 3.2: field-content is field-vchar [ 1*( SP / HTAB ) field-vchar ],
# with field-vchar = VCHAR / obs-text. Once OWS is stripped, that's any run of
# HTAB, SP, VCHAR and obs-text. RFC 7230 3.1.2: reason-phrase uses the same set.
_value_re = re.compile(rb"[\t\x20-\x7e\x80-\xff]*")

# RFC 7230 5.3: request-target; any visible ASCII or obs-text, no whitespace.
_path_re = re.compile(rb"[\x21-\x7e\x80-\xff]+")

# The same sets, for serializing str values: obs-text is anything above ASCII.
_str_token_re = re.compile(r"[-!#$%&'*+.^_`|~0-9a-zA-Z]+")
_str_value_re = re.compile(r"[\t\x20-\x7e\x80-\U0010ffff]*")

_str_path_re = re.compile(r"[\x21-\x7e\x80-\U0010ffff]+")


def _show(data: bytes) -> str:
    """
    Show bytes from the wire in an error message, as websockets 8.x did.

    Unlike 8.x, characters that aren't printable are escaped: they must not
    reach logs and terminals as they are.

    """
    text = bytes(data).decode("ascii", "backslashreplace")
    if text.isprintable():
        return text
    return repr(text)[1:-1]


def _decode(data: bytes) -> str:
    """Decode bytes from the wire; bytes outside ASCII become surrogates."""
    return data.decode("ascii", "surrogateescape")


def http_date() -> str:
    """Return the current date for a Date header (RFC 7231 7.1.1.2)."""
    global _date
    now = int(time.time())
    if _date[0] != now:
        _date = now, email.utils.formatdate(now, usegmt=True)
    return _date[1]


# The last date formatted: handshakes in the same second reuse it.
_date = (0, "")


# Headers

# Names and values found in most handshakes, as received and as looked up.
_COMMON_NAMES = [
    "Host",
    "Upgrade",
    "Connection",
    "Origin",
    "User-Agent",
    "Server",
    "Date",
    "Authorization",
    "WWW-Authenticate",
    "Cookie",
    "Set-Cookie",
    "Pragma",
    "Cache-Control",
    "Accept-Encoding",
    "Accept-Language",
    "Content-Type",
    "Content-Length",
    "Location",
    "Sec-WebSocket-Key",
    "Sec-WebSocket-Version",
    "Sec-WebSocket-Extensions",
    "Sec-WebSocket-Protocol",
    "Sec-WebSocket-Accept",
]
_COMMON_LOWER = {name.lower(): name.lower() for name in _COMMON_NAMES}
# Names and values as received: known to be valid, each in its own role.
_COMMON_NAME_STR = {name.encode(): name for name in [*_COMMON_NAMES, *_COMMON_LOWER]}
_COMMON_VALUE_STR = {
    value.encode(): value
    for value in [
        "websocket",
        "Upgrade",
        "upgrade",
        "13",
        "permessage-deflate; client_max_window_bits",
        "permessage-deflate",
        "no-cache",
    ]
}


class MultipleValuesError(LookupError):
    """
    Raised when :class:`Headers` has more than one value for a name.

    Attributes:
        name: header name, as requested.
        count: number of values, if known.

    """

    def __init__(self, name: Optional[str] = None, count: Optional[int] = None) -> None:
        super().__init__(name, count)
        self.name = name
        self.count = count

    def __str__(self) -> str:
        # Like KeyError, as in websockets 8.x: the name, quoted.
        return "" if self.name is None else repr(self.name)


class Headers(MutableMapping[str, str]):
    """
    Efficient data structure for manipulating HTTP headers.

    A list of ``(name, value)`` pairs is inefficient for lookups. A
    :class:`dict` doesn't suffice: header names are case-insensitive and a
    header may occur several times. :class:`Headers` keeps both: a dict of
    lower-case names to lists of values, for lookups, and the list of
    ``(name, value)`` pairs as received or set, for serialization.

    Multiple values follow this logic:

    * ``headers[name]`` raises :exc:`KeyError` if there's no value, returns
      the value if there's one, and raises :exc:`MultipleValuesError` if
      there are several;
    * ``headers[name] = value`` appends a value;
    * ``del headers[name]`` removes every value for that name (this is slow).

    Other methods are consistent with this logic. As long as no header
    occurs several times, :class:`Headers` behaves like a :class:`dict`
    whose keys are lower-cased. :meth:`get_all` and :meth:`raw_items` handle
    multiple values explicitly.

    The constructor and :meth:`update` accept a :class:`Headers`, a mapping,
    or an iterable of ``(name, value)`` pairs, and keyword arguments.

    ``str(headers)`` is the HTTP serialization: ``Name: value\\r\\n`` for each
    value, then ``\\r\\n``.

    """

    def __init__(self, *args: "HeadersLike", **kwargs: str) -> None:
        # Lower-case names to their first value; names with several values
        # also map to all of them in _multi. A list per name would cost
        # about 100 bytes per header on every connection, for a rare case.
        self._dict: Dict[str, str] = {}
        self._multi: Optional[Dict[str, List[str]]] = None
        self._list: List[Tuple[str, str]] = []
        self.update(*args, **kwargs)

    def __str__(self) -> str:
        return "".join([f"{name}: {value}\r\n" for name, value in self._list]) + "\r\n"

    def __repr__(self) -> str:
        return f"{self.__class__.__name__}({self._list!r})"

    def copy(self) -> "Headers":
        """Return an independent copy of the headers."""
        copy = self.__class__()
        copy._dict = dict(self._dict)
        if self._multi is not None:
            copy._multi = {name: list(values) for name, values in self._multi.items()}
        copy._list = list(self._list)
        return copy

    __copy__ = copy

    # Collection methods

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and key.lower() in self._dict

    def __iter__(self) -> Iterator[str]:
        return iter(self._dict)

    def __len__(self) -> int:
        return len(self._dict)

    # MutableMapping methods

    def __getitem__(self, key: str) -> str:
        lower = key.lower()
        value = self._dict[lower]
        multi = self._multi
        if multi is not None and lower in multi:
            raise MultipleValuesError(key, len(multi[lower]))
        return value

    def __setitem__(self, key: str, value: str) -> None:
        lower = key.lower()
        # Common names share one string: less memory per connection.
        lower = _COMMON_LOWER.get(lower, lower)
        values = self._dict
        if lower in values:
            multi = self._multi
            if multi is None:
                multi = self._multi = {}
            if lower in multi:
                multi[lower].append(value)
            else:
                multi[lower] = [values[lower], value]
        else:
            values[lower] = value
        self._list.append((key, value))

    def __delitem__(self, key: str) -> None:
        lower = key.lower()
        del self._dict[lower]
        if self._multi is not None:
            self._multi.pop(lower, None)
        self._list = [item for item in self._list if item[0].lower() != lower]

    def __eq__(self, other: Any) -> bool:
        if isinstance(other, Headers):
            return self._dict == other._dict and (self._multi or {}) == (
                other._multi or {}
            )
        if isinstance(other, Mapping):
            if not all(isinstance(name, str) for name in other):
                return False
            return self == Headers(other)
        return NotImplemented

    def clear(self) -> None:
        """Remove all headers."""
        self._dict = {}
        self._multi = None
        self._list = []

    def update(self, *args: "HeadersLike", **kwargs: str) -> None:  # type: ignore[override]
        """
        Append headers, keeping every value.

        Args:
            args: at most one :class:`Headers`, mapping, or iterable of
                ``(name, value)`` pairs.
            kwargs: more headers.

        Raises:
            TypeError: if there's more than one positional argument.

        """
        if len(args) > 1:
            raise TypeError(f"update expected at most 1 argument, got {len(args)}")
        if args:
            arg = args[0]
            items: Iterable[Tuple[str, str]]
            if isinstance(arg, Headers):
                items = list(arg._list)
            elif isinstance(arg, Mapping):
                items = arg.items()
            else:
                items = arg
            for name, value in items:
                self[name] = value
        for name, value in kwargs.items():
            self[name] = value

    # Faster than the mixin methods of MutableMapping, which go through
    # __getitem__ and KeyError: the opening handshake calls them often.

    def get(self, key: str, default: Any = None) -> Any:
        """Return the value of a header, or ``default`` if there's none."""
        lower = key.lower()
        value = self._dict.get(lower)
        if value is None:
            return default
        multi = self._multi
        if multi is not None and lower in multi:
            raise MultipleValuesError(key, len(multi[lower]))
        return value

    def setdefault(self, key: str, default: Any = None) -> Any:
        """Set a header unless there's one, and return its value."""
        value = self.get(key)
        if value is None:
            self[key] = value = default
        return value

    # Methods for handling multiple values

    def get_all(self, key: str) -> List[str]:
        """
        Return the (possibly empty) list of all values for a header.

        Args:
            key: header name.

        """
        lower = key.lower()
        multi = self._multi
        if multi is not None and lower in multi:
            return list(multi[lower])
        value = self._dict.get(lower)
        return [] if value is None else [value]

    def raw_items(self) -> Iterator[Tuple[str, str]]:
        """Return an iterator of all values as ``(name, value)`` pairs."""
        return iter(self._list)


HeadersLike = Union[Headers, Mapping[str, str], Iterable[Tuple[str, str]]]
"""Types accepted where :class:`Headers` is expected."""


# Parsers


def parse_line(line: bytes, what: str) -> bytes:
    """
    Check one line received by :func:`parse_request` or :func:`parse_response`.

    The parsers yield :data:`MAX_LINE` and receive a line, LF included. This
    returns it without CRLF. (A plain function rather than one more generator
    to delegate to: measured, 8% fewer instructions to parse a request.)

    Args:
        line: the line.
        what: what the line is, for error messages.

    Raises:
        EOFError: if the line doesn't end with LF: the connection closed.
        ValueError: if the line ends with a bare LF.

    """
    if not line.endswith(b"\n"):
        raise EOFError(f"connection closed while reading HTTP {what}")
    # RFC 7230 3.5 allows accepting a bare LF; this parser doesn't.
    if not line.endswith(b"\r\n"):
        raise ValueError(
            f"line ending with LF without CR in HTTP {what}: {_show(line)}"
        )
    return line[:-2]


def parse_headers() -> Generator[int, bytes, Headers]:
    """
    Parse header lines up to the empty line that ends them (RFC 7230 3.2).

    Raises:
        EOFError: if the connection closes before the empty line.
        SecurityError: if there are more than :data:`MAX_HEADERS` headers.
        ValueError: if a header line is malformed.

    """
    headers = Headers()
    count = 0
    while True:
        line = yield MAX_LINE
        if line == b"\r\n":
            return headers
        line = parse_line(line, "headers")
        if count == MAX_HEADERS:
            raise SecurityError(f"more than {MAX_HEADERS} headers")
        count += 1
        if line[:1] in (b" ", b"\t"):
            # RFC 7230 3.2.4: reject obs-fold.
            raise ValueError(f"obsolete line folding in HTTP headers: {_show(line)}")
        name, colon, value = line.partition(b":")
        if not colon:
            raise ValueError(f"invalid HTTP header line: {_show(line)}")
        # Common names and values are known to be valid, and they share one
        # string: less work per handshake, less memory per connection.
        name_str = _COMMON_NAME_STR.get(name)
        if name_str is None:
            # RFC 7230 3.2.4: no whitespace between the name and the colon.
            if not _token_re.fullmatch(name):
                raise ValueError(f"invalid HTTP header name: {_show(name)}")
            name_str = name.decode("ascii")
        value = value.strip(b" \t")
        value_str = _COMMON_VALUE_STR.get(value)
        if value_str is None:
            if not _value_re.fullmatch(value):
                raise ValueError(f"invalid HTTP header value: {_show(value)}")
            value_str = _decode(value)
        headers[name_str] = value_str


def parse_request() -> Generator[int, bytes, Tuple[str, Headers]]:
    """
    Parse an HTTP/1.1 GET request, returning ``(path, headers)``.

    This generator yields the maximum length of the next line it needs, CRLF
    included, and must be sent that line, LF included; at EOF, it must be
    sent what's left of the line, possibly ``b""``. Drive it with
    :func:`read_request` or :class:`LineReader`.

    ``path`` isn't URL-decoded or validated beyond the absence of spaces and
    control characters.

    Raises:
        EOFError: if the connection closes before the end of the request.
        SecurityError: if the request exceeds a security limit.
        ValueError: if the request isn't well formatted, isn't a GET, or
            isn't HTTP/1.1.

    """
    # RFC 7230 3.1.1: request-line = method SP request-target SP HTTP-version
    path = _check_request_line(parse_line((yield MAX_LINE), "request line"))
    headers = yield from parse_headers()
    return _decode(path), headers


def parse_response() -> Generator[int, bytes, Tuple[int, str, Headers]]:
    """
    Parse an HTTP/1.1 response, returning ``(status_code, reason, headers)``.

    This generator works like :func:`parse_request`. The reason phrase may
    be empty.

    Raises:
        EOFError: if the connection closes before the end of the response.
        SecurityError: if the response exceeds a security limit.
        ValueError: if the response isn't well formatted or isn't HTTP/1.1,
            or if the status code isn't between 100 and 599.

    """
    # RFC 7230 3.1.2: status-line = HTTP-version SP status-code SP reason-phrase
    status, reason = _check_status_line(parse_line((yield MAX_LINE), "status line"))
    headers = yield from parse_headers()
    return status, _decode(reason), headers


def _check_request_line(request_line: bytes) -> bytes:
    """Check the request line of a GET request and return its target."""
    parts = request_line.split(b" ")
    if len(parts) != 3:
        raise ValueError(f"invalid HTTP request line: {_show(request_line)}")
    method, path, version = parts
    if method != b"GET":
        raise ValueError(f"unsupported HTTP method: {_show(method)}")
    if version != b"HTTP/1.1":
        raise ValueError(f"unsupported HTTP version: {_show(version)}")
    if not _path_re.fullmatch(path):
        raise ValueError(f"invalid HTTP request target: {_show(path)}")
    return path


def _check_status_line(status_line: bytes) -> Tuple[int, bytes]:
    """Check the status line of a response; return its code and reason."""
    # Be lenient with a missing space when the reason phrase is empty.
    parts = status_line.split(b" ", 2)
    if len(parts) < 2:
        raise ValueError(f"invalid HTTP status line: {_show(status_line)}")
    version, status = parts[0], parts[1]
    reason = parts[2] if len(parts) == 3 else b""
    if version != b"HTTP/1.1":
        raise ValueError(f"unsupported HTTP version: {_show(version)}")
    if not (len(status) == 3 and status.isdigit()):
        raise ValueError(f"invalid HTTP status code: {_show(status)}")
    if not 100 <= int(status) < 600:
        raise ValueError(f"unsupported HTTP status code: {_show(status)}")
    if not _value_re.fullmatch(reason):
        raise ValueError(f"invalid HTTP reason phrase: {_show(reason)}")
    return int(status), reason


# Whole heads: when the first bytes hold the entire request or response, as
# they nearly always do, parsing it in one call rather than a line at a time
# costs about a third of the instructions. These parsers accept only what the
# line parsers above accept and give up (None) on anything else, including
# repeated headers, so that the line parsers produce the result or the error.


def _parse_header_lines(lines: List[bytes]) -> Optional[Headers]:
    """Parse header lines without CRLF, or return ``None``: see above."""
    # One search for the bytes that no header value may contain (see
    # _value_re) rather than a match per value.
    if len(lines) > MAX_HEADERS or _not_in_values_re.search(b"".join(lines)):
        return None
    values: Dict[str, str] = {}
    items: List[Tuple[str, str]] = []
    for line in lines:
        if len(line) > MAX_LINE - 2:
            return None
        name, colon, value = line.partition(b":")
        if not colon:
            return None
        common = _COMMON_NAME_LOWER.get(name)
        if common is None:
            if not _token_re.fullmatch(name):
                return None
            name_str = name.decode("ascii")
            lower = name_str.lower()
        else:
            name_str, lower = common
        value = value.strip(b" \t")
        value_str = _COMMON_VALUE_STR.get(value)
        if value_str is None:
            value_str = _decode(value)
        if lower in values:
            return None
        values[lower] = value_str
        items.append((name_str, value_str))
    headers = Headers()
    headers._dict = values
    headers._list = items
    return headers


_not_in_values_re = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")
_COMMON_NAME_LOWER = {
    name: (name_str, _COMMON_LOWER[name_str.lower()])
    for name, name_str in _COMMON_NAME_STR.items()
}


def _parse_head(
    head: bytes, check_first_line: Callable[[bytes], Any]
) -> Optional[Tuple[Any, Headers]]:
    """Parse a head up to its empty line, or return ``None``: see above."""
    lines = head.split(b"\r\n")
    del lines[-2:]
    first_line = lines.pop(0)
    if len(first_line) > MAX_LINE - 2:
        return None
    try:
        checked = check_first_line(first_line)
    except ValueError:
        return None
    headers = _parse_header_lines(lines)
    if headers is None:
        return None
    return checked, headers


def _parse_request_head(head: bytes) -> Optional[Tuple[str, Headers]]:
    parsed = _parse_head(head, _check_request_line)
    if parsed is None:
        return None
    path, headers = parsed
    return _decode(path), headers


def _parse_response_head(head: bytes) -> Optional[Tuple[int, str, Headers]]:
    parsed = _parse_head(head, _check_status_line)
    if parsed is None:
        return None
    (status, reason), headers = parsed
    return status, _decode(reason), headers


# Drivers


class LineReader(Generic[T]):
    """
    Run a parser from this module on a buffer that receives bytes.

    This is the driver for the Sans-I/O core. The caller owns a
    :class:`bytearray`, appends bytes to it as they arrive, and calls
    :meth:`feed` with it each time; :meth:`feed` consumes complete lines
    from the start of the buffer and leaves the rest, e.g. the first frames
    after the handshake. Always pass the same buffer and don't remove bytes
    from it until the parser is done: the reader remembers how far it
    searched for LF, so that data arriving one byte at a time costs linear
    time.

    Example::

        reader = LineReader(parse_request())
        ...
        buffer += data
        result = reader.feed(buffer)
        if result is not None:
            path, headers = result

    After :meth:`feed` or :meth:`feed_eof` raises, the reader is unusable.

    Args:
        parser: a generator such as :func:`parse_request` or
            :func:`parse_response`, not started.

    """

    def __init__(self, parser: Generator[int, bytes, T]) -> None:
        self.parser = parser
        self.limit = next(parser)
        # The buffer has no LF before this position.
        self.searched = 0
        self.result: Optional[T] = None
        self.done = False
        # The whole-head parser equivalent to parser, if any, tried once.
        self.whole: Optional[Callable[[bytes], Optional[T]]] = _WHOLE_HEADS.get(
            getattr(parser, "gi_code", None)
        )

    def feed(self, buffer: bytearray) -> Optional[T]:
        """
        Parse every complete line in ``buffer`` and remove them from it.

        Args:
            buffer: bytes received so far and not consumed yet.

        Returns:
            The parser's result once it's complete, else :obj:`None`: more
            data is needed. Once complete, the result is returned again and
            nothing more is consumed.

        Raises:
            SecurityError: as soon as a line is longer than the limit, even
                if its end wasn't received yet.
            ValueError: if the data isn't well formatted.

        """
        whole = self.whole
        if whole is not None and buffer:
            # Only with the first bytes: searching the whole buffer again at
            # each call would cost quadratic time when bytes trickle in.
            self.whole = None
            end = buffer.find(b"\r\n\r\n")
            if end != -1:
                result = whole(bytes(buffer[: end + 4]))
                if result is not None:
                    del buffer[: end + 4]
                    self.parser.close()
                    self.result = result
                    self.done = True
                    return result
        # Lines are removed from the buffer at the end, all at once.
        start = 0
        try:
            while not self.done:
                limit = start + self.limit
                searched = self.searched
                end = buffer.find(b"\n", searched if searched > start else start, limit)
                if end == -1:
                    if len(buffer) >= limit:
                        raise SecurityError(f"line longer than {self.limit} bytes")
                    self.searched = len(buffer) - start
                    return None
                end += 1
                line = bytes(buffer[start:end])
                start = end
                self.searched = 0
                try:
                    self.limit = self.parser.send(line)
                except StopIteration as exc:
                    self.result = exc.value
                    self.done = True
        finally:
            del buffer[:start]
        return self.result

    def feed_eof(self, buffer: bytearray) -> T:
        """
        Tell the parser that the connection closed.

        This parses any complete line left in ``buffer`` first.

        Args:
            buffer: bytes received and not consumed.

        Returns:
            The parser's result, if it was complete.

        Raises:
            EOFError: if the parser wasn't complete.
            SecurityError: as in :meth:`feed`.
            ValueError: as in :meth:`feed`.

        """
        self.feed(buffer)
        if not self.done:
            # Now the buffer holds no LF. When parse_line gets a line
            # without LF, it raises EOFError, naming what it was reading.
            line = bytes(buffer)
            del buffer[:]
            self.parser.send(line)
            raise AssertionError("unreachable")  # pragma: no cover
        return cast(T, self.result)


_WHOLE_HEADS: Dict[Any, Callable[[bytes], Any]] = {
    parse_request.__code__: _parse_request_head,
    parse_response.__code__: _parse_response_head,
}


async def _read_lines(
    stream: "asyncio.StreamReader", parser: Generator[int, bytes, T]
) -> T:
    """Run a parser from this module on lines read from ``stream``."""
    limit = next(parser)
    while True:
        try:
            line = await stream.readline()
        except ValueError as exc:
            # StreamReader.readline raises ValueError when a line goes over
            # the limit of the stream.
            raise SecurityError("line longer than the limit of the stream") from exc
        if len(line) > limit:
            raise SecurityError(f"line longer than {limit} bytes")
        try:
            # A line without LF means EOF: the parser raises EOFError.
            limit = parser.send(line)
        except StopIteration as exc:
            result: T = exc.value
            return result


async def read_request(stream: "asyncio.StreamReader") -> Tuple[str, Headers]:
    """
    Read an HTTP/1.1 GET request and return ``(path, headers)``.

    ``path`` isn't URL-decoded or validated in any way. ``path`` and
    ``headers`` are expected to contain only ASCII characters; other
    characters are represented with surrogate escapes.

    This coroutine doesn't read the request body: WebSocket handshake
    requests don't have one. If the request has a body, it may be read from
    ``stream`` after this coroutine returns.

    Args:
        stream: input to read the request from.

    Raises:
        EOFError: if the connection is closed without a full HTTP request.
        SecurityError: if the request exceeds a security limit.
        ValueError: if the request isn't well formatted.

    """
    return await _read_lines(stream, parse_request())


async def read_headers(stream: "asyncio.StreamReader") -> Headers:
    """
    Read HTTP headers up to the empty line that ends them.

    This is the step of :func:`read_request` and :func:`read_response` that
    websockets 8.x exposed.

    Raises:
        EOFError: if the connection is closed before the empty line.
        SecurityError: if the headers exceed a security limit.
        ValueError: if a header line isn't well formatted.

    """
    return await _read_lines(stream, parse_headers())


async def read_response(stream: "asyncio.StreamReader") -> Tuple[int, str, Headers]:
    """
    Read an HTTP/1.1 response and return ``(status_code, reason, headers)``.

    ``reason`` and ``headers`` are expected to contain only ASCII
    characters; other characters are represented with surrogate escapes.

    This coroutine doesn't read the response body: WebSocket handshake
    responses don't have one. If the response has a body, it may be read
    from ``stream`` after this coroutine returns.

    Args:
        stream: input to read the response from.

    Raises:
        EOFError: if the connection is closed without a full HTTP response.
        SecurityError: if the response exceeds a security limit.
        ValueError: if the response isn't well formatted.

    """
    return await _read_lines(stream, parse_response())


# Serializers


def _serialize_headers(headers: HeadersLike) -> bytes:
    """Serialize headers, checking that they can't break the message."""
    if not isinstance(headers, Headers):
        headers = Headers(headers)
    for name, value in headers.raw_items():
        if not _str_token_re.fullmatch(name):
            raise ValueError(f"invalid HTTP header name: {name!r}")
        if not _str_value_re.fullmatch(value):
            raise ValueError(f"invalid HTTP header value: {value!r}")
    return str(headers).encode("utf-8", "surrogateescape")


def build_request(path: str, headers: HeadersLike) -> bytes:
    """
    Serialize an HTTP/1.1 GET request.

    Args:
        path: request target, e.g. :attr:`WebSocketURI.resource_name
            <websockets.uri.WebSocketURI.resource_name>`; ASCII, where
            surrogate escapes stand for other bytes.
        headers: request headers.

    Raises:
        ValueError: if the path or a header contains characters that could
            break the request, such as spaces or CR, LF in the path and CR,
            LF in a header value.

    """
    if not _str_path_re.fullmatch(path):
        raise ValueError(f"invalid HTTP request target: {path!r}")
    request_line = f"GET {path} HTTP/1.1\r\n".encode("ascii", "surrogateescape")
    return request_line + _serialize_headers(headers)


def build_response(
    status: Union[http.HTTPStatus, int], headers: HeadersLike, body: bytes = b""
) -> bytes:
    """
    Serialize an HTTP/1.1 response.

    This function doesn't add headers: when there's a body, set
    ``Content-Length`` (and ``Content-Type``) in ``headers``.

    Args:
        status: status code; the reason phrase is the one from
            :class:`http.HTTPStatus`, or empty for an unknown code.
        headers: response headers.
        body: response body.

    Raises:
        ValueError: if a header contains characters that could break the
            response, such as CR or LF.

    """
    try:
        reason = http.HTTPStatus(status).phrase
    except ValueError:
        reason = ""
    status_line = f"HTTP/1.1 {status:d} {reason}\r\n".encode("ascii")
    return status_line + _serialize_headers(headers) + body
