import asyncio
import copy
import http
import sys
from typing import Any, Callable, Generator, List, Optional, Tuple

import pytest
from hypothesis import given, strategies as st

from websockets import http as http_module
from websockets.exceptions import SecurityError
from websockets.http import (
    MAX_HEADERS,
    MAX_LINE,
    USER_AGENT,
    Headers,
    LineReader,
    MultipleValuesError,
    build_request,
    build_response,
    parse_request,
    parse_response,
    read_request,
    read_response,
)
from websockets.version import version

from .utils import async_test


REQUEST = (
    b"GET /chat?x=1 HTTP/1.1\r\n"
    b"Host: server.example.com\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
    b"Sec-WebSocket-Version: 13\r\n"
    b"\r\n"
)

RESPONSE = (
    b"HTTP/1.1 101 Switching Protocols\r\n"
    b"Upgrade: websocket\r\n"
    b"Connection: Upgrade\r\n"
    b"Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\n"
    b"\r\n"
)

Parser = Callable[[], Generator[int, bytes, Any]]


def feed_chunks(parser: Parser, chunks: List[bytes]) -> Tuple[Any, bytearray]:
    """Feed chunks to a LineReader; return its result and what's left."""
    reader = LineReader(parser())
    buffer = bytearray()
    result = None
    for chunk in chunks:
        buffer += chunk
        result = reader.feed(buffer)
    return result, buffer


def assert_parses(parser: Parser, data: bytes, expected: Any) -> None:
    """Check that data parses whole, byte by byte, and followed by extra bytes."""
    assert feed_chunks(parser, [data]) == (expected, bytearray())
    chunks = [data[i : i + 1] for i in range(len(data))]
    assert feed_chunks(parser, chunks) == (expected, bytearray())
    assert feed_chunks(parser, [data + b"\x81\x00extra\r\n"]) == (
        expected,
        bytearray(b"\x81\x00extra\r\n"),
    )


def parse(parser: Parser, data: bytes) -> Any:
    """Parse data fed at once, then EOF."""
    reader = LineReader(parser())
    return reader.feed_eof(bytearray(data))


def stream_with(data: bytes, eof: bool = True, **kwargs: Any) -> asyncio.StreamReader:
    stream = asyncio.StreamReader(**kwargs)
    stream.feed_data(data)
    if eof:
        stream.feed_eof()
    return stream


# Headers


class TestHeaders:
    def test_get_is_case_insensitive(self) -> None:
        headers = Headers(Server="websockets")
        assert headers["server"] == "websockets"
        assert headers["SERVER"] == "websockets"

    def test_get_missing_raises_key_error(self) -> None:
        with pytest.raises(KeyError):
            Headers()["Server"]

    def test_get_multiple_values_raises_multiple_values_error(self) -> None:
        headers = Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2")])
        with pytest.raises(MultipleValuesError, match="'Set-Cookie'") as raised:
            headers["Set-Cookie"]
        assert raised.value.count == 2

    def test_get_with_given_default(self) -> None:
        headers = Headers(Server="websockets")
        assert headers.get("server") == "websockets"
        assert headers.get("Date") is None
        assert headers.get("Date", "now") == "now"

    def test_get_multiple_values_raises_multiple_values_error_too(self) -> None:
        headers = Headers([("Set-Cookie", "a=1"), ("set-cookie", "b=2")])
        with pytest.raises(MultipleValuesError, match="'Set-Cookie'"):
            headers.get("Set-Cookie")
        with pytest.raises(MultipleValuesError, match="'Set-Cookie'"):
            headers.setdefault("Set-Cookie", "c=3")

    def test_setdefault(self) -> None:
        headers = Headers(Server="websockets")
        assert headers.setdefault("SERVER", "other") == "websockets"
        assert headers.setdefault("Date", "now") == "now"
        assert list(headers.raw_items()) == [("Server", "websockets"), ("Date", "now")]

    def test_multiple_values_error(self) -> None:
        exc = MultipleValuesError("Via")
        assert isinstance(exc, LookupError)
        assert not isinstance(exc, KeyError)
        # Like KeyError, as in websockets 8.x.
        assert str(exc) == "'Via'"
        assert (exc.name, exc.count) == ("Via", None)
        assert str(MultipleValuesError("Via", 3)) == "'Via'"
        assert str(MultipleValuesError()) == ""

    def test_get_with_default(self) -> None:
        headers = Headers(Server="websockets")
        assert headers.get("Server") == "websockets"
        assert headers.get("Origin") is None

    def test_set_appends(self) -> None:
        headers = Headers()
        headers["Via"] = "a"
        headers["VIA"] = "b"
        assert headers.get_all("via") == ["a", "b"]
        assert list(headers.raw_items()) == [("Via", "a"), ("VIA", "b")]

    def test_del_removes_all_values(self) -> None:
        headers = Headers([("Via", "a"), ("Host", "h"), ("via", "b")])
        del headers["VIA"]
        assert "via" not in headers
        assert headers.get_all("Via") == []
        assert list(headers.raw_items()) == [("Host", "h")]

    def test_del_missing_raises_key_error(self) -> None:
        with pytest.raises(KeyError):
            del Headers()["Via"]

    def test_contains(self) -> None:
        headers = Headers([("Via", "a"), ("Via", "b")])
        assert "via" in headers
        assert "VIA" in headers
        assert "Host" not in headers
        not_a_name: object = 42
        assert not_a_name not in headers

    def test_iter_and_len(self) -> None:
        headers = Headers([("Via", "a"), ("Host", "h"), ("via", "b")])
        assert list(headers) == ["via", "host"]
        assert len(headers) == 2

    def test_get_all_returns_a_copy(self) -> None:
        headers = Headers(Via="a")
        headers.get_all("Via").append("b")
        assert headers.get_all("Via") == ["a"]

    def test_clear(self) -> None:
        headers = Headers(Via="a")
        headers.clear()
        assert len(headers) == 0
        assert list(headers.raw_items()) == []
        assert str(headers) == "\r\n"

    def test_init_from_headers_keeps_multiple_values(self) -> None:
        headers = Headers([("Via", "a"), ("Via", "b")])
        assert Headers(headers).get_all("Via") == ["a", "b"]

    def test_init_from_mapping_pairs_and_kwargs(self) -> None:
        headers = Headers({"Host": "h"}, Via="a")
        assert list(headers.raw_items()) == [("Host", "h"), ("Via", "a")]
        headers = Headers([("Host", "h"), ("Via", "a")])
        assert list(headers.raw_items()) == [("Host", "h"), ("Via", "a")]

    def test_update_appends(self) -> None:
        headers = Headers(Via="a")
        headers.update(Headers(Via="b"))
        headers.update({"Via": "c"})
        headers.update([("Via", "d")], Via="e")
        assert headers.get_all("Via") == ["a", "b", "c", "d", "e"]

    def test_update_with_itself_doubles(self) -> None:
        headers = Headers(Via="a")
        headers.update(headers)
        assert headers.get_all("Via") == ["a", "a"]

    def test_update_rejects_two_positional_arguments(self) -> None:
        with pytest.raises(TypeError, match="at most 1 argument, got 2"):
            Headers({}, {})

    def test_copy_is_independent(self) -> None:
        headers = Headers([("Via", "a"), ("Via", "b")])
        for clone in (headers.copy(), copy.copy(headers)):
            assert clone == headers
            clone["Via"] = "c"
            assert headers.get_all("Via") == ["a", "b"]
            assert list(headers.raw_items()) == [("Via", "a"), ("Via", "b")]

    def test_copy_of_single_values_is_independent(self) -> None:
        headers = Headers(Via="a")
        clone = headers.copy()
        assert clone == headers
        clone["Via"] = "b"
        assert clone.get_all("Via") == ["a", "b"]
        assert headers["Via"] == "a"

    def test_eq(self) -> None:
        headers = Headers([("Via", "a"), ("Host", "h")])
        assert headers == Headers([("via", "a"), ("HOST", "h")])
        assert headers != Headers([("Via", "b"), ("Host", "h")])
        assert headers == {"VIA": "a", "host": "h"}
        assert headers != {"Via": "a"}
        assert headers != {1: "a"}
        assert headers != [("Via", "a"), ("Host", "h")]

    def test_eq_with_multiple_values(self) -> None:
        headers = Headers([("Via", "a"), ("Via", "b")])
        assert headers == Headers([("via", "a"), ("VIA", "b")])
        assert headers != Headers([("Via", "b"), ("Via", "a")])

    def test_repr(self) -> None:
        headers = Headers([("Via", "a"), ("Via", "b")])
        assert repr(headers) == "Headers([('Via', 'a'), ('Via', 'b')])"
        assert eval(repr(headers)) == headers

    def test_str(self) -> None:
        headers = Headers([("Host", "h"), ("Via", "a"), ("via", "b")])
        assert str(headers) == "Host: h\r\nVia: a\r\nvia: b\r\n\r\n"

    def test_items_with_multiple_values_raises(self) -> None:
        headers = Headers([("Via", "a"), ("Via", "b")])
        with pytest.raises(MultipleValuesError):
            dict(headers.items())


# Parsers


class TestParseRequest:
    def test_parse_request(self) -> None:
        path, headers = parse(parse_request, REQUEST)
        assert path == "/chat?x=1"
        assert list(headers.raw_items()) == [
            ("Host", "server.example.com"),
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
            ("Sec-WebSocket-Version", "13"),
        ]

    def test_parse_request_whole_byte_by_byte_and_with_extra_bytes(self) -> None:
        expected = parse(parse_request, REQUEST)
        assert_parses(parse_request, REQUEST, expected)

    def test_parse_request_decodes_non_ascii_with_surrogateescape(self) -> None:
        path, headers = parse(
            parse_request, b"GET /caf\xc3\xa9 HTTP/1.1\r\nX-Name: caf\xe9\r\n\r\n"
        )
        assert path == "/caf\udcc3\udca9"
        assert headers["X-Name"] == "caf\udce9"

    def test_parse_request_strips_whitespace_around_values(self) -> None:
        _, headers = parse(
            parse_request, b"GET / HTTP/1.1\r\nA:  \t x \t y\t \r\nB:\r\nC: \r\n\r\n"
        )
        assert list(headers.raw_items()) == [("A", "x \t y"), ("B", ""), ("C", "")]

    def test_parse_request_accepts_max_headers(self) -> None:
        data = b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * MAX_HEADERS + b"\r\n"
        _, headers = parse(parse_request, data)
        assert len(headers.get_all("X")) == MAX_HEADERS

    def test_parse_request_rejects_too_many_headers(self) -> None:
        data = b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1)
        with pytest.raises(SecurityError, match="more than 256 headers"):
            parse(parse_request, data)

    @pytest.mark.parametrize(
        "data, message",
        [
            (b"GET /\r\n", r"invalid HTTP request line: GET /$"),
            (b"GET / HTTP/1.1 x\r\n", "invalid HTTP request line"),
            (b"GET  / HTTP/1.1\r\n", "invalid HTTP request line"),
            (b"POST / HTTP/1.1\r\n", "unsupported HTTP method: POST$"),
            (b"get / HTTP/1.1\r\n", "unsupported HTTP method: get$"),
            (b"GET / HTTP/1.0\r\n", r"unsupported HTTP version: HTTP/1\.0$"),
            (b"GET  HTTP/1.1\r\n", "invalid HTTP request target: $"),
            (b"GET /\x00 HTTP/1.1\r\n", r"invalid HTTP request target: /\\x00$"),
            (b"GET /\r HTTP/1.1\r\n", r"invalid HTTP request target: /\\r$"),
            (
                b"GET / HTTP/1.1\n",
                "line ending with LF without CR in HTTP request line",
            ),
            (
                b"GET / HTTP/1.1\r\nA: b\n",
                "line ending with LF without CR in HTTP headers",
            ),
            (b"GET / HTTP/1.1\r\nA b\r\n", "invalid HTTP header line: A b$"),
            (b"GET / HTTP/1.1\r\nA :b\r\n", "invalid HTTP header name: A $"),
            (b"GET / HTTP/1.1\r\n: b\r\n", "invalid HTTP header name: $"),
            (
                # A common header value isn't a valid header name.
                b"GET / HTTP/1.1\r\npermessage-deflate; client_max_window_bits: b\r\n",
                "invalid HTTP header name: permessage-deflate; "
                "client_max_window_bits$",
            ),
            (b"GET / HTTP/1.1\r\nA\xe9: b\r\n", r"invalid HTTP header name: A\\xe9$"),
            (
                b"GET / HTTP/1.1\r\nA: b\x00c\r\n",
                r"invalid HTTP header value: b\\x00c$",
            ),
            (b"GET / HTTP/1.1\r\nA: b\rc\r\n", r"invalid HTTP header value: b\\rc$"),
            (b"GET / HTTP/1.1\r\nA: b\x7f\r\n", r"invalid HTTP header value: b\\x7f$"),
            (b"GET / HTTP/1.1\r\nA: b\r\n c\r\n", "obsolete line folding"),
            (b"GET / HTTP/1.1\r\nA: b\r\n\tc\r\n", "obsolete line folding"),
        ],
    )
    def test_parse_request_rejects_malformed_request(
        self, data: bytes, message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            parse(parse_request, data)

    @pytest.mark.parametrize(
        "data, message",
        [
            (b"", "connection closed while reading HTTP request line"),
            (b"GET / HT", "connection closed while reading HTTP request line"),
            (b"GET / HTTP/1.1\r", "connection closed while reading HTTP request line"),
            (b"GET / HTTP/1.1\r\n", "connection closed while reading HTTP headers"),
            (b"GET / HTTP/1.1\r\nA: b\r\n\r", "connection closed while reading HTTP"),
        ],
    )
    def test_parse_request_rejects_truncated_request(
        self, data: bytes, message: str
    ) -> None:
        with pytest.raises(EOFError, match=message):
            parse(parse_request, data)


class TestParseResponse:
    def test_parse_response(self) -> None:
        status_code, reason, headers = parse(parse_response, RESPONSE)
        assert status_code == 101
        assert reason == "Switching Protocols"
        assert list(headers.raw_items()) == [
            ("Upgrade", "websocket"),
            ("Connection", "Upgrade"),
            ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
        ]

    def test_parse_response_whole_byte_by_byte_and_with_extra_bytes(self) -> None:
        expected = parse(parse_response, RESPONSE)
        assert_parses(parse_response, RESPONSE, expected)

    @pytest.mark.parametrize(
        "status_line, status_code, reason",
        [
            (b"HTTP/1.1 404 Not Found", 404, "Not Found"),
            (b"HTTP/1.1 200 ", 200, ""),
            (b"HTTP/1.1 200", 200, ""),
            (b"HTTP/1.1 100 a  b\tc", 100, "a  b\tc"),
            (b"HTTP/1.1 599 caf\xe9", 599, "caf\udce9"),
        ],
    )
    def test_parse_response_status_line(
        self, status_line: bytes, status_code: int, reason: str
    ) -> None:
        result = parse(parse_response, status_line + b"\r\n\r\n")
        assert result == (status_code, reason, Headers())

    @pytest.mark.parametrize(
        "data, message",
        [
            (b"HTTP/1.1\r\n", r"invalid HTTP status line: HTTP/1\.1$"),
            (b"HTTP/1.0 200 OK\r\n", r"unsupported HTTP version: HTTP/1\.0$"),
            (b"HTTP/1.1  200 OK\r\n", "invalid HTTP status code: $"),
            (b"HTTP/1.1 099 OK\r\n", "unsupported HTTP status code: 099$"),
            (b"HTTP/1.1 600 OK\r\n", "unsupported HTTP status code: 600$"),
            (b"HTTP/1.1 1000 OK\r\n", "invalid HTTP status code: 1000$"),
            (b"HTTP/1.1 2O0 OK\r\n", "invalid HTTP status code: 2O0$"),
            (b"HTTP/1.1 200 O\x00K\r\n", r"invalid HTTP reason phrase: O\\x00K$"),
            (
                b"HTTP/1.1 200 OK\n",
                "line ending with LF without CR in HTTP status line",
            ),
            (b"HTTP/1.1 200 OK\r\nA\r\n", "invalid HTTP header line: A$"),
        ],
    )
    def test_parse_response_rejects_malformed_response(
        self, data: bytes, message: str
    ) -> None:
        with pytest.raises(ValueError, match=message):
            parse(parse_response, data)

    @pytest.mark.parametrize(
        "data, message",
        [
            (b"", "connection closed while reading HTTP status line"),
            (
                b"HTTP/1.1 101 Switch",
                "connection closed while reading HTTP status line",
            ),
            (
                b"HTTP/1.1 101 OK\r\nA: b\r\n",
                "connection closed while reading HTTP headers",
            ),
        ],
    )
    def test_parse_response_rejects_truncated_response(
        self, data: bytes, message: str
    ) -> None:
        with pytest.raises(EOFError, match=message):
            parse(parse_response, data)

    def test_parse_response_rejects_too_many_headers(self) -> None:
        data = b"HTTP/1.1 101 OK\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1)
        with pytest.raises(SecurityError, match="more than 256 headers"):
            parse(parse_response, data)


# Buffer driver


class TestLineReader:
    def test_returns_none_until_complete(self) -> None:
        reader = LineReader(parse_request())
        buffer = bytearray(REQUEST[:-1])
        assert reader.feed(buffer) is None
        # Complete lines were consumed, the incomplete one is left.
        assert buffer == b"\r"
        buffer += b"\n"
        result = reader.feed(buffer)
        assert result is not None
        assert result[0] == "/chat?x=1"
        assert buffer == b""

    def test_leaves_bytes_after_the_message(self) -> None:
        reader = LineReader(parse_response())
        buffer = bytearray(RESPONSE + b"\x81\x05hello")
        assert reader.feed(buffer) is not None
        assert buffer == b"\x81\x05hello"

    def test_returns_result_again_once_complete(self) -> None:
        reader = LineReader(parse_response())
        buffer = bytearray(RESPONSE)
        result = reader.feed(buffer)
        buffer += b"GET / HTTP/1.1\r\n"
        assert reader.feed(buffer) is result
        assert reader.feed_eof(buffer) is result
        assert buffer == b"GET / HTTP/1.1\r\n"

    def test_remembers_where_it_searched(self) -> None:
        reader = LineReader(parse_request())
        buffer = bytearray()
        for byte in b"GET / HTTP/1.1":
            buffer.append(byte)
            assert reader.feed(buffer) is None
            assert reader.searched == len(buffer)
        buffer += b"\r\n"
        assert reader.feed(buffer) is None
        assert (reader.searched, buffer) == (0, b"")

    def test_accepts_line_of_max_line_bytes(self) -> None:
        line = b"X: " + b"y" * (MAX_LINE - 5) + b"\r\n"
        assert len(line) == MAX_LINE
        data = b"GET / HTTP/1.1\r\n" + line + b"\r\n"
        assert_parses(parse_request, data, ("/", Headers(X="y" * (MAX_LINE - 5))))

    def test_rejects_long_line_before_its_end_arrives(self) -> None:
        reader = LineReader(parse_request())
        buffer = bytearray(b"GET / HTTP/1.1\r\nX: ")
        assert reader.feed(buffer) is None
        buffer += b"y" * (MAX_LINE - 4)
        assert len(buffer) == MAX_LINE - 1
        assert reader.feed(buffer) is None
        buffer += b"y"
        with pytest.raises(SecurityError, match="line longer than 8192 bytes"):
            reader.feed(buffer)

    def test_rejects_long_line_arriving_at_once(self) -> None:
        reader = LineReader(parse_request())
        buffer = bytearray(b"GET /" + b"a" * MAX_LINE + b" HTTP/1.1\r\n")
        with pytest.raises(SecurityError, match="line longer than 8192 bytes"):
            reader.feed(buffer)

    def test_rejects_long_line_arriving_byte_by_byte(self) -> None:
        reader = LineReader(parse_request())
        buffer = bytearray()
        for _ in range(MAX_LINE - 1):
            buffer += b"a"
            assert reader.feed(buffer) is None
        buffer += b"a"
        with pytest.raises(SecurityError, match="line longer than 8192 bytes"):
            reader.feed(buffer)

    def test_rejects_too_many_headers_byte_by_byte(self) -> None:
        data = b"HTTP/1.1 101 OK\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1)
        reader = LineReader(parse_response())
        buffer = bytearray()
        with pytest.raises(SecurityError, match="more than 256 headers"):
            for byte in data:
                buffer.append(byte)
                assert reader.feed(buffer) is None

    def test_feed_eof_parses_complete_lines_first(self) -> None:
        reader = LineReader(parse_request())
        path, _ = reader.feed_eof(bytearray(REQUEST))
        assert path == "/chat?x=1"

    def test_feed_eof_raises_eof_error_on_partial_message(self) -> None:
        reader = LineReader(parse_request())
        buffer = bytearray(b"GET / HTTP/1.1\r\nHost: ex")
        assert reader.feed(buffer) is None
        with pytest.raises(EOFError, match="while reading HTTP headers"):
            reader.feed_eof(buffer)
        assert buffer == b""

    def test_feed_eof_raises_security_error_on_long_line(self) -> None:
        reader = LineReader(parse_request())
        with pytest.raises(SecurityError, match="line longer than 8192 bytes"):
            reader.feed_eof(bytearray(b"a" * MAX_LINE))

    @given(
        st.one_of(
            st.binary(max_size=300),
            # Start with a valid line and use bytes that matter to reach deeper.
            st.builds(
                bytes.__add__,
                st.sampled_from([b"GET / HTTP/1.1\r\n", b"HTTP/1.1 200 OK\r\n"]),
                st.lists(
                    st.sampled_from([b"\r\n", b"\n", b"\r", b":", b" ", b"a", b"\xff"]),
                    max_size=50,
                ).map(b"".join),
            ),
        ),
        st.integers(min_value=1, max_value=20),
    )
    def test_arbitrary_bytes(self, data: bytes, chunk_size: int) -> None:
        for parser in (parse_request, parse_response):
            reader = LineReader(parser())
            buffer = bytearray()
            try:
                for i in range(0, len(data), chunk_size):
                    buffer += data[i : i + chunk_size]
                    result = reader.feed(buffer)
                    if result is not None:
                        assert isinstance(result, tuple)
                        break
                else:
                    reader.feed_eof(buffer)
            except (SecurityError, ValueError, EOFError):
                pass


class TestWholeHead:
    """A head received at once is parsed in one call, like the line parsers."""

    @pytest.fixture
    def calls(self, monkeypatch: pytest.MonkeyPatch) -> List[Any]:
        """Record what the whole-head parsers return."""
        calls: List[Any] = []
        for code, whole in list(http_module._WHOLE_HEADS.items()):

            def spy(head: bytes, whole: Any = whole) -> Any:
                result = whole(head)
                calls.append(result)
                return result

            monkeypatch.setitem(http_module._WHOLE_HEADS, code, spy)
        return calls

    def test_request_at_once(self, calls: List[Any]) -> None:
        assert_parses(parse_request, REQUEST, parse(parse_request, REQUEST))
        assert calls and all(call is not None for call in calls)

    def test_response_at_once(self, calls: List[Any]) -> None:
        assert_parses(parse_response, RESPONSE, parse(parse_response, RESPONSE))
        assert calls and all(call is not None for call in calls)

    def test_empty_buffer_then_head(self, calls: List[Any]) -> None:
        # A client feeds its empty buffer before the response arrives.
        reader = LineReader(parse_response())
        buffer = bytearray()
        assert reader.feed(buffer) is None
        buffer += RESPONSE
        assert reader.feed(buffer) is not None
        assert len(calls) == 1 and calls[0] is not None

    def test_response_without_reason_at_once(self, calls: List[Any]) -> None:
        assert same_outcome(parse_response, b"HTTP/1.1 101\r\n\r\n")
        assert calls and all(call is not None for call in calls)

    def test_partial_head_goes_line_by_line(self, calls: List[Any]) -> None:
        reader = LineReader(parse_request())
        buffer = bytearray(REQUEST[:20])
        assert reader.feed(buffer) is None
        buffer += REQUEST[20:]
        assert reader.feed(buffer) is not None
        assert calls == []

    @pytest.mark.parametrize(
        "head",
        [
            # Repeated headers, which the line parser handles.
            REQUEST[:-2] + b"Sec-WebSocket-Extensions: a\r\n"
            b"Sec-WebSocket-Extensions: b\r\n\r\n",
            # Obsolete line folding, a bare LF, a name with a space.
            REQUEST[:-2] + b" folded\r\n\r\n",
            REQUEST[:-2] + b"X: a\nY: b\r\n\r\n",
            REQUEST[:-2] + b"X : b\r\n\r\n",
            # A line without colon, too long, too many headers.
            REQUEST[:-2] + b"X\r\n\r\n",
            REQUEST[:-2] + b"X: " + b"y" * MAX_LINE + b"\r\n\r\n",
            b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n",
            # Request lines the line parser rejects.
            b"POST / HTTP/1.1\r\n\r\n",
            b"GET / HTTP/1.0\r\n\r\n",
            b"GET /\x7f HTTP/1.1\r\n\r\n",
            b"GET  / HTTP/1.1\r\n\r\n",
            b"GET /" + b"a" * MAX_LINE + b" HTTP/1.1\r\n\r\n",
        ],
    )
    def test_request_line_parser_decides(self, calls: List[Any], head: bytes) -> None:
        assert same_outcome(parse_request, head)
        assert calls == [None]

    @pytest.mark.parametrize(
        "head",
        [
            b"HTTP/1.0 101 Switching Protocols\r\n\r\n",
            b"HTTP/1.1 1O1 Switching Protocols\r\n\r\n",
            b"HTTP/1.1 099 Low\r\n\r\n",
            b"HTTP/1.1 101 Bad\x7f\r\n\r\n",
            RESPONSE[:-2] + b"Set-Cookie: a\r\nSet-Cookie: b\r\n\r\n",
        ],
    )
    def test_response_line_parser_decides(self, calls: List[Any], head: bytes) -> None:
        assert same_outcome(parse_response, head)
        assert calls == [None]

    @given(
        st.sampled_from([b"GET / HTTP/1.1", b"HTTP/1.1 101 Switching Protocols"]),
        st.lists(
            st.lists(
                st.sampled_from(
                    [
                        *(b"Upgrade", b"X", b"upgrade", b":", b": ", b" ", b"\t"),
                        *(b"\n", b"\r", b"websocket", b"13", b"\xff", b"\x00", b"Y"),
                    ]
                ),
                max_size=6,
            ).map(b"".join),
            max_size=6,
        ),
    )
    def test_same_outcome_as_line_parser(
        self, first: bytes, lines: List[bytes]
    ) -> None:
        head = b"\r\n".join([first, *lines]) + b"\r\n\r\n"
        for parser in (parse_request, parse_response):
            assert same_outcome(parser, head)


def same_outcome(parser: Parser, head: bytes) -> bool:
    """Tell whether ``head`` parses the same at once and line by line."""

    def outcome(whole: bool) -> Any:
        reader = LineReader(parser())
        if not whole:
            reader.whole = None
        buffer = bytearray(head + b"\x81\x00")
        try:
            result = reader.feed(buffer)
        except Exception as exc:
            return type(exc), str(exc)
        if result is None:
            return None
        *first, headers = result
        return first, list(headers.raw_items()), headers._dict, headers._multi, buffer

    return bool(outcome(True) == outcome(False))


# Stream driver


class TestReadRequest:
    @async_test
    async def test_read_request(self) -> None:
        path, headers = await read_request(stream_with(REQUEST))
        assert path == "/chat?x=1"
        assert headers["Sec-WebSocket-Key"] == "dGhlIHNhbXBsZSBub25jZQ=="
        assert headers == parse(parse_request, REQUEST)[1]

    @async_test
    async def test_read_request_leaves_the_body(self) -> None:
        stream = stream_with(REQUEST + b"body")
        await read_request(stream)
        assert await stream.read() == b"body"

    @async_test
    async def test_read_request_empty(self) -> None:
        with pytest.raises(
            EOFError, match="connection closed while reading HTTP request line"
        ):
            await read_request(stream_with(b""))

    @async_test
    async def test_read_request_truncated(self) -> None:
        with pytest.raises(
            EOFError, match="connection closed while reading HTTP headers"
        ):
            await read_request(stream_with(REQUEST[:-1]))

    @async_test
    async def test_read_request_malformed(self) -> None:
        with pytest.raises(ValueError, match="unsupported HTTP method: POST$"):
            await read_request(stream_with(b"POST / HTTP/1.1\r\n\r\n"))

    @async_test
    async def test_read_request_line_over_max_line(self) -> None:
        data = b"GET / HTTP/1.1\r\nX: " + b"y" * MAX_LINE + b"\r\n\r\n"
        with pytest.raises(SecurityError, match="line longer than 8192 bytes"):
            await read_request(stream_with(data))

    @async_test
    async def test_read_request_line_over_stream_limit(self) -> None:
        data = b"GET / HTTP/1.1\r\nX: " + b"y" * 2000 + b"\r\n\r\n"
        with pytest.raises(SecurityError, match="line longer than the limit"):
            await read_request(stream_with(data, limit=1024))

    @async_test
    async def test_read_request_line_over_stream_limit_without_lf(self) -> None:
        stream = stream_with(b"GET /" + b"a" * 2000, eof=False, limit=1024)
        with pytest.raises(SecurityError, match="line longer than the limit"):
            await read_request(stream)

    @async_test
    async def test_read_request_too_many_headers(self) -> None:
        data = b"GET / HTTP/1.1\r\n" + b"X: y\r\n" * (MAX_HEADERS + 1) + b"\r\n"
        with pytest.raises(SecurityError, match="more than 256 headers"):
            await read_request(stream_with(data))


class TestReadResponse:
    @async_test
    async def test_read_response(self) -> None:
        status_code, reason, headers = await read_response(stream_with(RESPONSE))
        assert (status_code, reason) == (101, "Switching Protocols")
        assert headers["Sec-WebSocket-Accept"] == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="

    @async_test
    async def test_read_response_leaves_the_body(self) -> None:
        stream = stream_with(RESPONSE + b"\x81\x05hello", eof=False)
        await read_response(stream)
        assert await stream.readexactly(7) == b"\x81\x05hello"

    @async_test
    async def test_read_response_empty(self) -> None:
        with pytest.raises(
            EOFError, match="connection closed while reading HTTP status line"
        ):
            await read_response(stream_with(b""))

    @async_test
    async def test_read_response_malformed(self) -> None:
        with pytest.raises(ValueError, match="invalid HTTP status code: 9$"):
            await read_response(stream_with(b"HTTP/1.1 9 Nine\r\n\r\n"))

    @async_test
    async def test_read_response_bare_lf(self) -> None:
        with pytest.raises(
            ValueError, match="line ending with LF without CR in HTTP headers"
        ):
            await read_response(stream_with(b"HTTP/1.1 200 OK\r\n\n"))


# Serializers


class TestBuildRequest:
    def test_build_request(self) -> None:
        headers = Headers(
            [
                ("Host", "server.example.com"),
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
                ("Sec-WebSocket-Version", "13"),
            ]
        )
        assert build_request("/chat?x=1", headers) == REQUEST

    def test_build_request_accepts_headers_like(self) -> None:
        expected = b"GET / HTTP/1.1\r\nHost: h\r\n\r\n"
        assert build_request("/", {"Host": "h"}) == expected
        assert build_request("/", [("Host", "h")]) == expected

    def test_build_request_round_trips_surrogate_escapes(self) -> None:
        data = b"GET /caf\xe9 HTTP/1.1\r\nX: caf\xe9\r\n\r\n"
        path, headers = parse(parse_request, data)
        assert build_request(path, headers) == data

    def test_build_request_encodes_non_ascii_values_in_utf8(self) -> None:
        data = build_request("/", Headers(X="café"))
        assert data == b"GET / HTTP/1.1\r\nX: caf\xc3\xa9\r\n\r\n"

    @pytest.mark.parametrize("path", ["", "/a b", "/\r\n", "/\t", "/\x00"])
    def test_build_request_rejects_invalid_path(self, path: str) -> None:
        with pytest.raises(ValueError, match="invalid HTTP request target"):
            build_request(path, Headers())

    def test_build_request_rejects_non_ascii_path(self) -> None:
        with pytest.raises(ValueError):
            build_request("/café", Headers())

    @pytest.mark.parametrize("name", ["", "A B", "A:", "X: y", "A\r\nB", "é"])
    def test_build_request_rejects_invalid_header_name(self, name: str) -> None:
        with pytest.raises(ValueError, match="invalid HTTP header name"):
            build_request("/", Headers([(name, "x")]))

    def test_build_request_names_the_invalid_header_among_valid_ones(self) -> None:
        headers = Headers([("Host", "example.com"), ("X-Bad", "a\r\nB: c")])
        with pytest.raises(ValueError, match="invalid HTTP header value: 'a"):
            build_request("/", headers)

    @pytest.mark.parametrize("value", ["a\r\nB: c", "a\nb", "a\rb", "\x00", "\x7f"])
    def test_build_request_rejects_invalid_header_value(self, value: str) -> None:
        with pytest.raises(ValueError, match="invalid HTTP header value"):
            build_request("/", Headers(X=value))


class TestBuildResponse:
    def test_build_response(self) -> None:
        headers = Headers(
            [
                ("Upgrade", "websocket"),
                ("Connection", "Upgrade"),
                ("Sec-WebSocket-Accept", "s3pPLMBiTxaQ9kYGzzhZRbK+xOo="),
            ]
        )
        assert build_response(http.HTTPStatus.SWITCHING_PROTOCOLS, headers) == RESPONSE

    def test_build_response_with_int_and_body(self) -> None:
        data = build_response(404, [("Content-Length", "2")], b"no")
        assert data == b"HTTP/1.1 404 Not Found\r\nContent-Length: 2\r\n\r\nno"

    def test_build_response_with_unknown_status(self) -> None:
        assert build_response(599, Headers()) == b"HTTP/1.1 599 \r\n\r\n"

    def test_build_response_rejects_invalid_header(self) -> None:
        with pytest.raises(ValueError, match="invalid HTTP header value"):
            build_response(200, {"Location": "/\r\nSet-Cookie: a=b"})


def test_user_agent() -> None:
    python = f"{sys.version_info[0]}.{sys.version_info[1]}"
    assert USER_AGENT == f"Python/{python} websockets/{version}"


# Round trips

tokens = st.text(
    alphabet="!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ",
    min_size=1,
    max_size=20,
)
# field-content: visible characters with inner whitespace; OWS is stripped.
VCHARS = "".join(chr(c) for c in range(0x21, 0x7F))
values = st.builds(
    lambda first, middle: (first + middle).strip(" \t"),
    st.text(alphabet=VCHARS, max_size=1),
    st.text(alphabet=VCHARS + " \t", max_size=30),
)
paths = st.builds(lambda path: "/" + path, st.text(alphabet=VCHARS, max_size=30))
header_lists = st.lists(st.tuples(tokens, values), max_size=6)


@given(paths, header_lists)
def test_request_round_trip(path: str, items: List[Tuple[str, str]]) -> None:
    data = build_request(path, Headers(items))
    assert_parses(parse_request, data, (path, Headers(items)))
    parsed_path, headers = parse(parse_request, data)
    assert list(headers.raw_items()) == items


@given(st.integers(min_value=100, max_value=599), header_lists, st.binary(max_size=5))
def test_response_round_trip(
    status: int, items: List[Tuple[str, str]], body: bytes
) -> None:
    data = build_response(status, Headers(items), body)
    reader = LineReader(parse_response())
    buffer = bytearray(data)
    result: Optional[Tuple[int, str, Headers]] = reader.feed(buffer)
    assert result is not None
    status_code, reason, headers = result
    assert status_code == status
    assert list(headers.raw_items()) == items
    assert buffer == body


@given(header_lists)
def test_headers_serialization_round_trip(items: List[Tuple[str, str]]) -> None:
    headers = Headers(items)
    data = b"HTTP/1.1 200 OK\r\n" + str(headers).encode()
    _, _, parsed = parse(parse_response, data)
    assert list(parsed.raw_items()) == items
    assert parsed == headers
    assert str(parsed) == str(headers)
