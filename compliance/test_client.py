"""
Client for the Autobahn|Testsuite fuzzing server.

Run from the root of the repository, once the fuzzing server listens::

    PYTHONPATH=. python3 compliance/test_client.py [--uri ws://127.0.0.1:9001] \
        [--impl sync]

It asks the fuzzing server how many cases it has, runs each one by echoing
every message, with the defaults of :func:`websockets.connect`
(permessage-deflate on) except ``max_size``, raised for the 16 MiB messages
of case group 9, then tells the server to write its reports. With ``--impl
sync``, it runs :func:`websockets.sync.client.connect` instead, the same
way.

"""

import argparse
import asyncio
import json
import logging
import sys
import threading
import urllib.parse
from typing import List

import websockets
from websockets.sync.client import connect as sync_connect


AGENT = "websockets"
MAX_SIZE = 2**25


async def run_case(uri: str, case: int) -> None:
    """Run case number ``case``, counting from 1, echoing every message."""
    query = urllib.parse.urlencode({"case": case, "agent": AGENT})
    try:
        async with websockets.connect(
            f"{uri}/runCase?{query}", max_size=MAX_SIZE
        ) as websocket:
            async for message in websocket:
                await websocket.send(message)
    except websockets.ConnectionClosed:
        pass  # Many cases end by failing the connection: that's expected.


async def case_id(uri: str, case: int) -> str:
    """Id of case number ``case``, e.g. "7.3.2", for error messages."""
    query = urllib.parse.urlencode({"case": case})
    try:
        async with websockets.connect(f"{uri}/getCaseInfo?{query}") as websocket:
            return str(json.loads(await websocket.recv())["id"])
    except Exception:
        return f"number {case}"


async def main(uri: str, case_timeout: float) -> int:
    async with websockets.connect(f"{uri}/getCaseCount") as websocket:
        count = int(await websocket.recv())
    print(f"test_client: running {count} cases", flush=True)
    errors = 0
    for case in range(1, count + 1):
        try:
            await asyncio.wait_for(run_case(uri, case), case_timeout)
        except asyncio.TimeoutError:
            errors += 1
            print(f"error: case {await case_id(uri, case)} timed out", flush=True)
        except Exception as exc:
            # The fuzzing server grades the case; keep going.
            errors += 1
            print(f"error: case {await case_id(uri, case)}: {exc!r}", flush=True)
        if case % 50 == 0 and case < count:
            print(f"test_client: {case}/{count} cases run", flush=True)
    query = urllib.parse.urlencode({"agent": AGENT})
    async with websockets.connect(f"{uri}/updateReports?{query}") as websocket:
        await websocket.wait_closed()
    print(f"test_client: {count} cases run, reports written", flush=True)
    return 1 if errors else 0


def sync_run_case(uri: str, case: int, errors: List[BaseException]) -> None:
    query = urllib.parse.urlencode({"case": case, "agent": AGENT})
    try:
        with sync_connect(f"{uri}/runCase?{query}", max_size=MAX_SIZE) as websocket:
            for message in websocket:
                websocket.send(message)
    except websockets.ConnectionClosed:
        pass
    except Exception as exc:
        errors.append(exc)


def sync_main(uri: str, case_timeout: float) -> int:
    with sync_connect(f"{uri}/getCaseCount") as websocket:
        count = int(websocket.recv())
    print(f"test_client: running {count} cases (sync)", flush=True)
    failures = 0
    for case in range(1, count + 1):
        errors: List[BaseException] = []
        # A thread per case, so that a case that hangs times out.
        thread = threading.Thread(target=sync_run_case, args=(uri, case, errors))
        thread.daemon = True
        thread.start()
        thread.join(case_timeout)
        if thread.is_alive() or errors:
            failures += 1
            problem = "timed out" if thread.is_alive() else repr(errors[0])
            print(f"error: case number {case}: {problem}", flush=True)
        if case % 50 == 0 and case < count:
            print(f"test_client: {case}/{count} cases run", flush=True)
    query = urllib.parse.urlencode({"agent": AGENT})
    with sync_connect(f"{uri}/updateReports?{query}") as websocket:
        websocket.wait_closed()
    print(f"test_client: {count} cases run, reports written", flush=True)
    return 1 if failures else 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--uri", default="ws://127.0.0.1:9001")
    # The longest cases took 40 s on 2 cores; wstest gives them 480 s.
    parser.add_argument("--case-timeout", type=float, default=480)
    parser.add_argument("--impl", choices=["asyncio", "sync"], default="asyncio")
    args = parser.parse_args()
    logging.basicConfig(format="%(levelname)s %(name)s: %(message)s")
    if args.impl == "sync":
        sys.exit(sync_main(args.uri, args.case_timeout))
    sys.exit(asyncio.run(main(args.uri, args.case_timeout)))
