"""
Chat server: each connection handler reads and writes at once.

The consumer receives messages from its client and puts them in the queue of
every connected client; the producer sends what arrives in its own queue.
They run concurrently, so messages from others go out while the handler waits
for the next message of its client.

"""

import asyncio
from typing import Set

import websockets


QUEUES: Set["asyncio.Queue[websockets.Data]"] = set()


async def consumer(websocket: websockets.WebSocketServerProtocol) -> None:
    async for message in websocket:
        for queue in QUEUES:
            queue.put_nowait(message)


async def producer(
    websocket: websockets.WebSocketServerProtocol,
    queue: "asyncio.Queue[websockets.Data]",
) -> None:
    while True:
        message = await queue.get()
        await websocket.send(message)


async def handler(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    queue: asyncio.Queue[websockets.Data] = asyncio.Queue()
    QUEUES.add(queue)
    try:
        consumer_task = asyncio.create_task(consumer(websocket))
        producer_task = asyncio.create_task(producer(websocket, queue))
        # Run both until either stops: the client left, or sending failed.
        done, pending = await asyncio.wait(
            [consumer_task, producer_task], return_when=asyncio.FIRST_COMPLETED
        )
        for task in pending:
            task.cancel()
        for task in done:
            # The connection closing stops the tasks: that isn't an error.
            if not isinstance(task.exception(), websockets.ConnectionClosed):
                task.result()
    finally:
        QUEUES.remove(queue)


async def main() -> None:
    async with websockets.serve(handler, "localhost", 8765):
        await asyncio.Future()  # run forever


asyncio.run(main())
