"""The in-memory store: plain containers behind one lock, indexed for newest-first pages."""

from __future__ import annotations

import heapq
import itertools
import threading
from bisect import bisect_left
from collections import Counter, deque
from collections.abc import Callable, Iterable, Iterator
from contextlib import AbstractContextManager, nullcontext
from datetime import datetime
from typing import Any

from smsmock.core.messages import InboundMessage, Message, WebhookAttempt
from smsmock.core.paging import Page, fill, newest_first
from smsmock.core.rules import normalise_number
from smsmock.core.shared import LocalSettings
from smsmock.core.stores import DuplicateMessageId, Event, MessageQuery, Queue, StoreStats, search_forms
from smsmock.core.vocabulary import Status

SHARED_STRINGS_MOST = 10_000
"""Distinct sender ids (as sent, and folded) and destinations the listing shares among messages; any
beyond keep their own."""


class MemoryStore(LocalSettings):
    """The in-memory store: one lock around plain containers, and the settings of one process.

    The lock is held only for container operations, so read-once pulls are atomic: a report leaves
    its queue in the same critical section that hands it out, and no two pulls can both get it.
    """

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()
        self._seq = itertools.count()
        self._next_position = 0
        self.clear()

    def atomic(self) -> AbstractContextManager[None]:
        """Each call is atomic on its own here; a block of them is not one transaction."""
        return nullcontext()

    def clear(self) -> None:
        self.clear_settings()
        with self._lock:
            # Positions go on from where they were, so a cursor given before a clear finds nothing new.
            self._first_position = self._next_position
            self._listing = _Listing(self._first_position)
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
        messages = list(messages)
        with self._lock:
            # Checked under the lock the adding holds: of two sends racing for one client id, one wins.
            taken = [message.id for message in messages if message.id in self._listing.positions]
            if taken:
                raise DuplicateMessageId("the memory store", taken)
            for message in messages:
                self._listing.add(self._next_position, message)
                self._next_position += 1
                if message.options.get("client_id"):
                    self._client_ids.add((message.account, message.id))
                if message.client_ref is not None:
                    key = (message.account, message.dialect, message.client_ref)
                    self._client_refs.setdefault(key, []).append(message.id)

    def message(self, message_id: str) -> Message | None:
        with self._lock:  # a prune shifts the listing's positions
            return self._listing.message(message_id)

    def messages(self, predicate: Callable[[Message], bool] | None = None) -> list[Message]:
        with self._lock:
            found = list(self._listing.messages)
        return found if predicate is None else [message for message in found if predicate(message)]

    def update_message(self, message: Message) -> None:
        """The message's status moved: the listing's status index follows it."""
        with self._lock:
            self._listing.moved(message)

    def query(self, query: MessageQuery) -> Page[Message]:
        """A page of the stored messages that match, newest (last stored) first."""
        with self._lock:
            return self._listing.page(query)

    def has_client_id(self, account: str, message_id: str) -> bool:
        return (account, message_id) in self._client_ids or message_id in self._listing.positions

    def by_client_ref(self, account: str, dialect: str, ref: str) -> list[Message]:
        """The account's messages of a dialect that carry this client reference, oldest first."""
        with self._lock:
            found = [
                self._listing.message(message_id)
                for message_id in self._client_refs.get((account, dialect, ref), ())
            ]
        return [message for message in found if message is not None]

    # due events

    def schedule(self, due: float, kind: str, subject: str, **data: Any) -> None:
        with self._lock:
            seq = next(self._seq)
            heapq.heappush(self._events, (due, seq, Event(due, seq, kind, subject, data)))

    def pop_due(self, now: float, limit: int | None = None) -> list[Event]:
        upcoming = self.next_due()
        if upcoming is None or upcoming > now:
            return []
        with self._lock:
            due: list[Event] = []
            while self._events and self._events[0][0] <= now and len(due) != limit:
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
                message = self._listing.message(message_id)
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

    # what it holds

    def prune(self, *, submitted_before: datetime | None = None, keep_newest: int | None = None) -> int:
        with self._lock:
            listing = self._listing
            dropped = listing.oldest_to_drop(submitted_before, keep_newest)
            if dropped:
                gone = listing.drop_oldest(dropped)
                for message in gone:
                    self._client_ids.discard((message.account, message.id))
                    if message.client_ref is not None:
                        key = (message.account, message.dialect, message.client_ref)
                        refs = [found for found in self._client_refs.get(key, ()) if found != message.id]
                        if refs:
                            self._client_refs[key] = refs
                        else:
                            self._client_refs.pop(key, None)
                ids = {message.id for message in gone}
                self._reports = {
                    queue: deque(found for found in pending if found not in ids)
                    for queue, pending in self._reports.items()
                }
                self._attempts = [attempt for attempt in self._attempts if attempt.subject not in ids]
                # Their pending events too (a delivered message's expiry waits 48 hours): kept, they
                # would hold memory the retention is there to bound.
                self._events = [entry for entry in self._events if entry[2].subject not in ids]
                heapq.heapify(self._events)
            if submitted_before is not None:
                self._inbound = [found for found in self._inbound if found.received_at >= submitted_before]
                self._inbound_queue = {
                    queue: deque(found for found in pending if found.received_at >= submitted_before)
                    for queue, pending in self._inbound_queue.items()
                }
            return dropped

    def stats(self) -> StoreStats:
        with self._lock:
            return StoreStats(
                messages=len(self._listing.messages),
                inbound=len(self._inbound),
                report_queues={queue: len(ids) for queue, ids in self._reports.items()},
                inbound_queues={queue: len(items) for queue, items in self._inbound_queue.items()},
                webhook_attempts=len(self._attempts),
                webhook_failures=sum(not attempt.succeeded for attempt in self._attempts),
            )


class _Listing:
    """The stored messages in the order they were stored, indexed for newest-first pages.

    The clock never goes back, so storage order is submission order. Each message has a position (its
    sequence number) and every index is an ascending list of positions: by dialect, account and
    normalised destination, which never change, and by status name and group, which do. A message
    that leaves a status stays in that status's list, stale, until half the list is stale and it is
    rebuilt: moving out of a long list would cost a copy of it. Counts by (dialect, account, status)
    give the total of any filter without `to` at once; `to` with another filter is counted along the
    shortest of their lists (that destination's, as long as the messages sent to that one number).

    A sender or text search looks in each message's folded sender and text (`search_forms`), kept
    beside it from when it was stored, so a search of every message folds and decodes nothing.
    """

    def __init__(self, first: int) -> None:
        self.first = first
        self.messages: list[Message] = []
        self.destinations: list[str] = []
        self.statuses: list[Status] = []
        """The status each message was indexed under: the filters read this, not the live message."""
        self.senders: list[str] = []
        self.contents: list[str] = []
        """Each message's folded sender and text, as the search looks in them."""
        self.shared_strings: dict[str, str] = {}
        self.positions: dict[str, int] = {}
        """Each message's position by its id: the one dict of the store, which finds a message too."""
        self.by_dialect: dict[str, list[int]] = {}
        self.by_account: dict[str, list[int]] = {}
        self.by_destination: dict[str, list[int]] = {}
        self.by_status: dict[str, list[int]] = {}
        self.stale: Counter[str] = Counter()
        self.counts: Counter[tuple[str, str, Status]] = Counter()

    def add(self, position: int, message: Message) -> None:
        # Most messages go to a few destinations and come from a few sender ids: one string for each,
        # not one per message. The message is the store's own, so these may become the shared equals.
        message.to = self._shared(message.to)
        destination = self._shared(normalise_number(message.to))
        self.messages.append(message)
        self.destinations.append(destination)
        self.statuses.append(message.status)
        sender, content = search_forms(message)
        if message.sender is not None:
            message.sender = self._shared(message.sender)
        self.senders.append(self._shared(sender))
        self.contents.append(content)
        self.positions[message.id] = position
        self.by_dialect.setdefault(message.dialect, []).append(position)
        self.by_account.setdefault(message.account, []).append(position)
        self.by_destination.setdefault(destination, []).append(position)
        for key in _status_keys(message.status):
            self.by_status.setdefault(key, []).append(position)
        self.counts[(message.dialect, message.account, message.status)] += 1

    def _shared(self, text: str) -> str:
        shared = self.shared_strings.get(text)
        if shared is None and len(self.shared_strings) < SHARED_STRINGS_MOST:
            shared = self.shared_strings[text] = text
        return text if shared is None else shared

    def message(self, message_id: str) -> Message | None:
        position = self.positions.get(message_id)
        return None if position is None else self.messages[position - self.first]

    def moved(self, message: Message) -> None:
        position = self.positions.get(message.id)
        if position is None:
            return  # cleared away since
        index = position - self.first
        old, new = self.statuses[index], message.status
        if old == new:
            return
        self.statuses[index] = new
        self._count(message.dialect, message.account, old, -1)
        self.counts[(message.dialect, message.account, new)] += 1
        old_keys, new_keys = _status_keys(old), _status_keys(new)
        for key in new_keys - old_keys:
            self._index_status(key, position)
        for key in old_keys - new_keys:
            self.stale[key] += 1
            if self.stale[key] * 2 > len(self.by_status[key]):
                self._rebuild_status(key)

    def oldest_to_drop(self, submitted_before: datetime | None, keep_newest: int | None) -> int:
        """How many of the oldest messages a retention rule drops (storage order is submission order)."""
        count = 0 if keep_newest is None else max(0, len(self.messages) - keep_newest)
        if submitted_before is not None:
            older = bisect_left(self.messages, submitted_before, key=lambda message: message.submitted_at)
            count = max(count, older)
        return count

    def drop_oldest(self, count: int) -> list[Message]:
        """Forget the `count` oldest messages; returns them."""
        gone = self.messages[:count]
        for index, message in enumerate(gone):
            status = self.statuses[index]
            self._count(message.dialect, message.account, status, -1)
            del self.positions[message.id]
        self.first += count
        del self.messages[:count], self.destinations[:count], self.statuses[:count]
        del self.senders[:count], self.contents[:count]
        for index in (self.by_dialect, self.by_account, self.by_destination, self.by_status):
            for key in list(index):
                positions = index[key]
                del positions[: bisect_left(positions, self.first)]
                if not positions:
                    del index[key]
        return gone

    def page(self, query: MessageQuery) -> Page[Message]:
        to = None if query.to is None else normalise_number(query.to)
        status = None if query.status is None else query.status.upper()

        def matches(position: int) -> bool:
            index = position - self.first
            message = self.messages[index]
            if query.dialect is not None and message.dialect != query.dialect:
                return False
            if query.account is not None and message.account != query.account:
                return False
            if to is not None and self.destinations[index] != to:
                return False
            found = self.statuses[index]
            return status is None or status == found.name or status == found.group_name

        sender, text = query.needles()
        if sender is not None or text is not None:
            every_match = self._searched(query, to, status, sender, text, matches)
            return self._cut(every_match, query.limit, query.before)
        total = self._total(query.dialect, query.account, to, status, matches)
        if total == 0:
            return Page([], 0, None)
        candidates = self._candidates(query.dialect, query.account, to, status, query.before)
        first_page_total = total if query.before is None else None
        found, cursor = fill(candidates, matches, query.limit, first_page_total)
        return Page([self.messages[position - self.first] for position in found], total, cursor)

    def _searched(
        self,
        query: MessageQuery,
        to: str | None,
        status: str | None,
        sender: str | None,
        text: str | None,
        matches: Callable[[int], bool],
    ) -> list[int]:
        """The positions of every match of a search, oldest first: along the shortest index list of the
        other filters, or over every message's folded forms at once when there are none."""
        first, senders, contents = self.first, self.senders, self.contents
        if query.dialect is None and query.account is None and to is None and status is None:
            if sender is not None and text is not None:
                return [
                    first + index
                    for index, its in enumerate(senders)
                    if sender in its and text in contents[index]
                ]
            if sender is not None:
                return [first + index for index, its in enumerate(senders) if sender in its]
            return [first + index for index, has in enumerate(contents) if text in has]
        found = [
            position
            for position in self._candidates(query.dialect, query.account, to, status, None)
            if (sender is None or sender in senders[position - first])
            and (text is None or text in contents[position - first])
            and matches(position)
        ]
        found.reverse()
        return found

    def _cut(self, every_match: list[int], limit: int | None, before: int | None) -> Page[Message]:
        """The page of `every_match` (ascending positions) below the cursor, newest first."""
        stop = len(every_match) if before is None else bisect_left(every_match, before)
        start = 0 if limit is None else max(0, stop - limit)
        on_page = every_match[start:stop]
        on_page.reverse()
        cursor = on_page[-1] if start > 0 and on_page else None
        return Page([self.messages[position - self.first] for position in on_page], len(every_match), cursor)

    def _candidates(
        self, dialect: str | None, account: str | None, to: str | None, status: str | None, before: int | None
    ) -> Iterator[int]:
        """Positions to walk, newest first: the shortest index list of the filters, or every position."""
        lists = [
            self.by_dialect.get(dialect, []) if dialect is not None else None,
            self.by_account.get(account, []) if account is not None else None,
            self.by_destination.get(to, []) if to is not None else None,
            self.by_status.get(status, []) if status is not None else None,
        ]
        given = [positions for positions in lists if positions is not None]
        if given:
            return newest_first(min(given, key=len), before)
        end = self.first + len(self.messages)
        stop = end if before is None else max(self.first, min(before, end))
        return iter(range(stop - 1, self.first - 1, -1))

    def _total(
        self,
        dialect: str | None,
        account: str | None,
        to: str | None,
        status: str | None,
        matches: Callable[[int], bool],
    ) -> int:
        if to is not None:
            if dialect is None and account is None and status is None:
                return len(self.by_destination.get(to, ()))
            return sum(
                1 for position in self._candidates(dialect, account, to, status, None) if matches(position)
            )
        if status is None and (dialect is None or account is None):
            if dialect is not None:
                return len(self.by_dialect.get(dialect, ()))
            if account is not None:
                return len(self.by_account.get(account, ()))
            return len(self.messages)
        return sum(
            count
            for (its_dialect, its_account, its_status), count in self.counts.items()
            if (dialect is None or its_dialect == dialect)
            and (account is None or its_account == account)
            and (status is None or status in (its_status.name, its_status.group_name))
        )

    def _count(self, dialect: str, account: str, status: Status, change: int) -> None:
        key = (dialect, account, status)
        self.counts[key] += change
        if not self.counts[key]:
            del self.counts[key]  # the totals sum over the keys: keep them few

    def _index_status(self, key: str, position: int) -> None:
        positions = self.by_status.setdefault(key, [])
        if not positions or positions[-1] < position:
            positions.append(position)
            return
        index = bisect_left(positions, position)
        if index < len(positions) and positions[index] == position:
            self.stale[key] -= 1  # back in a status it had left: its stale entry is right again
        else:
            positions.insert(index, position)

    def _rebuild_status(self, key: str) -> None:
        first, statuses = self.first, self.statuses
        self.by_status[key] = [
            position
            for position in self.by_status[key]
            if key in (statuses[position - first].name, statuses[position - first].group_name)
        ]
        self.stale[key] = 0


def _status_keys(status: Status) -> set[str]:
    return {status.name, status.group_name}
