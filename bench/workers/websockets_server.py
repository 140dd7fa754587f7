"""Server worker for websockets from PyPI (run in bench/.venv-others)."""

from common import HandlerServer, parse_config, run

import websockets
from websockets.asyncio.server import broadcast, serve
from websockets.extensions.permessage_deflate import ServerPerMessageDeflateFactory


class Server(HandlerServer):
    library = websockets
    deflate_factory = ServerPerMessageDeflateFactory
    serve = serve
    broadcast_function = broadcast


if __name__ == "__main__":
    config = parse_config()
    run(Server(config).main, config.get("uvloop", False))
