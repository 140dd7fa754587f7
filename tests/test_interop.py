"""
Interoperability with other WebSocket implementations, over real sockets.

Peers: node ``ws`` from npm, aiohttp and wsproto from PyPI, and the websockets
release from PyPI, in its own virtual environment since it has our import
name. ``make interop`` installs them; the tests of a peer that isn't
installed are skipped.

Each peer is a program in tests/interop/, run as a subprocess: a server that
echoes messages or obeys commands, or a client that connects where it's told
to and does the same. tests/interop/peer_common.py describes what they print
and read. One process per peer and role serves every test of this module.
Our side runs in this process, as the client of the peer's server and as the
server of the peer's client, and checks what arrives byte for byte; the peer
reports what it saw: close code and reason, subprotocol, extensions, pongs.

"""

import asyncio
import contextlib
import functools
import importlib.metadata
import importlib.util
import itertools
import json
import os
import random
import shutil
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import (
    Any,
    AsyncIterator,
    Callable,
    Dict,
    Iterator,
    List,
    Optional,
    Sequence,
    Tuple,
    Union,
)

import pytest

import websockets
from websockets.auth import basic_auth_protocol_factory
from websockets.client import WebSocketClientProtocol
from websockets.exceptions import InvalidStatusCode
from websockets.protocol import WebSocketCommonProtocol
from websockets.server import WebSocketServerProtocol
from websockets.sync.client import connect as sync_connect
from websockets.sync.server import (
    ServerConnection as SyncServerConnection,
    serve as sync_serve,
)

from .utils import async_test


Data = Union[str, bytes]
Report = Dict[str, Any]

ROOT = Path(__file__).resolve().parent.parent
INTEROP = ROOT / "tests" / "interop"
NODE_WS = INTEROP / "node_modules" / "ws" / "package.json"
PYPI_VENV = ROOT / ".venv-websockets-pypi"
PYPI_INSTALLED = PYPI_VENV / ".installed"
PYPI_PYTHON = PYPI_VENV / "bin" / "python"

PEERS = ["node", "aiohttp", "wsproto", "websockets"]

# How long we wait for a peer to start, and then for each of its answers.
# Below the deadline of async_test, so that a silent peer names itself.
STARTUP_TIMEOUT = 30.0
TIMEOUT = 8.0

# 8 MiB messages and then some, on both sides.
MAX_SIZE = 2**24

SUBPROTOCOLS = ["chat", "superchat"]
USERNAME = "interop"
PASSWORD = "s3cret-pass_word"
REALM = "interop"

# What each peer does by default with permessage-deflate (RFC 7692), as a
# server and as a client. wsproto has no defaults: its peer program uses
# PerMessageDeflate() with its default parameters.
DEFLATE_AS_SERVER = {
    "node": False,
    "aiohttp": True,
    "wsproto": True,
    "websockets": True,
}
DEFLATE_AS_CLIENT = {
    "node": True,
    "aiohttp": False,
    "wsproto": True,
    "websockets": True,
}

# aiohttp answers a close frame with code 1000 and no reason instead of
# echoing the code (RFC 6455 5.5.1 says "typically"), and doesn't keep the
# reason of the close frame that answers its own.
ECHOES_CLOSE = {"node": True, "aiohttp": False, "wsproto": True, "websockets": True}

# aiohttp has no API to send a message in fragments.
SENDS_FRAGMENTS = {"node": True, "aiohttp": False, "wsproto": True, "websockets": True}

SIZES = [0, 125, 126, 65535, 65536, 2**20, 2**23]
SIZE_IDS = ["0", "125", "126", "65535", "65536", "1MiB", "8MiB"]

# Messages sent with each peer's default compression settings.
COMPRESSED = [("text", 65536), ("text", 2**20), ("text", 2**23), ("binary", 2**20)]
COMPRESSED_IDS = ["text-65536", "text-1MiB", "text-8MiB", "binary-1MiB"]

# Words of 1 to 9 characters of 1, 2, 3 and 4 bytes in UTF-8, for text that
# deflate compresses about as well as prose and quickly.
_ALPHABET = "abcdefghijklmnopqrstuvwxyzéèàüßçΩπΣжЖ€✓中文字😀🎉"
_rng = random.Random(0)
WORDS = {
    byte: "".join(_rng.choices(_ALPHABET, k=_rng.randint(1, 9))) + " "
    for byte in range(256)
}

# Fragments with an empty one in the middle and one above 65535 bytes.
FRAGMENTS: Dict[str, List[Data]] = {
    "text": ["fragments ✓ ", "", "ü€😀" * 8000, " — end"],
    "binary": [b"\x00\xff\x80", b"", bytes(range(256)) * 300, b"end"],
}


def deflate(enabled: bool) -> List[str]:
    """Return the names of the extensions in use."""
    return ["permessage-deflate"] if enabled else []


REASON_OURS = "bye from us ✓"
REASON_PEER = "bye from the peer ✓"

_counter = itertools.count()


def unique(prefix: str) -> str:
    """Return a request path that no other test uses, so that reports don't mix."""
    return f"{prefix}/{next(_counter)}"


# Payloads.


@functools.lru_cache(maxsize=None)
def payload(kind: str, size: int) -> Data:
    """Return ``size`` bytes of random data or of UTF-8 text, the same every run."""
    rng = random.Random(size)
    if kind == "binary":
        return rng.getrandbits(8 * size).to_bytes(size, "little") if size else b""
    chunks: List[str] = []
    length = 0
    while size - length >= 40:  # at most 40 bytes a word: never too long
        count = (size - length) // 40
        data = rng.getrandbits(8 * count).to_bytes(count, "little")
        chunk = data.decode("latin-1").translate(WORDS)
        chunks.append(chunk)
        length += len(chunk.encode())
    chunks.append("é" * ((size - length) // 2) + "x" * ((size - length) % 2))
    text = "".join(chunks)
    assert len(text.encode()) == size
    return text


def assert_same(received: Data, expected: Data) -> None:
    """Compare two messages without printing megabytes when they differ."""
    assert type(received) is type(expected), f"{type(received)} != {type(expected)}"
    assert len(received) == len(expected), f"{len(received)} != {len(expected)}"
    if received != expected:
        index = next(i for i, (a, b) in enumerate(zip(received, expected)) if a != b)
        raise AssertionError(f"messages of {len(expected)} differ at index {index}")


# Peer processes.


def unavailable(peer: str) -> Optional[str]:
    """Tell why a peer can't run here, or return ``None`` if it can."""
    if peer == "node":
        if shutil.which("node") is None:
            return "node isn't installed: the node ws tests need it"
        if not NODE_WS.exists():
            return "node ws not installed: run make interop"
    elif peer in ("aiohttp", "wsproto"):
        if importlib.util.find_spec(peer) is None:
            return f"{peer} not installed in this environment: run make interop"
    elif not PYPI_INSTALLED.exists() or not PYPI_PYTHON.exists():
        return "websockets from PyPI not installed: run make interop"
    return None


def command_line(peer: str, role: str) -> List[str]:
    """Return the command that runs a peer program."""
    if peer == "node":
        program = [shutil.which("node") or "node", str(INTEROP / "node_peer.js")]
    elif peer == "websockets":
        program = [str(PYPI_PYTHON), str(INTEROP / "websockets_peer.py")]
    else:
        program = [sys.executable, str(INTEROP / f"{peer}_peer.py")]
    if role == "client":
        return [*program, "client"]
    return [
        *program,
        "server",
        "--subprotocols",
        ",".join(SUBPROTOCOLS),
        "--credentials",
        f"{USERNAME}:{PASSWORD}",
    ]


def peer_environment() -> Dict[str, str]:
    """Return the environment of the peers, without what makes Python special here."""
    env = dict(os.environ)
    # PYTHONPATH could put this checkout's websockets ahead of PyPI's;
    # PYTHONSAFEPATH would hide peer_common from the peer programs; debug
    # mode slows the peers down for nothing.
    for name in ("PYTHONPATH", "PYTHONSAFEPATH", "PYTHONASYNCIODEBUG", "PYTHONHOME"):
        env.pop(name, None)
    for name in list(env):
        if name.startswith("COV_CORE_") or name == "COVERAGE_PROCESS_START":
            del env[name]
    return env


class PeerError(Exception):
    """A peer exited, or didn't answer in time."""


class PeerProcess:
    """A peer program running in a subprocess, and the JSON lines it printed."""

    def __init__(self, peer: str, role: str) -> None:
        self.name = f"{peer} {role}"
        self.stderr = tempfile.TemporaryFile()
        self.process = subprocess.Popen(
            command_line(peer, role),
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.stderr,
            cwd=str(INTEROP),
            env=peer_environment(),
        )
        self.lines: List[Report] = []
        self.eof = False
        self.condition = threading.Condition()
        self.reader = threading.Thread(target=self._read, name=self.name, daemon=True)
        self.reader.start()
        self._ids = itertools.count()
        try:
            self.hello = self.wait_for(lambda line: True, STARTUP_TIMEOUT)
        except BaseException:
            self.stop()
            raise

    def _read(self) -> None:
        assert self.process.stdout is not None
        for raw in self.process.stdout:
            try:
                line = json.loads(raw)
            except ValueError:
                line = {"unexpected output": raw.decode(errors="replace")}
            with self.condition:
                self.lines.append(line)
                self.condition.notify_all()
        with self.condition:
            self.eof = True
            self.condition.notify_all()

    def wait_for(self, predicate: Callable[[Report], bool], timeout: float) -> Report:
        """Take the first line that matches ``predicate``, waiting for it if needed."""
        found: List[Report] = []

        def take() -> bool:
            for index, line in enumerate(self.lines):
                if predicate(line):
                    found.append(self.lines.pop(index))
                    return True
            return self.eof

        with self.condition:
            self.condition.wait_for(take, timeout)
        if found:
            return found[0]
        if self.eof:
            raise PeerError(f"{self.name} exited: {self.errors()}")
        raise PeerError(f"{self.name} didn't answer in {timeout} s: {self.errors()}")

    def errors(self) -> str:
        """Return the end of what the peer printed on its standard error."""
        self.stderr.seek(0)
        output = self.stderr.read().decode(errors="replace").strip()
        return output[-3000:] or "no output on stderr"

    def write(self, command: Report) -> int:
        """Send a command to a client peer; return its id."""
        assert self.process.stdin is not None
        command_id = next(self._ids)
        self.process.stdin.write(json.dumps({"id": command_id, **command}).encode())
        self.process.stdin.write(b"\n")
        self.process.stdin.flush()
        return command_id

    def stop(self) -> None:
        """Stop the peer: it exits at the end of its input, or it's killed."""
        assert self.process.stdin is not None and self.process.stdout is not None
        with contextlib.suppress(OSError):
            self.process.stdin.close()
        try:
            self.process.wait(5)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.reader.join(5)
        self.process.stdout.close()
        self.stderr.close()


class Peers:
    """The peer processes of this module, started when a test first needs them."""

    def __init__(self) -> None:
        self.processes: Dict[Tuple[str, str], PeerProcess] = {}
        self.failures: Dict[Tuple[str, str], BaseException] = {}

    def get(self, peer: str, role: str) -> PeerProcess:
        reason = unavailable(peer)
        if reason is not None:
            pytest.skip(reason)
        key = (peer, role)
        if key in self.failures:  # don't wait for a broken peer in every test
            raise PeerError(f"{peer} {role} didn't start") from self.failures[key]
        if key not in self.processes:
            try:
                self.processes[key] = PeerProcess(peer, role)
            except Exception as exc:
                self.failures[key] = exc
                raise
        return self.processes[key]

    def stop(self) -> None:
        for process in self.processes.values():
            process.stop()


@pytest.fixture(scope="module")
def peers() -> Iterator[Peers]:
    registry = Peers()
    try:
        yield registry
    finally:
        registry.stop()


@pytest.fixture(params=PEERS)
def peer(request: pytest.FixtureRequest) -> str:
    name: str = request.param
    return name


@pytest.fixture
def server(peers: Peers, peer: str) -> PeerProcess:
    """The peer as a server; our side is the client."""
    return peers.get(peer, "server")


@pytest.fixture
def client(peers: Peers, peer: str) -> PeerProcess:
    """The peer as a client; our side is the server."""
    return peers.get(peer, "client")


async def in_thread(function: Callable[..., Any], *args: Any) -> Any:
    return await asyncio.get_running_loop().run_in_executor(None, function, *args)


# Our side.


def uri(server: PeerProcess, path: str, userinfo: str = "") -> str:
    return f"ws://{userinfo}127.0.0.1:{server.hello['listening']}{path}"


def connect(server: PeerProcess, path: str, **kwargs: Any) -> Any:
    """Connect to a peer's server, as ``websockets.connect`` does."""
    return websockets.connect(uri(server, path), max_size=MAX_SIZE, **kwargs)


async def closed_report(server: PeerProcess, path: str) -> Report:
    """Wait for a peer's server to report the end of the connection to ``path``."""
    report: Report = await in_thread(
        server.wait_for,
        lambda line: line.get("event") == "closed" and line.get("path") == path,
        TIMEOUT,
    )
    return report


async def command(ws: WebSocketCommonProtocol, action: Report) -> Report:
    """Send a command to a peer in the ctl scenario and return its answer."""
    await ws.send(json.dumps(action))
    answer = await asyncio.wait_for(ws.recv(), TIMEOUT)
    assert isinstance(answer, str)
    result: Report = json.loads(answer)
    return result


def request_connection(
    client: PeerProcess,
    port: int,
    path: str,
    mode: str,
    subprotocols: Sequence[str] = (),
    userinfo: str = "",
) -> "asyncio.Future[Report]":
    """Tell a peer's client to connect to us; return the future of its result."""
    command_id = client.write(
        {
            "uri": f"ws://{userinfo}127.0.0.1:{port}{path}",
            "mode": mode,
            "subprotocols": list(subprotocols),
        }
    )
    return asyncio.ensure_future(
        in_thread(client.wait_for, lambda line: line.get("id") == command_id, TIMEOUT)
    )


class Accepted:
    """A connection from a peer's client: our end, and the future of its result."""

    def __init__(
        self, ws: WebSocketServerProtocol, result: "asyncio.Future[Report]"
    ) -> None:
        self.ws = ws
        self.result = result

    async def report(self) -> Report:
        """Wait for the peer's result, once the connection is closed."""
        report = await asyncio.wait_for(self.result, TIMEOUT + 1)
        assert report.get("status") == 101, report
        return report


def serve(handler: Callable[..., Any], **kwargs: Any) -> Any:
    """Start our server on a free port, as ``websockets.serve`` does."""
    kwargs.setdefault("subprotocols", SUBPROTOCOLS)
    return websockets.serve(handler, "127.0.0.1", 0, max_size=MAX_SIZE, **kwargs)


def port_of(server: Any) -> int:
    port: int = server.sockets[0].getsockname()[1]
    return port


@contextlib.asynccontextmanager
async def accept(
    client: PeerProcess,
    mode: str,
    subprotocols: Sequence[str] = (),
    **kwargs: Any,
) -> AsyncIterator[Accepted]:
    """Have a peer's client connect to our server and yield the connection."""
    connected: asyncio.Future[WebSocketServerProtocol]
    connected = asyncio.get_running_loop().create_future()

    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        connected.set_result(ws)
        await ws.wait_closed()

    async with serve(handler, **kwargs) as server:
        result = request_connection(
            client, port_of(server), unique(f"/{mode}"), mode, subprotocols
        )
        first: List[asyncio.Future[Any]] = [connected, result]
        await asyncio.wait(first, timeout=TIMEOUT, return_when=asyncio.FIRST_COMPLETED)
        if not connected.done():
            raise AssertionError(f"{client.name} didn't connect: {await result}")
        try:
            yield Accepted(connected.result(), result)
        finally:
            # Let the peer print its result before the next test: it comes
            # once the server closes the connection, if it isn't closed yet.
            server.close()
            await server.wait_closed()
            await asyncio.wait([result], timeout=TIMEOUT)


# Our client, the peer's server.


def pinned_version(peer: str) -> str:
    """Return the version of a peer that ``make interop`` installs."""
    if peer == "node":
        package = json.loads((INTEROP / "package.json").read_text())
        version: str = package["dependencies"]["ws"]
        return version
    if peer == "websockets":
        pins = (INTEROP / "websockets-pypi.txt").read_text().splitlines()
        return next(pin for pin in pins if pin.startswith("websockets=="))[12:]
    # aiohttp and wsproto run on this interpreter, from this environment.
    return importlib.metadata.version(peer)


def test_peer_runs_the_pinned_library(peers: Peers, peer: str) -> None:
    # In particular, the websockets peer never imports this checkout.
    name = "ws" if peer == "node" else peer
    for role in ("server", "client"):
        hello = peers.get(peer, role).hello
        assert hello["library"].split()[:2] == [name, pinned_version(peer)], hello
        module = Path(hello["module"]).resolve()
        if peer == "websockets":
            assert PYPI_VENV.resolve() in module.parents, hello
        elif peer == "node":
            assert INTEROP.resolve() in module.parents, hello
    assert Path(websockets.__file__).resolve().parent == ROOT / "websockets"


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("kind", ["text", "binary"])
@async_test
async def test_client_echo(server: PeerProcess, kind: str, size: int) -> None:
    # Without compression, frames carry these lengths: 7, 16 and 64-bit
    # length encodings and their limits (RFC 6455 5.2).
    message = payload(kind, size)
    path = unique("/echo")
    async with connect(server, path, compression=None) as ws:
        await ws.send(message)
        assert_same(await ws.recv(), message)
    report = await closed_report(server, path)
    assert (report["code"], report["reason"]) == (1000, "")


@pytest.mark.parametrize(("kind", "size"), COMPRESSED, ids=COMPRESSED_IDS)
@async_test
async def test_client_compressed_echo(
    server: PeerProcess, peer: str, kind: str, size: int
) -> None:
    message = payload(kind, size)
    async with connect(server, unique("/echo")) as ws:
        assert [ext.name for ext in ws.extensions] == deflate(DEFLATE_AS_SERVER[peer])
        await ws.send(message)
        assert_same(await ws.recv(), message)


@pytest.mark.parametrize("kind", ["text", "binary"])
@async_test
async def test_client_sends_fragments(server: PeerProcess, kind: str) -> None:
    parts = FRAGMENTS[kind]
    async with connect(server, unique("/echo")) as ws:
        await ws.send(parts)
        assert_same(await ws.recv(), parts[0][:0].join(parts))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["text", "binary"])
@async_test
async def test_client_receives_fragments(
    server: PeerProcess, peer: str, kind: str
) -> None:
    if not SENDS_FRAGMENTS[peer]:
        pytest.skip(f"{peer} can't send fragmented messages")
    parts = FRAGMENTS[kind]
    wire = [part.hex() if isinstance(part, bytes) else part for part in parts]
    async with connect(server, unique("/ctl")) as ws:
        await ws.send(
            json.dumps({"do": "send", "parts": wire, "binary": kind == "binary"})
        )
        message = await asyncio.wait_for(ws.recv(), TIMEOUT)
        assert_same(message, parts[0][:0].join(parts))  # type: ignore[arg-type]


@async_test
async def test_client_ping_is_answered(server: PeerProcess) -> None:
    async with connect(server, unique("/echo")) as ws:
        pong = await ws.ping(b"our ping \x00\xff")
        await asyncio.wait_for(pong, TIMEOUT)
        pong = await ws.ping("our ping ✓")
        await asyncio.wait_for(pong, TIMEOUT)


@async_test
async def test_client_answers_ping(server: PeerProcess) -> None:
    async with connect(server, unique("/ctl")) as ws:
        answer = await command(ws, {"do": "ping", "data": "peer ping ✓"})
    assert answer == {"pong": "peer ping ✓"}


@async_test
async def test_client_closes(server: PeerProcess, peer: str) -> None:
    path = unique("/echo")
    async with connect(server, path) as ws:
        await ws.close(4001, REASON_OURS)
    if ECHOES_CLOSE[peer]:
        assert (ws.close_code, ws.close_reason) == (4001, REASON_OURS)
    else:
        assert (ws.close_code, ws.close_reason) == (1000, "")
    report = await closed_report(server, path)
    assert (report["code"], report["reason"]) == (4001, REASON_OURS)


@async_test
async def test_client_closed_by_peer(server: PeerProcess, peer: str) -> None:
    path = unique("/ctl")
    async with connect(server, path) as ws:
        await ws.send(json.dumps({"do": "close", "code": 4002, "reason": REASON_PEER}))
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
    assert (ws.close_code, ws.close_reason) == (4002, REASON_PEER)
    report = await closed_report(server, path)
    reason = REASON_PEER if ECHOES_CLOSE[peer] else None
    assert (report["code"], report["reason"]) == (4002, reason)


@async_test
async def test_client_compression(server: PeerProcess, peer: str) -> None:
    expected = deflate(DEFLATE_AS_SERVER[peer])
    async with connect(server, unique("/ctl")) as ws:
        info = await command(ws, {"do": "info"})
        assert [extension.name for extension in ws.extensions] == expected
    assert info["extensions"] == expected


OFFERS = [
    ([], None),
    (["superchat"], "superchat"),
    (["unknown", "chat"], "chat"),
    (["unknown"], None),
]
OFFER_IDS = ["none", "superchat", "unknown-chat", "unknown"]


@pytest.mark.parametrize(("offered", "expected"), OFFERS, ids=OFFER_IDS)
@async_test
async def test_client_subprotocol(
    server: PeerProcess, offered: List[str], expected: Optional[str]
) -> None:
    async with connect(server, unique("/ctl"), subprotocols=offered or None) as ws:
        info = await command(ws, {"do": "info"})
        assert ws.subprotocol == expected
    assert info["subprotocol"] == expected


def recording(protocols: List[WebSocketClientProtocol]) -> Callable[..., Any]:
    """Return a ``create_protocol`` for ``connect`` that keeps the protocols."""

    def create_protocol(**kwargs: Any) -> WebSocketClientProtocol:
        protocol = WebSocketClientProtocol(**kwargs)
        protocols.append(protocol)
        return protocol

    return create_protocol


@pytest.mark.parametrize(
    "userinfo",
    ["", f"{USERNAME}:wrong@", f"nobody:{PASSWORD}@"],
    ids=["none", "wrong-password", "wrong-username"],
)
@async_test
async def test_client_auth_refused(server: PeerProcess, userinfo: str) -> None:
    with pytest.raises(InvalidStatusCode, match="HTTP 401") as raised:
        await websockets.connect(uri(server, unique("/auth"), userinfo))
    assert raised.value.status_code == 401


@async_test
async def test_client_connection_closed_when_handshake_fails() -> None:
    # Found with the peers, which close their end at different times after a
    # 401: test_client_auth_refused raised "ResourceWarning: unclosed
    # transport" now and then, when connect() raised before the connection was
    # closed. This server never closes its end, so the outcome doesn't depend
    # on timing: the client must close the connection before raising.
    writers: List[asyncio.StreamWriter] = []

    async def refuse(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        writers.append(writer)
        await reader.readuntil(b"\r\n\r\n")
        writer.write(b"HTTP/1.1 401 Unauthorized\r\nContent-Length: 0\r\n\r\n")

    server = await asyncio.start_server(refuse, "127.0.0.1", 0)
    protocols: List[WebSocketClientProtocol] = []
    try:
        with pytest.raises(InvalidStatusCode, match="HTTP 401"):
            await websockets.connect(
                f"ws://127.0.0.1:{port_of(server)}/",
                create_protocol=recording(protocols),
            )
        assert protocols[0].closed
    finally:
        for writer in writers:
            writer.close()
        await asyncio.wait_for(protocols[0].wait_closed(), TIMEOUT)
        server.close()
        await server.wait_closed()


@async_test
async def test_client_auth(server: PeerProcess) -> None:
    path = unique("/auth")
    async with websockets.connect(uri(server, path, f"{USERNAME}:{PASSWORD}@")) as ws:
        await ws.send("authorized ✓")
        assert await asyncio.wait_for(ws.recv(), TIMEOUT) == "authorized ✓"
    report = await closed_report(server, path)
    assert report["code"] == 1000


# Our server, the peer's client.


@pytest.mark.parametrize("size", SIZES, ids=SIZE_IDS)
@pytest.mark.parametrize("kind", ["text", "binary"])
@async_test
async def test_server_echo(client: PeerProcess, kind: str, size: int) -> None:
    message = payload(kind, size)
    async with accept(client, "echo", compression=None) as accepted:
        await accepted.ws.send(message)
        assert_same(await accepted.ws.recv(), message)
        await accepted.ws.close()
        report = await accepted.report()
    assert (report["code"], report["reason"]) == (1000, "")


@pytest.mark.parametrize(("kind", "size"), COMPRESSED, ids=COMPRESSED_IDS)
@async_test
async def test_server_compressed_echo(
    client: PeerProcess, peer: str, kind: str, size: int
) -> None:
    message = payload(kind, size)
    async with accept(client, "echo") as accepted:
        ws = accepted.ws
        assert [ext.name for ext in ws.extensions] == deflate(DEFLATE_AS_CLIENT[peer])
        await ws.send(message)
        assert_same(await ws.recv(), message)


@pytest.mark.parametrize("kind", ["text", "binary"])
@async_test
async def test_server_sends_fragments(client: PeerProcess, kind: str) -> None:
    parts = FRAGMENTS[kind]
    async with accept(client, "echo") as accepted:
        await accepted.ws.send(parts)
        assert_same(await accepted.ws.recv(), parts[0][:0].join(parts))  # type: ignore[arg-type]


@pytest.mark.parametrize("kind", ["text", "binary"])
@async_test
async def test_server_receives_fragments(
    client: PeerProcess, peer: str, kind: str
) -> None:
    if not SENDS_FRAGMENTS[peer]:
        pytest.skip(f"{peer} can't send fragmented messages")
    parts = FRAGMENTS[kind]
    wire = [part.hex() if isinstance(part, bytes) else part for part in parts]
    async with accept(client, "ctl") as accepted:
        action = {"do": "send", "parts": wire, "binary": kind == "binary"}
        await accepted.ws.send(json.dumps(action))
        message = await asyncio.wait_for(accepted.ws.recv(), TIMEOUT)
        assert_same(message, parts[0][:0].join(parts))  # type: ignore[arg-type]


@async_test
async def test_server_ping_is_answered(client: PeerProcess) -> None:
    async with accept(client, "echo") as accepted:
        pong = await accepted.ws.ping(b"our ping \x00\xff")
        await asyncio.wait_for(pong, TIMEOUT)
        pong = await accepted.ws.ping("our ping ✓")
        await asyncio.wait_for(pong, TIMEOUT)


@async_test
async def test_server_answers_ping(client: PeerProcess) -> None:
    async with accept(client, "ctl") as accepted:
        answer = await command(accepted.ws, {"do": "ping", "data": "peer ping ✓"})
    assert answer == {"pong": "peer ping ✓"}


@async_test
async def test_server_closes(client: PeerProcess, peer: str) -> None:
    async with accept(client, "echo") as accepted:
        ws = accepted.ws
        await ws.close(4003, REASON_OURS)
        report = await accepted.report()
    if ECHOES_CLOSE[peer]:
        assert (ws.close_code, ws.close_reason) == (4003, REASON_OURS)
    else:
        assert (ws.close_code, ws.close_reason) == (1000, "")
    assert (report["code"], report["reason"]) == (4003, REASON_OURS)


@async_test
async def test_server_closed_by_peer(client: PeerProcess, peer: str) -> None:
    async with accept(client, "ctl") as accepted:
        ws = accepted.ws
        await ws.send(json.dumps({"do": "close", "code": 4004, "reason": REASON_PEER}))
        await asyncio.wait_for(ws.wait_closed(), TIMEOUT)
        report = await accepted.report()
    assert (ws.close_code, ws.close_reason) == (4004, REASON_PEER)
    reason = REASON_PEER if ECHOES_CLOSE[peer] else None
    assert (report["code"], report["reason"]) == (4004, reason)


@async_test
async def test_server_compression(client: PeerProcess, peer: str) -> None:
    expected = deflate(DEFLATE_AS_CLIENT[peer])
    async with accept(client, "ctl") as accepted:
        info = await command(accepted.ws, {"do": "info"})
        assert [extension.name for extension in accepted.ws.extensions] == expected
    assert info["extensions"] == expected


@pytest.mark.parametrize(("offered", "expected"), OFFERS, ids=OFFER_IDS)
@async_test
async def test_server_subprotocol(
    client: PeerProcess, peer: str, offered: List[str], expected: Optional[str]
) -> None:
    if peer == "node" and offered and expected is None:
        # ws fails the connection when the server doesn't pick a subprotocol
        # that it offered; RFC 6455 4.1 lets the client do that.
        async with serve(lambda ws, path: ws.wait_closed()) as ours:
            result = request_connection(client, port_of(ours), "/ctl", "ctl", offered)
            report = await asyncio.wait_for(result, TIMEOUT + 1)
        assert report["error"] == "Server sent no subprotocol"
        return
    async with accept(client, "ctl", offered) as accepted:
        info = await command(accepted.ws, {"do": "info"})
        assert accepted.ws.subprotocol == expected
    assert info["subprotocol"] == expected


def basic_auth() -> Any:
    return basic_auth_protocol_factory(REALM, credentials=(USERNAME, PASSWORD))


@pytest.mark.parametrize(
    "userinfo",
    ["", f"{USERNAME}:wrong@", f"nobody:{PASSWORD}@"],
    ids=["none", "wrong-password", "wrong-username"],
)
@async_test
async def test_server_auth_refused(client: PeerProcess, userinfo: str) -> None:
    async def handler(ws: WebSocketServerProtocol, path: str) -> None:
        raise AssertionError("the handshake should fail")

    async with serve(handler, create_protocol=basic_auth()) as ours:
        result = request_connection(client, port_of(ours), "/", "echo", (), userinfo)
        report = await asyncio.wait_for(result, TIMEOUT + 1)
    assert report.get("status") == 401, report


@async_test
async def test_server_auth(client: PeerProcess) -> None:
    usernames: List[Optional[str]] = []

    async def handler(ws: Any, path: str) -> None:
        usernames.append(ws.username)
        await ws.send("authorized ✓")
        assert await ws.recv() == "authorized ✓"

    async with serve(handler, create_protocol=basic_auth()) as ours:
        userinfo = f"{USERNAME}:{PASSWORD}@"
        result = request_connection(client, port_of(ours), "/", "echo", (), userinfo)
        report = await asyncio.wait_for(result, TIMEOUT + 1)
    assert report.get("status") == 101, report
    assert usernames == [USERNAME]


# The threading API, websockets.sync, against the Python peers.

SYNC_PEERS = ["wsproto", "websockets"]


@pytest.mark.parametrize("peer", SYNC_PEERS)
@pytest.mark.parametrize(("kind", "size"), [("text", 125), ("binary", 2**20)])
def test_sync_client_echo(server: PeerProcess, peer: str, kind: str, size: int) -> None:
    message = payload(kind, size)
    path = unique("/echo")
    with sync_connect(uri(server, path), max_size=MAX_SIZE, ping_interval=None) as ws:
        assert [ext.name for ext in ws.extensions] == deflate(DEFLATE_AS_SERVER[peer])
        ws.send(message)
        assert_same(ws.recv(TIMEOUT), message)
        ws.send(FRAGMENTS[kind])
        expected = FRAGMENTS[kind][0][:0].join(FRAGMENTS[kind])  # type: ignore[arg-type]
        assert_same(ws.recv(TIMEOUT), expected)
        assert ws.ping(b"sync ping").wait(TIMEOUT)
        ws.close(4001, REASON_OURS)
    assert (ws.close_code, ws.close_reason) == (4001, REASON_OURS)
    report = server.wait_for(
        lambda line: line.get("event") == "closed" and line.get("path") == path,
        TIMEOUT,
    )
    assert (report["code"], report["reason"]) == (4001, REASON_OURS)


@pytest.mark.parametrize("peer", SYNC_PEERS)
def test_sync_client_subprotocol_and_peer_close(server: PeerProcess, peer: str) -> None:
    path = unique("/ctl")
    with sync_connect(uri(server, path), subprotocols=["superchat"]) as ws:
        assert ws.subprotocol == "superchat"
        ws.send(json.dumps({"do": "info"}))
        assert json.loads(ws.recv(TIMEOUT))["subprotocol"] == "superchat"
        ws.send(json.dumps({"do": "ping", "data": "peer ping ✓"}))
        assert json.loads(ws.recv(TIMEOUT)) == {"pong": "peer ping ✓"}
        ws.send(json.dumps({"do": "close", "code": 4002, "reason": REASON_PEER}))
        assert ws.wait_closed(TIMEOUT)
    assert (ws.close_code, ws.close_reason) == (4002, REASON_PEER)


@pytest.mark.parametrize("peer", SYNC_PEERS)
def test_sync_client_auth_refused(server: PeerProcess, peer: str) -> None:
    with pytest.raises(InvalidStatusCode, match="HTTP 401"):
        sync_connect(uri(server, unique("/auth"), f"{USERNAME}:wrong@"))


@pytest.mark.parametrize("peer", SYNC_PEERS)
@pytest.mark.parametrize("mode", ["echo", "ctl"])
def test_sync_server(client: PeerProcess, peer: str, mode: str) -> None:
    received: List[Data] = []

    def handler(ws: SyncServerConnection) -> None:
        assert [ext.name for ext in ws.extensions] == deflate(DEFLATE_AS_CLIENT[peer])
        assert ws.subprotocol == "chat"
        if mode == "echo":
            ws.send(payload("binary", 65536))
            received.append(ws.recv(TIMEOUT))
            ws.close(4003, REASON_OURS)
        else:
            ws.send(json.dumps({"do": "ping", "data": "peer ping ✓"}))
            received.append(ws.recv(TIMEOUT))
            ws.send(json.dumps({"do": "close", "code": 4004, "reason": REASON_PEER}))
            assert ws.wait_closed(TIMEOUT)
            received.append(ws.close_code)  # type: ignore[arg-type]

    server = sync_serve(
        handler, "127.0.0.1", 0, subprotocols=SUBPROTOCOLS, max_size=MAX_SIZE
    )
    thread = threading.Thread(target=server.serve_forever)
    thread.start()
    with server:
        port = server.socket.getsockname()[1]
        command_id = client.write(
            {
                "uri": f"ws://127.0.0.1:{port}{unique('/' + mode)}",
                "mode": mode,
                "subprotocols": ["chat"],
            }
        )
        report = client.wait_for(lambda line: line.get("id") == command_id, TIMEOUT)
    thread.join(TIMEOUT)
    assert report.get("status") == 101, report
    if mode == "echo":
        assert_same(received[0], payload("binary", 65536))
        assert (report["code"], report["reason"]) == (4003, REASON_OURS)
    else:
        assert json.loads(received[0]) == {"pong": "peer ping ✓"}  # type: ignore[arg-type]
        assert received[1] == 4004
