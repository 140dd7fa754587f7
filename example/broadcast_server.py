"""Server that sends the time to every connected client, every second."""

import asyncio
import datetime
from typing import Set

import websockets


CLIENTS: Set[websockets.WebSocketServerProtocol] = set()


async def register(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    CLIENTS.add(websocket)
    try:
        await websocket.wait_closed()
    finally:
        CLIENTS.remove(websocket)


async def show_time() -> None:
    while True:
        now = datetime.datetime.now(datetime.timezone.utc)
        # Write the message to every connection without waiting for any.
        websockets.broadcast(CLIENTS, now.isoformat(timespec="seconds"))
        await asyncio.sleep(1)


async def main() -> None:
    async with websockets.serve(register, "localhost", 8765):
        await show_time()


asyncio.run(main())
