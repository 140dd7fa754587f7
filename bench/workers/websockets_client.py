"""Client worker for websockets from PyPI (run in bench/.venv-others)."""

from common import IteratingClient, parse_config, run

import websockets
from websockets.asyncio.client import connect
from websockets.extensions.permessage_deflate import ClientPerMessageDeflateFactory


class Client(IteratingClient):
    library = websockets
    deflate_factory = ClientPerMessageDeflateFactory
    connect_function = connect


if __name__ == "__main__":
    config = parse_config()
    run(Client(config).main, config.get("uvloop", False))
