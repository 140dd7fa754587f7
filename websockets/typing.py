"""Types shared by the modules of websockets."""

from typing import List, NewType, Optional, Tuple, Union


__all__ = [
    "Data",
    "ExtensionHeader",
    "ExtensionName",
    "ExtensionParameter",
    "Origin",
    "Subprotocol",
]

Data = Union[str, bytes]
"""Types supported in a WebSocket message: str for a Text frame, bytes for Binary."""

Origin = NewType("Origin", str)
"""Value of an Origin header."""

Subprotocol = NewType("Subprotocol", str)
"""Subprotocol in a Sec-WebSocket-Protocol header."""

ExtensionName = NewType("ExtensionName", str)
"""Name of a WebSocket extension."""

ExtensionParameter = Tuple[str, Optional[str]]
"""Parameter of a WebSocket extension: name and optional value."""

ExtensionHeader = Tuple[ExtensionName, List[ExtensionParameter]]
"""Extension in a Sec-WebSocket-Extensions header: name and parameters."""

ConnectionOption = NewType("ConnectionOption", str)
"""Connection option in a Connection header."""

UpgradeProtocol = NewType("UpgradeProtocol", str)
"""Protocol in an Upgrade header."""
