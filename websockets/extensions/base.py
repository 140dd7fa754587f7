"""
Interfaces of WebSocket extensions (RFC 6455 9).

An extension factory takes part in the opening handshake: a client factory
offers parameters and accepts the server's answer; a server factory answers an
offer. Both produce an :class:`Extension`, which transforms frames during the
data transfer phase: ``encode()`` on the way out, ``decode()`` on the way in.

"""

from typing import List, Optional, Sequence, Tuple

from ..framing import Frame
from ..typing import ExtensionName, ExtensionParameter


__all__ = ["ClientExtensionFactory", "Extension", "ServerExtensionFactory"]


class Extension:
    """Base class for extensions: transforms frames once negotiated."""

    name: ExtensionName
    """Extension identifier."""

    def decode(self, frame: Frame, *, max_size: Optional[int] = None) -> Frame:
        """
        Decode an incoming frame.

        Args:
            frame: incoming frame.
            max_size: maximum payload size in bytes, applied to the decoded
                payload: decoding stops as soon as it would produce more.

        Raises:
            PayloadTooBig: if decoding the payload exceeds ``max_size``.

        """
        raise NotImplementedError

    def encode(self, frame: Frame) -> Frame:
        """Encode an outgoing frame."""
        raise NotImplementedError


class ClientExtensionFactory:
    """Base class for client-side extension factories."""

    name: ExtensionName
    """Extension identifier."""

    def get_request_params(self) -> List[ExtensionParameter]:
        """Build the parameters to send in the client's offer."""
        raise NotImplementedError

    def process_response_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Extension:
        """
        Process the parameters the server accepted and build an extension.

        Args:
            params: parameters received from the server for this extension.
            accepted_extensions: extensions already accepted, earlier in the
                server's response.

        Raises:
            NegotiationError: if the parameters aren't acceptable.

        """
        raise NotImplementedError


class ServerExtensionFactory:
    """Base class for server-side extension factories."""

    name: ExtensionName
    """Extension identifier."""

    def process_request_params(
        self,
        params: Sequence[ExtensionParameter],
        accepted_extensions: Sequence[Extension],
    ) -> Tuple[List[ExtensionParameter], Extension]:
        """
        Process the parameters of a client's offer and build an extension.

        Args:
            params: parameters offered by the client for this extension.
            accepted_extensions: extensions already accepted for this
                connection.

        Returns:
            The parameters to send in the response and the extension.

        Raises:
            NegotiationError: if the offer isn't acceptable; the server then
                tries the next offer.

        """
        raise NotImplementedError
