"""
aiohttp, a peer of tests/test_interop.py, with its defaults: its server
accepts permessage-deflate, its client doesn't offer it.

aiohttp can't send a message in fragments. It answers pings by itself
(``autoping``) and then hides pongs, so the ``ctl`` scenario turns autoping
off, to see the pong that answers its own ping, and answers pings itself.
When it receives a close frame, it answers with code 1000, not the code it
received. See peer_common.py for the protocol.

"""

import argparse
import socket
from typing import Any, List, Optional, Tuple

import aiohttp
import peer_common
from aiohttp import WSMsgType, web
from peer_common import CHALLENGE, MAX_SIZE, Data, Refused, Report, Session


runners: List[web.AppRunner] = []


class AiohttpSession(Session):
    def __init__(self, ws: Any, subprotocol: Optional[str]) -> None:
        self.ws = ws
        self.subprotocol = subprotocol
        self.extensions = ["permessage-deflate"] if ws.compress else []
        self.close_code: Optional[int] = None
        self.close_reason: Optional[str] = None

    async def recv(self) -> Optional[Data]:
        while True:
            msg = await self.ws.receive()
            if msg.type in (WSMsgType.TEXT, WSMsgType.BINARY):
                data: Data = msg.data
                return data
            if msg.type is WSMsgType.PING:  # only without autoping
                await self.ws.pong(msg.data)
            elif msg.type is WSMsgType.CLOSE:
                # aiohttp has answered already; the next receive() says CLOSED.
                self.close_code, self.close_reason = msg.data, msg.extra
            elif msg.type is WSMsgType.PONG:
                continue
            else:  # CLOSING, CLOSED, ERROR
                return None

    async def send(self, message: Data) -> None:
        if isinstance(message, str):
            await self.ws.send_str(message)
        else:
            await self.ws.send_bytes(message)

    async def send_fragments(self, parts: List[Data]) -> None:
        raise NotImplementedError("aiohttp can't send fragmented messages")

    async def ping(self, data: bytes) -> bytes:
        await self.ws.ping(data)
        while True:
            msg = await self.ws.receive()
            if msg.type is WSMsgType.PONG:
                pong: bytes = msg.data
                return pong
            if msg.type is WSMsgType.PING:
                await self.ws.pong(msg.data)
            else:
                raise RuntimeError(f"{msg.type} while waiting for a pong")

    async def close(self, code: int, reason: str) -> None:
        await self.ws.close(code=code, message=reason.encode())

    async def closed(self) -> Tuple[Optional[int], Optional[str]]:
        if self.close_code is None:
            # We started the closing handshake: aiohttp keeps the code only.
            return self.ws.close_code, None
        return self.close_code, self.close_reason


async def start(options: argparse.Namespace) -> int:
    async def handler(request: web.Request) -> web.StreamResponse:
        path = request.path
        if path.startswith("/auth") and not peer_common.authorized(
            request.headers.get("Authorization"), options.credentials
        ):
            return web.Response(
                status=401, headers={"WWW-Authenticate": CHALLENGE}, text="401\n"
            )
        mode = peer_common.mode_of(path)
        ws = web.WebSocketResponse(
            protocols=options.subprotocols,
            max_msg_size=MAX_SIZE,
            autoping=mode != "ctl",
        )
        await ws.prepare(request)
        session = AiohttpSession(ws, ws.ws_protocol)
        report = await peer_common.run_scenario(session, mode)
        peer_common.emit({"event": "closed", "path": path, **report})
        return ws

    app = web.Application()
    app.router.add_route("GET", "/{tail:.*}", handler)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    runners.append(runner)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    await web.SockSite(runner, sock).start()
    port: int = sock.getsockname()[1]
    return port


async def run_client(uri: str, subprotocols: List[str], mode: str) -> Report:
    async with aiohttp.ClientSession() as client:
        try:
            async with client.ws_connect(
                uri,
                protocols=subprotocols,
                max_msg_size=MAX_SIZE,
                autoping=mode != "ctl",
            ) as ws:
                session = AiohttpSession(ws, ws.protocol)
                report = await peer_common.run_scenario(session, mode)
        except aiohttp.WSServerHandshakeError as exc:
            raise Refused(exc.status) from exc
    return {"status": 101, **report}


if __name__ == "__main__":
    about = {"library": f"aiohttp {aiohttp.__version__}", "module": aiohttp.__file__}
    peer_common.main(start, run_client, about)
