"""
Server worker for picows' websockets-compatible API (run in bench/.venv-others).

``picows.websockets`` mirrors websockets' new asyncio API: ``serve(handler)``
with the path in ``ws.request.path``, ``send``, ``recv`` and ``broadcast()``.
Its only compression setting is ``compression="deflate"`` (the default) or
``None``: no extension factories, so no "eq" variant.

"""

from typing import Any, Dict

import picows
from common import HandlerServer, parse_config, run
from picows.websockets import broadcast, serve


class Server(HandlerServer):
    library = picows
    serve = serve
    broadcast_function = broadcast

    def variants(self) -> Dict[str, Dict[str, Any]]:
        return {"off": dict(compression=None), "def": dict()}


if __name__ == "__main__":
    config = parse_config()
    run(Server(config).main, config.get("uvloop", False))
