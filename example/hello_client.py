import asyncio

import websockets


async def hello() -> None:
    name = input("What's your name? ")
    async with websockets.connect("ws://localhost:8765") as websocket:
        await websocket.send(name)
        print(await websocket.recv())


asyncio.run(hello())
