import re

import pytest

from websockets.exceptions import InvalidURI
from websockets.uri import WebSocketURI, parse_uri


@pytest.mark.parametrize(
    "uri, parsed",
    [
        ("ws://localhost/", (False, "localhost", 80, "/", None)),
        ("wss://localhost/", (True, "localhost", 443, "/", None)),
        ("ws://localhost", (False, "localhost", 80, "/", None)),
        ("ws://localhost:8080/", (False, "localhost", 8080, "/", None)),
        ("wss://localhost:80/", (True, "localhost", 80, "/", None)),
        ("WSS://Example.COM/Path", (True, "example.com", 443, "/Path", None)),
        ("ws://localhost/path?query", (False, "localhost", 80, "/path?query", None)),
        ("ws://localhost?query", (False, "localhost", 80, "/?query", None)),
        (
            "ws://localhost/a/b?c=d&e=%20",
            (False, "localhost", 80, "/a/b?c=d&e=%20", None),
        ),
        ("ws://localhost/?", (False, "localhost", 80, "/", None)),
        ("ws://127.0.0.1:8765/", (False, "127.0.0.1", 8765, "/", None)),
        ("ws://[::1]:8080/", (False, "::1", 8080, "/", None)),
        ("wss://[2001:DB8::1]/", (True, "2001:db8::1", 443, "/", None)),
        ("ws://user:pass@localhost/", (False, "localhost", 80, "/", ("user", "pass"))),
        ("ws://user:@localhost/", (False, "localhost", 80, "/", ("user", ""))),
        (
            "ws://us%3Aer:p%40ss@localhost/",
            (False, "localhost", 80, "/", ("us:er", "p@ss")),
        ),
        ("ws://%C3%A9:%E2%82%AC@localhost/", (False, "localhost", 80, "/", ("é", "€"))),
    ],
)
def test_parse_uri(uri: str, parsed: WebSocketURI) -> None:
    assert parse_uri(uri) == parsed


def test_parse_uri_returns_named_tuple() -> None:
    wsuri = parse_uri("wss://user:pass@example.com:8443/chat?room=1")
    assert isinstance(wsuri, WebSocketURI)
    assert wsuri.secure is True
    assert wsuri.host == "example.com"
    assert wsuri.port == 8443
    assert wsuri.resource_name == "/chat?room=1"
    assert wsuri.user_info == ("user", "pass")


@pytest.mark.parametrize(
    "uri, resource_name",
    [
        # RFC 3987 3.1: IRI to URI, in UTF-8.
        ("ws://localhost/café", "/caf%C3%A9"),
        ("ws://localhost/?q=ü", "/?q=%C3%BC"),
        ("ws://localhost/a b?c d", "/a%20b?c%20d"),
        ('ws://localhost/<a>"{|}', "/%3Ca%3E%22%7B%7C%7D"),
        # What's already percent-encoded or allowed stays as it is.
        ("ws://localhost/%C3%A9", "/%C3%A9"),
        ("ws://localhost/a;b=c,d:e@f!$&'()*+-._~", "/a;b=c,d:e@f!$&'()*+-._~"),
        ("ws://localhost/p?a=/?:@", "/p?a=/?:@"),
    ],
)
def test_parse_uri_percent_encodes_path_and_query(uri: str, resource_name: str) -> None:
    wsuri = parse_uri(uri)
    assert wsuri.resource_name == resource_name
    assert wsuri.resource_name.isascii()


def test_parse_uri_encodes_non_ascii_host_with_idna() -> None:
    assert parse_uri("ws://Bücher.example/").host == "xn--bcher-kva.example"


@pytest.mark.parametrize(
    "uri, message",
    [
        ("http://localhost/", "scheme isn't ws or wss"),
        ("https://localhost/", "scheme isn't ws or wss"),
        ("localhost/", "scheme isn't ws or wss"),
        ("ws:/localhost/", "hostname isn't provided"),
        ("ws:///path", "hostname isn't provided"),
        ("ws://:8080/", "hostname isn't provided"),
        ("ws://localhost/#fragment", "fragment identifiers aren't allowed"),
        ("ws://localhost/#", "fragment identifiers aren't allowed"),
        ("ws://localhost:99999/", "port out of range 0-65535"),
        ("ws://localhost:http/", "port could not be cast to integer value"),
        ("ws://[::1/", "invalid IPv6 URL"),
        ("ws://user@localhost/", "username without password"),
        # Bytes outside ASCII, e.g. from a Location header, as surrogate escapes.
        ("ws://caf\udcc3:pass@localhost/", "user info isn't valid UTF-8"),
        ("ws://user:p\udcff@localhost/", "user info isn't valid UTF-8"),
        ("ws://local host/", "hostname contains invalid characters"),
        ("ws://local<host>/", "hostname contains invalid characters"),
        ("ws://a..é/", "hostname isn't valid IDNA"),
    ],
)
def test_parse_uri_rejects_invalid_uri(uri: str, message: str) -> None:
    with pytest.raises(
        InvalidURI, match=f"^{re.escape(uri)} isn't a valid URI: {message}"
    ) as raised:
        parse_uri(uri)
    assert raised.value.uri == uri
