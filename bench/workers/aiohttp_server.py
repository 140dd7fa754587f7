"""Server worker for aiohttp from PyPI (run in bench/.venv-others)."""

from typing import Dict

import aiohttp
from aiohttp import WSMsgType, web
from common import ServerBase, parse_config, run


class Server(ServerBase):
    library = aiohttp

    async def handler(self, request: web.Request) -> web.WebSocketResponse:
        # aiohttp accepts compression when the client offers it.
        ws = web.WebSocketResponse(max_msg_size=2**21)
        await ws.prepare(request)
        path = request.path
        if path == "/sink":
            # One-way streaming: discard messages, answer an empty one.
            async for msg in ws:
                if not msg.data:
                    if msg.type == WSMsgType.TEXT:
                        await ws.send_str(msg.data)
                    else:
                        await ws.send_bytes(msg.data)
            return ws
        if path == "/idle":
            self.clients[ws] = None
        try:
            async for msg in ws:
                if msg.type == WSMsgType.TEXT:
                    await ws.send_str(msg.data)
                elif msg.type == WSMsgType.BINARY:
                    await ws.send_bytes(msg.data)
        finally:
            self.clients.pop(ws, None)
        return ws

    async def start(self) -> Dict[str, int]:
        app = web.Application()
        app.router.add_get("/{path}", self.handler)
        self.runner = web.AppRunner(app, access_log=None, handle_signals=False)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0, backlog=1024)
        await site.start()
        port: int = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        # The client chooses compression: one listener serves every variant.
        return {"off": port, "def": port}

    async def broadcast(self, mode: str, message: str) -> None:
        await self.send_to_all(mode, lambda ws: ws.send_str(message))

    async def stop(self) -> None:
        await self.runner.cleanup()


if __name__ == "__main__":
    config = parse_config()
    run(Server(config).main, config.get("uvloop", False))
