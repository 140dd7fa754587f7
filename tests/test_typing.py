"""Tests for websockets.typing: the types shared by the modules."""

import typing

import pytest

from websockets import typing as ws_typing
from websockets.typing import (
    Data,
    ExtensionHeader,
    ExtensionName,
    ExtensionParameter,
    Origin,
    Subprotocol,
)


def test_data_is_str_or_bytes() -> None:
    assert typing.get_origin(Data) is typing.Union
    assert typing.get_args(Data) == (str, bytes)


@pytest.mark.parametrize("new_type", [Origin, Subprotocol, ExtensionName])
def test_new_types_are_str_at_run_time(new_type: typing.Any) -> None:
    assert new_type.__supertype__ is str
    value = new_type("chat")
    assert type(value) is str
    assert value == "chat"


def test_extension_parameter_has_an_optional_value() -> None:
    assert typing.get_args(ExtensionParameter) == (str, typing.Optional[str])


def test_extension_header_has_a_name_and_parameters() -> None:
    assert typing.get_args(ExtensionHeader) == (
        ExtensionName,
        typing.List[ExtensionParameter],
    )


def test_module_exports() -> None:
    assert ws_typing.__all__ == sorted(ws_typing.__all__)
    for name in ws_typing.__all__:
        assert getattr(ws_typing, name) is not None
