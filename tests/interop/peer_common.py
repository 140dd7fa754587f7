"""
What the Python peers of tests/test_interop.py share: the command line, the
JSON lines they print, and the scenarios their connections run.

Every peer, the node one included, speaks the same protocol on its standard
streams, one JSON object per line.

Server: ``<peer> server [--subprotocols chat,superchat] [--credentials u:p]``
listens on 127.0.0.1, on a free port, and prints
``{"listening": PORT, "library": ..., "module": ...}``. Then, each time a
connection ends, ``{"event": "closed", "path": ..., **report}``. Paths under
``/auth`` need the credentials (HTTP Basic Auth, else 401); paths under
``/ctl`` run the control scenario, other paths the echo scenario. The server
picks the first of its subprotocols that the client offers, or none, and
stops at the end of its standard input.

Client: ``<peer> client`` prints ``{"ready": true, "library": ..., "module":
...}``, then reads commands ``{"id": ..., "uri": ..., "mode": "echo" | "ctl",
"subprotocols": [...]}`` on its standard input. For each one, it connects,
runs the scenario and prints ``{"id": ..., "status": 101, **report}``, or
``{"id": ..., "status": 401}`` when the server refuses the handshake, or
``{"id": ..., "error": "..."}``. Credentials in the URI go into an
Authorization header, as each library does it.

Scenarios. ``echo`` sends back every message as it came, text or binary, and
leaves pings to the library. ``ctl`` reads a JSON command in each text
message:

- ``{"do": "info"}``: replies ``{"subprotocol": ..., "extensions": [...]}``;
- ``{"do": "ping", "data": "..."}``: sends a ping with the data in UTF-8,
  waits for the pong and replies ``{"pong": "<its data>"}``;
- ``{"do": "send", "parts": [...], "binary": false}``: sends one message in
  fragments, one per part (binary parts are in hexadecimal);
- ``{"do": "close", "code": 4000, "reason": "..."}``: starts the closing
  handshake.

A report is what the peer saw: ``code`` and ``reason`` of the close frame it
received (``None`` when its library doesn't tell), ``subprotocol``, and
``extensions``, the names of the extensions in use.

"""

import abc
import argparse
import asyncio
import base64
import binascii
import json
import sys
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Union


Data = Union[str, bytes]
Report = Dict[str, Any]

# Large enough for the 8 MiB messages of the tests.
MAX_SIZE = 2**24

REALM = "interop"
CHALLENGE = f'Basic realm="{REALM}"'


class Refused(Exception):
    """The server refused the opening handshake with this HTTP status."""

    def __init__(self, status: int) -> None:
        super().__init__(f"HTTP {status}")
        self.status = status


class Session(abc.ABC):
    """One WebSocket connection, as each peer's library drives it."""

    subprotocol: Optional[str] = None
    extensions: List[str] = []

    @abc.abstractmethod
    async def recv(self) -> Optional[Data]:
        """Return the next message, or ``None`` once the connection is closed."""

    @abc.abstractmethod
    async def send(self, message: Data) -> None:
        """Send a message."""

    @abc.abstractmethod
    async def send_fragments(self, parts: List[Data]) -> None:
        """Send one message in fragments, one per part."""

    @abc.abstractmethod
    async def ping(self, data: bytes) -> bytes:
        """Send a ping and return the data of the pong that answers it."""

    @abc.abstractmethod
    async def close(self, code: int, reason: str) -> None:
        """Start the closing handshake."""

    @abc.abstractmethod
    async def closed(self) -> Tuple[Optional[int], Optional[str]]:
        """Wait until the connection is closed; return the code and reason received."""


def emit(obj: Dict[str, Any]) -> None:
    """Print a JSON line for the test."""
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


def authorized(header: Optional[str], credentials: Optional[str]) -> bool:
    """Tell whether an Authorization header carries ``user:password``."""
    if header is None or credentials is None:
        return False
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "basic":
        return False
    try:
        return base64.b64decode(token.strip(), validate=True) == credentials.encode()
    except binascii.Error:
        return False


def mode_of(path: str) -> str:
    """Return the scenario that a server runs for a request path."""
    return "ctl" if path.startswith("/ctl") else "echo"


def select(offered: List[str], supported: List[str]) -> Optional[str]:
    """Pick the first subprotocol that the server supports and the client offers."""
    for subprotocol in supported:
        if subprotocol in offered:
            return subprotocol
    return None


async def run_scenario(session: Session, mode: str) -> Report:
    """Run a connection's scenario until it's closed and return the report."""
    while True:
        message = await session.recv()
        if message is None:
            break
        if mode == "echo":
            await session.send(message)
            continue
        command = json.loads(message)
        action = command["do"]
        if action == "info":
            info = {
                "subprotocol": session.subprotocol,
                "extensions": session.extensions,
            }
            await session.send(json.dumps(info))
        elif action == "ping":
            pong = await session.ping(command["data"].encode())
            await session.send(json.dumps({"pong": pong.decode()}))
        elif action == "send":
            parts: List[Data] = list(command["parts"])
            if command["binary"]:
                parts = [bytes.fromhex(part) for part in command["parts"]]
            await session.send_fragments(parts)
        elif action == "close":
            await session.close(command["code"], command["reason"])
        else:
            raise ValueError(f"unknown command: {action}")
    code, reason = await session.closed()
    return {
        "code": code,
        "reason": reason,
        "subprotocol": session.subprotocol,
        "extensions": session.extensions,
    }


async def read_line() -> str:
    """Read a line from the standard input without blocking the loop."""
    return await asyncio.get_running_loop().run_in_executor(None, sys.stdin.readline)


Serve = Callable[[argparse.Namespace], Awaitable[int]]
Connect = Callable[[str, List[str], str], Awaitable[Report]]


async def serve_until_eof(
    serve: Serve, options: argparse.Namespace, about: Report
) -> None:
    """Start the server, print its port and run until the end of stdin."""
    port = await serve(options)
    emit({"listening": port, **about})
    while await read_line():
        pass


async def connect_per_line(connect: Connect, about: Report) -> None:
    """Run one client connection per command read on stdin."""
    emit({"ready": True, **about})
    while True:
        line = await read_line()
        if not line:
            break
        command = json.loads(line)
        try:
            result = await asyncio.wait_for(
                connect(command["uri"], command["subprotocols"], command["mode"]), 30
            )
        except Refused as exc:
            result = {"status": exc.status}
        except Exception as exc:
            result = {"error": f"{type(exc).__name__}: {exc}"}
        emit({"id": command["id"], **result})


def main(serve: Serve, connect: Connect, about: Report) -> None:
    """Parse the command line and run the server or the client."""
    parser = argparse.ArgumentParser()
    parser.add_argument("role", choices=["server", "client"])
    parser.add_argument("--subprotocols", default="")
    parser.add_argument("--credentials", default=None)
    options = parser.parse_args()
    options.subprotocols = [name for name in options.subprotocols.split(",") if name]
    if options.role == "server":
        asyncio.run(serve_until_eof(serve, options, about))
    else:
        asyncio.run(connect_per_line(connect, about))
