"""Server worker for this project (run with the repository on PYTHONPATH)."""

from typing import Any

from common import IteratingServer, parse_config, run

import websockets
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


class Server(IteratingServer):
    library = websockets
    deflate_factory = ServerPerMessageDeflateFactory

    async def listen(self, **kwargs: Any) -> Any:
        return await websockets.serve(self.serve_connection, "127.0.0.1", 0, **kwargs)

    async def broadcast(self, mode: str, message: str) -> None:
        if mode == "broadcast":
            websockets.broadcast(self.clients, message)
        else:
            await super().broadcast(mode, message)


if __name__ == "__main__":
    config = parse_config()
    run(Server(config).main, config.get("uvloop", False))
