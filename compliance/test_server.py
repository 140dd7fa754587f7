"""
Echo server for the Autobahn|Testsuite fuzzing client.

Run from the root of the repository::

    PYTHONPATH=. python3 compliance/test_server.py [--port 9002] [--impl sync]

It echoes every message, with the defaults of :func:`websockets.serve`, or
of :func:`websockets.sync.server.serve` with ``--impl sync``
(permessage-deflate on) except ``max_size``, raised for the 16 MiB messages
of case group 9. SIGTERM or SIGINT closes it.

"""

import argparse
import asyncio
import logging
import signal
import threading
from typing import Any

import websockets
from websockets.sync.server import ServerConnection, serve as sync_serve


HOST = "127.0.0.1"
MAX_SIZE = 2**25


async def echo(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    """Send back every message received, until the connection closes."""
    try:
        async for message in websocket:
            await websocket.send(message)
    except websockets.ConnectionClosed:
        pass  # Many cases end by failing the connection: that's expected.


async def main(port: int) -> None:
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set_result, None)
    async with websockets.serve(echo, HOST, port, max_size=MAX_SIZE):
        print(f"test_server: listening on ws://{HOST}:{port}", flush=True)
        await stop


def sync_echo(websocket: ServerConnection) -> None:
    """Send back every message received, until the connection closes."""
    try:
        for message in websocket:
            websocket.send(message)
    except websockets.ConnectionClosed:
        pass


def sync_main(port: int) -> None:
    with sync_serve(sync_echo, HOST, port, max_size=MAX_SIZE) as server:

        def stop(signum: int, frame: Any) -> None:
            # shutdown() waits for serve_forever(), running in this thread.
            threading.Thread(target=server.shutdown).start()

        for signum in (signal.SIGINT, signal.SIGTERM):
            signal.signal(signum, stop)
        print(f"test_server: listening on ws://{HOST}:{port} (sync)", flush=True)
        server.serve_forever()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--port", type=int, default=9002)
    parser.add_argument("--impl", choices=["asyncio", "sync"], default="asyncio")
    args = parser.parse_args()
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    if args.impl == "sync":
        sync_main(args.port)
    else:
        asyncio.run(main(args.port))
