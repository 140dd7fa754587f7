"""
Interactive WebSocket client: ``python -m websockets URI``.

Each line read from standard input is sent as a Text message; incoming
messages are printed to standard output as they arrive, prefixed with
``< `` (Binary messages in hexadecimal). Status lines, such as
``Connection closed: 1000 (OK), no reason.``, go to standard error.

In a terminal, a ``> `` prompt shows the line being typed, and incoming
messages appear above it. Ctrl-C or Ctrl-D closes the connection with code
1000; a second Ctrl-C drops it at once.

At the end of the input, the client closes the connection with code 1000
and exits once the server acknowledges the close, printing the messages that
arrive until then. The server may read the close before it answers the last
lines, and then it can't answer them anymore (RFC 6455 1.4): to see every
answer, keep the input open until they arrive.

The exit status is 0 when the connection closes with code 1000 or 1001, and
1 when it can't open or closes with another code.

"""

import argparse
import asyncio
import codecs
import os
import shutil
import signal
import sys
import threading
from typing import List, Optional, TextIO

from .client import WebSocketClientProtocol, connect
from .exceptions import ConnectionClosed, format_close
from .protocol import WebSocketCommonProtocol
from .typing import Data


__all__: List[str] = []

ESC = "\x1b"


class Console:
    """
    Print status lines and messages, above the prompt in a terminal.

    Args:
        interactive: whether standard input and output are a terminal: then
            show a prompt and print above it.

    """

    def __init__(self, interactive: bool) -> None:
        self.interactive = interactive
        self.prompting = False

    def prompt(self) -> None:
        """Show the prompt, on the line where the user types."""
        if self.interactive:
            self.prompting = True
            sys.stdout.write("> ")
            sys.stdout.flush()

    def end_prompt(self) -> None:
        """Erase the prompt line: nothing more will be typed."""
        if self.prompting:
            self.prompting = False
            sys.stdout.write("\r" + ESC + "[K")
            sys.stdout.flush()

    def message(self, message: Data) -> None:
        """Print an incoming message on standard output."""
        if isinstance(message, str):
            self.write(sys.stdout, f"< {message}")
        else:
            self.write(sys.stdout, f"< (binary) {message.hex()}")

    def status(self, text: str) -> None:
        """Print a status line on standard error."""
        self.write(sys.stderr, text)

    def write(self, stream: TextIO, text: str) -> None:
        tty = stream.isatty()
        if tty:
            text = printable(text)
        if self.prompting and tty:
            # Print above the line being typed: make room below it, scrolling
            # if it's at the bottom, insert blank lines where it is, which
            # pushes it down, print there, then go back to where the cursor
            # was, that many lines down (which stops at the bottom).
            rows = count_rows(text, shutil.get_terminal_size().columns)
            text = (
                f"{ESC}7"  # save cursor
                + "\n" * rows
                + f"{ESC}[{rows}A"  # cursor up
                + f"{ESC}[{rows}L"  # insert lines
                + "\r"
                + text
                + f"{ESC}8"  # restore cursor
                + f"{ESC}[{rows}B"  # cursor down
            )
        else:
            text += "\n"
        stream.write(text)
        stream.flush()


def printable(text: str) -> str:
    """Escape control characters, which would drive the terminal."""
    return "".join(
        char if char.isprintable() or char in "\t\n" else repr(char)[1:-1]
        for char in text
    ).expandtabs()


def count_rows(text: str, columns: int) -> int:
    """Count the rows of the terminal that ``text`` takes up."""
    columns = max(columns, 1)
    return sum(max(1, -(-len(line) // columns)) for line in text.split("\n"))


def read_lines(
    loop: asyncio.AbstractEventLoop, lines: "asyncio.Queue[Optional[str]]"
) -> None:
    """
    Read standard input, in a thread, and queue each line, then ``None``.

    It reads the file descriptor rather than :data:`sys.stdin`: a thread
    blocked in a buffered read could hold a lock needed at exit.

    """
    decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
    buffer = ""
    done = False
    while not done:
        try:
            data = os.read(sys.stdin.fileno(), 65536)
        except OSError:
            data = b""
        done = not data
        buffer += decoder.decode(data, final=done)
        *complete, buffer = buffer.split("\n")
        if done and buffer:
            complete.append(buffer)
        items: List[Optional[str]] = [line.rstrip("\r") for line in complete]
        if done:
            items.append(None)
        for item in items:
            try:
                loop.call_soon_threadsafe(lines.put_nowait, item)
            except RuntimeError:  # the loop is closed: the client is exiting
                return


async def receive(websocket: WebSocketCommonProtocol, console: Console) -> None:
    """Print incoming messages until the connection closes."""
    try:
        async for message in websocket:
            console.message(message)
    except ConnectionClosed:
        pass


async def send(
    websocket: WebSocketCommonProtocol,
    lines: "asyncio.Queue[Optional[str]]",
    console: Console,
) -> None:
    """Send each line as a Text message until the end of the input."""
    while True:
        line = await lines.get()
        if line is None:
            return
        try:
            await websocket.send(line)
        except ConnectionClosed:
            return
        console.prompt()


async def interact(uri: str, console: Console) -> int:
    """Connect to ``uri`` and exchange messages; return the exit status."""
    loop = asyncio.get_running_loop()
    stop = loop.create_future()
    opened: List[WebSocketCommonProtocol] = []

    def on_signal() -> None:
        if not stop.done():
            stop.set_result(None)
            return
        for websocket in opened:  # second Ctrl-C: don't wait anymore
            if websocket.transport is not None:
                websocket.transport.abort()

    for signum in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(signum, on_signal)
        except NotImplementedError:  # pragma: no cover
            pass  # Windows: Ctrl-C raises KeyboardInterrupt

    async def open_connection() -> WebSocketClientProtocol:
        return await connect(uri)  # connect(uri) raises InvalidURI

    connecting = loop.create_task(open_connection())
    await asyncio.wait([connecting, stop], return_when=asyncio.FIRST_COMPLETED)
    if not connecting.done():
        connecting.cancel()
        console.status(f"Interrupted while connecting to {uri}.")
        return 1
    try:
        websocket = connecting.result()
    except Exception as exc:
        console.status(f"Failed to connect to {uri}: {exc}.")
        return 1
    opened.append(websocket)
    console.status(f"Connected to {uri}.")

    lines: asyncio.Queue[Optional[str]] = asyncio.Queue()
    threading.Thread(target=read_lines, args=(loop, lines), daemon=True).start()
    console.prompt()

    receiving = loop.create_task(receive(websocket, console))
    sending = loop.create_task(send(websocket, lines, console))
    await asyncio.wait([receiving, sending, stop], return_when=asyncio.FIRST_COMPLETED)
    sending.cancel()
    console.end_prompt()
    if not receiving.done():
        # Ctrl-C or the end of the input: messages that arrive until the
        # server acknowledges the close are still printed.
        await websocket.close()
    await receiving

    code = websocket.close_code
    if code is None:  # pragma: no cover
        code = 1006
    console.status(
        f"Connection closed: {format_close(code, websocket.close_reason or '')}."
    )
    return 0 if code in (1000, 1001) else 1


def main(argv: Optional[List[str]] = None) -> int:
    """Run the interactive client; return the exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m websockets",
        description=(
            "Interactive WebSocket client: send each line of input as a text "
            "message and print incoming messages, prefixed with '< '. Ctrl-C "
            "or Ctrl-D (the end of the input) closes the connection."
        ),
    )
    parser.add_argument("uri", metavar="URI", help="ws:// or wss:// URI")
    args = parser.parse_args(argv)
    console = Console(sys.stdin.isatty() and sys.stdout.isatty())
    return asyncio.run(interact(args.uri, console))


if __name__ == "__main__":
    sys.exit(main())
