"""Client worker for the raw-asyncio floor."""

import asyncio
import sys
from typing import Any, Tuple, Union

from common import ClientBase, parse_config, run
from raw import OP_BINARY, ClientProtocol


class Client(ClientBase):
    library = sys.modules["asyncio"]

    async def connect(self, port: int, path: str, comp: str) -> Any:
        assert comp == "off", comp
        loop = asyncio.get_running_loop()
        on_message = self.count_broadcast if path == "/idle" else None
        _, protocol = await loop.create_connection(
            lambda: ClientProtocol(on_message), "127.0.0.1", port
        )
        # The "handshake": send the path, wait for the server's answer.
        protocol.write_frame(OP_BINARY, path.encode())
        if on_message is None:
            await protocol.recv()
        else:
            protocol.on_message = None
            await protocol.recv()
            protocol.on_message = on_message
        return protocol

    async def close(self, ws: Any) -> None:
        await ws.close()

    def methods(self, ws: Any, message: Union[str, bytes]) -> Tuple[Any, Any]:
        return ws.send, ws.recv

    async def listen(self, ws: Any) -> None:
        await ws.lost


if __name__ == "__main__":
    config = parse_config()
    run(Client(config).main, config.get("uvloop", False))
