"""
Run Autobahn|Testsuite against websockets, both ways, and summarize it.

``make compliance`` runs every case group, ``make compliance-quick`` a
representative subset. By hand, from the root of the repository, once
``make compliance`` has created compliance/.venv27::

    python3 compliance/run.py [--quick] [--side server|client] [--summary-only] \
        [--impl asyncio|sync|both]

1. The fuzzing client (wstest -m fuzzingclient) tests the echo server of
   compliance/test_server.py; reports go to compliance/reports/servers.
2. The fuzzing server (wstest -m fuzzingserver) tests the client of
   compliance/test_client.py; reports go to compliance/reports/clients.

wstest runs from compliance/wstest_loopback.py, which binds its listening
sockets to 127.0.0.1 only. Every process gets a deadline: the run stops by
itself. The summary counts the cases of each group by status; the exit
status is 1 when a case is FAILED, UNIMPLEMENTED or missing, or when a
step didn't finish in time.

``--impl`` picks the implementation under test: the asyncio API (the
default), the threading API of websockets.sync, or both, one after the
other; each one's summary is printed after its run.

"""

import argparse
import collections
import json
import os
import resource
import signal
import socket
import subprocess
import sys
import time
from typing import Any, Counter, Dict, List, Optional, Sequence, Tuple


HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
REPORTS = os.path.join(HERE, "reports")
WSTEST_PYTHON = os.path.join(HERE, ".venv27", "bin", "python")
WSTEST = os.path.join(HERE, "wstest_loopback.py")

HOST = "127.0.0.1"
FUZZING_SERVER_PORT = 9001
TEST_SERVER_PORT = 9002
AGENT = "websockets"

ALL_CASES = ["*"]
# Every group and subgroup, with small or few messages: all of 1 to 8 and
# 10, the 64 KiB and 256 KiB messages of 9.1 and 9.2 and one case of each
# other 9.x subgroup, 1000 messages of 16 B to 4 KiB and fragmented ones in
# 12.1, 16 B in the other data sets of 12, and 16 B messages plus fragmented
# ones in each of the seven negotiations of 13.
QUICK_CASES = [
    *(f"{group}.*" for group in range(1, 9)),
    *("9.1.1", "9.1.2", "9.2.1", "9.2.2"),
    *(f"9.{subgroup}.1" for subgroup in range(3, 9)),
    "10.*",
    *(f"12.1.{case}" for case in (1, 2, 3, 4, 5, 11)),
    *(f"12.{subgroup}.1" for subgroup in range(2, 6)),
    *(f"13.{subgroup}.1" for subgroup in range(1, 8)),
    *(f"13.{subgroup}.11" for subgroup in (1, 3, 5, 7)),
]

STATUSES = ["OK", "NON-STRICT", "INFORMATIONAL", "UNIMPLEMENTED", "FAILED"]
FATAL = {"FAILED", "UNIMPLEMENTED"}

# Deadlines per side, in seconds. On 2 cores, a full run took 20 minutes per
# side (33 when the machine was busy), a quick one 1 minute per side.
TIMEOUTS = {"full": 3600.0, "quick": 600.0}
START_TIMEOUT = 30.0
STOP_TIMEOUT = 10.0


# CPU time of each process, by log name: is the time spent in wstest or here?
CPU_TIMES: Dict[str, float] = {}
LOG_NAMES: Dict[int, str] = {}


def log(message: str) -> None:
    print(f"compliance: {message}", flush=True)


def case_key(case_id: str) -> Tuple[int, ...]:
    """Sort "12.1.10" after "12.1.9"."""
    return tuple(int(part) for part in case_id.split("."))


def write_spec(name: str, spec: Dict[str, Any]) -> str:
    path = os.path.join(REPORTS, f"{name}.json")
    with open(path, "w") as file:
        json.dump(spec, file, indent=2)
    return path


def start(args: Sequence[str], log_name: str, **kwargs: Any) -> "subprocess.Popen[Any]":
    """Start a process in its own session, its output going to a log file."""
    with open(os.path.join(REPORTS, log_name), "wb") as output:
        process = subprocess.Popen(
            list(args),
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **kwargs,
        )
    LOG_NAMES[process.pid] = log_name[: -len(".log")]
    return process


def wait(process: "subprocess.Popen[Any]", timeout: Optional[float] = None) -> int:
    """Wait for a process started by :func:`start`; record its CPU time."""
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    status = process.wait(timeout)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    name = LOG_NAMES[process.pid]
    CPU_TIMES[name] = after.ru_utime + after.ru_stime - usage.ru_utime - usage.ru_stime
    return status


def stop(process: "subprocess.Popen[Any]") -> None:
    """Terminate a process started by :func:`start` and its children."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            wait(process, STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            wait(process)


def wait_listening(port: int, process: "subprocess.Popen[Any]") -> bool:
    """Wait until something accepts connections on 127.0.0.1:``port``."""
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            return False
        try:
            socket.create_connection((HOST, port), timeout=1).close()
        except OSError:
            time.sleep(0.1)
        else:
            return True
    return False


def port_free(port: int) -> bool:
    try:
        socket.create_connection((HOST, port), timeout=1).close()
    except OSError:
        return True
    return False


def run_step(
    name: str, args: Sequence[str], timeout: float, **kwargs: Any
) -> Optional[int]:
    """Run a process to completion; return its exit status, None on timeout."""
    process = start(args, f"{name}.log", **kwargs)
    try:
        return wait(process, timeout)
    except subprocess.TimeoutExpired:
        log(f"{name} still running after {timeout:.0f} seconds: stopping it")
        return None
    finally:
        stop(process)


def test_server(
    cases: List[str], timeout: float, env: Dict[str, str], impl: str = "asyncio"
) -> bool:
    """The fuzzing client against our echo server; True if it finished."""
    outdir = os.path.join(REPORTS, "servers")
    spec = write_spec(
        "fuzzingclient",
        {
            "outdir": outdir,
            "servers": [{"agent": AGENT, "url": f"ws://{HOST}:{TEST_SERVER_PORT}"}],
            "cases": cases,
            "exclude-cases": [],
            "exclude-agent-cases": {},
        },
    )
    remove_index(outdir)
    if not port_free(TEST_SERVER_PORT):
        log(f"port {TEST_SERVER_PORT} is already in use")
        return False
    server = start(
        [
            sys.executable,
            os.path.join(HERE, "test_server.py"),
            f"--port={TEST_SERVER_PORT}",
            f"--impl={impl}",
        ],
        "test_server.log",
        env=env,
    )
    try:
        if not wait_listening(TEST_SERVER_PORT, server):
            log("test_server.py didn't start: see reports/test_server.log")
            return False
        log("fuzzing client -> test_server.py (log: reports/fuzzingclient.log)")
        status = run_step(
            "fuzzingclient",
            [WSTEST_PYTHON, WSTEST, "-m", "fuzzingclient", "-s", spec],
            timeout,
            cwd=REPORTS,
        )
    finally:
        stop(server)
        show_errors("test_server.log")
    if status != 0:
        log(f"fuzzing client exited with status {status}")
    return status == 0


def test_client(
    cases: List[str], timeout: float, env: Dict[str, str], impl: str = "asyncio"
) -> bool:
    """Our client against the fuzzing server; True if it finished."""
    outdir = os.path.join(REPORTS, "clients")
    spec = write_spec(
        "fuzzingserver",
        {
            "url": f"ws://{HOST}:{FUZZING_SERVER_PORT}",
            "outdir": outdir,
            "cases": cases,
            "exclude-cases": [],
            "exclude-agent-cases": {},
        },
    )
    remove_index(outdir)
    if not port_free(FUZZING_SERVER_PORT):
        log(f"port {FUZZING_SERVER_PORT} is already in use")
        return False
    # -u 0: no web server for browsing reports.
    server = start(
        [WSTEST_PYTHON, WSTEST, "-m", "fuzzingserver", "-s", spec, "-u", "0"],
        "fuzzingserver.log",
        cwd=REPORTS,
    )
    try:
        if not wait_listening(FUZZING_SERVER_PORT, server):
            log("the fuzzing server didn't start: see reports/fuzzingserver.log")
            return False
        log("test_client.py -> fuzzing server (log: reports/test_client.log)")
        status = run_step(
            "test_client",
            [
                sys.executable,
                os.path.join(HERE, "test_client.py"),
                f"--uri=ws://{HOST}:{FUZZING_SERVER_PORT}",
                f"--impl={impl}",
            ],
            timeout,
            env=env,
        )
    finally:
        stop(server)
    show_errors("test_client.log")
    # A case that fails in the client is graded by the fuzzing server.
    return status is not None


def show_errors(log_name: str, limit: int = 20) -> None:
    """
    Print what the library logged and the errors of test_client.py.

    They don't fail the run: wstest grades the cases. But a case that ends in
    an unexpected exception deserves a look even when it's graded OK.

    """
    try:
        with open(os.path.join(REPORTS, log_name), errors="replace") as file:
            lines = [line.rstrip() for line in file if not line.startswith("test_")]
    except FileNotFoundError:
        return
    if lines:
        what = "line" if len(lines) == 1 else "lines"
        log(f"{len(lines)} {what} of errors in reports/{log_name}:")
        for line in lines[:limit]:
            print(f"  {line}")
        if len(lines) > limit:
            print(f"  ... and {len(lines) - limit} more")


def remove_index(outdir: str) -> None:
    try:
        os.remove(os.path.join(outdir, "index.json"))
    except FileNotFoundError:
        pass


def case_status(result: Dict[str, Any]) -> str:
    """
    Status of a case, from its behavior and its closing behavior.

    As in wstest's HTML report: a closing behavior of UNCLEAN or FAILED fails
    the case, WRONG CODE and FAILED BY CLIENT make it NON-STRICT.

    """
    behavior: str = result["behavior"]
    closing: str = result["behaviorClose"]
    if behavior in {"FAILED", "UNIMPLEMENTED", "INFORMATIONAL"}:
        return behavior
    if closing in {"FAILED", "UNCLEAN"}:
        return "FAILED"
    if closing in {"WRONG CODE", "FAILED BY CLIENT"}:
        return "NON-STRICT"
    return behavior


def load_results(side: str) -> Dict[str, Dict[str, Any]]:
    """Results of one side, by case id; empty if there's no report."""
    outdir = os.path.join(REPORTS, side)
    try:
        with open(os.path.join(outdir, "index.json")) as file:
            index = json.load(file)
    except FileNotFoundError:
        return {}
    results: Dict[str, Dict[str, Any]] = index.get(AGENT, {})
    for result in results.values():
        result["status"] = case_status(result)
        if result["status"] != "OK":
            with open(os.path.join(outdir, result["reportfile"])) as file:
                details = json.load(file)
            result["description"] = details.get("description", "")
            result["result"] = details.get("result", "")
            result["resultClose"] = details.get("resultClose", "")
    return results


def summarize(results: Dict[str, Dict[str, Any]]) -> List[List[str]]:
    """Rows of the summary table: one per case group, then the total."""
    counts: Dict[str, Counter[str]] = collections.defaultdict(collections.Counter)
    for case_id, result in results.items():
        counts[case_id.split(".")[0]][result["status"]] += 1
    total: Counter[str] = collections.Counter()
    rows = []
    for group in sorted(counts, key=int):
        total += counts[group]
        rows.append([group, *(str(counts[group][s]) for s in STATUSES)])
    rows.append(["all", *(str(total[s]) for s in STATUSES)])
    return rows


def print_table(title: str, rows: List[List[str]]) -> None:
    header = ["Group", *STATUSES]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    rule = "  ".join("=" * width for width in widths)
    print()
    print(title)
    print()
    print(rule)
    for row in [header, None, *rows]:
        if row is None:
            print(rule)
            continue
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:], widths[1:])]
        print("  ".join(cells).rstrip())
    print(rule)


def report(sides: Sequence[str], impl: str = "asyncio") -> bool:
    """Print the summary of each side; True if no case is fatal."""
    ok = True
    all_results = {side: load_results(side) for side in sides}
    for side, results in all_results.items():
        what = "server (fuzzing client)" if side == "servers" else "client"
        title = f"websockets {impl} {what}: {len(results)} cases"
        if not results:
            log(f"no report in reports/{side}/index.json")
            ok = False
            continue
        print_table(title, summarize(results))
        for case_id in sorted(results, key=case_key):
            result = results[case_id]
            if result["status"] == "OK":
                continue
            if result["status"] in FATAL:
                ok = False
            print(
                f"  {case_id} {result['status']}: behavior {result['behavior']}, "
                f"closing {result['behaviorClose']}, close code "
                f"{result.get('remoteCloseCode')}: {result['result']} "
                f"{result['resultClose']}"
            )
    if len(all_results) == 2:
        servers, clients = all_results["servers"], all_results["clients"]
        missing = sorted(set(servers) ^ set(clients), key=case_key)
        if missing:
            ok = False
            log(f"cases missing on one side: {', '.join(missing)}")
    return ok


def main(argv: Optional[Sequence[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.strip().splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a representative subset")
    parser.add_argument(
        "--cases", nargs="+", metavar="CASE", help='case ids or patterns, e.g. "6.4.*"'
    )
    parser.add_argument("--side", choices=["server", "client", "both"], default="both")
    parser.add_argument("--timeout", type=float, help="deadline per side, in seconds")
    parser.add_argument(
        "--summary-only", action="store_true", help="summarize the last reports"
    )
    parser.add_argument(
        "--impl",
        choices=["asyncio", "sync", "both"],
        default="asyncio",
        help="the asyncio API, the threading API (websockets.sync), or both",
    )
    args = parser.parse_args(argv)

    sides = ["servers", "clients"] if args.side == "both" else [args.side + "s"]
    if args.summary_only:
        return 0 if report(sides) else 1

    if not os.path.exists(WSTEST_PYTHON):
        log(f"{WSTEST_PYTHON} is missing: run make compliance")
        return 1
    os.makedirs(REPORTS, exist_ok=True)
    cases = args.cases or (QUICK_CASES if args.quick else ALL_CASES)
    timeout = args.timeout or TIMEOUTS["quick" if args.quick else "full"]
    # The library without installing it, and without asyncio's debug mode,
    # which slows everything down and logs every slow callback.
    env = dict(os.environ, PYTHONPATH=ROOT)
    env.pop("PYTHONASYNCIODEBUG", None)

    ok = True
    impls = ["asyncio", "sync"] if args.impl == "both" else [args.impl]
    for impl in impls:
        finished = True
        for side in sides:
            began = time.monotonic()
            if side == "servers":
                finished &= test_server(cases, timeout, env, impl)
            else:
                finished &= test_client(cases, timeout, env, impl)
            cpu = ", ".join(f"{name} {t:.0f} s" for name, t in CPU_TIMES.items())
            CPU_TIMES.clear()
            elapsed = time.monotonic() - began
            log(f"{impl} {side[:-1]} tested in {elapsed:.0f} s; CPU time: {cpu}")
        # Each implementation's reports replace the previous ones.
        ok &= report(sides, impl)
        if not finished:
            log("a step didn't finish: see the logs in compliance/reports")
        ok &= finished
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
