"""
Threading API: blocking WebSocket clients and servers, without asyncio.

:func:`websockets.sync.client.connect` and
:func:`websockets.sync.server.serve` run the Sans-I/O core of
:mod:`websockets.sansio` on plain sockets, with a thread per connection that
reads from the network.

"""
