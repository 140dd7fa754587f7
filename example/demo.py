"""
Demo: a counter shared live by every open browser tab.

Run ``make demo`` (or ``PYTHONPATH=. python3 example/demo.py`` from the
repository), open the URL it prints in several tabs, and click + or -: every
tab shows the new value and how many users are online. Ctrl-C stops it.

One port serves both the page, over HTTP through ``process_request``, and
the WebSocket connection, on /ws.

"""

import argparse
import asyncio
import http
import json
import pathlib
import signal
import sys
from typing import List, Optional, Set, Tuple

import websockets
from websockets.http import Headers


PAGE = pathlib.Path(__file__).with_name("demo.html")

HTTPResponse = Tuple[http.HTTPStatus, List[Tuple[str, str]], bytes]


class Demo:
    """State shared by every connection: the counter and the connected users."""

    def __init__(self) -> None:
        self.value = 0
        self.users: Set[websockets.WebSocketServerProtocol] = set()

    async def process_request(
        self, path: str, request_headers: Headers
    ) -> Optional[HTTPResponse]:
        """Serve the page on /; let WebSocket handshakes through."""
        if path == "/ws" or "Upgrade" in request_headers:
            return None
        if path == "/":
            headers = [("Content-Type", "text/html; charset=utf-8")]
            return http.HTTPStatus.OK, headers, PAGE.read_bytes()
        headers = [("Content-Type", "text/plain; charset=utf-8")]
        return http.HTTPStatus.NOT_FOUND, headers, b"Not found.\n"

    async def handler(
        self, websocket: websockets.WebSocketServerProtocol, path: str
    ) -> None:
        """Register a user, apply its actions, and keep everyone up to date."""
        extensions = [extension.name for extension in websocket.extensions]
        self.users.add(websocket)
        compression = ", ".join(extensions) or "no compression"
        print(f"User joined ({compression}); {len(self.users)} online.", flush=True)
        try:
            await websocket.send(
                json.dumps({"type": "hello", "extensions": extensions})
            )
            await self.broadcast()
            async for message in websocket:
                try:
                    action = json.loads(message)["action"]
                except (ValueError, TypeError, KeyError):
                    continue  # ignore malformed events
                if action == "plus":
                    self.value += 1
                elif action == "minus":
                    self.value -= 1
                else:
                    continue  # ignore unknown actions
                await self.broadcast()
        finally:
            self.users.remove(websocket)
            print(f"User left; {len(self.users)} online.", flush=True)
            await self.broadcast()

    async def broadcast(self) -> None:
        """Send the state to every user."""
        state = {"type": "state", "value": self.value, "users": len(self.users)}
        message = json.dumps(state)
        await asyncio.gather(*[send(user, message) for user in self.users])


async def send(websocket: websockets.WebSocketServerProtocol, message: str) -> None:
    try:
        await websocket.send(message)
    except websockets.ConnectionClosed:
        pass  # the user is leaving: its handler takes care of it


async def main(host: str, port: int) -> int:
    demo = Demo()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    try:
        server = await websockets.serve(
            demo.handler, host, port, process_request=demo.process_request
        )
    except OSError as exc:
        print(f"Cannot listen on {host}:{port}: {exc}", file=sys.stderr)
        print("Pick another port with --port.", file=sys.stderr)
        return 1
    assert server.sockets
    port = server.sockets[0].getsockname()[1]
    url_host = f"[{host}]" if ":" in host else host
    print(
        f"Open http://{url_host}:{port}/ in a browser. Press Ctrl-C to stop.",
        flush=True,
    )
    await stop.wait()
    # Close every connection with code 1001 (going away) and wait for them.
    print("Stopping.", flush=True)
    server.close()
    await server.wait_closed()
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0].strip())
    parser.add_argument("--host", default="127.0.0.1", help="default: %(default)s")
    parser.add_argument("--port", type=int, default=8000, help="default: %(default)s")
    args = parser.parse_args()
    sys.exit(asyncio.run(main(args.host, args.port)))
