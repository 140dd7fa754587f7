"""
The interactive client, ``python -m websockets``, against a server in the test.

The client runs in a subprocess: with pipes for redirected input and output,
and in a pseudo-terminal for the interactive mode.

"""

import asyncio
import contextlib
import fcntl
import os
import pathlib
import pty
import signal
import struct
import subprocess
import sys
import termios
from typing import Any, AsyncIterator, Awaitable, Callable, List, Optional, Tuple

import pytest

import websockets
from websockets.__main__ import count_rows, main, printable

from .utils import async_test


ROOT = pathlib.Path(__file__).resolve().parent.parent

# asyncio's debug mode would log slow callbacks on a busy machine.
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("PYTHONASYNCIODEBUG", None)

Handler = Callable[[websockets.WebSocketServerProtocol, str], Awaitable[None]]


class Recorder:
    """Server side of the tests: what the handler received, and how it ended."""

    def __init__(self) -> None:
        self.messages: List[websockets.Data] = []
        self.close_codes: List[Optional[int]] = []

    async def record(self, websocket: websockets.WebSocketServerProtocol) -> None:
        """Record messages until the connection closes."""
        async for message in websocket:
            self.messages.append(message)
        self.close_codes.append(websocket.close_code)

    async def echo(
        self, websocket: websockets.WebSocketServerProtocol, path: str
    ) -> None:
        """Greet, then answer each message with itself, or "binary" with bytes."""
        await websocket.send("Hello!")
        async for message in websocket:
            self.messages.append(message)
            await websocket.send(b"\x01\x02" if message == "binary" else message)
        self.close_codes.append(websocket.close_code)


@contextlib.asynccontextmanager
async def running(handler: Handler) -> AsyncIterator[str]:
    """Run a server with ``handler``; yield its URI; wait for the handlers at exit."""
    async with websockets.serve(handler, "127.0.0.1", 0) as server:
        assert server.sockets
        port = server.sockets[0].getsockname()[1]
        yield f"ws://127.0.0.1:{port}/"


async def start_client(uri: str, **kwargs: Any) -> asyncio.subprocess.Process:
    """Run ``python -m websockets uri`` with pipes, unless told otherwise."""
    kwargs.setdefault("stdin", subprocess.PIPE)
    kwargs.setdefault("stdout", subprocess.PIPE)
    kwargs.setdefault("stderr", subprocess.PIPE)
    return await asyncio.create_subprocess_exec(
        sys.executable, "-m", "websockets", uri, env=ENV, **kwargs
    )


async def readline(stream: Optional[asyncio.StreamReader]) -> bytes:
    assert stream is not None
    return await stream.readline()


# Redirected input and output.


@async_test
async def test_sends_each_line_then_closes_at_end_of_input() -> None:
    recorder = Recorder()

    async def handler(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
        await recorder.record(websocket)

    async with running(handler) as uri:
        client = await start_client(uri)
        stdout, stderr = await client.communicate("hello\nwörld\r\n\nlast".encode())
    assert client.returncode == 0
    assert recorder.messages == ["hello", "wörld", "", "last"]
    assert recorder.close_codes == [1000]
    assert stdout == b""
    assert stderr.decode() == (
        f"Connected to {uri}.\nConnection closed: 1000 (OK), no reason.\n"
    )


@async_test
async def test_prints_incoming_messages_as_they_arrive() -> None:
    recorder = Recorder()
    async with running(recorder.echo) as uri:
        client = await start_client(uri)
        assert client.stdin is not None
        assert await readline(client.stderr) == f"Connected to {uri}.\n".encode()
        assert await readline(client.stdout) == b"< Hello!\n"
        for line, output in [
            (b"one\n", b"< one\n"),
            (b"binary\n", b"< (binary) 0102\n"),
            ("ça va\n".encode(), "< ça va\n".encode()),
        ]:
            client.stdin.write(line)
            assert await readline(client.stdout) == output
        stdout, stderr = await client.communicate(b"")  # end of input
    assert client.returncode == 0
    assert (stdout, stderr) == (b"", b"Connection closed: 1000 (OK), no reason.\n")
    assert recorder.messages == ["one", "binary", "ça va"]
    assert recorder.close_codes == [1000]


@pytest.mark.parametrize(
    "code, reason, returncode, status",
    [
        (1000, "", 0, "1000 (OK), no reason"),
        (1001, "bye", 0, "1001 (going away), reason: 'bye'"),
        (1011, "oops", 1, "1011 (unexpected error), reason: 'oops'"),
        (4000, "", 1, "4000 (private use), no reason"),
    ],
)
@async_test
async def test_reports_server_closing_connection(
    code: int, reason: str, returncode: int, status: str
) -> None:
    async def handler(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
        await websocket.send("Bye!")
        await websocket.close(code, reason)

    async with running(handler) as uri:
        client = await start_client(uri)
        # Standard input stays open: the server closes the connection.
        stdout, stderr = await client.communicate()
    assert client.returncode == returncode
    assert stdout == b"< Bye!\n"
    assert stderr.decode() == f"Connected to {uri}.\nConnection closed: {status}.\n"


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
@async_test
async def test_signal_closes_connection(signum: int) -> None:
    recorder = Recorder()
    async with running(recorder.echo) as uri:
        client = await start_client(uri)
        assert await readline(client.stderr) == f"Connected to {uri}.\n".encode()
        client.send_signal(signum)
        stdout, stderr = await client.communicate()
    assert client.returncode == 0
    assert (stdout, stderr) == (
        b"< Hello!\n",
        b"Connection closed: 1000 (OK), no reason.\n",
    )
    assert recorder.close_codes == [1000]


@async_test
async def test_fails_to_connect() -> None:
    async with running(Recorder().echo) as uri:
        pass  # now nothing listens on that port
    for bad_uri, error in [
        (uri, "[Errno 111] Connect call failed"),
        ("http://localhost/", "scheme isn't ws or wss"),
    ]:
        client = await start_client(bad_uri, stdin=subprocess.DEVNULL)
        stdout, stderr = await client.communicate()
        assert client.returncode == 1
        assert stdout == b""
        assert stderr.decode().startswith(f"Failed to connect to {bad_uri}: ")
        assert error in stderr.decode()


def test_help() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "websockets", "--help"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=10,
    )
    assert result.returncode == 0
    assert result.stdout.startswith("usage: python -m websockets [-h] URI\n")
    assert "Ctrl-C" in result.stdout


def test_main_without_uri_fails(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as raised:
        main([])
    assert raised.value.code == 2
    assert "the following arguments are required: URI" in capsys.readouterr().err


# Terminal.


class Terminal:
    """
    The client in a pseudo-terminal of 80 columns, as its controlling terminal.

    Then typing Ctrl-C sends SIGINT, as in a shell.

    """

    def __init__(self, process: asyncio.subprocess.Process, master: int) -> None:
        self.process = process
        self.master = master
        self.output = b""
        self.eof = asyncio.get_running_loop().create_future()
        self.changed = asyncio.Event()
        asyncio.get_running_loop().add_reader(self.master, self.on_readable)

    @classmethod
    @contextlib.asynccontextmanager
    async def run(cls, uri: str) -> AsyncIterator["Terminal"]:
        """Start the client in a terminal; kill it at exit if it's still running."""
        master, slave = pty.openpty()
        fcntl.ioctl(slave, termios.TIOCSWINSZ, struct.pack("HHHH", 24, 80, 0, 0))
        # Opening the terminal makes it the controlling terminal of the
        # session leader.
        script = (
            "import os, runpy, sys; "
            "os.close(os.open(os.ttyname(0), os.O_RDWR)); "
            "sys.argv[1:] = [sys.argv.pop()]; "
            "runpy.run_module('websockets', run_name='__main__', alter_sys=True)"
        )
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable,
                "-c",
                script,
                uri,
                stdin=slave,
                stdout=slave,
                stderr=slave,
                env=ENV,
                start_new_session=True,
            )
        finally:
            os.close(slave)
        terminal = cls(process, master)
        try:
            yield terminal
        finally:
            if process.returncode is None:  # pragma: no cover
                process.kill()
                await process.wait()
            if not terminal.eof.done():  # pragma: no cover
                asyncio.get_running_loop().remove_reader(master)
            os.close(master)

    def on_readable(self) -> None:
        try:
            data = os.read(self.master, 4096)
        except OSError:  # EIO: every copy of the other end is closed
            data = b""
        if data:
            self.output += data
            self.changed.set()
        else:
            asyncio.get_running_loop().remove_reader(self.master)
            self.eof.set_result(None)
            self.changed.set()

    def type(self, data: bytes) -> None:
        os.write(self.master, data)

    async def expect(self, data: bytes) -> None:
        """Wait until the output contains ``data``."""
        while data not in self.output:
            assert not self.eof.done(), f"{data!r} not in {self.output!r}"
            self.changed.clear()
            await self.changed.wait()

    async def finish(self) -> Tuple[int, bytes]:
        """Wait until the client exits; return its status and its output."""
        returncode = await self.process.wait()
        await self.eof
        return returncode, self.output


# Terminal output: save cursor, make room, go up, insert a line, print there,
# restore cursor, go down.
ABOVE = b"\x1b7\r\n\x1b[1A\x1b[1L\r%s\x1b8\x1b[1B"


@async_test
async def test_terminal_prints_above_prompt_and_closes_on_ctrl_d() -> None:
    recorder = Recorder()
    async with running(recorder.echo) as uri:
        async with Terminal.run(uri) as terminal:
            await terminal.expect(ABOVE % b"< Hello!")
            terminal.type(b"hi\n")
            await terminal.expect(ABOVE % b"< hi")
            terminal.type(b"\x04")  # Ctrl-D
            returncode, output = await terminal.finish()
    assert returncode == 0
    assert output == (
        f"Connected to {uri}.\r\n> ".encode()
        + ABOVE % b"< Hello!"
        + b"hi\r\n> "  # echo of what's typed, then the prompt
        + ABOVE % b"< hi"
        + b"\r\x1b[K"  # erase the prompt
        + b"Connection closed: 1000 (OK), no reason.\r\n"
    )
    assert recorder.messages == ["hi"]
    assert recorder.close_codes == [1000]


@async_test
async def test_terminal_closes_on_ctrl_c() -> None:
    recorder = Recorder()
    async with running(recorder.echo) as uri:
        async with Terminal.run(uri) as terminal:
            await terminal.expect(b"< Hello!")
            terminal.type(b"\x03")  # Ctrl-C
            returncode, output = await terminal.finish()
    assert returncode == 0
    assert output.endswith(b"\r\x1b[KConnection closed: 1000 (OK), no reason.\r\n")
    assert b"Traceback" not in output
    assert recorder.close_codes == [1000]


@async_test
async def test_terminal_shows_long_messages_and_escapes_control_characters() -> None:
    async def handler(websocket: websockets.WebSocketServerProtocol, path: str) -> None:
        await websocket.send("x" * 100)
        await websocket.send("\x1b[2Jred\tline\nnext")
        await websocket.wait_closed()

    async with running(handler) as uri:
        async with Terminal.run(uri) as terminal:
            await terminal.expect(b"next")
            terminal.type(b"\x04")
            returncode, output = await terminal.finish()
    assert returncode == 0
    # "< " and 100 characters take two rows of 80 columns.
    assert b"\x1b7\r\n\r\n\x1b[2A\x1b[2L\r< " + b"x" * 100 + b"\x1b8\x1b[2B" in output
    assert b"\x1b[2L\r< \\x1b[2Jred    line\r\nnext\x1b8\x1b[2B" in output


def test_printable_escapes_control_characters() -> None:
    assert printable("a\x00b\x7fc\x1bd\té\n") == "a\\x00b\\x7fc\\x1bd" + " " * 8 + "é\n"


@pytest.mark.parametrize(
    "text, columns, rows",
    [
        ("", 80, 1),
        ("x" * 80, 80, 1),
        ("x" * 81, 80, 2),
        ("a\nb", 80, 2),
        ("a\n" + "x" * 160, 80, 3),
        ("abc", 0, 3),
    ],
)
def test_count_rows(text: str, columns: int, rows: int) -> None:
    assert count_rows(text, columns) == rows
