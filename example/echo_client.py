"""Echo client: send each command-line argument, print what comes back."""

import asyncio
import sys
from typing import List

import websockets


async def main(messages: List[str]) -> None:
    async with websockets.connect("ws://localhost:8765") as websocket:
        for message in messages:
            await websocket.send(message)
            print(await websocket.recv())


asyncio.run(main(sys.argv[1:] or ["Hello world!"]))
