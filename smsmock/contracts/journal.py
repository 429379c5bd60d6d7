"""The request journal: every request and reply with its validation result, bounded in size, paged."""

from __future__ import annotations

import itertools
import json
import threading
from collections import Counter, deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from smsmock.contracts.validation import Severity, Violation, validate
from smsmock.core.paging import MAX_LIMIT, Page, every, fill, newest_first

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
    message_ids: tuple[str, ...] = ()
    """The messages this request sent."""
    fault: dict[str, Any] | None = None
    """The injected fault that shaped the reply, as the control API lists it."""
    error: str | None = None
    """The mock's own failure (type and message) when the request met a bug; its traceback is on stderr."""
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
            "messageIds": list(self.message_ids),
            "fault": self.fault,
            "error": self.error,
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
    """The newest `size` exchanges (every one when `size` is None), oldest dropped first.

    Sequence numbers go on across a clear, so a cursor never points at newer exchanges. Exchanges are
    kept by sequence number, and the sequence numbers of each dialect and of each operation in order:
    a page walks the shorter list back from its cursor, and counts by (dialect, operation) give its
    total at once.
    """

    def __init__(self, size: int | None = DEFAULT_SIZE) -> None:
        if size is not None and size < 1:
            raise ValueError(f"a journal keeps at least 1 exchange (None: every one), not {size}")
        self.size = size
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._empty()

    def _empty(self) -> None:
        self._by_seq: dict[int, Exchange] = {}
        self._oldest = 0
        """The lowest sequence number kept; the kept ones run from it without a gap."""
        self._by_dialect: dict[str | None, deque[int]] = {}
        self._by_operation: dict[str | None, deque[int]] = {}
        self._counts: Counter[tuple[str | None, str | None]] = Counter()

    def record(self, **fields: Any) -> Exchange:
        with self._lock:
            entry = Exchange(seq=next(self._seq), **fields)
            if not self._by_seq:
                self._oldest = entry.seq
            self._by_seq[entry.seq] = entry
            self._by_dialect.setdefault(entry.dialect, deque()).append(entry.seq)
            self._by_operation.setdefault(entry.operation, deque()).append(entry.seq)
            self._counts[(entry.dialect, entry.operation)] += 1
            if self.size is not None and len(self._by_seq) > self.size:
                self._drop_oldest()
        return entry

    def _drop_oldest(self) -> None:
        entry = self._by_seq.pop(self._oldest)
        self._oldest += 1
        # The oldest exchange is the first of its dialect's list and of its operation's.
        self._by_dialect[entry.dialect].popleft()
        self._by_operation[entry.operation].popleft()
        key = (entry.dialect, entry.operation)
        self._counts[key] -= 1
        if not self._counts[key]:
            del self._counts[key]

    def prune(self, before: datetime) -> int:
        """Drop the exchanges journaled before a moment of the mock's clock; how many were dropped."""
        dropped = 0
        with self._lock:
            while self._by_seq and self._by_seq[self._oldest].at < before:
                self._drop_oldest()
                dropped += 1
        return dropped

    def __len__(self) -> int:
        return len(self._by_seq)

    def entries(self) -> list[Exchange]:
        """Every exchange kept, oldest first."""
        with self._lock:
            return list(self._by_seq.values())

    def page(
        self,
        *,
        dialect: str | None = None,
        operation: str | None = None,
        limit: int | None = None,
        before: int | None = None,
    ) -> Page[Exchange]:
        """The newest `limit` exchanges that match (every one without `limit`) below the cursor `before`."""

        def matches(seq: int) -> bool:
            entry = self._by_seq[seq]
            return (dialect is None or entry.dialect == dialect) and (
                operation is None or entry.operation == operation
            )

        with self._lock:
            total = self._total(dialect, operation)
            if total == 0:
                return Page([], 0, None)
            candidates = self._candidates(dialect, operation, before)
            found, cursor = fill(candidates, matches, limit, total if before is None else None)
            return Page([self._by_seq[seq] for seq in found], total, cursor)

    def _total(self, dialect: str | None, operation: str | None) -> int:
        if dialect is not None and operation is not None:
            return self._counts.get((dialect, operation), 0)
        if dialect is not None:
            return len(self._by_dialect.get(dialect, ()))
        if operation is not None:
            return len(self._by_operation.get(operation, ()))
        return len(self._by_seq)

    def _candidates(self, dialect: str | None, operation: str | None, before: int | None) -> Iterator[int]:
        lists = [
            self._by_dialect.get(dialect, deque()) if dialect is not None else None,
            self._by_operation.get(operation, deque()) if operation is not None else None,
        ]
        given = [seqs for seqs in lists if seqs is not None]
        if given:
            return newest_first(min(given, key=len), before)
        end = self._oldest + len(self._by_seq)
        stop = end if before is None else max(self._oldest, min(before, end))
        return iter(range(stop - 1, self._oldest - 1, -1))

    def clear(self) -> None:
        with self._lock:
            self._empty()


class EntryStore(Protocol):
    """What a store keeps for a journal of its own: records of text, by sequence number, newest first."""

    def add_entry(
        self, at: float, dialect: str | None, operation: str | None, record: str, keep: int | None
    ) -> int:
        """Keep one record and return its sequence number; beyond `keep` records, the oldest go."""
        ...

    def entry_page(
        self, dialect: str | None, operation: str | None, limit: int | None, before: int | None
    ) -> Page[tuple[int, str]]: ...
    def entry_count(self) -> int: ...
    def clear_entries(self) -> None: ...
    def prune_entries(self, before: float) -> int: ...


class StoredJournal:
    """The journal kept in a store (SQLite, Redis), so every process on it records into one journal.

    It reads and writes as `Journal` does; each exchange is a JSON record, read back when listed.
    """

    def __init__(self, store: EntryStore, size: int | None = DEFAULT_SIZE) -> None:
        if size is not None and size < 1:
            raise ValueError(f"a journal keeps at least 1 exchange (None: every one), not {size}")
        self.store = store
        self.size = size

    def record(self, **fields: Any) -> Exchange:
        entry = Exchange(seq=0, **fields)
        entry.seq = self.store.add_entry(
            entry.at.timestamp(), entry.dialect, entry.operation, encode_exchange(entry), self.size
        )
        return entry

    def prune(self, before: datetime) -> int:
        return self.store.prune_entries(before.timestamp())

    def __len__(self) -> int:
        return self.store.entry_count()

    def entries(self) -> list[Exchange]:
        """Every exchange kept, oldest first."""
        found = list(every(lambda cursor: self.page(limit=MAX_LIMIT, before=cursor)))
        found.reverse()
        return found

    def page(
        self,
        *,
        dialect: str | None = None,
        operation: str | None = None,
        limit: int | None = None,
        before: int | None = None,
    ) -> Page[Exchange]:
        found = self.store.entry_page(dialect, operation, limit, before)
        items = [decode_exchange(seq, record) for seq, record in found.items]
        return Page(items, found.total, found.next_cursor)

    def clear(self) -> None:
        self.store.clear_entries()


def journal_for(store: Any, size: int | None) -> Journal | StoredJournal:
    """The journal a store keeps: in the store when it keeps entries, in this process otherwise."""
    return StoredJournal(store, size) if hasattr(store, "add_entry") else Journal(size)


def encode_exchange(entry: Exchange) -> str:
    """An exchange as JSON text; bodies keep every byte (undecodable ones as escaped surrogates)."""
    return json.dumps(
        {
            "at": entry.at.isoformat(),
            "dialect": entry.dialect,
            "operation": entry.operation,
            "method": entry.method,
            "path": entry.path,
            "query": entry.query,
            "requestHeaders": entry.request_headers,
            "requestBody": entry.request_body.decode("utf-8", "surrogateescape"),
            "status": entry.status,
            "responseContentType": entry.response_content_type,
            "responseBody": entry.response_body.decode("utf-8", "surrogateescape"),
            "requestViolations": [_violation_fields(item) for item in entry.request_violations],
            "replyOperation": entry.reply_operation,
            "messageIds": list(entry.message_ids),
            "fault": entry.fault,
            "error": entry.error,
        }
    )


def decode_exchange(seq: int, text: str) -> Exchange:
    found = json.loads(text)
    return Exchange(
        seq=seq,
        at=datetime.fromisoformat(found["at"]),
        dialect=found["dialect"],
        operation=found["operation"],
        method=found["method"],
        path=found["path"],
        query=found["query"],
        request_headers=found["requestHeaders"],
        request_body=found["requestBody"].encode("utf-8", "surrogateescape"),
        status=found["status"],
        response_content_type=found["responseContentType"],
        response_body=found["responseBody"].encode("utf-8", "surrogateescape"),
        request_violations=[
            Violation(Severity(item["severity"]), *(item[name] for name in _VIOLATION_FIELDS))
            for item in found["requestViolations"]
        ],
        reply_operation=found["replyOperation"],
        message_ids=tuple(found["messageIds"]),
        fault=found["fault"],
        error=found["error"],
    )


_VIOLATION_FIELDS = ("location", "keyword", "expected", "found", "section")


def _violation_fields(violation: Violation) -> dict[str, str]:
    return {
        "severity": str(violation.severity),
        **{name: getattr(violation, name) for name in _VIOLATION_FIELDS},
    }
