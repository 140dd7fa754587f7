"""websockets: a WebSocket client and server library for Python's asyncio."""

from .exceptions import *  # noqa: F403
from .typing import *  # noqa: F403
from .version import version as __version__  # noqa: F401


__all__ = [
    *exceptions.__all__,  # noqa: F405
    *typing.__all__,  # noqa: F405
]
