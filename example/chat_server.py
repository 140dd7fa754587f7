"""Chat server: each client sends its name, then messages for everyone else."""

import asyncio
from typing import Set

import websockets


# Seconds a client has to send its name.
NAME_TIMEOUT = 10


class ChatRoom:
    """The state of a chat room; each server, or each test, has its own."""

    def __init__(self) -> None:
        self.clients: Set[websockets.WebSocketServerProtocol] = set()

    def announce(self, message: str) -> None:
        websockets.broadcast(self.clients, message)

    async def handler(
        self, websocket: websockets.WebSocketServerProtocol, path: str
    ) -> None:
        try:
            name = await asyncio.wait_for(websocket.recv(), NAME_TIMEOUT)
        except asyncio.TimeoutError:
            await websocket.close(1008, "name expected")
            return
        self.announce(f"{name} joined")
        self.clients.add(websocket)
        try:
            async for message in websocket:
                websockets.broadcast(self.clients - {websocket}, f"{name}: {message}")
        except websockets.ConnectionClosedError:
            pass  # the connection broke: the client left all the same
        finally:
            self.clients.remove(websocket)
            self.announce(f"{name} left")


async def main() -> None:
    async with websockets.serve(ChatRoom().handler, "localhost", 8765):
        await asyncio.Future()  # run forever


if __name__ == "__main__":
    asyncio.run(main())
