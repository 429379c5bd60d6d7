"""The journal for the inbox: pages of exchanges with their violations first, one exchange whole, and
the exchanges about one message.

What a page costs is bounded. A list shows SHOWN_BODY_LISTED bytes of each body (a send to 10,000
destinations carries megabytes), one exchange's page SHOWN_BODY_ALONE. Checking a reply against
its contract takes milliseconds per message it lists, and a journal kept in a store checks again at
every read: a list checks replies up to CHECKED_REPLY_BYTES (the page of a larger one checks it),
and every result is kept, by the reply's digest, for the next page and the next poll.
"""

from __future__ import annotations

import hashlib
import threading
from dataclasses import dataclass
from typing import TYPE_CHECKING

from smsmock.contracts.validation import Violation

if TYPE_CHECKING:
    from smsmock.contracts.journal import Exchange, Journal, StoredJournal
    from smsmock.core.messages import Message

PAGE_SIZE = 50
"""Exchanges on a page of the journal view."""
SHOWN_BODY_LISTED = 2_048
"""The most bytes of a request or reply body a list of exchanges shows."""
SHOWN_BODY_ALONE = 65_536
"""The most bytes of a body one exchange's page shows."""
CHECKED_REPLY_BYTES = 16_384
"""The largest reply a list checks against its contract (some 80 messages' worth)."""
SHOWN_MESSAGE_IDS = 20
"""The most message ids an exchange lists."""
VIOLATION_BUDGET = 1_000
"""The most exchanges one request reads when only those with violations are wanted."""
MESSAGE_BUDGET = 1_000
"""The most exchanges one message's page reads, newest first, looking for those about it."""
MESSAGE_EXCHANGES = 20
"""The most exchanges one message's page shows."""
_READ_STEP = 100
_IDS_WORTH_SEARCHING = 8
"""Shorter ids (a client's "1") would be found in unrelated bodies: they are matched by the journal's
record of the messages a request sent only."""


class _ReplyChecks:
    """Reply violations by (contract, digest of the reply): a reply is fixed bytes, so its check is too."""

    MOST = 4_096

    def __init__(self) -> None:
        self._found: dict[tuple[str | None, str | None, str, bytes], list[Violation]] = {}
        self._lock = threading.Lock()

    def violations(self, exchange: Exchange) -> list[Violation]:
        digest = hashlib.blake2b(exchange.response_body, digest_size=16).digest()
        key = (exchange.dialect, exchange.reply_operation, exchange.response_content_type, digest)
        with self._lock:
            found = self._found.get(key)
        if found is None:
            found = exchange.response_violations  # checked here, outside the lock
            with self._lock:
                if len(self._found) >= self.MOST:
                    self._found.clear()  # bounded; the next pages check again
                self._found[key] = found
        return found


_REPLY_CHECKS = _ReplyChecks()


@dataclass(frozen=True, slots=True)
class Body:
    text: str
    left_out: int
    """Bytes not shown."""


@dataclass(frozen=True, slots=True)
class Finding:
    """A contract violation of one side of an exchange."""

    side: str
    """`request` or `reply`."""
    severity: str
    text: str


@dataclass(slots=True)
class ExchangeView:
    """One journaled exchange as a page shows it."""

    exchange: Exchange
    request_body: Body
    response_body: Body
    findings: list[Finding]
    reply_checked: bool
    """False for a reply too large to check in a list: its own page checks it."""
    message_ids: list[str]
    more_message_ids: int

    @property
    def request_head(self) -> str:
        """The request line and the headers the journal keeps, as they went over the wire."""
        exchange = self.exchange
        target = exchange.path + (f"?{exchange.query}" if exchange.query else "")
        headers = "".join(f"\n{name}: {value}" for name, value in exchange.request_headers.items())
        return f"{exchange.method} {target}{headers}"

    @property
    def response_head(self) -> str:
        return f"{self.exchange.status} {self.exchange.response_content_type}"


def shown(exchange: Exchange, *, alone: bool = False) -> ExchangeView:
    """An exchange for a list, or `alone` on its own page (larger bodies, every reply checked)."""
    shown_bytes = SHOWN_BODY_ALONE if alone else SHOWN_BODY_LISTED
    checked = alone or len(exchange.response_body) <= CHECKED_REPLY_BYTES
    findings = [_finding("request", violation) for violation in exchange.request_violations]
    if checked:
        findings.extend(_finding("reply", violation) for violation in _REPLY_CHECKS.violations(exchange))
    ids = list(exchange.message_ids)
    return ExchangeView(
        exchange,
        _body(exchange.request_body, shown_bytes),
        _body(exchange.response_body, shown_bytes),
        findings,
        checked,
        ids[:SHOWN_MESSAGE_IDS],
        max(0, len(ids) - SHOWN_MESSAGE_IDS),
    )


def _finding(side: str, violation: Violation) -> Finding:
    return Finding(side, str(violation.severity), str(violation))


def _body(data: bytes, most: int) -> Body:
    return Body(data[:most].decode("utf-8", "replace"), max(0, len(data) - most))


def exchange(journal: Journal | StoredJournal, seq: int) -> Exchange | None:
    """The exchange of a sequence number, while the journal keeps it."""
    found = journal.page(limit=1, before=seq + 1).items
    return found[0] if found and found[0].seq == seq else None


@dataclass(slots=True)
class JournalPage:
    exchanges: list[ExchangeView]
    total: int
    cursor: int | None
    next_cursor: int | None
    searched: int = 0
    search_stopped: bool = False


def journal_state(
    journal: Journal | StoredJournal,
    *,
    dialect: str | None = None,
    operation: str | None = None,
    cursor: int | None = None,
    only_violations: bool = False,
) -> str:
    """What a journal page depends on, read cheaply: an exchange never changes once journaled, so a
    page stays the same until a newer exchange comes or an older one is dropped."""
    newest = journal.page(dialect=dialect, operation=operation, limit=1, before=cursor)
    seq = newest.items[0].seq if newest.items else 0
    return f"{newest.total}:{seq}:{dialect}:{operation}:{cursor}:{only_violations}"


def journal_page(
    journal: Journal | StoredJournal,
    *,
    dialect: str | None = None,
    operation: str | None = None,
    cursor: int | None = None,
    only_violations: bool = False,
    limit: int = PAGE_SIZE,
) -> JournalPage:
    """A page of exchanges, newest first, those with violations ahead of the rest."""
    if not only_violations:
        page = journal.page(dialect=dialect, operation=operation, limit=limit, before=cursor)
        views = [shown(item) for item in page.items]
        views.sort(key=lambda view: not view.findings)  # stable: newest first within each kind
        return JournalPage(views, page.total, cursor, page.next_cursor)
    found: list[ExchangeView] = []
    searched, position, total = 0, cursor, None
    while True:
        page = journal.page(dialect=dialect, operation=operation, limit=_READ_STEP, before=position)
        total = page.total if total is None else total
        for index, item in enumerate(page.items):
            searched += 1
            view = shown(item)
            if not view.findings:
                continue
            found.append(view)
            if len(found) == limit:
                more = index + 1 < len(page.items) or page.next_cursor is not None
                # A journal's cursor is the sequence number of the last exchange shown.
                return JournalPage(found, total, cursor, item.seq if more else None, searched)
        if page.next_cursor is None:
            return JournalPage(found, total, cursor, None, searched)
        position = page.next_cursor
        if searched >= VIOLATION_BUDGET:
            return JournalPage(found, total, cursor, position, searched, search_stopped=True)


def exchanges_of(journal: Journal | StoredJournal, message: Message) -> tuple[list[ExchangeView], bool]:
    """The exchanges about a message, oldest first: the request that sent it, and those that named it
    since (report pulls, status queries); and whether the search stopped before it read them all."""
    needle = message.id.encode() if len(message.id) >= _IDS_WORTH_SEARCHING else None
    found: list[Exchange] = []
    searched, position = 0, None
    stopped = False
    while not stopped:
        page = journal.page(dialect=message.dialect, limit=_READ_STEP, before=position)
        for item in page.items:
            searched += 1
            if message.id in item.message_ids or item.at < message.submitted_at:
                # The request that sent it: nothing older is about it.
                found.extend([item] if message.id in item.message_ids else [])
                return [shown(each) for each in reversed(found)], False
            if needle is not None and _names(item, message.id, needle):
                found.append(item)
            stopped = len(found) == MESSAGE_EXCHANGES or searched >= MESSAGE_BUDGET
            if stopped:
                break
        if page.next_cursor is None:
            break
        position = page.next_cursor
    return [shown(each) for each in reversed(found)], stopped


def _names(item: Exchange, message_id: str, needle: bytes) -> bool:
    return needle in item.response_body or needle in item.request_body or message_id in item.query
