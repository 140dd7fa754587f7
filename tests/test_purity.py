"""The Sans-I/O modules never import asyncio: only the adapters do I/O."""

import pathlib
import subprocess
import sys
from typing import List

import websockets


PACKAGE = pathlib.Path(websockets.__file__).parent

# Modules that must run without an event loop. A module that isn't written
# yet is skipped; a new one joins this list when it's added.
PURE_MODULES = [
    "exceptions",
    "extensions.base",
    "extensions.permessage_deflate",
    "framing",
    "handshake",
    "headers",
    "http",
    "typing",
    "uri",
    "utils",
    "version",
    "connection",
]

# Imports the modules one by one and prints the first one after which
# asyncio is loaded: that module or one of its imports brought it in. The
# package's __init__ re-exports the asyncio adapters, so an empty package
# stands in for it: only the modules' own imports run.
SCRIPT = """
import importlib, sys, types
package = types.ModuleType("websockets")
package.__path__ = [sys.argv[1]]
sys.modules["websockets"] = package
for name in sys.argv[2:]:
    importlib.import_module(name)
    if "asyncio" in sys.modules:
        print(name)
        break
"""


def existing_pure_modules() -> List[str]:
    return [
        f"websockets.{name}"
        for name in PURE_MODULES
        if (PACKAGE / (name.replace(".", "/") + ".py")).exists()
    ]


def test_pure_modules_exist() -> None:
    assert "websockets.framing" in existing_pure_modules()


def test_pure_modules_do_not_import_asyncio() -> None:
    modules = existing_pure_modules()
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(PACKAGE), *modules],
        capture_output=True,
        text=True,
        check=True,
    )
    culprit = result.stdout.strip()
    assert not culprit, f"importing {culprit} imports asyncio"
