"""Echo server: send every message back to its sender."""

import asyncio

import websockets


async def echo(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    # The iteration ends when the client closes the connection.
    async for message in websocket:
        await websocket.send(message)


async def main() -> None:
    async with websockets.serve(echo, "localhost", 8765):
        await asyncio.Future()  # run forever


asyncio.run(main())
