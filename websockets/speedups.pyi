"""Types of the optional C accelerator built from speedups.c."""

from _typeshed import ReadableBuffer

__all__ = ["apply_mask"]

def apply_mask(data: ReadableBuffer, mask: ReadableBuffer, /) -> bytes: ...
