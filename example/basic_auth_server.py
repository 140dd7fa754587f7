"""Server that requires HTTP Basic Auth, then greets the user."""

import asyncio

import websockets


async def hello(
    websocket: websockets.BasicAuthWebSocketServerProtocol, path: str
) -> None:
    await websocket.send(f"Hello {websocket.username}!")


async def main() -> None:
    async with websockets.serve(
        hello,
        "localhost",
        8765,
        create_protocol=websockets.basic_auth_protocol_factory(
            realm="example", credentials=("mary", "p@ssw0rd")
        ),
    ):
        await asyncio.Future()  # run forever


asyncio.run(main())
