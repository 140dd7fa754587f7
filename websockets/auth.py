"""
HTTP Basic Authentication for servers (RFC 7235, RFC 7617).

:func:`basic_auth_protocol_factory` builds a ``create_protocol`` argument for
:func:`~websockets.server.serve` that refuses the opening handshake with
401 Unauthorized unless the request carries valid credentials.

"""

import functools
import http
from typing import (
    Any,
    Awaitable,
    Callable,
    Iterable,
    Optional,
    Type,
    Union,
)

from .exceptions import InvalidHeader
from .headers import build_www_authenticate_basic, parse_authorization_basic
from .http import Headers, MultipleValuesError
from .sansio import (  # is_credentials: 8.x code imports it from here
    Credentials,
    credentials_checker,
    is_credentials,  # noqa: F401
)
from .server import HTTPResponse, WebSocketServerProtocol


__all__ = ["BasicAuthWebSocketServerProtocol", "basic_auth_protocol_factory"]


class BasicAuthWebSocketServerProtocol(WebSocketServerProtocol):
    """
    WebSocket server protocol that enforces HTTP Basic Auth.

    Args:
        realm: scope of protection, sent in the challenge.
        check_credentials: coroutine taking a username and a password and
            returning whether they're authorized.

    """

    realm = ""

    def __init__(
        self,
        *args: Any,
        realm: str,
        check_credentials: Callable[[str, str], Awaitable[bool]],
        **kwargs: Any,
    ) -> None:
        self.realm = realm
        self.check_credentials = check_credentials
        self.username: Optional[str] = None
        super().__init__(*args, **kwargs)

    def challenge(self, body: bytes) -> HTTPResponse:
        """Build a 401 Unauthorized response with a Basic challenge."""
        return (
            http.HTTPStatus.UNAUTHORIZED,
            [
                ("WWW-Authenticate", build_www_authenticate_basic(self.realm)),
                ("Content-Type", "text/plain; charset=utf-8"),
            ],
            body,
        )

    async def process_request(
        self, path: str, request_headers: Headers
    ) -> Optional[HTTPResponse]:
        """
        Check HTTP Basic Auth and return a 401 response if needed.

        Missing, malformed, unsupported or invalid credentials get 401 with
        the challenge; several Authorization headers get 400.

        If authentication succeeds, the username of the authenticated user is
        stored in the :attr:`username` attribute, then the request goes on to
        :meth:`~websockets.server.WebSocketServerProtocol.process_request`.

        """
        try:
            authorization = request_headers["Authorization"]
        except KeyError:
            return self.challenge(b"Missing credentials\n")
        except MultipleValuesError:
            return (
                http.HTTPStatus.BAD_REQUEST,
                [("Content-Type", "text/plain; charset=utf-8")],
                b"More than one Authorization header\n",
            )

        try:
            username, password = parse_authorization_basic(authorization)
        except InvalidHeader:
            # Malformed or not Basic: challenge the client, as for missing
            # credentials, so that it can retry with valid ones (as in 8.x).
            return self.challenge(b"Unsupported credentials\n")

        if not await self.check_credentials(username, password):
            return self.challenge(b"Invalid credentials\n")

        self.username = username
        return await super().process_request(path, request_headers)


def basic_auth_protocol_factory(
    realm: str,
    credentials: Optional[Union[Credentials, Iterable[Credentials]]] = None,
    check_credentials: Optional[Callable[[str, str], Awaitable[bool]]] = None,
    create_protocol: Optional[Type[BasicAuthWebSocketServerProtocol]] = None,
) -> Callable[..., BasicAuthWebSocketServerProtocol]:
    """
    Protocol factory that enforces HTTP Basic Auth, for ``serve(create_protocol=...)``.

    Args:
        realm: scope of protection; ASCII only (RFC 7235 2.2).
        credentials: a ``(username, password)`` pair or a list of them.
        check_credentials: coroutine taking a username and a password and
            returning whether they're authorized.
        create_protocol: protocol class, by default
            :class:`BasicAuthWebSocketServerProtocol`.

    Exactly one of ``credentials`` and ``check_credentials`` must be given.

    Raises:
        TypeError: if both or neither are given, or ``credentials`` has the
            wrong type.

    """
    if (credentials is None) == (check_credentials is None):
        raise TypeError("provide either credentials or check_credentials")

    if credentials is not None:
        check = credentials_checker(credentials)

        async def check_credentials(username: str, password: str) -> bool:
            return check(username, password)

    if create_protocol is None:
        create_protocol = BasicAuthWebSocketServerProtocol
    assert check_credentials is not None

    return functools.partial(
        create_protocol, realm=realm, check_credentials=check_credentials
    )
