"""
Masking of WebSocket payloads (RFC 6455 5.3), on the hot path of every frame.

``apply_mask`` is the C implementation in ``websockets.speedups`` when that
optional extension is built, else the pure Python ``_apply_mask_python``; both
return the same bytes. Set the environment variable ``WEBSOCKETS_SPEEDUPS=0``
before importing websockets to use pure Python even when the extension is
built. ``SPEEDUPS`` tells which one is in use.

The same switch selects the C frame encoder of ``websockets.framing`` and the
C message parser of ``websockets.connection``: ``_speedups`` is the extension
module, or ``None``.

"""

import importlib
import os
from types import ModuleType
from typing import Callable, Optional, Union


__all__ = ["apply_mask"]

BytesLike = Union[bytes, bytearray, memoryview]

# Up to _INT_MAX_SIZE bytes, a payload is masked as one big integer; beyond, in
# chunks of _CHUNK_SIZE bytes, each one a big integer. Measured on 2026-11-21
# against four strided bytes.translate passes, the previous method for 16 KiB
# and more (bench/masking.py's loop, both in one process, median of 5 ratios):
# 2.0x at 1 MiB (240 -> 500 MB/s) and 4 MiB, 1.25x at 64 KiB; repeated on a
# busier machine, 1.1x to 1.3x. A single integer for all of 1 MiB is slower
# than translate, 0.6x: its temporaries outgrow the CPU caches. Chunks of 32
# and 64 KiB were within noise of 16 KiB. Between 16 and 32 KiB, one integer
# is as fast as translate, while a chunk and a short rest were 0.9x.
_INT_MAX_SIZE = 32768
_CHUNK_SIZE = 16384
# The name under which tests/test_utils.py knows the switch between the two.
_TRANSLATE_THRESHOLD = _INT_MAX_SIZE


def _apply_mask_python(data: BytesLike, mask: bytes, /) -> bytes:
    """
    Mask or unmask ``data`` with the 4-byte ``mask`` (RFC 6455 5.3).

    This is the pure Python implementation, always available. Masking is its
    own inverse: applying the same mask twice returns the original data.

    Raises:
        ValueError: if ``mask`` isn't 4 bytes long.

    """
    if len(mask) != 4:
        raise ValueError("mask must contain 4 bytes")
    # For other buffers, such as views of multi-byte items, len() counts
    # items, not bytes. (Two type checks are faster than an isinstance.)
    cls = type(data)
    size = len(data) if cls is bytes or cls is bytearray else memoryview(data).nbytes
    if size <= _INT_MAX_SIZE:
        if not size:
            return b""
        key = (mask * ((size >> 2) + 1))[:size]
        return (
            int.from_bytes(data, "little") ^ int.from_bytes(key, "little")
        ).to_bytes(size, "little")
    # A flat view of unsigned bytes, so that slices count bytes.
    view = memoryview(data)
    if not view.c_contiguous:
        view = memoryview(view.tobytes())
    view = view.cast("B")
    # Every chunk starts at a multiple of 4, hence with the same key.
    chunk = _CHUNK_SIZE
    key_int = int.from_bytes(mask * (chunk >> 2), "little")
    from_bytes = int.from_bytes
    end = size - size % chunk
    parts = [
        (from_bytes(view[start : start + chunk], "little") ^ key_int).to_bytes(
            chunk, "little"
        )
        for start in range(0, end, chunk)
    ]
    if end < size:
        parts.append(_apply_mask_python(view[end:], mask))
    return b"".join(parts)


def _load_speedups() -> Optional[ModuleType]:
    """
    Return the C accelerator, ``websockets.speedups``.

    Returns:
        ``None`` if ``WEBSOCKETS_SPEEDUPS`` is ``0`` or the extension isn't
        built.

    """
    if os.environ.get("WEBSOCKETS_SPEEDUPS") == "0":
        return None
    try:
        # Not "from . import speedups": that finds the attribute of the
        # package once the module was imported, whatever sys.modules says.
        return importlib.import_module(".speedups", __package__)
    except ImportError:
        return None


_speedups = _load_speedups()
_apply_mask_c = None if _speedups is None else _speedups.apply_mask

# Whether apply_mask is the C implementation.
SPEEDUPS: bool = _apply_mask_c is not None

apply_mask: Callable[[BytesLike, bytes], bytes] = (
    _apply_mask_python if _apply_mask_c is None else _apply_mask_c
)
