"""Client that sends HTTP Basic Auth credentials in the URI."""

import asyncio

import websockets


async def hello() -> None:
    # Reserved characters in the credentials are percent-encoded: @ is %40.
    uri = "ws://mary:p%40ssw0rd@localhost:8765"
    async with websockets.connect(uri) as websocket:
        print(await websocket.recv())


asyncio.run(hello())
