"""The message list: its filters, read from a query string, and one page of matches, newest first.

Every filter is the store's: dialect, account, destination, status, and the sender and text search
(a part of either, in any case). The store counts every match and pages them by cursor, so a page of
100,000 stored messages costs what a page of ten does; a search looks at every message, in the store
(tens of milliseconds at 100,000).
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
    def filtered(self) -> bool:
        """Whether any filter is given."""
        return any(getattr(self, field.name) is not None for field in fields(self))

    @property
    def searching(self) -> bool:
        """Whether a sender or text search is given: the store looks at every message for it, so its
        live list is asked for less often."""
        return self.sender is not None or self.text is not None

    def store_query(self, limit: int, before: int | None) -> MessageQuery:
        return MessageQuery(
            self.dialect,
            self.account,
            self.to,
            self.status,
            self.sender,
            self.text,
            limit=limit,
            before=before,
        )

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
    """Stored messages that pass every filter."""
    cursor: int | None
    """Where this page starts: None for the newest messages."""
    next_cursor: int | None
    """Where the next (older) page starts; None when this page is the last."""


def message_page(
    backend: Backend, filters: MessageFilters, cursor: int | None = None, limit: int = PAGE_SIZE
) -> MessagePage:
    """The page of matching messages that starts at `cursor`, newest first."""
    page = backend.message_page(filters.store_query(limit, cursor))
    return MessagePage(page.items, page.total, cursor, page.next_cursor)
