"""
The Sans-I/O modules never import asyncio or threading: only the I/O layers do.

The I/O layers are the asyncio adapter (protocol.py, client.py, server.py,
auth.py) and the threading API (the sync package), which doesn't import
asyncio either.

"""

import ast
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
    "sansio",
]

# Modules of the threading API: they may import threading, not asyncio.
SYNC_MODULES = ["sync.connection", "sync.client", "sync.server"]

# Modules that no pure module imports directly. (threading can't be checked
# in sys.modules like asyncio: logging imports it.)
IO_MODULES = {"asyncio", "threading", "socket", "selectors", "ssl"}

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


def existing_modules(names: List[str]) -> List[str]:
    return [
        f"websockets.{name}"
        for name in names
        if (PACKAGE / (name.replace(".", "/") + ".py")).exists()
    ]


def existing_pure_modules() -> List[str]:
    return existing_modules(PURE_MODULES)


def first_importing_asyncio(modules: List[str]) -> str:
    result = subprocess.run(
        [sys.executable, "-c", SCRIPT, str(PACKAGE), *modules],
        capture_output=True,
        text=True,
        check=True,
    )
    return result.stdout.strip()


def test_pure_modules_exist() -> None:
    assert "websockets.framing" in existing_pure_modules()


def test_pure_modules_do_not_import_asyncio() -> None:
    culprit = first_importing_asyncio(existing_pure_modules())
    assert not culprit, f"importing {culprit} imports asyncio"


def test_pure_modules_do_not_import_io_modules() -> None:
    for module in existing_pure_modules():
        path = PACKAGE / (module[len("websockets.") :].replace(".", "/") + ".py")
        tree = ast.parse(path.read_text(encoding="utf-8"))
        # Imports for type checking only don't run.
        typing_only = {
            id(child)
            for node in ast.walk(tree)
            if isinstance(node, ast.If)
            and isinstance(node.test, ast.Name)
            and node.test.id == "TYPE_CHECKING"
            for child in ast.walk(node)
        }
        for node in ast.walk(tree):
            if id(node) in typing_only:
                continue
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0:
                names = [str(node.module)]
            else:
                continue
            for name in names:
                assert name.split(".")[0] not in IO_MODULES, f"{module} imports {name}"


def test_sync_modules_do_not_import_asyncio() -> None:
    modules = existing_modules(SYNC_MODULES)
    assert "websockets.sync.connection" in modules
    culprit = first_importing_asyncio(modules)
    assert not culprit, f"importing {culprit} imports asyncio"
