"""How long the mock keeps what it was sent: a window on its clock, a count, or both."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

LOG_WINDOW = timedelta(hours=48)
"""The documents' sent-log window: what `smsmock serve` keeps by default."""
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_WINDOW = re.compile(r"(\d+(?:\.\d+)?)([smhd])")


@dataclass(frozen=True, slots=True)
class Retention:
    """Messages submitted (and exchanges journaled) longer ago than `window` on the mock's clock, or
    beyond the newest `count`, are dropped; None for either means no limit of that kind."""

    window: timedelta | None = None
    count: int | None = None

    @property
    def bounded(self) -> bool:
        return self.window is not None or self.count is not None

    def describe(self) -> str:
        parts = []
        if self.window is not None:
            parts.append(f"{self.window.total_seconds() / 3600:g} h")
        if self.count is not None:
            parts.append(f"the newest {self.count:,}")
        return " or ".join(parts) or "everything"


SERVE_DEFAULT = Retention(window=LOG_WINDOW)


def parse_retention(spec: str) -> Retention:
    """`48h`, `30m`, `1000000`, `48h,1000000` or `none` (keep everything); ValueError otherwise."""
    spec = spec.strip().lower()
    if spec in ("none", "all", "forever"):
        return Retention()
    window: timedelta | None = None
    count: int | None = None
    tokens = [part.strip() for part in spec.split(",")]
    for token in tokens:
        if token.isdigit() and count is None:
            count = int(token)
            if count < 1:
                raise ValueError("a retention count keeps at least 1 message")
        elif (found := _WINDOW.fullmatch(token)) and window is None:
            window = timedelta(seconds=float(found.group(1)) * _UNITS[found.group(2)])
        else:
            raise ValueError(
                f"retention is a window (48h, 30m, 7d), a count of messages, both (48h,100000) or none;"
                f" not {spec!r}"
            )
    return Retention(window, count)


def retention_from(value: Any) -> Retention:
    """The configuration file's `retain:` — the same text as --retain, or {window: ..., count: ...}."""
    if value is None:
        return Retention()
    if isinstance(value, (str, int)) and not isinstance(value, bool):
        return parse_retention(str(value))
    if isinstance(value, dict) and set(value) <= {"window", "count"}:
        window = value.get("window")
        count = value.get("count")
        text = ",".join(str(item) for item in (window, count) if item is not None)
        return parse_retention(text or "none")
    raise ValueError("retain is a text such as 48h or 48h,100000, or {window: 48h, count: 100000}")
