"""
Pytest configuration shared by the tests.

Modules marked with ``pytestmark = pytest.mark.event_loops`` may define
``async def`` tests: each one runs on every event loop, on a fresh loop with
a hard deadline, as ``test_name[asyncio]`` and ``test_name[uvloop]``. The
uvloop variant is skipped when uvloop can't be imported.

"""

import asyncio
import gc
import inspect
from typing import Any, Callable, Coroutine, Dict, Optional

import pytest

from websockets import testing

from .utils import TEST_DEADLINE


try:
    import uvloop
except ImportError:  # pragma: no cover
    uvloop = None

LoopFactory = Callable[[], asyncio.AbstractEventLoop]

LOOP_FACTORIES: Dict[str, Optional[LoopFactory]] = {
    "asyncio": asyncio.new_event_loop,
    "uvloop": None if uvloop is None else uvloop.new_event_loop,
}


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        "event_loops: run each async def test once per event loop (asyncio, uvloop)",
    )


def _marked(collector: pytest.Collector, obj: Any) -> bool:
    if collector.get_closest_marker("event_loops") is not None:
        return True
    return any(mark.name == "event_loops" for mark in getattr(obj, "pytestmark", []))


@pytest.hookimpl(tryfirst=True)
def pytest_pycollect_makeitem(collector: pytest.Collector, name: str, obj: Any) -> None:
    """Make marked ``async def`` tests depend on the ``event_loop_name`` fixture."""
    if (
        isinstance(collector, (pytest.Module, pytest.Class))
        and collector.istestfunction(obj, name)
        and inspect.iscoroutinefunction(obj)
        and _marked(collector, obj)
    ):
        pytest.mark.usefixtures("event_loop_name")(obj)


@pytest.fixture(
    params=[
        pytest.param("asyncio"),
        pytest.param(
            "uvloop",
            marks=pytest.mark.skipif(
                uvloop is None, reason="uvloop isn't importable on this platform"
            ),
        ),
    ],
)
def event_loop_name(request: pytest.FixtureRequest) -> str:
    """Name of the event loop that runs the test, a key of LOOP_FACTORIES."""
    name: str = request.param
    return name


@pytest.hookimpl(tryfirst=True)
def pytest_pyfunc_call(pyfuncitem: pytest.Function) -> Optional[bool]:
    """Run a marked ``async def`` test on its event loop."""
    func = pyfuncitem.obj
    if not inspect.iscoroutinefunction(func):
        return None
    if "event_loop_name" not in pyfuncitem.fixturenames:
        return None
    funcargs = pyfuncitem.funcargs
    factory = LOOP_FACTORIES[funcargs["event_loop_name"]]
    assert factory is not None
    kwargs = {name: funcargs[name] for name in inspect.signature(func).parameters}
    run(func(**kwargs), factory)
    return True


def run(coro: Coroutine[Any, Any, Any], factory: LoopFactory) -> Any:
    """Like :func:`asyncio.run`, on a loop made by ``factory``, with a deadline."""
    try:
        return testing.run(asyncio.wait_for(coro, TEST_DEADLINE), loop_factory=factory)
    finally:
        # Objects left unclosed warn when they're collected: make that
        # happen now, during the test that created them.
        gc.collect()
