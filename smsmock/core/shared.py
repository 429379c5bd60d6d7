"""Settings every process on one store shares: the clock, outcome rules, faults, accounts and balances.

Each setting is JSON text under a name in the store. A change is a compare-and-swap, retried until
it lands on the value it was computed from, so two processes changing one setting never lose either
change. A change to a setting bumps the store's settings version; each process reads that version
once per request and reloads the settings only when it moved. Balances change with every send, so
they are swapped without bumping the version and read where they are used.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from typing import Any, Protocol, TypeVar

T = TypeVar("T")


class SettingsStore(Protocol):
    """What a store keeps for the shared settings."""

    def settings_version(self) -> int:
        """A number every announced change moves (and a clear); never back to an earlier value."""
        ...

    def settings(self) -> tuple[int, dict[str, str]]:
        """The version and every setting, read together."""
        ...

    def setting(self, name: str) -> str | None: ...

    def swap_setting(
        self, name: str, expected: str | None, value: str | None, *, announce: bool = True
    ) -> bool:
        """Set `name` to `value` (None: remove it) if it holds `expected` still; whether it did.

        `announce` moves the version, so every process reloads; a balance is swapped without it.
        """
        ...


class LocalSettings:
    """The settings of one process, in memory: the memory store's, and a lone clock's or ledger's."""

    def __init__(self) -> None:
        self._settings_lock = threading.Lock()
        self._values: dict[str, str] = {}
        self._version = 0

    def settings_version(self) -> int:
        return self._version

    def settings(self) -> tuple[int, dict[str, str]]:
        with self._settings_lock:
            return self._version, dict(self._values)

    def setting(self, name: str) -> str | None:
        return self._values.get(name)

    def swap_setting(
        self, name: str, expected: str | None, value: str | None, *, announce: bool = True
    ) -> bool:
        with self._settings_lock:
            if self._values.get(name) != expected:
                return False
            if value is None:
                self._values.pop(name, None)
            else:
                self._values[name] = value
            if announce:
                self._version += 1
            return True

    def clear_settings(self) -> None:
        with self._settings_lock:
            self._values.clear()
            self._version += 1


_SETTING_ENCODER = json.JSONEncoder(sort_keys=True, separators=(",", ":"))
"""Made once: json.dumps given options makes an encoder per call, and a send changes a balance."""


def encode(value: Any) -> str:
    return _SETTING_ENCODER.encode(value)


def decode(text: str | None) -> Any:
    return None if text is None else json.loads(text)


def swap(
    store: SettingsStore,
    name: str,
    change: Callable[[Any], Any],
    *,
    announce: bool = True,
    seen: dict[str, str | None] | None = None,
) -> Any:
    """Change one setting atomically: `change` maps its value (None when unset) to the new one.

    `change` may run more than once (each time another process changed the setting first), so it
    computes from its argument only; an exception it raises leaves the setting as it was. `seen`
    keeps the value this process last wrote: tried first, it saves a read while no other process
    writes (a balance charged by one process); a stale one only costs the read after all.
    """
    current = seen[name] if seen is not None and name in seen else store.setting(name)
    while True:
        value = change(decode(current))
        text = None if value is None else encode(value)
        if store.swap_setting(name, current, text, announce=announce):
            if seen is not None:
                seen[name] = text
            return value
        current = store.setting(name)


class SharedSettings:
    """This process's copy of the shared settings, reloaded when the store's version moves.

    Each holder (the clock, the faults, the rules, the accounts) watches its setting: it is handed
    the new value (None when unset) whenever the setting changed, here or in another process.
    """

    def __init__(self, store: SettingsStore) -> None:
        self.store = store
        self._lock = threading.Lock()
        self._version: int | None = None
        self._applied: dict[str, str | None] = {}
        self._watchers: dict[str, Callable[[Any], None]] = {}

    def watch(self, name: str, apply: Callable[[Any], None]) -> None:
        """Hand `apply` the setting's value from the next `refresh` on, whenever it changed."""
        self._watchers[name] = apply
        self._version = None  # the next refresh reads the settings, this one's included

    def refresh(self) -> None:
        """Take in what changed since the last look: one read of the version when nothing did."""
        if self.store.settings_version() == self._version:
            return
        with self._lock:
            version, values = self.store.settings()
            for name, apply in self._watchers.items():
                text = values.get(name)
                if text != self._applied.get(name):
                    self._applied[name] = text
                    apply(decode(text))
            self._version = version

    def change(self, name: str, change: Callable[[Any], T]) -> T:
        """Change a setting in the store (see `swap`), then take it in here at once."""
        value = swap(self.store, name, change)
        self.refresh()
        return value

    def publish_if_unset(self, name: str, value: Any) -> None:
        """Give a setting its first value, unless a process (or an earlier run) set it already."""
        self.store.swap_setting(name, None, encode(value))
        self.refresh()
