"""
The files of example/ run as written, and so does the demo.

Each server runs in a subprocess on localhost:8765, as its file says; a test
waits until the port accepts connections, runs the matching client (another
subprocess) or connects with :func:`websockets.connect`, checks the output,
then stops the server with a signal and checks that it exits cleanly.

"""

import asyncio
import base64
import contextlib
import datetime
import http.client
import json
import os
import pathlib
import re
import select
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import time
from typing import Any, Callable, Dict, Iterator, List, Optional, Tuple

import pytest

import websockets
from websockets.exceptions import ConnectionClosedOK


ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "example"
PORT = 8765

# The library has no dependencies: PYTHONPATH is all the examples need.
# asyncio's debug mode would log slow callbacks on a busy machine.
ENV = {**os.environ, "PYTHONPATH": str(ROOT)}
ENV.pop("PYTHONASYNCIODEBUG", None)

# Seconds allowed to a process to start, answer or stop: a hang fails the test.
DEADLINE = 10.0


def run_async(coro: Any) -> Any:
    """Run a coroutine with a deadline."""
    return asyncio.run(asyncio.wait_for(coro, DEADLINE))


def port_accepts(port: int) -> bool:
    """Tell whether a server listens on 127.0.0.1:port."""
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def wait_until(
    condition: Callable[[], bool], process: "subprocess.Popen[str]", what: str
) -> None:
    """Poll ``condition()`` until it's true, while ``process`` runs, with a deadline."""
    deadline = time.monotonic() + DEADLINE
    while not condition():
        if process.poll() is not None:
            _, stderr = process.communicate()
            pytest.fail(
                f"{what}: the server exited with {process.returncode}\n{stderr}"
            )
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not ready after {DEADLINE} seconds")
        time.sleep(0.01)


def stop(
    process: "subprocess.Popen[str]", signum: int = signal.SIGTERM
) -> Tuple[int, str, str]:
    """Send ``signum`` to ``process``; return its exit status and output."""
    process.send_signal(signum)
    try:
        stdout, stderr = process.communicate(timeout=DEADLINE)
    except subprocess.TimeoutExpired:  # pragma: no cover
        process.kill()
        process.communicate()
        pytest.fail(f"the server didn't stop within {DEADLINE} seconds")
    return process.returncode, stdout, stderr


@contextlib.contextmanager
def server(
    name: str, cwd: pathlib.Path = EXAMPLES, socket_path: Optional[pathlib.Path] = None
) -> Iterator["subprocess.Popen[str]"]:
    """
    Run example ``name`` until the block exits, then stop it with SIGTERM.

    The server is ready when it accepts connections on port 8765, or on
    ``socket_path``. Without a signal handler, SIGTERM kills it silently.

    """
    if socket_path is None and port_accepts(PORT):
        pytest.fail(f"port {PORT} is busy: another process listens on it")
    process = subprocess.Popen(
        [sys.executable, name],
        cwd=cwd,
        env=ENV,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        if socket_path is None:
            wait_until(lambda: port_accepts(PORT), process, name)
        else:
            wait_until(lambda: unix_accepts(socket_path), process, name)
        yield process
    finally:
        if process.poll() is None:
            returncode, stdout, stderr = stop(process)
            assert (returncode, stdout, stderr) == (-signal.SIGTERM, "", "")


def unix_accepts(path: pathlib.Path) -> bool:
    """Tell whether a server listens on the Unix socket at ``path``."""
    with socket.socket(socket.AF_UNIX) as sock:
        return sock.connect_ex(str(path)) == 0


def client(name: str, *args: str, input: str = "", cwd: pathlib.Path = EXAMPLES) -> str:
    """Run client example ``name``; return its output, checking it succeeds."""
    result = subprocess.run(
        [sys.executable, name, *args],
        cwd=cwd,
        env=ENV,
        input=input,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert (result.returncode, result.stderr) == (0, "")
    return result.stdout


# README


def python_blocks(text: str) -> List[str]:
    """Code blocks marked as Python in Markdown ``text``."""
    return re.findall(r"^```python\n(.*?)^```$", text, re.MULTILINE | re.DOTALL)


def test_readme_shows_the_hello_examples() -> None:
    blocks = python_blocks((ROOT / "README.md").read_text(encoding="utf-8"))
    for name in ["hello_server.py", "hello_client.py"]:
        assert (EXAMPLES / name).read_text(encoding="utf-8") in blocks


@pytest.mark.parametrize("name", ["hello_server.py", "hello_client.py"])
def test_hello_examples_take_less_than_ten_lines(name: str) -> None:
    lines = (EXAMPLES / name).read_text(encoding="utf-8").splitlines()
    assert len([line for line in lines if line.strip()]) < 10


# Examples


def test_hello() -> None:
    with server("hello_server.py"):
        output = client("hello_client.py", input="Alice\n")
    assert output == "What's your name? Hello Alice!\n"


def test_echo() -> None:
    with server("echo_server.py"):
        assert client("echo_client.py") == "Hello world!\n"
        assert client("echo_client.py", "one", "two") == "one\ntwo\n"


def test_secure() -> None:
    with server("secure_server.py"):
        output = client("secure_client.py", input="Alice\n")
        peercert = localhost_certificate()
    assert output == "What's your name? Hello Alice!\n"
    subject_alt_name = peercert["subjectAltName"]
    assert ("DNS", "localhost") in subject_alt_name
    assert ("IP Address", "127.0.0.1") in subject_alt_name
    not_after = ssl.cert_time_to_seconds(peercert["notAfter"])
    assert datetime.datetime.fromtimestamp(not_after).year >= 2100


def localhost_certificate() -> Dict[str, Any]:
    """Connect to 127.0.0.1 with TLS, trusting localhost.pem; return its certificate."""
    ssl_context = ssl.create_default_context(cafile=str(EXAMPLES / "localhost.pem"))
    with socket.create_connection(("127.0.0.1", PORT)) as sock:
        with ssl_context.wrap_socket(sock, server_hostname="127.0.0.1") as tls:
            peercert = tls.getpeercert()
    assert peercert is not None
    return dict(peercert)


def test_basic_auth() -> None:
    with server("basic_auth_server.py"):
        assert client("basic_auth_client.py") == "Hello mary!\n"
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=DEADLINE)
        wrong = base64.b64encode(b"mary:wrong").decode()
        connection.request("GET", "/", headers={"Authorization": f"Basic {wrong}"})
        response = connection.getresponse()
        assert (response.status, response.read()) == (401, b"Invalid credentials\n")
        challenge = response.getheader("WWW-Authenticate", "")
        assert challenge.startswith('Basic realm="example"')
        connection.close()


def test_health_check() -> None:
    with server("health_check_server.py"):
        connection = http.client.HTTPConnection("127.0.0.1", PORT, timeout=DEADLINE)
        connection.request("GET", "/healthz")
        response = connection.getresponse()
        assert (response.status, response.read()) == (200, b"OK\n")
        connection.close()
        assert run_async(echo(f"ws://127.0.0.1:{PORT}/", "still here")) == "still here"


async def echo(uri: str, message: str) -> websockets.Data:
    async with websockets.connect(uri) as websocket:
        await websocket.send(message)
        return await websocket.recv()


def test_unix(tmp_path: pathlib.Path) -> None:
    # Run copies, so that the socket, next to the files, is in a temporary
    # directory.
    for name in ["unix_server.py", "unix_client.py"]:
        shutil.copy(EXAMPLES / name, tmp_path)
    with server("unix_server.py", tmp_path, tmp_path / "hello.sock"):
        output = client("unix_client.py", input="Alice\n", cwd=tmp_path)
    assert output == "What's your name? Hello Alice!\n"


def test_broadcast() -> None:
    with server("broadcast_server.py"):
        messages = run_async(broadcast_messages())
    for message in messages:
        timestamp = datetime.datetime.fromisoformat(message)
        assert timestamp.tzinfo == datetime.timezone.utc


async def broadcast_messages() -> List[str]:
    """Connect two clients; return the first message each one receives."""
    uri = f"ws://127.0.0.1:{PORT}/"
    async with websockets.connect(uri) as one, websockets.connect(uri) as two:
        return [str(await one.recv()), str(await two.recv())]


def test_consumer_producer() -> None:
    with server("consumer_producer.py"):
        run_async(chat())


async def chat() -> None:
    uri = f"ws://127.0.0.1:{PORT}/"
    async with websockets.connect(uri) as alice:
        # Receiving one's own message shows that one's handler is running.
        await alice.send("Alice joined")
        assert await alice.recv() == "Alice joined"
        async with websockets.connect(uri) as bob:
            await bob.send("Bob joined")
            assert await bob.recv() == "Bob joined"
            assert await alice.recv() == "Bob joined"
            await alice.send("Hi Bob!")
            assert await alice.recv() == "Hi Bob!"
            assert await bob.recv() == "Hi Bob!"


def test_chat() -> None:
    with server("chat_server.py"):
        run_async(chat_room())


async def chat_room() -> None:
    uri = f"ws://127.0.0.1:{PORT}/"
    async with websockets.connect(uri) as alice:
        await alice.send("Alice")
        async with websockets.connect(uri) as bob:
            await bob.send("Bob")
            assert await alice.recv() == "Bob joined"
            await alice.send("Hi Bob!")
            assert await bob.recv() == "Alice: Hi Bob!"
        assert await alice.recv() == "Bob left"


def test_chat_server_tests_pass() -> None:
    # The how-to "Test your application" includes these tests.
    result = subprocess.run(
        [sys.executable, "-m", "unittest", "test_chat_server"],
        cwd=EXAMPLES,
        env=ENV,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert result.returncode == 0, result.stderr
    assert re.search(r"^Ran 4 tests in ", result.stderr, re.M), result.stderr


def test_shutdown() -> None:
    with server("shutdown_server.py") as process:
        assert run_async(close_code_on_shutdown(process)) == 1001
        stdout, stderr = process.communicate(timeout=DEADLINE)
        assert (process.returncode, stdout, stderr) == (0, "", "")


async def close_code_on_shutdown(process: "subprocess.Popen[str]") -> int:
    """Send SIGTERM to the server while connected; return the close code."""
    async with websockets.connect(f"ws://127.0.0.1:{PORT}/") as websocket:
        await websocket.send("ping")
        assert await websocket.recv() == "ping"
        process.send_signal(signal.SIGTERM)
        with pytest.raises(ConnectionClosedOK):
            await websocket.recv()
        assert websocket.close_code is not None
        return websocket.close_code


# Demo


class Demo:
    """The demo in a subprocess, on a free port."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, str(EXAMPLES / "demo.py"), *args],
            cwd=ROOT,
            env=ENV,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            bufsize=0,
        )
        self.stdout = b""

    def readline(self) -> str:
        """Read a line of output, with a deadline."""
        assert self.process.stdout is not None
        deadline = time.monotonic() + DEADLINE
        while b"\n" not in self.stdout:
            remaining = deadline - time.monotonic()
            ready, _, _ = select.select(
                [self.process.stdout], [], [], max(remaining, 0)
            )
            if not ready:
                pytest.fail(f"no output from the demo after {DEADLINE} seconds")
            data = os.read(self.process.stdout.fileno(), 4096)
            if not data:
                break
            self.stdout += data
        line, _, self.stdout = self.stdout.partition(b"\n")
        return line.decode()

    def wait(self) -> Tuple[int, str, str]:
        """Wait for the demo to exit; return its status and the rest of its output."""
        stdout, stderr = self.process.communicate(timeout=DEADLINE)
        return (
            self.process.returncode,
            (self.stdout + stdout).decode(),
            stderr.decode(),
        )


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_demo_serves_page_and_counter_then_stops_on_signal(signum: int) -> None:
    demo = Demo("--port", "0")
    try:
        line = demo.readline()
        match = re.fullmatch(
            r"Open (http://127\.0\.0\.1:(\d+)/) in a browser\. .*", line
        )
        assert match is not None, line
        port = int(match.group(2))

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
        connection.request("GET", "/")
        response = connection.getresponse()
        assert response.status == 200
        assert response.getheader("Content-Type") == "text/html; charset=utf-8"
        assert response.read() == (EXAMPLES / "demo.html").read_bytes()
        connection.close()

        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=DEADLINE)
        connection.request("GET", "/favicon.ico")
        assert connection.getresponse().status == 404
        connection.close()

        close_code = run_async(play_demo(f"ws://127.0.0.1:{port}/ws", demo, signum))
        assert close_code == 1001
        returncode, stdout, stderr = demo.wait()
    finally:
        if demo.process.poll() is None:  # pragma: no cover
            demo.process.kill()
            demo.process.communicate()
    assert (returncode, stderr) == (0, "")
    assert stdout == (
        "User joined (permessage-deflate); 1 online.\n"
        "User joined (permessage-deflate); 2 online.\n"
        "User left; 1 online.\n"
        "Stopping.\n"
        "User left; 0 online.\n"
    )


async def play_demo(uri: str, demo: Demo, signum: int) -> int:
    """Play as two users, stop the demo with ``signum``; return the close code."""

    async def state(websocket: websockets.WebSocketClientProtocol) -> Dict[str, Any]:
        event = json.loads(await websocket.recv())
        assert event["type"] == "state"
        del event["type"]
        return dict(event)

    async with websockets.connect(uri) as alice:
        hello = json.loads(await alice.recv())
        assert hello == {"type": "hello", "extensions": ["permessage-deflate"]}
        assert await state(alice) == {"value": 0, "users": 1}
        async with websockets.connect(uri) as bob:
            await bob.recv()
            assert await state(bob) == {"value": 0, "users": 2}
            assert await state(alice) == {"value": 0, "users": 2}
            # Actions go one at a time: their order between users is arbitrary.
            for user, messages, value in [
                (bob, ['{"action": "plus"}'], 1),
                (
                    bob,
                    ["not JSON", "[]", '{"action": "unknown"}', '{"action": "plus"}'],
                    2,
                ),
                (alice, ['{"action": "minus"}'], 1),
            ]:
                for message in messages:
                    await user.send(message)
                assert await state(alice) == {"value": value, "users": 2}
                assert await state(bob) == {"value": value, "users": 2}
        assert await state(alice) == {"value": 1, "users": 1}
        demo.process.send_signal(signum)
        with pytest.raises(ConnectionClosedOK):
            await alice.recv()
        assert alice.close_code is not None
        return alice.close_code


def test_demo_fails_clearly_when_port_is_busy() -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        demo = Demo("--port", str(port))
        returncode, stdout, stderr = demo.wait()
    assert (returncode, stdout) == (1, "")
    assert stderr.startswith(f"Cannot listen on 127.0.0.1:{port}: ")
    assert stderr.endswith("\nPick another port with --port.\n")


def test_demo_help() -> None:
    result = subprocess.run(
        [sys.executable, str(EXAMPLES / "demo.py"), "--help"],
        env=ENV,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert result.returncode == 0
    assert "a counter shared live by every open browser tab" in result.stdout
    assert "--port PORT" in result.stdout


def test_make_demo_runs_without_a_virtualenv() -> None:
    make = shutil.which("make")
    if make is None:  # pragma: no cover
        pytest.skip("make isn't installed")
    result = subprocess.run(
        [make, "--no-print-directory", "-n", "demo", "DEMOARGS=--port 8001"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=DEADLINE,
    )
    assert result.returncode == 0
    command = result.stdout.strip()
    assert "example/demo.py --port 8001" in command
    assert ".venv" not in command
    assert f'PYTHONPATH="{ROOT}"' in command
