"""The access log of `smsmock serve`: one line per request, as text for a person or JSON for a machine."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import TextIO

FORMATS = ("text", "json")


@dataclass(frozen=True, slots=True)
class AccessRecord:
    """One request as the log tells it."""

    at: float
    """Wall-clock seconds since the epoch when the request came (not the mock's clock: a log is read
    beside other logs)."""
    method: str
    path: str
    dialect: str | None
    operation: str | None
    status: int
    duration_ms: float
    message_ids: tuple[str, ...] = ()
    error: str | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "time": _iso(self.at),
            "method": self.method,
            "path": self.path,
            "dialect": self.dialect,
            "operation": self.operation,
            "status": self.status,
            "durationMs": round(self.duration_ms, 3),
            "messageIds": list(self.message_ids),
            "error": self.error,
        }

    def as_text(self) -> str:
        fields = [
            _iso(self.at),
            self.method,
            self.path,
            self.dialect or "-",
            self.operation or "-",
            str(self.status),
            f"{self.duration_ms:.1f}ms",
        ]
        if self.message_ids:
            fields.append("ids=" + ",".join(self.message_ids))
        if self.error:
            fields.append(f"error={self.error!r}")
        return " ".join(fields)


class AccessLog:
    """Writes each record as one line; `flush` (run by the server a few times a second) sends them on.

    A flush per line would cost a system call per request under load; flushed from the background a
    log piped elsewhere still shows each request within a fraction of a second.
    """

    def __init__(self, out: TextIO, form: str = "text") -> None:
        if form not in FORMATS:
            raise ValueError(f"the log format is one of {', '.join(FORMATS)}, not {form!r}")
        self._out = out
        self._json = form == "json"
        self._lock = threading.Lock()
        self._pending = False

    def write(self, record: AccessRecord) -> None:
        line = json.dumps(record.as_dict(), ensure_ascii=False) if self._json else record.as_text()
        with self._lock:
            self._out.write(line + "\n")
            self._pending = True

    def flush(self) -> None:
        if self._pending:
            with self._lock:
                self._pending = False
                self._out.flush()


def _iso(at: float) -> str:
    return datetime.fromtimestamp(at, timezone.utc).isoformat(timespec="milliseconds").replace("+00:00", "Z")
