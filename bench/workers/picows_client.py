"""
Client worker for picows' native callback API (run in bench/.venv-others).

The round trips of an echo run in ``on_ws_frame``: each reply sends the next
message, and a future is resolved once per batch, when the step's last reply
arrives. A stream sends its batch with ``transport.send`` and waits for the
server's answer to the empty message that ends it.

"""

import asyncio
from typing import Any, Callable, Optional, Tuple, Union

import picows
from common import ClientBase, Step, parse_config, run
from picows import WSCloseCode, WSFrame, WSListener, WSMsgType, WSTransport


# Round trips per step of an echo, at most: the time is checked once a step.
ECHO_BATCH = 100


class Listener(WSListener):  # type: ignore[misc]
    transport: WSTransport

    def __init__(self) -> None:
        super().__init__()
        self.remaining = 0
        self.msg_type = WSMsgType.BINARY
        self.data: bytes = b""
        self.waiter: Optional[asyncio.Future[Any]] = None
        self.on_message: Optional[Callable[[str], None]] = None

    def on_ws_connected(self, transport: WSTransport) -> None:
        self.transport = transport

    def on_ws_frame(self, transport: WSTransport, frame: WSFrame) -> None:
        msg_type = frame.msg_type
        if msg_type == WSMsgType.CLOSE:
            transport.disconnect()
        elif self.on_message is not None:
            self.on_message(frame.get_payload_as_ascii_text())
        elif self.remaining > 1:
            self.remaining -= 1
            transport.send(self.msg_type, self.data)
        else:
            self.remaining = 0
            assert self.waiter is not None
            if msg_type == WSMsgType.TEXT:
                self.waiter.set_result(frame.get_payload_as_utf8_text())
            else:
                self.waiter.set_result(frame.get_payload_as_bytes())

    def start(self, message: Union[str, bytes], count: int) -> "asyncio.Future[Any]":
        """Expect ``count`` frames; answer ``message`` to each but the last."""
        if isinstance(message, str):
            self.msg_type, self.data = WSMsgType.TEXT, message.encode()
        else:
            self.msg_type, self.data = WSMsgType.BINARY, message
        self.remaining = count
        self.waiter = asyncio.get_running_loop().create_future()
        return self.waiter


class Client(ClientBase):
    library = picows

    async def connect(self, port: int, path: str, comp: str) -> Any:
        assert comp == "off", comp
        _, listener = await picows.ws_connect(
            Listener, f"ws://127.0.0.1:{port}{path}", max_frame_size=2**21
        )
        return listener

    async def close(self, ws: Any) -> None:
        ws.transport.send_close(WSCloseCode.OK)
        await ws.transport.wait_disconnected()

    def echo_step(
        self, ws: Any, message: Union[str, bytes]
    ) -> Tuple[Step, Callable[[], Any]]:
        batch = max(1, min(ECHO_BATCH, (1 << 20) // max(1, len(message))))
        reply = None

        async def step() -> int:
            nonlocal reply
            waiter = ws.start(message, batch)
            ws.transport.send(ws.msg_type, ws.data)
            reply = await waiter
            return batch

        return step, lambda: reply

    def stream_step(self, ws: Any, message: Union[str, bytes], batch: int) -> Step:
        async def step() -> int:
            waiter = ws.start(message, 1)
            send, msg_type, data = ws.transport.send, ws.msg_type, ws.data
            for _ in range(batch):
                send(msg_type, data)
            send(msg_type, b"")
            await waiter
            return batch

        return step

    async def listen(self, ws: Any) -> None:
        ws.on_message = self.count_broadcast
        await ws.transport.wait_disconnected()


if __name__ == "__main__":
    config = parse_config()
    run(Client(config).main, config.get("uvloop", False))
