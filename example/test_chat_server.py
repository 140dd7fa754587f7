"""Tests of chat_server.py, in memory, on a virtual clock: python -m unittest."""

import asyncio
import unittest
from typing import Optional

from chat_server import NAME_TIMEOUT, ChatRoom

import websockets
from websockets.connection import CloseReason
from websockets.testing import Link, TestServer, VirtualClockTestCase


class ChatRoomTests(VirtualClockTestCase):
    async def asyncSetUp(self) -> None:
        self.room = ChatRoom()
        self.server = TestServer(self.room.handler)

    async def asyncTearDown(self) -> None:
        self.server.close()
        await self.server.wait_closed()

    async def join(
        self, name: str, link: Optional[Link] = None
    ) -> websockets.WebSocketClientProtocol:
        client = await self.server.connect(link=link)
        await client.send(name)
        return client

    async def test_messages_go_to_everyone_else(self) -> None:
        alice = await self.join("Alice")
        bob = await self.join("Bob")
        self.assertEqual(await alice.recv(), "Bob joined")
        await alice.send("Hi Bob!")
        self.assertEqual(await bob.recv(), "Alice: Hi Bob!")
        await alice.close()
        self.assertEqual(await bob.recv(), "Alice left")

    async def test_client_without_a_name_is_disconnected(self) -> None:
        loop = asyncio.get_running_loop()
        start = loop.time()
        client = await self.server.connect()
        await client.wait_closed()
        self.assertEqual(
            (client.close_code, client.close_reason), (1008, "name expected")
        )
        # Ten seconds on the virtual clock, a millisecond in real time.
        self.assertEqual(loop.time() - start, NAME_TIMEOUT)

    async def test_dropped_connection_leaves_the_room(self) -> None:
        alice = await self.join("Alice")
        link = Link()
        bob = await self.join("Bob", link)
        self.assertEqual(await alice.recv(), "Bob joined")
        link.drop(reset=True)  # e.g. Bob's Wi-Fi goes down
        self.assertEqual(await alice.recv(), "Bob left")
        await bob.wait_closed()
        self.assertEqual(bob.close_code, 1006)

    async def test_frozen_client_times_out(self) -> None:
        loop = asyncio.get_running_loop()
        alice = await self.join("Alice")
        link = Link()
        await self.join("Bob", link)
        self.assertEqual(await alice.recv(), "Bob joined")
        start = loop.time()
        link.server_to_client.stall()  # Bob stops reading: no pongs
        self.assertEqual(await alice.recv(), "Bob left")
        # The server's keepalive: a ping after 20 s, no pong within 20 s.
        self.assertEqual(loop.time() - start, 40)
        # It sent a Close frame with code 1011; Bob never answered.
        self.assertEqual(link.server.close_cause, CloseReason.KEEPALIVE_TIMEOUT)
        self.assertEqual(link.server.close_code, 1006)


if __name__ == "__main__":
    unittest.main()
