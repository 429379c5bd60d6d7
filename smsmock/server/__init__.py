"""The mock server: the WSGI app over every dialect, its control API, and the ways to run it."""

from typing import TYPE_CHECKING, Any

from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig, load_config

if TYPE_CHECKING:
    from smsmock.server.thread import MockServer

__all__ = ["MockApp", "MockConfig", "MockServer", "load_config"]


def __getattr__(name: str) -> Any:
    # MockServer runs werkzeug's development server, which `smsmock serve` never loads.
    if name == "MockServer":
        from smsmock.server.thread import MockServer

        return MockServer
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
