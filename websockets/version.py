"""Version of the websockets package."""

__all__ = ["version"]

version = "8.1.1"
