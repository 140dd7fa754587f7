"""
The documentation in docs/: its code runs, and the reference covers the API.

* Every code block is an included example file, a doctest run by Sphinx, or
  a ``.. code-block:: python`` that must compile; shell and configuration
  blocks are exempt.
* Every name that the spec documents, and every name in the ``__all__`` of a
  documented module, has an entry in the reference.
* ``make docs`` builds the HTML with warnings as errors; here, Sphinx checks
  the references and runs the doctests, when it's installed.

"""

import ast
import importlib
import pathlib
import re
import runpy
import subprocess
import sys
import textwrap
import zlib
from typing import Any, Dict, Iterator, List, Set, Tuple

import pytest


ROOT = pathlib.Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EXAMPLES = ROOT / "example"
SPEC = pathlib.Path("/work/shared/spec/websockets-api.txt")

# Languages of code blocks that aren't Python, thus not checked.
EXEMPT_LANGUAGES = {"console", "nginx", "text", "html"}

# Directives that document an object, and those among them that take the
# name of a class whose members may follow.
OBJECT_DIRECTIVES = {
    "autoclass",
    "autoexception",
    "autofunction",
    "autodata",
    "automethod",
    "autoattribute",
    "autoproperty",
    "class",
    "exception",
    "function",
    "data",
    "method",
    "attribute",
    "property",
}
CLASS_DIRECTIVES = {"autoclass", "autoexception", "class", "exception"}
MODULE_DIRECTIVES = {"automodule", "module", "currentmodule"}

DIRECTIVE = re.compile(r"^(?P<indent> *)\.\. (?P<name>[\w:-]+)::(?: +(?P<arg>.*))?$")


def rst_files() -> List[pathlib.Path]:
    return sorted(DOCS.rglob("*.rst"))


def relative(path: pathlib.Path) -> str:
    return str(path.relative_to(ROOT))


def directive_blocks(path: pathlib.Path) -> Iterator[Tuple[int, str, str, str]]:
    """
    Yield ``(line number, directive, argument, body)`` for each directive.

    The body is the dedented content after the options.

    """
    lines = path.read_text(encoding="utf-8").split("\n")
    for index, line in enumerate(lines):
        match = DIRECTIVE.match(line)
        if match is None:
            continue
        indent = len(match["indent"])
        body: List[str] = []
        end = index + 1
        while end < len(lines) and (
            not lines[end].strip()
            or len(lines[end]) - len(lines[end].lstrip()) > indent
        ):
            body.append(lines[end])
            end += 1
        # Options come first, then a blank line.
        while body and body[0].strip().startswith(":"):
            body.pop(0)
        yield (
            index + 1,
            match["name"],
            match["arg"] or "",
            textwrap.dedent("\n".join(body)).strip("\n"),
        )


# Code blocks.


def python_code_blocks() -> List[Any]:
    blocks = []
    for path in rst_files():
        for lineno, name, arg, body in directive_blocks(path):
            if name in ("code-block", "code", "sourcecode") and arg == "python":
                location = f"{relative(path)}:{lineno}"
                blocks.append(pytest.param(location, body, id=location))
    return blocks


@pytest.mark.parametrize(("location", "source"), python_code_blocks())
def test_python_code_block_compiles(location: str, source: str) -> None:
    # Snippets may use await at the top level, as in an asyncio REPL.
    compile(source, location, "exec", flags=ast.PyCF_ALLOW_TOP_LEVEL_AWAIT)


def test_code_blocks_are_checked() -> None:
    unchecked = []
    for path in rst_files():
        for lineno, name, arg, _ in directive_blocks(path):
            location = f"{relative(path)}:{lineno}"
            if name in ("code-block", "code", "sourcecode") and not (
                arg == "python" or arg in EXEMPT_LANGUAGES
            ):
                unchecked.append(f"{location}: {name} {arg or '(no language)'}")
        # A paragraph ending with "::" starts a literal block, which nothing
        # checks: use a code-block or a doctest instead.
        for lineno, line in enumerate(path.read_text(encoding="utf-8").split("\n")):
            stripped = line.strip()
            if stripped.endswith("::") and not DIRECTIVE.match(line):
                unchecked.append(f"{relative(path)}:{lineno + 1}: literal block")
    assert not unchecked, "\n".join(unchecked)


def test_literal_includes_exist() -> None:
    missing = []
    for path in rst_files():
        for lineno, name, arg, _ in directive_blocks(path):
            if name == "literalinclude" and not (path.parent / arg).is_file():
                missing.append(f"{relative(path)}:{lineno}: {arg}")
    assert not missing, "\n".join(missing)


def test_every_example_is_included() -> None:
    included = set()
    for path in rst_files():
        for _, name, arg, _ in directive_blocks(path):
            if name == "literalinclude":
                included.add((path.parent / arg).resolve())
    examples = [p for p in EXAMPLES.iterdir() if p.suffix in (".py", ".html")]
    assert examples, "no example files"
    missing = sorted(p.name for p in examples if p.resolve() not in included)
    assert not missing, f"examples missing from the docs: {missing}"


# The reference.


def documented_names() -> Tuple[Set[str], Set[str]]:
    """Return the full names documented in docs/reference, and the modules."""
    names: Set[str] = set()
    modules: Set[str] = set()
    for path in sorted((DOCS / "reference").glob("*.rst")):
        module = ""
        classes: List[Tuple[int, str]] = []  # (indent, full name), innermost last
        lines = path.read_text(encoding="utf-8").split("\n")
        for index, line in enumerate(lines):
            match = DIRECTIVE.match(line)
            if match is not None:
                indent, name = len(match["indent"]), match["name"]
                arg = (match["arg"] or "").strip()
                while classes and classes[-1][0] >= indent:
                    classes.pop()
                if name in MODULE_DIRECTIVES:
                    module = arg
                    modules.add(arg)
                    continue
                if name not in OBJECT_DIRECTIVES:
                    continue
                targets = [arg]
                # More names may follow, aligned with the first one.
                column = line.index("::") + 3
                for next_line in lines[index + 1 :]:
                    if next_line[:column].strip() or not next_line[column:].strip():
                        break
                    targets.append(next_line.strip())
                for target in targets:
                    short = target.split("(")[0].strip()
                    if classes:
                        full = f"{classes[-1][1]}.{short}"
                    elif short.startswith("websockets."):
                        full = short
                    else:
                        full = f"{module}.{short}"
                    names.add(full)
                    if name in CLASS_DIRECTIVES:
                        classes.append((indent, full))
                continue
            # Options of an autoclass: :members: lists documented members.
            option = re.match(r"^ *:members:(.*)$", line)
            if option and classes:
                class_name = classes[-1][1]
                members = [m.strip() for m in option[1].split(",") if m.strip()]
                if not members:
                    module_name, _, attr = class_name.rpartition(".")
                    cls = getattr(importlib.import_module(module_name), attr)
                    members = [m for m in vars(cls) if not m.startswith("_")]
                names.update(f"{class_name}.{member}" for member in members)
    return names, modules


# Names in the spec: "websockets.module.name" entries, with the methods and
# properties listed under classes. Builtin type names on their own line are
# return types, not properties.
TYPE_NAMES = {"str", "bytes", "int", "bool", "float", "list", "dict", "tuple"}


def spec_names() -> Set[str]:
    top = re.compile(
        r"^(?:await |class |exception |classmethod await )?"
        r"(websockets(?:\.\w+){2,})(?:\(|\[| =|$)"
    )
    member = re.compile(
        r"^(?:await |classmethod await |classmethod )?([a-z_]\w*)(?:\(.*\))?"
        r"(?:\[source\])?$"
    )
    names: Set[str] = set()
    current_class = None
    for line in SPEC.read_text(encoding="utf-8").split("\n"):
        match = top.match(line)
        if match is not None:
            names.add(match[1])
            is_class = re.match(r"^(class|exception) ", line)
            current_class = match[1] if is_class else None
            continue
        if current_class is not None:
            match = member.match(line)
            if match is not None and match[1] not in TYPE_NAMES:
                names.add(f"{current_class}.{match[1]}")
    return names


@pytest.mark.skipif(not SPEC.is_file(), reason="the spec isn't on this machine")
def test_spec_names_are_parsed() -> None:
    names = spec_names()
    assert "websockets.server.serve" in names
    assert "websockets.protocol.WebSocketCommonProtocol.open" in names
    assert "websockets.framing.Frame.read" in names
    assert len(names) > 80


@pytest.mark.skipif(not SPEC.is_file(), reason="the spec isn't on this machine")
def test_reference_documents_every_name_in_the_spec() -> None:
    documented, _ = documented_names()
    missing = sorted(spec_names() - documented)
    assert not missing, f"missing from docs/reference: {missing}"


def test_reference_documents_every_public_name() -> None:
    documented, modules = documented_names()
    assert "websockets.connection" in modules
    missing = []
    for module_name in sorted(modules - {"websockets"}):
        module = importlib.import_module(module_name)
        for name in getattr(module, "__all__", []):
            if f"{module_name}.{name}" not in documented:
                missing.append(f"{module_name}.{name}")
    assert not missing, f"missing from docs/reference: {missing}"


def test_reference_documents_every_module() -> None:
    _, modules = documented_names()
    package = ROOT / "websockets"
    expected = {
        "websockets." + ".".join(path.relative_to(package).with_suffix("").parts)
        for path in package.rglob("*.py")
        if path.stem not in ("__init__", "__main__", "version")
    }
    missing = sorted(expected - modules)
    assert not missing, f"modules missing from docs/reference: {missing}"


# The compression memory table.


def test_zlib_memory_table_matches_the_script() -> None:
    source = (DOCS / "howto" / "compression.rst").read_text(encoding="utf-8")
    match = re.search(
        r"^\.\. zlib-memory-table: generated by docs/zlib_memory.py with zlib (\S+)\n"
        r"(?P<body>.*?)^\.\. end of zlib-memory-table",
        source,
        re.M | re.S,
    )
    assert match is not None, "table markers not found in compression.rst"
    # The table, without the directive that wraps it and its options.
    table = [
        line.strip()
        for line in match["body"].split("\n")
        if line.strip() and not line.strip().startswith((".. ", ":"))
    ]
    script: Dict[str, object] = runpy.run_path(str(DOCS / "zlib_memory.py"))
    generated = [line.rstrip() for line in script["table"]()]  # type: ignore[operator]
    assert len(generated) == len(table)
    assert generated[:3] == table[:3]  # the header
    if zlib.ZLIB_RUNTIME_VERSION != match[1]:
        pytest.skip(
            f"table measured with zlib {match[1]}, not {zlib.ZLIB_RUNTIME_VERSION}"
        )
    # Python's own objects differ a little between versions: allow 2 KiB.
    for documented, measured in zip(table[3:-1], generated[3:-1]):
        expected = [int(n) for n in re.findall(r"\d+", documented)]
        actual = [int(n) for n in re.findall(r"\d+", measured)]
        assert expected[0] == actual[0]  # window bits
        assert all(
            abs(a - b) <= 2 for a, b in zip(expected, actual)
        ), f"documented: {documented}\nmeasured:   {measured}"


# Sphinx.


def sphinx_build(builder: str, tmp_path: pathlib.Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-W",
            "--keep-going",
            "-n",
            "-q",
            "-b",
            builder,
            "-d",
            str(tmp_path / "doctrees"),
            str(DOCS),
            str(tmp_path / builder),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
    )
    output = result.stdout + result.stderr
    if builder == "doctest":
        report = tmp_path / builder / "output.txt"
        if report.exists():
            output += report.read_text(encoding="utf-8")
    assert result.returncode == 0, output


@pytest.mark.slow
def test_sphinx_references_and_doctests(tmp_path: pathlib.Path) -> None:
    pytest.importorskip(
        "sphinx", reason="Sphinx isn't installed: run `make docs` to install it"
    )
    # The dummy builder reads the sources and resolves every reference, which
    # the doctest builder doesn't; the doctest builder reuses what it read.
    sphinx_build("dummy", tmp_path)
    sphinx_build("doctest", tmp_path)
