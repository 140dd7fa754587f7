"""Server worker for the raw-asyncio floor."""

import asyncio
import sys
from typing import Dict

from common import ServerBase, parse_config, run
from raw import OP_TEXT, ServerProtocol


class Server(ServerBase):
    library = sys.modules["asyncio"]

    async def start(self) -> Dict[str, int]:
        loop = asyncio.get_running_loop()
        self.server = await loop.create_server(
            lambda: ServerProtocol(self.clients), "127.0.0.1", 0, backlog=1024
        )
        return {"off": self.server.sockets[0].getsockname()[1]}

    async def broadcast(self, mode: str, message: str) -> None:
        if mode != "loop":
            raise ValueError(mode)
        data = message.encode()
        for protocol in list(self.clients):
            protocol.write_frame(OP_TEXT, data)

    async def stop(self) -> None:
        self.server.close()


if __name__ == "__main__":
    config = parse_config()
    run(Server(config).main, config.get("uvloop", False))
