"""
Measure the memory that permessage-deflate keeps per connection and direction.

Run ``python docs/zlib_memory.py``: it prints the table of
docs/howto/compression.rst. CPython allocates zlib's memory through its own
allocator, so :mod:`tracemalloc` sees it. Each figure is what a zlib object
holds after processing a message, i.e. what context takeover keeps between
messages; buffers freed at the end of the call aren't counted.

"""

import os
import tracemalloc
import zlib
from typing import Any, Callable, List


WINDOW_BITS = range(9, 16)
MEM_LEVELS = (1, 4, 8, 9)  # 8 is zlib's default

# A message that's partly compressible, partly random.
MESSAGE = b'{"type": "update", "id": 12345, "values": [1, 2, 3]}\n' * 200
MESSAGE += os.urandom(2000)


def retained(create: Callable[[], Any], use: Callable[[Any], object]) -> int:
    """Bytes still allocated by a zlib object after ``use(obj)``."""
    tracemalloc.start()
    try:
        obj = create()
        use(obj)
        size, _ = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    del obj
    return size


def compressor(wbits: int, mem_level: int) -> int:
    return retained(
        lambda: zlib.compressobj(wbits=-wbits, memLevel=mem_level),
        lambda obj: obj.compress(MESSAGE) + obj.flush(zlib.Z_SYNC_FLUSH),
    )


def decompressor(wbits: int) -> int:
    encoder = zlib.compressobj(wbits=-wbits)
    data = encoder.compress(MESSAGE) + encoder.flush(zlib.Z_SYNC_FLUSH)
    return retained(
        lambda: zlib.decompressobj(wbits=-wbits),
        lambda obj: obj.decompress(data),
    )


def kib(size: int) -> str:
    return f"{round(size / 1024)} KiB"


def table() -> List[str]:
    """Lines of an RST table: memory per window size and memory level."""
    header = [
        "Window bits",
        *(f"memLevel {level}" for level in MEM_LEVELS),
        "Decompressor",
    ]
    rows = [header]
    for wbits in WINDOW_BITS:
        rows.append(
            [
                str(wbits),
                *(kib(compressor(wbits, level)) for level in MEM_LEVELS),
                kib(decompressor(wbits)),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    rule = "  ".join("=" * width for width in widths)

    def line(row: List[str]) -> str:
        return "  ".join(cell.ljust(width) for cell, width in zip(row, widths)).rstrip()

    return [rule, line(header), rule, *(line(row) for row in rows[1:]), rule]


if __name__ == "__main__":
    print(f"zlib {zlib.ZLIB_RUNTIME_VERSION}")
    print()
    print("\n".join(table()))
