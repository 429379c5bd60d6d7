"""The mock's clock: real time by default, frozen, set and advanced by tests and the control API."""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import datetime, timedelta, timezone
from typing import Any

from smsmock.core.shared import LocalSettings, SharedSettings

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


def parse_moment(text: str) -> datetime:
    """An ISO 8601 date-time as the documents and clients write it: `2015-02-12T09:51:43.123+0100`,
    `+01:00` or `Z`, a space for the T, any number of fraction digits, no offset (naive), a date alone.
    ValueError when the text is none. Read alike on every Python the package supports: the standard
    library's `fromisoformat` takes a basic-format offset (`+0100`) only from 3.11 on."""
    from dateutil.parser import isoparse  # here: a mock that is never given a date starts without it

    try:
        return isoparse(text.strip())
    except (ValueError, OverflowError) as problem:
        raise ValueError(f"not an ISO 8601 date-time: {text!r} ({problem})") from None


class Clock:
    """Wall-clock time with an offset; frozen, it stands still until it is set or advanced.

    Nothing in smsmock sleeps to wait for a status: every due event is checked against this clock,
    so advancing it runs what falls due at once. Shared (`share`), the clock is one setting of the
    store: set or advanced through any process, it moves in every process on that store.
    """

    def __init__(self, start: datetime | None = None, *, frozen: bool = False) -> None:
        self._offset = 0.0
        self._frozen_at: float | None = None
        self._initial = self._state()
        self._settings = SharedSettings(LocalSettings())
        self._settings.watch(SETTING, self._load)
        # Frozen first, so a frozen clock stands exactly at `start` (not a few microseconds after it).
        if frozen:
            self.freeze()
        if start is not None:
            self.set(start)
        self._initial = self._state()
        """Where the clock stands while the store holds no setting for it (after a clear)."""

    def share(self, settings: SharedSettings) -> None:
        """Keep the clock in the store: the one a process there set already, else this one."""
        self._settings = settings
        settings.watch(SETTING, self._load)
        settings.publish_if_unset(SETTING, self._state())

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
        def step(offset: float, frozen_at: float | None, wall: float) -> _State:
            return offset, wall + offset if frozen_at is None else frozen_at

        self._change(step)

    def unfreeze(self) -> None:
        """Let time run again from where the frozen clock stands."""

        def step(offset: float, frozen_at: float | None, wall: float) -> _State:
            return (offset, None) if frozen_at is None else (frozen_at - wall, None)

        self._change(step)

    def set(self, moment: datetime) -> None:
        target = within_range(moment, "the clock").timestamp()

        def step(offset: float, frozen_at: float | None, wall: float) -> _State:
            return (target - wall, None) if frozen_at is None else (offset, target)

        self._change(step)

    def advance(self, seconds: float) -> None:
        if not seconds >= 0:  # also NaN
            raise ValueError("the clock only moves forward")

        def step(offset: float, frozen_at: float | None, wall: float) -> _State:
            now = wall + offset if frozen_at is None else frozen_at
            if now + seconds > LATEST.timestamp():
                raise ClockRangeError(
                    f"advancing {seconds:g} s takes the clock past {LATEST.isoformat(timespec='seconds')},"
                    " the latest moment smsmock can schedule"
                )
            return (offset + seconds, None) if frozen_at is None else (offset, frozen_at + seconds)

        self._change(step)

    def reset(self) -> None:
        """Back to real time."""
        self._change(lambda offset, frozen_at, wall: (0.0, None))

    def after(self, seconds: float) -> datetime:
        return self.now() + timedelta(seconds=seconds)

    def _state(self) -> dict[str, float | None]:
        return {"offset": self._offset, "frozen_at": self._frozen_at}

    def _load(self, state: dict[str, float | None] | None) -> None:
        state = state or self._initial
        self._offset, self._frozen_at = float(state["offset"] or 0.0), state["frozen_at"]

    def _change(self, step: Callable[[float, float | None, float], _State]) -> None:
        """Move the clock by `step` (offset, frozen moment, wall time -> new offset and frozen moment)."""

        def change(state: dict[str, Any] | None) -> dict[str, float | None]:
            offset, frozen_at = (self._offset, self._frozen_at) if state is None else _unpack(state)
            offset, frozen_at = step(offset, frozen_at, time.time())
            return {"offset": offset, "frozen_at": frozen_at}

        self._settings.change(SETTING, change)


SETTING = "clock"
"""The clock's name among the shared settings."""
_State = tuple[float, float | None]


def _unpack(state: dict[str, Any]) -> _State:
    return float(state["offset"]), None if state["frozen_at"] is None else float(state["frozen_at"])
