"""Hello client over TLS, trusting the certificate in localhost.pem."""

import asyncio
import pathlib
import ssl

import websockets


# The server's certificate is self-signed: trust it explicitly. With a
# certificate from a public authority, connect() verifies it by default.
ssl_context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
ssl_context.load_verify_locations(pathlib.Path(__file__).with_name("localhost.pem"))


async def hello() -> None:
    name = input("What's your name? ")
    async with websockets.connect("wss://localhost:8765", ssl=ssl_context) as websocket:
        await websocket.send(name)
        print(await websocket.recv())


asyncio.run(hello())
