"""Client worker for picows' websockets-compatible API (run in bench/.venv-others)."""

from typing import Any, Dict

import picows
from common import IteratingClient, parse_config, run
from picows.websockets import connect


class Client(IteratingClient):
    library = picows
    connect_function = connect

    def variants(self) -> Dict[str, Dict[str, Any]]:
        return {"off": dict(compression=None), "def": dict()}


if __name__ == "__main__":
    config = parse_config()
    run(Client(config).main, config.get("uvloop", False))
