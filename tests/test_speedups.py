"""
Tests for websockets.speedups, the optional C masking, against pure Python.

Each test runs on both implementations: the C one from websockets.speedups,
skipped when the extension isn't built, and the pure Python one, always. Both
must agree with masking one byte at a time, as RFC 6455 5.3 describes it.

"""

import array
import itertools
import operator
import os
import pathlib
import random
import subprocess
import sys
from typing import Any, Callable, Dict

import pytest
from hypothesis import given, settings, strategies as st

import websockets
import websockets.connection
import websockets.framing
import websockets.utils
from websockets.utils import (
    _CHUNK_SIZE,
    _INT_MAX_SIZE,
    _apply_mask_python,
    _load_speedups,
)


apply_mask_c: Any  # a function, or None
try:
    from websockets.speedups import apply_mask as apply_mask_c
except ImportError:  # pragma: no cover
    apply_mask_c = None

NOT_BUILT = (
    "websockets.speedups isn't built: no C compiler, or WEBSOCKETS_BUILD_SPEEDUPS=0"
)

needs_c = pytest.mark.skipif(apply_mask_c is None, reason=NOT_BUILT)

IMPLEMENTATIONS = [
    pytest.param(apply_mask_c, id="c", marks=needs_c),
    pytest.param(_apply_mask_python, id="python"),
]

Masker = Callable[[Any, Any], bytes]

MASKS = [b"\x00\x00\x00\x00", b"\xff\xff\xff\xff", bytes.fromhex("37fa213d")]

# Sizes on both sides of every block size of the C code (8 bytes, 16 and 64
# with SSE2), and of the switch to chunks and the chunks of the Python code.
BOUNDARY_SIZES = sorted(
    {
        size + delta
        for size in [8, 16, 24, 32, 64, 128, 256, _CHUNK_SIZE, _INT_MAX_SIZE]
        for delta in range(-3, 4)
    }
    | {_INT_MAX_SIZE + _CHUNK_SIZE + delta for delta in range(-3, 4)}
)


def naive_mask(data: bytes, mask: bytes) -> bytes:
    """Mask one byte at a time, as RFC 6455 5.3 describes it."""
    return bytes(map(operator.xor, data, itertools.cycle(mask)))


def random_bytes(size: int) -> bytes:
    """Deterministic pseudo-random bytes."""
    if size == 0:  # getrandbits(0) fails before Python 3.9
        return b""
    return random.Random(size).getrandbits(8 * size).to_bytes(size, "big")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
def test_rfc_example(apply_mask: Masker) -> None:
    # RFC 6455 5.7: "Hello" masked with 37 fa 21 3d.
    masked = apply_mask(b"Hello", bytes.fromhex("37fa213d"))
    assert masked == bytes.fromhex("7f9f4d5158")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask", MASKS)
@pytest.mark.parametrize("size", range(41))
def test_small_sizes(apply_mask: Masker, size: int, mask: bytes) -> None:
    data = random_bytes(size)
    assert apply_mask(data, mask) == naive_mask(data, mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", BOUNDARY_SIZES)
def test_sizes_around_block_boundaries(apply_mask: Masker, size: int) -> None:
    data = random_bytes(size)
    mask = bytes.fromhex("a1b2c3d4")
    assert apply_mask(data, mask) == naive_mask(data, mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [0, 1, 7, 8, 9, 15, 16, 17, 63, 64, 65, 200, 5000])
@pytest.mark.parametrize("offset", range(8))
def test_unaligned_memoryview_slices(
    apply_mask: Masker, offset: int, size: int
) -> None:
    # The payload starts anywhere in memory; the mask still starts with it.
    buffer = random_bytes(offset + size + 8)
    data = buffer[offset : offset + size]
    mask = bytes.fromhex("0f1e2d3c")
    view = memoryview(buffer)[offset : offset + size]
    assert apply_mask(view, mask) == naive_mask(data, mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
def test_one_mebibyte(apply_mask: Masker) -> None:
    data = random_bytes(2**20 + 3)
    mask = bytes.fromhex("0123abcd")
    assert apply_mask(data, mask) == naive_mask(data, mask)


CONVERSIONS: Dict[str, Callable[[bytes], Any]] = {
    "bytes": bytes,
    "bytearray": bytearray,
    "memoryview": memoryview,
    "readonly_sliced_memoryview": lambda data: memoryview(b"x" + data + b"x")[1:-1],
    "writable_sliced_memoryview": lambda data: memoryview(bytearray(b"x" + data))[1:],
    "strided_memoryview": lambda data: memoryview(
        bytes(x for b in data for x in (b, 0))
    )[::2],
    "reversed_memoryview": lambda data: memoryview(data[::-1])[::-1],
    "multibyte_memoryview": lambda data: memoryview(data).cast("I"),
    "2d_memoryview": lambda data: memoryview(data).cast("B", (4, len(data) // 4)),
    "array": lambda data: array.array("I", data),
}


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("convert", CONVERSIONS.values(), ids=CONVERSIONS.keys())
@pytest.mark.parametrize("size", [4, 20, 64, _CHUNK_SIZE + 4, 2 * _CHUNK_SIZE + 8])
def test_bytes_like_data(
    apply_mask: Masker, convert: Callable[[bytes], Any], size: int
) -> None:
    data = random_bytes(size)
    mask = bytes.fromhex("37fa213d")
    masked = apply_mask(convert(data), mask)
    assert type(masked) is bytes
    assert masked == naive_mask(data, mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [5, _CHUNK_SIZE + 5])
def test_bytearray_mask(apply_mask: Masker, size: int) -> None:
    data = random_bytes(size)
    assert apply_mask(data, bytearray(b"wxyz")) == naive_mask(data, b"wxyz")


@needs_c
@pytest.mark.parametrize(
    "mask",
    [
        memoryview(b"wxyz"),
        memoryview(b"-w-x-y-z")[1::2],
        memoryview(b"wxyz").cast("I"),
        array.array("B", b"wxyz"),
    ],
)
def test_any_bytes_like_mask_in_c(mask: Any) -> None:
    data = random_bytes(21)
    assert apply_mask_c(data, mask) == naive_mask(data, b"wxyz")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [0, 10, _CHUNK_SIZE + 10])
def test_input_is_not_modified(apply_mask: Masker, size: int) -> None:
    data = bytearray(random_bytes(size))
    original = bytes(data)
    apply_mask(data, b"\xff\xff\xff\xff")
    assert data == original


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("size", [100, 2 * _CHUNK_SIZE + 1])
def test_masking_is_an_involution(apply_mask: Masker, size: int) -> None:
    data = random_bytes(size)
    mask = b"\x80\x00\x7f\xff"
    assert apply_mask(apply_mask(data, mask), mask) == data


@needs_c
@settings(deadline=None)  # tests never time anything
@given(
    data=st.binary(max_size=300),
    mask=st.binary(min_size=4, max_size=4),
    offset=st.integers(min_value=0, max_value=15),
)
def test_c_matches_python(data: bytes, mask: bytes, offset: int) -> None:
    view = memoryview(bytes(offset) + data)[offset:]
    assert apply_mask_c(view, mask) == _apply_mask_python(data, mask)


# Errors.


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask", [b"", b"abc", b"abcde", b"\x00" * 8, bytearray(3)])
@pytest.mark.parametrize("size", [0, 5, _CHUNK_SIZE + 1])
def test_mask_of_wrong_length(apply_mask: Masker, mask: bytes, size: int) -> None:
    with pytest.raises(ValueError, match="^mask must contain 4 bytes$"):
        apply_mask(bytes(size), mask)


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("data", ["abcd", "a" * (_CHUNK_SIZE + 1), None, 42])
def test_data_that_isnt_bytes_like(apply_mask: Masker, data: Any) -> None:
    with pytest.raises(TypeError):
        apply_mask(data, b"abcd")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
@pytest.mark.parametrize("mask", ["abcd", None, 1234])
def test_mask_that_isnt_bytes_like(apply_mask: Masker, mask: Any) -> None:
    with pytest.raises(TypeError):
        apply_mask(b"payload", mask)


@needs_c
def test_c_error_messages() -> None:
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'str'$"):
        apply_mask_c("abcd", b"abcd")
    with pytest.raises(TypeError, match="^a bytes-like object is required, not 'str'$"):
        apply_mask_c(b"abcd", "abcd")


@pytest.mark.parametrize("apply_mask", IMPLEMENTATIONS)
def test_arguments_are_positional_only(apply_mask: Masker) -> None:
    with pytest.raises(TypeError):
        apply_mask(**{"data": b"abcd", "mask": b"abcd"})  # type: ignore[call-arg]


@needs_c
@pytest.mark.parametrize("args", [(), (b"abcd",), (b"abcd", b"abcd", b"abcd")])
def test_c_wrong_number_of_arguments(args: Any) -> None:
    count = len(args)
    message = f"^apply_mask\\(\\) takes 2 positional arguments but {count} were given$"
    with pytest.raises(TypeError, match=message):
        apply_mask_c(*args)


@needs_c
def test_c_signature_and_docstring() -> None:
    assert apply_mask_c.__text_signature__ == "($module, data, mask, /)"
    assert apply_mask_c.__doc__.startswith("Mask or unmask ``data``")


@needs_c
def test_c_module_exports_apply_mask() -> None:
    import websockets.speedups

    assert websockets.speedups.__all__ == ["apply_mask"]


# Selection of the implementation.


def test_selected_implementation() -> None:
    expected = apply_mask_c if websockets.utils.SPEEDUPS else _apply_mask_python
    assert websockets.utils.apply_mask is expected
    # The rest of the library uses the selected one.
    assert vars(websockets.framing)["apply_mask"] is expected
    assert vars(websockets.connection)["apply_mask"] is expected


def test_load_speedups() -> None:
    if os.environ.get("WEBSOCKETS_SPEEDUPS") == "0":  # pragma: no cover
        pytest.skip("WEBSOCKETS_SPEEDUPS=0 is set for this run")
    assert _load_speedups() is apply_mask_c
    assert websockets.utils.SPEEDUPS is (apply_mask_c is not None)


def test_load_speedups_disabled(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("WEBSOCKETS_SPEEDUPS", "0")
    assert _load_speedups() is None


def test_load_speedups_not_built(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("WEBSOCKETS_SPEEDUPS", raising=False)
    # None in sys.modules makes the import fail, as if there were no module.
    monkeypatch.setitem(sys.modules, "websockets.speedups", None)
    assert _load_speedups() is None


# Imports websockets in a fresh interpreter and prints which implementation
# apply_mask is.
SCRIPT = """
import websockets.speedups  # fails unless the extension is built
import websockets.utils
print(websockets.utils.SPEEDUPS)
print(websockets.utils.apply_mask is websockets.utils._apply_mask_python)
"""


def run_script(script: str, **environ: str) -> str:
    env = dict(os.environ, **environ)
    env["PYTHONPATH"] = str(pathlib.Path(websockets.__file__).parent.parent)
    env.pop("PYTHONASYNCIODEBUG", None)
    result = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    return result.stdout


@needs_c
def test_environment_variable_selects_python() -> None:
    assert run_script(SCRIPT, WEBSOCKETS_SPEEDUPS="0") == "False\nTrue\n"


@needs_c
@pytest.mark.parametrize("value", ["1", ""])
def test_environment_variable_selects_c(value: str) -> None:
    assert run_script(SCRIPT, WEBSOCKETS_SPEEDUPS=value) == "True\nFalse\n"


def test_python_without_the_extension() -> None:
    script = SCRIPT.replace(
        "import websockets.speedups  # fails unless the extension is built",
        "import sys; sys.modules['websockets.speedups'] = None",
    )
    assert run_script(script) == "False\nTrue\n"
