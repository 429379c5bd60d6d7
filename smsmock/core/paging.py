"""Pages of newest-first listings (stored messages, the journal): the page record and its cursors."""

from __future__ import annotations

from bisect import bisect_left
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

DEFAULT_LIMIT = 100
"""Items on a page when the caller does not say."""
MAX_LIMIT = 500
"""The most items one page holds; a Python caller walks pages of this size."""


@dataclass(slots=True)
class Page(Generic[T]):
    """One page of a newest-first listing.

    Every item has a sequence number that never changes and grows with each item stored, so a cursor
    (the sequence number of the page's last item) stays right while new items arrive: they are newer,
    and a later page only holds older ones.
    """

    items: list[T]
    total: int
    """How many items match the filters in all, on every page."""
    next_cursor: int | None
    """Pass as `before` for the next page; None when this page is the last."""


def newest_first(seqs: Sequence[int], before: int | None) -> Iterator[int]:
    """The sequence numbers of an ascending `seqs` below `before` (all without it), the highest first."""
    stop = len(seqs) if before is None else bisect_left(seqs, before)
    for index in range(stop - 1, -1, -1):
        yield seqs[index]


def fill(
    candidates: Iterator[int], matches: Callable[[int], bool], limit: int | None, known_total: int | None
) -> tuple[list[int], int | None]:
    """The first `limit` candidates that match, and the cursor after them (None when none match beyond).

    One more match is looked for past a full page, so the last page says it is the last. `known_total`,
    given for a first page, ends the walk as soon as every match is found.
    """
    found: list[int] = []
    for seq in candidates:
        if not matches(seq):
            continue
        if limit is not None and len(found) == limit:
            return found, found[-1]
        found.append(seq)
        if known_total is not None and len(found) == known_total:
            break
    return found, None


def every(fetch: Callable[[int | None], Page[T]]) -> Iterator[T]:
    """Every item of a paged listing, newest first: `fetch(cursor)` gives a page, `fetch(None)` the first."""
    cursor: int | None = None
    while True:
        page = fetch(cursor)
        yield from page.items
        if page.next_cursor is None:
            return
        cursor = page.next_cursor
