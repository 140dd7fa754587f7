"""Tests for websockets.utils: masking (RFC 6455 5.3)."""

import array
import itertools
import operator
import random
from typing import Any, Callable

import pytest
from hypothesis import given, settings, strategies as st

from websockets.utils import (
    _CHUNK_SIZE,
    _TRANSLATE_THRESHOLD,
    SPEEDUPS,
    _apply_mask_python,
    apply_mask,
)


MASKS = [b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", bytes.fromhex("37fa213d")]


def naive_mask(data: bytes, mask: bytes) -> bytes:
    """Mask one byte at a time, as RFC 6455 5.3 describes it."""
    # map() of a builtin runs no Python code per byte: fast even under coverage.
    return bytes(map(operator.xor, data, itertools.cycle(mask)))


def random_bytes(size: int) -> bytes:
    """Deterministic pseudo-random bytes."""
    if size == 0:  # getrandbits(0) fails before Python 3.9
        return b""
    return random.Random(size).getrandbits(8 * size).to_bytes(size, "big")


def test_rfc_example() -> None:
    # RFC 6455 5.7: "Hello" masked with 37 fa 21 3d.
    assert apply_mask(b"Hello", bytes.fromhex("37fa213d")) == bytes.fromhex(
        "7f9f4d5158"
    )


@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("size", range(41))
def test_small_sizes_match_naive_masking(size: int, mask: bytes) -> None:
    data = random_bytes(size)
    assert apply_mask(data, mask) == naive_mask(data, mask)


# Sizes on both sides of the switch between the integer and translate paths,
# with every alignment of the size modulo 4.
THRESHOLD_SIZES = [_TRANSLATE_THRESHOLD + delta for delta in range(-4, 5)]


@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("size", THRESHOLD_SIZES)
def test_sizes_around_threshold_match_naive_masking(size: int, mask: bytes) -> None:
    data = random_bytes(size)
    assert apply_mask(data, mask) == naive_mask(data, mask)


def test_one_mebibyte_matches_naive_masking() -> None:
    data = random_bytes(2**20)
    mask = bytes.fromhex("0123abcd")
    assert apply_mask(data, mask) == naive_mask(data, mask)


def to_bytearray(data: bytes) -> Any:
    return bytearray(data)


def to_memoryview(data: bytes) -> Any:
    return memoryview(data)


def to_sliced_memoryview(data: bytes) -> Any:
    return memoryview(b"x" + data + b"x")[1:-1]


def to_strided_memoryview(data: bytes) -> Any:
    return memoryview(bytes(b for byte in data for b in (byte, 0)))[::2]


def to_multibyte_memoryview(data: bytes) -> Any:
    # A view of 4-byte items: len() counts items, the mask applies to bytes.
    return memoryview(data).cast("I")


@pytest.mark.parametrize(
    "convert",
    [
        bytes,
        to_bytearray,
        to_memoryview,
        to_sliced_memoryview,
        to_strided_memoryview,
        to_multibyte_memoryview,
    ],
)
@pytest.mark.parametrize("size", [0, 4, 20, _TRANSLATE_THRESHOLD, 2**16])
def test_bytes_like_input(convert: Callable[[bytes], Any], size: int) -> None:
    data = random_bytes(size)
    mask = bytes.fromhex("37fa213d")
    masked = apply_mask(convert(data), mask)
    assert type(masked) is bytes
    assert masked == naive_mask(data, mask)


@pytest.mark.parametrize("size", [3, _TRANSLATE_THRESHOLD + 1])
def test_multidimensional_memoryview_input(size: int) -> None:
    data = random_bytes(size * 2)
    view = memoryview(data).cast("B", (2, size))
    mask = b"abcd"
    assert apply_mask(view, mask) == naive_mask(data, mask)


def test_array_input() -> None:
    items = array.array("H", range(100))
    mask = b"\x01\x02\x03\x04"
    assert apply_mask(memoryview(items), mask) == naive_mask(items.tobytes(), mask)


@pytest.mark.parametrize("size", [5, _TRANSLATE_THRESHOLD + 5])
def test_bytearray_mask(size: int) -> None:
    data = random_bytes(size)
    assert apply_mask(data, bytearray(b"wxyz")) == naive_mask(data, b"wxyz")


@pytest.mark.parametrize("size", [0, 10, _TRANSLATE_THRESHOLD + 10])
def test_input_is_not_modified(size: int) -> None:
    data = bytearray(random_bytes(size))
    original = bytes(data)
    apply_mask(data, b"\xff\xff\xff\xff")
    assert data == original


@settings(deadline=None)  # tests never time anything
@given(data=st.binary(max_size=200), mask=st.binary(min_size=4, max_size=4))
def test_masking_is_an_involution(data: bytes, mask: bytes) -> None:
    assert apply_mask(apply_mask(data, mask), mask) == data


@settings(deadline=None)  # tests never time anything
@given(data=st.binary(max_size=64), mask=st.binary(min_size=4, max_size=4))
def test_matches_naive_masking(data: bytes, mask: bytes) -> None:
    assert apply_mask(data, mask) == naive_mask(data, mask)


@pytest.mark.parametrize("size", [_TRANSLATE_THRESHOLD + 3, 2**18])
def test_large_input_is_an_involution(size: int) -> None:
    data = random_bytes(size)
    mask = b"\x80\x00\x7f\xff"
    assert apply_mask(apply_mask(data, mask), mask) == data


@pytest.mark.parametrize("mask", [b"", b"abc", b"abcde", b"\x00" * 8])
@pytest.mark.parametrize("size", [0, 5, _TRANSLATE_THRESHOLD])
def test_mask_of_wrong_length_fails(mask: bytes, size: int) -> None:
    with pytest.raises(ValueError, match="^mask must contain 4 bytes$"):
        apply_mask(bytes(size), mask)


# The pure Python implementation, tested directly: apply_mask above is the C
# one when websockets.speedups is built (tests/test_speedups.py tests both).


@pytest.mark.parametrize(
    "size",
    [_CHUNK_SIZE * count + delta for count in (1, 2, 3) for delta in (-1, 0, 1, 4, 7)],
)
def test_python_chunks_match_naive_masking(size: int) -> None:
    data = random_bytes(size)
    mask = bytes.fromhex("5a6b7c8d")
    assert _apply_mask_python(data, mask) == naive_mask(data, mask)


@pytest.mark.parametrize(
    "convert",
    [
        to_bytearray,
        to_sliced_memoryview,
        to_strided_memoryview,
        to_multibyte_memoryview,
        lambda data: array.array("I", data),
    ],
)
@pytest.mark.parametrize("size", [20, 2 * _CHUNK_SIZE + 12])
def test_python_bytes_like_input(convert: Callable[[bytes], Any], size: int) -> None:
    data = random_bytes(size)
    mask = bytes.fromhex("37fa213d")
    assert _apply_mask_python(convert(data), mask) == naive_mask(data, mask)


def test_python_multidimensional_memoryview_over_chunks() -> None:
    data = random_bytes(3 * _CHUNK_SIZE + 6)
    view = memoryview(data).cast("B", (3, _CHUNK_SIZE + 2))
    mask = b"abcd"
    assert _apply_mask_python(view, mask) == naive_mask(data, mask)


def test_apply_mask_is_c_or_python() -> None:
    if SPEEDUPS:
        assert apply_mask is not _apply_mask_python
        assert type(apply_mask).__name__ == "builtin_function_or_method"
    else:
        assert apply_mask is _apply_mask_python
