"""Hello server over TLS, with the certificate in localhost.pem."""

import asyncio
import pathlib
import ssl

import websockets


async def hello(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
    name = await websocket.recv()
    await websocket.send(f"Hello {name}!")


# localhost.pem holds a private key and a self-signed certificate for
# localhost: fine for trying TLS, never for production.
ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
ssl_context.load_cert_chain(pathlib.Path(__file__).with_name("localhost.pem"))


async def main() -> None:
    async with websockets.serve(hello, "localhost", 8765, ssl=ssl_context):
        await asyncio.Future()  # run forever


asyncio.run(main())
