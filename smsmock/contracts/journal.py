"""The request journal: every request and reply with its validation result, bounded in size."""

from __future__ import annotations

import itertools
import threading
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from smsmock.contracts.validation import Violation, validate

DEFAULT_SIZE = 10_000


@dataclass(slots=True)
class Exchange:
    """One request and the reply it got.

    The request's violations are found while it is handled (they decide the reply). The reply's are
    found when first asked for and kept: a reply is fixed bytes, so checking it later gives the same
    result, and the hot path does not pay for it.
    """

    seq: int
    at: datetime
    dialect: str | None
    operation: str | None
    method: str
    path: str
    query: str
    request_headers: dict[str, str]
    request_body: bytes
    status: int
    response_content_type: str
    response_body: bytes
    request_violations: list[Violation]
    reply_operation: str | None = None
    _response_violations: list[Violation] | None = field(default=None, repr=False)

    @property
    def response_violations(self) -> list[Violation]:
        if self._response_violations is None:
            self._response_violations = self._check_reply()
        return self._response_violations

    def _check_reply(self) -> list[Violation]:
        if self.dialect is None or self.reply_operation is None:
            return []
        try:
            return validate(
                self.dialect, self.reply_operation, "response", self.response_body, self.response_content_type
            )
        except LookupError:
            return []

    def as_dict(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(timespec="milliseconds"),
            "dialect": self.dialect,
            "operation": self.operation,
            "request": {
                "method": self.method,
                "path": self.path,
                "query": self.query,
                "headers": self.request_headers,
                "body": self.request_body.decode("utf-8", "replace"),
                "violations": [_violation(item) for item in self.request_violations],
            },
            "response": {
                "status": self.status,
                "contentType": self.response_content_type,
                "body": self.response_body.decode("utf-8", "replace"),
                "operation": self.reply_operation,
                "violations": [_violation(item) for item in self.response_violations],
            },
        }


def _violation(violation: Violation) -> dict[str, str]:
    return {
        "severity": str(violation.severity),
        "location": violation.location,
        "keyword": violation.keyword,
        "expected": violation.expected,
        "found": violation.found,
        "section": violation.section,
        "message": str(violation),
    }


class Journal:
    """The newest `size` exchanges, oldest dropped first."""

    def __init__(self, size: int = DEFAULT_SIZE) -> None:
        self._entries: deque[Exchange] = deque(maxlen=size)
        self._seq = itertools.count(1)
        self._lock = threading.Lock()

    def record(self, **fields: Any) -> Exchange:
        with self._lock:
            entry = Exchange(seq=next(self._seq), **fields)
            self._entries.append(entry)
        return entry

    def entries(self) -> list[Exchange]:
        with self._lock:
            return list(self._entries)

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()
