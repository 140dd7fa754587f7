"""Server worker for this project (run with the repository on PYTHONPATH)."""

import asyncio
from typing import Any, Dict

from common import EQ_MEM_LEVEL, EQ_WINDOW_BITS, ServerBase, parse_config, run

import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


class Server(ServerBase):
    library = websockets

    async def handler(self, ws: Any, path: str) -> None:
        if path == "/sink":
            # One-way streaming: discard messages, answer an empty one.
            async for message in ws:
                if not message:
                    await ws.send(message)
            return
        if path == "/idle":
            self.clients[ws] = None
        try:
            async for message in ws:
                await ws.send(message)
        finally:
            self.clients.pop(ws, None)

    async def start(self) -> Dict[str, int]:
        common: Dict[str, Any] = dict(ping_interval=None, max_size=2**21, backlog=1024)
        variants: Dict[str, Dict[str, Any]] = {
            "off": dict(compression=None),
            "def": dict(),
            "eq": dict(
                extensions=[
                    ServerPerMessageDeflateFactory(
                        server_max_window_bits=EQ_WINDOW_BITS,
                        client_max_window_bits=EQ_WINDOW_BITS,
                        compress_settings={"memLevel": EQ_MEM_LEVEL},
                    )
                ]
            ),
        }
        self.servers = []
        ports = {}
        for name, kwargs in variants.items():
            server = await websockets.serve(
                self.handler, "127.0.0.1", 0, **common, **kwargs
            )
            self.servers.append(server)
            ports[name] = server.sockets[0].getsockname()[1]
        return ports

    async def broadcast(self, mode: str, message: str) -> None:
        if mode == "broadcast":
            websockets.broadcast(self.clients, message)
        elif mode == "loop":
            for ws in list(self.clients):
                await ws.send(message)
        elif mode == "gather":
            await asyncio.gather(*(ws.send(message) for ws in self.clients))
        else:
            raise ValueError(mode)

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()


if __name__ == "__main__":
    config = parse_config()
    run(Server(config).main, config.get("uvloop", False))
