"""Server worker for websockets from PyPI (run in bench/.venv-others)."""

from typing import Any

from common import IteratingServer, parse_config, run

import websockets
from websockets.asyncio.server import broadcast, serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


class Server(IteratingServer):
    library = websockets
    deflate_factory = ServerPerMessageDeflateFactory

    async def handler(self, ws: Any) -> None:
        await self.serve_connection(ws, ws.request.path)

    async def listen(self, **kwargs: Any) -> Any:
        return await serve(self.handler, "127.0.0.1", 0, **kwargs)

    async def broadcast(self, mode: str, message: str) -> None:
        if mode == "broadcast":
            broadcast(self.clients, message)
        else:
            await super().broadcast(mode, message)


if __name__ == "__main__":
    config = parse_config()
    run(Server(config).main, config.get("uvloop", False))
