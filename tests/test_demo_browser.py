"""
The demo in a real browser: two tabs of a headless Chromium share the counter.

The test drives Chromium with the Chrome DevTools Protocol, over a WebSocket
connection opened with this library's client, while the demo's server runs
in the test, which lets it check what the browser negotiated. Chromium only
listens on 127.0.0.1. Without Chromium, the test is skipped: ``make browser``
installs it, as root, on Debian and Ubuntu.

"""

import asyncio
import importlib.util
import itertools
import json
import os
import pathlib
import shutil
import subprocess
import types
from typing import Any, Callable, Dict, Optional

import pytest

import websockets


ROOT = pathlib.Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "example"

# Seconds allowed to the whole test, and to each step: a hang fails the test.
TEST_DEADLINE = 30.0
STEP_DEADLINE = 10.0
POLL_INTERVAL = 0.02

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
    "--remote-debugging-address=127.0.0.1",
    "--remote-debugging-port=0",
]


def find_chromium() -> Optional[str]:
    """Path of Chromium: $CHROMIUM, /usr/bin/chromium, or one on the PATH."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    if os.access("/usr/bin/chromium", os.X_OK):
        return "/usr/bin/chromium"
    for name in ["chromium", "chromium-browser", "google-chrome"]:
        path = shutil.which(name)
        if path is not None:
            return path
    return None


def load_demo() -> types.ModuleType:
    """Import example/demo.py, which isn't in a package."""
    spec = importlib.util.spec_from_file_location("demo", EXAMPLES / "demo.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


class DevToolsError(Exception):
    """Error answered by the browser to a command."""


class DevTools:
    """
    Client of the Chrome DevTools Protocol, on a WebSocket connection.

    Commands are JSON messages with an ``id``; the answer has the same ``id``.
    Commands for a tab carry the ``sessionId`` of the tab. Events are ignored.

    """

    def __init__(self, websocket: websockets.WebSocketClientProtocol) -> None:
        self.websocket = websocket
        self.ids = itertools.count(1)
        self.calls: Dict[int, asyncio.Future[Dict[str, Any]]] = {}
        self.reader = asyncio.ensure_future(self.read())

    async def read(self) -> None:
        try:
            async for message in self.websocket:
                answer = json.loads(message)
                call = self.calls.pop(answer.get("id"), None)
                if call is None or call.done():
                    continue  # an event, or a command given up on
                if "error" in answer:
                    call.set_exception(DevToolsError(answer["error"]))
                else:
                    call.set_result(answer["result"])
        except websockets.ConnectionClosed as exc:
            # Browser.close closes the TCP connection without a closing
            # handshake: that's code 1006.
            for call in self.calls.values():
                if not call.done():
                    call.set_exception(exc)

    async def call(
        self, method: str, session_id: Optional[str] = None, **params: Any
    ) -> Dict[str, Any]:
        """Run a command and return its result."""
        command_id = next(self.ids)
        command: Dict[str, Any] = {"id": command_id, "method": method, "params": params}
        if session_id is not None:
            command["sessionId"] = session_id
        call = self.calls[command_id] = asyncio.get_running_loop().create_future()
        await self.websocket.send(json.dumps(command))
        return await asyncio.wait_for(call, STEP_DEADLINE)


# What a tab of the demo shows.
SNAPSHOT = """(() => {
    const text = (id) => document.getElementById(id)?.textContent ?? null;
    return {
        state: document.body?.dataset.state ?? null,
        closeCode: document.body?.dataset.closeCode ?? null,
        value: text("value"),
        users: text("users"),
        extensions: text("extensions"),
        status: text("status"),
    };
})()"""


class Tab:
    """A browser tab, attached to the DevTools session ``session_id``."""

    def __init__(self, devtools: DevTools, target_id: str, session_id: str) -> None:
        self.devtools = devtools
        self.target_id = target_id
        self.session_id = session_id

    @classmethod
    async def open(cls, devtools: DevTools, url: str) -> "Tab":
        target = await devtools.call("Target.createTarget", url=url)
        session = await devtools.call(
            "Target.attachToTarget", targetId=target["targetId"], flatten=True
        )
        return cls(devtools, target["targetId"], session["sessionId"])

    async def evaluate(self, expression: str) -> Any:
        """Evaluate a JavaScript expression in the page; return its value."""
        result = await self.devtools.call(
            "Runtime.evaluate",
            self.session_id,
            expression=expression,
            returnByValue=True,
        )
        if "exceptionDetails" in result:
            raise DevToolsError(result["exceptionDetails"])
        return result["result"].get("value")

    async def wait_until(self, condition: Callable[[Dict[str, Any]], bool]) -> None:
        """Poll what the tab shows until ``condition`` is true of it."""
        deadline = asyncio.get_running_loop().time() + STEP_DEADLINE
        snapshot: Any = None
        while True:
            try:
                snapshot = await self.evaluate(SNAPSHOT)
            except DevToolsError as exc:  # e.g. while the page loads
                snapshot = exc
            if isinstance(snapshot, dict) and condition(snapshot):
                return
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(f"after {STEP_DEADLINE} seconds, the tab shows {snapshot}")
            await asyncio.sleep(POLL_INTERVAL)

    async def click(self, element_id: str) -> None:
        """Click in the middle of an element with the mouse, like a user."""
        x, y = await self.evaluate(
            f"(() => {{ const box = document.getElementById({element_id!r})"
            ".getBoundingClientRect(); "
            "return [box.x + box.width / 2, box.y + box.height / 2]; })()"
        )
        for event in ["mousePressed", "mouseReleased"]:
            await self.devtools.call(
                "Input.dispatchMouseEvent",
                self.session_id,
                type=event,
                x=x,
                y=y,
                button="left",
                clickCount=1,
            )

    async def close(self) -> None:
        await self.devtools.call("Target.closeTarget", targetId=self.target_id)


async def devtools_url(port: int) -> str:
    """Ask the browser for the URI of its DevTools WebSocket endpoint."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        # The browser builds the URI from the Host header.
        request = f"GET /json/version HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n\r\n"
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status_line, *header_lines = head.decode().split("\r\n")
        assert status_line.split()[1] == "200", status_line
        headers = {}
        for line in header_lines:
            if line:
                name, value = line.split(":", 1)
                headers[name.lower()] = value.strip()
        body = await reader.readexactly(int(headers["content-length"]))
    finally:
        writer.close()
        await writer.wait_closed()
    url: str = json.loads(body)["webSocketDebuggerUrl"]
    return url


class Chromium:
    """Headless Chromium in a subprocess, with a profile in ``directory``."""

    def __init__(self, executable: str, directory: pathlib.Path) -> None:
        self.executable = executable
        self.profile = directory / "profile"
        self.log_path = directory / "chromium.log"
        self.process: Optional[asyncio.subprocess.Process] = None

    def log(self) -> str:
        """The end of what Chromium printed, for failure messages."""
        lines = self.log_path.read_text(errors="replace").splitlines()
        return "\n".join(lines[-20:])

    async def start(self) -> int:
        """Start Chromium; return the port of its DevTools endpoint."""
        with open(self.log_path, "wb") as log:
            self.process = await asyncio.create_subprocess_exec(
                self.executable,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={self.profile}",
                "about:blank",
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=log,
            )
        # Chromium writes the port, then the path, when it's listening.
        port_file = self.profile / "DevToolsActivePort"
        deadline = asyncio.get_running_loop().time() + STEP_DEADLINE
        while True:
            if port_file.exists():
                lines = port_file.read_text().splitlines()
                if len(lines) == 2:
                    return int(lines[0])
            if self.process.returncode is not None:
                pytest.fail(
                    f"Chromium exited with {self.process.returncode}\n{self.log()}"
                )
            if asyncio.get_running_loop().time() > deadline:
                pytest.fail(
                    f"Chromium didn't start in {STEP_DEADLINE} seconds\n{self.log()}"
                )
            await asyncio.sleep(POLL_INTERVAL)

    async def stop(self, devtools: Optional[DevTools]) -> None:
        """Close the browser, or kill it if it doesn't close."""
        if self.process is None or self.process.returncode is not None:
            return
        if devtools is not None:
            try:
                await devtools.call("Browser.close")
            except (DevToolsError, websockets.ConnectionClosed, asyncio.TimeoutError):
                pass
        try:
            await asyncio.wait_for(self.process.wait(), STEP_DEADLINE)
        except asyncio.TimeoutError:  # pragma: no cover
            self.process.kill()
            await self.process.wait()


def has_users(count: int) -> Callable[[Dict[str, Any]], bool]:
    text = "1 user" if count == 1 else f"{count} users"
    return lambda tab: tab["state"] == "open" and tab["users"] == text


def has_value(value: int) -> Callable[[Dict[str, Any]], bool]:
    return lambda tab: tab["value"] == str(value)


async def scenario(executable: str, directory: pathlib.Path) -> None:
    demo_module = load_demo()
    demo = demo_module.Demo()
    chromium = Chromium(executable, directory)
    devtools: Optional[DevTools] = None
    server = await websockets.serve(
        demo.handler, "127.0.0.1", 0, process_request=demo.process_request
    )
    try:
        assert server.sockets
        port = server.sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{port}/"

        debugging_port = await chromium.start()
        websocket = await websockets.connect(await devtools_url(debugging_port))
        devtools = DevTools(websocket)

        # Alice opens the page, then Bob.
        alice = await Tab.open(devtools, url)
        await alice.wait_until(has_users(1))
        bob = await Tab.open(devtools, url)
        await bob.wait_until(has_users(2))
        await alice.wait_until(has_users(2))

        # The browser negotiated compression.
        for tab in [alice, bob]:
            await tab.wait_until(lambda tab: tab["extensions"] == "permessage-deflate")
        assert len(demo.users) == 2
        for user in demo.users:
            assert [extension.name for extension in user.extensions] == [
                "permessage-deflate"
            ]
            assert "HeadlessChrome" in user.request_headers["User-Agent"]

        # Alice clicks + twice, Bob sees 2; Bob clicks -, Alice sees 1.
        await alice.click("plus")
        await alice.wait_until(has_value(1))
        await alice.click("plus")
        await bob.wait_until(has_value(2))
        # Else Alice may still show the 1 of her first click, below.
        await alice.wait_until(has_value(2))
        await bob.click("minus")
        await alice.wait_until(has_value(1))
        assert demo.value == 1

        # Bob leaves.
        await bob.close()
        await alice.wait_until(has_users(1))

        # The server shuts down: the page sees close code 1001 (going away).
        # The server finishes closing in finally, once Chromium exits: else
        # it would wait close_timeout for connections that Chromium opened in
        # advance and keeps idle.
        server.close()
        await alice.wait_until(
            lambda tab: tab["state"] == "closed"
            and tab["closeCode"] == "1001"
            and tab["status"] == "Disconnected: close code 1001."
        )
    finally:
        server.close()
        await chromium.stop(devtools)
        await server.wait_closed()
        if devtools is not None:
            await devtools.websocket.close()
            await devtools.reader


@pytest.mark.slow
def test_demo_in_two_browser_tabs(tmp_path: pathlib.Path) -> None:
    executable = find_chromium()
    if executable is None:
        pytest.skip(
            "Chromium isn't installed: run `make browser` as root, "
            "or `apt-get install chromium`"
        )
    asyncio.run(asyncio.wait_for(scenario(executable, tmp_path), TEST_DEADLINE))
