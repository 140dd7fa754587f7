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


async def send(websocket: websockets.WebSocketServerProtocol, message: str) -> None:
    try:
        await websocket.send(message)
    except websockets.ConnectionClosed:
        pass  # the client is gone; register() forgets it


async def broadcast(message: str) -> None:
    # Send concurrently, so that a slow client doesn't delay the others.
    await asyncio.gather(*[send(websocket, message) for websocket in CLIENTS])


async def show_time() -> None:
    while True:
        now = datetime.datetime.now(datetime.timezone.utc)
        await broadcast(now.isoformat(timespec="seconds"))
        await asyncio.sleep(1)


async def main() -> None:
    async with websockets.serve(register, "localhost", 8765):
        await show_time()


asyncio.run(main())
