"""The message list: its filters, read from a query string, and one page of matches, newest first.

The store filters by dialect, account, destination and status, counts the matches and pages them by
cursor, so a page of 100,000 stored messages costs what a page of ten does. A sender or a text
search is no store filter yet: it reads the store's pages newest first and keeps what matches, at
most SEARCH_BUDGET messages per request, and the page says how far it read and how to read on.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from smsmock.core.stores import MessageQuery

if TYPE_CHECKING:
    from smsmock.core.backend import Backend
    from smsmock.core.messages import Message

PAGE_SIZE = 50
"""Messages on a page of the list."""
SEARCH_BUDGET = 2_000
"""The most messages one request reads for a sender or text search."""
SEARCH_STEP = 250
"""Messages read per store query while searching."""


@dataclass(frozen=True, slots=True)
class MessageFilters:
    """What the list shows; None is no filter."""

    dialect: str | None = None
    account: str | None = None
    to: str | None = None
    status: str | None = None
    sender: str | None = None
    """Part of the sender id, in any case."""
    text: str | None = None
    """Part of the text (or of a binary message's hex), in any case."""

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> MessageFilters:
        """The filters of a query string; an empty field is no filter."""
        wanted = {field.name: (args.get(field.name) or "").strip() or None for field in fields(cls)}
        return cls(**wanted)

    @property
    def searching(self) -> bool:
        """Whether a filter needs reading the messages (the store cannot apply it)."""
        return self.sender is not None or self.text is not None

    def store_query(self, limit: int, before: int | None) -> MessageQuery:
        return MessageQuery(self.dialect, self.account, self.to, self.status, limit=limit, before=before)

    def matches(self, message: Message) -> bool:
        """Whether a message the store's filters let through also passes the sender and text search."""
        if self.sender is not None and self.sender.casefold() not in (message.sender or "").casefold():
            return False
        if self.text is not None:
            content = message.text if message.text is not None else message.binary_hex or ""
            return self.text.casefold() in content.casefold()
        return True

    def query_string(self, **extra: Any) -> str:
        """These filters (and `extra`) as a query string, the empty ones left out."""
        given = {field.name: getattr(self, field.name) for field in fields(self)}
        given.update(extra)
        return urlencode({name: value for name, value in given.items() if value not in (None, "")})


@dataclass(slots=True)
class MessagePage:
    """One page of the list."""

    messages: list[Message]
    total: int
    """Stored messages that pass the store's filters (with a search: what it searches through)."""
    cursor: int | None
    """Where this page starts: None for the newest messages."""
    next_cursor: int | None
    """Where the next (older) page starts; None when this page is the last."""
    searched: int = 0
    """Messages the search read for this page; 0 without a search."""
    search_stopped: bool = False
    """The search read its budget before it filled the page: `next_cursor` reads on."""


def message_page(
    backend: Backend, filters: MessageFilters, cursor: int | None = None, limit: int = PAGE_SIZE
) -> MessagePage:
    """The page of matching messages that starts at `cursor`, newest first."""
    if not filters.searching:
        page = backend.message_page(filters.store_query(limit, cursor))
        return MessagePage(page.items, page.total, cursor, page.next_cursor)
    return _searched_page(backend, filters, cursor, limit)


def _searched_page(backend: Backend, filters: MessageFilters, cursor: int | None, limit: int) -> MessagePage:
    found: list[Message] = []
    searched = 0
    position = cursor
    total: int | None = None
    while True:
        page = backend.message_page(filters.store_query(SEARCH_STEP, position))
        total = page.total if total is None else total
        for index, message in enumerate(page.items):
            searched += 1
            if not filters.matches(message):
                continue
            found.append(message)
            if len(found) == limit:
                more = index + 1 < len(page.items) or page.next_cursor is not None
                after = _cursor_after(backend, filters, position, index) if more else None
                return MessagePage(found, total, cursor, after, searched)
        if page.next_cursor is None:
            return MessagePage(found, total, cursor, None, searched)
        position = page.next_cursor
        if searched >= SEARCH_BUDGET:
            return MessagePage(found, total, cursor, position, searched, search_stopped=True)


def _cursor_after(backend: Backend, filters: MessageFilters, position: int | None, index: int) -> int | None:
    """The cursor just past the `index`th message of the page at `position`.

    A store hands out a cursor only at the end of a page, so the page is read again, cut there.
    """
    return backend.message_page(filters.store_query(index + 1, position)).next_cursor
