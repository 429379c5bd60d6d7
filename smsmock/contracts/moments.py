"""Date-times that name a moment: the calendar rule the contracts' patterns cannot say.

A pattern takes `2021-02-30T10:00:00Z` and `0000-01-01T00:00:00Z`; no calendar holds them. The
contracts mark such fields with a JSON Schema `format` (an `xs:appinfo` in an XSD), and `validate()`,
the compiled fast path and the shortlink family's dialects all read the text with `read_moment`, so
the contract refuses exactly the dates the mock cannot read.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timezone

from smsmock.core.clock import LATEST, ClockRangeError, parse_moment, within_range

MOMENT = "x-moment"
"""A date-time the calendar holds: a real day, and years 1 to 9999 also once moved to UTC."""
SCHEDULABLE = "x-schedulable"
"""A moment the mock can still schedule a send at: no later than `LATEST`."""


def read_moment(text: str) -> datetime:
    """The moment `text` names, in UTC (a date-time without an offset is read as UTC).

    Raises ValueError for text that names none: no ISO 8601 date-time, a day the month does not have,
    or a moment an offset moves outside the calendar.
    """
    moment = parse_moment(text)
    if moment.tzinfo is None:
        return moment.replace(tzinfo=timezone.utc)
    try:
        return moment.astimezone(timezone.utc)
    except OverflowError:
        raise ValueError(f"{text!r} lies outside the calendar (years 1 to 9999 in UTC)") from None


def is_moment(value: object) -> bool:
    """True for text `read_moment` reads; other types are the `type` keyword's to judge."""
    if not isinstance(value, str):
        return True
    try:
        read_moment(value)
    except ValueError:
        return False
    return True


def is_schedulable(value: object) -> bool:
    """True unless `value` names a moment later than the latest the mock can schedule (text that
    names no moment at all is the `x-moment` format's to report)."""
    if not isinstance(value, str):
        return True
    try:
        moment = read_moment(value)
    except ValueError:
        return True
    try:
        within_range(moment)
    except ClockRangeError:
        return False
    return True


FORMATS: dict[str, Callable[[object], bool]] = {MOMENT: is_moment, SCHEDULABLE: is_schedulable}
"""The contracts' own formats and their checks, for jsonschema, fastjsonschema and the XSD reading."""
_LATEST = LATEST.isoformat(timespec="seconds")
EXPECTED: dict[str, str] = {
    MOMENT: "a date-time the calendar holds: a real day, not outside the calendar (years 1 to 9999 in UTC)",
    SCHEDULABLE: f"a moment no later than {_LATEST}, the latest moment smsmock can schedule",
}
"""What a violation of each format says was expected."""
