"""
Sphinx configuration for the websockets documentation.

``make docs`` builds the HTML in docs/_build/html, then runs the doctests:
every snippet is a doctest, an included example file, or a ``code-block``
that tests/test_docs.py compiles. Warnings are errors and every
cross-reference must resolve (nitpicky mode).

Two small resolvers run when Sphinx can't find a Python reference:

* Docstrings name exceptions and classes from other modules by their short
  name, e.g. ``Raises: InvalidUpgrade:`` in websockets.handshake. Such a name
  resolves to the documented object with that name, if there's exactly one.
* Names from the standard library link to docs.python.org through the table
  below, so that the build needs no network access (intersphinx would). When
  a docstring starts mentioning another standard name, add it here.

"""

import pathlib
import sys
from typing import Any, Dict, List, Optional

from docutils import nodes
from sphinx.util.nodes import make_refnode


DOCS = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(DOCS.parent))

from websockets.version import version as release  # noqa: E402


# Project.

project = "websockets"
author = "the websockets authors"
copyright = "the websockets authors"
version = ".".join(release.split(".")[:2])

# General.

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.doctest",
    "sphinx.ext.napoleon",
    "sphinx.ext.viewcode",
]

exclude_patterns = ["_build"]
nitpicky = True
nitpick_ignore = [
    # The type variable of LineReader, Generic[T]: nothing to link to.
    ("py:class", "websockets.http.T"),
    ("py:class", "websockets.testing.T"),
    # What TestServer.connect() returns, as connect() does: documented there.
    ("py:class", "websockets.client.Connect"),
    # asyncio.Future as CPython names it at run time, in 8.x's task properties.
    ("py:class", "_asyncio.Future"),
]

# Autodoc: signatures show types; docstrings use the Google style.

autodoc_member_order = "bysource"
autodoc_typehints = "signature"
autodoc_typehints_format = "short"
autodoc_preserve_defaults = True
napoleon_google_docstring = True
napoleon_numpy_docstring = False
napoleon_use_rtype = False

# Doctest: every snippet runs from the root of the repository.

doctest_global_setup = f"""
import asyncio
import os
import websockets
os.chdir({str(DOCS.parent)!r})
"""

# HTML.

html_theme = "alabaster"
html_title = f"websockets {release}"
html_theme_options = {
    "description": "WebSocket client and server library for Python's asyncio",
    "fixed_sidebar": True,
    # Room for 88-character lines in code blocks.
    "page_width": "1160px",
    "show_related": True,
}
html_sidebars = {
    "**": ["about.html", "navigation.html", "relations.html", "searchbox.html"],
}
html_static_path: list = []


# Standard library names: page of the Python documentation, under /3/.

PYTHON_DOCS = "https://docs.python.org/3/"

STDLIB = {
    "asyncio": "library/asyncio.html",
    "asyncio.AbstractEventLoop": "library/asyncio-eventloop.html",
    "asyncio.AbstractServer": "library/asyncio-eventloop.html",
    "asyncio.BaseTransport": "library/asyncio-protocol.html",
    "asyncio.CancelledError": "library/asyncio-exceptions.html",
    "asyncio.Future": "library/asyncio-future.html",
    "asyncio.Protocol": "library/asyncio-protocol.html",
    "asyncio.Server": "library/asyncio-eventloop.html",
    "asyncio.StreamReader": "library/asyncio-stream.html",
    "asyncio.Task": "library/asyncio-task.html",
    "asyncio.TimeoutError": "library/asyncio-exceptions.html",
    "asyncio.TimerHandle": "library/asyncio-eventloop.html",
    "asyncio.Transport": "library/asyncio-protocol.html",
    "asyncio.create_task": "library/asyncio-task.html",
    "asyncio.gather": "library/asyncio-task.html",
    "asyncio.get_running_loop": "library/asyncio-eventloop.html",
    "asyncio.loop.add_signal_handler": "library/asyncio-eventloop.html",
    "asyncio.loop.create_connection": "library/asyncio-eventloop.html",
    "asyncio.loop.create_server": "library/asyncio-eventloop.html",
    "asyncio.loop.create_unix_connection": "library/asyncio-eventloop.html",
    "asyncio.loop.create_unix_server": "library/asyncio-eventloop.html",
    "asyncio.loop.run_in_executor": "library/asyncio-eventloop.html",
    "asyncio.Protocol.data_received": "library/asyncio-protocol.html",
    "asyncio.Queue": "library/asyncio-queue.html",
    "asyncio.DefaultEventLoopPolicy": "library/asyncio-policy.html",
    "asyncio.SelectorEventLoop": "library/asyncio-eventloop.html",
    "asyncio.new_event_loop": "library/asyncio-eventloop.html",
    "asyncio.sleep": "library/asyncio-task.html",
    "unittest": "library/unittest.html",
    "unittest.IsolatedAsyncioTestCase": "library/unittest.html",
    "asyncio.run": "library/asyncio-runner.html",
    "asyncio.shield": "library/asyncio-task.html",
    "asyncio.timeout": "library/asyncio-task.html",
    "asyncio.wait": "library/asyncio-task.html",
    "asyncio.wait_for": "library/asyncio-task.html",
    "codecs.IncrementalDecoder": "library/codecs.html",
    "collections.deque": "library/collections.html",
    "enum.Enum": "library/enum.html",
    "enum.IntEnum": "library/enum.html",
    "http.HTTPStatus": "library/http.html",
    "logging.Logger": "library/logging.html",
    "logging.basicConfig": "library/logging.html",
    "os.urandom": "library/os.html",
    "signal.SIGTERM": "library/signal.html",
    "socket.socket": "library/socket.html",
    "ssl.SSLContext": "library/ssl.html",
    "ssl.SSLContext.load_verify_locations": "library/ssl.html",
    "ssl.SSLError": "library/ssl.html",
    "ssl.SSLCertVerificationError": "library/ssl.html",
    "ssl.create_default_context": "library/ssl.html",
    "email.utils.formatdate": "library/email.utils.html",
    "socket.socket.shutdown": "library/socket.html",
    "socketserver.ThreadingTCPServer": "library/socketserver.html",
    "ssl.SSLSocket": "library/ssl.html",
    "threading": "library/threading.html",
    "threading.Condition": "library/threading.html",
    "threading.Condition.wait": "library/threading.html",
    "threading.Event": "library/threading.html",
    "tracemalloc": "library/tracemalloc.html",
    "types.TracebackType": "library/types.html",
    "typing.NamedTuple": "library/typing.html",
    "typing.NewType": "library/typing.html",
    "zlib.compressobj": "library/zlib.html",
    "zlib.decompressobj": "library/zlib.html",
}

# Names under which Python defines some of them, as annotations show them.
STDLIB_ALIASES = {
    "asyncio.base_events.Server": "asyncio.Server",
    "asyncio.events.AbstractEventLoop": "asyncio.AbstractEventLoop",
    "asyncio.events.AbstractServer": "asyncio.AbstractServer",
    "asyncio.events.TimerHandle": "asyncio.TimerHandle",
    "asyncio.exceptions.CancelledError": "asyncio.CancelledError",
    "asyncio.exceptions.TimeoutError": "asyncio.TimeoutError",
    "asyncio.futures.Future": "asyncio.Future",
    "asyncio.protocols.Protocol": "asyncio.Protocol",
    "asyncio.streams.StreamReader": "asyncio.StreamReader",
    "asyncio.tasks.Task": "asyncio.Task",
    "asyncio.transports.BaseTransport": "asyncio.BaseTransport",
    "asyncio.transports.Transport": "asyncio.Transport",
    "TracebackType": "types.TracebackType",
}


def resolve_stdlib(target: str, contnode: nodes.Node) -> Optional[nodes.Node]:
    """Link a standard library name to docs.python.org, if it's in the table."""
    target = STDLIB_ALIASES.get(target, target)
    page = STDLIB.get(target)
    if page is None:
        return None
    anchor = f"#{target}" if "." in target else ""
    reference = nodes.reference(
        "", "", internal=False, refuri=f"{PYTHON_DOCS}{page}{anchor}", reftitle=target
    )
    reference += contnode
    return reference


def resolve_short_name(
    app: Any, env: Any, node: Any, contnode: nodes.Node
) -> Optional[nodes.Node]:
    """Resolve a name to the only documented object ending with that name."""
    domain = env.get_domain("py")
    target = node["reftarget"]
    modname, clsname = node.get("py:module"), node.get("py:class")
    matches = domain.find_obj(env, modname, clsname, target, node["reftype"], 1)
    if not matches:
        # Annotations refer to type aliases, documented as data, as classes.
        matches = domain.find_obj(env, modname, clsname, target, None, 1)
    if len(matches) != 1:
        return None
    name, obj = matches[0]
    return make_refnode(app.builder, node["refdoc"], obj[0], obj[1], contnode, name)


def missing_reference(
    app: Any, env: Any, node: Any, contnode: nodes.Node
) -> Optional[nodes.Node]:
    if node.get("refdomain") != "py":
        return None
    resolved = resolve_stdlib(node["reftarget"], contnode)
    if resolved is None and "." not in node["reftarget"]:
        resolved = resolve_short_name(app, env, node, contnode)
    return resolved


def separate_summary(
    app: Any, what: str, name: str, obj: Any, options: Any, lines: List[str]
) -> None:
    """
    Keep napoleon from reading "Summary: more." as "type: description".

    For attributes, data and properties, napoleon takes the text before the
    first colon of the docstring as a type, as in "int: the size". This
    library's docstrings don't use that form.

    """
    if what in ("attribute", "data", "property") and lines and lines[0]:
        # napoleon reads the first line only: make it an empty comment.
        lines[:0] = ["..", ""]


def setup(app: Any) -> Dict[str, Any]:
    app.connect("missing-reference", missing_reference)
    # Before napoleon, which runs at the default priority, 500.
    app.connect("autodoc-process-docstring", separate_summary, priority=400)
    return {"parallel_read_safe": True}
