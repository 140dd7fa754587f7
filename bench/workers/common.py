"""
Helpers shared by every worker: control channel, CPU clock, payloads, loops.

Standard library only: this module runs in the project's environment and in
bench/.venv-others alike. A worker talks to bench/run.py with one JSON object
per line: commands on stdin, replies on stdout. Nothing else may print to
stdout; logs go to stderr.

"""

import asyncio
import cProfile
import gc
import json
import os
import random
import resource
import sys
import time
import tracemalloc
from typing import Any, Awaitable, Callable, Dict, List, Optional, Tuple, Union


__all__ = [
    "ClientBase",
    "Control",
    "HandlerServer",
    "IteratingClient",
    "IteratingServer",
    "ServerBase",
    "cpu_time",
    "make_payload",
    "parse_config",
    "raise_nofile_limit",
    "run",
]

# permessage-deflate settings shared by the "eq" (equal settings) variant of
# every library that lets us set them: websockets' defaults.
EQ_WINDOW_BITS = 12
EQ_MEM_LEVEL = 5

_WORDS = (
    "the quick brown fox jumps over lazy dog websocket frame message server "
    "client connection handshake close ping pong text binary payload deflate "
    "window memory buffer event loop asyncio protocol transport stream json "
    "id name value true false null user status price time data "
).split()


def cpu_time() -> float:
    """User plus system CPU seconds of this process, all threads included."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def rss_bytes() -> int:
    """Current resident set size of this process."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def raise_nofile_limit() -> None:
    """Raise the soft limit of open files to the hard limit (for many sockets)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY:  # pragma: no cover
        hard = 1 << 20
    if soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


def make_payload(kind: str, size: int) -> Union[str, bytes]:
    """
    Build a deterministic message: ``text`` is compressible, ``bin`` random.

    Text compresses about 3:1 with zlib, like JSON or prose; random bytes
    don't compress at all.

    """
    rng = random.Random(size)
    if kind == "bin":
        return rng.getrandbits(8 * size).to_bytes(size, "little") if size else b""
    words: List[str] = []
    length = 0
    while length < size:
        word = rng.choice(_WORDS)
        words.append(word)
        length += len(word) + 1
    return " ".join(words)[:size]


def parse_config() -> Dict[str, Any]:
    """Read the worker's configuration, a JSON object in argv[1]."""
    config: Dict[str, Any] = json.loads(sys.argv[1])
    return config


ADDR_NO_RANDOMIZE = 0x0040000


def disable_aslr() -> None:
    """
    Re-execute this process without address space layout randomisation.

    A process's cost varies by a few percent with its random layout; without
    randomisation, every run of a worker gets the same layout. This is what
    ``setarch -R`` does. Where personality(2) isn't available or allowed,
    the worker just goes on.

    """
    if not sys.platform.startswith("linux"):  # pragma: no cover
        return
    import ctypes

    libc = ctypes.CDLL(None, use_errno=True)
    persona = libc.personality(0xFFFFFFFF)
    if persona == -1 or persona & ADDR_NO_RANDOMIZE:
        return
    if libc.personality(persona | ADDR_NO_RANDOMIZE) == -1:
        return
    sys.stdout.flush()
    os.execv(sys.executable, [sys.executable, *sys.argv])


def run(main: Callable[[], Awaitable[None]], uvloop: bool) -> None:
    """Run ``main()`` on a fresh asyncio or uvloop event loop."""
    disable_aslr()
    raise_nofile_limit()
    if uvloop:
        import uvloop as _uvloop

        loop = _uvloop.new_event_loop()
    else:
        loop = asyncio.new_event_loop()
    asyncio.set_event_loop(loop)
    try:
        loop.run_until_complete(main())
    finally:
        loop.close()


class Control:
    """JSON lines on stdin (commands) and stdout (replies)."""

    def __init__(self) -> None:
        self.reader: Optional[asyncio.StreamReader] = None

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        reader = asyncio.StreamReader(limit=1 << 24)
        await loop.connect_read_pipe(
            lambda: asyncio.StreamReaderProtocol(reader), sys.stdin
        )
        self.reader = reader

    async def read(self) -> Dict[str, Any]:
        assert self.reader is not None
        line = await self.reader.readline()
        if not line:
            return {"cmd": "exit"}
        command: Dict[str, Any] = json.loads(line)
        return command

    def write(self, **reply: Any) -> None:
        sys.stdout.write(json.dumps(reply) + "\n")
        sys.stdout.flush()


def describe(module: Any) -> Dict[str, Any]:
    """Version and location of the library under test, to check the venv."""
    with open("/proc/self/personality") as personality:
        aslr = not int(personality.read(), 16) & ADDR_NO_RANDOMIZE
    return {
        "loop": type(asyncio.get_running_loop()).__module__,
        "aslr": aslr,
        "module": module.__name__,
        "version": getattr(module, "__version__", None),
        "file": getattr(module, "__file__", None),
        "python": sys.version.split()[0],
        "executable": sys.executable,
    }


class ServerBase:
    """
    Command loop of a server worker.

    Subclasses start their listeners in ``start()`` (returning ports by
    compression variant), keep open idle connections in ``self.clients``, and
    implement ``broadcast(mode, message)``.

    """

    library: Any = None

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = config
        self.clients: Dict[Any, None] = {}  # ordered set
        self.control = Control()
        self.profiler: Optional[cProfile.Profile] = None

    async def start(self) -> Dict[str, int]:
        raise NotImplementedError

    async def broadcast(self, mode: str, message: str) -> None:
        raise NotImplementedError

    async def stop(self) -> None:
        pass

    async def send_to_all(
        self, mode: str, send: Callable[[Any], Awaitable[Any]]
    ) -> None:
        """Broadcast with ``send(ws)`` in a ``loop`` of awaits or with ``gather``."""
        if mode == "loop":
            for ws in list(self.clients):
                await send(ws)
        elif mode == "gather":
            await asyncio.gather(*(send(ws) for ws in self.clients))
        else:
            raise ValueError(mode)

    def mark(self, command: Dict[str, Any]) -> Dict[str, Any]:
        if command.get("collect"):
            gc.collect()
        profile = command.get("profile")
        if profile == "stop" and self.profiler is not None:
            self.profiler.disable()
            self.profiler.dump_stats(command["path"])
            self.profiler = None
        reply: Dict[str, Any] = {
            "cpu": cpu_time(),
            "wall": time.perf_counter(),
            "rss": rss_bytes(),
            "clients": len(self.clients),
        }
        if tracemalloc.is_tracing():
            reply["traced"] = tracemalloc.get_traced_memory()[0]
            if command.get("snapshot"):
                tracemalloc.take_snapshot().dump(command["snapshot"])
        if profile == "start":
            # CPU time, not wall time: the machine is shared, and the peer
            # runs on the same CPU.
            self.profiler = cProfile.Profile(time.process_time)
            self.profiler.enable()
        return reply

    async def main(self) -> None:
        await self.control.start()
        ports = await self.start()
        self.control.write(ready=True, ports=ports, impl=describe(self.library))
        while True:
            command = await self.control.read()
            cmd = command["cmd"]
            if cmd == "exit":
                break
            elif cmd == "mark":
                self.control.write(**self.mark(command))
            elif cmd == "broadcast":
                message = command["message"]
                cpu = cpu_time()
                wall = time.perf_counter()
                await self.broadcast(command["mode"], message)
                self.control.write(
                    cpu=cpu_time() - cpu,
                    wall=time.perf_counter() - wall,
                    clients=len(self.clients),
                )
            else:  # pragma: no cover
                self.control.write(error=f"unknown command {cmd}")
        await self.stop()


def compression_variants(eq_factory: Any) -> Dict[str, Dict[str, Any]]:
    """
    Keyword arguments of serve() or connect() for each compression variant.

    ``eq_factory`` configures websockets' defaults, spelled out on both sides.

    """
    return {
        "off": dict(compression=None),
        "def": dict(),
        "eq": dict(extensions=[eq_factory]),
    }


class IteratingServer(ServerBase):
    """
    Server worker for libraries whose connections iterate over messages and
    have a ``send()`` coroutine: this project and websockets.

    Subclasses set ``deflate_factory`` to the library's
    ServerPerMessageDeflateFactory and implement ``listen(**kwargs)``, which
    starts a server on 127.0.0.1 with a free port running
    :meth:`serve_connection`.

    """

    deflate_factory: Any = None

    async def listen(self, **kwargs: Any) -> Any:
        raise NotImplementedError

    def variants(self) -> Dict[str, Dict[str, Any]]:
        """Keyword arguments of the listener of each compression variant."""
        return compression_variants(
            self.deflate_factory(
                server_max_window_bits=EQ_WINDOW_BITS,
                client_max_window_bits=EQ_WINDOW_BITS,
                compress_settings={"memLevel": EQ_MEM_LEVEL},
            )
        )

    async def start(self) -> Dict[str, int]:
        common: Dict[str, Any] = dict(ping_interval=None, max_size=2**21, backlog=1024)
        self.servers = []
        ports = {}
        for name, kwargs in self.variants().items():
            server = await self.listen(**common, **kwargs)
            self.servers.append(server)
            ports[name] = server.sockets[0].getsockname()[1]
        return ports

    async def stop(self) -> None:
        for server in self.servers:
            server.close()
        for server in self.servers:
            await server.wait_closed()

    async def serve_connection(self, ws: Any, path: str) -> None:
        """Echo messages, discard them on /sink, keep /idle connections."""
        if path == "/sink":
            # One-way streaming: discard messages, answer an empty one.
            async for message in ws:
                if not message:
                    await ws.send(message)
            return
        if path == "/idle":
            self.clients[ws] = None
        try:
            async for message in ws:
                await ws.send(message)
        finally:
            self.clients.pop(ws, None)

    async def broadcast(self, mode: str, message: str) -> None:
        await self.send_to_all(mode, lambda ws: ws.send(message))


class HandlerServer(IteratingServer):
    """
    Server worker for the ``serve(handler)`` API of websockets >= 13 and of
    picows.websockets: the handler takes the connection only, the path is in
    ``ws.request.path``, and ``broadcast(connections, message)`` is a function.

    Subclasses set ``serve`` and ``broadcast_function``.

    """

    serve: Any = None
    broadcast_function: Any = None

    async def handler(self, ws: Any) -> None:
        await self.serve_connection(ws, ws.request.path)

    async def listen(self, **kwargs: Any) -> Any:
        return await type(self).serve(self.handler, "127.0.0.1", 0, **kwargs)

    async def broadcast(self, mode: str, message: str) -> None:
        if mode == "broadcast":
            type(self).broadcast_function(self.clients, message)
        else:
            await super().broadcast(mode, message)


Step = Callable[[], Awaitable[int]]


class ClientBase:
    """
    Command loop of a client worker.

    Subclasses provide connect/close/send/recv for one connection; this class
    runs the workloads on top of them, measuring CPU around the measured loop
    only, after a warm-up phase of the same workload.

    """

    library: Any = None

    def __init__(self, config: Dict[str, Any]) -> None:
        self.config = config
        self.control = Control()
        self.idle: List[Any] = []
        self.idle_tasks: List[asyncio.Task[None]] = []
        self.received: Dict[int, int] = {}

    # To implement.

    async def connect(self, port: int, path: str, comp: str) -> Any:
        raise NotImplementedError

    async def close(self, ws: Any) -> None:
        raise NotImplementedError

    def methods(
        self, ws: Any, message: Union[str, bytes]
    ) -> Tuple[Callable[[Any], Awaitable[None]], Callable[[], Awaitable[Any]]]:
        """
        Return the library's own coroutine functions for send and recv.

        Binding them once keeps wrappers out of the measured loop: ``recv()``
        returns a str or bytes for a text or binary ``message``.

        """
        raise NotImplementedError

    async def listen(self, ws: Any) -> None:
        """Count broadcast messages received on an idle connection until it closes."""
        raise NotImplementedError

    # Steps of the measured loops. Libraries driven by callbacks override them.

    def echo_step(
        self, ws: Any, message: Union[str, bytes]
    ) -> Tuple[Step, Callable[[], Any]]:
        """One round trip per step, and a function returning the last reply."""
        send, recv = self.methods(ws, message)
        reply = None

        async def step() -> int:
            nonlocal reply
            await send(message)
            reply = await recv()
            return 1

        return step, lambda: reply

    def stream_step(self, ws: Any, message: Union[str, bytes], batch: int) -> Step:
        """``batch`` one-way messages, then a synchronisation with the server."""
        send, recv = self.methods(ws, message)
        empty = message[:0]

        async def step() -> int:
            for _ in range(batch):
                await send(message)
            # The server answers an empty message once it has read the rest.
            await send(empty)
            await recv()
            return batch

        return step

    # Command loop.

    async def main(self) -> None:
        await self.control.start()
        self.control.write(ready=True, impl=describe(self.library))
        while True:
            command = await self.control.read()
            cmd = command["cmd"]
            if cmd == "exit":
                break
            handler = getattr(self, "cmd_" + cmd)
            try:
                await handler(command)
            except Exception as exc:
                self.control.write(error=f"{type(exc).__name__}: {exc}")

    async def phase(
        self,
        command: Dict[str, Any],
        step: Callable[[], Awaitable[int]],
    ) -> Dict[str, Any]:
        """
        Run ``step`` for ``warm`` seconds, then for ``duration`` seconds, measured.

        ``step`` returns the number of operations it did. Between the phases,
        tell bench/run.py we're warm and wait for "go": it marks the server's
        CPU clock meanwhile.

        """
        deadline = time.perf_counter() + command["warm"]
        while time.perf_counter() < deadline:
            await step()
        self.control.write(warm=True)
        go = await self.control.read()
        assert go["cmd"] == "go", go
        limit = command.get("limit") or 1 << 62
        profiler = (
            cProfile.Profile(time.process_time) if command.get("profile") else None
        )
        gc.collect()
        ops = 0
        wall = time.perf_counter()
        cpu = cpu_time()
        if profiler is not None:
            profiler.enable()
        deadline = wall + command["duration"]
        while ops < limit:
            ops += await step()
            if time.perf_counter() >= deadline:
                break
        if profiler is not None:
            profiler.disable()
        cpu = cpu_time() - cpu
        wall = time.perf_counter() - wall
        if profiler is not None:
            profiler.dump_stats(command["profile"])
        return {"ops": ops, "cpu": cpu, "wall": wall}

    async def cmd_echo(self, command: Dict[str, Any]) -> None:
        message = make_payload(command["payload"], command["size"])
        ws = await self.connect(command["port"], "/echo", command["comp"])
        step, last_reply = self.echo_step(ws, message)
        try:
            result = await self.phase(command, step)
        finally:
            await self.close(ws)
        assert last_reply() == message, "echo mismatch"
        self.control.write(**result)

    async def cmd_stream(self, command: Dict[str, Any]) -> None:
        message = make_payload(command["payload"], command["size"])
        ws = await self.connect(command["port"], "/sink", command["comp"])
        # Messages sent between two synchronisations with the server; the
        # time is checked once per batch.
        batch = max(1, min(1000, (1 << 20) // max(1, len(message))))
        step = self.stream_step(ws, message, batch)
        try:
            result = await self.phase(command, step)
        finally:
            await self.close(ws)
        self.control.write(**result)

    async def cmd_handshake(self, command: Dict[str, Any]) -> None:
        port, comp = command["port"], command["comp"]

        async def step() -> int:
            ws = await self.connect(port, "/echo", comp)
            await self.close(ws)
            return 1

        self.control.write(**await self.phase(command, step))

    async def cmd_open(self, command: Dict[str, Any]) -> None:
        """Open idle connections, at most ``concurrency`` handshakes at a time."""
        port, comp, count = command["port"], command["comp"], command["count"]
        semaphore = asyncio.Semaphore(command["concurrency"])
        opened: List[Any] = []

        async def open_one() -> None:
            async with semaphore:
                opened.append(await self.connect(port, "/idle", comp))

        gc.collect()
        wall = time.perf_counter()
        cpu = cpu_time()
        await asyncio.gather(*(open_one() for _ in range(count)))
        cpu = cpu_time() - cpu
        wall = time.perf_counter() - wall
        for ws in opened:
            self.idle_tasks.append(asyncio.ensure_future(self.listen(ws)))
        self.idle.extend(opened)
        self.control.write(opened=len(opened), cpu=cpu, wall=wall)

    def count_broadcast(self, message: Union[str, bytes]) -> None:
        """Record one broadcast message; report when every connection has it."""
        index = int(message[:8])
        count = self.received.get(index, 0) + 1
        self.received[index] = count
        if count == len(self.idle):
            del self.received[index]
            self.control.write(got=index, t=time.perf_counter())

    async def cmd_closeall(self, command: Dict[str, Any]) -> None:
        cpu = cpu_time()
        semaphore = asyncio.Semaphore(command.get("concurrency", 100))

        async def close_one(ws: Any) -> None:
            async with semaphore:
                await self.close(ws)

        await asyncio.gather(*(close_one(ws) for ws in self.idle))
        for task in self.idle_tasks:
            task.cancel()
        await asyncio.gather(*self.idle_tasks, return_exceptions=True)
        closed = len(self.idle)
        self.idle = []
        self.idle_tasks = []
        self.received = {}
        self.control.write(closed=closed, cpu=cpu_time() - cpu)

    async def cmd_mark(self, command: Dict[str, Any]) -> None:
        if command.get("collect"):
            gc.collect()
        self.control.write(cpu=cpu_time(), rss=rss_bytes())


class IteratingClient(ClientBase):
    """
    Client worker for the libraries of :class:`IteratingServer`.

    Subclasses set ``deflate_factory`` to the library's
    ClientPerMessageDeflateFactory and either ``connect_function``, the
    library's ``connect(uri, **kwargs)``, or implement ``open(uri, **kwargs)``.

    """

    deflate_factory: Any = None
    connect_function: Any = None

    async def open(self, uri: str, **kwargs: Any) -> Any:
        return await type(self).connect_function(uri, **kwargs)

    def variants(self) -> Dict[str, Dict[str, Any]]:
        """Keyword arguments of ``open()`` for each compression variant."""
        return compression_variants(
            self.deflate_factory(
                client_max_window_bits=True,
                compress_settings={"memLevel": EQ_MEM_LEVEL},
            )
        )

    async def connect(self, port: int, path: str, comp: str) -> Any:
        return await self.open(
            f"ws://127.0.0.1:{port}{path}",
            ping_interval=None,
            max_size=2**21,
            **self.variants()[comp],
        )

    async def close(self, ws: Any) -> None:
        await ws.close()

    def methods(self, ws: Any, message: Union[str, bytes]) -> Tuple[Any, Any]:
        return ws.send, ws.recv

    async def listen(self, ws: Any) -> None:
        async for message in ws:
            self.count_broadcast(message)


def broadcast_message(index: int, size: int) -> str:
    """A broadcast message: its index in 8 digits, padded to ``size``."""
    head = f"{index:08d}"
    return head + "x" * max(0, size - len(head))
