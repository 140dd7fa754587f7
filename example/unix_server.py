"""Hello server on a Unix socket, next to this file."""

import asyncio
import pathlib

import websockets


async def hello(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    name = await websocket.recv()
    await websocket.send(f"Hello {name}!")


async def main() -> None:
    socket_path = pathlib.Path(__file__).with_name("hello.sock")
    async with websockets.unix_serve(hello, str(socket_path)):
        await asyncio.Future()  # run forever


asyncio.run(main())
