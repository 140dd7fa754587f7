"""Hello client for the server on a Unix socket in unix_server.py."""

import asyncio
import pathlib

import websockets


async def hello() -> None:
    name = input("What's your name? ")
    socket_path = pathlib.Path(__file__).with_name("hello.sock")
    async with websockets.unix_connect(str(socket_path)) as websocket:
        await websocket.send(name)
        print(await websocket.recv())


asyncio.run(hello())
