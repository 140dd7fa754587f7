import asyncio

import websockets


async def hello(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    name = await websocket.recv()
    await websocket.send(f"Hello {name}!")


async def main() -> None:
    async with websockets.serve(hello, "localhost", 8765):
        await asyncio.Future()  # run forever


asyncio.run(main())
