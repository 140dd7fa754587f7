"""
Server worker for picows' native callback API (run in bench/.venv-others).

As picows' documentation suggests: ``ws_create_server`` with a listener
factory routing on the request path, and a ``WSListener`` per connection
whose ``on_ws_frame`` does the work in the callback, with no task and no
await: it echoes frames on /echo and /idle, and counts them on /sink,
answering the empty message that ends a batch. picows has no
permessage-deflate: compression "off" only.

"""

from typing import Dict, Optional

import picows
from common import ServerBase, parse_config, run
from picows import WSFrame, WSListener, WSMsgType, WSTransport, WSUpgradeRequest


def close_frame(transport: WSTransport, frame: WSFrame) -> None:
    """Answer the peer's Close frame, then close the TCP connection."""
    transport.send_close(frame.get_close_code(), frame.get_close_message())
    transport.disconnect()


class Echo(WSListener):  # type: ignore[misc]
    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            close_frame(transport, frame)
        else:
            transport.send(frame.msg_type, frame.get_payload_as_memoryview(), frame.fin)


class Sink(WSListener):  # type: ignore[misc]
    messages = 0

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        if frame.msg_type == WSMsgType.CLOSE:
            close_frame(transport, frame)
        elif frame.payload_size:
            self.messages += 1
        else:
            transport.send(frame.msg_type, b"")


class Idle(Echo):
    def __init__(self, clients: Dict[WSTransport, None]) -> None:
        super().__init__()
        self.clients = clients

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.clients[transport] = None

    def on_ws_disconnected(self, transport: WSTransport) -> None:
        self.clients.pop(transport, None)


class Server(ServerBase):
    library = picows

    def listener(self, request: WSUpgradeRequest) -> Optional[WSListener]:
        if request.path == b"/sink":
            return Sink()
        if request.path == b"/idle":
            return Idle(self.clients)
        return Echo()

    async def start(self) -> Dict[str, int]:
        self.server = await picows.ws_create_server(
            self.listener, "127.0.0.1", 0, max_frame_size=2**21, backlog=1024
        )
        return {"off": self.server.sockets[0].getsockname()[1]}

    async def broadcast(self, mode: str, message: str) -> None:
        if mode != "loop":
            raise ValueError(mode)
        data = message.encode()
        for transport in list(self.clients):
            transport.send(WSMsgType.TEXT, data)

    async def stop(self) -> None:
        self.server.close()


if __name__ == "__main__":
    config = parse_config()
    run(Server(config).main, config.get("uvloop", False))
