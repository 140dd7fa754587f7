"""Helpers shared by the tests."""

import asyncio
import functools
from typing import Any, Awaitable, Callable, TypeVar


T = TypeVar("T")

# A hard deadline per asynchronous test, so that a hang names its test.
TEST_DEADLINE = 10.0


def async_test(
    func: Callable[..., Awaitable[T]],
) -> Callable[..., T]:
    """Run an ``async def`` test on a fresh event loop, with a hard deadline."""

    @functools.wraps(func)
    def wrapper(*args: Any, **kwargs: Any) -> T:
        async def run() -> T:
            return await asyncio.wait_for(func(*args, **kwargs), TEST_DEADLINE)

        return asyncio.run(run())

    return wrapper
