"""Where the mock's state lives: the store protocol every backend meets, and how one is opened.

One module per backend: `memory` (the default, and the pytest fixtures'), `sqlite` (on disk) and
`redis` (shared by several processes). `open_store(url)` picks one by the URL's scheme.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from smsmock.core.messages import LONE_SURROGATE, InboundMessage, Message, WebhookAttempt
from smsmock.core.paging import Page

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
    message: Message | None = field(default=None, compare=False)
    """The message the event is about as the store held it when the event fell due, where the store
    reads it along with the event (Redis: a round trip saved); None where it does not."""


@dataclass(frozen=True, slots=True)
class StoreStats:
    """How much the store holds, for the metrics endpoint."""

    messages: int
    inbound: int
    report_queues: dict[Queue, int]
    """Delivery reports waiting to be pulled, per (account, dialect)."""
    inbound_queues: dict[Queue, int]
    webhook_attempts: int
    webhook_failures: int


@dataclass(frozen=True, slots=True)
class MessageQuery:
    """Which stored messages to list, newest first, and which page of them."""

    dialect: str | None = None
    account: str | None = None
    to: str | None = None
    """A destination, compared as normalised digits (`+41 79...` is `4179...`)."""
    status: str | None = None
    """A status name or a status group name, in any case."""
    sender: str | None = None
    """Part of the sender id, in any case (see `search_forms`); None or "" is no filter."""
    text: str | None = None
    """Part of the text, or of a binary message's hex, in any case (see `search_forms`); None or "" is
    no filter."""
    limit: int | None = None
    """At most this many on the page; None for every match."""
    before: int | None = None
    """The cursor: only messages stored before the one of this sequence number."""

    def __post_init__(self) -> None:
        if self.limit is not None and self.limit < 1:
            raise ValueError(f"a page holds at least one message, not limit={self.limit}")

    def needles(self) -> tuple[str | None, str | None]:
        """The sender and text searched for, case folded as `search_forms` folds; None for no search."""
        return _needle(self.sender), _needle(self.text)


def search_forms(message: Message) -> tuple[str, str]:
    """What the sender and the text search look in: the sender id, and the text (a binary message's
    hex), case folded; "" where the message has none.

    A message matches a search when the needle, folded alike, is a part of its form, compared code
    point by code point. The folding is Python's `str.casefold`, Unicode's full case folding (not its
    Turkic variant): `ß`, `ẞ` and `SS` all fold to `ss`, `ς` and `Σ` to `σ`, `ﬁ` to `fi`, the Kelvin
    sign to `k`; `İ` folds to `i` and a combining dot above, so `i` finds it, while `ı` stays itself, so
    `I` does not. Nothing is normalised: `é` as one code point and as `e` with a combining accent are
    different texts. Every store folds a message with this when it stores it and the needle when it
    searches, and compares what Python folded (never SQLite's ASCII-only LIKE, nor Lua's lower), so
    the three agree; what was stored keeps the folding of the Python that stored it. A lone surrogate
    (no character: only a malformed request carries one) is searched as U+FFFD, which SQLite and Redis
    can hold.
    """
    content = message.text if message.text is not None else message.binary_hex or ""
    return _folded(message.sender or ""), _folded(content)


def _needle(part: str | None) -> str | None:
    return _folded(part) if part else None


def _folded(text: str) -> str:
    folded = text.casefold()
    if LONE_SURROGATE.search(folded):
        folded = LONE_SURROGATE.sub("\ufffd", folded)
    return text if folded == text else folded  # the text itself, when folding changes nothing: less memory


class Store(Protocol):
    """What the core needs of its state; every method is atomic."""

    def atomic(self) -> AbstractContextManager[None]:
        """The calls made in the block are stored together or not at all, where the store can (SQLite);
        elsewhere each call stays atomic on its own."""
        ...

    def add_messages(self, messages: Iterable[Message]) -> None:
        """Store the batch whole, or none of it (DuplicateMessageId) when one's id is taken already."""
        ...

    def message(self, message_id: str) -> Message | None: ...
    def messages(self, predicate: Callable[[Message], bool] | None = None) -> list[Message]: ...
    def update_message(self, message: Message) -> None:
        """Keep the message's current state (status, history, times, deleted): the core changed it."""
        ...

    def query(self, query: MessageQuery) -> Page[Message]: ...
    def has_client_id(self, account: str, message_id: str) -> bool: ...
    def by_client_ref(self, account: str, dialect: str, ref: str) -> list[Message]: ...
    def schedule(self, due: float, kind: str, subject: str, **data: Any) -> None: ...
    def pop_due(self, now: float, limit: int | None = None) -> list[Event]:
        """The events due by `now` (at most `limit`), in due order, each handed out once."""

    def next_due(self) -> float | None: ...
    def push_report(self, queue: Queue, message_id: str) -> None: ...
    def pull_reports(self, queue: Queue, limit: int, accept: Callable[[Message], bool]) -> list[Message]: ...
    def add_inbound(self, message: InboundMessage) -> None: ...
    def pull_inbound(self, queue: Queue, limit: int) -> list[InboundMessage]: ...
    def inbound(self, predicate: Callable[[InboundMessage], bool] | None = None) -> list[InboundMessage]: ...
    def add_attempt(self, attempt: WebhookAttempt) -> None: ...
    def attempts(self, subject: str | None = None) -> list[WebhookAttempt]: ...
    def clear(self) -> None: ...
    def stats(self) -> StoreStats: ...
    def prune(self, *, submitted_before: datetime | None = None, keep_newest: int | None = None) -> int:
        """Drop the messages submitted before a moment, or all but the newest `keep_newest`, with what
        hangs on them (reports, client ids and references, webhook attempts), and inbound messages
        received before the moment; how many messages were dropped."""
        ...


SCHEMES = ("memory", "sqlite:PATH", "redis://HOST:PORT/DB")
"""The stores `open_store` knows, as their URLs are written."""


LOOK_FRESH = 0.05
"""Seconds the soonest due moment read along with the settings version serves the next `next_due`: a
request's look, not one a delay fault held back."""


def keep_look(unit: Any, soonest: float | None) -> None:
    """Keep, for this thread's next `next_due`, the soonest due moment read with the settings version
    (`unit` is the store's thread-local state)."""
    unit.upcoming = (soonest, time.monotonic() + LOOK_FRESH)


def take_look(unit: Any) -> tuple[bool, float | None]:
    """The moment `keep_look` kept, taken once: (True, it) while it is fresh, else (False, None)."""
    look = getattr(unit, "upcoming", None)
    if look is None:
        return False, None
    unit.upcoming = None
    soonest, until = look
    return (True, soonest) if time.monotonic() < until else (False, None)


class StoreError(Exception):
    """A store that cannot be opened or used: the message names it and says why, in one line."""


class DuplicateMessageId(StoreError):
    """Messages whose ids are taken already (another send won the race for a client id): none of the
    batch was stored."""

    def __init__(self, store: str, ids: list[str]) -> None:
        super().__init__(f"{store}: message ids taken already: {', '.join(ids)}")
        self.ids = ids


def open_store(url: str | None) -> Store:
    """The store a URL names: `memory` (or nothing), `sqlite:PATH`, `redis://HOST:PORT/DB`.

    A store that was asked for and cannot be opened raises StoreError: the mock never falls back to
    memory, which would split its state from the other processes' without a word.
    """
    if url is None or url in ("", "memory", "memory:"):
        from smsmock.core.stores.memory import MemoryStore

        return MemoryStore()
    if url.startswith("sqlite:"):
        from smsmock.core.stores.sqlite import SqliteStore

        return SqliteStore.open(url.removeprefix("sqlite:").removeprefix("//"))
    if url.startswith(("redis://", "rediss://", "unix://")):
        from smsmock.core.stores.redis import RedisStore

        return RedisStore.open(url)
    raise StoreError(f"unknown store {url!r}: a store is one of {', '.join(SCHEMES)}")
