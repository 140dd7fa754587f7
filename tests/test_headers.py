import base64
from typing import Callable, List, Tuple

import pytest
from hypothesis import given, strategies as st

from websockets import headers as headers_module
from websockets.exceptions import InvalidHeaderFormat, InvalidHeaderValue
from websockets.headers import (
    build_authorization_basic,
    build_extension,
    build_extension_list,
    build_quoted_string,
    build_subprotocol,
    build_subprotocol_list,
    build_www_authenticate_basic,
    parse_authorization_basic,
    parse_connection,
    parse_extension,
    parse_extension_list,
    parse_OWS,
    parse_quoted_string,
    parse_subprotocol,
    parse_subprotocol_list,
    parse_token,
    parse_upgrade,
    peek_ahead,
)
from websockets.typing import ExtensionHeader, ExtensionName, Subprotocol


TCHARS = "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


# Building blocks


def test_peek_ahead() -> None:
    assert peek_ahead("ab", 1) == "b"
    assert peek_ahead("ab", 2) is None


def test_parse_OWS() -> None:
    assert parse_OWS("a \t b", 1) == 4
    assert parse_OWS("ab", 1) == 1
    assert parse_OWS("a", 1) == 1


def test_parse_token() -> None:
    assert parse_token("a, b", 3, "X") == ("b", 4)
    with pytest.raises(InvalidHeaderFormat) as raised:
        parse_token("a, b", 1, "X")
    exc = raised.value
    assert (exc.name, exc.error, exc.header, exc.pos) == (
        "X",
        "expected token",
        "a, b",
        1,
    )
    assert str(exc) == "invalid X header: expected token at 1 in a, b"


@pytest.mark.parametrize(
    "header, value, pos",
    [
        ('"" x', "", 2),
        ('"a b" x', "a b", 5),
        (r'"a\"b\\c"', 'a"b\\c', 9),
        ('"\tcafé"', "\tcafé", 7),
    ],
)
def test_parse_quoted_string(header: str, value: str, pos: int) -> None:
    assert parse_quoted_string(header, 0, "X") == (value, pos)


@pytest.mark.parametrize("header", ['"a', "a", '"a\x00"', '"a\\', '"\n"'])
def test_parse_quoted_string_rejects_invalid_input(header: str) -> None:
    with pytest.raises(InvalidHeaderFormat, match="expected quoted string at 0"):
        parse_quoted_string(header, 0, "X")


def test_build_quoted_string() -> None:
    assert build_quoted_string('a "b" \\c') == r'"a \"b\" \\c"'
    assert build_quoted_string("") == '""'


@pytest.mark.parametrize("value", ["\r", "\n", "\x00", "\x7f"])
def test_build_quoted_string_rejects_control_characters(value: str) -> None:
    with pytest.raises(ValueError, match="invalid characters for quoted-string"):
        build_quoted_string(value)


# Connection


@pytest.mark.parametrize(
    "header, options",
    [
        ("Upgrade", ["Upgrade"]),
        ("keep-alive, Upgrade", ["keep-alive", "Upgrade"]),
        ("keep-alive,Upgrade", ["keep-alive", "Upgrade"]),
        (" a \t,\t b ", ["a", "b"]),
        # RFC 7230 7: empty list elements are ignored.
        (",a,,b,", ["a", "b"]),
        (", , a , , b , ,", ["a", "b"]),
    ],
)
def test_parse_connection(header: str, options: List[str]) -> None:
    assert parse_connection(header) == options


@pytest.mark.parametrize(
    "header, error",
    [
        ("", "expected token at 0 in "),
        (",", "expected token at 1 in ,"),
        (" , ,", "expected token at 4 in  , ,"),
        ("a b", "expected comma at 2 in a b"),
        ("a,/", "expected token at 2 in a,/"),
        ('"a"', 'expected token at 0 in "a"'),
    ],
)
def test_parse_connection_rejects_invalid_header(header: str, error: str) -> None:
    with pytest.raises(
        InvalidHeaderFormat, match=f"^invalid Connection header: {error}$"
    ):
        parse_connection(header)


# Upgrade


@pytest.mark.parametrize(
    "header, protocols",
    [
        ("websocket", ["websocket"]),
        ("WebSocket", ["WebSocket"]),
        (
            "HTTP/2.0, SHTTP/1.3, IRC/6.9, RTA/x11",
            ["HTTP/2.0", "SHTTP/1.3", "IRC/6.9", "RTA/x11"],
        ),
        (", websocket ,", ["websocket"]),
    ],
)
def test_parse_upgrade(header: str, protocols: List[str]) -> None:
    assert parse_upgrade(header) == protocols


@pytest.mark.parametrize(
    "header, error",
    [
        ("", "expected protocol at 0 in "),
        ("/1.0", "expected protocol at 0 in /1.0"),
        ("websocket/", "expected comma at 9 in websocket/"),
        ("a/b/c", "expected comma at 3 in a/b/c"),
        ("a / b", "expected comma at 2 in a / b"),
    ],
)
def test_parse_upgrade_rejects_invalid_header(header: str, error: str) -> None:
    with pytest.raises(InvalidHeaderFormat, match=f"^invalid Upgrade header: {error}$"):
        parse_upgrade(header)


# Sec-WebSocket-Extensions


@pytest.mark.parametrize(
    "header, extensions",
    [
        ("foo", [("foo", [])]),
        ("foo, bar", [("foo", []), ("bar", [])]),
        (
            "permessage-deflate; client_max_window_bits",
            [("permessage-deflate", [("client_max_window_bits", None)])],
        ),
        (
            "permessage-deflate; client_max_window_bits=10",
            [("permessage-deflate", [("client_max_window_bits", "10")])],
        ),
        # RFC 6455 9.1: a quoted-string whose content is a token.
        (
            'permessage-deflate; client_max_window_bits="10"',
            [("permessage-deflate", [("client_max_window_bits", "10")])],
        ),
        (
            r'foo; a="\b"',
            [("foo", [("a", "b")])],
        ),
        (
            "foo ;a = 1\t; b ,bar;c;d=x , baz",
            [
                ("foo", [("a", "1"), ("b", None)]),
                ("bar", [("c", None), ("d", "x")]),
                ("baz", []),
            ],
        ),
        (
            # RFC 7692 5.2.2 example.
            "permessage-deflate; client_max_window_bits; server_max_window_bits=10, "
            "permessage-deflate; client_max_window_bits",
            [
                (
                    "permessage-deflate",
                    [
                        ("client_max_window_bits", None),
                        ("server_max_window_bits", "10"),
                    ],
                ),
                ("permessage-deflate", [("client_max_window_bits", None)]),
            ],
        ),
    ],
)
def test_parse_extension(header: str, extensions: List[ExtensionHeader]) -> None:
    assert parse_extension(header) == extensions
    # Again, from the cache of parsed headers.
    assert parse_extension(header) == extensions


def test_parse_extension_returns_copies() -> None:
    header = "permessage-deflate; client_max_window_bits"
    parsed = parse_extension(header)
    parsed[0][1].append(("server_no_context_takeover", None))
    parsed.append((ExtensionName("x-other"), []))
    assert parse_extension(header) == [
        ("permessage-deflate", [("client_max_window_bits", None)])
    ]


def test_parse_extension_cache_is_bounded() -> None:
    for i in range(200):
        assert parse_extension(f"x-{i}") == [(f"x-{i}", [])]
    long_header = "x-long; " + "; ".join(f"p{i}" for i in range(100))
    assert len(parse_extension(long_header)[0][1]) == 100
    assert len(headers_module._parsed_extensions) <= 64
    assert long_header not in headers_module._parsed_extensions


@pytest.mark.parametrize(
    "header, error",
    [
        ("", "expected token at 0 in "),
        (";a", "expected token at 0 in ;a"),
        ("foo;", "expected token at 4 in foo;"),
        ("foo; =1", "expected token at 5 in foo; =1"),
        ("foo; a=", "expected token at 7 in foo; a="),
        ("foo; a=/", "expected token at 7 in foo; a=/"),
        ('foo; a="b', 'expected quoted string at 7 in foo; a="b'),
        ('foo; a="b c"', 'invalid quoted header content at 7 in foo; a="b c"'),
        ('foo; a=""', 'invalid quoted header content at 7 in foo; a=""'),
        ("foo bar", "expected comma at 4 in foo bar"),
        ("foo; a b", "expected comma at 7 in foo; a b"),
        ("foo; a=1 2", "expected comma at 9 in foo; a=1 2"),
    ],
)
def test_parse_extension_rejects_invalid_header(header: str, error: str) -> None:
    with pytest.raises(
        InvalidHeaderFormat, match=f"^invalid Sec-WebSocket-Extensions header: {error}$"
    ):
        parse_extension(header)


@pytest.mark.parametrize(
    "extensions, header",
    [
        ([], ""),
        ([(ExtensionName("foo"), [])], "foo"),
        (
            [
                (
                    ExtensionName("permessage-deflate"),
                    [("client_max_window_bits", None)],
                ),
                (ExtensionName("foo"), [("a", "1"), ("b", None)]),
            ],
            "permessage-deflate; client_max_window_bits, foo; a=1; b",
        ),
    ],
)
def test_build_extension(extensions: List[ExtensionHeader], header: str) -> None:
    assert build_extension(extensions) == header


@pytest.mark.parametrize(
    "extensions, error",
    [
        ([(ExtensionName("fo o"), [])], "invalid extension name: 'fo o'"),
        (
            [(ExtensionName("foo"), [("a,b", None)])],
            "invalid extension parameter name: 'a,b'",
        ),
        (
            [(ExtensionName("foo"), [("a", "")])],
            "invalid extension parameter value: ''",
        ),
        (
            [(ExtensionName("foo"), [("a", "1\r\n")])],
            "invalid extension parameter value",
        ),
    ],
)
def test_build_extension_rejects_non_tokens(
    extensions: List[ExtensionHeader], error: str
) -> None:
    with pytest.raises(ValueError, match=error):
        build_extension(extensions)


def test_extension_aliases() -> None:
    assert parse_extension_list is parse_extension
    assert build_extension_list is build_extension


# Sec-WebSocket-Protocol


@pytest.mark.parametrize(
    "header, protocols",
    [
        ("chat", ["chat"]),
        ("chat, superchat", ["chat", "superchat"]),
        ("chat,superchat ,", ["chat", "superchat"]),
    ],
)
def test_parse_subprotocol(header: str, protocols: List[str]) -> None:
    assert parse_subprotocol(header) == protocols


@pytest.mark.parametrize(
    "header, error",
    [
        ("", "expected token at 0 in "),
        ("chat/1", "expected comma at 4 in chat/1"),
        ("chat superchat", "expected comma at 5 in chat superchat"),
    ],
)
def test_parse_subprotocol_rejects_invalid_header(header: str, error: str) -> None:
    with pytest.raises(
        InvalidHeaderFormat, match=f"^invalid Sec-WebSocket-Protocol header: {error}$"
    ):
        parse_subprotocol(header)


def test_build_subprotocol() -> None:
    assert build_subprotocol([Subprotocol("chat")]) == "chat"
    assert build_subprotocol([Subprotocol("chat"), Subprotocol("v2.x")]) == "chat, v2.x"
    assert build_subprotocol([]) == ""


@pytest.mark.parametrize("protocol", ["", "a b", "a,b", "chat\r\nX: y"])
def test_build_subprotocol_rejects_non_tokens(protocol: str) -> None:
    with pytest.raises(ValueError, match="invalid subprotocol"):
        build_subprotocol([Subprotocol(protocol)])


def test_subprotocol_aliases() -> None:
    assert parse_subprotocol_list is parse_subprotocol
    assert build_subprotocol_list is build_subprotocol


# HTTP Basic Auth


@pytest.mark.parametrize(
    "realm, header",
    [
        # RFC 7617 2.1 example.
        ("foo", 'Basic realm="foo", charset="UTF-8"'),
        ("my dev server", 'Basic realm="my dev server", charset="UTF-8"'),
        ('say "hi" \\o/', r'Basic realm="say \"hi\" \\o/", charset="UTF-8"'),
    ],
)
def test_build_www_authenticate_basic(realm: str, header: str) -> None:
    assert build_www_authenticate_basic(realm) == header


def test_build_www_authenticate_basic_rejects_control_characters() -> None:
    with pytest.raises(ValueError, match="invalid characters for quoted-string"):
        build_www_authenticate_basic("a\r\nSet-Cookie: b")


@pytest.mark.parametrize(
    "header, credentials",
    [
        # RFC 7617 2 example.
        ("Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ("Aladdin", "open sesame")),
        ("basic QWxhZGRpbjpvcGVuIHNlc2FtZQ==", ("Aladdin", "open sesame")),
        ("BASIC   QWxhZGRpbjpvcGVuIHNlc2FtZQ== ", ("Aladdin", "open sesame")),
        # RFC 7617 2.1 example, in UTF-8.
        ("Basic dGVzdDoxMjPCow==", ("test", "123£")),
        # The password may contain colons, the username and password be empty.
        ("Basic YTpiOmM=", ("a", "b:c")),
        ("Basic Og==", ("", "")),
    ],
)
def test_parse_authorization_basic(header: str, credentials: Tuple[str, str]) -> None:
    assert parse_authorization_basic(header) == credentials


@pytest.mark.parametrize(
    "header, error",
    [
        ("", "expected token at 0 in "),
        (" Basic Og==", "expected token at 0 in  Basic Og=="),
        ("Basic", "expected space after scheme at 5 in Basic"),
        ("Basic\tOg==", "expected space after scheme at 5 in Basic\tOg=="),
        ("Basic ", "expected token68 at 6 in Basic "),
        ("Basic !Og==", "expected token68 at 6 in Basic !Og=="),
        ("Basic Og== x", "trailing data at 11 in Basic Og== x"),
        ("Basic Og==,", "trailing data at 10 in Basic Og==,"),
        ("Basic O=g=", "trailing data at 8 in Basic O=g="),
    ],
)
def test_parse_authorization_basic_rejects_invalid_format(
    header: str, error: str
) -> None:
    with pytest.raises(
        InvalidHeaderFormat, match=f"^invalid Authorization header: {error}$"
    ):
        parse_authorization_basic(header)


@pytest.mark.parametrize(
    "header, error",
    [
        ("Bearer xyz", "unsupported scheme: Bearer"),
        ("Digest username=x", "unsupported scheme: Digest"),
        ("Basic YWJj", "expected username:password credentials"),
        ("Basic Og", "expected base64-encoded credentials"),
        ("Basic O-g_", "expected base64-encoded credentials"),
        (
            "Basic " + base64.b64encode(b"\xff:\xfe").decode(),
            "expected UTF-8 credentials",
        ),
    ],
)
def test_parse_authorization_basic_rejects_invalid_value(
    header: str, error: str
) -> None:
    with pytest.raises(
        InvalidHeaderValue, match=f"^invalid Authorization header: {error}$"
    ):
        parse_authorization_basic(header)


def test_build_authorization_basic() -> None:
    assert build_authorization_basic("Aladdin", "open sesame") == (
        "Basic QWxhZGRpbjpvcGVuIHNlc2FtZQ=="
    )
    assert build_authorization_basic("test", "123£") == "Basic dGVzdDoxMjPCow=="


def test_build_authorization_basic_rejects_colon_in_username() -> None:
    with pytest.raises(ValueError, match="username contains a colon: 'a:b'"):
        build_authorization_basic("a:b", "c")


# Round trips

tokens = st.text(alphabet=TCHARS, min_size=1, max_size=10)
# Text without surrogates, which can't be encoded.
texts = st.text(st.characters(codec="utf-8"), max_size=20)
parameters = st.lists(st.tuples(tokens, st.one_of(st.none(), tokens)), max_size=3)
extension_lists = st.lists(
    st.tuples(tokens.map(ExtensionName), parameters), min_size=1, max_size=4
)


@given(extension_lists)
def test_extension_round_trip(extensions: List[ExtensionHeader]) -> None:
    assert parse_extension(build_extension(extensions)) == extensions


@given(st.lists(tokens.map(Subprotocol), min_size=1, max_size=5))
def test_subprotocol_round_trip(protocols: List[Subprotocol]) -> None:
    assert parse_subprotocol(build_subprotocol(protocols)) == protocols


@given(texts.filter(lambda username: ":" not in username), texts)
def test_authorization_basic_round_trip(username: str, password: str) -> None:
    header = build_authorization_basic(username, password)
    assert parse_authorization_basic(header) == (username, password)


# What a quoted-string can carry: HTAB, visible ASCII, SP, and obs-text.
quotables = st.characters().filter(lambda c: c == "\t" or " " <= c != "\x7f")


@given(st.text(alphabet=quotables, max_size=20))
def test_quoted_string_round_trip(value: str) -> None:
    header = build_quoted_string(value)
    assert parse_quoted_string(header, 0, "X") == (value, len(header))


# Arbitrary input

# Characters that appear in these headers, to reach deep into the parsers.
header_texts = st.text(
    alphabet=st.one_of(
        st.sampled_from('abcBasic =;,/"\\\t:+-_.~'),
        st.characters(),
    ),
    max_size=40,
)


@pytest.mark.parametrize(
    "parse",
    [
        parse_connection,
        parse_upgrade,
        parse_extension,
        parse_subprotocol,
        parse_authorization_basic,
    ],
)
@given(header=header_texts)
def test_arbitrary_text_raises_only_invalid_header(
    parse: Callable[[str], object], header: str
) -> None:
    try:
        parse(header)
    except (InvalidHeaderFormat, InvalidHeaderValue):
        pass


@given(
    st.builds(
        lambda payload: "Basic " + base64.b64encode(payload).decode(),
        st.binary(min_size=1, max_size=20),
    )
)
def test_arbitrary_basic_credentials_raise_only_invalid_header_value(
    header: str,
) -> None:
    try:
        username, password = parse_authorization_basic(header)
    except InvalidHeaderValue:
        pass
