"""
Benchmark suite: this project against websockets, aiohttp and a raw-asyncio floor.

Usage::

    python bench/run.py [--quick] [--only WORKLOAD ...] [--uvloop] [--json PATH]
    python bench/run.py --profile [--only WORKLOAD ...]
    python bench/run.py --list

Each contender runs as a server process and a client process on 127.0.0.1.
Workloads run interleaved across contenders and repeated; the figures are
operations per CPU-second of client plus server, and the ratios are medians
of per-repetition ratios to websockets. See bench/README.md for the method.

"""

import argparse
import contextlib
import hashlib
import io
import json
import os
import platform
import queue
import shutil
import statistics
import subprocess
import sys
import threading
import time
from typing import Any, Callable, Dict, Iterable, List, Optional, Sequence, Tuple


BENCH = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(BENCH)
WORKERS = os.path.join(BENCH, "workers")
RESULTS = os.path.join(BENCH, "results")
OTHERS_VENV = os.path.join(BENCH, ".venv-others")
REQUIREMENTS = os.path.join(ROOT, "requirements", "bench.txt")

CONTENDERS = ("ours", "websockets", "aiohttp", "picows-ws", "picows", "raw")
BASELINE = "websockets"
# Contenders installed in bench/.venv-others from requirements/bench.txt.
OTHERS = ("websockets", "aiohttp", "picows-ws", "picows")
# picows-ws is picows' websockets-compatible API (picows.websockets), picows
# its native callback API (WSListener.on_ws_frame).

# Compression variants: "off"; "def", each library's default settings; "eq",
# the same settings everywhere (window bits 12 and memLevel 5, websockets'
# defaults). aiohttp can't set memLevel: it only runs "off" and "def"; the
# raw floor has no compression.
SUPPORTS = {
    "ours": ("off", "def", "eq"),
    "websockets": ("off", "def", "eq"),
    "aiohttp": ("off", "def"),
    # picows.websockets has compression="deflate" (15-bit windows, zlib's
    # memLevel 8) or None, no settings; the native API has no compression.
    "picows-ws": ("off", "def"),
    "picows": ("off",),
    "raw": ("off",),
}

# Where the two processes of a pair run. "free": both may use every CPU, as
# a client and a server would in production; "split": the server pinned to
# the last CPU, the client to the first (what "free" does on an idle
# machine, without depending on the scheduler or on other load);
# "same-cpu": both pinned to the last CPU. See "Placement" in
# bench/README.md for what that changes.
PLACEMENTS = ("free", "split", "same-cpu")

# Client processes for 5,000 idle connections (2 for 1,000).
IDLE_CLIENTS = 4

SIZES = ((16, "16"), (1024, "1k"), (65536, "64k"), (1048576, "1m"))

# Workloads that run on a persistent pair of processes.
PAIR_KINDS = ("echo", "stream", "handshake")

# Targets (issue 15): minimum ratios of ours to other contenders per
# CPU-second, measured in the same run. Small messages: 95% of the raw floor
# and 1.15x aiohttp, where they run; handshakes: 2x websockets; 64 KiB and
# 1 MiB: 1.3x websockets.
Goals = Tuple[Tuple[str, float], ...]


class Workload:
    """One benchmark: a kind, its parameters, the contenders that run it."""

    def __init__(
        self,
        name: str,
        kind: str,
        contenders: Sequence[str],
        goals: Goals = (),
        quick: bool = True,
        **params: Any,
    ) -> None:
        self.name = name
        self.kind = kind
        self.contenders = tuple(contenders)
        self.goals = tuple(
            (other, ratio) for other, ratio in goals if other in self.contenders
        )
        self.quick = quick
        self.params = params

    def __repr__(self) -> str:
        return f"Workload({self.name})"


def supporting(comp: str) -> List[str]:
    return [c for c in CONTENDERS if comp in SUPPORTS[c]]


def build_workloads() -> List[Workload]:
    workloads: List[Workload] = []
    for size, label in SIZES:
        small = size <= 1024
        variants = [
            ("off", "bin", "off"),
            ("text_def", "text", "def"),
            ("text_eq", "text", "eq"),
            ("rand_eq", "bin", "eq"),
        ]
        for suffix, payload, comp in variants:
            goals: Goals
            if small:
                # The floor and aiohttp run where they can; with equal
                # compression settings, only websockets: issue 8's target.
                goals = (("raw", 0.95), ("aiohttp", 1.15))
                if comp == "eq":
                    goals = ((BASELINE, 1.5),)
            elif comp == "off":
                goals = ((BASELINE, 1.3),)
            elif suffix == "text_eq":
                goals = ((BASELINE, 1.0),)
            else:
                goals = ()
            workloads.append(
                Workload(
                    f"echo_{label}_{suffix}",
                    "echo",
                    supporting(comp),
                    goals,
                    size=size,
                    payload=payload,
                    comp=comp,
                )
            )
    for size, label in ((16, "16"), (65536, "64k")):
        workloads.append(
            Workload(
                f"stream_{label}_off",
                "stream",
                supporting("off"),
                (("raw", 0.95), ("aiohttp", 1.15))
                if size == 16
                else ((BASELINE, 1.3),),
                size=size,
                payload="bin",
                comp="off",
            )
        )
    for comp in ("off", "def", "eq"):
        workloads.append(
            Workload(
                f"handshake_{comp}",
                "handshake",
                supporting(comp),
                ((BASELINE, 2.0),),
                comp=comp,
            )
        )
    for count in (1000, 5000):
        for comp in ("off", "def"):
            workloads.append(
                Workload(
                    f"idle_{count}_{comp}",
                    "idle",
                    supporting(comp),
                    quick=count == 1000,
                    count=count,
                    comp=comp,
                )
            )
    workloads.append(Workload("masking", "masking", ("ours", "websockets")))
    return workloads


# Environments.


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def others_python() -> str:
    return os.path.join(OTHERS_VENV, "bin", "python")


def ensure_others_venv() -> None:
    """Create bench/.venv-others with requirements/bench.txt, once per version."""
    with open(REQUIREMENTS, "rb") as requirements:
        digest = hashlib.sha256(requirements.read()).hexdigest()
    stamp = os.path.join(OTHERS_VENV, ".bench-installed")
    try:
        with open(stamp) as f:
            if f.read().strip() == digest:
                return
    except FileNotFoundError:
        pass
    if not os.path.exists(others_python()):
        log(f"creating {os.path.relpath(OTHERS_VENV, ROOT)}")
        subprocess.run([sys.executable, "-m", "venv", OTHERS_VENV], check=True)
    log(f"installing {os.path.relpath(REQUIREMENTS, ROOT)} into it")
    subprocess.run(
        [
            others_python(),
            *("-m", "pip", "install", "-q", "--disable-pip-version-check"),
            *("-r", REQUIREMENTS),
        ],
        check=True,
    )
    with open(stamp, "w") as f:
        f.write(digest + "\n")


def worker_env(contender: str) -> Dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        # `make` exports PYTHONASYNCIODEBUG=1 for the tests: it would make
        # asyncio several times slower. None of these belong in a benchmark.
        if key
        not in {
            "PYTHONASYNCIODEBUG",
            "PYTHONDEVMODE",
            "PYTHONTRACEMALLOC",
            "PYTHONPATH",
            "PYTHONWARNINGS",
            "PYTHONMALLOC",
            "PYTHONPROFILEIMPORTTIME",
        }
    }
    env["PYTHONHASHSEED"] = "0"
    if contender == "ours":
        env["PYTHONPATH"] = ROOT
    return env


def worker_python(contender: str) -> str:
    if contender in OTHERS:
        return others_python()
    return sys.executable


# Run workers without address space randomisation, for a stable cost per
# process. Without setarch, workers re-execute themselves with personality(2).
NO_ASLR = (
    [shutil.which("setarch") or "setarch", platform.machine(), "-R"]
    if shutil.which("setarch") and sys.platform.startswith("linux")
    else []
)


def cpus() -> List[int]:
    return sorted(os.sched_getaffinity(0))


# Workers.


class WorkerError(Exception):
    pass


class Worker:
    """A worker process, driven with JSON lines on its stdin and stdout."""

    def __init__(
        self,
        contender: str,
        role: str,
        config: Dict[str, Any],
        log_dir: str,
        env: Optional[Dict[str, str]] = None,
        tag: str = "",
    ) -> None:
        self.contender = contender
        self.role = role
        self.name = f"{contender}-{role}{tag}"
        module = contender.replace("-", "_")
        script = os.path.join(WORKERS, f"{module}_{role}.py")
        self.log_path = os.path.join(log_dir, f"{self.name}.log")
        self.log_file = open(self.log_path, "a")
        self.process = subprocess.Popen(
            [*NO_ASLR, worker_python(contender), script, json.dumps(config)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self.log_file,
            text=True,
            bufsize=1,
            cwd=WORKERS,
            env=env if env is not None else worker_env(contender),
        )
        self.lines: queue.Queue[Optional[str]] = queue.Queue()
        self.reader = threading.Thread(target=self._read, daemon=True)
        self.reader.start()
        self.hello: Dict[str, Any] = {}

    def ready(self) -> "Worker":
        """Wait until the worker has started; workers start in parallel."""
        if not self.hello:
            self.hello = self.read(timeout=120)
            self.check_impl()
        return self

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)
        self.lines.put(None)

    def check_impl(self) -> None:
        impl = self.hello["impl"]
        where = impl.get("file") or ""
        if self.contender == "ours" and not where.startswith(
            ROOT + os.sep + "websockets"
        ):
            raise WorkerError(f"{self.name} imported {where}, not this project")
        if self.contender in OTHERS and not where.startswith(OTHERS_VENV):
            raise WorkerError(f"{self.name} imported {where}, not bench/.venv-others")

    def send(self, **command: Any) -> None:
        assert self.process.stdin is not None
        try:
            self.process.stdin.write(json.dumps(command) + "\n")
            self.process.stdin.flush()
        except (BrokenPipeError, OSError) as exc:
            raise WorkerError(f"{self.name} is gone: {exc}") from None

    def read(self, timeout: float) -> Dict[str, Any]:
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise WorkerError(f"{self.name}: no answer in {timeout:.0f} s") from None
        if line is None:
            raise WorkerError(f"{self.name} exited; see {self.log_path}")
        reply: Dict[str, Any] = json.loads(line)
        if "error" in reply:
            raise WorkerError(f"{self.name}: {reply['error']}")
        return reply

    def call(self, timeout: float = 60, **command: Any) -> Dict[str, Any]:
        self.send(**command)
        return self.read(timeout)

    def pin(self, cpu_set: Iterable[int]) -> None:
        """Pin every thread of the worker to ``cpu_set``."""
        cpu_set = set(cpu_set)
        try:
            tids = os.listdir(f"/proc/{self.process.pid}/task")
        except FileNotFoundError:
            return
        for tid in tids:
            try:
                os.sched_setaffinity(int(tid), cpu_set)
            except (ProcessLookupError, OSError):
                pass

    def switches(self) -> Tuple[int, int]:
        """Voluntary and involuntary context switches of the process so far."""
        counts = {}
        try:
            with open(f"/proc/{self.process.pid}/status") as status:
                for line in status:
                    key, _, value = line.partition(":")
                    if key.endswith("ctxt_switches"):
                        counts[key] = int(value)
        except (FileNotFoundError, ValueError):  # pragma: no cover
            return 0, 0
        return (
            counts.get("voluntary_ctxt_switches", 0),
            counts.get("nonvoluntary_ctxt_switches", 0),
        )

    def stop(self) -> None:
        if self.process.poll() is None:
            try:
                self.send(cmd="exit")
                self.process.wait(timeout=10)
            except (WorkerError, subprocess.TimeoutExpired):
                self.process.kill()
                self.process.wait()
        self.log_file.close()


# Measurements.


class Suite:
    def __init__(self, args: argparse.Namespace) -> None:
        self.args = args
        self.quick: bool = args.quick
        self.uvloop: bool = args.uvloop
        self.reps: int = args.reps or (2 if self.quick else 5)
        self.warm: float = 0.1 if self.quick else 0.3
        self.duration: float = args.duration or (0.25 if self.quick else 1.0)
        self.cpus = cpus()
        self.placements: List[str] = args.placement or [PLACEMENTS[0]]
        # With --placement same-cpu, the two workers of a pair share the last
        # CPU, and so does the server of the idle workload; the orchestrator
        # and the clients of the idle workload use the others.
        self.pair_cpu = {self.cpus[-1]}
        self.other_cpus = set(self.cpus[:-1]) or self.pair_cpu
        stamp = time.strftime("%Y%m%d-%H%M%S")
        self.log_dir = os.path.join(RESULTS, "logs", stamp)
        os.makedirs(self.log_dir, exist_ok=True)
        self.stamp = stamp
        self.pairs: Dict[str, Tuple[Worker, Worker]] = {}
        self.idle_pools: Dict[str, List[Worker]] = {}
        self.measurements: List[Dict[str, Any]] = []
        self.impls: Dict[str, Any] = {}
        self.errors: List[str] = []

    # Persistent server and client of each contender.

    def config(self) -> Dict[str, Any]:
        return {"uvloop": self.uvloop}

    def pair(self, contender: str) -> Tuple[Worker, Worker]:
        self.start_pairs([contender])
        server, client = self.pairs[contender]
        server.ready()
        client.ready()
        self.impls[contender] = server.hello["impl"]
        return server, client

    def start_pairs(self, contenders: Iterable[str]) -> None:
        """Start the workers of ``contenders`` in parallel."""
        for contender in contenders:
            if contender not in self.pairs:
                server = Worker(contender, "server", self.config(), self.log_dir)
                client = Worker(contender, "client", self.config(), self.log_dir)
                self.pairs[contender] = (server, client)

    def drop_pair(self, contender: str) -> None:
        pair = self.pairs.pop(contender, None)
        if pair is not None:
            for worker in pair:
                worker.stop()

    def stop(self) -> None:
        for contender in list(self.pairs):
            self.drop_pair(contender)
        for pool in self.idle_pools.values():
            for worker in pool:
                worker.stop()
        self.idle_pools.clear()

    def measure_pair(
        self,
        workload: Workload,
        contender: str,
        duration: float,
        profile: Optional[str] = None,
        placement: str = PLACEMENTS[0],
    ) -> Dict[str, Any]:
        """Run a client-driven workload once; CPU of both sides over the same span."""
        server, client = self.pair(contender)
        # Workers inherit the orchestrator's CPUs: set theirs every time.
        if placement == "same-cpu":
            server.pin(self.pair_cpu)
            client.pin(self.pair_cpu)
        elif placement == "split":
            server.pin(self.pair_cpu)
            client.pin(self.cpus[:1])
        else:
            server.pin(self.cpus)
            client.pin(self.cpus)
        params = dict(workload.params)
        port = server.hello["ports"][params.pop("comp")]
        command: Dict[str, Any] = dict(
            cmd=workload.kind,
            port=port,
            comp=workload.params["comp"],
            warm=self.warm,
            duration=duration,
            **params,
        )
        if profile is not None:
            command["profile"] = profile + "-client.pstats"
        if workload.kind == "handshake":
            # Bounded: each handshake leaves a socket in TIME_WAIT for 60 s.
            command["limit"] = 3000 if self.quick else 6000
        timeout = 60 + 3 * (self.warm + duration)
        client.send(**command)
        client.read(timeout)  # warm
        mark = dict(cmd="mark", collect=True)
        if profile is not None:
            mark["profile"] = "start"
        before = server.call(**mark)
        switches = server.switches() + client.switches()
        client.send(cmd="go")
        result = client.read(timeout)
        switches = tuple(
            after - before
            for after, before in zip(server.switches() + client.switches(), switches)
        )
        mark = dict(cmd="mark")
        if profile is not None:
            mark.update(profile="stop", path=profile + "-server.pstats")
        after = server.call(**mark)
        server_cpu = after["cpu"] - before["cpu"]
        cpu = result["cpu"] + server_cpu
        ops = result["ops"]
        return {
            "placement": placement,
            "ops": ops,
            "client_cpu": result["cpu"],
            "server_cpu": server_cpu,
            "wall": result["wall"],
            "rate_cpu": ops / cpu if cpu > 0 else None,
            "rate_wall": ops / result["wall"],
            # CPUs the pair kept busy: at most 1 with same-cpu, where it is
            # near 1 when the pair had the CPU to itself.
            "cpu_share": cpu / result["wall"],
            # Context switches per operation: voluntary ones are wake-ups
            # (the process slept in the event loop's select), involuntary
            # ones preemptions. Server, then client.
            "server_wakeups": switches[0] / ops if ops else None,
            "server_preempted": switches[1] / ops if ops else None,
            "client_wakeups": switches[2] / ops if ops else None,
            "client_preempted": switches[3] / ops if ops else None,
        }

    def record(self, workload: Workload, contender: str, rep: int, **data: Any) -> None:
        self.measurements.append(
            {
                "workload": workload.name,
                "row": row_name(workload.name, data.get("placement")),
                "contender": contender,
                "rep": rep,
                **data,
            }
        )

    def fail(self, workload: Workload, contender: str, exc: Exception) -> None:
        message = f"{workload.name} {contender}: {exc}"
        log(f"  ERROR {message}")
        self.errors.append(message)
        self.drop_pair(contender)

    def order(self, contenders: Sequence[str], rep: int) -> List[str]:
        """Rotate the order of contenders at each repetition."""
        shift = rep % len(contenders)
        return list(contenders[shift:]) + list(contenders[:shift])

    def run_pairs(self, workloads: List[Workload]) -> None:
        if not workloads:
            return
        self.start_pairs({c for w in workloads for c in w.contenders})
        for rep in range(self.reps):
            log(f"repetition {rep + 1}/{self.reps}")
            for workload in workloads:
                for placement in self.placements:
                    rates = []
                    for contender in self.order(workload.contenders, rep):
                        try:
                            data = self.measure_pair(
                                workload, contender, self.duration, placement=placement
                            )
                        except (WorkerError, KeyError) as exc:
                            self.fail(workload, contender, exc)
                            continue
                        self.record(workload, contender, rep, **data)
                        rates.append(f"{contender} {fmt(data['rate_cpu'])}")
                    row = row_name(workload.name, placement)
                    log(f"  {row:<29} " + ", ".join(rates))

    # Idle connections.

    def run_idle(self, workloads: List[Workload]) -> None:
        for contender in {c for w in workloads for c in w.contenders}:
            self.idle_clients(contender)
        reps = 1 if self.quick else 2
        for rep in range(reps):
            for workload in workloads:
                for contender in self.order(workload.contenders, rep):
                    try:
                        data = self.measure_idle(workload, contender)
                    except (WorkerError, KeyError) as exc:
                        self.fail(workload, contender, exc)
                        continue
                    self.record(workload, contender, rep, **data)
                    log(
                        f"  {workload.name:<20} {contender:<10} "
                        f"connect {fmt(data['rate_cpu'])}/cpu-s, "
                        f"{data['rss_per_conn'] / 1024:.1f} KiB/conn, broadcast "
                        + ", ".join(
                            f"{mode} {b['server_cpu'] * 1e3:.1f} ms"
                            for mode, b in data["broadcast"].items()
                        )
                    )
        if not self.quick:
            # Python memory per connection, with tracemalloc: a separate
            # round, as tracing slows everything down.
            for workload in workloads:
                if workload.params["count"] != 1000:
                    continue
                for contender in workload.contenders:
                    try:
                        data = self.measure_idle(workload, contender, traced=True)
                    except (WorkerError, KeyError) as exc:
                        self.fail(workload, contender, exc)
                        continue
                    self.record(workload, contender, -1, **data)
                    log(
                        f"  {workload.name:<20} {contender:<10} traced "
                        f"{data['traced_per_conn'] / 1024:.1f} KiB/conn"
                    )

    def measure_idle(
        self,
        workload: Workload,
        contender: str,
        traced: bool = False,
        profile: Optional[str] = None,
    ) -> Dict[str, Any]:
        count: int = workload.params["count"]
        comp: str = workload.params["comp"]
        env = worker_env(contender)
        if traced:
            env["PYTHONTRACEMALLOC"] = "1"
        tag = f"-{workload.name}"
        nclients = 2 if count <= 1000 else IDLE_CLIENTS
        # A fresh server for each measurement of memory; clients are reused.
        server = Worker(contender, "server", self.config(), self.log_dir, env, tag)
        try:
            server.pin(self.pair_cpu)
            clients = self.idle_clients(contender)[:nclients]
            for client in clients:
                client.ready().pin(self.other_cpus)
            server.ready()
            port = server.hello["ports"][comp]
            timeout = 60 + count * 0.05

            def open_all(total: int) -> List[Dict[str, Any]]:
                share = [total // nclients] * nclients
                share[0] += total - sum(share)
                for client, n in zip(clients, share):
                    client.send(
                        cmd="open", port=port, comp=comp, count=n, concurrency=50
                    )
                return [client.read(timeout) for client in clients]

            def wait_server(expected: int) -> Dict[str, Any]:
                deadline = time.monotonic() + timeout
                while True:
                    mark = server.call(cmd="mark")
                    if mark["clients"] == expected or time.monotonic() > deadline:
                        # Count what's still in use only.
                        return server.call(cmd="mark", collect=True)
                    time.sleep(0.05)

            # Warm up both sides with a few connections, then measure.
            open_all(100)
            for client in clients:
                client.call(timeout, cmd="closeall")
            before = wait_server(0)
            if traced and profile is not None:
                server.call(cmd="mark", snapshot=f"{profile}-before.snapshot")
            started = time.perf_counter()
            opened = open_all(count)
            after = wait_server(count)
            if after["clients"] != count:
                raise WorkerError(f"{after['clients']} connections of {count} open")
            if traced and profile is not None:
                server.call(cmd="mark", snapshot=f"{profile}-after.snapshot")
            client_cpu = sum(r["cpu"] for r in opened)
            server_cpu = after["cpu"] - before["cpu"]
            data: Dict[str, Any] = {
                "ops": count,
                "client_cpu": client_cpu,
                "server_cpu": server_cpu,
                "wall": max(r["wall"] for r in opened),
                "connect_wall": time.perf_counter() - started,
                "rate_cpu": count / (client_cpu + server_cpu),
                "rate_wall": count / max(r["wall"] for r in opened),
                "rss_per_conn": (after["rss"] - before["rss"]) / count,
            }
            if traced:
                data["traced_per_conn"] = (after["traced"] - before["traced"]) / count
                return data
            data["broadcast"] = self.measure_broadcast(
                server, clients, contender, profile
            )
            # Memory once every connection has sent messages: a library may
            # allocate buffers or a compressor lazily, on first use.
            sent = server.call(cmd="mark", collect=True)
            data["rss_after_send"] = (sent["rss"] - before["rss"]) / count
            for client in clients:
                client.call(timeout, cmd="closeall")
            return data
        except WorkerError:
            for client in self.idle_pools.pop(contender, []):
                client.stop()
            raise
        finally:
            server.stop()

    def idle_clients(self, contender: str) -> List[Worker]:
        """Client processes of the idle workload; started once, in parallel."""
        if contender not in self.idle_pools:
            self.idle_pools[contender] = [
                Worker(
                    contender, "client", self.config(), self.log_dir, tag=f"-idle-{i}"
                )
                for i in range(IDLE_CLIENTS)
            ]
        return self.idle_pools[contender]

    def measure_broadcast(
        self,
        server: Worker,
        clients: List[Worker],
        contender: str,
        profile: Optional[str] = None,
    ) -> Dict[str, Dict[str, float]]:
        modes = {
            "ours": ("broadcast", "loop", "gather"),
            "websockets": ("broadcast", "loop"),
            "aiohttp": ("loop",),
            "picows-ws": ("broadcast", "loop"),
            "picows": ("loop",),
            "raw": ("loop",),
        }[contender]
        rounds = 2 if self.quick else 5
        results: Dict[str, Dict[str, float]] = {}
        index = 0
        for mode in modes:
            cpu: List[float] = []
            call_cpu: List[float] = []
            wall: List[float] = []
            # One round to warm up, then the measured rounds.
            for i in range(rounds + 1):
                index += 1
                message = f"{index:08d}" + "x" * 8  # 16 bytes of text
                before = server.call(cmd="mark", collect=i == 0)
                started = time.perf_counter()
                reply = server.call(cmd="broadcast", mode=mode, message=message)
                last = 0.0
                for client in clients:
                    got = client.read(60)
                    if got.get("got") != index:
                        raise WorkerError(f"unexpected reply {got}")
                    last = max(last, got["t"])
                # Clients report their perf_counter (one clock per host).
                done = max(last, started)
                after = server.call(cmd="mark")
                if i:
                    cpu.append(after["cpu"] - before["cpu"])
                    call_cpu.append(reply["cpu"])
                    wall.append(done - started)
                if profile is not None and i == 0:
                    server.call(cmd="mark", profile="start")
            if profile is not None:
                path = f"{profile}-server-{mode}.pstats"
                server.call(cmd="mark", profile="stop", path=path)
            results[mode] = {
                "server_cpu": statistics.median(cpu),
                "call_cpu": statistics.median(call_cpu),
                "wall": statistics.median(wall),
            }
        return results

    # Masking.

    def run_masking(self, workload: Workload) -> None:
        impls = [
            ("ours", sys.executable, "ours"),
            ("ours-py", sys.executable, "ours"),
            ("websockets", others_python(), "websockets"),
            ("websockets-py", others_python(), "websockets"),
            ("aiohttp", others_python(), "aiohttp"),
        ]
        sizes = ["1048576", "65536", "1024", "16"]
        duration = "0.1" if self.quick else "0.5"
        reps = 2 if self.quick else 3
        cpu_list = ",".join(map(str, sorted(self.pair_cpu)))
        for rep in range(reps):
            for impl, python, env_name in self.order(impls, rep):
                script = os.path.join(BENCH, "masking.py")
                try:
                    output = subprocess.run(
                        [python, script, impl, duration, *sizes],
                        capture_output=True,
                        text=True,
                        env=dict(worker_env(env_name), BENCH_CPUS=cpu_list),
                        cwd=BENCH,
                        timeout=120,
                        check=True,
                    ).stdout
                except (subprocess.SubprocessError, OSError) as exc:
                    self.errors.append(f"masking {impl}: {exc}")
                    log(f"  ERROR masking {impl}: {exc}")
                    continue
                rates = json.loads(output)["mb_per_cpu_s"]
                self.record(
                    workload,
                    impl,
                    rep,
                    rate_cpu=rates["1048576"],
                    by_size={int(k): v for k, v in rates.items()},
                )
                log(f"  masking {impl:<14} {rates['1048576']:.0f} MB/cpu-s at 1 MiB")

    # Profiles.

    def run_profiles(self, workloads: List[Workload]) -> Dict[str, Any]:
        directory = os.path.join(RESULTS, "profile")
        os.makedirs(directory, exist_ok=True)
        profiles: Dict[str, Any] = {}
        for workload in workloads:
            if workload.kind == "idle":
                # Profile the server's broadcasts only.
                base = os.path.join(directory, workload.name)
                profiles[workload.name] = {}
                self.measure_idle(workload, "ours", profile=base)
                data = self.measure_idle(workload, "ours", traced=True, profile=base)
                count = workload.params["count"]
                top = profiles[workload.name]["memory"] = top_allocations(base, count)
                print(
                    f"\n{workload.name}, server memory per connection (tracemalloc): "
                    f"{data['traced_per_conn']:.0f} B; RSS {data['rss_per_conn']:.0f} B"
                )
                for row in top:
                    print(
                        f"  {row['bytes']:8.0f} B {row['count']:6.1f} blocks  "
                        + row["where"]
                    )
                for mode in ("broadcast", "loop", "gather"):
                    path = f"{base}-server-{mode}.pstats"
                    top = profiles[workload.name][mode] = top_functions(path)
                    print(f"\n{workload.name}, broadcast {mode}, server: {path}")
                    print_top(top)
                continue
            if workload.kind not in PAIR_KINDS:
                log(f"can't profile {workload.name}")
                continue
            self.warm = 0.5
            base = os.path.join(directory, workload.name)
            placement = self.placements[0]
            self.measure_pair(workload, "ours", 0.5, placement=placement)  # warm up
            duration = 2.0 if self.quick else 5.0
            data = self.measure_pair(workload, "ours", duration, base, placement)
            profiles[workload.name] = {"measurement": data}
            for side in ("server", "client"):
                path = f"{base}-{side}.pstats"
                profiles[workload.name][side] = top_functions(path)
                print(f"\n{workload.name}, {side} (cProfile, by own time): {path}")
                print_top(profiles[workload.name][side])
        return profiles


def top_allocations(base: str, count: int, limit: int = 20) -> List[Dict[str, Any]]:
    """Memory allocated per connection, by line, between two snapshots."""
    import tracemalloc

    before = tracemalloc.Snapshot.load(f"{base}-before.snapshot")
    after = tracemalloc.Snapshot.load(f"{base}-after.snapshot")
    rows = []
    for stat in after.compare_to(before, "lineno")[:limit]:
        frame = stat.traceback[0]
        where = frame.filename
        if where.startswith(ROOT):
            where = os.path.relpath(where, ROOT)
        rows.append(
            {
                "where": f"{where}:{frame.lineno}",
                "bytes": stat.size_diff / count,
                "count": stat.count_diff / count,
            }
        )
    return rows


def top_functions(path: str, limit: int = 25) -> List[Dict[str, Any]]:
    import pstats

    stats = pstats.Stats(path)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, name), (_, ncalls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        where = (
            os.path.relpath(filename, ROOT) if filename.startswith(ROOT) else filename
        )
        rows.append(
            {
                "function": f"{where}:{line}({name})",
                "ncalls": ncalls,
                "tottime": tottime,
                "cumtime": cumtime,
                "share": tottime / total if total else 0,
                "ours": filename.startswith(os.path.join(ROOT, "websockets")),
            }
        )
    rows.sort(key=lambda row: -row["tottime"])
    ours = sum(row["tottime"] for row in rows if row["ours"])
    modules: Dict[str, float] = {}
    for row in rows:
        if row["ours"]:
            module = row["function"].split(":")[0]
            modules[module] = modules.get(module, 0.0) + row["tottime"]
    head = {"total": total, "in_websockets": ours, "modules": modules}
    return [head, *rows[:limit]]


def print_top(rows: List[Dict[str, Any]]) -> None:
    head, *rows = rows
    print(
        f"  total {head['total']:.3f} s, in websockets/ "
        f"{head['in_websockets']:.3f} s ({head['in_websockets'] / head['total']:.0%}): "
        + ", ".join(
            f"{module} {seconds / head['total']:.0%}"
            for module, seconds in sorted(head["modules"].items(), key=lambda i: -i[1])
        )
    )
    for row in rows:
        mark = "*" if row["ours"] else " "
        print(
            f"  {mark} {row['share']:5.1%} {row['tottime']:7.3f} {row['cumtime']:7.3f} "
            f"{row['ncalls']:>8} {row['function']}"
        )


# Summary.


def fmt(value: Optional[float]) -> str:
    if value is None:
        return "-"
    for threshold, suffix in ((1e9, "G"), (1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.3g}{suffix}"
    return f"{value:.3g}"


def median(values: Sequence[float]) -> Optional[float]:
    return statistics.median(values) if values else None


def row_name(workload: str, placement: Optional[str]) -> str:
    """A row of the table: the workload, and its placement unless the default."""
    if placement is None or placement == PLACEMENTS[0]:
        return workload
    return f"{workload}@{placement}"


def paired_ratios(
    measurements: List[Dict[str, Any]],
    row: str,
    contender: str,
    key: Any = lambda m: m["rate_cpu"],
    baseline: str = BASELINE,
) -> List[float]:
    """Ratios of ``contender`` to ``baseline`` in a row, one per repetition."""
    by_rep: Dict[int, Dict[str, float]] = {}
    for m in measurements:
        if m["row"] == row and m["rep"] >= 0:
            value = key(m)
            if value is not None:
                by_rep.setdefault(m["rep"], {})[m["contender"]] = value
    return [
        rates[contender] / rates[baseline]
        for rates in by_rep.values()
        if contender in rates and rates.get(baseline)
    ]


def summarize(suite: Suite, workloads: List[Workload]) -> Dict[str, Any]:
    ms = suite.measurements
    summary: Dict[str, Any] = {}
    rows = [
        (workload, row_name(workload.name, placement), placement)
        for workload in workloads
        for placement in (suite.placements if workload.kind in PAIR_KINDS else [None])
    ]
    for workload, row, placement in rows:
        entry: Dict[str, Any] = {
            "kind": workload.kind,
            "workload": workload.name,
            "placement": placement,
            "goals": workload.goals,
        }
        own = [m for m in ms if m["row"] == row]
        if not own:
            continue
        contenders = sorted(
            {m["contender"] for m in own},
            key=lambda c: (
                c not in CONTENDERS,
                CONTENDERS.index(c) if c in CONTENDERS else c,
            ),
        )
        for contender in contenders:
            mine = [m for m in own if m["contender"] == contender and m["rep"] >= 0]
            stats: Dict[str, Any] = {
                "rate_cpu": median([m["rate_cpu"] for m in mine]),
                "runs": len(mine),
            }
            if workload.kind in ("echo", "stream", "handshake", "idle"):
                stats["rate_wall"] = median(
                    [m["rate_wall"] for m in mine if "rate_wall" in m]
                )
                stats["ratio_cpu"] = median(paired_ratios(ms, row, contender))
                stats["ratio_wall"] = median(
                    paired_ratios(ms, row, contender, lambda m: m.get("rate_wall"))
                )
            if workload.kind in PAIR_KINDS:
                for key in (
                    "cpu_share",
                    "server_wakeups",
                    "client_wakeups",
                    "server_preempted",
                    "client_preempted",
                ):
                    stats[key] = median(
                        [m[key] for m in mine if m.get(key) is not None]
                    )
                stats["server_cpu_per_op"] = median(
                    [m["server_cpu"] / m["ops"] for m in mine]
                )
                stats["client_cpu_per_op"] = median(
                    [m["client_cpu"] / m["ops"] for m in mine]
                )
                if contender != "ours":
                    # How ours compares to each contender, same run.
                    stats["ours_ratio_cpu"] = median(
                        paired_ratios(ms, row, "ours", baseline=contender)
                    )
            if workload.kind == "masking":
                stats["ratio_cpu"] = median(paired_ratios(ms, row, contender))
                stats["by_size"] = {
                    size: median([m["by_size"][size] for m in mine])
                    for size in (mine[0]["by_size"] if mine else {})
                }
            if workload.kind == "idle":
                stats["rss_per_conn"] = median([m["rss_per_conn"] for m in mine])
                stats["rss_after_send"] = median(
                    [m["rss_after_send"] for m in mine if "rss_after_send" in m]
                )
                traced = [
                    m["traced_per_conn"]
                    for m in own
                    if m["contender"] == contender and "traced_per_conn" in m
                ]
                stats["traced_per_conn"] = median(traced)
                stats["connect_wall"] = median([m["connect_wall"] for m in mine])
                stats["broadcast"] = {}
                for mode in sorted({mode for m in mine for mode in m["broadcast"]}):
                    stats["broadcast"][mode] = {
                        key: median([m["broadcast"][mode][key] for m in mine])
                        for key in ("server_cpu", "call_cpu", "wall")
                    }
            entry[contender] = stats
        summary[row] = entry
    return summary


def idle_verdicts(name: str, entry: Dict[str, Any]) -> List[str]:
    """Verdicts on ours for an idle workload: memory, and broadcast at 5,000."""
    ours = entry.get("ours")
    if not ours:
        return ["no result for ours"]
    limit = 12 if name.endswith("_def") else 8
    rss = ours["rss_per_conn"] / 1024
    verdicts = [f"RSS {rss:.1f} <= {limit} KiB {verdict(rss, limit, lower=True)}"]
    sent = ours.get("rss_after_send")
    if sent is not None:
        verdicts.append(f"RSS after sending {sent / 1024:.1f} KiB info")
    traced = ours.get("traced_per_conn")
    if traced is not None:
        traced /= 1024
        verdicts.append(
            f"traced {traced:.1f} <= {limit} KiB {verdict(traced, limit, lower=True)}"
        )
    for mode in ours["broadcast"]:
        ratio = broadcast_ratio(entry, mode)
        status = verdict(ratio, 0.6, lower=True) if "_5000_" in name else "info"
        verdicts.append(f"{mode} {fmt_ratio(ratio)} <= 0.60x {status}")
    return verdicts


def broadcast_ratio(entry: Dict[str, Any], mode: str) -> Optional[float]:
    try:
        ours = entry["ours"]["broadcast"][mode]["server_cpu"]
        theirs = entry[BASELINE]["broadcast"]["broadcast"]["server_cpu"]
    except KeyError:
        return None
    return float(ours / theirs)


def verdict(
    ratio: Optional[float], target: Optional[float], lower: bool = False
) -> str:
    if ratio is None or target is None:
        return ""
    ok = ratio <= target if lower else ratio >= target
    return "met" if ok else "MISSED"


PLACEMENT_LABELS = {"free": "free", "split": "split", "same-cpu": "1 CPU"}

# Short names of the contenders in the ratio columns.
SHORT = {
    "ours": "ours",
    "websockets": "ws",
    "aiohttp": "aiohttp",
    "picows-ws": "pws",
    "picows": "picows",
    "raw": "raw",
}


def print_rows(
    rows: List[Tuple[str, Dict[str, Any]]],
    header: str,
    cells: Callable[[Dict[str, Any]], str],
) -> None:
    """A table of echo, stream and handshake rows: workload, placement, cells."""
    header = f"{'workload':<20}{'cpus':>6}" + header
    print(header)
    print("-" * len(header))
    for _name, entry in rows:
        where = PLACEMENT_LABELS[entry["placement"]]
        print(f"{entry['workload']:<20}{where:>6}" + cells(entry))


def rate_cells(entry: Dict[str, Any]) -> str:
    line = "".join(
        f"{fmt(entry.get(contender, {}).get('rate_cpu')):>11}"
        for contender in CONTENDERS
    )
    busy = [entry.get(c, {}).get("cpu_share") for c in ("ours", BASELINE)]
    return line + "  " + " / ".join("-" if b is None else f"{b:.2f}" for b in busy)


OTHER_CONTENDERS = [c for c in CONTENDERS if c not in ("ours", BASELINE)]


def ratio_cells(entry: Dict[str, Any]) -> str:
    ours = entry.get("ours", {})
    ratio, wall = ours.get("ratio_cpu"), ours.get("ratio_wall")
    line = f"{fmt_ratio(ratio):>9}{fmt_ratio(wall):>8}"
    for contender in OTHER_CONTENDERS:
        line += f"{fmt_ratio(entry.get(contender, {}).get('ratio_cpu')):>11}"
    for contender in OTHER_CONTENDERS:
        if contender != "aiohttp":
            theirs = entry.get(contender, {}).get("ours_ratio_cpu")
            line += f"{fmt_ratio(theirs):>12}"
    return line + "  " + goal_cells(entry)


def goal_cells(entry: Dict[str, Any]) -> str:
    """The targets of a row, and whether ours met them in this run."""
    targets, missed = [], []
    for other, minimum in entry["goals"]:
        if other == "ours":  # pragma: no cover
            continue
        stats = entry.get(other, {})
        ratio = stats.get("ours_ratio_cpu")
        targets.append(f"{SHORT[other]} {minimum:.2f}x")
        if ratio is not None and ratio < minimum:
            missed.append(SHORT[other])
    if not targets:
        return ""
    status = "met" if not missed else "MISSED (" + ", ".join(missed) + ")"
    return f"{', '.join(targets):<26}{status}"


def switch_cells(entry: Dict[str, Any]) -> str:
    line = ""
    for contender in CONTENDERS:
        stats = entry.get(contender)
        if not stats or stats.get("server_wakeups") is None:
            line += f"{'-':>13}"
            continue
        woken = stats["server_wakeups"] + stats["client_wakeups"]
        preempted = stats["server_preempted"] + stats["client_preempted"]
        line += f"{f'{woken:.2f}/{preempted:.2f}':>13}"
    return line


def print_rate_tables(rows: List[Tuple[str, Dict[str, Any]]]) -> None:
    """Rates of every contender, ratios, context switches: echo, stream, handshake."""
    print()
    print(
        "Operations per CPU-second of client + server (round trips, messages or "
        "handshakes); median of repetitions."
    )
    print(
        "cpus: where the pair ran: free (both processes on every CPU, as in "
        "production), split (one CPU each)"
    )
    print(
        "or 1 CPU (both pinned to the same one); busy: CPU-seconds per second "
        "of the pair, ours / websockets (2 = both CPUs)."
    )
    header = "".join(f"{c:>11}" for c in CONTENDERS) + "  busy"
    print_rows(rows, header, rate_cells)
    print()
    print(
        "Ratios per CPU-second, medians of paired ratios (same repetition): each "
        "contender / websockets (ws),"
    )
    print(
        "then ours / picows-ws (pws), ours / picows' native API, ours / raw "
        "floor; (wall): ours / ws per wall-clock second."
    )
    header = f"{'ours/ws':>9}{'(wall)':>8}"
    header += "".join(f"{SHORT[c] + '/ws':>11}" for c in OTHER_CONTENDERS)
    header += "".join(
        f"{'ours/' + SHORT[c]:>12}" for c in OTHER_CONTENDERS if c != "aiohttp"
    )
    print_rows(rows, header + f"  {'target: ours / them >=':<26}status", ratio_cells)
    print()
    print(
        "Context switches per operation, server + client: voluntary (wake-ups "
        "from the event loop's select) / involuntary (preemptions)."
    )
    print_rows(rows, "".join(f"{c:>13}" for c in CONTENDERS), switch_cells)


def print_table(summary: Dict[str, Any], suite: Suite) -> None:
    rate_rows = [(name, e) for name, e in summary.items() if e["kind"] in PAIR_KINDS]
    columns = [c for c in CONTENDERS]
    if rate_rows:
        print_rate_tables(rate_rows)
    idle_rows = [(name, e) for name, e in summary.items() if e["kind"] == "idle"]
    if idle_rows:
        print()
        print(
            "Idle connections: connects per CPU-second (clients + server), server "
            "memory per connection (RSS delta; tracemalloc delta; RSS delta"
        )
        print(
            "after the broadcasts), and server CPU to send one 16-byte message to "
            "every connection."
        )
        header = (
            f"{'workload':<16}{'contender':<11}{'conn/cpu-s':>11}{'ratio':>7}"
            f"{'RSS/conn':>10}{'traced':>9}{'RSS+msg':>9}"
            "  broadcast (server CPU ms; wall ms)"
        )
        print(header)
        print("-" * (len(header) + 20))
        for name, entry in idle_rows:
            for contender in columns:
                stats = entry.get(contender)
                if not stats:
                    continue
                traced = stats.get("traced_per_conn")
                line = f"{name:<16}{contender:<11}{fmt(stats['rate_cpu']):>11}"
                line += f"{fmt_ratio(stats.get('ratio_cpu')):>7}"
                line += f"{stats['rss_per_conn'] / 1024:>8.1f}Ki"
                line += (
                    f"{traced / 1024:>7.1f}Ki" if traced is not None else f"{'-':>9}"
                )
                sent = stats.get("rss_after_send")
                line += f"{sent / 1024:>7.1f}Ki" if sent is not None else f"{'-':>9}"
                parts = []
                for mode, b in stats["broadcast"].items():
                    part = f"{mode} {b['server_cpu'] * 1e3:.1f}; {b['wall'] * 1e3:.1f}"
                    if contender == "ours":
                        part += f" ({fmt_ratio(broadcast_ratio(entry, mode))} of ws)"
                    parts.append(part)
                print(line + "  " + ", ".join(parts))
            print(f"{'':<16}targets: " + "; ".join(idle_verdicts(name, entry)))
        print(
            "Targets: memory <= 8 KiB/conn without compression, <= 12 KiB with it; "
            "broadcast to 5,000 <= 0.60x websockets' broadcast() (at 1,000: "
            "for information)."
        )
    mask = summary.get("masking")
    if mask:
        print()
        print("Masking, MB per CPU-second (1 MiB; 64 KiB; 1 KiB; 16 B)")
        for impl, stats in mask.items():
            if not isinstance(stats, dict) or "by_size" not in stats:
                continue
            sizes = "; ".join(f"{fmt(v * 1e6)}B/s" for v in stats["by_size"].values())
            ratio = stats.get("ratio_cpu")
            print(f"  {impl:<14} {sizes}   ratio to websockets {fmt_ratio(ratio)}")
    if suite.errors:
        print()
        print("Errors:")
        for error in suite.errors:
            print(f"  {error}")


def fmt_ratio(value: Optional[float], prefix: str = "") -> str:
    if value is None:
        return "-"
    return f"{prefix}{value:.2f}x" if value >= 0.1 else f"{prefix}{value:.3f}x"


# Entry point.


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[1].strip())
    parser.add_argument("--quick", action="store_true", help="finish in ~3 minutes")
    parser.add_argument(
        "--only", nargs="+", metavar="WORKLOAD", help="workloads or prefixes to run"
    )
    parser.add_argument(
        "--uvloop", action="store_true", help="run every loop on uvloop"
    )
    parser.add_argument("--json", metavar="PATH", help="where to write results")
    parser.add_argument("--reps", type=int, help="repetitions (default 2, or 5)")
    parser.add_argument("--duration", type=float, help="seconds per measurement")
    parser.add_argument(
        "--profile",
        action="store_true",
        help="profile our server and client with cProfile, and the server's "
        "memory for idle workloads (default: --only echo_16_off handshake_off)",
    )
    parser.add_argument(
        "--placement",
        nargs="+",
        choices=PLACEMENTS,
        help="where the client and server of echo, stream and handshake run: "
        "free (default: both may use every CPU, as in production), split "
        "(server on the last CPU, client on the first) or same-cpu (both on "
        "the last CPU); several run each in turn",
    )
    parser.add_argument("--list", action="store_true", help="list the workloads")
    args = parser.parse_args(argv)

    workloads = build_workloads()
    if args.list:
        for w in workloads:
            quick = "" if w.quick else "  (full run only)"
            print(f"{w.name:<20} {', '.join(w.contenders)}{quick}")
        return 0
    selected = args.only
    if args.profile and not selected:
        selected = ["echo_16_off", "handshake_off"]
    if selected:
        unknown = [
            s for s in selected if not any(w.name.startswith(s) for w in workloads)
        ]
        if unknown:
            parser.error(f"unknown workload {', '.join(unknown)}; see --list")
        workloads = [
            w for w in workloads if any(w.name.startswith(s) for s in selected)
        ]
    elif args.quick:
        workloads = [w for w in workloads if w.quick]

    if sys.version_info < (3, 11):
        parser.error("the benchmarks need Python 3.11+, like websockets 17.4")
    ensure_others_venv()
    suite = Suite(args)
    # The orchestrator stays off the CPU of the measured pairs.
    os.sched_setaffinity(0, suite.other_cpus)
    started = time.time()
    meta = {
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        "host": platform.node(),
        "platform": platform.platform(),
        "python": sys.version.split()[0],
        "cpus": suite.cpus,
        "loadavg_before": os.getloadavg(),
        "quick": suite.quick,
        "uvloop": suite.uvloop,
        "reps": suite.reps,
        "duration": suite.duration,
        "warm": suite.warm,
        "placements": suite.placements,
        "argv": sys.argv[1:] if argv is None else argv,
    }
    output: Dict[str, Any] = {"meta": meta}
    try:
        if args.profile:
            output["profiles"] = suite.run_profiles(workloads)
        else:
            pairs = [w for w in workloads if w.kind in PAIR_KINDS]
            suite.run_pairs(pairs)
            suite.stop()
            idle = [w for w in workloads if w.kind == "idle"]
            if idle:
                log("idle connections")
                suite.run_idle(idle)
            for w in workloads:
                if w.kind == "masking":
                    log("masking")
                    suite.run_masking(w)
    finally:
        suite.stop()
    meta["seconds"] = round(time.time() - started, 1)
    meta["loadavg_after"] = os.getloadavg()
    meta["impls"] = suite.impls
    output["measurements"] = suite.measurements
    output["errors"] = suite.errors
    path = args.json or os.path.join(RESULTS, f"{suite.stamp}.json")
    if not args.profile:
        summary = summarize(suite, workloads)
        output["summary"] = summary
        shares = {
            placement: median(
                [
                    m["cpu_share"]
                    for m in suite.measurements
                    if m.get("placement") == placement
                ]
            )
            for placement in suite.placements
        }
        meta["cpu_share"] = shares
        table = io.StringIO()
        with contextlib.redirect_stdout(table):
            print_table(summary, suite)
            busy = [
                f"{PLACEMENT_LABELS[placement]}: {share:.2f}"
                for placement, share in shares.items()
                if share is not None
            ]
            if busy:
                print(
                    "\nCPUs kept busy by the measured pairs (CPU-seconds per "
                    "second, median): " + ", ".join(busy) + "."
                )
                print(
                    "With 1 CPU, near 1.00 when the pair had it to itself; "
                    "lower on a loaded machine. Load average "
                    + " ".join(f"{x:.2f}" for x in meta["loadavg_before"])
                    + " before the run."
                )
        print(table.getvalue(), end="")
        with open(os.path.splitext(path)[0] + ".txt", "w") as f:
            f.write(table.getvalue())
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    with open(path, "w") as f:
        json.dump(output, f, indent=1)
    print(f"\n{meta['seconds']} s; results in {os.path.relpath(path)}")
    return 1 if suite.errors else 0


if __name__ == "__main__":
    sys.exit(main())
