"""The package re-exports its modules' public names, and each name exists."""

import ast
import importlib
import pathlib
import pkgutil
import re
from typing import Dict, List

import pytest

import websockets
from websockets import version


PACKAGE = pathlib.Path(websockets.__file__).parent


def reexported_modules() -> List[str]:
    """Modules that ``websockets/__init__.py`` star-imports."""
    tree = ast.parse((PACKAGE / "__init__.py").read_text(encoding="utf-8"))
    return [
        f"websockets.{node.module}"
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.level == 1
        and [alias.name for alias in node.names] == ["*"]
    ]


def all_modules() -> List[str]:
    """Every module of the package, except ``__main__``, which runs on import."""
    return [
        info.name
        for info in pkgutil.walk_packages([str(PACKAGE)], "websockets.")
        if not info.name.endswith("__main__")
    ]


def test_package_reexports_some_modules() -> None:
    assert "websockets.exceptions" in reexported_modules()


def test_all_is_the_union_of_reexported_modules() -> None:
    owners: Dict[str, str] = {}
    for module_name in reexported_modules():
        for name in importlib.import_module(module_name).__all__:
            assert name not in owners, f"{name} in {owners.get(name)} and {module_name}"
            owners[name] = module_name
    assert sorted(websockets.__all__) == sorted(owners)


def test_all_has_no_duplicates() -> None:
    assert len(websockets.__all__) == len(set(websockets.__all__))


@pytest.mark.parametrize("name", websockets.__all__)
def test_exported_name_is_importable(name: str) -> None:
    namespace: Dict[str, object] = {}
    exec(f"from websockets import {name}", namespace)
    assert namespace[name] is getattr(websockets, name)


def test_star_import_gives_all() -> None:
    namespace: Dict[str, object] = {}
    exec("from websockets import *", namespace)
    del namespace["__builtins__"]
    assert sorted(namespace) == sorted(websockets.__all__)


@pytest.mark.parametrize("module_name", all_modules())
def test_every_module_defines_its_all(module_name: str) -> None:
    module = importlib.import_module(module_name)
    exported = getattr(module, "__all__", None)
    if exported is None:
        # Packages such as websockets.extensions may export nothing.
        assert hasattr(module, "__path__"), f"{module_name} has no __all__"
        return
    missing = [name for name in exported if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names undefined {missing}"


def test_version() -> None:
    assert websockets.__version__ == version.version
    assert re.fullmatch(r"\d+\.\d+(\.\d+)?", version.version)
    assert version.__all__ == ["version"]


def test_setup_finds_the_version() -> None:
    # setup.py reads version.py with this pattern, without importing it.
    root = pathlib.Path(__file__).parent.parent
    source = (root / "websockets" / "version.py").read_text(encoding="utf-8")
    match = re.search(r'^version = "([^"]+)"', source, re.M)
    assert match is not None
    assert match.group(1) == version.version
