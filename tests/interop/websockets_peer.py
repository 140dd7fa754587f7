"""
The websockets release from PyPI, a peer of tests/test_interop.py.

It runs in .venv-websockets-pypi, never in .venv: that websockets has our
import name. Its new asyncio implementation, with its defaults
(permessage-deflate on both sides). See peer_common.py for the protocol.

"""

import argparse
import http
from typing import Any, List, Optional, Tuple

import peer_common
from peer_common import MAX_SIZE, REALM, Data, Refused, Report, Session

import websockets
from websockets.asyncio.client import connect
from websockets.asyncio.server import ServerConnection, basic_auth, serve
from websockets.exceptions import ConnectionClosed, InvalidStatus


servers: List[Any] = []


class WebsocketsSession(Session):
    def __init__(self, connection: Any) -> None:
        self.connection = connection
        self.subprotocol = connection.subprotocol
        self.extensions = [ext.name for ext in connection.protocol.extensions]

    async def recv(self) -> Optional[Data]:
        try:
            message: Data = await self.connection.recv()
        except ConnectionClosed:
            return None
        return message

    async def send(self, message: Data) -> None:
        await self.connection.send(message)

    async def send_fragments(self, parts: List[Data]) -> None:
        await self.connection.send(parts)

    async def ping(self, data: bytes) -> bytes:
        # The waiter resolves on the pong that carries the same data.
        waiter = await self.connection.ping(data)
        await waiter
        return data

    async def close(self, code: int, reason: str) -> None:
        await self.connection.close(code, reason)

    async def closed(self) -> Tuple[Optional[int], Optional[str]]:
        await self.connection.wait_closed()
        return self.connection.close_code, self.connection.close_reason


async def start(options: argparse.Namespace) -> int:
    check = None
    if options.credentials is not None:
        username, _, password = options.credentials.partition(":")
        check = basic_auth(realm=REALM, credentials=(username, password))

    async def process_request(connection: ServerConnection, request: Any) -> Any:
        if not request.path.startswith("/auth"):
            return None
        if check is None:
            return connection.respond(http.HTTPStatus.FORBIDDEN, "no credentials\n")
        return await check(connection, request)

    def select_subprotocol(connection: ServerConnection, offered: Any) -> Any:
        # The default refuses clients that offer no subprotocol it supports.
        return peer_common.select(list(offered), options.subprotocols)

    async def handler(connection: ServerConnection) -> None:
        path = connection.request.path
        session = WebsocketsSession(connection)
        report = await peer_common.run_scenario(session, peer_common.mode_of(path))
        peer_common.emit({"event": "closed", "path": path, **report})

    server = await serve(
        handler,
        "127.0.0.1",
        0,
        subprotocols=options.subprotocols or None,
        select_subprotocol=select_subprotocol,
        process_request=process_request,
        max_size=MAX_SIZE,
    )
    servers.append(server)
    port: int = server.sockets[0].getsockname()[1]
    return port


async def run_client(uri: str, subprotocols: List[str], mode: str) -> Report:
    try:
        async with connect(
            uri, subprotocols=subprotocols or None, max_size=MAX_SIZE
        ) as connection:
            report = await peer_common.run_scenario(WebsocketsSession(connection), mode)
    except InvalidStatus as exc:
        raise Refused(exc.response.status_code) from exc
    return {"status": 101, **report}


if __name__ == "__main__":
    about = {
        "library": f"websockets {websockets.__version__}",
        "module": websockets.__file__,
    }
    peer_common.main(start, run_client, about)
