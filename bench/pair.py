"""
Messages per second through a connected pair of protocols, in one process.

A server-side and a client-side WebSocketCommonProtocol are connected over
socket.socketpair(), without the HTTP handshake. The client sends N messages
and the server receives them (one way), then the same as round trips (echo).
Rates are per second of wall time and per CPU-second of this process, which
runs both ends. This is a quick check of the data transfer phase, not a
comparison: see bench/run.py for that.

    python bench/pair.py [--count N] [--deflate]

"""

import argparse
import asyncio
import os
import socket
import sys
import time


sys.path.insert(0, os.path.join(os.path.dirname(__file__), ".."))

from websockets.connection import CLIENT
from websockets.extensions.permessage_deflate import PerMessageDeflate
from websockets.protocol import WebSocketCommonProtocol


class ClientProtocol(WebSocketCommonProtocol):
    is_client = True
    side = CLIENT


async def connected_pair(
    deflate: bool,
) -> "tuple[WebSocketCommonProtocol, WebSocketCommonProtocol]":
    loop = asyncio.get_running_loop()
    server_sock, client_sock = socket.socketpair()
    _, server = await loop.create_connection(
        lambda: WebSocketCommonProtocol(max_size=None, ping_interval=None),
        sock=server_sock,
    )
    _, client = await loop.create_connection(
        lambda: ClientProtocol(max_size=None, ping_interval=None), sock=client_sock
    )
    if deflate:
        server.extensions = [PerMessageDeflate(False, False, 15, 15)]
        client.extensions = [PerMessageDeflate(False, False, 15, 15)]
    server.connection_open()
    client.connection_open()
    return server, client


async def one_way(size: int, count: int, deflate: bool) -> "tuple[float, float]":
    server, client = await connected_pair(deflate)
    message = b"x" * size

    async def receive() -> None:
        for _ in range(count):
            await server.recv()

    wall, cpu = time.perf_counter(), time.process_time()
    receiver = asyncio.ensure_future(receive())
    for _ in range(count):
        await client.send(message)
    await receiver
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await client.close()
    return count / wall, count / cpu


async def echo(size: int, count: int, deflate: bool) -> "tuple[float, float]":
    server, client = await connected_pair(deflate)
    message = b"x" * size

    async def serve() -> None:
        async for data in server:
            await server.send(data)

    task = asyncio.ensure_future(serve())
    wall, cpu = time.perf_counter(), time.process_time()
    for _ in range(count):
        await client.send(message)
        await client.recv()
    wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
    await client.close()
    await task
    return count / wall, count / cpu


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--count", type=int, default=20000, help="16-byte messages")
    parser.add_argument("--deflate", action="store_true", help="permessage-deflate")
    args = parser.parse_args()
    print(f"{'workload':<14} {'size':>7} {'msg/s':>10} {'msg/cpu-s':>10}")
    for size, count in ((16, args.count), (65536, max(1, args.count // 20))):
        for name, run in (("one way", one_way), ("round trip", echo)):
            await run(size, max(1, count // 10), args.deflate)  # warm up
            per_wall, per_cpu = await run(size, count, args.deflate)
            print(f"{name:<14} {size:>7} {per_wall:>10.0f} {per_cpu:>10.0f}")


if __name__ == "__main__":
    asyncio.run(main())
