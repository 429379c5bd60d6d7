"""The mock's clock: real time by default, frozen, set and advanced by tests and the control API."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone


class Clock:
    """Wall-clock time with an offset; frozen, it stands still until it is set or advanced.

    Nothing in smsmock sleeps to wait for a status: every due event is checked against this clock,
    so advancing it runs what falls due at once.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None
        # Frozen first, so a frozen clock stands exactly at `start` (not a few microseconds after it).
        if frozen:
            self.freeze()
        if start is not None:
            self.set(start)

    def timestamp(self) -> float:
        """Seconds since the epoch, as the mock sees them."""
        frozen_at = self._frozen_at
        return frozen_at if frozen_at is not None else time.time() + self._offset

    def now(self) -> datetime:
        return datetime.fromtimestamp(self.timestamp(), timezone.utc)

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    def freeze(self) -> None:
        with self._lock:
            if self._frozen_at is None:
                self._frozen_at = time.time() + self._offset

    def unfreeze(self) -> None:
        """Let time run again from where the frozen clock stands."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def set(self, moment: datetime) -> None:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=timezone.utc)
        target = moment.timestamp()
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset = target - time.time()

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def reset(self) -> None:
        """Back to real time."""
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    def after(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)
