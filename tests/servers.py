"""Running mocks for the test modules that talk to one over a real socket: one mock per store.

Starting and stopping a `MockServer` for every test would cost more than most tests, so a module keeps
one running mock per store (memory, SQLite, Redis) and resets it for each test. A store's mock is
started by the module's first test on that store, while the root conftest's `every_store` fixture
gives each mock made without naming a store a fresh one of the kind under test.
"""

from __future__ import annotations

from collections.abc import Callable
from types import TracebackType

from smsmock.server.config import MockConfig
from smsmock.server.thread import MockServer


class MockPerStore:
    """One running mock per store kind, made from `config()`; `stop()` (or leaving `with`) stops them."""

    def __init__(self, config: Callable[[], MockConfig]) -> None:
        self._config = config
        self._running: dict[str, MockServer] = {}

    def reset(self, store: str) -> MockServer:
        """The mock for the store under test (`every_store`'s value), reset to its start state."""
        running = self._running.get(store)
        if running is None:
            running = self._running[store] = MockServer(self._config()).start()
        running.control.reset()
        return running

    def stop(self) -> None:
        for running in self._running.values():
            running.stop()
        self._running.clear()

    def __enter__(self) -> MockPerStore:
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, trace: TracebackType | None
    ) -> None:
        self.stop()
