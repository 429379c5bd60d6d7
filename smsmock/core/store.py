"""Where the mock's state lives: a store interface and its thread-safe in-memory implementation."""

from __future__ import annotations

import heapq
import itertools
import threading
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol

from smsmock.core.messages import InboundMessage, Message, WebhookAttempt

Queue = tuple[str, str]
"""A read-once queue's key: (account, dialect)."""


@dataclass(order=True, slots=True)
class Event:
    """Something due at a moment of the mock's clock: send, finish or expire a message, or a callback."""

    due: float
    seq: int
    kind: str = field(compare=False)
    subject: str = field(compare=False)
    data: dict[str, Any] = field(default_factory=dict, compare=False)


class Store(Protocol):
    """What the core needs of its state; every method is atomic."""

    def add_messages(self, messages: Iterable[Message]) -> None: ...
    def message(self, message_id: str) -> Message | None: ...
    def messages(self, predicate: Callable[[Message], bool] | None = None) -> list[Message]: ...
    def has_client_id(self, account: str, message_id: str) -> bool: ...
    def by_client_ref(self, account: str, dialect: str, ref: str) -> list[Message]: ...
    def schedule(self, due: float, kind: str, subject: str, **data: Any) -> None: ...
    def pop_due(self, now: float) -> list[Event]: ...
    def next_due(self) -> float | None: ...
    def push_report(self, queue: Queue, message_id: str) -> None: ...
    def pull_reports(self, queue: Queue, limit: int, accept: Callable[[Message], bool]) -> list[Message]: ...
    def add_inbound(self, message: InboundMessage) -> None: ...
    def pull_inbound(self, queue: Queue, limit: int) -> list[InboundMessage]: ...
    def inbound(self, predicate: Callable[[InboundMessage], bool] | None = None) -> list[InboundMessage]: ...
    def add_attempt(self, attempt: WebhookAttempt) -> None: ...
    def attempts(self, subject: str | None = None) -> list[WebhookAttempt]: ...
    def clear(self) -> None: ...


class MemoryStore:
    """The in-memory store: one lock around plain containers.

    The lock is held only for container operations, so read-once pulls are atomic: a report leaves
    its queue in the same critical section that hands it out, and no two pulls can both get it.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self.clear()

    def clear(self) -> None:
        with self._lock:
            self._messages: dict[str, Message] = {}
            self._client_ids: set[tuple[str, str]] = set()
            self._client_refs: dict[tuple[str, str, str], list[str]] = {}
            # (due, seq, event): tuples compare in C, the dataclass's generated __lt__ would not.
            self._events: list[tuple[float, int, Event]] = []
            self._reports: dict[Queue, deque[str]] = {}
            self._inbound: list[InboundMessage] = []
            self._inbound_queue: dict[Queue, deque[InboundMessage]] = {}
            self._attempts: list[WebhookAttempt] = []

    # messages

    def add_messages(self, messages: Iterable[Message]) -> None:
        with self._lock:
            for message in messages:
                self._messages[message.id] = message
                if message.options.get("client_id"):
                    self._client_ids.add((message.account, message.id))
                if message.client_ref is not None:
                    key = (message.account, message.dialect, message.client_ref)
                    self._client_refs.setdefault(key, []).append(message.id)

    def message(self, message_id: str) -> Message | None:
        return self._messages.get(message_id)

    def messages(self, predicate: Callable[[Message], bool] | None = None) -> list[Message]:
        with self._lock:
            found = list(self._messages.values())
        return found if predicate is None else [message for message in found if predicate(message)]

    def has_client_id(self, account: str, message_id: str) -> bool:
        return (account, message_id) in self._client_ids or message_id in self._messages

    def by_client_ref(self, account: str, dialect: str, ref: str) -> list[Message]:
        """The account's messages of a dialect that carry this client reference, oldest first."""
        with self._lock:
            ids = list(self._client_refs.get((account, dialect, ref), ()))
        return [self._messages[message_id] for message_id in ids]

    # due events

    def schedule(self, due: float, kind: str, subject: str, **data: Any) -> None:
        with self._lock:
            seq = next(self._seq)
            heapq.heappush(self._events, (due, seq, Event(due, seq, kind, subject, data)))

    def pop_due(self, now: float) -> list[Event]:
        upcoming = self.next_due()
        if upcoming is None or upcoming > now:
            return []
        with self._lock:
            due = []
            while self._events and self._events[0][0] <= now:
                due.append(heapq.heappop(self._events)[2])
            return due

    def next_due(self) -> float | None:
        # Lock-free on the hot path; another thread may pop the last event between the check and
        # the look, which is the same as finding the heap empty.
        events = self._events
        try:
            return events[0][0] if events else None
        except IndexError:
            return None

    # read-once queues

    def push_report(self, queue: Queue, message_id: str) -> None:
        with self._lock:
            self._reports.setdefault(queue, deque()).append(message_id)

    def pull_reports(self, queue: Queue, limit: int, accept: Callable[[Message], bool]) -> list[Message]:
        with self._lock:
            pending = self._reports.get(queue)
            if not pending:
                return []
            taken: list[Message] = []
            kept: deque[str] = deque()
            while pending:
                message_id = pending.popleft()
                message = self._messages.get(message_id)
                if message is None or message.deleted:
                    continue
                if len(taken) < limit and accept(message):
                    taken.append(message)
                else:
                    kept.append(message_id)
                    if len(taken) >= limit:
                        kept.extend(pending)
                        pending.clear()
            self._reports[queue] = kept
            return taken

    def add_inbound(self, message: InboundMessage) -> None:
        with self._lock:
            self._inbound.append(message)
            self._inbound_queue.setdefault((message.account, message.dialect), deque()).append(message)

    def pull_inbound(self, queue: Queue, limit: int) -> list[InboundMessage]:
        with self._lock:
            pending = self._inbound_queue.get(queue)
            taken = []
            while pending and len(taken) < limit:
                taken.append(pending.popleft())
            return taken

    def inbound(self, predicate: Callable[[InboundMessage], bool] | None = None) -> list[InboundMessage]:
        with self._lock:
            found = list(self._inbound)
        return found if predicate is None else [message for message in found if predicate(message)]

    # webhook attempts

    def add_attempt(self, attempt: WebhookAttempt) -> None:
        with self._lock:
            self._attempts.append(attempt)

    def attempts(self, subject: str | None = None) -> list[WebhookAttempt]:
        with self._lock:
            found = list(self._attempts)
        return found if subject is None else [attempt for attempt in found if attempt.subject == subject]
