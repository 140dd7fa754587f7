"""
Where the instructions of one message go, for valgrind's callgrind.

Runs ours in one process, client and server over socket.socketpair() (no
HTTP handshake, as bench/pair.py), for ``--count`` 16-byte binary messages
(or ``--size``, ``--text``, ``--deflate``) one way (stream) or as round
trips (echo), after a warm-up; or ``--count`` connections opened and closed
over TCP on 127.0.0.1 (handshake: opening and closing handshakes, one
connection at a time, as the benchmark's workload; ``--deflate`` negotiates
compression). Run it twice under callgrind with two counts and subtract: the
difference is the cost of the extra messages, without start-up. Instruction
counts are deterministic where CPU time isn't; they leave out the kernel
(system calls count as the instructions of their wrappers only).
WEBSOCKETS_SPEEDUPS=0 measures the pure Python path.

    valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.%p \\
        python bench/instructions.py echo --count 20000

"""

import argparse
import asyncio
import gc
import os
import sys


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))

from pair import connected_pair

import websockets


async def handshakes(count: int, compression: "str | None") -> None:
    async def handler(ws: websockets.WebSocketServerProtocol, path: str) -> None:
        async for _ in ws:
            pass

    async with websockets.serve(
        handler, "127.0.0.1", 0, compression=compression, ping_interval=None
    ) as server:
        port = server.sockets[0].getsockname()[1]
        for n in (100, count):  # warm-up, then measured
            for _ in range(n):
                ws = await websockets.connect(
                    f"ws://127.0.0.1:{port}/",
                    compression=compression,
                    ping_interval=None,
                )
                await ws.close()


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("kind", choices=("echo", "stream", "handshake"))
    parser.add_argument("--count", type=int, default=10000)
    parser.add_argument("--size", type=int, default=16)
    parser.add_argument("--text", action="store_true", help="text, not binary")
    parser.add_argument("--deflate", action="store_true", help="permessage-deflate")
    args = parser.parse_args()
    # Imported objects aren't garbage: keep the collector from counting them.
    gc.freeze()
    if args.kind == "handshake":
        await handshakes(args.count, "deflate" if args.deflate else None)
        return
    server, client = await connected_pair(args.deflate)
    message = "x" * args.size if args.text else b"x" * args.size

    async def serve() -> None:
        async for data in server:
            if args.kind == "echo" or not data:
                await server.send(data)

    task = asyncio.ensure_future(serve())
    for count in (1000, args.count):  # warm-up, then measured
        if args.kind == "echo":
            for _ in range(count):
                await client.send(message)
                await client.recv()
        else:
            for i in range(count):
                await client.send(message)
                if i % 1000 == 999:
                    await client.send(message[:0])
                    await client.recv()
    await client.close()
    await task


if __name__ == "__main__":
    asyncio.run(main())
