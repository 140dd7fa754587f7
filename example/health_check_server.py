"""Server that answers health checks on /healthz with HTTP 200 OK."""

import asyncio
import http
from typing import List, Optional, Tuple

import websockets
from websockets.http import Headers


HTTPResponse = Tuple[http.HTTPStatus, List[Tuple[str, str]], bytes]


async def health_check(path: str, request_headers: Headers) -> Optional[HTTPResponse]:
    if path == "/healthz":
        return http.HTTPStatus.OK, [("Content-Type", "text/plain")], b"OK\n"
    return None  # go on with the WebSocket handshake


async def echo(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    async for message in websocket:
        await websocket.send(message)


async def main() -> None:
    async with websockets.serve(echo, "localhost", 8765, process_request=health_check):
        await asyncio.Future()  # run forever


asyncio.run(main())
