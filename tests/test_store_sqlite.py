"""The SQLite store: the memory store's behaviour on disk, its schema versions, its refusals, and what
survives a killed process or several pullers at once."""

from __future__ import annotations

import copy
import itertools
import json
import multiprocessing
import shutil
import signal
import sqlite3
import subprocess
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, initialize, invariant, precondition, rule

import smsmock.core.stores.sqlite
from smsmock.core.backend import Backend
from smsmock.core.clock import Clock
from smsmock.core.commands import Submission
from smsmock.core.messages import InboundMessage, Message, StatusChange, WebhookAttempt
from smsmock.core.paging import Page
from smsmock.core.records import encode_message
from smsmock.core.stores import DuplicateMessageId, MessageQuery, Store, StoreError, open_store
from smsmock.core.stores.memory import MemoryStore
from smsmock.core.stores.sqlite import SCHEMA_VERSION, SqliteStore, schema_versions
from smsmock.core.vocabulary import vocabulary

WORDS = vocabulary()
START = datetime(2030, 1, 1, 12, 0, tzinfo=timezone.utc)
ACCOUNTS = ("default", "other")
DIALECTS = ("shortlink", "qikli")
NUMBERS = ("41793026727", "+41 79 302 67 27", "0041793026728", "41793026729")
QUEUES = (("default", "shortlink"), ("other", "qikli"))
"""Two of the four queues: pushes and pulls meet often."""
STATUSES = (
    "MESSAGE_ACCEPTED",
    "PENDING_ENROUTE",
    "DELIVERED_TO_HANDSET",
    "UNDELIVERABLE_NOT_DELIVERED",
    "EXPIRED_EXPIRED",
    "REJECTED_NETWORK",
)
STATUS_FILTERS = ("pending", "DELIVERED", "Rejected", "accepted", *STATUSES, "NO_SUCH_STATUS")


def make_message(number: int, account: str, dialect: str, to: str, ref: str | None) -> Message:
    """A message as the core would store it, submitted `number` seconds after START."""
    at = START + timedelta(seconds=number)
    status = WORDS.status("MESSAGE_ACCEPTED")
    error = WORDS.error("NO_ERROR")
    return Message(
        id=f"message-{number}",
        account=account,
        dialect=dialect,
        to=to,
        sender="InfoSMS",
        text=f"Hello {number} ✓",
        binary_hex=None,
        encoding="UCS2",
        units=9,
        parts=1,
        price_per_part=Decimal("0.01"),
        currency="EUR",
        status=status,
        error=error,
        submitted_at=at,
        bulk_id=f"bulk-{number % 3}",
        options={"client_id": number % 2 == 0},
        client_ref=ref,
        changes=(at, status, error),
    )


def walk(store: Store, query: MessageQuery) -> list[Page[Message]]:
    """Every page of a listing, as a client walks them by their cursors."""
    pages = [store.query(query)]
    while pages[-1].next_cursor is not None:
        pages.append(store.query(replace(query, before=pages[-1].next_cursor)))
    return pages


@pytest.fixture
def store(tmp_path: Path) -> Iterator[SqliteStore]:
    opened = SqliteStore.open(tmp_path / "smsmock.db")
    yield opened
    opened.close()


# the same behaviour as the memory store, under any sequence of operations

_MESSAGE_FIELDS = st.tuples(
    st.sampled_from(ACCOUNTS),
    st.sampled_from(DIALECTS),
    st.sampled_from(NUMBERS),
    st.sampled_from((None, "ref-1", "ref-2")),
)


class SameAsMemory(RuleBasedStateMachine):
    """Every operation applied to a MemoryStore and a SqliteStore alike gives the same answers."""

    def __init__(self) -> None:
        super().__init__()
        self.directory = Path(tempfile.mkdtemp())
        self.memory = MemoryStore()
        self.sqlite = SqliteStore.open(self.directory / "smsmock.db")
        self.stores = (self.memory, self.sqlite)
        self.added = 0
        self.events = 0
        self.cursors: list[int] = []

    def teardown(self) -> None:
        self.sqlite.close()
        shutil.rmtree(self.directory)

    def _known_id(self, pick: int) -> str:
        return f"message-{pick % max(self.added, 1)}"

    @initialize(batch=st.lists(_MESSAGE_FIELDS, min_size=4, max_size=12))
    def add_first_messages(self, batch: list[tuple[str, str, str, str | None]]) -> None:
        self.add_messages(batch)

    @rule(batch=st.lists(_MESSAGE_FIELDS, min_size=1, max_size=4))
    def add_messages(self, batch: list[tuple[str, str, str, str | None]]) -> None:
        """Each message of a batch gets the next number: ids, positions and submission times grow."""
        messages = []
        for account, dialect, to, ref in batch:
            messages.append(make_message(self.added, account, dialect, to, ref))
            self.added += 1
        for store in self.stores:
            store.add_messages(copy.deepcopy(messages))

    @precondition(lambda self: self.added)
    @rule(pick=st.integers(0, 10_000), status=st.sampled_from(STATUSES), deleted=st.booleans())
    def change_a_message(self, pick: int, status: str, deleted: bool) -> None:
        found = [store.message(self._known_id(pick)) for store in self.stores]
        assert found[0] == found[1]
        for message, store in zip(found, self.stores, strict=True):
            if message is None:
                continue
            message.status = WORDS.status(status)
            message.deleted = message.deleted or deleted
            message.done_at = message.submitted_at + timedelta(seconds=5)
            message.history += (StatusChange(message.done_at, message.status, message.error),)
            store.update_message(message)

    @rule(
        dialect=st.one_of(st.none(), st.sampled_from(DIALECTS)),
        account=st.one_of(st.none(), st.sampled_from((*ACCOUNTS, "nobody"))),
        to=st.one_of(st.none(), st.sampled_from((*NUMBERS, "999"))),
        status=st.one_of(st.none(), st.sampled_from(STATUS_FILTERS)),
        sender=st.sampled_from((None, "", "info", "SMS", "x")),
        text=st.sampled_from((None, "hello 1", "✓", "HELLO", "o 2 ✓", "x")),
        limit=st.sampled_from((None, 1, 2, 5)),
        before=st.one_of(st.none(), st.integers(0, 10_000), st.just("cursor")),
    )
    def query(
        self,
        dialect: Any,
        account: Any,
        to: Any,
        status: Any,
        sender: Any,
        text: Any,
        limit: Any,
        before: Any,
    ) -> None:
        if before == "cursor":
            before = self.cursors[-1] if self.cursors else None
        elif before is not None:
            before %= self.added + 2  # a position stored, or one past the newest
        query = MessageQuery(
            dialect=dialect,
            account=account,
            to=to,
            status=status,
            sender=sender,
            text=text,
            limit=limit,
            before=before,
        )
        pages = [store.query(query) for store in self.stores]
        assert pages[0] == pages[1]
        if pages[0].next_cursor is not None:
            self.cursors.append(pages[0].next_cursor)

    @rule(
        dialect=st.one_of(st.none(), st.sampled_from(DIALECTS)),
        status=st.one_of(st.none(), st.sampled_from(STATUS_FILTERS)),
        limit=st.integers(1, 3),
    )
    def walk_every_page(self, dialect: str | None, status: str | None, limit: int) -> None:
        query = MessageQuery(dialect=dialect, status=status, limit=limit)
        assert walk(self.memory, query) == walk(self.sqlite, query)

    @rule(pick=st.integers(0, 10_000), account=st.sampled_from(ACCOUNTS), dialect=st.sampled_from(DIALECTS))
    def look_up(self, pick: int, account: str, dialect: str) -> None:
        message_id = self._known_id(pick)
        assert self.memory.message(message_id) == self.sqlite.message(message_id)
        assert self.memory.has_client_id(account, message_id) == self.sqlite.has_client_id(
            account, message_id
        )
        for ref in ("ref-1", "ref-2"):
            assert self.memory.by_client_ref(account, dialect, ref) == self.sqlite.by_client_ref(
                account, dialect, ref
            )

    @rule(due=st.sampled_from((1.0, 2.0, 2.5, 3.0)), kind=st.sampled_from(("send", "finish", "expire")))
    def schedule(self, due: float, kind: str) -> None:
        for store in self.stores:
            store.schedule(due, kind, f"subject-{self.events}")
        self.events += 1

    @rule(now=st.sampled_from((0.5, 1.0, 2.0, 2.7, 10.0)))
    def pop_due(self, now: float) -> None:
        popped = [
            [(event.due, event.seq, event.kind, event.subject, event.data) for event in store.pop_due(now)]
            for store in self.stores
        ]
        assert popped[0] == popped[1]

    @rule(queue=st.sampled_from(QUEUES), picks=st.lists(st.integers(0, 10_000), min_size=1, max_size=5))
    def push_reports(self, queue: tuple[str, str], picks: list[int]) -> None:
        for pick in picks:
            message_id = self._known_id(pick) if pick % 7 else "no-such-message"
            for store in self.stores:
                store.push_report(queue, message_id)

    @rule(
        queue=st.sampled_from(QUEUES),
        limit=st.integers(0, 4),
        bulk=st.sampled_from((None, "bulk-0", "bulk-1")),
    )
    def pull_reports(self, queue: tuple[str, str], limit: int, bulk: str | None) -> None:
        def accept(message: Message) -> bool:
            return bulk is None or message.bulk_id == bulk

        pulled = [store.pull_reports(queue, limit, accept) for store in self.stores]
        assert pulled[0] == pulled[1]

    @rule(account=st.sampled_from(ACCOUNTS), dialect=st.sampled_from(DIALECTS), seconds=st.integers(0, 60))
    def add_inbound(self, account: str, dialect: str, seconds: int) -> None:
        message = InboundMessage(
            id=f"inbound-{self.events}",
            account=account,
            dialect=dialect,
            sender="41793026727",
            to="4560",
            text="KEY Hello",
            keyword="KEY",
            clean_text="Hello",
            received_at=START + timedelta(seconds=seconds),
            parts=1,
        )
        self.events += 1
        for store in self.stores:
            store.add_inbound(copy.deepcopy(message))

    @rule(account=st.sampled_from(ACCOUNTS), dialect=st.sampled_from(DIALECTS), limit=st.integers(0, 3))
    def pull_inbound(self, account: str, dialect: str, limit: int) -> None:
        pulled = [store.pull_inbound((account, dialect), limit) for store in self.stores]
        assert pulled[0] == pulled[1]

    @rule(pick=st.integers(0, 10_000), status_code=st.sampled_from((None, 200, 500)))
    def add_attempt(self, pick: int, status_code: int | None) -> None:
        attempt = WebhookAttempt(
            self._known_id(pick), "http://127.0.0.1:9/dlr", 1, START, status_code, None, "application/json"
        )
        for store in self.stores:
            store.add_attempt(attempt)

    @rule(pick=st.integers(0, 10_000))
    def attempts(self, pick: int) -> None:
        subject = self._known_id(pick)
        assert self.memory.attempts(subject) == self.sqlite.attempts(subject)

    @rule(seconds=st.one_of(st.none(), st.integers(0, 40)), keep=st.one_of(st.none(), st.integers(0, 30)))
    def prune(self, seconds: int | None, keep: int | None) -> None:
        moment = None if seconds is None else START + timedelta(seconds=seconds)
        dropped = [store.prune(submitted_before=moment, keep_newest=keep) for store in self.stores]
        assert dropped[0] == dropped[1]

    @rule(chance=st.integers(0, 9))
    def clear(self, chance: int) -> None:
        if chance:
            return  # a reset now and then: at every turn, it would leave nothing to compare
        for store in self.stores:
            store.clear()

    @invariant()
    def same_contents(self) -> None:
        assert self.memory.stats() == self.sqlite.stats()
        assert self.memory.messages() == self.sqlite.messages()
        assert self.memory.inbound() == self.sqlite.inbound()
        assert self.memory.attempts() == self.sqlite.attempts()
        assert self.memory.next_due() == self.sqlite.next_due()


SameAsMemory.TestCase.settings = settings(
    max_examples=100, stateful_step_count=40, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
test_the_sqlite_store_behaves_as_the_memory_store = SameAsMemory.TestCase


# records, opened again


def test_every_record_survives_closing_and_opening_again(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    first = open_store(f"sqlite:{path}")
    assert isinstance(first, SqliteStore)
    message = make_message(0, "default", "shortlink", "41793026727", "ref-1")
    first.add_messages([message])
    first.schedule(5.0, "send", message.id)
    first.push_report(("default", "shortlink"), message.id)
    first.close()
    again = SqliteStore.open(path)
    assert again.message(message.id) == message
    assert again.next_due() == 5.0
    assert again.pull_reports(("default", "shortlink"), 10, lambda found: True) == [message]
    again.close()


def test_positions_grow_on_after_a_reset(store: SqliteStore) -> None:
    store.add_messages(
        [make_message(number, "default", "shortlink", "41793026727", None) for number in range(3)]
    )
    cursor = store.query(MessageQuery(limit=1)).next_cursor
    store.clear()
    store.add_messages(
        [make_message(number, "default", "shortlink", "41793026727", None) for number in range(3, 5)]
    )
    assert cursor is not None
    assert store.query(MessageQuery(before=cursor)).items == []
    assert store.query(MessageQuery()).total == 2


# schema versions


def _write_at_version(path: Path, version: int) -> None:
    """A store file as an smsmock of schema `version` left it (version 0: a new, empty database)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.create_function("casefold", 1, str.casefold)  # what version 3 fills its new columns with
    db.execute("VACUUM")  # writes the header of an empty database
    for number, ddl in schema_versions().items():
        if number <= version:
            db.executescript(ddl)
    db.execute(f"PRAGMA user_version = {version}")
    db.close()


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
def test_an_older_schema_is_migrated(tmp_path: Path, version: int) -> None:
    path = tmp_path / "smsmock.db"
    _write_at_version(path, version)
    store = SqliteStore.open(path)
    message = make_message(0, "default", "shortlink", "41793026727", None)
    store.add_messages([message])
    assert store.query(MessageQuery(to="41793026727")).items == [message]
    assert store.query(MessageQuery(sender="INFO", text="hello 0 ✓")).items == [message]
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
    db.close()


def test_the_messages_of_a_version_2_file_are_searched_once_it_is_migrated(tmp_path: Path) -> None:
    """Version 3 folds the sender and text of every stored record, of either form, as Python does."""
    path = tmp_path / "smsmock.db"
    _write_at_version(path, 2)
    first = make_message(0, "default", "shortlink", "41793026727", None)
    worded = replace(first, sender="ΣΟΦΟΣ", text="Straße İstanbul")
    binary = replace(
        make_message(1, "default", "shortlink", "41793026727", None), text=None, binary_hex="0A0B"
    )
    nameless = replace(make_message(2, "other", "qikli", "41793026728", None), sender=None, text=None)
    empty = replace(make_message(3, "other", "qikli", "41793026728", None), sender="", text="")
    stored = [encode_message(message) for message in (worded, binary, nameless, empty)]
    # An older smsmock wrote every field of a record, what is None as null; a newer one leaves it out.
    stored[2] = {**stored[2], "sender": None, "text": None, "binary_hex": None}
    assert "text" not in stored[1] and "sender" not in encode_message(nameless)
    db = sqlite3.connect(path, isolation_level=None)
    for message, record in zip((worded, binary, nameless, empty), stored, strict=True):
        db.execute(
            "INSERT INTO messages (id, account, dialect, destination, status_name, status_group, client_ref,"
            " submitted_at, record) VALUES (?, ?, ?, ?, ?, ?, NULL, ?, ?)",
            (
                message.id,
                message.account,
                message.dialect,
                message.to,
                message.status.name,
                message.status.group_name,
                message.submitted_at.timestamp(),
                json.dumps(record),
            ),
        )
    db.close()
    store = SqliteStore.open(path)
    try:
        assert store.query(MessageQuery(text="STRASSE i")).items == [worded]
        assert store.query(MessageQuery(sender="σοφος")).items == [worded]
        assert store.query(MessageQuery(text="a0b")).items == [binary]
        assert store.query(MessageQuery(text="", sender="")).total == 4
        assert store.query(MessageQuery(sender="s", dialect="qikli")).total == 0
        later = make_message(4, "other", "qikli", "41793026728", None)
        store.add_messages([later])
        assert store.query(MessageQuery(text="HELLO", limit=1)).items == [later]
    finally:
        store.close()
    db = sqlite3.connect(path)
    folded = db.execute("SELECT sender_folded, content_folded FROM messages ORDER BY seq").fetchall()
    db.close()
    assert folded[:4] == [("σοφοσ", "strasse i̇stanbul"), ("infosms", "0a0b"), ("", ""), ("", "")]


@pytest.mark.parametrize("ratio", [0, 10**9], ids=["along-the-filters-indexes", "along-the-search-index"])
def test_a_search_finds_the_same_along_either_index(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch, ratio: int
) -> None:
    """However the store chooses to walk a search (see SEARCH_INDEX_RATIO), it finds what memory finds."""
    monkeypatch.setattr(smsmock.core.stores.sqlite, "SEARCH_INDEX_RATIO", ratio)
    memory = MemoryStore()
    messages = [
        replace(
            make_message(number, ACCOUNTS[number % 2], DIALECTS[number % 3 % 2], NUMBERS[number % 4], None),
            sender=("InfoSMS", "Straße", None)[number % 3],
            text=None if number % 5 == 0 else f"Code {number} ß",
            binary_hex="0A0B" if number % 5 == 0 else None,
        )
        for number in range(60)
    ]
    for found in (memory, store):
        found.add_messages(copy.deepcopy(messages))
    for message in messages[::4]:
        for found in (memory, store):
            kept = found.message(message.id)
            assert kept is not None
            kept.status = WORDS.status("DELIVERED_TO_HANDSET")
            found.update_message(kept)
    for dialect, account, to, status, sender, text in itertools.product(
        (None, "qikli"),
        (None, "other"),
        (None, "41793026727"),
        (None, "DELIVERED", "accepted"),
        (None, "STRASSE", "info"),
        (None, "code 1", "SS", "a0b"),
    ):
        query = MessageQuery(dialect, account, to, status, sender, text, limit=3)
        assert walk(store, query) == walk(memory, query), query


def test_schema_versions_run_from_one_without_a_gap() -> None:
    assert list(schema_versions()) == list(range(1, SCHEMA_VERSION + 1))


# refusals: a clear line naming the file, and the file left as it was


def _refusal(path: Path, **options: Any) -> str:
    with pytest.raises(StoreError) as refused:
        SqliteStore.open(path, **options)
    said = str(refused.value)
    assert str(path) in said and "\n" not in said
    return said


def _store_with_one_message(path: Path) -> Message:
    store = SqliteStore.open(path)
    message = make_message(0, "default", "shortlink", "41793026727", None)
    store.add_messages([message])
    store.close()
    return message


def test_a_file_of_garbage_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    garbage = b"this is no database, and it must not become one\n" * 200
    path.write_bytes(garbage)
    assert "not an SQLite database" in _refusal(path)
    assert path.read_bytes() == garbage


def test_a_corrupt_store_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    _store_with_one_message(path)
    data = bytearray(path.read_bytes())
    data[100:] = b"\xff" * (len(data) - 100)  # the header stays, every page after it is wrecked
    path.write_bytes(bytes(data))
    with pytest.raises(StoreError) as refused:
        store = SqliteStore.open(path)
        store.messages()
    assert str(path) in str(refused.value)


def test_a_newer_schema_is_refused_and_left_alone(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    message = _store_with_one_message(path)
    db = sqlite3.connect(path)
    db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
    db.close()
    assert "newer" in _refusal(path)
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION + 1
    assert db.execute("SELECT id FROM messages").fetchall() == [(message.id,)]
    db.close()


def test_a_database_of_someone_else_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "theirs.db"
    db = sqlite3.connect(path)
    db.execute("CREATE TABLE invoices (number INTEGER)")
    db.commit()
    db.close()
    assert "not an smsmock store" in _refusal(path)
    db = sqlite3.connect(path)
    assert db.execute("SELECT name FROM sqlite_master").fetchall() == [("invoices",)]
    db.close()


def test_a_read_only_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    message = _store_with_one_message(path)
    path.chmod(0o444)
    try:
        assert "read-only" in _refusal(path)
    finally:
        path.chmod(0o644)
    store = SqliteStore.open(path)
    assert store.messages() == [message]
    store.close()


def test_an_unwritable_or_missing_directory_is_refused(tmp_path: Path) -> None:
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    try:
        assert "not writable" in _refusal(locked / "smsmock.db")
    finally:
        locked.chmod(0o755)
    assert "does not exist" in _refusal(tmp_path / "missing" / "smsmock.db")
    assert "is a directory" in _refusal(tmp_path)


def test_a_locked_database_is_refused_at_the_start_and_fails_closed_after(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    _store_with_one_message(path)
    store = SqliteStore.open(path, timeout=0.05)
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        assert "locked" in _refusal(path, timeout=0.05)
        with pytest.raises(StoreError, match="locked"):
            store.add_messages([make_message(1, "default", "shortlink", "41793026727", None)])
        with pytest.raises(StoreError, match="locked"):
            store.pull_reports(("default", "shortlink"), 10, lambda found: True)
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert [message.id for message in store.messages()] == ["message-0"]  # nothing half applied
    store.close()


# durability: what a killed process acknowledged is there


SENDER = """
import sys, threading
from smsmock.core.backend import Backend
from smsmock.core.clock import Clock
from smsmock.core.commands import Submission
from smsmock.core.stores.sqlite import SqliteStore

backend = Backend(clock=Clock(frozen=True), store=SqliteStore.open(sys.argv[1]))
account = backend.accounts.get("default")
printing = threading.Lock()

def send(worker):
    for n in range(1_000_000):
        submissions = [Submission(to=f"41793{worker}{n % 10000:05d}", text="Hello")]
        (message,) = backend.submit(account, "shortlink", submissions)
        with printing:
            print(message.id, flush=True)
        if n % 5 == 0:
            backend.clock.advance(1)  # earlier messages are sent, delivered, their reports queued

for worker in range(3):
    threading.Thread(target=send, args=(worker,), daemon=True).start()
threading.Event().wait()
"""


def test_every_acknowledged_message_survives_a_kill(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    sender = subprocess.Popen(
        [sys.executable, "-c", SENDER, str(path)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    assert sender.stdout is not None
    acknowledged = []
    try:
        for line in sender.stdout:
            acknowledged.append(line)
            if len(acknowledged) >= 400:
                break
    finally:
        sender.send_signal(signal.SIGKILL)
        rest, errors = sender.communicate()
    acknowledged += rest.splitlines(keepends=True)
    ids = [line.strip() for line in acknowledged if line.endswith("\n")]
    assert len(ids) >= 400, errors
    store = SqliteStore.open(path)
    for message_id in ids:
        found = store.message(message_id)
        assert found is not None, message_id
        assert found.history[0].status.name == "MESSAGE_ACCEPTED"
        assert found.history[-1].status == found.status
        assert [change.at for change in found.history] == sorted(change.at for change in found.history)
    assert store.query(MessageQuery()).total == len(store.messages()) >= len(ids)
    store.close()
    db = sqlite3.connect(path)
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    db.close()


# read-once: each report handed out once, by threads and by processes


def _store_with_reports(path: Path, count: int) -> list[str]:
    store = SqliteStore.open(path)
    messages = [make_message(number, "default", "shortlink", "41793026727", None) for number in range(count)]
    store.add_messages(messages)
    for message in messages:
        store.push_report(("default", "shortlink"), message.id)
    store.close()
    return [message.id for message in messages]


def test_concurrent_pulls_from_threads_hand_out_each_report_once(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    pushed = _store_with_reports(path, 600)
    store = SqliteStore.open(path)
    pulled: list[list[str]] = [[] for _ in range(6)]

    def pull(worker: int) -> None:
        while batch := store.pull_reports(("default", "shortlink"), worker + 1, lambda found: True):
            pulled[worker].extend(message.id for message in batch)

    threads = [threading.Thread(target=pull, args=(worker,)) for worker in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [message_id for found in pulled for message_id in found]
    assert sorted(everything) == sorted(pushed)
    assert sum(bool(found) for found in pulled) > 1  # the threads did share the work
    store.close()


def test_concurrent_inbound_pulls_from_threads_hand_out_each_message_once(store: SqliteStore) -> None:
    for number in range(300):
        message = InboundMessage(
            f"inbound-{number}", "default", "shortlink", "41793026727", "4560", "Hi", "", "Hi", START, 1
        )
        store.add_inbound(message)
    pulled: list[list[str]] = [[] for _ in range(4)]

    def pull(worker: int) -> None:
        while batch := store.pull_inbound(("default", "shortlink"), 3):
            pulled[worker].extend(message.id for message in batch)

    threads = [threading.Thread(target=pull, args=(worker,)) for worker in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    everything = [message_id for found in pulled for message_id in found]
    assert sorted(everything) == sorted(f"inbound-{number}" for number in range(300))


PULLER = """
import sys
from smsmock.core.stores.sqlite import SqliteStore

store = SqliteStore.open(sys.argv[1])
print("ready", flush=True)
sys.stdin.readline()
while batch := store.pull_reports(("default", "shortlink"), 3, lambda found: True):
    for message in batch:
        print(message.id, flush=True)
"""


def test_two_processes_pulling_hand_out_each_report_once(tmp_path: Path) -> None:
    path = tmp_path / "smsmock.db"
    pushed = _store_with_reports(path, 1500)
    pullers = [
        subprocess.Popen(
            [sys.executable, "-c", PULLER, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    for puller in pullers:
        assert puller.stdout is not None and puller.stdout.readline() == "ready\n"
    # Both are open and waiting: they start pulling together.
    for puller in pullers:
        assert puller.stdin is not None
        puller.stdin.write("go\n")
        puller.stdin.flush()
    outputs = [puller.communicate(timeout=120) for puller in pullers]
    pulled = [output.split() for output, _ in outputs]
    assert all(puller.returncode == 0 for puller in pullers), [errors for _, errors in outputs]
    assert sorted(pulled[0] + pulled[1]) == sorted(pushed)


def test_a_batch_with_a_taken_id_is_stored_not_at_all(store: SqliteStore) -> None:
    first = make_message(0, "default", "shortlink", "41793026727", None)
    store.add_messages([first])
    fresh, taken = make_message(1, "default", "shortlink", "41793026727", None), copy.deepcopy(first)
    with pytest.raises(DuplicateMessageId) as refused:
        store.add_messages([fresh, taken])
    assert refused.value.ids == [first.id]
    assert store.messages() == [first]
    assert store.stats().messages == 1


def _send_in_forked_child(store: SqliteStore, done: Any) -> None:
    backend = Backend(clock=Clock(frozen=True), store=store)
    (message,) = backend.submit(backend.accounts.get("default"), "shortlink", [Submission(to="41793026727")])
    done.put((message.id, [id(connection) for connection in store._opened]))


def test_a_store_opened_before_a_fork_is_used_by_the_child_on_its_own_connections(tmp_path: Path) -> None:
    """`smsmock serve` opens the store, then forks its worker: the worker must not use the parent's
    connections (SQLite forbids it), and what it writes is there for every later reader."""
    store = SqliteStore.open(tmp_path / "forked.db")
    store.stats()  # the parent has used (and pooled) a connection
    parents = {id(connection) for connection in store._opened}
    context = multiprocessing.get_context("fork")
    done = context.Queue()
    child = context.Process(target=_send_in_forked_child, args=(store, done))
    child.start()
    child.join(timeout=60)
    assert child.exitcode == 0
    sent, used_by_child = done.get(timeout=5)
    assert used_by_child and not parents & set(used_by_child), "the child opened connections of its own"
    assert SqliteStore.open(tmp_path / "forked.db").message(sent) is not None
    assert store.message(sent) is not None, "the parent's own connections still read the file"


# checkpoints, off the requests' path


class _OneRound:
    """A stop signal that lets the checkpoint loop run exactly once."""

    def __init__(self) -> None:
        self.rounds = 0

    def wait(self, timeout: float) -> bool:
        self.rounds += 1
        return self.rounds > 1


def test_the_checkpoint_thread_copies_the_wal_into_the_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from smsmock.core.stores import sqlite as sqlite_module

    monkeypatch.setattr(sqlite_module, "CHECKPOINT_INTERVAL", 3600.0)  # the store's own thread stays idle
    path = tmp_path / "store.db"
    store = SqliteStore.open(path)
    store.add_messages([make_message(n, "default", "shortlink", "41793026727", None) for n in range(300)])
    before = path.stat().st_size
    sqlite_module._checkpoint_until(path, _OneRound(), threading.Lock())  # type: ignore[arg-type]
    assert path.stat().st_size > before, "the pages the WAL held are in the database file now"
    with sqlite3.connect(path) as db:
        busy, in_wal, copied = db.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
    assert (busy, in_wal) == (0, copied)
    store.close()


def test_closing_the_store_ends_its_checkpoint_thread(tmp_path: Path) -> None:
    def checkpointers() -> list[threading.Thread]:
        return [thread for thread in threading.enumerate() if thread.name == "smsmock-sqlite-checkpoints"]

    already = set(checkpointers())
    store = SqliteStore.open(tmp_path / "store.db")
    (started,) = set(checkpointers()) - already
    store.close()
    started.join(timeout=5)
    assert not started.is_alive()


@pytest.mark.parametrize("field", ["text", "sender"])
def test_a_lone_surrogate_in_a_message_is_stored_and_read_back(tmp_path: Path, field: str) -> None:
    """UTF-8, SQLite's text, has no lone surrogate: such a record is kept as escaped JSON, not refused.

    The dialects refuse one in a JSON body, but a message can carry one from elsewhere (Python callers
    of the core, the control API's injected messages), and the store must not fail on it.
    """
    message = replace(make_message(0, "default", "shortlink", "41793026727", None), **{field: "A\ud800B"})
    store = SqliteStore.open(tmp_path / "surrogates.db")
    try:
        store.add_messages([message])
        assert store.message(message.id) == message
        store.update_message(message)
        assert store.query(MessageQuery()).items == [message]
    finally:
        store.close()


# what a send costs: the counts without triggers, version 4's indexes, the look ahead, the write lock


def test_a_version_3_file_keeps_its_counts_journal_and_events_once_migrated(tmp_path: Path) -> None:
    """Version 4 drops indexes and the count triggers: what a version 3 file holds reads the same, and
    the counts go on following what is stored."""
    path = tmp_path / "smsmock.db"
    _write_at_version(path, 3)
    db = sqlite3.connect(path, isolation_level=None)
    for number in range(4):
        message = make_message(number, ACCOUNTS[number % 2], "shortlink", NUMBERS[number], None)
        row = (message.id, message.account, message.dialect, message.to, message.status.name)
        row += (
            message.status.group_name,
            message.submitted_at.timestamp(),
            json.dumps(encode_message(message)),
        )
        db.execute(
            "INSERT INTO messages (id, account, dialect, destination, status_name, status_group,"
            " submitted_at, record, sender_folded, content_folded) VALUES (?, ?, ?, ?, ?, ?, ?, ?, '', '')",
            row,
        )
        db.execute(
            "INSERT INTO events (due, kind, subject) VALUES (?, 'finish', ?)", (float(number), message.id)
        )
        entry = (float(number), f"entry-{number}")
        db.execute(
            "INSERT INTO journal (at, dialect, operation, record) VALUES (?, 'shortlink', 'x', ?)", entry
        )
    db.close()
    store = SqliteStore.open(path)
    try:
        assert store.query(MessageQuery(status="ACCEPTED")).total == 4  # counted by the triggers then
        assert store.query(MessageQuery(account="other", status="MESSAGE_ACCEPTED")).total == 2
        with store.atomic():
            (event, *_) = store.pop_due(0.5)
            assert event.message is not None and event.message.id == "message-0"
            event.message.status = WORDS.status("DELIVERED_TO_HANDSET")
            store.update_message(event.message)
        assert store.query(MessageQuery(status="DELIVERED")).total == 1
        assert store.query(MessageQuery(status="accepted")).total == 3
        assert [found.id for found in store.query(MessageQuery(status="delivered")).items] == ["message-0"]
        assert store.prune_entries(2.0) == 2
        kept = store.entry_page(None, None, None, None).items
        assert [record for _, record in kept] == ["entry-3", "entry-2"]
        assert store.prune(keep_newest=1) == 3
        assert store.next_due() == 3.0, "the events of the messages pruned went with them"
        assert store.stats().messages == 1
    finally:
        store.close()
    db = sqlite3.connect(path)
    names = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type != 'table'")}
    db.close()
    assert not {"messages_by_group", "events_by_subject", "journal_by_moment", "messages_counted_in"} & names
    assert "messages_counted_out" in names  # a prune still counts what it drops


def test_the_counts_follow_what_every_handle_on_the_file_changes(tmp_path: Path) -> None:
    """Two processes' handles: one stores, the other moves statuses (in a step's block and alone): every
    listing's total is what the memory store counts."""
    first, second = SqliteStore.open(tmp_path / "smsmock.db"), SqliteStore.open(tmp_path / "smsmock.db")
    memory = MemoryStore()
    try:
        messages = [
            make_message(number, "default", DIALECTS[number % 2], NUMBERS[0], None) for number in range(6)
        ]
        for store in (first, memory):
            store.add_messages(copy.deepcopy(messages))
        for number, status in enumerate(("PENDING_ENROUTE", "DELIVERED_TO_HANDSET", "PENDING_ENROUTE")):
            for store, in_block in ((second, number % 2 == 0), (memory, False)):
                found = store.message(f"message-{number}")
                assert found is not None
                found.status = WORDS.status(status)
                if in_block:
                    with store.atomic():
                        store.update_message(copy.copy(found))
                        store.update_message(found)  # twice in one block: counted once
                else:
                    store.update_message(found)
        for status in (None, "PENDING", "pending_enroute", "DELIVERED", "ACCEPTED", "MESSAGE_ACCEPTED"):
            for dialect in (None, "qikli"):
                query = MessageQuery(dialect=dialect, status=status, limit=2)
                assert walk(first, query) == walk(memory, query), query
                assert first.query(query).total == memory.query(query).total
    finally:
        first.close()
        second.close()


def test_a_look_ahead_is_used_by_the_next_due_call_that_comes_right_after_it(
    store: SqliteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`settings_version` reads the soonest due moment too, for a `next_due` right after it: a request's
    first two looks at the store in one statement. Any call between makes `next_due` read again, and
    so does the time a delay fault holds a request."""
    monkeypatch.setattr(smsmock.core.stores, "LOOK_FRESH", 3600.0)  # however slow the machine
    store.schedule(5.0, "finish", "message-1")
    store.settings_version()
    other = SqliteStore.open(store.path)
    try:
        other.schedule(1.0, "finish", "message-2")  # another process, after the look
        assert store.next_due() == 5.0  # as it was when the request looked
        assert store.next_due() == 1.0  # the look is used once
        store.settings_version()
        store.schedule(0.5, "finish", "message-3")
        assert store.next_due() == 0.5
        store.settings_version()
        with store.atomic():  # a request's block begins between its look and its tick
            assert store.next_due() == 0.5
        monkeypatch.setattr(smsmock.core.stores, "LOOK_FRESH", 0.0)  # held back past it
        store.settings_version()
        other.schedule(0.25, "finish", "message-4")
        assert store.next_due() == 0.25
    finally:
        other.close()


def test_threads_wait_for_one_anothers_writes_and_give_up_past_the_timeout(tmp_path: Path) -> None:
    """A thread's write waits while another thread of the process writes (on the store's lock, not in
    SQLite's busy handler); past the store's timeout it fails as a locked store does."""
    store = SqliteStore.open(tmp_path / "smsmock.db", timeout=0.2)
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with store.atomic():
            store.add_messages([make_message(0, "default", "shortlink", NUMBERS[0], None)])
            inside.set()
            release.wait(5)

    holder = threading.Thread(target=hold)
    holder.start()
    try:
        assert inside.wait(5)
        with pytest.raises(StoreError, match="locked"):
            store.schedule(1.0, "finish", "message-0")
        store.timeout = 30.0  # this one waits for the holder, however slow the machine
        waiter = threading.Thread(target=store.schedule, args=(2.0, "finish", "message-0"))
        waiter.start()
        release.set()
        waiter.join(5)
        holder.join(5)
        assert store.next_due() == 2.0 and store.message("message-0") is not None
    finally:
        release.set()
        holder.join(5)
        store.close()


def test_a_thread_keeps_to_the_connection_it_used_last(store: SqliteStore) -> None:
    """SQLite drops a connection's page cache whenever another connection wrote: a thread that took the
    pool's connections in turn read every page again on every call."""
    with store._connection():  # this thread holds one, so the pool opens another for the worker
        worker = threading.Thread(target=store.next_due)
        worker.start()
        worker.join(5)
    used = set()
    for _ in range(10):
        with store._connection() as db:
            used.add(id(db))
        store.schedule(2.0, "finish", "y")
    assert len(store._opened) == 2 and len(used) == 1
