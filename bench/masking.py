"""
Masking throughput (RFC 6455 5.3) of one implementation, in MB per CPU-second.

bench/run.py runs this script once per implementation and repetition, in the
environment that has it (ours with the repository on PYTHONPATH, the others
in bench/.venv-others), and reads one JSON object from stdout::

    python bench/masking.py IMPL DURATION SIZE [SIZE ...]

IMPL is ``ours`` (websockets.utils.apply_mask of this project: its C
speedups when they're built and WEBSOCKETS_SPEEDUPS isn't 0), ``ours-py``
(its pure Python implementation, websockets.utils._apply_mask_python),
``websockets`` (the C speedups of websockets from PyPI), ``websockets-py``
(their pure Python fallback) or ``aiohttp`` (its Cython helper, which masks
a bytearray in place).

"""

import json
import os
import sys
import time
from typing import Any, Callable, Dict


sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "workers"))

from common import disable_aslr


def load(impl: str) -> Callable[[bytes, bytes], Any]:
    if impl == "ours" or impl == "websockets-py":
        from websockets.utils import apply_mask

        return apply_mask
    if impl == "ours-py":
        from websockets.utils import _apply_mask_python

        return _apply_mask_python
    if impl == "websockets":
        from websockets.speedups import apply_mask as apply_mask_c

        return apply_mask_c
    if impl == "aiohttp":
        from aiohttp._websocket.mask import _websocket_mask_cython

        def apply_mask_aiohttp(data: bytes, mask: bytes) -> bytearray:
            # The copy is part of the cost: the others return new bytes.
            buffer = bytearray(data)
            _websocket_mask_cython(mask, buffer)
            return buffer

        return apply_mask_aiohttp
    raise ValueError(f"unknown implementation {impl}")


def measure(
    apply_mask: Callable[[bytes, bytes], Any], size: int, duration: float
) -> float:
    """Return MB (10**6 bytes) masked per CPU-second."""
    data = bytes(range(256)) * (size // 256) + bytes(size % 256)
    mask = b"\x12\x34\x56\x78"
    assert bytes(apply_mask(apply_mask(data, mask), mask)) == data
    # Warm up the allocator and caches, and size batches to ~10 ms.
    batch = 1
    while True:
        start = time.process_time()
        for _ in range(batch):
            apply_mask(data, mask)
        if time.process_time() - start > 0.01:
            break
        batch *= 2
    count = 0
    start = time.process_time()
    deadline = start + duration
    while True:
        for _ in range(batch):
            apply_mask(data, mask)
        count += batch
        now = time.process_time()
        if now >= deadline:
            break
    return count * size / (now - start) / 1e6


def main() -> None:
    disable_aslr()
    if os.environ.get("BENCH_CPUS"):
        os.sched_setaffinity(
            0, {int(cpu) for cpu in os.environ["BENCH_CPUS"].split(",")}
        )
    impl, duration, *sizes = sys.argv[1:]
    apply_mask = load(impl)
    result: Dict[str, float] = {}
    for size in sizes:
        result[size] = measure(apply_mask, int(size), float(duration))
    print(json.dumps({"impl": impl, "mb_per_cpu_s": result}))


if __name__ == "__main__":
    main()
