"""Echo server that shuts down gracefully on SIGTERM."""

import asyncio
import signal

import websockets


async def echo(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    async for message in websocket:
        await websocket.send(message)


async def main() -> None:
    # Turn SIGTERM into a future: awaiting it waits for the signal.
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    loop.add_signal_handler(signal.SIGTERM, stop.set_result, None)

    # Leaving the block closes the server: open connections get close code
    # 1001 (going away), then the handlers finish.
    async with websockets.serve(echo, "localhost", 8765):
        await stop


asyncio.run(main())
