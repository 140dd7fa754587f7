"""Types of the optional C accelerator built from speedups.c."""

from typing import Any, List, Optional, Tuple

from _typeshed import ReadableBuffer

__all__ = [
    "apply_mask",
    "encode_frame",
    "frame_message",
    "parse_messages",
    "receive_messages",
]

def apply_mask(data: ReadableBuffer, mask: ReadableBuffer, /) -> bytes: ...
def encode_frame(
    head: int, data: ReadableBuffer, key: Optional[ReadableBuffer], /
) -> bytes: ...
def parse_messages(
    buffer: ReadableBuffer,
    events: List[Any],
    mask: bool,
    max_size: Optional[int],
    plain: bool,
    deflate: bool,
    /,
) -> Tuple[int, int, Optional[bytes]]: ...
def receive_messages(
    conn: Any, data: ReadableBuffer, open: Any, mask: bool, messages: Any, /
) -> int: ...
def frame_message(
    conn: Any, message: Any, open: Any, key: Optional[ReadableBuffer], /
) -> Optional[bytes]: ...
