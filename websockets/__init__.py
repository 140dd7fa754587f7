"""websockets: a WebSocket client and server library for Python's asyncio."""

from . import (
    auth as _auth,
    client as _client,
    exceptions as _exceptions,
    protocol as _protocol,
    server as _server,
    typing as _typing,
    uri as _uri,
)
from .auth import *  # noqa: F403
from .client import *  # noqa: F403
from .exceptions import *  # noqa: F403
from .protocol import *  # noqa: F403
from .server import *  # noqa: F403
from .typing import *  # noqa: F403
from .uri import *  # noqa: F403
from .version import version as __version__  # noqa: F401


__all__ = [
    *_auth.__all__,
    *_client.__all__,
    *_exceptions.__all__,
    *_protocol.__all__,
    *_server.__all__,
    *_typing.__all__,
    *_uri.__all__,
]
