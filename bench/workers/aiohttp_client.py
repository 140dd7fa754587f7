"""Client worker for aiohttp from PyPI (run in bench/.venv-others)."""

from typing import Any, Dict, Optional, Tuple, Union

import aiohttp
from common import ClientBase, parse_config, run


# compress is the client's window bits; 0 doesn't offer permessage-deflate.
VARIANTS: Dict[str, int] = {"off": 0, "def": 15}


class Client(ClientBase):
    library = aiohttp
    session: Optional[aiohttp.ClientSession] = None

    async def connect(self, port: int, path: str, comp: str) -> Any:
        if self.session is None:
            # No limit: the idle workload holds thousands of connections.
            connector = aiohttp.TCPConnector(limit=0)
            self.session = aiohttp.ClientSession(connector=connector)
        return await self.session.ws_connect(
            f"http://127.0.0.1:{port}{path}",
            compress=VARIANTS[comp],
            max_msg_size=2**21,
        )

    async def close(self, ws: Any) -> None:
        await ws.close()

    def methods(self, ws: Any, message: Union[str, bytes]) -> Tuple[Any, Any]:
        if isinstance(message, str):
            return ws.send_str, ws.receive_str
        return ws.send_bytes, ws.receive_bytes

    async def listen(self, ws: Any) -> None:
        async for msg in ws:
            self.count_broadcast(msg.data)


if __name__ == "__main__":
    config = parse_config()
    run(Client(config).main, config.get("uvloop", False))
