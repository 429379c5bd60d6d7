"""The mock's clock: real time by default, frozen, set and advanced by tests and the control API."""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone

LAST_MOMENT = datetime.max.replace(tzinfo=timezone.utc)
"""The end of the calendar Python (and the documents' four-digit years) can write."""
HORIZON = timedelta(days=400)
"""How far past "now" the mock may need to reckon: a validity period (48 hours), a scheduled send's
validity after it, callback retries, the 48-hour log window. The clock stops this far before the end."""
LATEST = LAST_MOMENT - HORIZON
"""The latest moment the clock can be set to, and the latest a message can be scheduled for."""


class ClockRangeError(ValueError):
    """A moment the clock cannot stand at; the message names the limit."""


def within_range(moment: datetime, name: str = "the moment") -> datetime:
    """`moment` (UTC if it names no offset), or ClockRangeError when it lies past `LATEST`."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    try:
        late = moment > LATEST
    except OverflowError:  # an offset that takes the moment past the calendar's end
        late = True
    if late:
        raise ClockRangeError(
            f"{name} is past {LATEST.isoformat(timespec='seconds')}, the latest moment smsmock can schedule"
        )
    return moment


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
        target = within_range(moment, "the clock").timestamp()
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at = target
            else:
                self._offset = target - time.time()

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:  # also NaN
            raise ValueError("the clock only moves forward")
        if self.timestamp() + seconds > LATEST.timestamp():
            raise ClockRangeError(
                f"advancing {seconds:g} s takes the clock past {LATEST.isoformat(timespec='seconds')},"
                " the latest moment smsmock can schedule"
            )
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
