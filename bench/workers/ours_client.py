"""Client worker for this project (run with the repository on PYTHONPATH)."""

from typing import Any, Dict, Tuple, Union

from common import EQ_MEM_LEVEL, ClientBase, parse_config, run

import websockets
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory


VARIANTS: Dict[str, Dict[str, Any]] = {
    "off": dict(compression=None),
    "def": dict(),
    "eq": dict(
        extensions=[
            ClientPerMessageDeflateFactory(
                client_max_window_bits=True,
                compress_settings={"memLevel": EQ_MEM_LEVEL},
            )
        ]
    ),
}


class Client(ClientBase):
    library = websockets

    async def connect(self, port: int, path: str, comp: str) -> Any:
        return await websockets.connect(
            f"ws://127.0.0.1:{port}{path}",
            ping_interval=None,
            max_size=2**21,
            **VARIANTS[comp],
        )

    async def close(self, ws: Any) -> None:
        await ws.close()

    def methods(self, ws: Any, message: Union[str, bytes]) -> Tuple[Any, Any]:
        return ws.send, ws.recv

    async def listen(self, ws: Any) -> None:
        async for message in ws:
            self.count_broadcast(message)


if __name__ == "__main__":
    config = parse_config()
    run(Client(config).main, config.get("uvloop", False))
