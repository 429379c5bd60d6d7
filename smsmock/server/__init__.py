"""The mock server: the WSGI app over every dialect, its control API, and the ways to run it."""

from smsmock.server.app import MockApp
from smsmock.server.config import MockConfig, load_config
from smsmock.server.thread import MockServer

__all__ = ["MockApp", "MockConfig", "MockServer", "load_config"]
